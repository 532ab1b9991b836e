"""Postgres stopped and started again under a running app (gunicorn, production
settings, persistent connections): requests fail fast with 503 and Retry-After
during the outage and succeed afterwards, without restarting the app.

The test runs its own Postgres cluster so the shared server is never stopped.
"""

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from bench.production import Server, collect_static, free_port, gunicorn, manage, production_env

pytestmark = pytest.mark.postgres


def postgres_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name)]
    return found[-1]


class Cluster:
    """A throwaway Postgres cluster on a port of its own."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        # initdb refuses to run as root: the cluster then belongs to `postgres`.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def run(self, *command: str) -> None:
        subprocess.run([*self.as_user, *command], check=True, capture_output=True, timeout=60)

    def create(self) -> None:
        self.directory.mkdir()
        if self.as_user:
            shutil.chown(self.directory, "postgres", "postgres")
        self.run(
            str(postgres_bin("initdb")), "-D", str(self.directory), "-A", "trust", "-U", "postgres"
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        log = str(self.directory / "server.log")  # else the server holds our output pipe open
        pg_ctl = str(postgres_bin("pg_ctl"))
        self.run(pg_ctl, "-D", str(self.directory), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        self.run(str(postgres_bin("pg_ctl")), "-D", str(self.directory), "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if postgres_bin("initdb") is None or postgres_bin("pg_ctl") is None:
        pytest.skip("initdb / pg_ctl are not installed")
    # Not pytest's tmp_path: its parents are private to root, out of the postgres user's reach.
    base = Path(tempfile.mkdtemp(prefix="nps-pg-"))
    base.chmod(0o755)
    cluster = Cluster(base / "data")
    cluster.create()
    cluster.start()
    yield cluster
    subprocess.run(
        [
            *cluster.as_user,
            str(postgres_bin("pg_ctl")),
            "-D",
            str(cluster.directory),
            "-m",
            "immediate",
            "stop",
        ],
        capture_output=True,
        timeout=60,
    )
    shutil.rmtree(base, ignore_errors=True)


# An organization, its owner signed in (a session) and an API key.
SETUP = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from tenants.models import Membership, Organization
from tenants.services import api_key_create
org = Organization.objects.create(name="Outage", slug="outage")
user = get_user_model().objects.create_user("ops@example.com", "ops@example.com", "pw-1234567")
Membership.objects.create(organization=org, user=user, role="owner")
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
from surveys.services import survey_create
from tenants.context import tenant_context
with tenant_context(org):
    survey = survey_create(organization=org, kind="customer", name="NPS", product_name="App",
                           allowed_origins=["https://app.example.com"])
print(session.session_key, api_key_create(organization=org, name="k")[1], survey.public_key)
"""


@pytest.fixture
def app(cluster: Cluster, tmp_path: Path) -> Iterator[tuple[Server, list[str]]]:
    # No Redis: the test is about Postgres alone. Plain HTTP on loopback: no redirect.
    # Static files of its own: other test processes' servers read the shared ones.
    env = production_env(
        database_url=cluster.url, SECURE_SSL_REDIRECT="0", STATIC_ROOT=str(tmp_path / "static")
    )
    manage(env, "migrate", "--noinput")
    collect_static(env)
    session_key, key, survey_key = manage(env, "shell", "-c", SETUP).split()[-3:]
    with gunicorn(env) as server:
        yield server, [session_key, key, survey_key]


def timed_get(url: str, session: Any = requests, **kwargs: Any) -> tuple[requests.Response, float]:
    started = time.monotonic()
    answer = session.get(url, timeout=15, **kwargs)
    return answer, time.monotonic() - started


def widget_config(base: str, survey_key: str) -> requests.Response:
    return requests.post(
        f"{base}/w/{survey_key}/config",
        data='{"anonymous_id": "outage-visitor-0001"}',
        headers={"Content-Type": "text/plain", "Origin": "https://app.example.com"},
        timeout=15,
    )


def logged_in(session_key: str) -> requests.Session:
    session = requests.Session()
    # Production cookies are Secure: sent by hand over this plain-HTTP loopback.
    session.headers["Cookie"] = f"sessionid={session_key}"
    return session


def test_requests_answer_503_while_postgres_is_down_and_recover_without_a_restart(
    cluster: Cluster, app: tuple[Server, list[str]]
) -> None:
    server, (session_key, key, survey_key) = app
    base = server.base
    auth = {"Authorization": f"Bearer {key}"}
    assert requests.get(base + "/api/v1/organization", headers=auth, timeout=10).status_code == 200
    owner = logged_in(session_key)
    assert owner.get(base + "/o/outage/", timeout=10).status_code == 200
    # Both workers hold a connection the restart will close under them.
    for _ in range(4):
        assert widget_config(base, survey_key).status_code == 200

    cluster.stop()
    for url, headers in ((base + "/api/v1/organization", auth), (base + "/healthz", {})):
        answer, seconds = timed_get(url, headers=headers)
        assert answer.status_code == 503, (url, answer.text[:300])
        assert seconds < 5, f"{url} took {seconds:.1f}s to fail"
    api_answer, _ = timed_get(base + "/api/v1/organization", headers=auth)
    assert api_answer.headers["Retry-After"] == "5"
    assert api_answer.json()["error"]["code"] == "unavailable"
    page, seconds = timed_get(base + "/o/outage/", owner)
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert "try again" in page.text and seconds < 5
    down = widget_config(base, survey_key)
    assert down.status_code == 503 and down.headers["Retry-After"] == "5"
    assert down.json()["error"]["code"] == "unavailable"

    cluster.start()
    answer = requests.get(base + "/api/v1/organization", headers=auth, timeout=10)
    assert answer.status_code == 200 and answer.json()["slug"] == "outage"
    assert requests.get(base + "/healthz", timeout=10).status_code == 200
    assert owner.get(base + "/o/outage/", timeout=10).status_code == 200
    assert server.process.poll() is None  # the same process, never restarted
    for _ in range(4):
        assert widget_config(base, survey_key).status_code == 200

    # A restart between two requests: each worker's connection is closed under
    # it while idle, and its health check replaces it before the request's
    # first statement, so no request fails.
    cluster.stop()
    cluster.start()
    answers = [widget_config(base, survey_key) for _ in range(6)]
    assert [answer.status_code for answer in answers] == [200] * 6, answers[0].text[:300]
