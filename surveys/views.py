"""Survey management pages under /o/<org_slug>/surveys/.

Every member reads; changes need the admin role. Surveys are looked up through
the tenant-scoped manager, so another organization's survey is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from nps_site.security import csp_extend, origin_of
from tenants.decorators import require_role
from tenants.models import Role, role_at_least

from . import install, selectors, services
from .forms import POLICY_FIELDS, SurveyCreateForm, SurveyEditForm, VariantCreateForm, VariantForm
from .models import Survey, SurveyVariant
from .presets import LANGUAGES, PRESETS
from .preview import preview_context


def _survey(survey_id: int) -> Survey:
    return get_object_or_404(Survey.objects.select_related("organization"), pk=survey_id)


def _can_edit(request: HttpRequest) -> bool:
    return role_at_least(request.membership.role, Role.ADMIN)  # type: ignore[attr-defined]


@require_GET
@require_role(Role.VIEWER)
def survey_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    context = {"surveys": selectors.surveys_of_organization(), "can_edit": _can_edit(request)}
    return render(request, "surveys/list.html", context)


@require_http_methods(["GET", "POST"])
@require_role(Role.ADMIN)
def survey_create(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = SurveyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.survey_create(
                organization=request.organization,  # type: ignore[attr-defined]
                kind=form.cleaned_data["kind"],
                name=form.cleaned_data["name"],
                product_name=form.cleaned_data["product_name"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Survey created. Review its texts and settings."))
            return redirect("surveys:edit", org_slug=org_slug, survey_id=survey.pk)
    status = 400 if form.errors else 200
    context = {"form": form, "examples": _template_questions()}
    return render(request, "surveys/create.html", context, status=status)


def _template_questions() -> dict[str, str]:
    """Each template's question, in the interface's language when the widget speaks it."""
    language = get_language() or "en"
    language = language if language in LANGUAGES else "en"
    return {kind: texts[language]["question"] for kind, texts in PRESETS.items()}


@require_http_methods(["GET", "POST"])
@require_role(Role.VIEWER)
def survey_edit(request: HttpRequest, org_slug: str, survey_id: int) -> HttpResponse:
    survey = _survey(survey_id)
    if request.method == "GET":
        form = SurveyEditForm(initial=SurveyEditForm.initial_for(survey))
        return _edit_page(request, survey, form)
    if not _can_edit(request):
        return HttpResponse(_("Editing a survey needs the admin role."), status=403)
    form = SurveyEditForm(request.POST)
    if form.is_valid():
        try:
            services.survey_update(survey=survey, **form.changes())
        except ValidationError as error:
            form.add_model_errors(error)
        else:
            messages.success(request, _("Survey saved."))
            return redirect("surveys:edit", org_slug=org_slug, survey_id=survey.pk)
    # The update may have changed the object in memory before failing: show the saved one.
    return _edit_page(request, _survey(survey_id), form, status=400)


def _edit_page(
    request: HttpRequest, survey: Survey, form: SurveyEditForm, status: int = 200
) -> HttpResponse:
    context = {
        "survey": survey,
        "form": form,
        "policy_fields": [form[name] for name in POLICY_FIELDS],
        "preview": preview_context(survey=survey),
        "can_edit": _can_edit(request),
        "variants": list(selectors.variants_of_survey(survey=survey)),
    }
    response = render(request, "surveys/edit.html", context, status=status)
    # The preview shows the logo from wherever it is hosted, live as its address is typed.
    return csp_extend(response, img_src=["https:", *origin_of(survey.logo_url)])


@require_POST
@require_role(Role.ADMIN)
def survey_pause(request: HttpRequest, org_slug: str, survey_id: int) -> HttpResponse:
    survey = services.survey_pause(survey=_survey(survey_id))
    message = _("“%(name)s” is paused: nobody is asked.") % {"name": survey.name}
    return _after_toggle(request, org_slug, survey, message)


@require_POST
@require_role(Role.ADMIN)
def survey_resume(request: HttpRequest, org_slug: str, survey_id: int) -> HttpResponse:
    survey = services.survey_resume(survey=_survey(survey_id))
    message = _("“%(name)s” is running again.") % {"name": survey.name}
    return _after_toggle(request, org_slug, survey, message)


def _after_toggle(
    request: HttpRequest, org_slug: str, survey: Survey, message: str
) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        # The list swaps the survey's row in place; the row shows the new status.
        list_url = reverse("surveys:list", kwargs={"org_slug": org_slug})
        context = {"survey": survey, "can_edit": True, "list_url": list_url}
        return render(request, "surveys/_survey_row.html", context)
    messages.success(request, message)
    return redirect(_back(request, org_slug, survey))


def _back(request: HttpRequest, org_slug: str, survey: Survey) -> str:
    """The page the button was on, when it is one of ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("surveys:edit", kwargs={"org_slug": org_slug, "survey_id": survey.pk})


@require_role(Role.VIEWER)
def survey_install(request: HttpRequest, org_slug: str, survey_id: int) -> HttpResponse:
    survey = _survey(survey_id)
    # Looked up first: another organization's survey is a 404 whatever the method.
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    can_edit = _can_edit(request)
    context = {
        "survey": survey,
        "can_edit": can_edit,
        # The identity secret signs users: only those who may rotate it see it.
        **install.install_context(request=request, survey=survey, show_secret=can_edit),
    }
    return render(request, "surveys/install.html", context)


# Variants (A/B tests) ------------------------------------------------------------


def _variant(survey: Survey, variant_id: int) -> SurveyVariant:
    return get_object_or_404(selectors.variants_of_survey(survey=survey), pk=variant_id)


@require_http_methods(["GET", "POST"])
@require_role(Role.ADMIN)
def variant_create(request: HttpRequest, org_slug: str, survey_id: int) -> HttpResponse:
    survey = _survey(survey_id)
    first = not selectors.variants_of_survey(survey=survey).exists()
    form_class = VariantCreateForm if first else VariantForm
    form = form_class(request.POST or None, survey=survey)
    if request.method == "POST" and form.is_valid():
        try:
            _create_variants(survey, form, with_control=first and form.cleaned_data["with_control"])
        except ValidationError as error:
            form.add_model_errors(error)
        else:
            messages.success(request, _("Variant created: respondents are now split by weight."))
            return redirect(_variants_anchor(org_slug, survey))
    context = {"survey": survey, "form": form, "variant": None, "can_edit": True}
    return render(request, "surveys/variant.html", context, status=400 if form.errors else 200)


def _create_variants(survey: Survey, form: VariantForm, *, with_control: bool) -> None:
    # One transaction: a refused variant leaves no control behind.
    with transaction.atomic():
        if with_control:
            weight = form.cleaned_data["weight"]
            services.variant_create(survey=survey, name=_("Original"), weight=weight)
        services.variant_create(
            survey=survey,
            name=form.cleaned_data["name"],
            weight=form.cleaned_data["weight"],
            texts=form.texts(),
        )


def _variants_anchor(org_slug: str, survey: Survey) -> str:
    return reverse("surveys:edit", kwargs={"org_slug": org_slug, "survey_id": survey.pk}) + (
        "#variants"
    )


@require_http_methods(["GET", "POST"])
@require_role(Role.VIEWER)
def variant_edit(
    request: HttpRequest, org_slug: str, survey_id: int, variant_id: int
) -> HttpResponse:
    survey = _survey(survey_id)
    variant = _variant(survey, variant_id)
    can_edit = _can_edit(request)
    if request.method == "GET":
        form = VariantForm(initial=VariantForm.initial_for(variant), survey=survey)
    elif not can_edit:
        return HttpResponse(_("Editing a variant needs the admin role."), status=403)
    else:
        form = VariantForm(request.POST, survey=survey)
        if form.is_valid():
            try:
                services.variant_update(
                    variant=variant,
                    name=form.cleaned_data["name"],
                    weight=form.cleaned_data["weight"],
                    texts=form.texts(),
                )
            except ValidationError as error:
                form.add_model_errors(error)
            else:
                messages.success(request, _("Variant saved."))
                return redirect(_variants_anchor(org_slug, survey))
        variant.refresh_from_db()
    context = {"survey": survey, "form": form, "variant": variant, "can_edit": can_edit}
    return render(request, "surveys/variant.html", context, status=400 if form.errors else 200)


@require_POST
@require_role(Role.ADMIN)
def variant_stop(
    request: HttpRequest, org_slug: str, survey_id: int, variant_id: int
) -> HttpResponse:
    variant = _variant(_survey(survey_id), variant_id)
    services.variant_update(variant=variant, is_active=False)
    messages.success(
        request, _("“%(name)s” is stopped: nobody new sees it.") % {"name": variant.name}
    )
    return redirect(_variants_anchor(org_slug, variant.survey))


@require_POST
@require_role(Role.ADMIN)
def variant_start(
    request: HttpRequest, org_slug: str, survey_id: int, variant_id: int
) -> HttpResponse:
    variant = _variant(_survey(survey_id), variant_id)
    services.variant_update(variant=variant, is_active=True)
    messages.success(request, _("“%(name)s” is running again.") % {"name": variant.name})
    return redirect(_variants_anchor(org_slug, variant.survey))
