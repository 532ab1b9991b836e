"""Rollups on a real Celery worker and a real Redis broker: answers reach the
rollups and the dashboard, a task run twice, failed or killed mid-way leaves
exact counts, and an answer is stored while the broker is down."""

import contextlib
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from kombu import pools

from nps_site.celery import app
from responses.models import Response
from rollups import services
from rollups.models import RollupDay, Watermark
from rollups.selectors import served_days
from rollups.tasks import refresh, refresh_all
from surveys.models import Survey
from tenants.context import tenant_context
from tenants.models import Organization

from .conftest import wait_until
from .test_widget_api import answer, token_for

pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def settled(settings: Any) -> Iterator[None]:
    settings.ROLLUPS_OVERLAP_SECONDS = 0
    settings.WIDGET_RATE_LIMIT_PER_IP = (100_000, 60)
    cache.clear()
    yield
    with contextlib.suppress(Exception):  # the outage test's cache may be down
        cache.clear()


def totals(organization: Organization) -> dict[tuple[int, date, str], list[int]]:
    with tenant_context(organization):
        return {
            (row.survey_id, row.day, row.channel): [getattr(row, f"s{s}") for s in range(11)]
            for row in RollupDay.objects.all()
        }


def truth(organization: Organization) -> dict[tuple[int, date, str], list[int]]:
    zone = ZoneInfo(organization.time_zone)
    counted: dict[tuple[int, date, str], list[int]] = {}
    with tenant_context(organization):
        for row in Response.objects.all():
            day = timezone.localtime(row.created_at, zone).date()
            counted.setdefault((row.survey_id, day, row.channel), [0] * 11)[row.score] += 1
    return counted


def refreshed_since(organization: Organization, moment: Any) -> bool:
    mark = Watermark.objects.unscoped().filter(organization=organization).first()
    return mark is not None and mark.through is not None and mark.through > moment


def test_a_widget_answer_reaches_the_rollups_and_the_dashboard(
    worker: Any, client: Client, owner_client: Client, survey: Survey
) -> None:
    token = token_for(client, survey)
    assert answer(client, survey, token, score=10).status_code == 201
    posted = timezone.now()
    refresh_all.delay()
    wait_until(lambda: refreshed_since(survey.organization, posted))
    today = timezone.localdate()
    assert totals(survey.organization) == {
        (survey.pk, today, "widget"): [0] * 10 + [1],
    }
    page = owner_client.get(reverse("dashboards:overview", args=[survey.organization.slug]))
    html = page.content.decode()
    assert '<span class="nps-value band-text-excellent">100</span>' in html
    assert "Score 10: 1 answer" in html
    with tenant_context(survey.organization):  # read from the rollups, not raw
        start = timezone.localtime(timezone.now(), ZoneInfo("UTC")).replace(hour=0, minute=0)
        runs = served_days(
            organization=survey.organization,
            start=start.replace(second=0, microsecond=0),
            end=start.replace(second=0, microsecond=0) + timedelta(days=1),
            survey_ids=[survey.pk],
        )
    assert runs == [(today, today)]


def test_a_refresh_run_twice_or_failed_midway_leaves_exact_counts(
    worker: Any, client: Client, survey: Survey, monkeypatch: Any
) -> None:
    token = token_for(client, survey)
    answer(client, survey, token, score=3)
    organization = survey.organization
    calls = {"n": 0}

    def fails_once(write: Any) -> Any:
        def writing(*args: Any, **kwargs: Any) -> int:
            calls["n"] += 1
            written = write(*args, **kwargs)
            if calls["n"] == 1:
                raise RuntimeError("the worker stopped half way")
            return int(written)

        return writing

    # Rows are written by _write, or on PostgreSQL by one statement for a whole rebuild.
    for name in ("_write", "_rebuild_in_database"):
        monkeypatch.setattr(services, name, fails_once(getattr(services, name)))
    before = timezone.now()
    refresh.delay(organization_id=organization.pk)  # rolled back: nothing half-written
    refresh.delay(organization_id=organization.pk)
    refresh.delay(organization_id=organization.pk)
    wait_until(lambda: refreshed_since(organization, before))
    assert calls["n"] == 2  # failed, then redone in full; the third found nothing new
    assert totals(organization) == truth(organization)
    answer(client, survey, token, score=9)  # the same answer, a changed score
    moment = timezone.now()
    refresh.delay(organization_id=organization.pk)
    refresh.delay(organization_id=organization.pk)
    wait_until(lambda: refreshed_since(organization, moment))
    assert totals(organization) == truth(organization)
    assert sum(map(sum, totals(organization).values())) == 1


# Worker loss -------------------------------------------------------------------

CRASHING_WORKER = """
import os, sys
import django
django.setup()
from nps_site.celery import app
from rollups import services

def dies_once(write):
    def writing(*args, **kwargs):
        written = write(*args, **kwargs)
        marker = os.environ["CRASH_MARKER"]
        if not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(1)  # the process is killed with its transaction open
        return written
    return writing

# Rows are written by _write, or on PostgreSQL by one statement for a whole rebuild.
services._write = dies_once(services._write)
services._rebuild_in_database = dies_once(services._rebuild_in_database)
app.worker_main(["worker", "--pool=prefork", "--concurrency=1", "-Q", sys.argv[1],
                 "--without-gossip", "--without-mingle", "--loglevel=INFO"])
"""


@pytest.mark.postgres
def test_a_worker_killed_during_a_refresh_is_redelivered_and_counts_converge(
    client: Client, survey: Survey, tmp_path: Path
) -> None:
    token = token_for(client, survey)
    answer(client, survey, token, score=7)
    queue = f"rollups-loss-{os.getpid()}"
    marker = tmp_path / "crashed"
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "nps_site.settings.base",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "REDIS_URL": django_settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "ROLLUPS_OVERLAP_SECONDS": "0",
        "CRASH_MARKER": str(marker),
        "DEBUG": "1",
    }
    worker = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WORKER, queue],
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    app.conf.task_always_eager = False
    try:
        refresh.apply_async(kwargs={"organization_id": survey.organization_id}, queue=queue)
        wait_until(
            lambda: refreshed_since(survey.organization, timezone.now().replace(year=2000)), 60
        )
    finally:
        app.conf.task_always_eager = True
        worker.terminate()
        worker.wait(timeout=20)
    assert marker.exists(), "the first attempt died mid-way"
    assert totals(survey.organization) == truth(survey.organization) != {}


# Redis outage ------------------------------------------------------------------

PORT = 6390
REDIS_SERVER = shutil.which("redis-server") or "redis-server"
REDIS_CLI = shutil.which("redis-cli") or "redis-cli"


def redis_cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([REDIS_CLI, "-p", str(PORT), *args], capture_output=True, timeout=10)


def start_private_redis(tmp_path: Path) -> None:
    subprocess.run(
        [
            REDIS_SERVER,
            "--port",
            str(PORT),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "yes",
            "--dir",
            str(tmp_path),
        ],
        check=True,
    )
    for _ in range(50):
        if redis_cli("ping").stdout.strip() == b"PONG":
            return
        time.sleep(0.1)
    pytest.fail("the private Redis did not start")


def use_broker(url: str) -> None:
    """Point the app at another broker, dropping every pooled connection."""
    pools.reset()
    app.conf.broker_url = url
    app._after_fork()


@pytest.fixture
def private_redis(tmp_path: Path, settings: Any) -> Iterator[str]:
    if not shutil.which(REDIS_SERVER):
        pytest.skip("redis-server is not installed")
    start_private_redis(tmp_path)
    url = f"redis://127.0.0.1:{PORT}/0"
    previous = app.conf.broker_url
    use_broker(url)
    # The cache too, so the rate limit's counters go down with it.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
        }
    }
    try:
        yield url
    finally:
        redis_cli("shutdown", "nosave")
        use_broker(previous)


def test_answers_are_stored_while_redis_is_down_and_rollups_catch_up(
    private_redis: str, client: Client, survey: Survey, tmp_path: Path
) -> None:
    token = token_for(client, survey)
    redis_cli("shutdown", "nosave")
    app.conf.task_always_eager = False
    try:
        assert answer(client, survey, token, score=10).status_code == 201
        link = client.post(
            f"/s/{survey.public_key}",
            {"score": "2", "id": "link-answer-outage-01", "channel": "link", "properties": "{}"},
        )
        assert link.status_code in (200, 201, 302)
        with pytest.raises(Exception):  # noqa: B017  (the broker's own error type)
            refresh_all.apply_async(retry=False)
        with tenant_context(survey.organization):
            assert sorted(Response.objects.values_list("score", flat=True)) == [2, 10]

        start_private_redis(tmp_path)
        use_broker(private_redis)
        moment = timezone.now()
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            refresh_all.delay()
            wait_until(lambda: refreshed_since(survey.organization, moment))
    finally:
        app.conf.task_always_eager = True
    assert totals(survey.organization) == truth(survey.organization)
    assert len(truth(survey.organization)) == 2  # a widget key and a link key


# Concurrency -------------------------------------------------------------------


@contextlib.contextmanager
def watermark_held(organization: Organization) -> Iterator[None]:
    """Another connection holds the organization's watermark, as a running refresh does."""
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        with tenant_context(organization), transaction.atomic():
            Watermark.objects.select_for_update().get()
            locked.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        yield
    finally:
        release.set()
        holder.join()


@pytest.mark.postgres
def test_a_second_refresh_steps_aside_while_one_holds_the_organization(survey: Survey) -> None:
    organization = survey.organization
    with tenant_context(organization):
        Response.objects.create(organization=organization, survey=survey, score=5)
    services.rollups_refresh(organization=organization)
    with watermark_held(organization):
        assert services.rollups_refresh(organization=organization) is None
    assert services.rollups_refresh(organization=organization) == 0
    assert totals(organization) == truth(organization)
