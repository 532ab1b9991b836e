from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from . import selectors, services
from .decorators import require_role
from .forms import (
    ApiKeyForm,
    EmailAuthenticationForm,
    InvitationForm,
    OrganizationForm,
    RoleForm,
    SignupForm,
)
from .language import saved_language
from .models import ApiKey, Invitation, Membership, Role


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    orgs = selectors.organizations_for_user(user=request.user)
    last = request.session.get("last_org")
    if last and orgs.filter(slug=last).exists():
        return redirect("dashboards:overview", org_slug=last)
    if len(orgs) == 1:
        return redirect("dashboards:overview", org_slug=orgs[0].slug)
    return redirect("organization_list")


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user, organization = services.signup(**form.cleaned_data)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome! %(name)s is ready.") % {"name": organization.name})
        return redirect("dashboards:overview", org_slug=organization.slug)
    return render(request, "registration/signup.html", {"form": form}, status=_status(form))


def _status(form: object) -> int:
    # A rejected form answers 422 so scripts and htmx can tell it from a success.
    return 422 if getattr(form, "errors", None) else 200


@login_required
@require_http_methods(["GET", "POST"])
def organization_list(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organization = services.organization_create(
            name=form.cleaned_data["name"],
            owner=request.user,  # type: ignore[arg-type]
        )
        messages.success(request, _("%(name)s created.") % {"name": organization.name})
        return redirect("dashboards:overview", org_slug=organization.slug)
    orgs = selectors.organizations_for_user(user=request.user)
    return render(
        request,
        "tenants/organization_list.html",
        {"orgs": orgs, "form": form},
        status=_status(form),
    )


@require_http_methods(["GET", "POST"])
@require_role(Role.ADMIN)
def organization_settings(request: HttpRequest, org_slug: str) -> HttpResponse:
    organization = request.organization  # type: ignore[attr-defined]
    form = OrganizationForm(request.POST or None, initial={"name": organization.name})
    if request.method == "POST" and form.is_valid():
        services.organization_update(organization=organization, name=form.cleaned_data["name"])
        messages.success(request, _("Organization renamed."))
        return redirect("organization_settings", org_slug=org_slug)
    return _settings_page(request, form=form, status=_status(form))


class RotateSecretForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that hashes made with the current secret stop working."),
        error_messages={"required": gettext_lazy("Tick the box to confirm the new secret.")},
    )


class FatigueForm(forms.Form):
    fatigue_days = forms.IntegerField(
        label=gettext_lazy("Ask each person at most once every (days)"),
        min_value=0,
        max_value=services.MAX_FATIGUE_DAYS,
        help_text=gettext_lazy("Counts every survey of the organization; 0 means no cap."),
    )


def _settings_page(
    request: HttpRequest,
    *,
    form: OrganizationForm | None = None,
    rotate_form: RotateSecretForm | None = None,
    fatigue_form: FatigueForm | None = None,
    status: int = 200,
) -> HttpResponse:
    organization = request.organization  # type: ignore[attr-defined]
    context = {
        "form": form or OrganizationForm(initial={"name": organization.name}),
        "rotate_form": rotate_form or RotateSecretForm(),
        "fatigue_form": fatigue_form
        or FatigueForm(initial={"fatigue_days": organization.fatigue_days}),
    }
    return render(request, "tenants/settings.html", context, status=status)


@require_POST
@require_role(Role.ADMIN)
def organization_fatigue(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = FatigueForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, fatigue_form=form, status=400)
    services.organization_set_fatigue(
        organization=request.organization,  # type: ignore[attr-defined]
        days=form.cleaned_data["fatigue_days"],
    )
    messages.success(request, _("Survey fatigue cap saved."))
    return redirect(f"{_settings_url(org_slug)}#fatigue")


@require_POST
@require_role(Role.ADMIN)
def identity_secret_rotate(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = RotateSecretForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, rotate_form=form, status=400)
    services.identity_secret_rotate(organization=request.organization)  # type: ignore[attr-defined]
    messages.success(
        request,
        _(
            "New identity secret created. User hashes made with the old secret no longer "
            "verify: update your servers now."
        ),
    )
    return redirect(f"{_settings_url(org_slug)}#identity")


@require_POST
@require_role(Role.ADMIN)
def identity_verification(request: HttpRequest, org_slug: str) -> HttpResponse:
    required = request.POST.get("required") in ("on", "true", "1")
    services.identity_verification_set(
        organization=request.organization,  # type: ignore[attr-defined]
        required=required,
    )
    if required:
        messages.success(request, _("The widget now surveys verified users only."))
    else:
        messages.success(request, _("The widget no longer requires verified users."))
    return redirect(f"{_settings_url(org_slug)}#identity")


def _settings_url(org_slug: str) -> str:
    return reverse("organization_settings", args=[org_slug])


@require_http_methods(["GET", "POST"])
@require_role(Role.VIEWER)
def members(request: HttpRequest, org_slug: str) -> HttpResponse:
    organization = request.organization  # type: ignore[attr-defined]
    form = InvitationForm(request.POST or None)
    if request.method == "POST":
        if not _can_manage(request):
            return HttpResponse(_("Inviting needs the admin role."), status=403)
        if form.is_valid():
            try:
                services.invitation_create(
                    organization=organization,
                    invited_by=request.user,  # type: ignore[arg-type]
                    **form.cleaned_data,
                )
            except ValidationError as error:
                form.add_error("email", _error_text(error))
            else:
                messages.success(
                    request,
                    _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]},
                )
                return redirect("members", org_slug=org_slug)
    context = {
        "members": selectors.members_of(organization=organization),
        "invitations": Invitation.objects.filter(accepted_at__isnull=True),
        "form": form,
        "roles": Role.choices,
        "can_manage": _can_manage(request),
    }
    return render(request, "tenants/members.html", context, status=_status(form))


def _can_manage(request: HttpRequest) -> bool:
    return request.membership.role in (Role.OWNER, Role.ADMIN)  # type: ignore[attr-defined]


@require_POST
@require_role(Role.OWNER)
def member_update(request: HttpRequest, org_slug: str, membership_id: int) -> HttpResponse:
    membership = get_object_or_404(
        Membership,
        pk=membership_id,
        organization=request.organization,  # type: ignore[attr-defined]
    )
    try:
        if request.POST.get("action") == "remove":
            services.membership_remove(membership=membership)
            messages.success(request, _("%(email)s removed.") % {"email": membership.user.email})
        else:
            form = RoleForm(request.POST)
            if not form.is_valid():
                return HttpResponse(_("Unknown role."), status=422)
            services.membership_set_role(membership=membership, role=form.cleaned_data["role"])
            messages.success(
                request,
                _("%(email)s is now %(role)s.")
                % {"email": membership.user.email, "role": membership.get_role_display()},
            )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    return redirect("members", org_slug=org_slug)


@require_POST
@require_role(Role.ADMIN)
def invitation_revoke(request: HttpRequest, org_slug: str, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=invitation_id, accepted_at__isnull=True)
    invitation.delete()
    messages.success(request, _("Invitation of %(email)s withdrawn.") % {"email": invitation.email})
    return redirect("members", org_slug=org_slug)


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = selectors.invitation_by_token(token=token)
    if invitation is None:
        return render(request, "tenants/invitation_invalid.html", status=404)
    if request.method == "POST" and request.user.is_authenticated:
        try:
            services.invitation_accept(invitation=invitation, user=request.user)  # type: ignore[arg-type]
        except ValidationError as error:
            messages.error(request, _error_text(error))
            return redirect("home")
        messages.success(
            request, _("You joined %(name)s.") % {"name": invitation.organization.name}
        )
        return redirect("dashboards:overview", org_slug=invitation.organization.slug)
    return render(request, "tenants/invitation_accept.html", {"invitation": invitation})


@require_http_methods(["GET", "POST"])
@require_role(Role.ADMIN)
def api_keys(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _, new_key = services.api_key_create(
            organization=request.organization,  # type: ignore[attr-defined]
            created_by=request.user,  # type: ignore[arg-type]
            **form.cleaned_data,
        )
        form = ApiKeyForm()
    context = {"keys": ApiKey.objects.all(), "form": form, "new_key": new_key}
    return render(request, "tenants/api_keys.html", context, status=_status(form))


@require_POST
@require_role(Role.ADMIN)
def api_key_revoke(request: HttpRequest, org_slug: str, key_id: int) -> HttpResponse:
    api_key = services.api_key_revoke(api_key=get_object_or_404(ApiKey, pk=key_id))
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "tenants/_api_key_row.html", {"key": api_key})
    messages.success(request, _("Key “%(name)s” revoked.") % {"name": api_key.name})
    return redirect("api_keys", org_slug=org_slug)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=gettext_lazy("Interface language"),
        choices=[("", gettext_lazy("Same as my browser")), *settings.LANGUAGES],
        required=False,
    )


@require_http_methods(["GET", "POST"])
def account_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language, saved on the user so it follows them everywhere.

    Anonymous visitors get the language cookie only.
    """
    initial = {"language": saved_language(user=request.user)}
    form = LanguageForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            services.user_language_set(user=request.user, language=language)  # type: ignore[arg-type]
        translation.activate(language or settings.LANGUAGE_CODE)
        messages.success(request, _("Language saved."))
        response = redirect(_safe_next(request))
        _set_language_cookie(response, language)
        return response
    return render(
        request,
        "tenants/account_language.html",
        {"form": form, "next": _safe_next(request)},
        status=400 if form.errors else 200,
    )


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else reverse("account_language")


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    if not language:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
        return
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


class ThrottledLoginView(auth_views.LoginView):
    """The login page; answers 429 while too many attempts have failed."""

    authentication_form = EmailAuthenticationForm

    def form_invalid(self, form: EmailAuthenticationForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_invalid(form)
        if form.throttled:
            response.status_code = 429
            response["Retry-After"] = str(settings.LOGIN_LOCKOUT_SECONDS)
        return response
