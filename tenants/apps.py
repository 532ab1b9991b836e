from contextvars import Token
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Organizations and access"
    _migrating: Token[bool] | None = None

    def ready(self) -> None:
        from . import schema  # noqa: F401  registers the OpenAPI auth scheme

        pre_migrate.connect(self._before_migrations, sender=self)
        post_migrate.connect(self._after_migrations, sender=self)

    def _before_migrations(self, **kwargs: Any) -> None:
        from .context import _all_tenants

        # Data migrations read and write every organization's rows.
        self._migrating = _all_tenants.set(True)

    def _after_migrations(self, *, using: str, plan: Any = None, **kwargs: Any) -> None:
        from .context import _all_tenants
        from .row_security import protect

        if plan is None:
            return  # `flush` sends this signal too; the tables and policies stay.
        protect(using=using)
        if self._migrating is not None:
            _all_tenants.reset(self._migrating)
            self._migrating = None
