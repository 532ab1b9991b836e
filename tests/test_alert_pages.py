"""The alerts page: owners and admins manage destinations, viewers read, outsiders 404."""

from typing import Any

import pytest
from django.test import Client

from alerts import services
from alerts.models import Delivery, Destination
from tenants.context import tenant_context
from tenants.models import Organization

from .alert_receiver import Receiver
from .conftest import make_user

LIST = "/o/example/alerts/"


def form(url: str, **overrides: Any) -> dict[str, Any]:
    data = {
        "name": "#cx",
        "kind": "slack",
        "url": url,
        "scope": "detractors",
        "survey": "",
        "active": "on",
        "digest_enabled": "on",
        "digest_weekday": "0",
        "digest_hour": "9",
    }
    return {**data, **overrides}


@pytest.fixture
def existing(org: Organization, chat: Receiver) -> Destination:
    with tenant_context(org):
        return services.destination_create(url=chat.url, name="#feedback")


def destinations(org: Organization) -> list[Destination]:
    with tenant_context(org):
        return list(Destination.objects.all())


def test_the_owner_adds_a_destination(
    owner_client: Client, org: Organization, chat: Receiver, survey: Any
) -> None:
    response = owner_client.post(LIST, form(chat.url, kind="teams", survey=survey.pk))
    assert response.status_code == 302
    [destination] = destinations(org)
    assert (destination.kind, destination.url, destination.survey_id) == (
        "teams",
        chat.url,
        survey.pk,
    )
    assert (destination.digest_weekday, destination.digest_hour) == (0, 9)


def test_an_admin_adds_one_too(org: Organization, admin_user: Any, chat: Receiver) -> None:
    client = Client()
    client.force_login(admin_user)
    assert client.post(LIST, form(chat.url)).status_code == 302
    assert len(destinations(org)) == 1


def test_a_private_url_is_refused_with_a_clear_message(
    owner_client: Client, org: Organization
) -> None:
    response = owner_client.post(LIST, form("http://192.168.1.10/hook"))
    assert response.status_code == 400
    assert "private or reserved" in response.content.decode()
    assert destinations(org) == []


def test_a_url_that_is_not_http_is_refused(owner_client: Client, org: Organization) -> None:
    assert owner_client.post(LIST, form("ftp://hooks.example.com/x")).status_code == 400
    assert destinations(org) == []


def test_the_page_lists_destinations_with_a_masked_url_and_the_log(
    owner_client: Client, member_client: Client, existing: Destination, org: Organization
) -> None:
    with tenant_context(org):
        delivery = services.test_create(destination=existing)
        services.delivery_attempt(delivery_id=delivery.pk)
    for client in (owner_client, member_client):
        page = client.get(LIST).content.decode()
        assert "#feedback" in page
        assert existing.url not in page  # the token stays hidden
        assert existing.masked_url in page
        assert "Test message" in page and "200" in page


def test_the_viewer_reads_but_cannot_change_anything(
    member_client: Client, existing: Destination, org: Organization, chat: Receiver
) -> None:
    page = member_client.get(LIST).content.decode()
    assert "Send test message" not in page and "Add a destination" not in page
    pk = existing.pk
    assert member_client.post(LIST, form(chat.url)).status_code == 403
    assert member_client.get(f"{LIST}{pk}/").status_code == 403
    assert member_client.post(f"{LIST}{pk}/", form(chat.url, name="x")).status_code == 403
    assert member_client.post(f"{LIST}{pk}/delete/").status_code == 403
    assert member_client.post(f"{LIST}{pk}/test/").status_code == 403
    assert [d.name for d in destinations(org)] == ["#feedback"]
    assert chat.received == []


def test_the_owner_edits_a_destination(
    owner_client: Client, existing: Destination, org: Organization, chat: Receiver
) -> None:
    edit = f"{LIST}{existing.pk}/"
    page = owner_client.get(edit).content.decode()
    assert existing.url in page  # editors see the whole URL to change it
    changed = form(chat.url, name="#alerts", scope="all", digest_hour="17")
    changed.pop("digest_enabled")
    assert owner_client.post(edit, changed).status_code == 302
    [destination] = destinations(org)
    assert (destination.name, destination.scope, destination.digest_hour) == ("#alerts", "all", 17)
    assert destination.digest_enabled is False


def test_an_edit_to_a_private_url_is_refused(
    owner_client: Client, existing: Destination, org: Organization, settings: Any
) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = False
    edit = f"{LIST}{existing.pk}/"
    assert owner_client.post(edit, form("http://10.0.0.1/hook")).status_code == 400
    assert destinations(org)[0].url == existing.url


def test_the_owner_deletes_a_destination_and_its_log(
    owner_client: Client, existing: Destination, org: Organization
) -> None:
    with tenant_context(org):
        services.test_create(destination=existing)
    assert owner_client.post(f"{LIST}{existing.pk}/delete/").status_code == 302
    assert destinations(org) == []
    assert Delivery.objects.unscoped().count() == 0


def test_the_test_button_posts_now_and_reports_the_outcome(
    owner_client: Client,
    existing: Destination,
    chat: Receiver,
    org: Organization,
    settings: Any,
) -> None:
    response = owner_client.post(f"{LIST}{existing.pk}/test/", follow=True)
    assert "Test message sent to “#feedback”." in response.content.decode()
    [message] = chat.received
    assert "Example Inc" in message["text"]
    assert message["blocks"][1]["elements"][0]["url"] == settings.SITE_URL + LIST
    chat.answer_with(500)
    response = owner_client.post(f"{LIST}{existing.pk}/test/", follow=True)
    assert "failed: HTTP 500" in response.content.decode()
    assert len(chat.received) == 2  # a test is tried once
    with tenant_context(org):
        assert [d.status for d in Delivery.objects.all()] == ["failed", "sent"]


def test_an_outsider_gets_404_everywhere(
    outsider_client: Client, existing: Destination, org: Organization, chat: Receiver
) -> None:
    pk = existing.pk
    for path in (LIST, f"{LIST}{pk}/", f"{LIST}{pk}/delete/", f"{LIST}{pk}/test/"):
        assert outsider_client.get(path).status_code == 404
        assert outsider_client.post(path, form(chat.url)).status_code == 404
    # Their own slug, our destination's id.
    for path in (f"/o/other/alerts/{pk}/", f"/o/other/alerts/{pk}/delete/"):
        assert outsider_client.post(path, form(chat.url)).status_code == 404
    assert outsider_client.post(f"/o/other/alerts/{pk}/test/").status_code == 404
    assert [d.name for d in destinations(org)] == ["#feedback"]
    assert chat.received == []


def test_the_nav_links_to_the_alerts_page(member_client: Client) -> None:
    page = member_client.get("/o/example/").content.decode()
    assert f'href="{LIST}"' in page


def test_a_user_of_no_organization_is_sent_to_log_in(db: None) -> None:
    make_user("nobody@example.com")
    assert Client().get(LIST).status_code == 302
