"""The Themes page: what comments talk about, for a survey and a period.

The page shows the last computed themes at once, and "computing…" while a run
(a Celery task) makes a fresh result; htmx then polls the panel until it is
there. Admins rename, merge and tag from the same panel; each form is a plain
POST that also works without JavaScript.
"""

from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from dashboards.filters import Filters
from dashboards.views import read_filters
from tenants.decorators import require_role
from tenants.models import Role, role_at_least

from . import selectors, services
from .models import ThemeSnapshot
from .selectors import Scope, ThemeBoard, ThemeView

POLL_SECONDS = 2


def _scope_only(filters: Filters) -> Filters:
    """Themes are computed per survey and period: the other filters do not apply."""
    return replace(filters, channel="", category="", score=None, language="", traits=(), q="")


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _can_manage(request: HttpRequest) -> bool:
    return role_at_least(request.membership.role, Role.ADMIN)  # type: ignore[attr-defined]


def _render(
    request: HttpRequest, filters: Filters, bar: dict[str, Any], snapshot: ThemeSnapshot
) -> HttpResponse:
    board = selectors.themes_of(snapshot=snapshot) if snapshot.has_result else None
    context = {**bar, "filters": filters, "filter_compact": True, **_panel(request, filters)}
    context.update(snapshot=snapshot, board=board, rows=_rows(board, filters))
    context["poll_seconds"] = POLL_SECONDS if snapshot.computing else None
    template = "themes/_panel.html" if _htmx(request) else "themes/themes.html"
    with timezone.override(request.organization.time_zone):  # type: ignore[attr-defined]
        return render(request, template, context)


def _panel(request: HttpRequest, filters: Filters) -> dict[str, Any]:
    slug = request.organization.slug  # type: ignore[attr-defined]
    return {
        "can_manage": _can_manage(request),
        "page_url": reverse("themes:list", kwargs={"org_slug": slug}) + filters.querystring(),
        "query": filters.querystring(),
    }


def _rows(board: ThemeBoard | None, filters: Filters) -> list[dict[str, Any]]:
    """Each theme with the links to its comments (all, detractors', promoters')."""
    if board is None:
        return []
    return [
        {
            "theme": theme,
            "query": filters.querystring(theme=theme.key),
            "detractors_query": filters.querystring(theme=theme.key, category="detractor"),
            "promoters_query": filters.querystring(theme=theme.key, category="promoter"),
            "targets": [other for other in board.themes if other.key != theme.key],
        }
        for theme in board.themes
    ]


@require_GET
@require_role(Role.VIEWER)
def theme_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    filters, bar = read_filters(request)
    if filters is None:
        return render(request, "themes/themes.html", {**bar, "filter_compact": True}, status=400)
    filters = _scope_only(filters)
    snapshot = services.snapshot_for(scope=Scope.of(filters))
    services.themes_refresh(snapshot=snapshot)
    return _render(request, filters, bar, snapshot)


# --- Admins' changes ----------------------------------------------------------------


def _target(request: HttpRequest) -> tuple[Filters, dict[str, Any], ThemeSnapshot, ThemeBoard]:
    """The filters (kept in the form's action URL), and the computed themes they name."""
    filters, bar = read_filters(request)
    if filters is None:
        raise Http404
    filters = _scope_only(filters)
    snapshot = selectors.snapshot_find(scope=Scope.of(filters))
    if snapshot is None or not snapshot.has_result:
        raise Http404
    return filters, bar, snapshot, selectors.themes_of(snapshot=snapshot)


def _theme(board: ThemeBoard, key: str) -> ThemeView:
    theme = selectors.theme_find(board=board, key=key)
    if theme is None:
        raise Http404
    return theme


def _done(
    request: HttpRequest, filters: Filters, bar: dict[str, Any], snapshot: ThemeSnapshot
) -> HttpResponse:
    if _htmx(request):
        return _render(request, filters, bar, snapshot)
    slug = request.organization.slug  # type: ignore[attr-defined]
    return redirect(reverse("themes:list", kwargs={"org_slug": slug}) + filters.querystring())


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@require_POST
@require_role(Role.ADMIN)
def theme_rename(request: HttpRequest, org_slug: str) -> HttpResponse:
    filters, bar, snapshot, board = _target(request)
    theme = _theme(board, request.POST.get("key", ""))
    try:
        services.theme_rename(theme=theme, label=request.POST.get("label", ""), user=_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Theme renamed."))
    return _done(request, filters, bar, snapshot)


@require_POST
@require_role(Role.ADMIN)
def theme_merge(request: HttpRequest, org_slug: str) -> HttpResponse:
    filters, bar, snapshot, board = _target(request)
    theme = _theme(board, request.POST.get("key", ""))
    into = _theme(board, request.POST.get("into", ""))
    try:
        services.theme_merge(theme=theme, into=into, user=_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("“%(theme)s” merged into “%(into)s”.") % {"theme": theme.label, "into": into.label},
        )
    return _done(request, filters, bar, snapshot)


@require_POST
@require_role(Role.ADMIN)
def theme_unmerge(request: HttpRequest, org_slug: str) -> HttpResponse:
    filters, bar, snapshot, board = _target(request)
    key = request.POST.get("key", "")
    owner = next((theme for theme in board.themes if key in theme.keys and key != theme.key), None)
    if owner is None:
        raise Http404
    services.theme_unmerge(key=key, user=_user(request))
    messages.success(request, _("The theme stands on its own again."))
    return _done(request, filters, bar, snapshot)


@require_POST
@require_role(Role.ADMIN)
def theme_tag(request: HttpRequest, org_slug: str) -> HttpResponse:
    filters, bar, snapshot, board = _target(request)
    theme = _theme(board, request.POST.get("key", ""))
    tag = request.POST.get("tag", "")
    try:
        tagged, skipped = services.theme_tag(snapshot=snapshot, theme=theme, tag=tag)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        message = ngettext(
            "Tagged %(count)d response of “%(theme)s”.",
            "Tagged %(count)d responses of “%(theme)s”.",
            tagged,
        ) % {"count": tagged, "theme": theme.label}
        if skipped:
            message += " " + ngettext(
                "%(count)d already had the most tags allowed.",
                "%(count)d already had the most tags allowed.",
                skipped,
            ) % {"count": skipped}
        messages.success(request, message)
    return _done(request, filters, bar, snapshot)
