"""OpenAPI description of API-key auth (imported by TenantsConfig.ready)."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "tenants.api_auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "nps_<prefix>_<secret>",
            "description": "An organization's API key, created in the back office or with "
            "`manage.py create_api_key`. Read-only keys may only GET.",
        }
