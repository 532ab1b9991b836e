"""Reads of survey requests, including the email links' one cross-tenant lookup."""

from datetime import datetime

from django.db.models import Max, Q, QuerySet

from responses.models import PromptEvent, Respondent, Response
from surveys.models import Survey
from tenants.context import all_tenants

from .models import Suppression, SurveyRequest


def request_for_link(*, request_id: int) -> SurveyRequest | None:
    """Any organization's request named by a signed link.

    The link carries no organization, so this read cannot be scoped beforehand;
    the signature already proved the id was ours to give out.
    """
    with all_tenants():
        return (
            SurveyRequest.objects.unscoped()
            .select_related("survey__organization", "respondent")
            .filter(pk=request_id)
            .first()
        )


def requests_of_survey(*, survey: Survey, status: str = "") -> QuerySet[SurveyRequest]:
    requests = SurveyRequest.objects.filter(survey=survey)
    return requests.filter(status=status) if status else requests


def requests_of_organization(*, status: str = "") -> QuerySet[SurveyRequest]:
    requests = SurveyRequest.objects.select_related("survey").order_by("-created_at", "-id")
    return requests.filter(status=status) if status else requests


def suppression_of(*, email: str) -> Suppression | None:
    return Suppression.objects.filter(email__iexact=email).first()


def suppressions_of_organization(
    *, reason: str, since: datetime | None = None
) -> QuerySet[Suppression]:
    """Newest first; `since` keeps those recorded at or after it."""
    suppressions = Suppression.objects.filter(reason=reason).order_by("-created_at", "-id")
    return suppressions.filter(created_at__gte=since) if since else suppressions


def last_contact_at(*, respondent: Respondent) -> datetime | None:
    """The last time any survey of the organization prompted or heard from
    this person, through any channel: what the fatigue cap counts from."""
    Kind = PromptEvent.Kind
    prompted = PromptEvent.objects.filter(
        Q(kind=Kind.DISPLAY) | Q(kind=Kind.ANSWER), respondent=respondent
    ).aggregate(last=Max("created_at"))["last"]
    answered = Response.objects.filter(respondent=respondent).aggregate(last=Max("created_at"))[
        "last"
    ]
    moments = [moment for moment in (prompted, answered) if moment is not None]
    return max(moments) if moments else None


def never_ask(*, survey: Survey, respondent: Respondent) -> bool:
    return PromptEvent.objects.filter(
        survey=survey, respondent=respondent, kind=PromptEvent.Kind.NEVER
    ).exists()
