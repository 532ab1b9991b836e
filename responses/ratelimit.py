"""Fixed-window request counters in Django's cache (Redis when configured).

Public endpoints take anonymous traffic: a counter per client IP and per survey
caps what one abusive page or script can write.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest

logger = logging.getLogger(__name__)

# (requests, seconds); overridable in settings.
DEFAULT_LIMITS = {
    "WIDGET_RATE_LIMIT_PER_IP": (300, 60),
    "WIDGET_RATE_LIMIT_PER_SURVEY": (20_000, 60),
}


def limit_for(name: str) -> tuple[int, int]:
    limit, window = getattr(settings, name, DEFAULT_LIMITS[name])
    return int(limit), int(window)


def retry_after(*, scope: str, ident: str, limit: int, window: int) -> int | None:
    """Counts one hit; the seconds to wait when over the limit, else None."""
    now = time.time()
    bucket = int(now // window)
    key = f"rl:{scope}:{ident}:{bucket}"
    try:
        count = _hit(key, timeout=window + 5)
    except Exception:
        # A cache outage must not take answers down with it: fail open, loudly.
        logger.exception("rate limit cache unavailable")
        return None
    if count <= limit:
        return None
    return max(1, int((bucket + 1) * window - now))


def _hit(key: str, *, timeout: int) -> int:
    """The counter after this hit. On Redis one round trip: the key is created
    with its expiry if missing, then incremented (every request counts, so
    this is on the path of each widget call)."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        full_key = backend.make_and_validate_key(key)
        client = backend._cache.get_client(full_key, write=True)
        pipe = client.pipeline(transaction=False)
        pipe.set(full_key, 0, ex=timeout, nx=True)
        pipe.incr(full_key)
        return int(pipe.execute()[1])
    try:
        return 1 if cache.add(key, 1, timeout=timeout) else cache.incr(key)
    except ValueError:  # the key expired between add() and incr()
        cache.set(key, 1, timeout=timeout)
        return 1


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the address N trusted proxies appended to X-Forwarded-For."""
    proxies = int(getattr(settings, "WIDGET_TRUSTED_PROXIES", 0))
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if proxies and len(hops) >= proxies:
        return hops[-proxies]
    return str(request.META.get("REMOTE_ADDR", ""))
