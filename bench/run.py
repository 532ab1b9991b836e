"""`make bench`: seed, serve as production does, measure, report.

    python -m bench.run [--scale 1.0] [--output bench/results/latest.json] [--docs]

Creates its own database (dropped at the end), seeds it (see bench.seed),
builds the rollups, starts gunicorn with DEBUG=0 on loopback, drives it with
wrk from another process, measures the back office, rollups, export, import,
the widget in Chromium and the workers' memory, and writes a JSON result file
(and, with --docs, the table of docs/BENCHMARKS.md). Every HTTP figure is given
beside a ceiling measured by the same server in the same run.

Environment: BENCH_SCALE (1.0: 5M answers in the large organization),
BENCH_TENANTS (99 small organizations), BENCH_DATABASE_URL (the server and
the name of the database to create; postgres://nps@127.0.0.1:5432/nps_bench_run),
BENCH_REDIS_URL (redis://127.0.0.1:6379/12), BENCH_SECONDS (15 s per load
run), BENCH_SOAK_SECONDS (300 s of load for the memory figure).
"""

import argparse
import json
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "postgres://nps@127.0.0.1:5432/nps_bench_run"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"


def main(argv: list[str] | None = None) -> int:
    options = _options(argv)
    database_url = _database_url(options.database_url)
    env = _environment(database_url, options.redis_url)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    _create_database(database_url)
    started = time.monotonic()
    try:
        import django

        django.setup()
        from . import measure

        results = measure.everything(
            env=env,
            scale=options.scale,
            tenants=options.tenants,
            seconds=options.seconds,
            soak_seconds=options.soak_seconds,
            browser_loads=options.browser_loads,
            work=Path(tempfile.mkdtemp(prefix="nps-bench-")),
            profiles=Path(options.output).parent / "profiles",
            profile_all=options.profile_all,
        )
    finally:
        _close_connections()
        _drop_database(database_url)
        _clear_cache(options.redis_url, env["CACHE_KEY_PREFIX"])
    results["run"]["wall_seconds"] = round(time.monotonic() - started, 1)
    output = Path(options.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"Results written to {output}")
    from .report import summary_lines, write_docs

    for line in summary_lines(results):
        print(line)
    if options.docs:
        write_docs(results, ROOT / "docs" / "BENCHMARKS.md")
        print("docs/BENCHMARKS.md updated")
    return 0


def _options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    env = os.environ.get
    parser.add_argument("--scale", type=float, default=float(env("BENCH_SCALE", "1")))
    parser.add_argument("--tenants", type=int, default=int(env("BENCH_TENANTS", "99")))
    parser.add_argument("--seconds", type=float, default=float(env("BENCH_SECONDS", "15")))
    parser.add_argument(
        "--soak-seconds", type=float, default=float(env("BENCH_SOAK_SECONDS", "300"))
    )
    parser.add_argument("--browser-loads", type=int, default=int(env("BENCH_BROWSER_LOADS", "10")))
    parser.add_argument("--database-url", default=env("BENCH_DATABASE_URL", DEFAULT_DATABASE))
    parser.add_argument("--redis-url", default=env("BENCH_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--output", default=env("BENCH_OUTPUT", "bench/results/latest.json"))
    parser.add_argument("--docs", action="store_true", help="regenerate docs/BENCHMARKS.md")
    parser.add_argument(
        "--profile-all", action="store_true", help="profile every workload, missed or not"
    )
    return parser.parse_args(argv)


def _database_url(url: str) -> str:
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    if not name.startswith("nps_bench"):
        # The run drops its database at the end: never one that might hold data.
        raise SystemExit(f"The benchmark database must be named nps_bench…, not {name!r}.")
    return url


def _environment(database_url: str, redis_url: str) -> dict[str, str]:
    """Production settings (DEBUG=0), on loopback, with limits out of the way."""
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        # TLS ends at the proxy in front of production, which also redirects.
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database_url,
        "DB_CONN_MAX_AGE": "600",
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": f"nps-bench-{os.getpid()}",
        # One client on one address: the per-IP and per-key budgets would
        # measure the rate limiter's refusals, not the app.
        "WIDGET_RATE_LIMIT_PER_IP": "1000000000/60",
        "WIDGET_RATE_LIMIT_PER_SURVEY": "1000000000/60",
        "API_RATE_LIMIT": "1000000000/minute",
        "LOG_LEVEL": "WARNING",
    }


def _admin_connection(database_url: str) -> Any:
    import psycopg2

    parts = urllib.parse.urlsplit(database_url)
    connection = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=urllib.parse.unquote(parts.username or ""),
        password=urllib.parse.unquote(parts.password or ""),
        dbname="postgres",
    )
    connection.autocommit = True
    return connection


def _create_database(database_url: str) -> None:
    name = urllib.parse.urlsplit(database_url).path.lstrip("/")
    connection = _admin_connection(database_url)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def _drop_database(database_url: str) -> None:
    name = urllib.parse.urlsplit(database_url).path.lstrip("/")
    connection = _admin_connection(database_url)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    connection.close()


def _close_connections() -> None:
    try:
        from django.db import connections

        connections.close_all()
    except Exception:  # noqa: S110 - Django may not have started
        pass


def _clear_cache(redis_url: str, prefix: str) -> None:
    try:
        import redis

        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
    except Exception as error:  # the cache expires on its own anyway
        print(f"Could not clear the benchmark's cache keys: {error}")


# Machine description -------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kb = int(line.split()[1])
    return {
        "host": socket.gethostname(),
        "os": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "wrk": _version(["wrk", "-v"]),
    }


def _version(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return ""
    return (done.stdout + done.stderr).strip().splitlines()[0] if done.stdout or done.stderr else ""


if __name__ == "__main__":
    raise SystemExit(main())
