"""A database outage answers 503 with Retry-After, not a 500.

Django turns an uncaught exception into the 500 handler's response while the
exception is still being handled, so the handler can tell a lost database
(retry shortly, nothing is wrong with the request) from a real bug.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import server_error

RETRY_AFTER_SECONDS = 5
# Paths whose callers read JSON: the API, the Delighted-compatible API, the widget.
JSON_PREFIXES = ("/api/", "/delighted/", "/w/")


def server_error_or_unavailable(request: HttpRequest) -> HttpResponse:
    if not isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return server_error(request)
    response = _unavailable(request)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _unavailable(request: HttpRequest) -> HttpResponse:
    message = "The service is briefly unavailable; try again in a few seconds."
    if request.path.startswith(JSON_PREFIXES):
        body = {"code": "unavailable", "message": message, "details": {}}
        return JsonResponse({"error": body}, status=503)
    return HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
