"""Redis down (cache and broker): every way an answer comes in still stores it,
the back office still loads, and webhooks catch up once Redis is back."""

import base64
import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from integrations import services as webhooks
from nps_site.celery import app
from responses.models import Response
from surveys.models import Survey
from tenants.context import tenant_context
from tenants.models import Organization

from .test_rollups_worker import private_redis as private_redis
from .test_rollups_worker import redis_cli, start_private_redis, use_broker
from .test_widget_api import answer, token_for
from .webhook_receiver import running_receiver

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def api_answer(key: str, survey: Survey) -> Any:
    body = {"survey": survey.public_key, "score": 4, "respondent": {"email": "api@example.com"}}
    return Client(headers={"Authorization": f"Bearer {key}"}).post(
        "/api/v1/responses", json.dumps(body), content_type="application/json"
    )


def delighted_answer(key: str) -> Any:
    basic = base64.b64encode(key.encode()).decode()
    return Client(headers={"Authorization": f"Basic {basic}"}).post(
        "/delighted/v1/survey_responses.json",
        json.dumps({"person": "delighted@example.com", "score": 7}),
        content_type="application/json",
    )


def quickly(request: Any) -> Any:
    """Runs a request that must not wait out broker reconnects (about 6 s each)."""
    started = time.monotonic()
    answer = request()
    assert time.monotonic() - started < 2, "the request waited on the broker"
    return answer


def scores(organization: Organization) -> list[int]:
    with tenant_context(organization):
        return sorted(Response.objects.values_list("score", flat=True))


def test_answers_from_every_channel_are_stored_while_redis_is_down_and_webhooks_catch_up(
    private_redis: str,
    client: Client,
    owner_client: Client,
    org: Organization,
    survey: Survey,
    api_key: str,
    tmp_path: Path,
    settings: Any,
) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = True
    with running_receiver() as receiver:
        with tenant_context(org):
            webhooks.webhook_create(organization=org, url=receiver.url, events=["response.created"])
        token = token_for(client, survey)
        redis_cli("shutdown", "nosave")
        app.conf.task_always_eager = False
        try:
            assert quickly(lambda: answer(client, survey, token, score=10)).status_code == 201
            link = quickly(
                lambda: client.post(
                    f"/s/{survey.public_key}",
                    {"score": "2", "id": "link-answer-outage-02", "channel": "link"},
                )
            )
            assert link.status_code in (200, 201, 302), link.content
            assert quickly(lambda: api_answer(api_key, survey)).status_code == 201
            assert quickly(lambda: delighted_answer(api_key)).status_code == 201
            for page in ("", "responses/", "inbox/", "webhooks/"):
                assert owner_client.get(f"/o/{org.slug}/{page}").status_code == 200, page
        finally:
            app.conf.task_always_eager = True
        assert scores(org) == [2, 4, 7, 10]
        assert receiver.received == []

        start_private_redis(tmp_path)
        use_broker(private_redis)
        webhooks.deliveries_send_due(now=timezone.now() + timedelta(minutes=1))
        delivered = {json.loads(item.body)["data"]["score"] for item in receiver.received}
    assert delivered == {2, 4, 7, 10}
