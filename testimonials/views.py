"""The back office's Testimonials pages under /o/<slug>/testimonials/.

Everyone in the organization reads; owners and admins review, correct typos,
choose the surveys that ask, and set up the wall. Writes are POST forms that
redirect back with a message, so every page works without JavaScript.
"""

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from surveys.models import Survey
from surveys.selectors import surveys_of_organization
from tenants.decorators import require_role
from tenants.models import Organization, Role, role_at_least

from . import selectors, services
from .forms import EditForm, ReviewForm, WallForm
from .models import Status, Testimonial

READ_METHODS = ["GET", "HEAD"]
PAGE_SIZE = 100


def _org(request: HttpRequest) -> Organization:
    return request.organization  # type: ignore[attr-defined,no-any-return]


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    role = request.membership.role  # type: ignore[attr-defined]
    context.setdefault("can_manage", role_at_least(role, Role.ADMIN))
    return render(request, template, context, status=status)


@require_role(Role.VIEWER)
def testimonial_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    if request.method not in READ_METHODS:
        return HttpResponseNotAllowed(READ_METHODS)
    status = request.GET.get("status", Status.PENDING)
    if status not in Status.values:
        status = Status.PENDING
    counts = selectors.status_counts()
    tabs = [
        {"key": key, "label": label, "count": counts[key], "current": key == status}
        for key, label in Status.choices
    ]
    rows = selectors.testimonials_listed(status=status)[:PAGE_SIZE]
    context = {"tabs": tabs, "status": status, "rows": rows, "page_size": PAGE_SIZE}
    return _render(request, "testimonials/list.html", context)


def _testimonial_or_404(testimonial_id: int) -> Testimonial:
    testimonial = selectors.testimonial_detail(testimonial_id=testimonial_id)
    if testimonial is None:
        raise Http404
    return testimonial


def _detail(
    request: HttpRequest, testimonial: Testimonial, form: EditForm | None = None, status: int = 200
) -> HttpResponse:
    initial = {field: getattr(testimonial, field) for field in services.EDITABLE}
    context = {
        "t": testimonial,
        "form": form or EditForm(initial=initial),
        "allowance": services.edit_allowance(testimonial.quote),
        "withdraw_url": request.build_absolute_uri(selectors.withdraw_path(testimonial)),
    }
    return _render(request, "testimonials/detail.html", context, status=status)


@require_role(Role.VIEWER)
def testimonial_detail(request: HttpRequest, org_slug: str, testimonial_id: int) -> HttpResponse:
    # Looked up before the method: another organization's id is a 404, never a 405.
    testimonial = _testimonial_or_404(testimonial_id)
    if request.method not in READ_METHODS:
        return HttpResponseNotAllowed(READ_METHODS)
    return _detail(request, testimonial)


@require_POST
@require_role(Role.ADMIN)
def testimonial_review(request: HttpRequest, org_slug: str, testimonial_id: int) -> HttpResponse:
    testimonial = _testimonial_or_404(testimonial_id)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
    elif services.testimonial_review(
        testimonial=testimonial, status=form.cleaned_data["status"], reviewer=_user(request)
    ):
        approved = form.cleaned_data["status"] == Status.APPROVED
        messages.success(request, _("Approved: it is on the wall.") if approved else _("Rejected."))
    else:
        messages.error(request, _("Nothing changed: it was withdrawn or already in that state."))
    back = reverse("testimonials:list", kwargs={"org_slug": org_slug})
    return redirect(f"{back}?status={request.POST.get('back', testimonial.status)}")


@require_POST
@require_role(Role.ADMIN)
def testimonial_edit(request: HttpRequest, org_slug: str, testimonial_id: int) -> HttpResponse:
    testimonial = _testimonial_or_404(testimonial_id)
    form = EditForm(request.POST)
    if not form.is_valid():
        return _detail(request, testimonial, form, status=400)
    try:
        edits = services.testimonial_edit(
            testimonial=testimonial,
            changes=form.cleaned_data,
            editor=_user(request),
            editor_label=_user(request).email,
        )
    except ValidationError as error:
        for field, problems in error.message_dict.items():
            for problem in problems:
                form.add_error(field if field in form.fields else None, problem)
        return _detail(request, testimonial, form, status=400)
    messages.success(request, _("Saved.") if edits else _("Nothing changed."))
    return redirect("testimonials:detail", org_slug=org_slug, testimonial_id=testimonial.pk)


def _snippets(request: HttpRequest, key: str) -> dict[str, str]:
    script = request.build_absolute_uri(reverse("testimonials_js"))
    page = request.build_absolute_uri(reverse("testimonial_wall", args=[key]))
    return {
        "snippet_script": f'<script async src="{script}" data-wall="{key}"></script>',
        "snippet_iframe": (
            f'<iframe src="{page}" title="Testimonials" width="100%" height="480" '
            'loading="lazy"></iframe>'
        ),
        "wall_url": page,
    }


@require_role(Role.VIEWER)
def wall_settings(request: HttpRequest, org_slug: str) -> HttpResponse:
    # Read only: a GET shows the defaults of a wall not saved yet (its first save creates it).
    wall = selectors.wall_or_default(organization=_org(request))
    initial = {
        "heading": wall.heading,
        "accent_color": wall.accent_color,
        "allowed_origins": "\n".join(wall.allowed_origins),
    }
    form, status = WallForm(initial=initial), 200
    if request.method == "POST":
        if not role_at_least(request.membership.role, Role.ADMIN):  # type: ignore[attr-defined]
            return HttpResponse(status=403)
        form = WallForm(request.POST)
        if form.is_valid() and _save_wall(form, _org(request)):
            messages.success(request, _("Wall saved."))
            return redirect("testimonials:wall", org_slug=org_slug)
        status = 400
    elif request.method not in READ_METHODS:
        return HttpResponseNotAllowed([*READ_METHODS, "POST"])
    asking = selectors.asking_survey_ids()
    surveys = [(survey, survey.pk in asking) for survey in surveys_of_organization()]
    context = {
        "wall": wall,
        "form": form,
        "surveys": surveys,
        **(_snippets(request, wall.public_key) if wall.pk is not None else {}),
    }
    return _render(request, "testimonials/wall_settings.html", context, status=status)


def _save_wall(form: WallForm, organization: Organization) -> bool:
    data = form.cleaned_data
    origins = [line for line in data["allowed_origins"].split() if line]
    try:
        services.wall_save(
            organization=organization,
            heading=data["heading"],
            accent_color=data["accent_color"],
            allowed_origins=origins,
        )
    except ValidationError as error:
        form.add_error(None, error)
        return False
    return True


@require_POST
@require_role(Role.ADMIN)
def consent_ask(request: HttpRequest, org_slug: str, survey_id: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=survey_id)
    enabled = request.POST.get("ask") == "1"
    services.consent_ask_set(survey=survey, enabled=enabled)
    if enabled:
        messages.success(request, _("%(name)s now asks its promoters.") % {"name": survey.name})
    else:
        messages.success(request, _("%(name)s no longer asks.") % {"name": survey.name})
    return redirect("testimonials:wall", org_slug=org_slug)
