"""Request parsers that refuse what the database cannot store.

PostgreSQL rejects NUL characters in text and in JSONB, and Python's JSON
decoder overflows the stack on very deep nesting; both would otherwise surface
as a 500 well after validation. Refusing them while parsing makes them a clear
4xx that changes nothing, for every endpoint at once.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

NUL = "\x00"
NUL_REFUSED = "NUL characters (\\u0000) are not allowed, in values or in keys."


def contains_nul(value: Any) -> bool:
    """True when a string, key or item anywhere in `value` holds a NUL."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, Mapping):
            pending.extend(item.keys())
            pending.extend(_values(item))
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return False


def _values(mapping: Mapping[Any, Any]) -> Iterable[Any]:
    getlist = getattr(mapping, "getlist", None)  # a QueryDict: every value of a key
    if getlist is None:
        return mapping.values()
    return [value for key in mapping for value in getlist(key)]


def refuse_nul(data: Any) -> Any:
    # A 422 like any invalid value (DRF's CharField answers the same for a NUL).
    if contains_nul(data):
        raise ValidationError({"non_field_errors": [NUL_REFUSED]})
    return data


class SafeJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the document is nested too deeply.") from exc
        except LookupError as exc:  # an unknown charset in the Content-Type
            raise ParseError(f"Unsupported charset: {exc}") from exc
        return refuse_nul(data)


class SafeFormParser(FormParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except LookupError as exc:
            raise ParseError(f"Unsupported charset: {exc}") from exc
        return refuse_nul(data)


class SafeMultiPartParser(MultiPartParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            parsed = super().parse(stream, media_type, parser_context)
        except LookupError as exc:
            raise ParseError(f"Unsupported charset: {exc}") from exc
        refuse_nul(parsed.data)
        return parsed


# The integrators' URLs, whose bodies the parsers above already check.
API_PREFIXES = ("/api/", "/delighted/")


class RefuseNulInApiUrlMiddleware:
    """A NUL in an API URL's path or query string answers 422 before any view
    looks it up in the database, in the shape of the API it was sent to; a body
    over `DATA_UPLOAD_MAX_MEMORY_SIZE` answers 413 in that shape too (Django
    would answer its HTML 400 page)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIXES):
            return self.get_response(request)
        if _url_has_nul(request):
            return _nul_refused(request)
        if _too_large(request):
            return _error(request, 413, "too_large", TOO_LARGE)
        return self.get_response(request)


TOO_LARGE = "The request body is too large."


def _too_large(request: HttpRequest) -> bool:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return limit is not None and length > limit


def _error(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    if request.path.startswith("/delighted/"):
        return JsonResponse({"status": status, "message": message}, status=status)
    return JsonResponse({"error": {"code": code, "message": message, "details": {}}}, status=status)


def _url_has_nul(request: HttpRequest) -> bool:
    return NUL in request.path or contains_nul(request.GET)


def _nul_refused(request: HttpRequest) -> HttpResponse:
    # 422, the answer to a NUL in a body, in each API's own error shape.
    if request.path.startswith("/delighted/"):
        error = {"field": "url", "code": "invalid", "message": NUL_REFUSED}
        body: dict[str, Any] = {
            "status": 422,
            "message": "The request is not valid.",
            "errors": [error],
        }
        return JsonResponse(body, status=422)
    details = {"non_field_errors": [NUL_REFUSED]}
    body = {
        "error": {"code": "invalid", "message": "The request is not valid.", "details": details}
    }
    return JsonResponse(body, status=422)
