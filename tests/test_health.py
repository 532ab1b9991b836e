import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent


def test_it_reports_every_part_healthy(db: None) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "migrations", "cache", "broker"}
    assert all(value.startswith("ok") for value in body["checks"].values())


@pytest.mark.redis
def test_it_pings_the_real_redis_broker(db: None) -> None:
    assert Client().get("/healthz").json()["checks"]["broker"] == "ok"


def test_it_answers_503_when_the_database_is_unreachable() -> None:
    # A real connection attempt to a port where no database listens.
    code = (
        "import django, json; django.setup();"
        "from django.test import Client; r = Client().get('/healthz');"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "nps_site.settings.base",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:9/nps",
        "REDIS_URL": "",
        "DEBUG": "1",
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503
    assert answer["body"]["status"] == "error"
    assert answer["body"]["checks"]["database"].startswith("error")
