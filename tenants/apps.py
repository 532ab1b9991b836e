from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Organizations and access"

    def ready(self) -> None:
        from . import schema  # noqa: F401  registers the OpenAPI auth scheme
