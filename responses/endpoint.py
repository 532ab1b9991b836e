"""What every public widget endpoint does before its own work.

Order matters: cheap refusals first (size, then the per-IP and per-survey-key
rates, counted together), then the survey and its allowed origins, so a
forbidden page never reaches the database writes.
CORS headers name only the survey's allowed origins; any other Origin is
refused outright, since a script without a browser ignores CORS headers.
"""

import functools
import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from surveys.models import Survey
from surveys.selectors import MAX_PUBLIC_KEY, origin_allowed, widget_survey
from tenants.context import tenant_context

from . import payloads, ratelimit
from .errors import WidgetError

# A comment of 5,000 characters fits several times over.
MAX_BODY_BYTES = 32 * 1024
PREFLIGHT_MAX_AGE = 86_400
# What surveys.services generates (URL-safe base64); longer keys are never looked up.
_PUBLIC_KEY = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_PUBLIC_KEY}}}")

Handler = Callable[..., JsonResponse]


def widget_endpoint(handler: Handler) -> Callable[[HttpRequest, str], HttpResponse]:
    """Runs `handler(request, survey=…, body=…)` in the survey's tenant context.

    No cookies are read or set and CSRF does not apply: the caller is any
    page of an allowed origin, identified by the body, never by a session.
    """

    @csrf_exempt
    @functools.wraps(handler)
    def view(request: HttpRequest, public_key: str) -> HttpResponse:
        try:
            survey, origin = _admit(request, public_key)
        except WidgetError as error:
            return _vary(error.as_response())
        try:
            response = _dispatch(request, survey, handler)
        except WidgetError as error:
            response = error.as_response()
        return _cors(response, origin)

    view.widget_endpoint = True  # type: ignore[attr-defined]
    return view


def is_widget_endpoint(view: Callable[..., HttpResponse]) -> bool:
    """Whether `view` was made by `widget_endpoint` (responses.middleware)."""
    return getattr(view, "widget_endpoint", False) is True


def _admit(request: HttpRequest, public_key: str) -> tuple[Survey, str]:
    if request.method not in ("POST", "OPTIONS"):
        raise WidgetError(405, "method_not_allowed", "Use POST.")
    _check_size(request)
    _throttle(request, public_key)
    survey = widget_survey(public_key=public_key)
    if survey is None:
        raise WidgetError(404, "unknown_survey", "No survey has this key.")
    origin = request.headers.get("Origin", "")
    if not origin_allowed(survey=survey, origin=origin):
        raise WidgetError(
            403,
            "origin_forbidden",
            f"The origin {origin or '(none)'} may not use this survey: "
            "add it to the survey's allowed origins.",
        )
    return survey, origin


def _dispatch(request: HttpRequest, survey: Survey, handler: Handler) -> HttpResponse:
    if request.method == "OPTIONS":
        return _preflight()
    body = payloads.json_object(request.body)
    with tenant_context(survey.organization):
        return handler(request, survey=survey, body=body)


def _check_size(request: HttpRequest) -> None:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        # Django itself would crash reading such a body: refuse it here.
        raise WidgetError(400, "bad_content_length", "Content-Length is not a number.") from None
    if declared > MAX_BODY_BYTES or len(request.body) > MAX_BODY_BYTES:
        raise WidgetError(
            413, "body_too_large", f"The body must be at most {MAX_BODY_BYTES} bytes."
        )


def _throttle(request: HttpRequest, public_key: str) -> None:
    """Per client IP, and for a POST per survey key too, in one round trip.
    Preflights only count against the IP: a browser sends one per page."""
    counters = [_counter("ip", ratelimit.client_ip(request), "WIDGET_RATE_LIMIT_PER_IP")]
    # A key no survey can have is refused next (404) and needs no counter.
    if request.method == "POST" and _PUBLIC_KEY.fullmatch(public_key):
        counters.append(_counter("survey", public_key, "WIDGET_RATE_LIMIT_PER_SURVEY"))
    wait = ratelimit.retry_after_all(counters=counters)
    if wait is not None:
        raise WidgetError(
            429, "rate_limited", f"Too many requests; retry in {wait} s.", retry_after=wait
        )


def _counter(scope: str, ident: str, setting: str) -> ratelimit.Counter:
    limit, window = ratelimit.limit_for(setting)
    return ratelimit.Counter(scope, ident, limit, window)


def _preflight() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Content-Type"
    response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return response


def _cors(response: HttpResponse, origin: str) -> HttpResponse:
    # No Allow-Credentials: the widget never sends or receives cookies.
    response["Access-Control-Allow-Origin"] = origin
    return _vary(response)


def _vary(response: HttpResponse) -> HttpResponse:
    response["Vary"] = "Origin"
    response["Cache-Control"] = "no-store"
    return response
