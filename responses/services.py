"""Writes of the respondent side: who answers, what they saw, what they said."""

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from surveys.models import Survey, SurveyVariant
from tenants.models import Organization
from tenants.prepared import execute_prepared

from . import hooks, selectors
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
    # Nearly every call names someone already known, with nothing new to
    # store: one indexed read then, and no transaction.
    known = _known_by(identity)
    return respondent_identify_after_read(
        organization=organization, identity=identity, known=known
    ).respondent


@dataclass(frozen=True)
class Identified:
    respondent: Respondent
    # First seen in this call: nothing has happened to this person yet.
    created: bool


def respondent_identify_after_read(
    *, organization: Organization, identity: Identity, known: Respondent | None
) -> Identified:
    """`respondent_identify` for a caller that has just read `known`, the
    respondent this identity names (None: nobody yet), and would otherwise
    have it read a second time."""
    if known is not None and not _profile_changes(known, identity):
        return Identified(known, created=False)
    with transaction.atomic():
        if identity.user_id:
            respondent, created = _identified(organization, identity)
        else:
            # Once adopted, the browser's id keeps naming that person when signed out.
            respondent, created = Respondent.objects.get_or_create(
                organization=organization, anonymous_id=identity.anonymous_id
            )
        _update_profile(respondent, identity)
    return Identified(respondent, created=created)


def _identified(organization: Organization, identity: Identity) -> tuple[Respondent, bool]:
    found = Respondent.objects.filter(external_id=identity.user_id).first()
    if found is not None:
        return found, False
    if identity.anonymous_id:
        adopted = Respondent.objects.filter(
            anonymous_id=identity.anonymous_id, external_id=""
        ).update(external_id=identity.user_id)
        if adopted:
            return Respondent.objects.get(external_id=identity.user_id), False
    return Respondent.objects.get_or_create(organization=organization, external_id=identity.user_id)


def respondent_is_current(*, respondent: Respondent, identity: Identity) -> bool:
    """Whether this identity brings nothing new to store on the respondent."""
    return not _profile_changes(respondent, identity)


def _known_by(identity: Identity) -> Respondent | None:
    if identity.user_id:
        return Respondent.objects.filter(external_id=identity.user_id).first()
    return Respondent.objects.filter(anonymous_id=identity.anonymous_id).first()


def _profile_changes(respondent: Respondent, identity: Identity) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if identity.email and identity.email != respondent.email:
        changes["email"] = identity.email
    if identity.name and identity.name != respondent.name:
        changes["name"] = identity.name
    traits = {**respondent.traits, **identity.traits}
    if traits != respondent.traits:
        changes["traits"] = traits
    return changes


def _update_profile(respondent: Respondent, identity: Identity) -> None:
    changes = _profile_changes(respondent, identity)
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
    variant: SurveyVariant | None = None,
) -> PromptEvent:
    event = PromptEvent(
        organization_id=survey.organization_id,
        survey=survey,
        respondent=respondent,
        kind=kind,
        channel=channel,
        variant=variant,
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
    variant: SurveyVariant | None = None,
) -> tuple[Response, bool]:
    """Stores an answer; the same client id again updates it (a changed score,
    a comment added later, or a retry) instead of counting twice.

    `variant` is the wording the respondent answered; an update keeps the
    variant of the first send. Committed when this returns, so the caller
    may acknowledge it durably.
    """
    with transaction.atomic():
        response = Response.objects.select_for_update().filter(client_id=client_id).first()
        if response is None:
            try:
                with transaction.atomic():
                    answer = _Answer(
                        score, comment, language, channel, properties, created_at, variant
                    )
                    return _create(survey, respondent, client_id, answer), True
            except IntegrityError:  # the same answer, sent twice at once
                response = Response.objects.select_for_update().get(client_id=client_id)
        _ensure_same_answer(response, survey, respondent)
        _update(response, score=score, comment=comment)
        return response, False


def widget_answer_first_send(
    *,
    survey: Survey,
    respondent_id: int,
    client_id: str,
    score: int,
    comment: str | None,
    language: str,
    variant: SurveyVariant | None,
) -> Response | None:
    """The widget's common case, a new answer from a known person, in one
    statement: the answer (with the person's traits as its snapshot) and its
    prompt event, committed together when this returns.

    None when it is not that case: the id is already an answer (a retry, a
    changed score or a conflict), the person is gone, the survey schedules
    recurring requests, or the database is not PostgreSQL. `answer_record`
    then does the work, with the same result.
    """
    # The thread's connection itself: every attribute read through the
    # `connection` proxy is a context-local lookup, a dozen per call here.
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql" or survey.recur_days:
        return None
    now = timezone.now()
    draft = Response(
        organization_id=survey.organization_id,
        survey=survey,
        respondent_id=respondent_id,
        client_id=client_id,
        score=score,
        comment=comment or "",
        language=language,
        channel=Channel.WIDGET,
        variant=variant,
        created_at=now,
        updated_at=now,
    )
    params: dict[str, Any] = {
        str(f.column): f.get_db_prep_save(getattr(draft, f.attname), db)
        for f in _first_send_fields()
    }
    params["kind"] = PromptEvent.Kind.ANSWER
    with db.cursor() as cursor:
        execute_prepared(cursor, name="nps_widget_first_send", sql=_first_send_sql(), params=params)
        row = cursor.fetchone()
    if row is None:
        return None
    response, (listened,) = selectors.instance_from_row(Response, row)
    response.survey = survey
    if listened:
        _tell_listeners(response)
    return response


def _tell_listeners(response: Response) -> None:
    """What saving it through the ORM tells the rest of the app (webhooks, alerts)."""
    post_save.send(
        sender=Response,
        instance=response,
        created=True,
        update_fields=None,
        raw=False,
        using=connection.alias,
    )


@functools.cache
def _first_send_fields() -> list[Any]:
    """The answer's columns the statement writes from parameters (the id is
    generated, the properties are the person's traits)."""
    return [f for f in Response._meta.concrete_fields if f.attname not in ("id", "properties")]


@functools.cache
def _first_send_sql() -> str:
    people, answers, events = (m._meta.db_table for m in (Respondent, Response, PromptEvent))
    written = _first_send_fields()
    columns = ", ".join(str(f.column) for f in written)
    # Typed, so the statement can be prepared: a bare parameter in a SELECT list has no type.
    placeholders = ", ".join(
        f"CAST(%({f.column})s AS {f.cast_db_type(connection)})" for f in written
    )
    returned = ", ".join(str(f.column) for f in Response._meta.concrete_fields)
    return f"""
        WITH person AS (
          SELECT id, traits FROM {people}
          WHERE organization_id = %(organization_id)s AND id = %(respondent_id)s
        ), answer AS (
          INSERT INTO {answers} ({columns}, properties)
          SELECT {placeholders}, person.traits FROM person
          ON CONFLICT DO NOTHING
          RETURNING {returned}
        ), event AS (
          INSERT INTO {events} (organization_id, survey_id, respondent_id, kind, channel,
                                variant_id, created_at)
          SELECT organization_id, survey_id, respondent_id, %(kind)s, channel, variant_id,
                 created_at
          FROM answer
        )
        SELECT {returned}, {hooks.answer_listeners_sql()} FROM answer
    """  # noqa: S608 (identifiers and placeholders only)


@dataclass(frozen=True)
class _Answer:
    score: int
    comment: str | None
    language: str
    channel: str
    properties: dict[str, Any] | None
    # Set for answers given elsewhere first (server-side capture, imports).
    created_at: datetime | None
    variant: SurveyVariant | None = None


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
        variant=answer.variant,
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
            variant=answer.variant,
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


# --- Respondents pushed by integrators ---------------------------------------------


class RespondentConflict(Exception):
    """The external id is already another respondent's."""


@dataclass(frozen=True)
class Profile:
    """What an integrator says about a person; None leaves a field as it is."""

    external_id: str | None = None
    email: str | None = None
    name: str | None = None
    profile_url: str | None = None
    # Merged into the stored traits; a key set to None is removed.
    traits: dict[str, Any] = field(default_factory=dict)


PROFILE_FIELDS = ("external_id", "email", "name", "profile_url")


def respondent_upsert(*, organization: Organization, profile: Profile) -> tuple[Respondent, bool]:
    """The person named by `profile.external_id`, else by `profile.email`, created
    when unknown; True when created.

    A person first known only by email (a survey email, an earlier push) takes
    the external id when it arrives, instead of becoming a second person.
    """
    if not profile.external_id and not profile.email:
        raise ValueError("A respondent needs an external id or an email.")
    with transaction.atomic():
        respondent = _known(profile)
        created = respondent is None
        if respondent is None:
            respondent = Respondent(organization=organization)
        _apply_profile(respondent, profile)
        try:
            with transaction.atomic():
                respondent.save()
        except IntegrityError:  # the same person pushed twice at once
            if not profile.external_id:
                raise
            respondent = Respondent.objects.get(external_id=profile.external_id)
            _apply_profile(respondent, profile)
            respondent.save()
            created = False
    return respondent, created


def _known(profile: Profile) -> Respondent | None:
    people = Respondent.objects.select_for_update().order_by("pk")
    if profile.external_id:
        found = people.filter(external_id=profile.external_id).first()
        if found is not None or not profile.email:
            return found
        return people.filter(email__iexact=profile.email, external_id="").first()
    # The oldest wins, as for survey emails (outreach.services.respondent_for_email).
    return people.filter(email__iexact=profile.email or "").first()


def respondent_update(*, respondent: Respondent, profile: Profile) -> Respondent:
    """Changes the fields given; an external id already used by another is refused."""
    taken = (
        profile.external_id
        and Respondent.objects.filter(external_id=profile.external_id)
        .exclude(pk=respondent.pk)
        .exists()
    )
    if taken:
        raise RespondentConflict
    _apply_profile(respondent, profile)
    try:
        with transaction.atomic():
            respondent.save()
    except IntegrityError as error:  # taken by a concurrent write
        raise RespondentConflict from error
    return respondent


def _apply_profile(respondent: Respondent, profile: Profile) -> None:
    for name in PROFILE_FIELDS:
        value = getattr(profile, name)
        if value is not None:
            setattr(respondent, name, value)
    traits = {**respondent.traits, **profile.traits}
    respondent.traits = {key: value for key, value in traits.items() if value is not None}


def respondent_erase(*, respondent: Respondent) -> None:
    """Erases a person and everything recorded about them, in one transaction:
    answers (with their notes), prompt history and survey requests.

    Their Suppression, if any, stays: it is a list of addresses never to email
    again, and an unsubscribe must outlive the erasure or the next import of
    the same address would email them. Deleting row by row (not a raw DELETE)
    sends the signals that queue the rollups' dirty keys, so the numbers drop
    the erased answers at once.
    """
    with transaction.atomic():
        # Survey requests, prompt events, answers and notes cascade from the person.
        respondent.delete()


def response_delete(*, response: Response) -> None:
    with transaction.atomic():
        response.delete()


def answer_capture(
    *,
    survey: Survey,
    profile: Profile | None,
    client_id: str,
    score: int,
    comment: str | None = None,
    language: str = "",
    properties: dict[str, Any] | None = None,
    created_at: datetime | None = None,
    channel: str = Channel.API,
) -> tuple[Response, bool]:
    """An answer captured server-side, with its respondent upserted; True when new.

    All or nothing: an answer refused (AnswerConflict) leaves the respondent
    as it was too.
    """
    with transaction.atomic():
        respondent = None
        if profile is not None:
            respondent, _ = respondent_upsert(organization=survey.organization, profile=profile)
        return answer_record(
            survey=survey,
            respondent=respondent,
            client_id=client_id,
            score=score,
            comment=comment,
            language=language,
            channel=channel,
            properties=properties,
            created_at=created_at,
        )
