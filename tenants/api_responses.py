"""The API's error shape as OpenAPI responses, for `extend_schema(responses=...)`."""

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(help_text="Machine-readable, e.g. not_found."),
                "message": serializers.CharField(),
                "details": serializers.DictField(
                    help_text="Per field (or parameter) messages for 422; empty otherwise."
                ),
            },
        )
    },
)

_ERRORS: dict[int, tuple[str, str, str, dict[str, Any]]] = {
    401: ("No API key, or an unknown or revoked one.", "not_authenticated", "Send an API key.", {}),
    403: ("A read-only key tried to write.", "permission_denied", "This API key is read-only.", {}),
    404: (
        "Not found, or owned by another organization.",
        "not_found",
        "Not found.",
        {},
    ),
    409: ("The object is not in a state that allows this.", "conflict", "Conflict.", {}),
    422: (
        "Invalid input; `details` lists the messages per field.",
        "invalid",
        "The request is not valid.",
        {"field": ["A message an integrator can act on."]},
    ),
    429: (
        "Over the key's request budget; retry after `Retry-After` seconds.",
        "throttled",
        "Request was throttled. Expected available in 12 seconds.",
        {},
    ),
}


def error_responses(*statuses: int, **codes: str) -> dict[int, OpenApiResponse]:
    """OpenAPI responses for error statuses; `codes` overrides an example code
    per status, spelled `s409="not_pending"`."""
    responses = {}
    for status in statuses:
        description, code, message, details = _ERRORS[status]
        code = codes.get(f"s{status}", code)
        example = {"error": {"code": code, "message": message, "details": details}}
        responses[status] = OpenApiResponse(
            response=ErrorSerializer,
            description=description,
            examples=[
                OpenApiExample(code, value=example, response_only=True, status_codes=[status])
            ],
        )
    return responses
