"""Settings are read from the environment; each case runs in a fresh process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "engine": s.DATABASES["default"]["ENGINE"],
    "conn_max_age": s.DATABASES["default"].get("CONN_MAX_AGE", 0),
    "cache": s.CACHES["default"]["BACKEND"],
    "broker": s.CELERY_BROKER_URL,
    "email": s.EMAIL_BACKEND,
    "debug": s.DEBUG,
    "secure_cookies": s.SESSION_COOKIE_SECURE,
}))
"""
SETTING_VARS = {
    "DATABASE_URL",
    "REDIS_URL",
    "DEBUG",
    "SECRET_KEY",
    "EMAIL_URL",
    "CELERY_BROKER_URL",
    "WIDGET_RATE_LIMIT_PER_IP",
    "WIDGET_RATE_LIMIT_PER_SURVEY",
    "WIDGET_TRUSTED_PROXIES",
}


def run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in SETTING_VARS}
    clean["DJANGO_SETTINGS_MODULE"] = "nps_site.settings.base"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def settings_with(**env: str) -> dict[str, object]:
    result = run(PRINT_SETTINGS, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_it_runs_on_embedded_defaults_when_nothing_is_set() -> None:
    s = settings_with()
    assert s["engine"] == "django.db.backends.sqlite3"
    assert s["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert s["broker"] == "filesystem://"
    assert s["email"] == "django.core.mail.backends.console.EmailBackend"
    assert s["debug"] is True


def test_it_uses_postgres_with_persistent_connections_and_redis_when_told() -> None:
    s = settings_with(DATABASE_URL="postgres://u@db:5432/nps", REDIS_URL="redis://cache:6379/0")
    assert s["engine"] == "tenants.postgres"  # Django's, plus row-level security
    assert isinstance(s["conn_max_age"], int) and s["conn_max_age"] > 0
    assert s["cache"] == "nps_site.cache.RedisCache"
    assert s["broker"] == "redis://cache:6379/0"


def test_it_refuses_to_start_in_production_without_a_secret_key() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k not in SETTING_VARS}, "DEBUG": "0"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG=0" in result.stderr


def test_it_hardens_cookies_in_production() -> None:
    s = settings_with(DEBUG="0", SECRET_KEY="x" * 50)
    assert s["debug"] is False
    assert s["secure_cookies"] is True


@pytest.mark.parametrize("url", ["smtp://user:pass@mail.example.com:587"])
def test_it_reads_the_email_server_from_email_url(url: str) -> None:
    assert settings_with(EMAIL_URL=url)["email"] == "django.core.mail.backends.smtp.EmailBackend"


WIDGET_LIMITS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps(
    [s.WIDGET_RATE_LIMIT_PER_IP, s.WIDGET_RATE_LIMIT_PER_SURVEY, s.WIDGET_TRUSTED_PROXIES]
))
"""


def test_it_reads_the_widget_rate_limits_from_the_environment() -> None:
    assert json.loads(run(WIDGET_LIMITS).stdout) == [[300, 60], [20000, 60], 0]
    custom = run(
        WIDGET_LIMITS,
        WIDGET_RATE_LIMIT_PER_IP="50/10",
        WIDGET_RATE_LIMIT_PER_SURVEY="900",
        WIDGET_TRUSTED_PROXIES="1",
    )
    assert json.loads(custom.stdout) == [[50, 10], [900, 60], 1]


def test_it_refuses_a_rate_limit_it_cannot_read() -> None:
    result = run(WIDGET_LIMITS, WIDGET_RATE_LIMIT_PER_IP="lots")
    assert result.returncode != 0
    assert "WIDGET_RATE_LIMIT_PER_IP must look like 300/60" in result.stderr


def test_it_takes_an_empty_database_url_for_the_embedded_default() -> None:
    assert settings_with(DATABASE_URL="")["engine"] == "django.db.backends.sqlite3"


def test_parallel_test_processes_each_get_a_redis_database_of_their_own() -> None:
    from nps_site.settings.test import _own_redis_db

    url = "redis://127.0.0.1:6379/15"
    assert _own_redis_db(url, "gw0") == url
    assert _own_redis_db(url, "gw1") == "redis://127.0.0.1:6379/14"
    assert _own_redis_db("redis://cache:6379", "gw2") == "redis://cache:6379/14"


def test_a_single_test_process_or_the_embedded_run_keeps_its_redis_url() -> None:
    from nps_site.settings.test import _own_redis_db

    assert _own_redis_db("redis://127.0.0.1:6379/15", "") == "redis://127.0.0.1:6379/15"
    assert _own_redis_db("", "gw1") == ""
