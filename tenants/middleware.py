from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .context import activate, lift_for_staff, no_tenant
from .selectors import membership_for

View = Callable[..., HttpResponse]


class TenantMiddleware:
    """Every request starts with no tenant; `/o/<org_slug>/…` views get theirs.

    The org comes from the URL and is granted only through a membership; anyone
    else gets 404, exactly as for an org that does not exist. API views set the
    tenant from their key (tenants.api_auth); the reset here clears either.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with no_tenant():
            return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: View, view_args: tuple, view_kwargs: dict
    ) -> HttpResponse | None:
        slug = view_kwargs.get("org_slug")
        if _is_admin(request):
            lift_for_staff()
        if slug is None:
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = membership_for(user=request.user, slug=slug)
        request.membership = membership  # type: ignore[attr-defined]
        request.organization = membership.organization  # type: ignore[attr-defined]
        _remember_org(request, slug)
        activate(membership.organization)
        return None


def _remember_org(request: HttpRequest, slug: str) -> None:
    """The org to open next time, written when it changes and at most daily
    otherwise: a write on every page cost three statements, and the daily one
    keeps sliding the expiry of an active user's session forward as before."""
    today = timezone.localdate().isoformat()
    session = request.session
    if session.get("last_org") != slug or session.get("last_org_day") != today:
        session["last_org"], session["last_org_day"] = slug, today


def _is_admin(request: HttpRequest) -> bool:
    # The admin site checks staff status itself; this only decides whether the
    # database lets its cross-tenant lists through.
    match = request.resolver_match
    user = request.user
    return bool(match and match.app_name == "admin" and user.is_active and user.is_staff)
