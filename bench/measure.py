"""Every figure of the suite, in the order `make bench` takes them."""

import datetime as dt
import gzip
import http.client
import json
import statistics
import time
import traceback
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from responses.assets import widget_asset
from responses.models import Respondent
from responses.tokens import respondent_token
from rollups.selectors import organizations_due
from rollups.services import rollups_refresh, rollups_refresh_together
from surveys.models import Survey
from surveys.services import survey_create
from tenants.context import all_tenants, tenant_context
from tenants.models import Organization
from tenants.services import api_key_create

from . import browser, load, profiles, report, seed
from .memory import MemorySampler
from .production import gunicorn
from .run import machine

TOKENS = 20_000
EXPORT_ROWS = 1_000_000
IMPORT_ROWS = 200_000


@dataclass
class Context:
    data: seed.Dataset
    work: Path
    tokens: Path
    cookie: str
    api_key: str


def everything(
    *,
    env: dict[str, str],
    scale: float,
    tenants: int,
    seconds: float,
    soak_seconds: float,
    browser_loads: int,
    work: Path,
    profiles: Path,
    profile_all: bool = False,
) -> dict[str, Any]:
    results: dict[str, Any] = {
        "run": {
            "date": timezone.now().isoformat(timespec="seconds"),
            "scale": scale,
            "tenants": tenants + 1,
            "seconds_per_load_run": seconds,
            "soak_seconds": soak_seconds,
        },
        "machine": {**machine(), **_services()},
    }
    figures: dict[str, Any] = {}
    results["figures"] = figures
    _step("migrating")
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    migrated = time.monotonic() - started
    _step(f"seeding at scale {scale}")
    data = seed.seed(scale=scale, small_tenants=tenants)
    results["seed"] = {
        "migrate_seconds": round(migrated, 1),
        "rows": data.rows,
        "seconds": {name: round(value, 1) for name, value in data.seconds.items()},
        "big_organization_responses": data.big.responses,
        "small_organization_responses": data.small[0].responses if data.small else 0,
    }
    _step("rollups: full build")
    _measure(figures, "rollups_full", rollups_full, data)
    context = _prepare(data, work)
    log, access_log = work / "gunicorn.log", work / "gunicorn.access.log"
    # The Dockerfile's command: two sync workers, a 300 s timeout, an access log.
    for stale in profiles.glob("*.txt"):  # an earlier run's
        stale.unlink()
    # The widget's and the back office's work is profiled right after its
    # figure, in the same state of the data (later steps write thousands of
    # answers today); the profiles of targets that pass are dropped at the end.
    taken: dict[str, Any] = {}
    with gunicorn(env, workers=2, timeout=300, access_log=access_log, log=log) as server:
        _step("widget and ceilings under wrk")
        _measure(figures, "", widget_http, server.base, context, seconds)
        taken |= _profile_now(context, scale, profiles, "widget_answer", "widget_config")
        _step("back office: rollups against raw rows")
        _measure(figures, "backoffice", backoffice, server.base, context, seconds)
        taken |= _profile_now(context, scale, profiles, *report.BACKOFFICE)
        _step("CSV export")
        _measure(figures, "export", export, server, context, scale)
        _step("widget in Chromium")
        _measure(figures, "widget_browser", widget_browser, server.base, context, browser_loads)
        _step(f"memory under {soak_seconds:.0f} s of load")
        _measure(figures, "memory", soak, server, context, soak_seconds)
    _step("rollups: incremental")
    _measure(figures, "rollups_incremental", rollups_incremental, data)
    _step("Delighted import")
    _measure(figures, "import", delighted_import, data, work, scale)
    _measure(figures, "widget_size", widget_size)
    results["targets"] = report.targets(figures, big_responses=data.big.responses)
    _step("profiles of the missed targets")
    results["profiles"] = missed_profiles(
        results["targets"], context, scale, directory=profiles, taken=taken, every=profile_all
    )
    return results


def _measure(figures: dict[str, Any], name: str, function: Any, *args: Any) -> None:
    """One figure (several when `name` is empty); a failure is recorded and the
    run goes on, so one broken measurement does not lose the others."""
    try:
        value = function(*args)
    except Exception as error:
        traceback.print_exc()
        figures[name or function.__name__] = {"error": f"{type(error).__name__}: {error}"}
        return
    if name:
        figures[name] = value
    else:
        figures.update(value)


def _step(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _services() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    import django
    import gunicorn as gunicorn_package
    import redis

    info = redis.Redis.from_url(settings.REDIS_URL).info("server")
    return {
        "postgres": postgres,
        "redis": str(info.get("redis_version", "")),
        "django": django.get_version(),
        "gunicorn": gunicorn_package.__version__,
        "server": "gunicorn, 2 sync workers (the Dockerfile's command), DEBUG=0",
    }


def _prepare(data: seed.Dataset, work: Path) -> Context:
    big = data.big
    organization = Organization.objects.get(pk=big.organization_id)
    with tenant_context(organization):
        survey = Survey.objects.get(pk=big.survey_id)
    step = max(1, big.respondents // TOKENS)
    tokens = work / "tokens.txt"
    with tokens.open("w") as handle:
        for offset in range(0, big.respondents, step):
            person = Respondent(pk=big.first_respondent_id + offset)
            handle.write(respondent_token(survey=survey, respondent=person) + "\n")
    client = Client()
    client.force_login(get_user_model().objects.get(email=data.user_email))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    _, key = api_key_create(organization=organization, name="benchmark", read_only=True)
    return Context(data=data, work=work, tokens=tokens, cookie=cookie, api_key=key)


# Rollups ---------------------------------------------------------------------------


def _organizations(data: seed.Dataset) -> list[Organization]:
    ids = [tenant.organization_id for tenant in data.tenants]
    return list(Organization.objects.filter(pk__in=ids).order_by("pk"))


def rollups_full(data: seed.Dataset) -> dict[str, Any]:
    """Every organization's first refresh: a recompute of all its days."""
    times = []
    for organization in _organizations(data):
        started = time.monotonic()
        rollups_refresh(organization=organization)
        times.append(time.monotonic() - started)
    rows = data.rows.get("Response", 0) + data.rows.get("PromptEvent", 0)
    return {
        "seconds": round(sum(times), 2),
        "largest_organization_seconds": round(times[0], 2),
        "rows": rows,
        "rows_per_second": round(rows / sum(times)),
    }


def rollups_incremental(data: seed.Dataset) -> dict[str, Any]:
    """Beat's tick as one worker runs it (`rollups.tasks.refresh_all`). First
    the tick after the load (the large organization and the ceilings' have
    written today), then after a day's worth of answers written in every
    organization, then the tick after that (nothing new, but the 5-minute
    overlap is read again)."""
    after_load = tick()
    written = seed.day_of_answers(data)
    every = tick()
    again = tick()
    return {
        "organizations": len(data.tenants),
        "after_load": after_load,
        "day_answers_written": written,
        "every_organization": every,
        "next_tick": again,
    }


def tick() -> dict[str, Any]:
    """`refresh_all`'s steps, timed: the organizations due, those with complete
    rollups refreshed together, then each of the others (a first rebuild) in
    turn, as the worker runs the tasks the tick enqueues for them."""
    started = time.monotonic()
    with all_tenants():
        due = organizations_due(now=timezone.now())
        found = time.monotonic()
        alone = rollups_refresh_together(organization_ids=due)
    together = time.monotonic()
    times = []
    for organization in Organization.objects.filter(pk__in=alone).order_by("pk"):
        begun = time.monotonic()
        rollups_refresh(organization=organization)
        times.append(time.monotonic() - begun)
    return {
        "due": len(due),
        "ms": round((time.monotonic() - started) * 1000, 1),
        "selection_ms": round((found - started) * 1000, 1),
        "together": len(due) - len(alone),
        "together_ms": round((together - found) * 1000, 1),
        "alone": len(alone),
        "largest_refresh_ms": round(max(times, default=0) * 1000, 1),
        "median_refresh_ms": round(statistics.median(times) * 1000, 2) if times else 0.0,
    }


# The widget's endpoints and the ceilings ----------------------------------------------


def widget_http(url: str, context: Context, seconds: float) -> dict[str, Any]:
    """The ceilings and the figures, interleaved so noise hits them alike."""
    big, origin = context.data.big, seed.ORIGIN
    runs = {
        "ceiling_json": lambda: load.wrk(f"{url}/bench/json", script="get.lua", seconds=seconds),
        "widget_config": lambda: load.wrk(
            f"{url}/w/{big.public_key}/config",
            script="config.lua",
            args=[str(big.respondents), origin],
            seconds=seconds,
        ),
        "ceiling_insert": lambda: load.wrk(
            f"{url}/bench/insert/{context.data.ceiling.public_key}",
            script="insert.lua",
            seconds=seconds,
        ),
        "widget_answer": lambda: load.wrk(
            f"{url}/w/{big.public_key}/answer",
            script="answer.lua",
            args=[str(context.tokens), origin, "a" + str(int(time.time()))],
            seconds=seconds,
        ),
    }
    return {name: run().as_dict() for name, run in runs.items()}


# Back office -------------------------------------------------------------------------


def _backoffice_urls(context: Context) -> dict[str, str]:
    big = context.data.big
    year = f"range=365&survey={big.survey_id}"
    return {
        "overview": f"/o/{big.slug}/?{year}",
        "trend_page": f"/o/{big.slug}/trend/?{year}&granularity=week",
        "api_metrics": f"/api/v1/metrics?{year}",
        "api_trend": f"/api/v1/metrics/trend?{year}&granularity=week",
    }


def backoffice(url: str, context: Context, seconds: float) -> dict[str, Any]:
    """Each page and API call for the large survey over a year, one request at a
    time (so latency is server time), against the same call counted from raw rows."""
    results = {}
    for name, path in _backoffice_urls(context).items():
        header = (
            f"Authorization: Bearer {context.api_key}"
            if path.startswith("/api/")
            else f"Cookie: {settings.SESSION_COOKIE_NAME}={context.cookie}"
        )
        served = load.wrk(
            url + path,
            script="get.lua",
            args=[header],
            seconds=seconds,
            connections=1,
            threads=1,
        )
        raw = _raw_seconds(path, context)
        results[name] = {
            **served.as_dict(),
            "path": path,
            "raw_ms": round(raw * 1000, 1),
            "speedup_p50": round(raw * 1000 / served.p50_ms, 1) if served.p50_ms else None,
        }
    return results


def _signed_in(context: Context, path: str) -> tuple[Client, dict[str, str]]:
    """A test client for `path`: the API key for the API, the session otherwise."""
    client = Client(HTTP_HOST="127.0.0.1")
    headers: dict[str, str] = {}
    if path.startswith("/api/"):
        headers["HTTP_AUTHORIZATION"] = f"Bearer {context.api_key}"
    else:
        client.cookies[settings.SESSION_COOKIE_NAME] = context.cookie
    return client, headers


def _raw_seconds(path: str, context: Context, repeats: int = 2) -> float:
    """The same request in this process with the rollups switched off: every
    number counted from raw rows. The best of `repeats`, after a warm-up."""
    client, headers = _signed_in(context, path)
    times = []
    with override_settings(ROLLUPS_ENABLED=False):
        for attempt in range(repeats + 1):
            started = time.monotonic()
            answer = client.get(path, **headers)
            elapsed = time.monotonic() - started
            if answer.status_code != 200:
                raise RuntimeError(f"{path} answered {answer.status_code}")
            if attempt:
                times.append(elapsed)
    return min(times)


# CSV export --------------------------------------------------------------------------


def export(server: Any, context: Context, scale: float) -> dict[str, Any]:
    """The back office's export of about a million answers of the large
    organization, read as fast as the server sends it; workers' memory sampled."""
    big = context.data.big
    wanted = max(1000, round(EXPORT_ROWS * scale))
    days = max(1, round(seed.DAYS * wanted / big.responses))
    last = dt.date.today() - dt.timedelta(days=1)
    first = last - dt.timedelta(days=days - 1)
    query = urllib.parse.urlencode(
        {"range": "custom", "from": first.isoformat(), "to": last.isoformat()}
    )
    path = f"/o/{big.slug}/responses/export.csv?{query}&survey={big.survey_id}"
    parts = urllib.parse.urlsplit(server.base)
    with MemorySampler(server, interval=0.2) as memory:
        before = memory.server.rss_mb()
        started = time.monotonic()
        link = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        link.request(
            "GET", path, headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={context.cookie}"}
        )
        answer = link.getresponse()
        if answer.status != 200:
            raise RuntimeError(f"export answered {answer.status}")
        lines = size = 0
        while chunk := answer.read(1 << 16):
            lines += chunk.count(b"\n")
            size += len(chunk)
        elapsed = time.monotonic() - started
        link.close()
    rows = lines - 1  # the header
    totals = memory.totals()
    return {
        "rows": rows,
        "seconds": round(elapsed, 2),
        "rows_per_second": round(rows / elapsed),
        "megabytes": round(size / 1e6, 1),
        "workers_rss_mb_before": round(sum(before.values()), 1),
        "workers_rss_mb_peak": round(max(totals, default=0), 1),
        "worker_rss_mb_peak": round(memory.peak_worker(), 1),
        "rss_growth_mb": round(max(totals, default=0) - sum(before.values()), 1),
    }


# Widget in the browser, and its size ------------------------------------------------------


def widget_size() -> dict[str, Any]:
    asset = widget_asset()
    return {
        "bytes": len(asset.body),
        "gzipped_bytes": len(asset.gzipped),
        "gzip_check_bytes": len(gzip.compress(asset.body, compresslevel=9)),
    }


def widget_browser(url: str, context: Context, loads: int) -> dict[str, Any]:
    big = context.data.big
    with browser.host_page(app=url, key=big.public_key) as page_url:
        organization = Organization.objects.get(pk=big.organization_id)
        with tenant_context(organization):
            survey = Survey.objects.get(pk=big.survey_id)
            survey.allowed_origins = [*survey.allowed_origins, page_url]
            survey.save(update_fields=["allowed_origins", "updated_at"])
        # The server's workers see the new origin once their cached survey expires.
        time.sleep(settings.WIDGET_SURVEY_CACHE_SECONDS)
        return browser.prompt_times(page_url=page_url, loads=loads)


# Memory under load ------------------------------------------------------------------------


def soak(server: Any, context: Context, seconds: float) -> dict[str, Any]:
    """The widget's traffic for `seconds`; the workers' memory every few seconds.
    Flat: the last tenth of the samples within 10 % (and 15 MB) of the first tenth."""
    big = context.data.big
    interval = max(0.5, seconds / 60)
    with MemorySampler(server, interval=interval) as memory:
        run = load.wrk(
            f"{server.base}/w/{big.public_key}/answer",
            script="mixed.lua",
            args=[
                str(context.tokens),
                seed.ORIGIN,
                "m" + str(int(time.time())),
                str(big.respondents),
                f"/w/{big.public_key}/config",
            ],
            seconds=seconds,
            warmup=0,
        )
    totals = memory.totals()
    tenth = max(1, len(totals) // 10)
    start, end = statistics.mean(totals[:tenth]), statistics.mean(totals[-tenth:])
    growth = end - start
    return {
        **run.as_dict(),
        "samples": len(totals),
        "workers_rss_mb_start": round(start, 1),
        "workers_rss_mb_end": round(end, 1),
        "workers_rss_mb_max": round(max(totals), 1),
        "growth_mb": round(growth, 1),
        "growth_percent": round(100 * growth / start, 1) if start else 0.0,
        "flat": growth <= max(0.10 * start, 15.0),
        "series_mb": [round(x, 1) for x in totals],
    }


# Delighted import -------------------------------------------------------------------------


def delighted_import(data: seed.Dataset, work: Path, scale: float) -> dict[str, Any]:
    """The import command's work (check the whole file, then import it) into a new
    survey of a small organization, from a file on disk."""
    from importer.services import file_check, file_import

    from .delighted import write_export

    rows = max(500, round(IMPORT_ROWS * scale))
    path = write_export(work / "delighted.csv", rows=rows, people=max(1, rows // 4))
    tenant = data.small[0] if data.small else data.big
    organization = Organization.objects.get(pk=tenant.organization_id)
    with tenant_context(organization):
        survey = survey_create(organization=organization, kind="customer", name="Imported")
        started = time.monotonic()
        with path.open("rb") as stream:
            check = file_check(stream=stream)
            checked = time.monotonic()
            if not check.ok:
                raise RuntimeError(f"the generated export has errors: {check.errors[:3]}")
            counts = file_import(survey=survey, check=check)
        elapsed = time.monotonic() - started
    return {
        "rows": rows,
        "imported": counts.imported,
        "seconds": round(elapsed, 2),
        "check_seconds": round(checked - started, 2),
        "rows_per_second": round(rows / elapsed),
        "megabytes": round(path.stat().st_size / 1e6, 1),
    }


# Profiles of the missed targets -----------------------------------------------------------


def missed_profiles(
    targets: list[dict[str, Any]],
    context: Context,
    scale: float,
    *,
    directory: Path,
    taken: dict[str, Any],
    every: bool = False,
) -> dict[str, Any]:
    """A profile of the workload behind each missed target (see bench/profiles.py):
    those `taken` during the run, the others now; the rest are dropped. `every`:
    all of them, missed or not."""
    wanted = {target["profile"] for target in targets if every or not target["passed"]} - {""}
    for name in set(taken) - wanted:
        (directory / f"{name}.txt").unlink(missing_ok=True)
    later = [work for work in _workloads(context, scale) if work.name in wanted - set(taken)]
    found = {name: taken[name] for name in sorted(wanted & set(taken))}
    return found | profiles.record_each(later, directory=directory)


def _profile_now(context: Context, scale: float, directory: Path, *names: str) -> dict[str, Any]:
    workloads = [work for work in _workloads(context, scale) if work.name in names]
    return profiles.record_each(workloads, directory=directory)


def _workloads(context: Context, scale: float) -> list[profiles.Workload]:
    big, origin = context.data.big, seed.ORIGIN
    widget = Client(HTTP_HOST="127.0.0.1", HTTP_ORIGIN=origin)
    tokens = context.tokens.read_text().split()
    sent = iter(range(1, 1 << 62))

    def answer() -> None:
        n = next(sent)
        body = {"token": tokens[n % len(tokens)], "id": f"p{time.time_ns()}", "score": n % 11}
        _ok(widget.post(f"/w/{big.public_key}/answer", json.dumps(body), "text/plain"))

    def config() -> None:
        person = next(sent) * 7919 % big.respondents + 1
        body = {"anonymous_id": f"anon{person:016d}", "trigger": "auto", "language": "en"}
        _ok(widget.post(f"/w/{big.public_key}/config", json.dumps(body), "text/plain"))

    found = [
        profiles.Workload("widget_answer", "Widget answer POST", answer, times=500),
        profiles.Workload("widget_config", "Widget config + prompt decision", config, times=1000),
        profiles.Workload(
            "rollups_tick",
            "Rollups: beat's tick after a day of answers in every organization",
            tick,
            times=1,
            prepare=lambda: seed.day_of_answers(context.data, tag="profiled"),
            warm=False,
        ),
        _import_workload(context, scale),
        _export_workload(context, scale),
    ]
    for name, path in _backoffice_urls(context).items():
        found.append(
            profiles.Workload(name, report.BACKOFFICE[name], _getter(context, path), times=20)
        )
    return found


def _getter(context: Context, path: str) -> Any:
    client, headers = _signed_in(context, path)
    return lambda: _ok(client.get(path, **headers))


def _import_workload(context: Context, scale: float) -> profiles.Workload:
    from importer.services import file_check, file_import

    from .delighted import write_export

    rows = max(500, round(IMPORT_ROWS * scale / 4))
    path = context.work / "profiled.csv"
    tenant = context.data.small[0] if context.data.small else context.data.big

    def run() -> None:
        organization = Organization.objects.get(pk=tenant.organization_id)
        with tenant_context(organization), path.open("rb") as stream:
            survey = survey_create(organization=organization, kind="customer", name="Profiled")
            file_import(survey=survey, check=file_check(stream=stream))

    return profiles.Workload(
        "delighted_import",
        f"Delighted CSV import of {rows:,} rows (check + import)",
        run,
        times=1,
        prepare=lambda: write_export(path, rows=rows, people=max(1, rows // 4)),
        warm=False,
    )


def _export_workload(context: Context, scale: float) -> profiles.Workload:
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies[settings.SESSION_COOKIE_NAME] = context.cookie
    big = context.data.big
    days = max(1, round(seed.DAYS * max(1000, EXPORT_ROWS * scale / 10) / big.responses))
    last = dt.date.today() - dt.timedelta(days=1)
    first = last - dt.timedelta(days=days - 1)
    query = urllib.parse.urlencode(
        {"range": "custom", "from": first.isoformat(), "to": last.isoformat()}
    )
    path = f"/o/{big.slug}/responses/export.csv?{query}&survey={big.survey_id}"

    def run() -> None:
        answer = _ok(client.get(path))
        for _ in answer.streaming_content:
            pass

    return profiles.Workload("csv_export", "CSV export, a tenth of the figure's rows", run, times=1)


def _ok(answer: Any) -> Any:
    if answer.status_code >= 300:
        raise RuntimeError(f"{answer.request['PATH_INFO']} answered {answer.status_code}")
    return answer
