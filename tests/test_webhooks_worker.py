"""A real Celery worker on the Redis broker delivers webhooks to a real endpoint,
retries under one webhook-id, and the beat task sends what the broker missed."""

from collections.abc import Iterator
from typing import Any

import pytest

from integrations import services
from integrations.models import Delivery, Webhook
from integrations.tasks import deliver_due
from responses.services import answer_record
from surveys.models import Survey
from tenants.context import tenant_context
from tenants.models import Organization

from .conftest import wait_until
from .webhook_receiver import Receiver, running_receiver

pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def loopback_allowed(settings: Any) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = True


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver(answers=[500, 500, 500]) as receiver:
        yield receiver


def subscribe(org: Organization, url: str) -> Webhook:
    with tenant_context(org):
        return services.webhook_create(organization=org, url=url, events=["response.created"])


def the_delivery() -> Delivery:
    return Delivery.objects.unscoped().get()


def test_the_worker_retries_until_the_endpoint_accepts_under_one_webhook_id(
    worker: Any, org: Organization, survey: Survey, receiver: Receiver, settings: Any
) -> None:
    # Short waits, so the worker's own countdowns drive every retry.
    settings.WEBHOOK_RETRY_SCHEDULE = [1, 1, 1]
    webhook = subscribe(org, receiver.url)
    with tenant_context(org):
        answer_record(survey=survey, respondent=None, client_id="w1", score=10)
    wait_until(lambda: the_delivery().status == Delivery.Status.SUCCEEDED, timeout=30)

    assert [item.answered for item in receiver.received] == [500, 500, 500, 200]
    assert {item.headers["webhook-id"] for item in receiver.received} == {the_delivery().message_id}
    for item in receiver.received:
        assert item.verify(webhook.signing_secret)["data"]["score"] == 10
    assert the_delivery().attempts == 4


def test_the_beat_task_sends_what_the_broker_never_got(
    worker: Any, org: Organization, survey: Survey, receiver: Receiver
) -> None:
    receiver.answers = []
    webhook = subscribe(org, receiver.url)
    # Rows written without a task, as when Redis was down at commit time.
    with tenant_context(org):
        services.deliveries_create(hooks=[webhook], event_type="response.created", data={"id": 1})
        services.deliveries_create(hooks=[webhook], event_type="response.created", data={"id": 2})
    deliver_due.delay()
    deliver_due.delay()
    wait_until(lambda: len(receiver.received) == 2)
    wait_until(
        lambda: (
            set(Delivery.objects.unscoped().values_list("status", flat=True))
            == {Delivery.Status.SUCCEEDED}
        )
    )
    assert len({item.headers["webhook-id"] for item in receiver.received}) == 2
