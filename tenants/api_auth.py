"""API authentication: `Authorization: Bearer <key>` fixes the organization."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from .context import activate
from .models import ApiKey, Organization
from .selectors import api_key_authenticate

if TYPE_CHECKING:
    from rest_framework.views import APIView


@dataclass(frozen=True)
class ApiKeyPrincipal:
    """Stands in for a user on API requests: the key is the caller."""

    api_key: ApiKey

    is_authenticated = True
    is_anonymous = False

    @property
    def organization(self) -> Organization:
        return self.api_key.organization


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[ApiKeyPrincipal, ApiKey] | None:
        header = get_authorization_header(request)
        if not header:
            return None
        scheme, _, raw = header.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise exceptions.AuthenticationFailed("Send the key as 'Authorization: Bearer <key>'.")
        api_key = api_key_authenticate(raw_key=raw.strip())
        if api_key is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.")
        # Cleared at the end of the request by tenants.middleware.TenantMiddleware.
        activate(api_key.organization)
        return ApiKeyPrincipal(api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class HasApiKey(BasePermission):
    message = "This API key is read-only."

    def has_permission(self, request: Request, view: "APIView") -> bool:
        if not isinstance(request.auth, ApiKey):
            raise exceptions.NotAuthenticated("Send an API key: 'Authorization: Bearer <key>'.")
        return request.method in SAFE_METHODS or not request.auth.read_only
