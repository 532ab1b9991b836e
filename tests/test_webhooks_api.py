"""`/api/v1/webhooks`: subscriptions, their delivery log and test events, for
the key's organization only."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from integrations import services
from integrations.models import Delivery, Webhook
from surveys.models import Survey
from tenants.context import tenant_context
from tenants.models import Organization

from .webhook_receiver import Receiver, running_receiver

URL = "/api/v1/webhooks"
PUBLIC = "https://93.184.215.14/hook"


def api(key: str | None = None) -> Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return Client(headers=headers)


def send(key: str | None, method: str, url: str, body: Any = None) -> Any:
    call = getattr(api(key), method)
    if body is None:
        return call(url)
    return call(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = True
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture
def webhook(org: Organization) -> Webhook:
    with tenant_context(org):
        return services.webhook_create(
            organization=org, url=PUBLIC, events=["response.created"], description="CRM"
        )


def count(org: Organization) -> int:
    with tenant_context(org):
        return Webhook.objects.count()


def test_it_creates_a_webhook_and_shows_its_secret_once(
    api_key: str, org: Organization, survey: Survey
) -> None:
    response = send(
        api_key,
        "post",
        URL,
        {
            "url": PUBLIC,
            "events": ["response.created", "unsubscribe.created"],
            "survey": survey.public_key,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_")
    assert (body["url"], body["events"], body["survey"], body["is_active"]) == (
        PUBLIC,
        ["response.created", "unsubscribe.created"],
        survey.public_key,
        True,
    )
    with tenant_context(org):
        assert Webhook.objects.get().signing_secret == body["secret"]
    read = send(api_key, "get", f"{URL}/{body['id']}").json()
    assert "secret" not in read
    listed = send(api_key, "get", URL).json()
    assert [item["id"] for item in listed["results"]] == [body["id"]]
    assert "secret" not in listed["results"][0]


def test_a_private_url_is_refused_with_a_clear_422(api_key: str, org: Organization) -> None:
    response = send(
        api_key, "post", URL, {"url": "http://127.0.0.1:9000/x", "events": ["response.created"]}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "private" in error["details"]["url"][0]
    assert count(org) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"url": PUBLIC, "events": []},
        {"url": PUBLIC, "events": ["response.exploded"]},
        {"url": "not a url", "events": ["response.created"]},
        {"url": PUBLIC, "events": ["response.created"], "survey": "nope"},
        {"events": ["response.created"]},
    ],
)
def test_bad_input_gets_422_and_creates_nothing(
    api_key: str, org: Organization, body: dict[str, Any]
) -> None:
    response = send(api_key, "post", URL, body)
    assert response.status_code == 422, response.content
    assert count(org) == 0


def test_another_organizations_survey_is_not_found(
    api_key: str, org: Organization, other_org: Organization
) -> None:
    from surveys.services import survey_create

    with tenant_context(other_org):
        theirs = survey_create(organization=other_org, kind="customer", name="Theirs")
    body = {"url": PUBLIC, "events": ["response.created"], "survey": theirs.public_key}
    assert send(api_key, "post", URL, body).status_code == 422
    assert count(org) == 0


def test_it_updates_and_switches_a_webhook_off_and_on(api_key: str, webhook: Webhook) -> None:
    response = send(
        api_key,
        "patch",
        f"{URL}/{webhook.pk}",
        {"events": ["response.deleted"], "is_active": False},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["events"], body["is_active"]) == (["response.deleted"], False)
    assert body["disabled_reason"]
    body = send(api_key, "patch", f"{URL}/{webhook.pk}", {"is_active": True}).json()
    assert (body["is_active"], body["disabled_at"], body["disabled_reason"]) == (True, None, "")


def test_a_patch_to_a_private_url_is_refused(api_key: str, webhook: Webhook) -> None:
    response = send(api_key, "patch", f"{URL}/{webhook.pk}", {"url": "http://10.0.0.1/"})
    assert response.status_code == 422
    webhook.refresh_from_db()
    assert webhook.url == PUBLIC


def test_it_deletes_a_webhook(api_key: str, org: Organization, webhook: Webhook) -> None:
    assert send(api_key, "delete", f"{URL}/{webhook.pk}").status_code == 204
    assert count(org) == 0
    assert send(api_key, "get", f"{URL}/{webhook.pk}").status_code == 404


def test_a_test_event_is_delivered_and_logged(
    api_key: str, org: Organization, receiver: Receiver
) -> None:
    created = send(api_key, "post", URL, {"url": receiver.url, "events": ["response.created"]})
    hook = created.json()
    response = send(api_key, "post", f"{URL}/{hook['id']}/test")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["event_type"], body["status"], body["last_status_code"]) == (
        "webhook.test",
        "succeeded",
        200,
    )
    assert receiver.received[0].verify(hook["secret"])["type"] == "webhook.test"
    assert body["message_id"] == receiver.received[0].headers["webhook-id"]

    log = send(api_key, "get", f"{URL}/{hook['id']}/deliveries").json()
    (entry,) = log["results"]
    assert entry["id"] == body["id"]
    (attempt,) = entry["attempt_log"]
    assert (attempt["number"], attempt["status_code"], attempt["succeeded"]) == (1, 200, True)
    assert attempt["duration_ms"] >= 0


def test_a_finished_delivery_can_be_sent_again_with_the_same_id(
    api_key: str, org: Organization, receiver: Receiver
) -> None:
    receiver.answers = [500]
    hook = send(api_key, "post", URL, {"url": receiver.url, "events": ["response.created"]}).json()
    delivery = send(api_key, "post", f"{URL}/{hook['id']}/test").json()
    assert delivery["status"] == "given_up"
    again = send(api_key, "post", f"{URL}/{hook['id']}/deliveries/{delivery['id']}/retry")
    assert again.status_code == 200, again.content
    assert (again.json()["status"], again.json()["attempts"]) == ("succeeded", 2)
    ids = {item.headers["webhook-id"] for item in receiver.received}
    assert ids == {delivery["message_id"]}


def test_a_delivery_still_being_tried_cannot_be_retried(
    api_key: str, org: Organization, webhook: Webhook
) -> None:
    with tenant_context(org):
        (delivery,) = services.deliveries_create(
            hooks=[webhook], event_type="response.created", data={"id": 1}
        )
    response = send(api_key, "post", f"{URL}/{webhook.pk}/deliveries/{delivery.pk}/retry")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_the_log_filters_by_status_and_refuses_unknown_ones(
    api_key: str, org: Organization, webhook: Webhook
) -> None:
    with tenant_context(org):
        services.deliveries_create(hooks=[webhook], event_type="response.created", data={"id": 1})
    pending = send(api_key, "get", f"{URL}/{webhook.pk}/deliveries?status=pending").json()
    assert pending["count"] == 1
    done = send(api_key, "get", f"{URL}/{webhook.pk}/deliveries?status=succeeded").json()
    assert done["count"] == 0
    assert send(api_key, "get", f"{URL}/{webhook.pk}/deliveries?status=bogus").status_code == 422


# --- Who may do what --------------------------------------------------------------


def test_a_read_only_key_reads_but_cannot_write(
    read_only_key: str, org: Organization, webhook: Webhook
) -> None:
    assert send(read_only_key, "get", URL).status_code == 200
    assert send(read_only_key, "get", f"{URL}/{webhook.pk}").status_code == 200
    assert send(read_only_key, "get", f"{URL}/{webhook.pk}/deliveries").status_code == 200
    writes = [
        ("post", URL, {"url": PUBLIC, "events": ["response.created"]}),
        ("patch", f"{URL}/{webhook.pk}", {"is_active": False}),
        ("delete", f"{URL}/{webhook.pk}", None),
        ("post", f"{URL}/{webhook.pk}/test", None),
        ("post", f"{URL}/{webhook.pk}/deliveries/1/retry", None),
    ]
    for method, url, body in writes:
        assert send(read_only_key, method, url, body).status_code == 403, (method, url)
    webhook.refresh_from_db()
    assert webhook.is_active and count(org) == 1
    with tenant_context(org):
        assert not Delivery.objects.exists()


def test_another_organizations_key_gets_404_and_sees_nothing(
    other_api_key: str, org: Organization, webhook: Webhook
) -> None:
    assert send(other_api_key, "get", URL).json()["results"] == []
    for method, url, body in [
        ("get", f"{URL}/{webhook.pk}", None),
        ("get", f"{URL}/{webhook.pk}/deliveries", None),
        ("patch", f"{URL}/{webhook.pk}", {"is_active": False}),
        ("delete", f"{URL}/{webhook.pk}", None),
        ("post", f"{URL}/{webhook.pk}/test", None),
        ("post", f"{URL}/{webhook.pk}/deliveries/1/retry", None),
    ]:
        response = send(other_api_key, method, url, body)
        assert response.status_code == 404, (method, url)
        assert response.json()["error"]["code"] == "not_found"
    webhook.refresh_from_db()
    assert webhook.is_active and count(org) == 1


def test_no_key_gets_401(webhook: Webhook) -> None:
    for method, url in [
        ("get", URL),
        ("post", URL),
        ("get", f"{URL}/{webhook.pk}"),
        ("delete", f"{URL}/{webhook.pk}"),
        ("get", f"{URL}/{webhook.pk}/deliveries"),
        ("post", f"{URL}/{webhook.pk}/test"),
    ]:
        assert send(None, method, url).status_code == 401, (method, url)


def test_the_schema_documents_the_webhook_endpoints(api_key: str) -> None:
    schema = api().get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for path in [
        "/api/v1/webhooks",
        "/api/v1/webhooks/{id}",
        "/api/v1/webhooks/{id}/deliveries",
        "/api/v1/webhooks/{id}/test",
        "/api/v1/webhooks/{id}/deliveries/{delivery_id}/retry",
    ]:
        assert path in paths, path
    assert "422" in paths["/api/v1/webhooks"]["post"]["responses"]
