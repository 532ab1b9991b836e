"""The JSON bodies of webhook events: {"type", "timestamp", "data"}."""

from datetime import datetime
from typing import Any

from outreach.models import Suppression
from responses.models import Response
from responses.scoring import category


def envelope(*, event_type: str, data: dict[str, Any], at: datetime) -> dict[str, Any]:
    return {"type": event_type, "timestamp": at.isoformat(), "data": data}


def response_data(response: Response) -> dict[str, Any]:
    survey = response.survey
    respondent = response.respondent
    return {
        "id": response.pk,
        "survey": {"id": survey.pk, "public_key": survey.public_key, "name": survey.name},
        # The A/B wording the respondent saw, by the name the back office shows.
        "variant": response.variant.name if response.variant is not None else None,
        "score": response.score,
        "category": category(response.score),
        "comment": response.comment,
        "channel": response.channel,
        "language": response.language,
        "properties": response.properties,
        "tags": response.tags,
        "follow_up_status": response.follow_up_status,
        "respondent": None
        if respondent is None
        else {
            "id": respondent.pk,
            "external_id": respondent.external_id,
            "email": respondent.email,
            "name": respondent.name,
        },
        "created_at": response.created_at.isoformat(),
        "updated_at": response.updated_at.isoformat(),
    }


def unsubscribe_data(suppression: Suppression) -> dict[str, Any]:
    return {
        "id": suppression.pk,
        "email": suppression.email,
        "reason": suppression.reason,
        "created_at": suppression.created_at.isoformat(),
    }


def ping_data(*, webhook_id: int) -> dict[str, Any]:
    return {"webhook_id": webhook_id, "message": "A test event: your endpoint is reachable."}
