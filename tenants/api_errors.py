"""One error shape for the whole API."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """One error shape everywhere: {"error": {"code", "message", "details"}}."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        response.status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
        details = exc.detail
        if not isinstance(details, dict):  # `ValidationError("...")`: not about one field
            details = {"non_field_errors": details}
        body = {"code": "invalid", "message": "The request is not valid.", "details": details}
    else:
        body = {"code": _code(exc), "message": str(exc.detail), "details": {}}
    response.data = {"error": body}
    return response


@csrf_exempt  # no session is involved, and a POST must get the same JSON 404
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Paths under /api/v1/ that match no endpoint (or an id of the wrong form,
    such as `/surveys/abc`) answer in the API's shape, not with an HTML page."""
    body = {"code": "not_found", "message": "No such endpoint or object.", "details": {}}
    return JsonResponse({"error": body}, status=status.HTTP_404_NOT_FOUND)
