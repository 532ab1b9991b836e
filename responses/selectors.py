"""Reads of the respondent side: a person's prompt history and the decision."""

from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Subquery

from surveys.models import Survey, SurveyVariant
from surveys.policy import Decision, History, decide
from surveys.selectors import variant_for

from .models import Note, PromptEvent, Respondent, Response


def respondent_by_id(*, respondent_id: int) -> Respondent | None:
    return Respondent.objects.filter(pk=respondent_id).first()


def variant_for_respondent(*, survey: Survey, respondent: Respondent) -> SurveyVariant | None:
    """The wording this person is shown. Their id, not their browser's: a person
    who signs in on another device keeps their variant."""
    return variant_for(survey=survey, subject=f"respondent:{respondent.pk}")


def variant_for_visit(*, survey: Survey, client_id: str) -> SurveyVariant | None:
    """The wording one anonymous link visit is shown, by the answer id its page
    carries, so the score, comment and thank-you steps all show the same one."""
    return variant_for(survey=survey, subject=f"visit:{client_id}")


def respondent_history(*, survey: Survey, respondent: Respondent) -> History:
    """One query of four indexed look-ups over one person's rows, whatever the
    tenant's size: the newest row of each kind is read, never all of them."""
    Kind = PromptEvent.Kind
    events = PromptEvent.objects.filter(respondent=OuterRef("pk"))

    def newest(rows: QuerySet[Any]) -> Subquery:
        return Subquery(rows.order_by("-created_at").values("created_at")[:1])

    found = (
        Respondent.objects.filter(pk=respondent.pk)
        .annotate(
            not_now=newest(events.filter(survey=survey, kind=Kind.NOT_NOW)),
            never=Exists(events.filter(survey=survey, kind=Kind.NEVER)),
            # Displays of this survey are left out: see surveys.policy on the fatigue cap.
            displayed=newest(events.filter(kind=Kind.DISPLAY).exclude(survey=survey)),
            # Answers from every channel count, including those stored by the API or an import.
            answered=newest(Response.objects.filter(respondent=OuterRef("pk"), survey=survey)),
        )
        .values("not_now", "never", "displayed", "answered")
        .first()
    ) or {"not_now": None, "never": False, "displayed": None, "answered": None}
    return History(
        first_seen_at=respondent.first_seen_at,
        last_answer_at=found["answered"],
        last_not_now_at=found["not_now"],
        never=bool(found["never"]),
        last_prompt_any_survey_at=found["displayed"],
    )


def prompt_decision(
    *, survey: Survey, respondent: Respondent, now: datetime, trigger: str = "auto"
) -> Decision:
    return decide(
        survey=survey,
        respondent_key=str(respondent.pk),
        history=respondent_history(survey=survey, respondent=respondent),
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
    return Response.objects.select_related("survey", "respondent", "assignee")


def response_with_notes(*, response_id: int) -> Response | None:
    return (
        responses_listed()
        .prefetch_related(Prefetch("notes", queryset=Note.objects.select_related("author")))
        .filter(pk=response_id)
        .first()
    )
