"""The survey requests page: who is asked by email, when, and how it went.

Every member reads; scheduling and the recurrence need the admin role.
"""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from surveys.models import Survey
from tenants.decorators import require_role
from tenants.models import Role, role_at_least

from . import forms, selectors, services
from .models import Source, Status

PAGE_ROWS = 200


def _survey(survey_id: int) -> Survey:
    return get_object_or_404(Survey.objects.select_related("organization"), pk=survey_id)


def _page(
    request: HttpRequest, survey: Survey, *, status: int = 200, **forms_: Any
) -> HttpResponse:
    chosen = request.GET.get("status", "")
    chosen = chosen if chosen in Status.values else ""
    context = {
        "survey": survey,
        "requests": selectors.requests_of_survey(survey=survey, status=chosen)[:PAGE_ROWS],
        "statuses": Status.choices,
        "chosen_status": chosen,
        "can_edit": role_at_least(request.membership.role, Role.ADMIN),  # type: ignore[attr-defined]
        "upload_form": forms_.get("upload_form") or forms.UploadForm(),
        "send_form": forms_.get("send_form") or forms.RecipientForm(),
        "recur_form": forms_.get("recur_form")
        or forms.RecurForm(initial={"recur_days": survey.recur_days}),
        "upload_errors": forms_.get("upload_errors", []),
    }
    return render(request, "outreach/requests.html", context, status=status)


@require_role(Role.VIEWER)
def requests_page(request: HttpRequest, org_slug: str, survey_id: int) -> HttpResponse:
    survey = _survey(survey_id)
    # Looked up first: another organization's survey is a 404 whatever the method.
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return _page(request, survey)


@require_POST
@require_role(Role.ADMIN)
def requests_upload(request: HttpRequest, org_slug: str, survey_id: int) -> HttpResponse:
    survey = _survey(survey_id)
    form = forms.UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, survey, status=400, upload_form=form)
    recipients, errors = forms.recipients_from_csv(form.cleaned_data["file"])
    if errors:
        return _page(request, survey, status=400, upload_form=form, upload_errors=errors)
    services.requests_schedule_many(
        survey=survey,
        recipients=recipients,
        delay=forms.delay_seconds(form.cleaned_data["delay_days"]),
        source=Source.CSV,
    )
    message = ngettext(
        "%(count)s person scheduled.", "%(count)s people scheduled.", len(recipients)
    ) % {"count": len(recipients)}
    messages.success(request, message)
    return redirect("outreach:requests", org_slug=org_slug, survey_id=survey.pk)


@require_POST
@require_role(Role.ADMIN)
def request_send_one(request: HttpRequest, org_slug: str, survey_id: int) -> HttpResponse:
    survey = _survey(survey_id)
    form = forms.RecipientForm(request.POST)
    if not form.is_valid():
        return _page(request, survey, status=400, send_form=form)
    data = form.cleaned_data
    recipient = services.Recipient(
        email=data["email"], name=data["name"], language=data["language"]
    )
    services.request_schedule(
        survey=survey,
        recipient=recipient,
        delay=forms.delay_seconds(data["delay_days"]),
        source=Source.FORM,
    )
    messages.success(request, _("Survey request scheduled for %(email)s.") % data)
    return redirect("outreach:requests", org_slug=org_slug, survey_id=survey.pk)


@require_POST
@require_role(Role.ADMIN)
def recur_set(request: HttpRequest, org_slug: str, survey_id: int) -> HttpResponse:
    survey = _survey(survey_id)
    form = forms.RecurForm(request.POST)
    if not form.is_valid():
        return _page(request, survey, status=400, recur_form=form)
    services.survey_recur_set(survey=survey, recur_days=form.cleaned_data["recur_days"])
    messages.success(request, _("Recurrence saved."))
    return redirect("outreach:requests", org_slug=org_slug, survey_id=survey.pk)
