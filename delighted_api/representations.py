"""Our rows in Delighted's field names: string ids, Unix seconds, null for absent."""

from typing import Any

from django.conf import settings
from django.urls import reverse

from outreach.models import Suppression, SurveyRequest
from responses.models import Note, Respondent, Response
from responses.scoring import NpsSummary
from surveys.models import SurveyKind

from .base import unix


def person(respondent: Respondent) -> dict[str, Any]:
    """A person; the activity times come from `selectors.with_activity`."""
    return {
        "id": str(respondent.pk),
        "email": respondent.email or None,
        "name": respondent.name or None,
        "phone_number": respondent.phone_number or None,
        "created_at": unix(respondent.first_seen_at),
        "last_sent_at": unix(getattr(respondent, "last_sent_at", None)),
        "last_responded_at": unix(getattr(respondent, "last_responded_at", None)),
        "next_survey_scheduled_at": unix(getattr(respondent, "next_survey_scheduled_at", None)),
    }


def person_created(respondent: Respondent, request: SurveyRequest | None) -> dict[str, Any]:
    return {
        "id": str(respondent.pk),
        "email": respondent.email or None,
        "name": respondent.name or None,
        "phone_number": respondent.phone_number or None,
        "survey_scheduled_at": unix(request.scheduled_at) if request is not None else None,
        "properties": respondent.traits,
    }


def survey_response(
    response: Response, people: dict[int, Respondent] | None = None
) -> dict[str, Any]:
    """`people` given: the person expanded to an object (`expand[]=person`)."""
    respondent_id = response.respondent_id
    owner: Any = None if respondent_id is None else str(respondent_id)
    if people is not None and respondent_id is not None and respondent_id in people:
        owner = person(people[respondent_id])
    return {
        "id": str(response.pk),
        "person": owner,
        "survey_type": "enps" if response.survey.kind == SurveyKind.EMPLOYEE else "nps",
        "score": response.score,
        "comment": response.comment or None,
        "permalink": _permalink(response),
        "created_at": unix(response.created_at),
        "updated_at": unix(response.updated_at),
        "person_properties": response.properties,
        "notes": [_note(note) for note in response.notes.all()],
        "tags": response.tags,
        "additional_answers": [],
    }


def _permalink(response: Response) -> str:
    path = reverse("followups:response", args=[response.organization.slug, response.pk])
    return settings.SITE_URL + path


def _note(note: Note) -> dict[str, Any]:
    return {
        "id": str(note.pk),
        "text": note.body,
        "user_email": note.author.email if note.author is not None else None,
        "created_at": unix(note.created_at),
    }


def metrics(summary: NpsSummary) -> dict[str, Any]:
    """Delighted reports the score as a whole number, percentages to two places."""
    exact = summary.nps_exact
    return {
        "nps": 0 if exact is None else _round_half_away(exact),
        "promoter_count": summary.promoters,
        "promoter_percent": round(summary.promoter_percent, 2),
        "passive_count": summary.passives,
        "passive_percent": round(summary.passive_percent, 2),
        "detractor_count": summary.detractors,
        "detractor_percent": round(summary.detractor_percent, 2),
        "response_count": summary.total,
    }


def _round_half_away(value: Any) -> int:
    # Exact fractions: 12.5 is 13 and -12.5 is -13, never Python's banker's rounding.
    magnitude = (abs(value) * 2 + 1) // 2
    return int(magnitude if value >= 0 else -magnitude)


def suppression(row: Suppression, *, at: str) -> dict[str, Any]:
    """An unsubscribe (`at="unsubscribed_at"`) or a bounce (`at="bounced_at"`)."""
    person_id = getattr(row, "person_id", None)
    return {
        "person_id": None if person_id is None else str(person_id),
        "email": row.email,
        "name": getattr(row, "person_name", None) or None,
        at: unix(row.created_at),
    }
