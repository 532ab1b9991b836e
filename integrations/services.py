"""Writes of webhooks: subscriptions, events turned into deliveries, and
deliveries sent with retries until they succeed or are given up."""

import json
import logging
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from standardwebhooks.webhooks import Webhook as StandardWebhook

from outreach.models import Suppression
from responses.models import Response
from surveys.models import Survey
from tenants.context import all_tenants, tenant_context
from tenants.models import Membership, Organization, Role

from . import outbound, payloads, selectors
from .models import TEST_EVENT, Delivery, DeliveryAttempt, Event, Webhook

logger = logging.getLogger(__name__)
Status = Delivery.Status
WAITING = [Status.PENDING, Status.RETRYING]


# --- Subscriptions --------------------------------------------------------------


def _checked_url(url: str) -> str:
    try:
        outbound.check_url(url)
    except outbound.UnsafeUrl as exc:
        raise ValidationError({"url": [f"This URL cannot receive webhooks: {exc}"]}) from exc
    return url


def _checked_events(events: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(events))
    unknown = [event for event in chosen if event not in Event.values]
    if unknown or not chosen:
        raise ValidationError({"events": [f"Choose one or more of {', '.join(Event.values)}."]})
    return chosen


def webhook_create(
    *,
    organization: Organization,
    url: str,
    events: Iterable[str],
    survey: Survey | None = None,
    description: str = "",
) -> Webhook:
    """A new subscription; its secret is readable once, from the returned object."""
    return Webhook.objects.create(
        organization=organization,
        url=_checked_url(url),
        events=_checked_events(events),
        survey=survey,
        description=description,
    )


UNSET: Any = object()


def webhook_update(
    *,
    webhook: Webhook,
    url: str = UNSET,
    events: Iterable[str] = UNSET,
    survey: Survey | None = UNSET,
    description: str = UNSET,
    is_active: bool = UNSET,
) -> Webhook:
    """Changes what is given; switching a subscription on again forgets its failures."""
    if url is not UNSET:
        webhook.url = _checked_url(url)
    if events is not UNSET:
        webhook.events = _checked_events(events)
    if survey is not UNSET:
        webhook.survey = survey
    if description is not UNSET:
        webhook.description = description
    if is_active is not UNSET and is_active != webhook.is_active:
        if is_active:
            _enable(webhook)
        else:
            webhook.save()
            return webhook_disable(webhook=webhook, reason="Disabled by a member.")
    webhook.save()
    return webhook


def _enable(webhook: Webhook) -> None:
    webhook.is_active = True
    webhook.disabled_at = None
    webhook.disabled_reason = ""
    webhook.consecutive_failures = 0
    webhook.failing_since = None


def webhook_disable(
    *, webhook: Webhook, reason: str, now: datetime | None = None, notify: bool = False
) -> Webhook:
    """Stops deliveries; the ones still waiting are given up.

    The conditional update makes one caller the one who disabled it, so
    owners hear about an automatic disabling once.
    """
    now = now or timezone.now()
    won = (
        Webhook.objects.unscoped()
        .filter(pk=webhook.pk, is_active=True)
        .update(is_active=False, disabled_at=now, disabled_reason=reason[:300])
    )
    if won:
        Delivery.objects.unscoped().filter(webhook_id=webhook.pk, status__in=WAITING).update(
            status=Status.GIVEN_UP,
            next_attempt_at=None,
            last_response="Not sent: the subscription was disabled.",
        )
        if notify:
            _email_owners(webhook=webhook, reason=reason)
    webhook.refresh_from_db()
    return webhook


def webhook_delete(*, webhook: Webhook) -> None:
    webhook.delete()


def _email_owners(*, webhook: Webhook, reason: str) -> None:
    organization = Organization.objects.get(pk=webhook.organization_id)
    owners = Membership.objects.filter(organization=organization, role=Role.OWNER)
    recipients = [email for email in owners.values_list("user__email", flat=True) if email]
    if not recipients:
        return
    path = reverse("integrations:detail", args=[organization.slug, webhook.pk])
    send_mail(
        subject=f"Webhook disabled: {webhook.url}",
        message=(
            f"The webhook {webhook.url} of {organization.name} was disabled after "
            f"repeated failed deliveries.\n\n{reason}\n\n"
            f"Fix the endpoint, then switch the webhook on again:\n{settings.SITE_URL}{path}\n"
        ),
        from_email=None,
        recipient_list=recipients,
    )


# --- Events -----------------------------------------------------------------------


def response_event_committed(*, organization_id: int, event_type: str, response_id: int) -> None:
    """After an answer's transaction commits: its current state, to each subscriber."""
    active = selectors.active_webhooks(organization_id=organization_id)
    if not active:
        return  # most organizations: one indexed look-up per answer, nothing else
    response = (
        Response.objects.unscoped()
        .select_related("survey", "respondent", "variant")
        .filter(pk=response_id, organization_id=organization_id)
        .first()
    )
    if response is None:  # deleted since: its own event says so
        return
    hooks = selectors.wanting(active, event_type=event_type, survey_id=response.survey_id)
    if hooks:
        _deliver_event(hooks, event_type, payloads.response_data(response))


def response_deleted(*, response: Response) -> None:
    """Inside the delete's transaction: the row is about to vanish, so its
    data is read now and delivered only if the delete commits."""
    hooks = selectors.subscribers(
        organization_id=response.organization_id,
        event_type=Event.RESPONSE_DELETED,
        survey_id=response.survey_id,
    )
    if not hooks:
        return
    data = payloads.response_data(response)
    transaction.on_commit(
        lambda: _deliver_event(hooks, Event.RESPONSE_DELETED, data),
        robust=True,
    )


def unsubscribe_event_committed(*, organization_id: int, suppression_id: int) -> None:
    suppression = (
        Suppression.objects.unscoped()
        .filter(pk=suppression_id, organization_id=organization_id)
        .first()
    )
    if suppression is None:
        return
    hooks = selectors.subscribers(
        organization_id=organization_id, event_type=Event.UNSUBSCRIBE_CREATED, survey_id=None
    )
    if hooks:
        _deliver_event(hooks, Event.UNSUBSCRIBE_CREATED, payloads.unsubscribe_data(suppression))


def _deliver_event(hooks: list[Webhook], event_type: str, data: dict[str, Any]) -> None:
    deliveries = deliveries_create(hooks=hooks, event_type=event_type, data=data)
    for delivery in deliveries:
        _enqueue(delivery)


def deliveries_create(
    *, hooks: list[Webhook], event_type: str, data: dict[str, Any], now: datetime | None = None
) -> list[Delivery]:
    """One row per subscription, due at once; the rows are the durable record,
    the task only makes the first attempt faster than the next beat tick."""
    now = now or timezone.now()
    payload = payloads.envelope(event_type=event_type, data=data, at=now)
    return Delivery.objects.unscoped().bulk_create(
        Delivery(
            organization_id=hook.organization_id,
            webhook=hook,
            event_type=event_type,
            message_id=new_message_id(),
            payload=payload,
            next_attempt_at=now,
            created_at=now,
        )
        for hook in hooks
    )


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def _enqueue(delivery: Delivery, *, countdown: float = 0) -> None:
    from . import tasks

    try:
        tasks.deliver.apply_async(
            kwargs={"delivery_id": delivery.pk, "organization_id": delivery.organization_id},
            countdown=countdown,
            retry=False,
        )
    except Exception:  # broker down: the beat task finds the row when it is back
        logger.warning("Webhook delivery %s not enqueued; beat will send it", delivery.pk)


# --- Sending ----------------------------------------------------------------------


def deliveries_send_due(
    *, now: datetime | None = None, limit: int = 500, budget_seconds: float = 50
) -> int:
    """What the beat task runs every minute, across organizations: recover
    attempts a stopped worker left, then make the attempts that are due.
    Returns how many attempts were made.

    It stops after `budget_seconds`, inside the task time limit; the next run
    goes on where this one stopped.
    """
    now = now or timezone.now()
    deadline = time.monotonic() + budget_seconds
    with all_tenants():
        deliveries_recover_stuck(now=now)
        due = list(
            Delivery.objects.unscoped()
            .filter(status__in=WAITING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", "organization_id")[:limit]
        )
    organizations = Organization.objects.in_bulk({org_id for _, org_id in due})
    made = 0
    for delivery_id, org_id in due:
        if time.monotonic() > deadline:
            break
        with tenant_context(organizations[org_id]):
            made += bool(delivery_attempt(delivery_id=delivery_id, now=now))
    return made


def deliveries_recover_stuck(*, now: datetime | None = None) -> int:
    """An attempt still 'sending' after WEBHOOK_STUCK_MINUTES was cut short by a
    stopped worker: it counts as failed and the delivery waits for its next try."""
    now = now or timezone.now()
    stuck = Delivery.objects.unscoped().filter(
        status=Status.SENDING,
        sending_started_at__lt=now - timedelta(minutes=settings.WEBHOOK_STUCK_MINUTES),
    )
    return stuck.update(
        status=Status.RETRYING,
        next_attempt_at=now,
        last_response="The attempt did not finish (the worker stopped).",
    )


def delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> str:
    """Makes one due attempt of a delivery; returns its new status, or "" when
    the delivery was not due or another worker took it.

    The conditional update is the guard: of two workers, only the one that
    moves the row to 'sending' posts. `now` is the scheduling clock; the
    signature always carries the real time, which receivers check.
    """
    now = now or timezone.now()
    claimed = (
        Delivery.objects.unscoped()
        .filter(pk=delivery_id, status__in=WAITING, next_attempt_at__lte=now)
        .update(status=Status.SENDING, attempts=F("attempts") + 1, sending_started_at=now)
    )
    if claimed != 1:
        return ""
    delivery = Delivery.objects.unscoped().select_related("webhook").get(pk=delivery_id)
    if not delivery.webhook.is_active and not delivery.is_test:
        return _finish(
            delivery,
            status=Status.GIVEN_UP,
            next_attempt_at=None,
            attempts=F("attempts") - 1,  # nothing was sent
            last_response="Not sent: the subscription was disabled.",
        )
    outcome = _post(delivery)
    _record_attempt(delivery, outcome, started_at=now)
    if outcome.ok:
        return _succeeded(delivery, outcome, now=now)
    return _failed(delivery, outcome, now=now)


def _post(delivery: Delivery) -> outbound.Outcome:
    body = json.dumps(delivery.payload)
    return outbound.post(
        url=delivery.webhook.url,
        body=body.encode(),
        headers=signed_headers(
            secret=delivery.webhook.signing_secret, message_id=delivery.message_id, body=body
        ),
        timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
    )


def signed_headers(*, secret: str, message_id: str, body: str) -> dict[str, str]:
    """Standard Webhooks: HMAC-SHA256 of "{id}.{timestamp}.{body}", keyed by the secret."""
    sent_at = timezone.now()  # the real clock, whatever clock schedules the attempt
    return {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": StandardWebhook(secret).sign(message_id, sent_at, body),
    }


def _record_attempt(delivery: Delivery, outcome: outbound.Outcome, *, started_at: datetime) -> None:
    DeliveryAttempt.objects.unscoped().create(
        organization_id=delivery.organization_id,
        delivery=delivery,
        number=delivery.attempts,
        started_at=started_at,
        status_code=outcome.status,
        succeeded=outcome.ok,
        duration_ms=outcome.elapsed_ms,
        response_excerpt=outcome.detail,
    )


def _finish(delivery: Delivery, *, status: str, **fields: Any) -> str:
    Delivery.objects.unscoped().filter(pk=delivery.pk, status=Status.SENDING).update(
        status=status, **fields
    )
    return status


def _outcome_fields(outcome: outbound.Outcome) -> dict[str, Any]:
    return {
        "last_status_code": outcome.status,
        "last_response": outcome.detail,
        "last_duration_ms": outcome.elapsed_ms,
    }


def _succeeded(delivery: Delivery, outcome: outbound.Outcome, *, now: datetime) -> str:
    if not delivery.is_test:
        Webhook.objects.unscoped().filter(pk=delivery.webhook_id).update(
            consecutive_failures=0, failing_since=None
        )
    return _finish(
        delivery,
        status=Status.SUCCEEDED,
        next_attempt_at=None,
        delivered_at=now,
        **_outcome_fields(outcome),
    )


def retry_delay(attempts: int) -> timedelta | None:
    """The wait after the `attempts`-th failed attempt; None: give up."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    if attempts > len(schedule):
        return None
    return timedelta(seconds=schedule[attempts - 1])


def _failed(delivery: Delivery, outcome: outbound.Outcome, *, now: datetime) -> str:
    # A test event is tried once, and says nothing about real deliveries.
    delay = None if delivery.is_test else retry_delay(delivery.attempts)
    if delay is None:
        status = _finish(
            delivery, status=Status.GIVEN_UP, next_attempt_at=None, **_outcome_fields(outcome)
        )
    else:
        status = _finish(
            delivery,
            status=Status.RETRYING,
            next_attempt_at=now + delay,
            **_outcome_fields(outcome),
        )
        if delay <= timedelta(minutes=1):
            # A short wait is not worth a beat tick; the row stays the record.
            _enqueue(delivery, countdown=delay.total_seconds())
    if not delivery.is_test:
        _count_failure(delivery.webhook, given_up=delay is None, now=now)
    return status


def _count_failure(webhook: Webhook, *, given_up: bool, now: datetime) -> None:
    hooks = Webhook.objects.unscoped().filter(pk=webhook.pk)
    hooks.filter(failing_since__isnull=True).update(failing_since=now)
    if given_up:
        hooks.update(consecutive_failures=F("consecutive_failures") + 1)
    webhook.refresh_from_db()
    reason = _disable_reason(webhook, now=now)
    if reason and webhook.is_active:
        webhook_disable(webhook=webhook, reason=reason, now=now, notify=True)


def _disable_reason(webhook: Webhook, *, now: datetime) -> str:
    limit = settings.WEBHOOK_DISABLE_AFTER_FAILURES
    if webhook.consecutive_failures >= limit:
        return f"{webhook.consecutive_failures} deliveries in a row failed after every retry."
    hours = settings.WEBHOOK_DISABLE_AFTER_HOURS
    since = webhook.failing_since
    if since is not None and now - since >= timedelta(hours=hours):
        return f"Every delivery attempt failed for more than {hours} hours."
    return ""


# --- From the back office and the API -----------------------------------------------


def webhook_send_test(*, webhook: Webhook) -> Delivery:
    """Sends a `webhook.test` event now, once, and returns how it went."""
    data = payloads.ping_data(webhook_id=webhook.pk)
    (delivery,) = deliveries_create(hooks=[webhook], event_type=TEST_EVENT, data=data)
    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return delivery


class DeliveryBusy(Exception):
    """The delivery is still waiting for, or making, an attempt."""


def delivery_redeliver(*, delivery: Delivery) -> Delivery:
    """Sends a finished delivery once more, now, under the same `webhook-id`."""
    now = timezone.now()
    # Straight from finished to sending: no beat tick can pick it up between.
    claimed = Delivery.objects.filter(
        pk=delivery.pk, status__in=[Status.SUCCEEDED, Status.GIVEN_UP]
    ).update(status=Status.SENDING, attempts=F("attempts") + 1, sending_started_at=now)
    if claimed != 1:
        raise DeliveryBusy
    delivery.refresh_from_db()
    outcome = _post(delivery)
    _record_attempt(delivery, outcome, started_at=now)
    # One attempt only: it ends succeeded or given up, whatever the schedule.
    if outcome.ok:
        _finish(delivery, status=Status.SUCCEEDED, delivered_at=now, **_outcome_fields(outcome))
    else:
        _finish(delivery, status=Status.GIVEN_UP, **_outcome_fields(outcome))
    delivery.refresh_from_db()
    return delivery
