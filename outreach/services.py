"""Writes of survey requests: scheduling, sending exactly once, answers from
email links, unsubscribes and recurrence."""

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from responses import selectors as response_selectors
from responses.models import Channel, PromptEvent, Respondent, Response
from responses.services import answer_record, comment_record, prompt_event_record
from surveys.models import Survey
from surveys.policy import History, decide
from surveys.selectors import widget_texts
from tenants.context import all_tenants, tenant_context
from tenants.models import Organization

from . import selectors
from .emails import email_language_requested, survey_email
from .models import Source, Status, Suppression, SurveyRequest

MAX_DELAY_SECONDS = 365 * 24 * 3600


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str = ""
    language: str = ""
    properties: dict[str, Any] = field(default_factory=dict)


def respondent_for_email(*, organization: Organization, recipient: Recipient) -> Respondent:
    """The person behind an address: the same Respondent across requests."""
    respondent = Respondent.objects.filter(email__iexact=recipient.email).order_by(
        "pk"
    ).first() or Respondent.objects.create(organization=organization, email=recipient.email)
    if _merge_profile(respondent, recipient):
        respondent.save(update_fields=["name", "traits"])
    return respondent


def request_schedule(
    *,
    survey: Survey,
    recipient: Recipient,
    delay: int = 0,
    source: str = Source.API,
    now: datetime | None = None,
) -> SurveyRequest:
    now = now or timezone.now()
    respondent = respondent_for_email(organization=survey.organization, recipient=recipient)
    return SurveyRequest.objects.create(
        organization=survey.organization,
        survey=survey,
        respondent=respondent,
        email=recipient.email,
        name=recipient.name,
        language=recipient.language,
        properties=recipient.properties,
        source=source,
        scheduled_at=now + timedelta(seconds=delay),
        created_at=now,
    )


def requests_schedule_many(
    *, survey: Survey, recipients: list[Recipient], delay: int = 0, source: str = Source.CSV
) -> list[SurveyRequest]:
    """All or nothing: an upload either schedules every row or none. A few
    queries for the whole file, so 10,000 rows fit in one web request."""
    now = timezone.now()
    with transaction.atomic():
        people = _respondents_for_many(survey.organization, recipients)
        return SurveyRequest.objects.bulk_create(
            SurveyRequest(
                organization=survey.organization,
                survey=survey,
                respondent=people[recipient.email.lower()],
                email=recipient.email,
                name=recipient.name,
                language=recipient.language,
                properties=recipient.properties,
                source=source,
                scheduled_at=now + timedelta(seconds=delay),
                created_at=now,
            )
            for recipient in recipients
        )


def _respondents_for_many(
    organization: Organization, recipients: list[Recipient]
) -> dict[str, Respondent]:
    wanted = {recipient.email.lower() for recipient in recipients}
    known: dict[str, Respondent] = {}
    found = Respondent.objects.annotate(address=Lower("email")).filter(address__in=wanted)
    for respondent in found.order_by("-pk"):
        known[respondent.address] = respondent  # the oldest wins, as for one person
    new = [
        Respondent(organization=organization, email=email) for email in wanted if email not in known
    ]
    for respondent in Respondent.objects.bulk_create(new):
        known[respondent.email] = respondent
    changed = [
        respondent
        for recipient in recipients
        if _merge_profile(respondent := known[recipient.email.lower()], recipient)
    ]
    Respondent.objects.bulk_update(set(changed), ["name", "traits"], batch_size=500)
    return known


def _merge_profile(respondent: Respondent, recipient: Recipient) -> bool:
    name = recipient.name or respondent.name
    traits = {**respondent.traits, **recipient.properties}
    if (name, traits) == (respondent.name, respondent.traits):
        return False
    respondent.name, respondent.traits = name, traits
    return True


def survey_recur_set(*, survey: Survey, recur_days: int | None) -> Survey:
    survey.recur_days = recur_days
    survey.save(update_fields=["recur_days", "updated_at"])
    return survey


def suppression_add(*, organization: Organization, email: str, reason: str) -> Suppression:
    suppression, _ = Suppression.objects.get_or_create(
        organization=organization, email=email.lower(), defaults={"reason": reason}
    )
    return suppression


def suppression_remove(*, email: str, reason: str) -> bool:
    """Lifts a suppression of the current organization (a re-subscribe);
    False when the address had none with this reason."""
    deleted, _ = Suppression.objects.filter(email__iexact=email.strip(), reason=reason).delete()
    return deleted > 0


CANCELLED = "cancelled"  # the skip reason of a request withdrawn before it was sent


def requests_cancel_pending(*, requests: QuerySet[SurveyRequest]) -> int:
    """Withdraws those of `requests` not yet sent; returns how many.

    A send already under way is left alone: the conditional update means a
    worker and a cancel never both win.
    """
    return requests.filter(status=Status.PENDING).update(
        status=Status.SKIPPED, skip_reason=CANCELLED
    )


# --- Sending ------------------------------------------------------------------


def requests_send_due(
    *, now: datetime | None = None, limit: int = 500, budget_seconds: float = 50
) -> int:
    """What the beat task runs every minute, across organizations: recover
    stuck sends, then send what is due. Returns the number of emails sent.

    It stops after `budget_seconds`, well inside the task time limit, so a slow
    mail server never gets a send cut in half; the next run goes on.
    """
    now = now or timezone.now()
    deadline = time.monotonic() + budget_seconds
    with all_tenants():
        requests_recover_stuck(now=now)
        due = list(
            SurveyRequest.objects.unscoped()
            .filter(status=Status.PENDING, scheduled_at__lte=now)
            .order_by("scheduled_at", "pk")
            .values_list("pk", "organization_id")[:limit]
        )
    organizations = Organization.objects.in_bulk({org_id for _, org_id in due})
    sent = 0
    for request_id, org_id in due:
        if time.monotonic() > deadline:
            break
        with tenant_context(organizations[org_id]):
            sent += request_send(request_id=request_id, now=now) == Status.SENT
    return sent


def request_send(*, request_id: int, now: datetime | None = None) -> str:
    """Sends one due request at most once; returns the request's new status.

    The conditional update is the guard: of two workers, only the one that
    moves the row from 'pending' to 'sending' goes on. It commits before the
    email is handed to SMTP, so the attempt is on record whatever happens next.
    """
    now = now or timezone.now()
    claimed = SurveyRequest.objects.filter(
        pk=request_id, status=Status.PENDING, scheduled_at__lte=now
    ).update(status=Status.SENDING, attempts=F("attempts") + 1, sending_started_at=now)
    if claimed != 1:
        return ""
    request = SurveyRequest.objects.select_related("survey__organization", "respondent").get(
        pk=request_id
    )
    reason, retry_at = skip_reason(request=request, now=now)
    if reason and retry_at is not None and request.source == Source.RECURRING:
        # A relational cadence must not end on a busy week: wait, then ask.
        return _finish(
            request,
            status=Status.PENDING,
            scheduled_at=retry_at,
            skip_reason=reason,
            attempts=F("attempts") - 1,  # waiting is not a failed attempt
        )
    if reason:
        return _finish(request, status=Status.SKIPPED, skip_reason=reason)
    try:
        survey_email(request=request).send()
    except Exception as error:  # refused, timed out, unreachable: try again later
        return _attempt_failed(request, error=error, now=now)
    with transaction.atomic():
        # The email counts as a prompt, so the fatigue cap spans every channel.
        prompt_event_record(
            survey=request.survey,
            respondent=request.respondent,
            kind=PromptEvent.Kind.DISPLAY,
            channel=Channel.EMAIL,
        )
        return _finish(request, status=Status.SENT, sent_at=now)


def skip_reason(*, request: SurveyRequest, now: datetime) -> tuple[str, datetime | None]:
    """Why this person must not be emailed now (empty when they may be), and
    when that could change (None: not by waiting)."""
    suppression = selectors.suppression_of(email=request.email)
    if suppression is not None:
        return suppression.reason, None
    respondent = request.respondent
    history = History(
        first_seen_at=respondent.first_seen_at,
        last_answer_at=None,
        last_not_now_at=None,
        never=selectors.never_ask(survey=request.survey, respondent=respondent),
        # Unlike the widget, every survey counts here, this one included: an
        # email waiting in an inbox is not a prompt that reappears.
        last_prompt_any_survey_at=selectors.last_contact_at(respondent=respondent),
    )
    decision = decide(
        survey=request.survey,
        respondent_key=str(respondent.pk),
        history=history,
        now=now,
        trigger="show",
    )
    if decision.show:
        return "", None
    return decision.reason, decision.next_check_at


def _finish(request: SurveyRequest, *, status: str, **fields: Any) -> str:
    SurveyRequest.objects.filter(pk=request.pk, status=Status.SENDING).update(
        status=status, **fields
    )
    return status


def _attempt_failed(request: SurveyRequest, *, error: Exception, now: datetime) -> str:
    attempts = request.attempts
    if attempts >= settings.OUTREACH_MAX_ATTEMPTS:
        return _finish(request, status=Status.FAILED, last_error=str(error)[:1000])
    return _finish(
        request,
        status=Status.PENDING,
        last_error=str(error)[:1000],
        scheduled_at=now + timedelta(minutes=5 * attempts),
    )


def requests_recover_stuck(*, now: datetime | None = None) -> int:
    """A worker that stopped mid-send leaves its request in 'sending': after
    OUTREACH_STUCK_MINUTES it is pending again, or failed once out of attempts."""
    now = now or timezone.now()
    stuck = SurveyRequest.objects.unscoped().filter(
        status=Status.SENDING,
        sending_started_at__lt=now - timedelta(minutes=settings.OUTREACH_STUCK_MINUTES),
    )
    error = "The send did not finish (the worker stopped)."
    failed = stuck.filter(attempts__gte=settings.OUTREACH_MAX_ATTEMPTS).update(
        status=Status.FAILED, last_error=error
    )
    retried = stuck.filter(attempts__lt=settings.OUTREACH_MAX_ATTEMPTS).update(
        status=Status.PENDING, last_error=error
    )
    return failed + retried


# --- Answers from email links ---------------------------------------------------


def email_answer_record(*, request: SurveyRequest, score: int) -> tuple[Response, bool]:
    """Stores the score of a link once; a later use returns the stored answer."""
    existing = response_selectors.response_by_client_id(client_id=request.client_id)
    if existing is not None:
        return existing, False
    language = widget_texts(survey=request.survey, language=email_language_requested(request))
    response, created = answer_record(
        survey=request.survey,
        respondent=request.respondent,
        client_id=request.client_id,
        score=score,
        language=language["language"],
        channel=Channel.EMAIL,
        properties=dict(request.properties),
    )
    if created:
        # The next request of a recurring survey follows from the answer itself
        # (outreach.signals), as it does for answers through any other channel.
        SurveyRequest.objects.filter(pk=request.pk).update(answered_at=response.created_at)
    return response, created


def email_comment_record(*, request: SurveyRequest, comment: str) -> Response | None:
    return comment_record(
        survey=request.survey,
        respondent=request.respondent,
        client_id=request.client_id,
        comment=comment,
    )


def recurrence_after_answer(*, response: Response) -> SurveyRequest | None:
    """Relational surveys ask an enrolled person again `recur_days` after their
    last answer, whatever the channel it came through (email, widget, link, API).

    Enrolled means the person has had a request for this survey. A recurring
    request still pending moves to the new date; one scheduled by hand (API,
    CSV, form) is left as it is. Returns the request created or moved.
    """
    if response.respondent_id is None:
        return None
    survey = response.survey
    if not survey.recur_days:
        return None
    enrolled = SurveyRequest.objects.filter(survey=survey, respondent_id=response.respondent_id)
    last = enrolled.order_by("-created_at", "-id").first()
    if last is None:
        return None
    due = response.created_at + timedelta(days=survey.recur_days)
    waiting = enrolled.filter(status=Status.PENDING)
    recurring = waiting.filter(source=Source.RECURRING).first()
    if recurring is not None:
        waiting.filter(pk=recurring.pk).update(scheduled_at=due)
        recurring.scheduled_at = due
        return recurring
    if waiting.exists():
        return None
    recipient = Recipient(
        email=last.email, name=last.name, language=last.language, properties=dict(last.properties)
    )
    return request_schedule(
        survey=survey,
        recipient=recipient,
        delay=survey.recur_days * 24 * 3600,
        source=Source.RECURRING,
        now=response.created_at,
    )
