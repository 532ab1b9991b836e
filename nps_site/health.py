"""`GET /healthz`: database, cache, broker and migrations, for probes and humans."""

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

_migrations_ok = False


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except DatabaseError as error:
        return f"error: {error.__class__.__name__}"


def _cache() -> str:
    try:
        cache.set("healthz", "1", 10)
        return "ok" if cache.get("healthz") == "1" else "error: read back failed"
    except Exception as error:  # any backend failure is a finding, not a crash
        return f"error: {error.__class__.__name__}"


def _broker() -> str:
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis"):
        return f"ok ({url.split(':', 1)[0]})"
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1).ping()
        return "ok"
    except redis.RedisError as error:
        return f"error: {error.__class__.__name__}"


def _migrations() -> str:
    global _migrations_ok
    if _migrations_ok:  # applied migrations do not un-apply; skip the graph load
        return "ok"
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        return f"error: {error.__class__.__name__}"
    _migrations_ok = not plan
    return "ok" if not plan else f"pending: {len(plan)}"


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database()}
    checks["migrations"] = _migrations() if checks["database"] == "ok" else "unknown"
    checks["cache"] = _cache()
    checks["broker"] = _broker()
    healthy = all(value.startswith("ok") for value in checks.values())
    status = "ok" if healthy else ("error" if checks["database"] != "ok" else "degraded")
    return JsonResponse(
        {"status": status, "checks": checks}, status=503 if checks["database"] != "ok" else 200
    )
