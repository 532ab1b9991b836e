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
    try:
        yield
    finally:
        deactivate(token)


def tenant_task(func: Callable[..., R]) -> Callable[..., R]:
    """Run a Celery task body inside its organization's context.

    The task takes `organization_id` as a keyword argument; ids travel on the
    broker, never objects, so a retried task reloads fresh rows.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, organization_id: int, **kwargs: Any) -> R:
        from .models import Organization

        organization = Organization.objects.get(pk=organization_id)
        with tenant_context(organization):
            return func(*args, **kwargs)

    return wrapper
