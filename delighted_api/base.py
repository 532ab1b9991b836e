"""What every Delighted-compatible endpoint shares: its auth quirk, its error
shape and its conventions (string ids, Unix seconds, bracketed parameters).

Delighted's clients send `Authorization: Basic base64(KEY)` with no colon
(curl sends `KEY:`); both are read, as is our own `Bearer KEY`. The keys are
the organization's ordinary API keys, so the key fixes the organization here
exactly as on /api/v1.
"""

import base64
import binascii
import re
from datetime import UTC, datetime
from typing import Any, ClassVar

from django.db import InterfaceError, OperationalError
from django.http import Http404, QueryDict
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from tenants.api_auth import ApiKeyPrincipal
from tenants.api_parsers import SafeFormParser, SafeJSONParser, SafeMultiPartParser
from tenants.api_throttle import ApiKeyRateThrottle
from tenants.context import activate
from tenants.models import ApiKey
from tenants.selectors import api_key_authenticate

REALM = 'Basic realm="Delighted-compatible API"'
RETRY_AFTER_UNAVAILABLE = 30


class DelightedKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[ApiKeyPrincipal, ApiKey] | None:
        header = get_authorization_header(request)
        if not header:
            return None
        raw = _key_from_header(header.decode("latin-1"))
        api_key = api_key_authenticate(raw_key=raw) if raw else None
        if api_key is None:
            raise exceptions.AuthenticationFailed("Invalid API key.")
        # Cleared at the end of the request by tenants.middleware.TenantMiddleware.
        activate(api_key.organization)
        return ApiKeyPrincipal(api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        return REALM


def _key_from_header(header: str) -> str:
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() == "bearer":
        return credentials.strip()
    if scheme.lower() != "basic":
        return ""
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    # The key is the user name; the password is empty, or absent with its colon.
    return decoded.partition(":")[0].strip()


class WritesNeedReadWriteKey(BasePermission):
    message = "This API key is read-only: use a read-write key to make changes."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not isinstance(request.auth, ApiKey):
            raise exceptions.NotAuthenticated("Send your API key with HTTP Basic authentication.")
        return request.method in SAFE_METHODS or not request.auth.read_only


class Invalid(exceptions.ValidationError):
    """A 422 naming the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__({field: [message]})


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Errors in Delighted's shape: {"status", "message"} plus "errors" on a 422."""
    if isinstance(exc, OperationalError | InterfaceError):
        body = {"status": 503, "message": "The service is unavailable; try again shortly."}
        return Response(body, status=503, headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE)})
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, exceptions.ParseError):
        exc = exceptions.ValidationError({"body": [str(exc.detail)]})
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        response.status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
        response.data = {
            "status": 422,
            "message": "The request is not valid.",
            "errors": _errors(exc.detail),
        }
    else:
        response.data = {"status": response.status_code, "message": str(exc.detail)}
    return response


def _errors(detail: Any, field: str = "") -> list[dict[str, str]]:
    if isinstance(detail, dict):
        return [
            error
            for name, value in detail.items()
            for error in _errors(value, f"{field}.{name}" if field else str(name))
        ]
    if isinstance(detail, list):
        return [error for value in detail for error in _errors(value, field)]
    code = getattr(detail, "code", "invalid")
    return [{"field": field or "base", "code": str(code), "message": str(detail)}]


@extend_schema(exclude=True)
class DelightedView(APIView):
    """Base of the endpoints: Delighted's contract, documented in docs/DELIGHTED.md
    rather than in our OpenAPI schema."""

    authentication_classes: ClassVar[list[type[BaseAuthentication]]] = [  # type: ignore[misc]
        DelightedKeyAuthentication
    ]
    permission_classes: ClassVar[list[type[BasePermission]]] = [  # type: ignore[misc]
        WritesNeedReadWriteKey
    ]
    throttle_classes: ClassVar[list[type[ApiKeyRateThrottle]]] = [  # type: ignore[misc]
        ApiKeyRateThrottle
    ]
    renderer_classes: ClassVar[list[type[JSONRenderer]]] = [JSONRenderer]  # type: ignore[misc]
    parser_classes: ClassVar[list[Any]] = [  # type: ignore[misc]
        SafeJSONParser,
        SafeFormParser,
        SafeMultiPartParser,
    ]

    def get_exception_handler(self) -> Any:
        return exception_handler


# --- Conventions ------------------------------------------------------------------


def body_of(request: Request) -> dict[str, Any]:
    """The request body as a dict; form posts (`properties[plan]=pro`, as in
    Delighted's curl examples) nested the way JSON would send them."""
    data = request.data
    if isinstance(data, QueryDict):
        return unbracket(data)
    if not isinstance(data, dict):
        raise Invalid("body", "Send a JSON object.")
    return dict(data)


def unbracket(params: QueryDict) -> dict[str, Any]:
    """`a[b]=1&c[]=2&c[]=3&d=4` → {"a": {"b": "1"}, "c": ["2", "3"], "d": "4"}."""
    result: dict[str, Any] = {}
    for key in params:
        name, bracket, rest = key.partition("[")
        if not bracket:
            result[key] = params[key]
        elif rest == "]":
            result.setdefault(name, []).extend(params.getlist(key))
        elif rest.endswith("]") and isinstance(result.setdefault(name, {}), dict):
            result[name][rest[:-1]] = params[key]
    return result


def phone_number_normalized(value: str) -> str:
    """+1 (555) 123-4567 → +15551234567: one spelling to store and look up."""
    return re.sub(r"[\s().-]", "", value)


def unix(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def from_unix(value: int) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)
