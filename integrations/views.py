"""The webhooks pages: subscriptions, their delivery log, a test button.

Every member reads; owners and admins change things.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tenants.decorators import require_role
from tenants.models import Role, role_at_least

from . import selectors, services
from .forms import WebhookForm
from .models import Delivery, Webhook

LOG_ROWS = 100


def _can_edit(request: HttpRequest) -> bool:
    return role_at_least(request.membership.role, Role.ADMIN)  # type: ignore[attr-defined]


def _saved(form: WebhookForm, save: Any) -> Webhook | None:
    """Runs `save` on a valid form; the services' refusals become form errors."""
    if not form.is_valid():
        return None
    try:
        webhook: Webhook = save(**form.cleaned_data)
    except ValidationError as exc:
        form.add_error(None, exc)
        return None
    return webhook


@require_http_methods(["GET", "HEAD", "POST"])
@require_role(Role.VIEWER)
def webhooks_page(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = WebhookForm()
    created = None
    status = 200
    if request.method == "POST":
        if not _can_edit(request):
            raise PermissionDenied
        form = WebhookForm(request.POST)
        created = _saved(
            form,
            lambda **data: services.webhook_create(
                organization=request.organization,  # type: ignore[attr-defined]
                **data,
            ),
        )
        form = WebhookForm() if created else form
        status = 200 if created else 400
    context = {
        "webhooks": selectors.webhooks_of_organization(),
        "form": form,
        "created": created,
        "can_edit": _can_edit(request),
    }
    return render(request, "integrations/webhooks.html", context, status=status)


def _detail(
    request: HttpRequest, webhook: Webhook, *, form: WebhookForm | None = None, status: int = 200
) -> HttpResponse:
    chosen = request.GET.get("status", "")
    chosen = chosen if chosen in Delivery.Status.values else ""
    context = {
        "webhook": webhook,
        "form": form or WebhookForm.of(webhook),
        "can_edit": _can_edit(request),
        "deliveries": selectors.deliveries_of_webhook(webhook=webhook, status=chosen)[:LOG_ROWS],
        "statuses": Delivery.Status.choices,
        "chosen_status": chosen,
    }
    if request.htmx and request.method == "GET":  # type: ignore[attr-defined]
        return render(request, "integrations/_deliveries.html", context)
    return render(request, "integrations/webhook.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@require_role(Role.VIEWER)
def webhook_page(request: HttpRequest, org_slug: str, webhook_id: int) -> HttpResponse:
    webhook = get_object_or_404(Webhook.objects.select_related("survey"), pk=webhook_id)
    if request.method != "POST":
        return _detail(request, webhook)
    if not _can_edit(request):
        raise PermissionDenied
    form = WebhookForm(request.POST)
    if _saved(form, lambda **data: services.webhook_update(webhook=webhook, **data)) is None:
        return _detail(request, webhook, form=form, status=400)
    messages.success(request, _("Webhook saved."))
    return redirect("integrations:detail", org_slug=org_slug, webhook_id=webhook.pk)


@require_POST
@require_role(Role.ADMIN)
def webhook_test(request: HttpRequest, org_slug: str, webhook_id: int) -> HttpResponse:
    webhook = get_object_or_404(Webhook, pk=webhook_id)
    delivery = services.webhook_send_test(webhook=webhook)
    if delivery.status == Delivery.Status.SUCCEEDED:
        messages.success(
            request,
            _("Test event delivered: HTTP %(code)s in %(ms)s ms.")
            % {"code": delivery.last_status_code, "ms": delivery.last_duration_ms},
        )
    else:
        messages.error(
            request,
            _("Test event failed: %(detail)s")
            % {"detail": delivery.last_status_code or delivery.last_response},
        )
    return redirect("integrations:detail", org_slug=org_slug, webhook_id=webhook.pk)


@require_POST
@require_role(Role.ADMIN)
def webhook_active(request: HttpRequest, org_slug: str, webhook_id: int) -> HttpResponse:
    webhook = get_object_or_404(Webhook, pk=webhook_id)
    active = request.POST.get("active") == "1"
    services.webhook_update(webhook=webhook, is_active=active)
    messages.success(request, _("Webhook switched on.") if active else _("Webhook switched off."))
    return redirect("integrations:detail", org_slug=org_slug, webhook_id=webhook.pk)


@require_POST
@require_role(Role.ADMIN)
def webhook_delete(request: HttpRequest, org_slug: str, webhook_id: int) -> HttpResponse:
    webhook = get_object_or_404(Webhook, pk=webhook_id)
    services.webhook_delete(webhook=webhook)
    messages.success(request, _("Webhook deleted."))
    return redirect("integrations:list", org_slug=org_slug)


@require_POST
@require_role(Role.ADMIN)
def delivery_retry(
    request: HttpRequest, org_slug: str, webhook_id: int, delivery_id: int
) -> HttpResponse:
    webhook = get_object_or_404(Webhook, pk=webhook_id)
    delivery = get_object_or_404(Delivery, pk=delivery_id, webhook=webhook)
    try:
        delivery = services.delivery_redeliver(delivery=delivery)
    except services.DeliveryBusy:
        messages.error(request, _("This delivery is still being tried; wait for it to finish."))
    else:
        messages.success(
            request, _("Sent again: %(status)s.") % {"status": delivery.get_status_display()}
        )
    return redirect("integrations:detail", org_slug=org_slug, webhook_id=webhook.pk)
