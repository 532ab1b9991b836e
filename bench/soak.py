"""Soak run of the widget endpoints: steady load for minutes, then the books.

1. Creates an organization of its own (the run's marker) with a few surveys,
   in the database named by DATABASE_URL (migrated first).
2. Starts the app as in production (bench.production: gunicorn with 2 sync
   workers, DEBUG=0, Postgres with persistent connections, Redis for the cache
   and rate limits), behind a pretend TLS proxy: WIDGET_TRUSTED_PROXIES=1, and
   every request carries its respondent's own address in X-Forwarded-For and
   X-Forwarded-Proto: https. The rate limits keep their production values, so
   they are counted in Redis on every request, and no respondent or survey
   comes near them (checked before the start).
3. Drives the widget endpoints from a second process on loopback
   (bench/visits.py) at a fixed rate for the given duration, while sampling the
   workers' resident memory from /proc once a second.
4. Checks: every request got the status its endpoint promises (no 4xx, no 5xx,
   no connection error, no wrong prompt decision); gunicorn's access log saw
   the same requests; the server logged no error and replaced no worker; the
   memory of every worker stayed flat after the warm-up; and the database
   holds exactly what was acknowledged: one Response row per 201 answer, with
   the last acknowledged score and comment, one prompt event per 201 display
   or dismissal (and one per answer), one respondent per person seen.
5. Writes the result as JSON, prints a summary, and deletes the organization
   (unless --keep). Exit status 0 only when every check passed.

    DATABASE_URL=postgres://… REDIS_URL=redis://… python -m bench.soak --duration 300
"""

import argparse
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.production import (
    ROOT,
    Server,
    collect_static,
    gunicorn,
    manage,
    production_env,
    stop,
)

ORIGIN = "https://shop.customer.example"
RESULTS = ROOT / "bench" / "results"

SETUP = """
import json, os
from surveys.services import survey_create
from tenants.context import tenant_context
from tenants.models import Organization
run = os.environ["SOAK_RUN"]
org = Organization.objects.create(name=f"Soak {run}", slug=f"soak-{run}")
count = int(os.environ["SOAK_SURVEYS"])
with tenant_context(org):
    keys = [
        survey_create(
            organization=org, kind=kind, name=f"Soak {kind}", product_name="Soak",
            allowed_origins=[os.environ["SOAK_ORIGIN"]],
        ).public_key
        for kind in ("customer", "employee", "partner", "customer")[:count]
    ]
print(json.dumps({"organization": org.pk, "surveys": keys}))
"""

BOOKS = """
import json, os
from django.db.models import Count
from responses.models import PromptEvent, Respondent, Response
from tenants.context import tenant_context
from tenants.models import Organization
org = int(os.environ["SOAK_ORG"])
with tenant_context(Organization.objects.get(pk=org)):
    rows = Response.objects.unscoped().filter(organization_id=org)
    answers = {
        client_id: {"survey": key, "score": score, "comment": comment}
        for client_id, key, score, comment in rows.filter(channel="widget").values_list(
            "client_id", "survey__public_key", "score", "comment"
        )
    }
    events = PromptEvent.objects.unscoped().filter(organization_id=org)
    print(json.dumps({
        "response_rows": rows.count(),
        "answers": answers,
        "events": dict(events.values_list("kind").annotate(n=Count("id")).order_by()),
        "respondents": Respondent.objects.unscoped().filter(organization_id=org).count(),
    }))
"""

CLEANUP = """
import os
from tenants.context import all_tenants
from tenants.models import Organization
with all_tenants():  # the organization's rows go with it
    deleted = Organization.objects.filter(pk=int(os.environ["SOAK_ORG"])).delete()
"""

GUNICORN_INFO = re.compile(r"^\[[^]]+\] \[\d+\] \[INFO\] ")
ACCESS = re.compile(r'"(GET|POST) (/w/\S+|/widget\.js\S*) HTTP/1\.[01]" (\d{3}) ')


@dataclass
class Options:
    database_url: str
    redis_url: str
    duration: float = 300
    rate: float = 40
    concurrency: int = 8
    workers: int = 2
    surveys: int = 3
    warmup: float | None = None  # seconds; default a fifth of the run, at most 60
    max_rss_growth_mb: float = 8
    # The share of the planned requests that must have been sent in the time.
    min_rate_share: float = 0.9
    migrate: bool = True
    keep: bool = False
    out: Path | None = None
    progress: float = 30
    seed: int = field(default_factory=lambda: secrets.randbelow(10**6))
    run_id: str = field(
        default_factory=lambda: datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)
    )
    # The server's logs and the driver's tally; default bench/results/soak-<run>/.
    work: Path | None = None

    @property
    def warmup_seconds(self) -> float:
        return self.warmup if self.warmup is not None else min(60.0, self.duration / 5)


# --- Memory ---------------------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command may hold spaces and parentheses: fields follow the last ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class Sampler(threading.Thread):
    """The resident memory of gunicorn's workers, once every `interval` seconds."""

    def __init__(self, master: int, interval: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.master, self.interval = master, interval
        self.samples: list[dict[str, Any]] = []
        self.done = threading.Event()
        self.started = time.monotonic()

    def run(self) -> None:
        while not self.done.wait(self.interval):
            workers = {pid: rss_mb(pid) for pid in children_of(self.master)}
            at = round(time.monotonic() - self.started, 1)
            rss = {str(pid): round(mb, 2) for pid, mb in workers.items() if mb is not None}
            self.samples.append({"t": at, "rss_mb": rss})


def memory_verdict(
    samples: list[dict[str, Any]], *, warmup: float, max_growth_mb: float
) -> dict[str, Any]:
    """Flat means: for every worker, the median RSS of the last third of the
    samples after the warm-up is at most `max_growth_mb` above that of the first
    third. The same workers must be there from start to end."""
    steady = [s for s in samples if s["t"] >= warmup]
    problems = []
    pids = [set(s["rss_mb"]) for s in samples]
    if not steady or len(steady) < 6:
        problems.append(f"only {len(steady)} memory samples after the warm-up")
    elif any(p != pids[0] for p in pids):
        problems.append("the set of gunicorn workers changed during the run (one was replaced)")
    workers: dict[str, Any] = {}
    if not problems:
        third = len(steady) // 3
        for pid in sorted(steady[0]["rss_mb"]):
            first = statistics.median(s["rss_mb"][pid] for s in steady[:third])
            last = statistics.median(s["rss_mb"][pid] for s in steady[-third:])
            workers[pid] = {
                "start_mb": steady[0]["rss_mb"][pid],
                "first_third_mb": round(first, 2),
                "last_third_mb": round(last, 2),
                "end_mb": steady[-1]["rss_mb"][pid],
                "growth_mb": round(last - first, 2),
            }
            if last - first > max_growth_mb:
                problems.append(
                    f"worker {pid} grew {last - first:.1f} MB (limit {max_growth_mb} MB): "
                    f"{first:.1f} → {last:.1f} MB"
                )
    return {
        "warmup_s": warmup,
        "max_growth_mb": max_growth_mb,
        "workers": workers,
        "problems": problems,
    }


# --- The books ------------------------------------------------------------------------


def books_verdict(load: dict[str, Any], books: dict[str, Any]) -> list[str]:
    """What the database holds against what the server acknowledged."""
    problems = []
    acknowledged, stored = load["answers"], books["answers"]
    if load["answers_created"] != len(acknowledged):
        problems.append(
            f"{load['answers_created']} answers acknowledged as created "
            f"for {len(acknowledged)} answer ids"
        )
    if books["response_rows"] != len(acknowledged):
        problems.append(
            f"{books['response_rows']} Response rows for {len(acknowledged)} acknowledged answers"
        )
    missing = sorted(set(acknowledged) - set(stored))
    extra = sorted(set(stored) - set(acknowledged))
    if missing:
        problems.append(f"{len(missing)} acknowledged answers not stored, e.g. {missing[:3]}")
    if extra:
        problems.append(f"{len(extra)} stored answers never acknowledged, e.g. {extra[:3]}")
    differ = [key for key in set(acknowledged) & set(stored) if acknowledged[key] != stored[key]]
    if differ:
        key = differ[0]
        problems.append(
            f"{len(differ)} answers stored differently from their last acknowledgement, "
            f"e.g. {key}: sent {acknowledged[key]}, stored {stored[key]}"
        )
    acknowledged_events = {**load["events"], "answer": load["answers_created"]}
    expected_events = {kind: n for kind, n in acknowledged_events.items() if n}
    if books["events"] != expected_events:
        problems.append(f"prompt events stored {books['events']}, acknowledged {expected_events}")
    if books["respondents"] != load["respondents"]:
        problems.append(
            f"{books['respondents']} respondents stored for {load['respondents']} people seen"
        )
    return problems


def access_verdict(load: dict[str, Any], access_log: str) -> dict[str, Any]:
    """gunicorn's access log must count the same requests, status by status."""
    served: Counter[str] = Counter()
    for line in access_log.splitlines():
        if match := ACCESS.search(line):
            served[match.group(3)] += 1
    sent: Counter[str] = Counter()
    for call, count in load["calls"].items():
        sent[call.rsplit(" ", 1)[1]] += count
    problems = []
    if served != sent:
        problems.append(f"the access log counts {dict(served)}, sent {dict(sent)}")
    return {"statuses": dict(served), "problems": problems}


def server_log_verdict(log: str) -> dict[str, Any]:
    """Anything but gunicorn's own INFO lines (start, workers booting) is news."""
    unexpected = [line for line in log.splitlines() if line and not GUNICORN_INFO.match(line)]
    problems = [f"{len(unexpected)} unexpected server log lines"] if unexpected else []
    return {"unexpected_lines": unexpected[:20], "problems": problems}


def rate_verdict(load: dict[str, Any], options: Options) -> list[str]:
    problems = []
    if load["errors"]:
        problems.append(f"{load['errors']} errors: {load['error_samples'][:3]}")
    expected = options.rate * options.duration
    if load["requests"] < options.min_rate_share * expected:
        problems.append(
            f"{load['requests']} requests, below {options.min_rate_share:.0%} of the "
            f"{expected:.0f} planned: the server (or this machine) did not keep up"
        )
    return problems


# --- The run --------------------------------------------------------------------------


def rate_limit(name: str, default: str) -> tuple[int, int]:
    count, _, seconds = os.environ.get(name, default).partition("/")
    return int(count), int(seconds or 60)


def check_limits(options: Options) -> None:
    """Refuses a plan that would meet the widget's rate limits: the soak measures
    the app, not its refusals."""
    count, seconds = rate_limit("WIDGET_RATE_LIMIT_PER_SURVEY", "20000/60")
    per_survey = options.rate / options.surveys * seconds
    if per_survey > count / 2:
        raise SystemExit(
            f"{per_survey:.0f} requests per survey in {seconds} s would come near "
            f"WIDGET_RATE_LIMIT_PER_SURVEY ({count}): use more surveys or a lower rate"
        )
    count, seconds = rate_limit("WIDGET_RATE_LIMIT_PER_IP", "300/60")
    if count < 60:  # one person makes at most ~6 requests a visit and returns a few times
        raise SystemExit(f"WIDGET_RATE_LIMIT_PER_IP={count}/{seconds} is too low for a soak")


def shell(env: dict[str, str], script: str, **variables: str) -> dict[str, Any]:
    output = manage({**env, **variables}, "shell", "--no-imports", "-c", script).strip()
    return json.loads(output) if output else {}


def drive(server: Server, options: Options, surveys: list[str], work: Path) -> dict[str, Any]:
    """Runs bench.visits in its own process while sampling the workers' memory."""
    tally = work / "load.json"
    command = [sys.executable, "-m", "bench.visits", "--base", server.base]
    command += ["--surveys", ",".join(surveys), "--origin", ORIGIN]
    command += ["--rate", str(options.rate), "--duration", str(options.duration)]
    command += ["--max-requests", str(int(options.rate * options.duration) + 1)]
    command += ["--concurrency", str(options.concurrency), "--seed", str(options.seed)]
    command += ["--progress", str(options.progress), "--out", str(tally)]
    sampler = Sampler(server.process.pid)
    sampler.start()
    driver = subprocess.Popen(command, cwd=ROOT)
    try:
        driver.wait(timeout=options.duration + 60)
    except subprocess.TimeoutExpired:
        stop(driver, grace=5)
        raise RuntimeError("the load driver did not stop by itself") from None
    finally:
        sampler.done.set()
        sampler.join()
    if driver.returncode != 0:
        raise RuntimeError(f"the load driver failed with status {driver.returncode}")
    load: dict[str, Any] = json.loads(tally.read_text())
    load["memory_samples"] = sampler.samples
    return load


def run(options: Options) -> dict[str, Any]:
    check_limits(options)
    run_id = options.run_id
    work = options.work or RESULTS / f"soak-{run_id}"
    work.mkdir(parents=True, exist_ok=True)
    env = production_env(
        database_url=options.database_url,
        redis_url=options.redis_url,
        WIDGET_TRUSTED_PROXIES="1",
        CACHE_KEY_PREFIX=f"nps-soak-{run_id}",
        # Collected once and kept: another server's collectstatic must not
        # rewrite the files this one reads.
        STATIC_ROOT=str(ROOT / ".run" / "soak-static"),
    )
    if options.migrate:
        manage(env, "migrate", "--noinput")
    collect_static(env, if_missing=True)
    data = shell(env, SETUP, SOAK_RUN=run_id, SOAK_ORIGIN=ORIGIN, SOAK_SURVEYS=str(options.surveys))
    organization = str(data["organization"])
    started = datetime.now(UTC)
    load_before = os.getloadavg()
    try:
        access, log = work / "access.log", work / "server.log"
        with gunicorn(env, workers=options.workers, access_log=access, log=log) as server:
            load = drive(server, options, data["surveys"], work)
            books = shell(env, BOOKS, SOAK_ORG=organization)
            server_log = server_log_verdict(log.read_text(errors="replace"))
        served = access_verdict(load, access.read_text(errors="replace"))
    finally:
        if not options.keep:
            shell(env, CLEANUP, SOAK_ORG=organization)
    samples = load.pop("memory_samples")
    memory = memory_verdict(
        samples, warmup=options.warmup_seconds, max_growth_mb=options.max_rss_growth_mb
    )
    problems = [
        *rate_verdict(load, options),
        *books_verdict(load, books),
        *served["problems"],
        *server_log["problems"],
        *memory["problems"],
    ]
    acknowledged = load.pop("answers")
    result = {
        "passed": not problems,
        "problems": problems,
        "run": run_id,
        "started_at": started.isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "load_average_before": load_before},
        "options": {
            "duration_s": options.duration,
            "rate": options.rate,
            "concurrency": options.concurrency,
            "gunicorn_workers": options.workers,
            "surveys": options.surveys,
            "seed": options.seed,
        },
        "load": load,
        "database": {
            "response_rows": books["response_rows"],
            "answers_acknowledged": len(acknowledged),
            "events": books["events"],
            "respondents": books["respondents"],
        },
        "access_log": served,
        "server_log": server_log,
        "memory": {**memory, "samples": samples},
        "logs": str(work),
        "kept_organization": organization if options.keep else None,
    }
    if options.out is not None:
        options.out.parent.mkdir(parents=True, exist_ok=True)
        options.out.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    return result


def summary(result: dict[str, Any]) -> str:
    load, db, memory = result["load"], result["database"], result["memory"]
    latency = load["latency_ms"]
    lines = [
        f"soak {result['run']}: {'PASSED' if result['passed'] else 'FAILED'}",
        f"  {load['requests']} requests in {load['elapsed_s']} s: {load['achieved_rate']}/s "
        f"(target {load['target_rate']}/s; 10 s windows {load['rate_per_10s']['min']} to "
        f"{load['rate_per_10s']['max']}/s; {load['pacing']['slots_late_over_1s']} sent over "
        f"1 s late), {load['errors']} errors",
        "  " + ", ".join(f"{call}: {count}" for call, count in load["calls"].items()),
        "  latency p50/p99 ms: "
        + ", ".join(f"{call} {v['p50']}/{v['p99']}" for call, v in sorted(latency.items())),
        f"  answers: {db['answers_acknowledged']} acknowledged, {db['response_rows']} rows; "
        f"events {db['events']}; respondents {db['respondents']}",
    ]
    for pid, worker in memory["workers"].items():
        lines.append(
            f"  worker {pid}: RSS {worker['start_mb']} → {worker['end_mb']} MB "
            f"(thirds {worker['first_third_mb']} → {worker['last_third_mb']}, "
            f"growth {worker['growth_mb']} MB)"
        )
    lines += [f"  problem: {problem}" for problem in result["problems"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=300, help="seconds of load")
    parser.add_argument("--rate", type=float, default=40, help="requests per second")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--surveys", type=int, default=3, choices=range(1, 5))
    parser.add_argument("--warmup", type=float, help="seconds left out of the memory check")
    parser.add_argument("--max-rss-growth-mb", type=float, default=8)
    parser.add_argument("--progress", type=float, default=30, help="seconds between reports")
    parser.add_argument("--keep", action="store_true", help="keep the run's organization")
    parser.add_argument("--out", type=Path, help="the JSON result (default bench/results/)")
    args = parser.parse_args(argv)
    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres") or not redis_url.startswith("redis"):
        raise SystemExit("set DATABASE_URL (PostgreSQL) and REDIS_URL: the soak runs on both")
    options = Options(
        database_url=database_url,
        redis_url=redis_url,
        duration=args.duration,
        rate=args.rate,
        concurrency=args.concurrency,
        workers=args.workers,
        surveys=args.surveys,
        warmup=args.warmup,
        max_rss_growth_mb=args.max_rss_growth_mb,
        keep=args.keep,
        progress=args.progress,
        out=args.out,
    )
    options.out = options.out or RESULTS / f"soak-{options.run_id}.json"
    result = run(options)
    print(summary(result))
    print(f"  result: {options.out}")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
