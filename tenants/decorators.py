import functools
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .models import role_at_least

View = Callable[..., HttpResponse]


def require_role(minimum: str) -> Callable[[View], View]:
    """Members below `minimum` get 403; non-members never get here (404 upstream)."""

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = getattr(request, "membership", None)
            if membership is None or not role_at_least(membership.role, minimum):
                raise PermissionDenied(f"This needs the {minimum} role.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
