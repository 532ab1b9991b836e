"""The benchmark suite (`make bench`) end to end on tiny data: it seeds, serves
with gunicorn, loads with wrk, measures every figure and drops its database.

Not timed: speed is judged by the full run (docs/BENCHMARKS.md), on a machine
that is not running the rest of the test suite at the same time.
"""

import json
import os
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.browser,
    pytest.mark.timeout(300),
]


def _database_url(name: str) -> str:
    db = settings.DATABASES["default"]
    user = urllib.parse.quote(db.get("USER") or "")
    password = f":{urllib.parse.quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db['HOST']}:{db['PORT'] or 5432}/{name}"


def _database_exists(name: str) -> bool:
    db = settings.DATABASES["default"]
    connection = psycopg2.connect(
        host=db["HOST"],
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db.get("PASSWORD") or "",
        dbname="postgres",
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return cursor.fetchone() is not None
    finally:
        connection.close()


def test_it_runs_every_benchmark_on_tiny_data_and_drops_its_database(tmp_path: Path) -> None:
    if shutil.which("wrk") is None:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("REQUIRE_SERVICES=1 but wrk is missing (apt-get install wrk)")
        pytest.skip("missing: wrk")
    name = f"nps_bench_smoke_{os.getpid()}"
    output = tmp_path / "results.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--scale=0.0005",
            "--tenants=3",
            "--seconds=2",
            "--soak-seconds=3",
            "--browser-loads=2",
            # Every workload profiled, so that each one is known to run.
            "--profile-all",
            f"--output={output}",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "BENCH_DATABASE_URL": _database_url(name),
            "BENCH_REDIS_URL": settings.REDIS_URL,
        },
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(output.read_text())
    figures = results["figures"]
    assert not [name_ for name_, figure in figures.items() if "error" in figure]
    loads = ("ceiling_json", "ceiling_insert", "widget_answer", "widget_config")
    # A loaded machine may finish few requests in two seconds, but never a wrong one.
    assert all(figures[name_]["errors"] == 0 for name_ in loads)
    assert sum(figures[name_]["requests"] for name_ in loads) > 0
    for page in figures["backoffice"].values():
        assert page["errors"] == 0 and page["raw_ms"] > 0
    assert figures["export"]["rows"] > 0
    assert figures["import"]["imported"] == figures["import"]["rows"]
    assert figures["widget_browser"]["painted_ms_median"] > 0
    assert figures["memory"]["errors"] == 0
    assert len(results["targets"]) == 14
    assert all(isinstance(target["passed"], bool) for target in results["targets"])
    # Every target with a workload behind it has its profile, written in full.
    assert set(results["profiles"]) == {t["profile"] for t in results["targets"]} - {""}
    for name, profile in results["profiles"].items():
        assert "error" not in profile, profile
        assert profile["top"] and (tmp_path / "profiles" / f"{name}.txt").stat().st_size > 0
    assert set(figures["widget_browser"]["phases_ms_median"]) >= {"script", "config_received"}
    assert not _database_exists(name)
