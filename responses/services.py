"""Writes of the respondent side: who answers, what they saw, what they said."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from surveys.models import Survey
from tenants.models import Organization

from .models import Channel, PromptEvent, Respondent, Response


@dataclass(frozen=True)
class Identity:
    anonymous_id: str = ""
    user_id: str = ""
    email: str = ""
    name: str = ""
    traits: dict[str, Any] = field(default_factory=dict)


class AnswerConflict(Exception):
    """The client id is already another respondent's or another survey's answer."""


def respondent_identify(*, organization: Organization, identity: Identity) -> Respondent:
    """The one Respondent behind this identity, created on first sight.

    A user id names the same person on every device; an anonymous id only
    names one browser, and is adopted by the user id that first comes with it
    so what that browser did before signing in still counts.
    """
    with transaction.atomic():
        if identity.user_id:
            respondent = _identified(organization, identity)
        else:
            # Once adopted, the browser's id keeps naming that person when signed out.
            respondent, _ = Respondent.objects.get_or_create(
                organization=organization, anonymous_id=identity.anonymous_id
            )
        _update_profile(respondent, identity)
    return respondent


def _identified(organization: Organization, identity: Identity) -> Respondent:
    found = Respondent.objects.filter(external_id=identity.user_id).first()
    if found is not None:
        return found
    if identity.anonymous_id:
        adopted = Respondent.objects.filter(
            anonymous_id=identity.anonymous_id, external_id=""
        ).update(external_id=identity.user_id)
        if adopted:
            return Respondent.objects.get(external_id=identity.user_id)
    respondent, _ = Respondent.objects.get_or_create(
        organization=organization, external_id=identity.user_id
    )
    return respondent


def _update_profile(respondent: Respondent, identity: Identity) -> None:
    changes: dict[str, Any] = {}
    if identity.email and identity.email != respondent.email:
        changes["email"] = identity.email
    if identity.name and identity.name != respondent.name:
        changes["name"] = identity.name
    traits = {**respondent.traits, **identity.traits}
    if traits != respondent.traits:
        changes["traits"] = traits
    if changes:
        for name, value in changes.items():
            setattr(respondent, name, value)
        respondent.save(update_fields=list(changes))


def prompt_event_record(
    *,
    survey: Survey,
    respondent: Respondent,
    kind: str,
    channel: str = Channel.WIDGET,
    created_at: datetime | None = None,
) -> PromptEvent:
    event = PromptEvent(
        organization_id=survey.organization_id,
        survey=survey,
        respondent=respondent,
        kind=kind,
        channel=channel,
    )
    if created_at is not None:
        event.created_at = created_at
    event.save()
    return event


def answer_record(
    *,
    survey: Survey,
    respondent: Respondent | None,
    client_id: str,
    score: int,
    comment: str | None = None,
    language: str = "",
    channel: str = Channel.WIDGET,
    properties: dict[str, Any] | None = None,
    created_at: datetime | None = None,
) -> tuple[Response, bool]:
    """Stores an answer; the same client id again updates it (a changed score,
    a comment added later, or a retry) instead of counting twice.

    Committed when this returns, so the caller may acknowledge it durably.
    """
    with transaction.atomic():
        response = Response.objects.select_for_update().filter(client_id=client_id).first()
        if response is None:
            try:
                with transaction.atomic():
                    answer = _Answer(score, comment, language, channel, properties, created_at)
                    return _create(survey, respondent, client_id, answer), True
            except IntegrityError:  # the same answer, sent twice at once
                response = Response.objects.select_for_update().get(client_id=client_id)
        _ensure_same_answer(response, survey, respondent)
        _update(response, score=score, comment=comment)
        return response, False


@dataclass(frozen=True)
class _Answer:
    score: int
    comment: str | None
    language: str
    channel: str
    properties: dict[str, Any] | None
    # Set for answers given elsewhere first (server-side capture, imports).
    created_at: datetime | None


def _create(
    survey: Survey, respondent: Respondent | None, client_id: str, answer: _Answer
) -> Response:
    response = Response(
        organization_id=survey.organization_id,
        survey=survey,
        respondent=respondent,
        client_id=client_id,
        score=answer.score,
        comment=answer.comment or "",
        language=answer.language,
        channel=answer.channel,
        # A snapshot: segments stay as they were when the person answered.
        properties=answer.properties if answer.properties is not None else _traits_of(respondent),
    )
    if answer.created_at is not None:
        response.created_at = answer.created_at
    response.save()
    if respondent is not None:
        prompt_event_record(
            survey=survey,
            respondent=respondent,
            kind=PromptEvent.Kind.ANSWER,
            channel=answer.channel,
            created_at=response.created_at,
        )
    return response


def _traits_of(respondent: Respondent | None) -> dict[str, Any]:
    return dict(respondent.traits) if respondent is not None else {}


def _ensure_same_answer(response: Response, survey: Survey, respondent: Respondent | None) -> None:
    respondent_id = respondent.pk if respondent is not None else None
    if response.survey_id != survey.pk or response.respondent_id != respondent_id:
        raise AnswerConflict


def _update(response: Response, *, score: int, comment: str | None) -> None:
    response.score = score
    fields = ["score", "updated_at"]
    if comment is not None:
        response.comment = comment
        fields.append("comment")
    response.save(update_fields=fields)


def comment_record(
    *, survey: Survey, respondent: Respondent | None, client_id: str, comment: str
) -> Response | None:
    """Adds the follow-up comment to an answer; None when there is no such answer."""
    with transaction.atomic():
        response = Response.objects.select_for_update().filter(client_id=client_id).first()
        if response is None:
            return None
        _ensure_same_answer(response, survey, respondent)
        response.comment = comment
        response.save(update_fields=["comment", "updated_at"])
        return response
