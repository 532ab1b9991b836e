"""The alerts page: chat destinations, a test button, and the send log.

Every member reads; owners and admins add, change, test and delete.
"""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenants.decorators import require_role
from tenants.models import Role, role_at_least

from . import selectors, services
from .forms import DestinationForm
from .models import Delivery, DeliveryStatus, Destination

LOG_ROWS = 50


def _can_edit(request: HttpRequest) -> bool:
    return role_at_least(request.membership.role, Role.ADMIN)  # type: ignore[attr-defined]


def _page(request: HttpRequest, form: DestinationForm | None = None, status: int = 200) -> Any:
    context = {
        "destinations": Destination.objects.select_related("survey"),
        "deliveries": selectors.deliveries_recent(limit=LOG_ROWS),
        "can_edit": _can_edit(request),
        "form": form or DestinationForm(),
    }
    return render(request, "alerts/list.html", context, status=status)


@require_role(Role.VIEWER)
def destination_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    if request.method in ("GET", "HEAD"):
        return _page(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    if not _can_edit(request):
        return HttpResponse(status=403)
    form = DestinationForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    destination = services.destination_create(**form.cleaned_data)
    messages.success(request, _("“%(name)s” added.") % {"name": destination.name})
    return redirect("alerts:list", org_slug=org_slug)


@require_role(Role.ADMIN)
def destination_edit(request: HttpRequest, org_slug: str, destination_id: int) -> HttpResponse:
    destination = get_object_or_404(Destination, pk=destination_id)
    form = DestinationForm(request.POST or None, instance=destination)
    if request.method == "POST" and form.is_valid():
        services.destination_update(destination=destination, **form.cleaned_data)
        messages.success(request, _("“%(name)s” saved.") % {"name": destination.name})
        return redirect("alerts:list", org_slug=org_slug)
    status = 400 if request.method == "POST" else 200
    context = {"destination": destination, "form": form}
    return render(request, "alerts/edit.html", context, status=status)


@require_POST
@require_role(Role.ADMIN)
def destination_delete(request: HttpRequest, org_slug: str, destination_id: int) -> HttpResponse:
    destination = get_object_or_404(Destination, pk=destination_id)
    services.destination_delete(destination=destination)
    messages.success(request, _("“%(name)s” deleted.") % {"name": destination.name})
    return redirect("alerts:list", org_slug=org_slug)


@require_POST
@require_role(Role.ADMIN)
def destination_test(request: HttpRequest, org_slug: str, destination_id: int) -> HttpResponse:
    """Sent within the request, once: the person who clicked wants the answer now."""
    destination = get_object_or_404(Destination, pk=destination_id)
    delivery = services.test_create(destination=destination)
    services.delivery_attempt(delivery_id=delivery.pk)
    delivery = Delivery.objects.get(pk=delivery.pk)
    if delivery.status == DeliveryStatus.SENT:
        messages.success(request, _("Test message sent to “%(name)s”.") % {"name": destination})
    else:
        text = _("The test message to “%(name)s” failed: %(error)s")
        messages.error(request, text % {"name": destination, "error": delivery.error})
    return redirect("alerts:list", org_slug=org_slug)
