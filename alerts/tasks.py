"""Chat alert tasks: ids in, rows loaded, services called; safe to run twice."""

from datetime import date, datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from responses.models import Response
from tenants.context import all_tenants, current_organization, tenant_task

from . import selectors, services
from .models import Delivery, DeliveryStatus, Destination

# The sweep looks this far back each hour: two runs overlap, so one missed
# tick loses nothing.
SWEEP_WINDOW = timedelta(hours=2)
# Finished deliveries are kept this long in the send log. Older alert rows are
# not needed to avoid a repeat: answers that old never alert (MAX_ALERT_AGE).
LOG_KEPT = timedelta(days=90)
# A pending try this late is one a stopped worker or a lost message left behind.
STUCK_AFTER = timedelta(minutes=5)


def _deliver_later(delivery_id: int, countdown: int = 0) -> None:
    deliver.apply_async(
        kwargs={"organization_id": current_organization().pk, "delivery_id": delivery_id},
        countdown=countdown,
    )


@shared_task(name="alerts.tasks.send_alerts")
@tenant_task
def send_alerts(*, response_id: int) -> int:
    """The alerts of one answer, a while after it was given (or changed)."""
    response = (
        Response.objects.select_related("survey", "respondent").filter(pk=response_id).first()
    )
    if response is None:  # erased meanwhile
        return 0
    deliveries = services.alerts_create(response=response)
    for delivery in deliveries:
        _deliver_later(delivery.pk)
    return len(deliveries)


@shared_task(name="alerts.tasks.deliver")
@tenant_task
def deliver(*, delivery_id: int) -> None:
    delay = services.delivery_attempt(delivery_id=delivery_id)
    if delay is not None:
        _deliver_later(delivery_id, countdown=delay)


@shared_task(name="alerts.tasks.send_digest")
@tenant_task
def send_digest(*, destination_id: int, week: str, today: str) -> bool:
    destination = Destination.objects.filter(
        pk=destination_id, active=True, digest_enabled=True
    ).first()
    if destination is None:
        return False
    # The claim and the message commit together: a digest that failed to
    # build is tried again at the next tick instead of being lost for the week.
    with transaction.atomic():
        if not services.digest_claim(destination=destination, week=week):
            return False
        delivery = services.digest_create(destination=destination, today=date.fromisoformat(today))
    _deliver_later(delivery.pk)
    return True


@shared_task(name="alerts.tasks.sweep")
@tenant_task
def sweep(*, since: str, until: str) -> int:
    deliveries = services.alerts_sweep(
        since=datetime.fromisoformat(since), until=datetime.fromisoformat(until)
    )
    for delivery in deliveries:
        _deliver_later(delivery.pk)
    return len(deliveries)


@shared_task(name="alerts.tasks.hourly")
def hourly(now: str | None = None) -> int:
    """Every hour (CELERY_BEAT_SCHEDULE): due digests, missed alerts, stuck tries."""
    moment = datetime.fromisoformat(now) if now else timezone.now()
    with all_tenants():
        queued = _queue_digests(moment)
        _queue_sweeps(moment)
        _queue_stuck(moment)
        Delivery.objects.unscoped().filter(finished_at__lt=moment - LOG_KEPT).delete()
    return queued


def _queue_digests(moment: datetime) -> int:
    queued = 0
    destinations = Destination.objects.unscoped().filter(active=True, digest_enabled=True)
    for destination in destinations.select_related("organization"):
        local = selectors.local_now(time_zone=destination.organization.time_zone, now=moment)
        if selectors.digest_is_due(destination=destination, local=local):
            send_digest.delay(
                organization_id=destination.organization_id,
                destination_id=destination.pk,
                week=selectors.iso_week(local.date()),
                today=local.date().isoformat(),
            )
            queued += 1
    return queued


def _queue_sweeps(moment: datetime) -> None:
    # Answers younger than the alert delay (plus a margin) still have their task coming.
    until = moment - timedelta(seconds=settings.ALERTS_DELAY_SECONDS) - STUCK_AFTER
    organizations = (
        Destination.objects.unscoped().filter(active=True).values_list("organization_id", flat=True)
    )
    for organization_id in set(organizations):
        sweep.delay(
            organization_id=organization_id,
            since=(until - SWEEP_WINDOW).isoformat(),
            until=until.isoformat(),
        )


def _queue_stuck(moment: datetime) -> None:
    stuck = Delivery.objects.unscoped().filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lt=moment - STUCK_AFTER
    )
    for delivery_id, organization_id in stuck.values_list("pk", "organization_id"):
        deliver.delay(organization_id=organization_id, delivery_id=delivery_id)
