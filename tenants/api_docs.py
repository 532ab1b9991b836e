"""How the API describes itself in OpenAPI: the error shape, and what every operation can answer.

Endpoint authors list the errors particular to an operation with
`@extend_schema(responses={200: Thing, **error_responses(404, 409)})`. The
errors every API-key operation shares are added by `ApiSchema` on its own, so a
new endpoint is documented correctly without anyone remembering them:

- 401 and 429 (with `Retry-After`) on every operation;
- 403 on every write (a read-only key);
- 400 and 422 on operations that take a body, 422 on those with query parameters;
- 404 on operations with path parameters or pages (an unknown page or cursor).

Those shared errors are `#/components/responses/...` (Unauthorized, Throttled...);
bodies are documented as JSON.
"""

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_doc
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

from .api_auth import ApiKeyAuthentication
from .api_throttle import ApiKeyRateThrottle

# Only the REST API is described: the Delighted-compatible API keeps Delighted's
# own shapes and auth, and the widget's endpoints are not for integrators.
PUBLIC_API_PREFIXES = ("/api/v1/",)

# Use in examples: the contract run (tests/test_api_contract.py) seeds a survey
# with this key, so requests built from the examples reach a real one.
EXAMPLE_SURVEY_KEY = "o5Qm3pX1VQq0Xn7rQ2aJ8w"

RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before the key's budget allows another request.",
        "schema": {"type": "integer", "minimum": 0},
    }
}

_ERRORS: dict[int, tuple[str, str, str, str, dict[str, Any]]] = {
    # status: (component name, description, code, message, details)
    400: ("BadRequest", "The body is not valid JSON.", "parse_error", "JSON parse error.", {}),
    401: (
        "Unauthorized",
        "No API key, or an unknown or revoked one.",
        "not_authenticated",
        "Send an API key: 'Authorization: Bearer <key>'.",
        {},
    ),
    403: (
        "Forbidden",
        "The key is read-only, or may not do this.",
        "permission_denied",
        "This API key is read-only.",
        {},
    ),
    404: (
        "NotFound",
        "Not found: no such object in your organization, or no such page.",
        "not_found",
        "Not found.",
        {},
    ),
    409: (
        "Conflict",
        "The request conflicts with the current state.",
        "conflict",
        "Conflict.",
        {},
    ),
    422: (
        "Invalid",
        "The request is not valid; `details` maps each field to its problems.",
        "invalid",
        "The request is not valid.",
        {"email": ["Enter a valid email address."]},
    ),
    429: (
        "Throttled",
        "Too many requests with this key; retry after `Retry-After` seconds.",
        "throttled",
        "Request was throttled. Expected available in 42 seconds.",
        {},
    ),
}
_BY_NAME = {entry[0]: status for status, entry in _ERRORS.items()}
RESPONSE_REF = "#/components/responses/"


class ErrorBodySerializer(serializers.Serializer[Any]):
    code = serializers.CharField(
        help_text="Machine-readable: `not_authenticated`, `permission_denied`, `not_found`, "
        "`conflict`, `invalid`, `throttled`, `parse_error`, `method_not_allowed`..."
    )
    message = serializers.CharField(help_text="For people: what went wrong.")
    details = serializers.DictField(
        help_text="For `invalid`: each field (or `non_field_errors`) with its messages; "
        "otherwise empty."
    )


class ErrorSerializer(serializers.Serializer[Any]):
    """Every API error has this shape, whatever the status."""

    error = ErrorBodySerializer()


def page_example(row: dict[str, Any]) -> dict[str, Any]:
    """A one-row page of a page-numbered list, for response examples."""
    return {"count": 1, "next": None, "previous": None, "results": [row]}


def _example_body(status: int, code: str | None = None) -> dict[str, Any]:
    _, _, default_code, message, details = _ERRORS[status]
    return {"error": {"code": code or default_code, "message": message, "details": details}}


def error_responses(*statuses: int, **codes: str) -> dict[int, OpenApiResponse]:
    """Error responses to spread into `@extend_schema(responses={...})`; `codes`
    names the example's code for a status, spelled `s409="not_pending"`."""
    responses = {}
    for status in statuses:
        code = codes.get(f"s{status}", _ERRORS[status][2])
        responses[status] = OpenApiResponse(
            response=ErrorSerializer,
            description=_ERRORS[status][1],
            examples=[
                OpenApiExample(
                    code,
                    value=_example_body(status, code),
                    response_only=True,
                    status_codes=[status],
                )
            ],
        )
    return responses


class ApiSchema(AutoSchema):
    """drf-spectacular's schema, plus the errors every API-key operation shares."""

    def get_description(self) -> str:  # type: ignore[override]
        # A view without a docstring would otherwise show its base class's one.
        from .api import TenantModelViewSet, TenantViewSetMixin

        description = str(super().get_description())
        inherited = {get_doc(TenantViewSetMixin), get_doc(TenantModelViewSet)}
        return "" if description in inherited else description

    def _insert_field_validators(self, field: Any, schema: dict[str, Any]) -> None:
        super()._insert_field_validators(field, schema)
        if isinstance(field, serializers.URLField | serializers.EmailField) and _may_be_blank(
            field
        ):
            schema.pop("format", None)  # "" means "none", and is no URI or address

    def map_parsers(self) -> list[Any]:
        # Documented as JSON only: form encodings cannot carry the nested
        # objects (traits, properties) most bodies have.
        media_types = super().map_parsers()
        return ["application/json"] if "application/json" in media_types else media_types

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)
        if operation is None or not self._uses_api_keys():
            return operation
        responses = operation["responses"]
        for code, response in responses.items():
            # An error declared with a description only still has the one error body.
            bare = "$ref" not in response and not response.get("content")
            if code.startswith(("4", "5")) and bare:
                response["content"] = {"application/json": {"schema": self._error_schema()}}
        for status in self._shared_errors(operation):
            responses.setdefault(str(status), self._error_response(status))
        if "$ref" not in responses.get("429", {"$ref": ""}):
            responses["429"].setdefault("headers", {}).update(RETRY_AFTER_HEADER)
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _uses_api_keys(self) -> bool:
        return any(
            isinstance(auth, type) and issubclass(auth, ApiKeyAuthentication)
            for auth in getattr(self.view, "authentication_classes", [])
        )

    def _shared_errors(self, operation: dict[str, Any]) -> list[int]:
        statuses = [401]
        if any(
            isinstance(t, type) and issubclass(t, ApiKeyRateThrottle)
            for t in getattr(self.view, "throttle_classes", [])
        ):
            statuses.append(429)
        if self.method not in SAFE_METHODS:
            statuses.append(403)
        if "requestBody" in operation:
            statuses += [400, 422]
        parameters = operation.get("parameters", [])
        if any(p.get("in") == "query" for p in parameters):
            statuses.append(422)
        if any(p.get("in") == "path" for p in parameters) or self._is_paginated():
            statuses.append(404)
        return statuses

    def _is_paginated(self) -> bool:
        return self._is_list_view() and self._get_paginator() is not None

    def _error_schema(self) -> dict[str, str]:
        ref: dict[str, str] = self.resolve_serializer(ErrorSerializer, "response").ref
        return ref

    def _error_response(self, status: int) -> dict[str, Any]:
        self._error_schema()  # registers the component the shared response points to
        return {"$ref": RESPONSE_REF + _ERRORS[status][0]}


def _may_be_blank(field: serializers.Field[Any, Any, Any, Any]) -> bool:
    if getattr(field, "allow_blank", False):
        return True
    # Read-only model fields lose `allow_blank`: ask the model.
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source:
        return False
    try:
        return bool(model._meta.get_field(field.source).blank)
    except FieldDoesNotExist:
        return False


def only_public_api(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    """Preprocessing hook: the schema describes the REST API and nothing else."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(PUBLIC_API_PREFIXES)]


def _shared_error_components(result: dict[str, Any]) -> None:
    used = {
        response["$ref"].removeprefix(RESPONSE_REF)
        for path in result.get("paths", {}).values()
        for operation in path.values()
        for response in operation.get("responses", {}).values()
        if response.get("$ref", "").startswith(RESPONSE_REF)
    }
    components = result.setdefault("components", {}).setdefault("responses", {})
    for name in sorted(used):
        status = _BY_NAME[name]
        components[name] = {
            "description": _ERRORS[status][1],
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"},
                    "example": _example_body(status),
                }
            },
        }
        if status == 429:
            components[name]["headers"] = RETRY_AFTER_HEADER


def finish_schema(
    result: dict[str, Any], generator: Any, request: Any, public: bool, **kwargs: Any
) -> dict[str, Any]:
    """Postprocessing hook: the shared error responses become components; the host
    that served the schema comes first among the servers (so "Try it out" calls
    it); tags without operations are dropped."""
    _shared_error_components(result)
    if request is not None:
        here = {"url": request.build_absolute_uri("/").rstrip("/"), "description": "This server"}
        others = [s for s in result.get("servers", []) if s["url"] != here["url"]]
        result["servers"] = [here, *others]
    used = {
        tag
        for path in result.get("paths", {}).values()
        for operation in path.values()
        for tag in operation.get("tags", [])
    }
    result["tags"] = [tag for tag in result.get("tags", []) if tag["name"] in used]
    return result
