"""Failed-login counters in Django's cache (Redis when configured).

A counter per email and per client IP starts at the first failure and lives
for LOGIN_LOCKOUT_SECONDS; once either reaches its limit every attempt is
refused, even with the right password, until the counter expires. A success
clears the email's counter (not the IP's: one good account must not unlock a
password-spraying address).
"""

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger(__name__)


def _key(*, scope: str, ident: str) -> str:
    # Hashed: emails and addresses stay out of the cache's key space.
    digest = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"login-fail:{scope}:{digest}"


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the address N trusted proxies appended to X-Forwarded-For."""
    # Same rule and setting as the public widget's rate limit.
    proxies = int(getattr(settings, "WIDGET_TRUSTED_PROXIES", 0))
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if proxies and len(hops) >= proxies:
        return hops[-proxies]
    return str(request.META.get("REMOTE_ADDR", ""))


def _scopes(*, email: str, ip: str) -> list[tuple[str, int]]:
    return [
        (_key(scope="email", ident=email), settings.LOGIN_MAX_FAILURES_PER_EMAIL),
        (_key(scope="ip", ident=ip), settings.LOGIN_MAX_FAILURES_PER_IP),
    ]


def login_locked_out(*, email: str, ip: str) -> bool:
    try:
        counts = cache.get_many([key for key, _ in _scopes(email=email, ip=ip)])
        return any(int(counts.get(key) or 0) >= limit for key, limit in _scopes(email=email, ip=ip))
    except Exception:
        # A cache outage must not lock everyone out of the back office: fail open, loudly.
        logger.exception("login throttle cache unavailable")
        return False


def login_failure_record(*, email: str, ip: str) -> None:
    timeout = settings.LOGIN_LOCKOUT_SECONDS
    for key, _ in _scopes(email=email, ip=ip):
        try:
            if not cache.add(key, 1, timeout=timeout):
                cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=timeout)
        except Exception:
            logger.exception("login throttle cache unavailable")


def login_success_record(*, email: str) -> None:
    try:
        cache.delete(_key(scope="email", ident=email))
    except Exception:
        logger.exception("login throttle cache unavailable")
