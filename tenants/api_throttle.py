"""Rate limits per API key: one noisy integration cannot starve the others."""

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiKey

if TYPE_CHECKING:
    from rest_framework.views import APIView


logger = logging.getLogger(__name__)


class ApiKeyRateThrottle(SimpleRateThrottle):
    """`API_RATE_LIMIT` requests per key; a 429 carries `Retry-After`.

    Counted in the cache (Redis in production), so every web process shares
    one budget per key.
    """

    scope = "api_key"

    def get_rate(self) -> str:
        return str(settings.API_RATE_LIMIT)

    def allow_request(self, request: Request, view: "APIView") -> bool:
        try:
            return super().allow_request(request, view)
        except Exception:
            # Fails open: with the cache down, writes must still be accepted.
            logger.exception("API rate limit cache unavailable")
            return True

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        if not isinstance(request.auth, ApiKey):
            return None  # unauthenticated: refused with 401 before any work
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
