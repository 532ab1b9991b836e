"""Writes behind the Delighted-compatible API. Each validates before it writes,
and writes in one transaction, so a refused request changes nothing."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet

from followups.services import MAX_NOTE_LENGTH, normalize_tags
from outreach.models import Source, Suppression, SurveyRequest
from outreach.services import (
    Recipient,
    request_schedule,
    requests_cancel_pending,
    respondent_for_email,
    suppression_add,
)
from responses.models import Channel, Note, Respondent, Response
from responses.services import answer_record, respondent_erase
from surveys.models import Survey
from tenants.models import Organization

from .base import Invalid


@dataclass(frozen=True)
class PersonInput:
    email: str = ""
    phone_number: str = ""
    name: str = ""
    language: str = ""
    properties: dict[str, Any] = field(default_factory=dict)


def person_upsert(
    *, organization: Organization, person: PersonInput, survey: Survey | None, delay: int
) -> tuple[Respondent, SurveyRequest | None]:
    """The person named by email (else phone number), created on first sight,
    with name and properties merged in; with a survey, an email is scheduled."""
    with transaction.atomic():
        respondent = _person_found_or_created(organization, person)
        if person.phone_number and respondent.phone_number != person.phone_number:
            respondent.phone_number = person.phone_number
            respondent.save(update_fields=["phone_number"])
        if survey is None:
            return respondent, None
        recipient = Recipient(
            email=respondent.email,
            name=person.name,
            language=person.language,
            properties=person.properties,
        )
        request = request_schedule(
            survey=survey, recipient=recipient, delay=delay, source=Source.API
        )
        return respondent, request


def _person_found_or_created(organization: Organization, person: PersonInput) -> Respondent:
    recipient = Recipient(email=person.email, name=person.name, properties=person.properties)
    if person.email:
        return respondent_for_email(organization=organization, recipient=recipient)
    respondent = Respondent.objects.filter(phone_number=person.phone_number).order_by("pk").first()
    if respondent is None:
        respondent = Respondent.objects.create(
            organization=organization, phone_number=person.phone_number
        )
    _merge(respondent, name=person.name, properties=person.properties)
    return respondent


def _merge(respondent: Respondent, *, name: str, properties: dict[str, Any]) -> None:
    new_name = name or respondent.name
    traits = {**respondent.traits, **properties}
    if (new_name, traits) != (respondent.name, respondent.traits):
        respondent.name, respondent.traits = new_name, traits
        respondent.save(update_fields=["name", "traits"])


def people_erase(*, people: QuerySet[Respondent]) -> int:
    """GDPR erasure: the people and everything they gave us (answers, notes on
    them, prompt history, survey requests). An unsubscribe stays on the
    suppression list, so an erased address is still never emailed again."""
    with transaction.atomic():
        found = list(people.select_for_update())
        addresses = {person.email.lower() for person in found if person.email}
        if addresses:
            by_address = Q()
            for address in addresses:
                by_address |= Q(email__iexact=address)
            SurveyRequest.objects.filter(by_address).delete()
        for person in found:
            respondent_erase(respondent=person)
    return len(found)


def pending_requests_cancel(*, email: str) -> int:
    return requests_cancel_pending(requests=SurveyRequest.objects.filter(email__iexact=email))


def unsubscribe(*, organization: Organization, email: str) -> Suppression:
    return suppression_add(
        organization=organization, email=email, reason=Suppression.Reason.UNSUBSCRIBED
    )


def survey_response_create(
    *,
    survey: Survey,
    respondent: Respondent | None,
    email: str,
    score: int,
    comment: str | None,
    person_properties: dict[str, Any] | None,
    created_at: datetime | None,
) -> Response:
    """The answer of `respondent`, or of the person behind `email` (created on
    first sight) when no respondent is given."""
    with transaction.atomic():
        if respondent is None:
            recipient = Recipient(email=email)
            respondent = respondent_for_email(organization=survey.organization, recipient=recipient)
        response, _ = answer_record(
            survey=survey,
            respondent=respondent,
            # Delighted has no idempotency key: every POST is a new answer.
            client_id=f"delighted-{uuid.uuid4().hex}",
            score=score,
            comment=comment,
            channel=Channel.API,
            properties=person_properties,
            created_at=created_at,
        )
        if person_properties:
            # Kept on the person too, so the back office's trait filters find them.
            _merge(respondent, name="", properties=person_properties)
    return response


@dataclass(frozen=True)
class ResponseChanges:
    """What a PUT may change; None leaves a field as it is."""

    score: int | None = None
    comment: str | None = None
    respondent: Respondent | None = None
    person_properties: dict[str, Any] | None = None
    tags: list[str] | None = None
    new_notes: list[str] = field(default_factory=list)


def survey_response_update(*, response: Response, changes: ResponseChanges) -> Response:
    tags = _tags(changes.tags)
    for text in changes.new_notes:
        _check_note(text)
    fields: dict[str, Any] = {
        "score": changes.score,
        "comment": changes.comment,
        "respondent": changes.respondent,
        "properties": changes.person_properties,
        "tags": tags,
    }
    fields = {name: value for name, value in fields.items() if value is not None}
    with transaction.atomic():
        for name, value in fields.items():
            setattr(response, name, value)
        if fields or changes.new_notes:
            update = ["respondent_id" if name == "respondent" else name for name in fields]
            response.save(update_fields=[*update, "updated_at"])
        for text in changes.new_notes:
            Note.objects.create(
                organization_id=response.organization_id, response=response, body=text.strip()
            )
    return response


def _tags(tags: list[str] | None) -> list[str] | None:
    if tags is None:
        return None
    try:
        return normalize_tags(",".join(tags))
    except ValidationError as error:
        raise Invalid("tags", " ".join(error.messages)) from error


def _check_note(text: str) -> None:
    body = text.strip()
    if not body or len(body) > MAX_NOTE_LENGTH or "\x00" in body:
        raise Invalid(
            "notes", f"A note needs text, at most {MAX_NOTE_LENGTH} characters, no null character."
        )
