"""Test settings: Postgres and Redis when configured or found on localhost.

`DATABASE_URL` / `REDIS_URL` unset means "use the local server if one answers";
set to an empty string means "embedded" (SQLite, local-memory cache).
"""

import os
import socket
from urllib.parse import urlsplit, urlunsplit

# Tests run in development mode whatever the shell says.
os.environ.setdefault("DEBUG", "1")


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.3):
            return True
    except OSError:
        return False


if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = (
        "postgres://postgres@127.0.0.1:5432/nps"
        if _answers("127.0.0.1", 5432)
        else "sqlite:///:memory:"
    )
elif not os.environ["DATABASE_URL"]:
    os.environ["DATABASE_URL"] = "sqlite:///:memory:"

if "REDIS_URL" not in os.environ:
    os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/15" if _answers("127.0.0.1", 6379) else ""


def _own_redis_db(url: str, worker: str) -> str:
    """Each parallel test process (pytest -n) gets a Redis database of its own.

    The cache is already kept apart by key prefix, but the Celery broker's
    queues are not: a real worker started by one process would take the tasks
    of the other. Worker gw0 keeps the configured database, gw1 the one below.
    """
    if not url or not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    db = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(db - int(worker[2:])) % 16}"))


os.environ["REDIS_URL"] = _own_redis_db(
    os.environ["REDIS_URL"], os.environ.get("PYTEST_XDIST_WORKER", "")
)

from .base import *  # noqa: E402, F403
from .base import CACHES, REDIS_URL, USES_POSTGRES  # noqa: E402, F401

USES_REDIS = bool(REDIS_URL)
if USES_REDIS:
    CACHES["default"]["KEY_PREFIX"] = f"nps-test-{os.getpid()}"

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
# Tests change surveys behind the ORM's back (QuerySet.update) and expect the
# next request to see it; tests/test_widget_cache.py turns the cache on.
WIDGET_SURVEY_CACHE_SECONDS = 0
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
