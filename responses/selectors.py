"""Reads of the respondent side: a person's prompt history and the decision."""

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field, Model, Prefetch, QuerySet

from surveys.models import Survey, SurveyVariant
from surveys.policy import Decision, History, decide
from surveys.selectors import variant_for
from tenants.prepared import execute_prepared

from .models import Note, PromptEvent, Respondent, Response

M = TypeVar("M", bound=Model)


def respondent_by_id(*, respondent_id: int) -> Respondent | None:
    return Respondent.objects.filter(pk=respondent_id).first()


def variant_for_respondent(*, survey: Survey, respondent_id: int) -> SurveyVariant | None:
    """The wording this person is shown. Their id, not their browser's: a person
    who signs in on another device keeps their variant."""
    return variant_for(survey=survey, subject=f"respondent:{respondent_id}")


def variant_for_visit(*, survey: Survey, client_id: str) -> SurveyVariant | None:
    """The wording one anonymous link visit is shown, by the answer id its page
    carries, so the score, comment and thank-you steps all show the same one."""
    return variant_for(survey=survey, subject=f"visit:{client_id}")


def respondent_history(*, survey: Survey, respondent: Respondent) -> History:
    """One statement of four indexed look-ups over one person's rows, whatever
    the tenant's size: the newest row of each kind is read, never all of them."""
    found = _with_history(survey=survey, by="id", value=respondent.pk)
    if found is None:  # erased meanwhile: a person with no history
        return History.of_newcomer(first_seen_at=respondent.first_seen_at)
    return found[1]


def known_respondent_with_history(
    *, survey: Survey, user_id: str, anonymous_id: str
) -> tuple[Respondent, History] | None:
    """The person a config request names, if already known, with their history
    for `survey`: the widget's every page view, in one round trip."""
    if user_id:
        return _with_history(survey=survey, by="external_id", value=user_id)
    return _with_history(survey=survey, by="anonymous_id", value=anonymous_id)


def _with_history(
    *, survey: Survey, by: str, value: int | str
) -> tuple[Respondent, History] | None:
    params: dict[str, int | str] = {
        "organization": survey.organization_id,
        "survey": survey.pk,
        "value": value,
        **{f"kind_{kind}": kind for kind in PromptEvent.Kind.values},
    }
    with connection.cursor() as cursor:
        execute_prepared(cursor, name=f"nps_history_by_{by}", sql=_history_sql(by), params=params)
        row = cursor.fetchone()
    if row is None:
        return None
    respondent, (not_now, never, displayed, answered) = instance_from_row(Respondent, row)
    when = db_values_converted(
        [PromptEvent._meta.get_field("created_at")] * 3, (not_now, displayed, answered)
    )
    return respondent, History(
        first_seen_at=respondent.first_seen_at,
        last_answer_at=when[2],
        last_not_now_at=when[0],
        never=bool(never),
        last_prompt_any_survey_at=when[1],
    )


@functools.cache
def _history_sql(by: str) -> str:
    """Written once per process: building it with the ORM on every config
    request cost several times what the database takes to run it.

    Displays of this survey are left out (see surveys.policy on the fatigue
    cap); answers from every channel count, including the API's and imports'.
    The ids are unique only when not empty (partial indexes): saying so lets
    the plan made once for any value use those indexes.
    """
    people, events, answers = (m._meta.db_table for m in (Respondent, PromptEvent, Response))
    columns = ", ".join(f"p.{f.column}" for f in Respondent._meta.concrete_fields)
    mine = "x.organization_id = p.organization_id AND x.respondent_id = p.id"
    newest = "ORDER BY x.created_at DESC LIMIT 1"
    return f"""
        SELECT {columns},
          (SELECT x.created_at FROM {events} x WHERE {mine} AND x.survey_id = %(survey)s
             AND x.kind = %(kind_not_now)s {newest}),
          EXISTS (SELECT 1 FROM {events} x WHERE {mine} AND x.survey_id = %(survey)s
             AND x.kind = %(kind_never)s),
          (SELECT x.created_at FROM {events} x WHERE {mine} AND x.survey_id <> %(survey)s
             AND x.kind = %(kind_display)s {newest}),
          (SELECT x.created_at FROM {answers} x WHERE {mine} AND x.survey_id = %(survey)s {newest})
        FROM {people} p WHERE p.organization_id = %(organization)s AND p.{by} = %(value)s
          {"" if by == "id" else f"AND p.{by} <> ''"}
    """  # noqa: S608 (identifiers and placeholders only)


def instance_from_row(model: type[M], row: Sequence[Any]) -> tuple[M, Sequence[Any]]:
    """The instance the ORM would build from a row that starts with the model's
    columns (in field order), and the rest of the row."""
    fields = model._meta.concrete_fields
    values = db_values_converted(fields, row[: len(fields)])
    instance = model.from_db(DEFAULT_DB_ALIAS, [f.attname for f in fields], values)
    return instance, row[len(fields) :]


def db_values_converted(fields: "Sequence[Field[Any, Any]]", values: Sequence[Any]) -> list[Any]:
    """Database values as the ORM would hand them over (JSON decoded, times aware)."""
    # The thread's connection itself, not the proxy: one lookup, not one per value.
    db = connections[DEFAULT_DB_ALIAS]
    converted = []
    for field, value in zip(fields, values, strict=True):
        for converter in _converters(field):
            value = converter(value, field.cached_col, db)
        converted.append(value)
    return converted


@functools.cache
def _converters(field: "Field[Any, Any]") -> list[Any]:
    expression = field.cached_col
    return [
        *connection.ops.get_db_converters(expression),
        *expression.get_db_converters(connection),
    ]


def prompt_decision(
    *,
    survey: Survey,
    respondent: Respondent,
    now: datetime,
    trigger: str = "auto",
    history: History | None = None,
) -> Decision:
    """`history` when the caller read it already (with the respondent)."""
    return decide(
        survey=survey,
        respondent_key=str(respondent.pk),
        history=history or respondent_history(survey=survey, respondent=respondent),
        now=now,
        trigger=trigger,
    )


def response_by_client_id(*, client_id: str) -> Response | None:
    return Response.objects.filter(client_id=client_id).first()


def respondents_matching(*, email: str = "", external_id: str = "") -> QuerySet[Respondent]:
    people = Respondent.objects.all()
    if email:
        people = people.filter(email__iexact=email)
    if external_id:
        people = people.filter(external_id=external_id)
    return people


def responses_listed() -> QuerySet[Response]:
    """Every answer of the organization with what a listing shows beside it."""
    return Response.objects.select_related("survey", "respondent", "assignee", "variant")


def response_with_notes(*, response_id: int) -> Response | None:
    return (
        responses_listed()
        .prefetch_related(Prefetch("notes", queryset=Note.objects.select_related("author")))
        .filter(pk=response_id)
        .first()
    )
