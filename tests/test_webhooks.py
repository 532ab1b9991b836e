"""Webhooks: events become signed deliveries to a real endpoint on loopback,
retried with back-off under one webhook-id, and a failing endpoint is switched
off with an email to the owners."""

import threading
from collections.abc import Iterator
from datetime import timedelta
from itertools import pairwise
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from standardwebhooks.webhooks import WebhookVerificationError

from followups.services import follow_up_mark_contacted
from integrations import services
from integrations.models import Delivery, DeliveryAttempt, Webhook
from outreach.models import Suppression
from outreach.services import suppression_add
from responses.models import Channel, Respondent, Response
from responses.services import Identity, answer_record, comment_record, respondent_identify
from surveys.models import Survey
from surveys.services import survey_create, variant_create
from tenants.context import tenant_context
from tenants.models import Organization

from .webhook_receiver import Receiver, running_receiver

ALL_EVENTS = ["response.created", "response.updated", "response.deleted", "unsubscribe.created"]


@pytest.fixture(autouse=True)
def loopback_allowed(settings: Any) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = True


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as receiver:
        yield receiver


def subscribe(org: Organization, url: str, events: list[str] | None = None, **kw: Any) -> Webhook:
    with tenant_context(org):
        return services.webhook_create(organization=org, url=url, events=events or ALL_EVENTS, **kw)


def answer(
    survey: Survey, capture: Any, score: int = 3, client_id: str = "c1", **kw: Any
) -> Response:
    with tenant_context(survey.organization), capture(execute=True):
        person = respondent_identify(
            organization=survey.organization,
            identity=Identity(user_id="u-42", email="ann@example.com", name="Ann"),
        )
        response, _ = answer_record(
            survey=survey, respondent=person, client_id=client_id, score=score, **kw
        )
    return response


def deliveries(org: Organization) -> list[Delivery]:
    with tenant_context(org):
        return list(Delivery.objects.order_by("pk"))


def send_due_at(later: timedelta) -> int:
    return services.deliveries_send_due(now=timezone.now() + later)


def test_a_new_answer_reaches_the_endpoint_signed_and_verifiable(
    org: Organization, survey: Survey, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    webhook = subscribe(org, receiver.url)
    response = answer(survey, django_capture_on_commit_callbacks, score=2, comment="Too slow")

    (received,) = receiver.received
    payload = received.verify(webhook.signing_secret)
    assert payload["type"] == "response.created"
    data = payload["data"]
    assert (data["id"], data["score"], data["category"], data["comment"]) == (
        response.pk,
        2,
        "detractor",
        "Too slow",
    )
    assert data["survey"] == {"id": survey.pk, "public_key": survey.public_key, "name": survey.name}
    assert data["respondent"]["external_id"] == "u-42"
    assert data["respondent"]["email"] == "ann@example.com"
    assert data["channel"] == Channel.WIDGET
    assert data["variant"] is None  # the survey runs no A/B test
    assert received.path == "/hooks/nps"
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["webhook-signature"].startswith("v1,")
    (delivery,) = deliveries(org)
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert delivery.message_id == received.headers["webhook-id"]
    assert (delivery.attempts, delivery.last_status_code) == (1, 200)


def test_a_signature_made_with_another_secret_does_not_verify(
    org: Organization, survey: Survey, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    subscribe(org, receiver.url)
    other = subscribe(org, "https://93.184.215.14/hook")
    answer(survey, django_capture_on_commit_callbacks)
    with pytest.raises(WebhookVerificationError):
        receiver.received[0].verify(other.signing_secret)


def test_the_secret_looks_like_a_standard_webhooks_secret(org: Organization) -> None:
    webhook = subscribe(org, "https://93.184.215.14/hook")
    assert webhook.signing_secret.startswith("whsec_")
    assert subscribe(org, "https://93.184.215.14/hook").secret != webhook.secret


def comment_then_delete(
    org: Organization, survey: Survey, response: Response, capture: Any
) -> None:
    """The answer's comment arrives, then the answer is deleted: two more events."""
    with tenant_context(org), capture(execute=True):
        comment_record(
            survey=survey, respondent=response.respondent, client_id="c1", comment="Great"
        )
    with tenant_context(org), capture(execute=True):
        Response.objects.get(pk=response.pk).delete()


def test_changes_and_deletes_are_events_too(
    org: Organization, survey: Survey, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    webhook = subscribe(org, receiver.url)
    response = answer(survey, django_capture_on_commit_callbacks, score=9)
    comment_then_delete(org, survey, response, django_capture_on_commit_callbacks)

    payloads = [item.verify(webhook.signing_secret) for item in receiver.received]
    assert [p["type"] for p in payloads] == [
        "response.created",
        "response.updated",
        "response.deleted",
    ]
    assert payloads[1]["data"]["comment"] == "Great"
    assert payloads[2]["data"]["id"] == response.pk
    assert len({item.headers["webhook-id"] for item in receiver.received}) == 3


def test_every_event_of_an_answer_names_the_variant_it_saw(
    org: Organization, survey: Survey, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    webhook = subscribe(org, receiver.url)
    with tenant_context(org):
        variant_create(survey=survey, name="Original")
        short = variant_create(survey=survey, name="Short, friendly")
    response = answer(survey, django_capture_on_commit_callbacks, score=9, variant=short)
    comment_then_delete(org, survey, response, django_capture_on_commit_callbacks)

    payloads = [item.verify(webhook.signing_secret) for item in receiver.received]
    assert [(p["type"], p["data"]["variant"]) for p in payloads] == [
        ("response.created", "Short, friendly"),
        ("response.updated", "Short, friendly"),
        ("response.deleted", "Short, friendly"),
    ]


def test_a_rolled_back_answer_sends_nothing(
    org: Organization, survey: Survey, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    from django.db import transaction

    subscribe(org, receiver.url)
    with tenant_context(org), django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                answer_record(survey=survey, respondent=None, client_id="x", score=5)
                raise RuntimeError("the request failed after the answer")
        except RuntimeError:
            pass
    assert receiver.received == []
    assert deliveries(org) == []


def test_it_sends_only_the_events_and_the_survey_subscribed_to(
    org: Organization, survey: Survey, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    with tenant_context(org):
        other_survey = survey_create(organization=org, kind="employee", name="eNPS")
    subscribe(org, receiver.url, events=["response.created"], survey=other_survey)
    answer(survey, django_capture_on_commit_callbacks, client_id="a")
    answer(survey, django_capture_on_commit_callbacks, client_id="a", comment="an update")
    assert receiver.received == []
    answer(other_survey, django_capture_on_commit_callbacks, client_id="b")
    assert len(receiver.received) == 1


def test_another_organizations_answers_never_reach_this_webhook(
    org: Organization,
    other_org: Organization,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    subscribe(org, receiver.url)
    with tenant_context(other_org):
        theirs = survey_create(organization=other_org, kind="customer", name="Theirs")
    answer(theirs, django_capture_on_commit_callbacks)
    assert receiver.received == []


def test_an_unsubscribe_is_an_event_and_a_bounce_is_not(
    org: Organization, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    webhook = subscribe(org, receiver.url)
    with tenant_context(org), django_capture_on_commit_callbacks(execute=True):
        suppression_add(organization=org, email="Bob@Example.com", reason="unsubscribed")
        suppression_add(organization=org, email="gone@example.com", reason="bounced")
    (received,) = receiver.received
    payload = received.verify(webhook.signing_secret)
    assert payload["type"] == "unsubscribe.created"
    assert payload["data"]["email"] == "bob@example.com"
    assert payload["data"]["reason"] == Suppression.Reason.UNSUBSCRIBED


def test_bulk_imports_send_no_events(
    org: Organization, survey: Survey, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    subscribe(org, receiver.url)
    with tenant_context(org), django_capture_on_commit_callbacks(execute=True):
        Response.objects.bulk_create(
            [
                Response(organization=org, survey=survey, score=s, channel=Channel.IMPORT)
                for s in range(5)
            ]
        )
    assert receiver.received == []


def test_an_endpoint_failing_three_times_gets_one_success_under_one_webhook_id(
    org: Organization, survey: Survey, django_capture_on_commit_callbacks: Any
) -> None:
    with running_receiver(answers=[500, 503, 502]) as receiver:
        webhook = subscribe(org, receiver.url)
        answer(survey, django_capture_on_commit_callbacks)
        (delivery,) = deliveries(org)
        assert (delivery.status, delivery.attempts) == (Delivery.Status.RETRYING, 1)

        assert send_due_at(timedelta(seconds=1)) == 0  # the first retry waits 5 s
        assert send_due_at(timedelta(seconds=6)) == 1
        assert send_due_at(timedelta(seconds=6 + 299)) == 0  # then 5 minutes
        assert send_due_at(timedelta(seconds=6 + 301)) == 1
        assert send_due_at(timedelta(minutes=40)) == 1  # then 30 minutes
        assert send_due_at(timedelta(hours=30)) == 0  # nothing left to send

    assert [item.answered for item in receiver.received] == [500, 503, 502, 200]
    assert {item.headers["webhook-id"] for item in receiver.received} == {delivery.message_id}
    bodies = {item.body for item in receiver.received}
    assert len(bodies) == 1
    for item in receiver.received:
        assert item.verify(webhook.signing_secret)["type"] == "response.created"
    (delivery,) = deliveries(org)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        Delivery.Status.SUCCEEDED,
        4,
        200,
    )
    with tenant_context(org):
        log = list(DeliveryAttempt.objects.filter(delivery=delivery).order_by("number"))
        webhook.refresh_from_db()
    assert [(a.number, a.status_code, a.succeeded) for a in log] == [
        (1, 500, False),
        (2, 503, False),
        (3, 502, False),
        (4, 200, True),
    ]
    assert all(a.duration_ms >= 0 for a in log)
    assert (webhook.consecutive_failures, webhook.failing_since) == (0, None)


def test_a_delivery_is_given_up_after_the_last_retry(
    org: Organization, survey: Survey, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.WEBHOOK_RETRY_SCHEDULE = [60, 600]
    with running_receiver(answers=[500] * 10) as receiver:
        subscribe(org, receiver.url)
        answer(survey, django_capture_on_commit_callbacks)
        send_due_at(timedelta(seconds=61))
        send_due_at(timedelta(seconds=61 + 601))
        send_due_at(timedelta(days=3))
    assert len(receiver.received) == 3
    (delivery,) = deliveries(org)
    assert (delivery.status, delivery.next_attempt_at) == (Delivery.Status.GIVEN_UP, None)


def test_two_workers_never_both_send_one_attempt(
    org: Organization, survey: Survey, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with running_receiver(answers=[500]) as receiver:
        subscribe(org, receiver.url)
        answer(survey, django_capture_on_commit_callbacks)
        (delivery,) = deliveries(org)
        later = timezone.now() + timedelta(minutes=1)
        with tenant_context(org):
            first = services.delivery_attempt(delivery_id=delivery.pk, now=later)
            second = services.delivery_attempt(delivery_id=delivery.pk, now=later)
    assert (first, second) == (Delivery.Status.SUCCEEDED, "")
    assert len(receiver.received) == 2


def test_an_attempt_left_by_a_stopped_worker_is_tried_again(
    org: Organization, survey: Survey, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    subscribe(org, receiver.url)
    answer(survey, django_capture_on_commit_callbacks)
    (delivery,) = deliveries(org)
    Delivery.objects.unscoped().filter(pk=delivery.pk).update(
        status=Delivery.Status.SENDING,
        sending_started_at=timezone.now() - timedelta(hours=1),
    )
    assert services.deliveries_send_due() == 1
    assert deliveries(org)[0].status == Delivery.Status.SUCCEEDED
    assert len({item.headers["webhook-id"] for item in receiver.received}) == 1


def endpoint_gone() -> tuple[str, int]:
    """The URL of an endpoint that is down (its port refuses connections), and that port."""
    with running_receiver() as gone:
        url = gone.url
    return url, int(urlsplit(url).port or 0)


def retry_while_down(org: Organization, until_attempts: int) -> list[Any]:
    """Makes every retry when it falls due; the times they were due."""
    due = []
    delivery = deliveries(org)[0]
    while delivery.attempts < until_attempts and delivery.next_attempt_at is not None:
        due.append(delivery.next_attempt_at)
        assert services.deliveries_send_due(now=delivery.next_attempt_at) == 1
        delivery = deliveries(org)[0]
    return due


def test_it_retries_an_endpoint_down_for_hours_and_delivers_once_when_it_is_back(
    org: Organization, survey: Survey, django_capture_on_commit_callbacks: Any
) -> None:
    url, port = endpoint_gone()
    webhook = subscribe(org, url)
    answer(survey, django_capture_on_commit_callbacks)
    first = timezone.now()
    due = retry_while_down(org, until_attempts=6)
    (delivery,) = deliveries(org)
    assert (delivery.status, delivery.attempts) == (Delivery.Status.RETRYING, 6)
    # The default schedule: 5 s, 5 min, 30 min, 2 h, 5 h, then the last try 10 h later.
    last = delivery.next_attempt_at
    waits = [(b - a).total_seconds() for a, b in pairwise([*due, last])]
    assert waits == [300, 1800, 7200, 18000, 36000]
    assert timedelta(hours=17) < last - first < timedelta(hours=18)

    with running_receiver(port=port) as back:
        assert services.deliveries_send_due(now=last) == 1
        assert services.deliveries_send_due(now=last + timedelta(days=2)) == 0
    (received,) = back.received
    assert received.headers["webhook-id"] == delivery.message_id
    assert received.verify(webhook.signing_secret)["type"] == "response.created"
    (delivery,) = deliveries(org)
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SUCCEEDED, 7)
    with tenant_context(org):
        codes = list(DeliveryAttempt.objects.order_by("number").values_list("status_code"))
    assert codes == [(None,)] * 6 + [(200,)]
    webhook.refresh_from_db()
    assert webhook.is_active and webhook.failing_since is None


def test_it_gives_up_on_an_endpoint_down_for_the_whole_schedule_but_keeps_the_webhook_on(
    org: Organization, survey: Survey, django_capture_on_commit_callbacks: Any
) -> None:
    url, _ = endpoint_gone()
    webhook = subscribe(org, url)
    answer(survey, django_capture_on_commit_callbacks)
    retry_while_down(org, until_attempts=100)
    (delivery,) = deliveries(org)
    assert (delivery.status, delivery.attempts) == (Delivery.Status.GIVEN_UP, 7)
    assert services.deliveries_send_due(now=timezone.now() + timedelta(days=3)) == 0
    webhook.refresh_from_db()
    # One delivery given up is not 20 in a row, and 17.6 hours is less than a day.
    assert webhook.is_active and webhook.consecutive_failures == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_lets_one_of_four_concurrent_workers_make_a_due_attempt(
    org: Organization, survey: Survey, django_capture_on_commit_callbacks: Any
) -> None:
    with running_receiver(answers=[500]) as receiver:
        subscribe(org, receiver.url)
        answer(survey, django_capture_on_commit_callbacks)
        later = timezone.now() + timedelta(minutes=1)
        barrier = threading.Barrier(4)
        made: list[int] = []

        def worker() -> None:
            barrier.wait()
            try:
                made.append(services.deliveries_send_due(now=later))
            finally:
                connection.close()

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(made) == [0, 0, 0, 1]
    assert [item.answered for item in receiver.received] == [500, 200]
    assert deliveries(org)[0].attempts == 2


def test_an_unreachable_endpoint_never_fails_the_answer(
    org: Organization, survey: Survey, django_capture_on_commit_callbacks: Any
) -> None:
    with running_receiver() as gone:
        url = gone.url  # the port is closed once the receiver stops
    subscribe(org, url)
    response = answer(survey, django_capture_on_commit_callbacks, score=10)
    with tenant_context(org):
        assert Response.objects.filter(pk=response.pk).exists()
    (delivery,) = deliveries(org)
    assert delivery.status == Delivery.Status.RETRYING
    assert delivery.last_status_code is None
    assert "Error" in delivery.last_response


def test_a_failing_endpoint_is_switched_off_and_owners_are_emailed(
    org: Organization,
    owner: Any,
    member: Any,
    survey: Survey,
    settings: Any,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.WEBHOOK_RETRY_SCHEDULE = [60]
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 2
    with running_receiver(answers=[500] * 10) as receiver:
        webhook = subscribe(org, receiver.url)
        answer(survey, django_capture_on_commit_callbacks, client_id="a")
        answer(survey, django_capture_on_commit_callbacks, client_id="b")
        send_due_at(timedelta(seconds=30))
        assert len(receiver.received) == 2 and mailoutbox == []
        send_due_at(timedelta(seconds=61))
        assert len(receiver.received) == 4
        answer(survey, django_capture_on_commit_callbacks, client_id="c")
        assert len(receiver.received) == 4  # switched off: nothing more is sent

    webhook.refresh_from_db()
    assert not webhook.is_active and webhook.disabled_at is not None
    assert "2 deliveries in a row" in webhook.disabled_reason
    (mail,) = mailoutbox
    assert mail.to == [owner.email]
    assert receiver.url in mail.subject
    assert f"/o/{org.slug}/webhooks/{webhook.pk}/" in mail.body


def test_an_endpoint_failing_for_a_day_is_switched_off(
    org: Organization,
    survey: Survey,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with running_receiver(answers=[500] * 10) as receiver:
        webhook = subscribe(org, receiver.url)
        answer(survey, django_capture_on_commit_callbacks)
        send_due_at(timedelta(hours=1))
        webhook.refresh_from_db()
        assert webhook.is_active and webhook.failing_since is not None
        answer(survey, django_capture_on_commit_callbacks, client_id="later")
        send_due_at(timedelta(hours=25))
    webhook.refresh_from_db()
    assert not webhook.is_active
    assert "24 hours" in webhook.disabled_reason
    assert len(mailoutbox) == 1
    # What was still waiting is given up, not sent to a switched-off endpoint.
    assert {d.status for d in deliveries(org)} == {Delivery.Status.GIVEN_UP}


def test_switching_a_webhook_on_again_forgets_its_failures(org: Organization) -> None:
    webhook = subscribe(org, "https://93.184.215.14/hook")
    with tenant_context(org):
        services.webhook_disable(webhook=webhook, reason="test")
        Webhook.objects.filter(pk=webhook.pk).update(consecutive_failures=7)
        webhook.refresh_from_db()
        webhook = services.webhook_update(webhook=webhook, is_active=True)
    assert webhook.is_active
    assert (webhook.consecutive_failures, webhook.disabled_at, webhook.disabled_reason) == (
        0,
        None,
        "",
    )


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/hook", "http://10.0.0.5/hook", "http://169.254.169.254/", "ftp://x.io"],
)
def test_private_urls_are_refused_without_the_setting(
    org: Organization, settings: Any, url: str
) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = False
    with pytest.raises(ValidationError) as refused:
        subscribe(org, url)
    assert "url" in refused.value.message_dict
    with tenant_context(org):
        assert not Webhook.objects.exists()


def test_a_url_turned_private_is_refused_at_delivery(
    org: Organization,
    survey: Survey,
    receiver: Receiver,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    subscribe(org, receiver.url)
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = False
    answer(survey, django_capture_on_commit_callbacks)
    assert receiver.received == []
    (delivery,) = deliveries(org)
    assert delivery.status == Delivery.Status.RETRYING
    assert "private" in delivery.last_response


def test_unknown_events_are_refused(org: Organization) -> None:
    with pytest.raises(ValidationError):
        subscribe(org, "https://93.184.215.14/hook", events=["response.exploded"])


def test_a_test_event_is_sent_once_and_counts_no_failure(
    org: Organization, receiver: Receiver
) -> None:
    receiver.answers = [500]
    webhook = subscribe(org, receiver.url)
    with tenant_context(org):
        delivery = services.webhook_send_test(webhook=webhook)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        Delivery.Status.GIVEN_UP,
        1,
        500,
    )
    assert receiver.received[0].verify(webhook.signing_secret)["type"] == "webhook.test"
    webhook.refresh_from_db()
    assert (webhook.consecutive_failures, webhook.failing_since) == (0, None)
    with tenant_context(org):
        delivery = services.delivery_redeliver(delivery=delivery)
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SUCCEEDED, 2)
    assert receiver.received[0].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]


def test_a_respondent_erasure_sends_one_delete_per_answer(
    org: Organization, survey: Survey, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    answer(survey, django_capture_on_commit_callbacks, client_id="a")
    answer(survey, django_capture_on_commit_callbacks, client_id="b")
    webhook = subscribe(org, receiver.url, events=["response.deleted"])
    with tenant_context(org), django_capture_on_commit_callbacks(execute=True):
        Respondent.objects.get(external_id="u-42").delete()
    payloads = [item.verify(webhook.signing_secret) for item in receiver.received]
    assert sorted(p["type"] for p in payloads) == ["response.deleted"] * 2


def test_a_plain_hmac_check_as_in_the_docs_accepts_our_signature(
    org: Organization, survey: Survey, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    import base64
    import hashlib
    import hmac
    import time

    def verify(secret: str, raw_body: bytes, headers: dict[str, str]) -> bool:
        key = base64.b64decode(secret.removeprefix("whsec_"))
        msg_id, ts = headers["webhook-id"], headers["webhook-timestamp"]
        if abs(time.time() - int(ts)) > 300:
            return False
        signed = f"{msg_id}.{ts}.".encode() + raw_body
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        return any(
            hmac.compare_digest(expected, sig.split(",", 1)[1])
            for sig in headers["webhook-signature"].split()
            if sig.startswith("v1,")
        )

    webhook = subscribe(org, receiver.url)
    answer(survey, django_capture_on_commit_callbacks)
    (received,) = receiver.received
    assert verify(webhook.signing_secret, received.body, received.headers)
    assert not verify(webhook.signing_secret, received.body + b" ", received.headers)


def test_marking_a_detractor_contacted_in_one_click_is_an_update_event(
    org: Organization, survey: Survey, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    webhook = subscribe(org, receiver.url, events=["response.updated"])
    response = answer(survey, django_capture_on_commit_callbacks, score=2)
    with tenant_context(org), django_capture_on_commit_callbacks(execute=True):
        assert follow_up_mark_contacted(response=response)
    with tenant_context(org), django_capture_on_commit_callbacks(execute=True):
        assert not follow_up_mark_contacted(response=response)  # already contacted

    [payload] = [item.verify(webhook.signing_secret) for item in receiver.received]
    assert payload["type"] == "response.updated"
    assert payload["data"]["follow_up_status"] == "contacted"
