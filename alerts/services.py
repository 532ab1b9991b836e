"""Writes of chat alerts: destinations, the deliveries they get, and each try.

A delivery row is created before anything is sent and carries its payload,
so every try posts the same message and the back office can show how it went.
"""

import json
import logging
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations import outbound
from responses.models import Channel, Response
from tenants.context import current_organization

from . import messages, selectors
from .models import Delivery, DeliveryKind, DeliveryStatus, Destination, Scope

logger = logging.getLogger(__name__)

# Waits before the 2nd, 3rd and 4th try of a message that met a 5xx, a 429 or
# a network error; a 4xx other than 429 is final at once.
RETRY_DELAYS = (30, 120, 600)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# How long a try may run before the sweep takes it up again (its worker stopped).
LEASE = timedelta(minutes=5)
# An answer stored this long after it was given (a backfill through the API,
# an old answer edited) is history, not news: no alert.
MAX_ALERT_AGE = timedelta(days=7)


# Destinations ------------------------------------------------------------------


def destination_create(*, url: str, **fields: Any) -> Destination:
    outbound.check_url(url)
    return Destination.objects.create(organization=current_organization(), url=url, **fields)


def destination_update(*, destination: Destination, **fields: Any) -> Destination:
    if "url" in fields:
        outbound.check_url(fields["url"])
    for name, value in fields.items():
        setattr(destination, name, value)
    destination.save()
    return destination


def destination_delete(*, destination: Destination) -> None:
    destination.delete()


# Alerts ----------------------------------------------------------------------


def alert_queue(*, organization_id: int, response_id: int) -> None:
    """After an answer commits: hand its alerts to a worker, never failing the answer.

    Organizations without an active destination never touch the broker.
    """
    from .tasks import send_alerts

    try:
        if (
            not Destination.objects.unscoped()
            .filter(organization_id=organization_id, active=True)
            .exists()
        ):
            return
        send_alerts.apply_async(
            kwargs={"organization_id": organization_id, "response_id": response_id},
            # Leaves the respondent time to add their comment to the score.
            countdown=settings.ALERTS_DELAY_SECONDS,
        )
    except Exception:  # the answer is stored; the hourly sweep sends what was missed
        logger.exception("Could not queue the chat alerts of response %s", response_id)


def _wants(destination: Destination, response: Response) -> bool:
    if destination.survey_id is not None and destination.survey_id != response.survey_id:
        return False
    if response.created_at < destination.created_at:
        return False  # a new channel starts with new answers, not the sweep's backlog
    return destination.scope == Scope.ALL or response.score <= 6


def _is_news(response: Response) -> bool:
    fresh = response.created_at >= timezone.now() - MAX_ALERT_AGE
    return fresh and response.channel != Channel.IMPORT


def alerts_create(*, response: Response) -> list[Delivery]:
    """The alert deliveries this answer calls for and has not had yet.

    The unique (destination, response) alert row decides: a resent answer, an
    edit or a second worker finds it taken and creates nothing.
    """
    if not _is_news(response):
        return []
    created = []
    for destination in selectors.destinations_active():
        if _wants(destination, response):
            delivery = _alert_claim(destination, response)
            if delivery is not None:
                created.append(delivery)
    return created


def _alert_claim(destination: Destination, response: Response) -> Delivery | None:
    payload = messages.answer_payload(destination.kind, _answer(response))
    try:
        with transaction.atomic():
            return Delivery.objects.create(
                organization=current_organization(),
                destination=destination,
                kind=DeliveryKind.ALERT,
                response=response,
                payload=payload,
            )
    except IntegrityError:
        return None


def _answer(response: Response) -> messages.Answer:
    person = response.respondent
    rows: list[tuple[str, str]] = []
    if person is not None:
        for label, value in (
            (_("Name"), person.name),
            (_("Email"), person.email),
            (_("User id"), person.external_id),
        ):
            if value:
                rows.append((label, value))
    if not rows:
        rows.append((_("Respondent"), _("Anonymous")))
    rows.append((_("Channel"), str(response.get_channel_display())))
    return messages.Answer(
        score=response.score,
        comment=response.comment,
        survey=response.survey.name,
        respondent=rows,
        link=selectors.response_link(response),
    )


def alerts_sweep(*, since: datetime, until: datetime) -> list[Delivery]:
    """Alerts an answer of this window should have had: the safety net for an
    enqueue lost to a broker outage. Runs in the organization's context."""
    found: list[Delivery] = []
    responses = Response.objects.filter(created_at__gte=since, created_at__lt=until)
    for response in responses.select_related("survey", "respondent").order_by("created_at"):
        found += alerts_create(response=response)
    return found


# Digest --------------------------------------------------------------------------


def digest_claim(*, destination: Destination, week: str) -> bool:
    """Exactly one digest per destination and week, however many runs race."""
    return (
        Destination.objects.filter(pk=destination.pk)
        .exclude(last_digest_week=week)
        .update(last_digest_week=week)
        == 1
    )


def digest_create(*, destination: Destination, today: date) -> Delivery:
    digest = selectors.digest_for(destination=destination, today=today)
    return Delivery.objects.create(
        organization=current_organization(),
        destination=destination,
        kind=DeliveryKind.DIGEST,
        payload=messages.digest_payload(destination.kind, digest),
    )


# Test message --------------------------------------------------------------------


def test_create(*, destination: Destination) -> Delivery:
    organization = current_organization()
    link = settings.SITE_URL + reverse("alerts:list", kwargs={"org_slug": organization.slug})
    return Delivery.objects.create(
        organization=organization,
        destination=destination,
        kind=DeliveryKind.TEST,
        payload=messages.test_payload(destination.kind, organization=organization.name, link=link),
    )


# Sending -----------------------------------------------------------------------


def delivery_attempt(*, delivery_id: int) -> int | None:
    """One try of a pending delivery; the seconds until the next, or None when done.

    The try is claimed by bumping `attempts` conditionally, so a message
    delivered twice to the workers posts once.
    """
    delivery = (
        Delivery.objects.select_related("destination")
        .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
        .first()
    )
    if delivery is None or not _claim_try(delivery):
        return None
    outcome, refused = _post(delivery)
    retryable = not refused and (
        outcome.status is None or outcome.status >= 500 or outcome.status == 429
    )
    # A test is tried once, in front of the person who asked for it.
    final = delivery.kind == DeliveryKind.TEST or delivery.attempts >= MAX_ATTEMPTS
    if outcome.ok or not retryable or final:
        _finish(delivery, outcome)
        return None
    delay = RETRY_DELAYS[delivery.attempts - 1]
    _record(delivery, outcome, next_attempt_at=timezone.now() + timedelta(seconds=delay))
    return delay


def _claim_try(delivery: Delivery) -> bool:
    now = timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.PENDING, attempts=delivery.attempts
    ).update(attempts=delivery.attempts + 1, next_attempt_at=now + LEASE)
    delivery.attempts += 1
    return claimed == 1


def _post(delivery: Delivery) -> tuple[outbound.Outcome, bool]:
    """The outcome, and whether the URL itself was refused (no retry can help)."""
    try:
        outbound.check_url(delivery.destination.url)
    except outbound.UnsafeUrl as exc:
        return outbound.Outcome(status=None, elapsed_ms=0, detail=f"Refused: {exc}"), True
    body = json.dumps(delivery.payload, ensure_ascii=False).encode()
    return outbound.post(
        url=delivery.destination.url,
        body=body,
        headers={"Content-Type": "application/json; charset=utf-8"},
    ), False


def _error_of(outcome: outbound.Outcome) -> str:
    if outcome.ok:
        return ""
    prefix = f"HTTP {outcome.status}: " if outcome.status is not None else ""
    return (prefix + outcome.detail)[:1000]


def _record(delivery: Delivery, outcome: outbound.Outcome, **fields: Any) -> None:
    delivery.status_code = outcome.status
    delivery.elapsed_ms = outcome.elapsed_ms
    delivery.error = _error_of(outcome)
    for name, value in fields.items():
        setattr(delivery, name, value)
    delivery.save(update_fields=["status_code", "elapsed_ms", "error", "attempts", *fields.keys()])


def _finish(delivery: Delivery, outcome: outbound.Outcome) -> None:
    now = timezone.now()
    status = DeliveryStatus.SENT if outcome.ok else DeliveryStatus.FAILED
    # The log keeps how it went, not what was said: an erased respondent's
    # words must not outlive them in old digests.
    _record(delivery, outcome, status=status, finished_at=now, payload={})
    destination = Destination.objects.filter(pk=delivery.destination_id)
    if outcome.ok:
        destination.update(last_sent_at=now, last_error="", last_error_at=None)
    else:
        destination.update(last_error=delivery.error, last_error_at=now)
