"""The webhooks pages: owners and admins change them, viewers read, outsiders get 404."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from integrations import services
from integrations.models import Delivery, Webhook
from tenants.context import tenant_context
from tenants.models import Organization

from .webhook_receiver import Receiver, running_receiver

PUBLIC = "https://93.184.215.14/hook"
EVENTS = ["response.created", "unsubscribe.created"]


def page(org: Organization, rest: str = "") -> str:
    return f"/o/{org.slug}/webhooks/{rest}"


@pytest.fixture
def webhook(org: Organization) -> Webhook:
    with tenant_context(org):
        return services.webhook_create(organization=org, url=PUBLIC, events=EVENTS)


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = True
    with running_receiver() as receiver:
        yield receiver


def hooks(org: Organization) -> list[Webhook]:
    with tenant_context(org):
        return list(Webhook.objects.all())


def test_the_owner_creates_a_webhook_and_sees_its_secret_once(
    owner_client: Client, org: Organization
) -> None:
    response = owner_client.post(page(org), {"url": PUBLIC, "events": EVENTS, "description": "CRM"})
    assert response.status_code == 200
    (webhook,) = hooks(org)
    assert webhook.events == EVENTS
    assert webhook.signing_secret in response.content.decode()
    again = owner_client.get(page(org)).content.decode()
    assert PUBLIC in again
    assert webhook.signing_secret not in again


def test_a_private_url_is_refused_with_a_message(owner_client: Client, org: Organization) -> None:
    response = owner_client.post(page(org), {"url": "http://192.168.1.10/hook", "events": EVENTS})
    assert response.status_code == 400
    assert "private" in response.content.decode()
    assert hooks(org) == []


def test_the_nav_links_to_webhooks(member_client: Client, org: Organization) -> None:
    response = member_client.get(f"/o/{org.slug}/")
    assert f'href="{page(org)}"' in response.content.decode()


def test_the_test_button_sends_and_the_log_shows_code_and_timing(
    owner_client: Client, org: Organization, receiver: Receiver
) -> None:
    with tenant_context(org):
        webhook = services.webhook_create(organization=org, url=receiver.url, events=EVENTS)
    response = owner_client.post(page(org, f"{webhook.pk}/test/"), follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Test event delivered: HTTP 200" in html
    assert "webhook.test" in html
    (received,) = receiver.received
    assert received.verify(webhook.signing_secret)["type"] == "webhook.test"
    assert received.headers["webhook-id"] in html
    assert " ms" in html


def test_a_failed_delivery_can_be_sent_again(
    owner_client: Client, org: Organization, receiver: Receiver
) -> None:
    receiver.answers = [503]
    with tenant_context(org):
        webhook = services.webhook_create(organization=org, url=receiver.url, events=EVENTS)
        delivery = services.webhook_send_test(webhook=webhook)
    assert delivery.status == Delivery.Status.GIVEN_UP
    html = owner_client.get(page(org, f"{webhook.pk}/")).content.decode()
    assert "503" in html and "Send again" in html
    owner_client.post(page(org, f"{webhook.pk}/deliveries/{delivery.pk}/retry/"))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SUCCEEDED, 2)


def test_the_owner_edits_switches_off_and_deletes(
    owner_client: Client, org: Organization, webhook: Webhook
) -> None:
    response = owner_client.post(
        page(org, f"{webhook.pk}/"), {"url": PUBLIC + "/v2", "events": ["response.deleted"]}
    )
    assert response.status_code == 302
    webhook.refresh_from_db()
    assert (webhook.url, webhook.events) == (PUBLIC + "/v2", ["response.deleted"])

    owner_client.post(page(org, f"{webhook.pk}/active/"), {"active": "0"})
    webhook.refresh_from_db()
    assert not webhook.is_active
    assert "Switch on" in owner_client.get(page(org, f"{webhook.pk}/")).content.decode()
    owner_client.post(page(org, f"{webhook.pk}/active/"), {"active": "1"})
    webhook.refresh_from_db()
    assert webhook.is_active

    assert owner_client.post(page(org, f"{webhook.pk}/delete/")).status_code == 302
    assert hooks(org) == []


def test_an_edit_to_a_private_url_is_refused(
    owner_client: Client, org: Organization, webhook: Webhook
) -> None:
    response = owner_client.post(
        page(org, f"{webhook.pk}/"), {"url": "http://127.0.0.1/x", "events": EVENTS}
    )
    assert response.status_code == 400
    webhook.refresh_from_db()
    assert webhook.url == PUBLIC


def test_the_log_filter_answers_htmx_with_the_table_only(
    owner_client: Client, org: Organization, webhook: Webhook
) -> None:
    with tenant_context(org):
        services.deliveries_create(hooks=[webhook], event_type="response.created", data={"id": 9})
    response = owner_client.get(page(org, f"{webhook.pk}/?status=pending"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith("<table>")
    assert "response.created" in html
    empty = owner_client.get(page(org, f"{webhook.pk}/?status=succeeded"), HTTP_HX_REQUEST="true")
    assert "response.created" not in empty.content.decode()


def test_a_viewer_reads_but_cannot_change_anything(
    member_client: Client, org: Organization, webhook: Webhook
) -> None:
    listing = member_client.get(page(org))
    assert listing.status_code == 200
    assert PUBLIC in listing.content.decode()
    assert "Create webhook" not in listing.content.decode()
    detail = member_client.get(page(org, f"{webhook.pk}/"))
    assert detail.status_code == 200
    assert "Send test event" not in detail.content.decode()
    assert webhook.secret not in detail.content.decode()

    assert member_client.post(page(org), {"url": PUBLIC, "events": EVENTS}).status_code == 403
    for action in ["", "test/", "active/", "delete/"]:
        response = member_client.post(page(org, f"{webhook.pk}/{action}"), {"url": PUBLIC})
        assert response.status_code == 403, action
    assert [(h.pk, h.is_active, h.url) for h in hooks(org)] == [(webhook.pk, True, PUBLIC)]
    with tenant_context(org):
        assert not Delivery.objects.exists()


def test_an_outsider_gets_404_everywhere(
    outsider_client: Client, org: Organization, webhook: Webhook
) -> None:
    for rest in ["", f"{webhook.pk}/"]:
        assert outsider_client.get(page(org, rest)).status_code == 404
    for rest in ["", f"{webhook.pk}/", f"{webhook.pk}/test/", f"{webhook.pk}/delete/"]:
        assert outsider_client.post(page(org, rest), {"url": PUBLIC}).status_code == 404
    assert len(hooks(org)) == 1


def test_another_organizations_webhook_is_404_from_ones_own_org(
    outsider_client: Client, other_org: Organization, webhook: Webhook
) -> None:
    # The outsider's own org in the URL, the owner's webhook id: still not found.
    assert outsider_client.get(page(other_org, f"{webhook.pk}/")).status_code == 404
    assert outsider_client.post(page(other_org, f"{webhook.pk}/delete/")).status_code == 404
    webhook.refresh_from_db()
