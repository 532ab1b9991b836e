"""The one way code learns "the current organization".

Web requests (org from the URL), API-key auth and Celery tasks all set it here;
tenant-owned models read it and refuse to run a query without it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

if TYPE_CHECKING:
    from .models import Organization

_current: ContextVar[Organization | None] = ContextVar("current_organization", default=None)
# The database's own wall (Postgres row-level security) lets a connection see
# every tenant's rows only inside `all_tenants()`: sweeps across organizations.
_all_tenants: ContextVar[bool] = ContextVar("all_tenants", default=False)
# True around statements whose rows do not depend on the tenant settings (the
# SECURITY DEFINER lookups), so they are not worth a round trip to update them.
scope_free: ContextVar[bool] = ContextVar("scope_free", default=False)

P = ParamSpec("P")
R = TypeVar("R")


class NoTenantContext(RuntimeError):
    """A tenant-owned model was queried with no organization in context."""


def current_organization() -> Organization:
    organization = _current.get()
    if organization is None:
        raise NoTenantContext(
            "No organization in context: wrap the code in tenant_context(org), "
            "or spell cross-tenant access as .objects.unscoped()."
        )
    return organization


def current_organization_or_none() -> Organization | None:
    return _current.get()


def activate(organization: Organization | None) -> Token[Organization | None]:
    return _current.set(organization)


def deactivate(token: Token[Organization | None]) -> None:
    _current.reset(token)


@contextmanager
def tenant_context(organization: Organization) -> Iterator[Organization]:
    token = activate(organization)
    try:
        yield organization
    finally:
        deactivate(token)


@contextmanager
def no_tenant() -> Iterator[None]:
    """A clean slate: what a request or a task starts with."""
    token = activate(None)
    strict = _all_tenants.set(False)
    try:
        yield
    finally:
        _all_tenants.reset(strict)
        deactivate(token)


@contextmanager
def all_tenants() -> Iterator[None]:
    """Lift the database's row-level security for work that spans organizations.

    Beat sweeps (what is due, in any organization) and staff tools need it; the
    ORM's own scoping still asks for `.objects.unscoped()` on top. A request or
    a task never inherits it: each starts strict (`no_tenant`).
    """
    token = _all_tenants.set(True)
    try:
        yield
    finally:
        _all_tenants.reset(token)


def lift_for_staff() -> None:
    """For the rest of a Django admin request: staff work across organizations.

    The middleware's `no_tenant()` puts the database's wall back at the end.
    """
    _all_tenants.set(True)


def row_security_scope() -> tuple[str, str]:
    """What the database is told: (`app.tenant_id`, `app.all_tenants`)."""
    organization = _current.get()
    return (
        "" if organization is None else str(organization.pk),
        "on" if _all_tenants.get() else "",
    )


def tenant_task(func: Callable[..., R]) -> Callable[..., R]:
    """Run a Celery task body inside its organization's context.

    The task takes `organization_id` as a keyword argument; ids travel on the
    broker, never objects, so a retried task reloads fresh rows.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, organization_id: int, **kwargs: Any) -> R:
        from .models import Organization

        with no_tenant():
            organization = Organization.objects.get(pk=organization_id)
            with tenant_context(organization):
                return func(*args, **kwargs)

    return wrapper
