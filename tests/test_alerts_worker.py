"""A widget answer reaches a chat chat through a real Celery worker on Redis."""

import json
from typing import Any

import pytest
from django.test import Client

from alerts import services
from alerts.models import Delivery
from surveys.models import Survey
from tenants.context import tenant_context

from .alert_receiver import Receiver
from .conftest import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ORIGIN = "https://app.example.com"


def widget(client: Client, survey: Survey, path: str, body: dict[str, Any]) -> Any:
    return client.post(
        f"/w/{survey.public_key}/{path}",
        json.dumps(body),
        content_type="text/plain",
        HTTP_ORIGIN=ORIGIN,
    )


def test_a_widget_detractor_reaches_slack_through_the_worker(
    worker: Any, chat: Receiver, survey: Survey, settings: Any
) -> None:
    settings.ALERTS_DELAY_SECONDS = 0
    settings.SITE_URL = "https://nps.example.com"
    with tenant_context(survey.organization):
        services.destination_create(url=chat.url, name="#cx")
    client = Client()
    user = {"id": "u-9", "email": "bo@example.com", "name": "Bo"}
    config = widget(client, survey, "config", {"anonymous_id": "a" * 32, "user": user})
    assert config.status_code == 200, config.content
    body = {
        "token": config.json()["token"],
        "id": "answer-0000000001",
        "score": 2,
        "comment": "Crashes",
    }
    answered = widget(client, survey, "answer", body)
    assert answered.status_code in (200, 201), answered.content
    widget(client, survey, "answer", body)  # the widget retrying

    def delivered() -> bool:
        return Delivery.objects.unscoped().filter(status="sent").exists()

    wait_until(delivered)
    [message] = chat.received
    assert message["blocks"][0]["text"]["text"] == "Detractor · 2/10 · Product NPS"
    assert message["blocks"][1]["text"]["text"] == "> Crashes"
    fields = [f["text"] for f in message["blocks"][2]["fields"]]
    assert fields[:3] == ["*Name*\nBo", "*Email*\nbo@example.com", "*User id*\nu-9"]
    response_id = Delivery.objects.unscoped().get().response_id
    link = f"https://nps.example.com/o/example/responses/{response_id}/"
    assert message["blocks"][3]["elements"][0]["url"] == link
