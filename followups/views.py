"""Responses, the detractor inbox, one response, one respondent, and the CSV export.

Pages render whole, or only a partial for htmx; every write is a POST form that
also works without JavaScript (redirect back with a message).
"""

from collections.abc import Callable
from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import BadRequest, ValidationError
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dashboards.filters import Filters
from dashboards.views import read_filters
from responses.models import Note, Respondent, Response
from tenants.decorators import require_role
from tenants.models import Organization, Role, role_at_least
from tenants.selectors import members_of
from themes.selectors import ThemeView, theme_filter

from . import export, selectors, services
from .curve import relationship_curve
from .forms import INBOX_TAB_LABELS, AssigneeForm, InboxForm, NoteForm, StatusForm, TagsForm

# --- Request helpers ------------------------------------------------------------


def _org(request: HttpRequest) -> Organization:
    return request.organization  # type: ignore[attr-defined,no-any-return]


def _role(request: HttpRequest) -> str:
    return request.membership.role  # type: ignore[attr-defined,no-any-return]


def _user(request: HttpRequest) -> User:
    # Org pages are reached only by members, so the user is always authenticated.
    return cast(User, request.user)


def _zone(request: HttpRequest) -> ZoneInfo:
    return ZoneInfo(_org(request).time_zone)


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


# Pages about one object look it up before checking the method, so another
# organization's id answers 404 to every method, never a telling 405.
READ_METHODS = ["GET", "HEAD"]


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """Render with dates in the organization's time zone."""
    context.setdefault("can_manage", role_at_least(_role(request), Role.ADMIN))
    with timezone.override(_zone(request)):
        return render(request, template, context, status=status)


def _cursor(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name, "")
    if not raw:
        return None
    if not raw.isdecimal() or len(raw) > 18:
        raise BadRequest(_("The page cursor is not valid."))
    return int(raw)


def _bad_request(request: HttpRequest, bar: dict[str, Any], *errors: str) -> HttpResponse:
    """Invalid parameters: say which, keep the bar to fix them, show no rows."""
    context = {**bar, "filter_errors": [*bar.get("filter_errors", []), *errors]}
    return _render(request, "followups/bad_request.html", context, status=400)


def _form_errors(form: forms.Form) -> list[str]:
    return [str(message) for messages_ in form.errors.values() for message in messages_]


# --- Responses list ---------------------------------------------------------------


def _theme(
    request: HttpRequest, filters: Filters
) -> tuple[ThemeView | None, QuerySet[Response] | None]:
    """`theme=<key>` (a link from the Themes page): that theme's responses only.

    Raises BadRequest when the URL names a theme the filters' survey and period
    do not have (or no longer have: themes are recomputed as comments change).
    """
    key = request.GET.get("theme", "")
    if not key:
        return None, None
    found = theme_filter(filters=filters, key=key)
    if found is None:
        raise BadRequest(_("No such theme was found in this survey and period."))
    theme, responses = found
    return theme, responses


@require_GET
@require_role(Role.VIEWER)
def response_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    filters, bar = read_filters(request)
    if filters is None:
        return _bad_request(request, bar)
    try:
        theme, of_theme = _theme(request, filters)
    except BadRequest as error:
        return _bad_request(request, bar, str(error))
    matching = filters.apply(Response.objects.all())
    listed = selectors.responses_matching(filters=filters)
    if of_theme is not None:
        matching, listed = matching.filter(pk__in=of_theme), listed.filter(pk__in=of_theme)
    page = selectors.page_of(
        listed, older=_cursor(request, "older"), newer=_cursor(request, "newer")
    )
    keep = {"theme": theme.key} if theme else {}
    context = {
        **bar,
        "theme": theme,
        "filter_keep": list(keep.items()),
        "page": page,
        "count": selectors.capped_count(matching),
        "count_cap": selectors.COUNT_CAP,
        # Only the newest page of a period still running can receive new answers;
        # a theme's responses are those its computation read.
        "poll": page.is_head and filters.end > timezone.now() and theme is None,
        "poll_qs": filters.querystring(after=selectors.latest_id()),
        "older_qs": filters.querystring(**keep, older=page.older),
        "newer_qs": filters.querystring(**keep, newer=page.newer),
        "export_qs": filters.querystring(**keep),
        "unthemed_qs": filters.querystring(),
    }
    return _render(request, "followups/responses.html", context)


@require_GET
@require_role(Role.VIEWER)
def response_poll(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Rows that arrived after `after`, for htmx to put on top; 204 when none did."""
    filters, _bar = read_filters(request)
    if filters is None:
        # The poller's URL came from our page: only a tampered one gets here.
        return HttpResponseBadRequest(_("These filters cannot be applied."))
    after = _cursor(request, "after") or 0
    rows = selectors.newer_than(selectors.responses_matching(filters=filters), after_id=after)
    if not rows:
        return HttpResponse(status=204)
    newest = max(row.pk for row in rows)
    context = {"rows": rows, "filters": filters, "poll_qs": filters.querystring(after=newest)}
    return _render(request, "followups/_poll.html", context)


# --- Detractor inbox --------------------------------------------------------------


def _inbox_query(params: selectors.InboxParams, **changes: Any) -> dict[str, str | None]:
    """The inbox's parameters as querystring overrides (None leaves one out)."""
    status = changes.get("status", params.status)
    return {
        "status": None if status == "open" else status,
        "assignee": params.assignee or None,
        "include_passives": "1" if params.include_passives else None,
    }


@require_GET
@require_role(Role.VIEWER)
def inbox(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = InboxForm(request.GET)
    filters, bar = read_filters(request)
    if filters is None or not form.is_valid():
        return _bad_request(request, bar, *_form_errors(form))
    params = form.params()
    user = _user(request)
    items = selectors.inbox_items(filters=filters, params=params, user=user)
    page = selectors.page_of(
        items, older=_cursor(request, "older"), newer=_cursor(request, "newer")
    )
    counts = selectors.inbox_counts(filters=filters, params=params, user=user)
    query = _inbox_query(params)
    keep = [(name, value) for name, value in query.items() if value is not None]
    context = {
        **bar,
        "filter_keep": keep,
        "params": params,
        "page": page,
        "query": query,
        "tabs": [
            {
                "key": tab,
                "label": INBOX_TAB_LABELS[tab],
                "count": counts[tab],
                "querystring": filters.querystring(**_inbox_query(params, status=tab)),
                "current": tab == params.status,
            }
            for tab in selectors.INBOX_TABS
        ],
        "members": members_of(organization=_org(request)),
        "older_qs": filters.querystring(**query, older=page.older),
        "newer_qs": filters.querystring(**query, newer=page.newer),
        "export_qs": filters.querystring(**query, inbox="1"),
        "next": request.get_full_path(),
        # The assignee form keeps the filters and the tab.
        "inbox_keep": [*filters.query_items(), ("status", params.status)],
    }
    return _render(request, "followups/inbox.html", context)


def _next_url(request: HttpRequest) -> str | None:
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and safe else None


@require_POST
@require_role(Role.ADMIN)
def mark_contacted(request: HttpRequest, org_slug: str, response_id: int) -> HttpResponse:
    response = get_object_or_404(Response, pk=response_id)
    changed = services.follow_up_mark_contacted(response=response)
    back = _next_url(request)
    if _htmx(request):
        item = selectors.inbox_item(response_id=response.pk)
        return _render(request, "followups/_inbox_item.html", {"item": item, "next": back})
    if changed:
        messages.success(request, _("Marked as contacted."))
    else:
        messages.info(request, _("Already contacted or resolved: nothing changed."))
    return redirect(back or reverse("followups:inbox", kwargs={"org_slug": org_slug}))


# --- One response -------------------------------------------------------------------


def _response_or_404(response_id: int) -> Response:
    response = selectors.response_detail(response_id=response_id)
    if response is None:
        raise Http404
    return response


def _detail_context(
    request: HttpRequest, response: Response, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "response": response,
        "respondent": response.respondent,
        "members": members_of(organization=_org(request)),
        "statuses": response._meta.get_field("follow_up_status").choices,
        "tags_text": ", ".join(response.tags or []),
        "note_form": NoteForm(),
        "errors": errors or {},
    }


PANELS = {"followup": "followups/_followup_panel.html", "notes": "followups/_notes.html"}


@require_role(Role.VIEWER)
def response_detail(request: HttpRequest, org_slug: str, response_id: int) -> HttpResponse:
    response = _response_or_404(response_id)
    if request.method not in READ_METHODS:
        return HttpResponseNotAllowed(READ_METHODS)
    return _render(request, "followups/response.html", _detail_context(request, response))


def _valid(form: forms.Form) -> dict[str, Any]:
    if not form.is_valid():
        raise ValidationError(_form_errors(form))
    return form.cleaned_data


def _write(
    request: HttpRequest,
    response_id: int,
    write: Callable[[Response], object],
    *,
    panel: str,
    done: str,
) -> HttpResponse:
    """Run a write on a response; answer its panel (htmx) or redirect (no JS); 400 if refused."""
    response = _response_or_404(response_id)
    try:
        write(response)
    except ValidationError as error:
        context = _detail_context(request, response, errors={panel: " ".join(error.messages)})
        template = PANELS[panel] if _htmx(request) else "followups/response.html"
        return _render(request, template, context, status=400)
    if _htmx(request):
        fresh = _response_or_404(response_id)
        return _render(request, PANELS[panel], _detail_context(request, fresh))
    messages.success(request, done)
    return redirect("followups:response", org_slug=_org(request).slug, response_id=response_id)


@require_POST
@require_role(Role.ADMIN)
def response_status(request: HttpRequest, org_slug: str, response_id: int) -> HttpResponse:
    def write(response: Response) -> None:
        status = _valid(StatusForm(request.POST))["status"]
        services.follow_up_set_status(response=response, status=status)

    return _write(request, response_id, write, panel="followup", done=_("Status changed."))


@require_POST
@require_role(Role.ADMIN)
def response_assignee(request: HttpRequest, org_slug: str, response_id: int) -> HttpResponse:
    def write(response: Response) -> None:
        assignee_id = _valid(AssigneeForm(request.POST))["assignee"]
        services.follow_up_assign(response=response, assignee_id=assignee_id)

    return _write(request, response_id, write, panel="followup", done=_("Assignee changed."))


@require_POST
@require_role(Role.ADMIN)
def response_tags(request: HttpRequest, org_slug: str, response_id: int) -> HttpResponse:
    def write(response: Response) -> None:
        raw = _valid(TagsForm(request.POST))["tags"]
        services.follow_up_set_tags(response=response, raw=raw)

    return _write(request, response_id, write, panel="followup", done=_("Tags saved."))


@require_POST
@require_role(Role.ADMIN)
def note_add(request: HttpRequest, org_slug: str, response_id: int) -> HttpResponse:
    def write(response: Response) -> None:
        body = _valid(NoteForm(request.POST))["body"]
        services.note_add(response=response, author=_user(request), body=body)

    return _write(request, response_id, write, panel="notes", done=_("Note added."))


@require_POST
@require_role(Role.ADMIN)
def note_delete(request: HttpRequest, org_slug: str, note_id: int) -> HttpResponse:
    note = get_object_or_404(Note, pk=note_id)
    response_id = note.response_id
    services.note_delete(note=note, user=_user(request), role=_role(request))
    if _htmx(request):
        context = _detail_context(request, _response_or_404(response_id))
        return _render(request, PANELS["notes"], context)
    messages.success(request, _("Note deleted."))
    return redirect("followups:response", org_slug=org_slug, response_id=response_id)


# --- One respondent ------------------------------------------------------------------


@require_role(Role.VIEWER)
def respondent_detail(request: HttpRequest, org_slug: str, respondent_id: int) -> HttpResponse:
    respondent = get_object_or_404(Respondent, pk=respondent_id)
    if request.method not in READ_METHODS:
        return HttpResponseNotAllowed(READ_METHODS)
    history = selectors.respondent_history(respondent=respondent)
    traits = respondent.traits if isinstance(respondent.traits, dict) else {}
    context = {
        "respondent": respondent,
        "traits": sorted(traits.items()),
        "history": history,
        "newest_first": history[::-1],
        "curve": relationship_curve(history, zone=_zone(request)),
        "history_limit": selectors.HISTORY_LIMIT,
    }
    return _render(request, "followups/respondent.html", context)


# --- CSV export ----------------------------------------------------------------------


@require_GET
@require_role(Role.VIEWER)
def export_csv(request: HttpRequest, org_slug: str) -> HttpResponse:
    filters, bar = read_filters(request)
    if filters is None:
        return _bad_request(request, bar)
    queryset = filters.apply(Response.objects.all())
    try:
        _theme_found, of_theme = _theme(request, filters)
    except BadRequest as error:
        return _bad_request(request, bar, str(error))
    if of_theme is not None:
        queryset = queryset.filter(pk__in=of_theme)
    if request.GET.get("inbox") == "1":
        # From the inbox: the same items as on screen, in every page.
        form = InboxForm(request.GET)
        if not form.is_valid():
            return _bad_request(request, bar, *_form_errors(form))
        queryset = selectors.inbox_matching(
            filters=filters, params=form.params(), user=_user(request)
        )
    organization, zone = _org(request), _zone(request)
    lines = export.csv_lines(organization=organization, queryset=queryset, zone=zone)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    today = timezone.localdate(timezone=zone).isoformat()
    filename = f"responses-{organization.slug}-{today}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    # require_role is typed for HttpResponse; a streaming one serves the same.
    return cast(HttpResponse, response)
