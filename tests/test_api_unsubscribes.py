"""`/api/v1/unsubscribes` and `/api/v1/bounces`: the addresses never emailed again."""

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from outreach.models import Suppression
from tenants.models import Organization

URL = "/api/v1/unsubscribes"
BOUNCES = "/api/v1/bounces"
UNSUBSCRIBED = Suppression.Reason.UNSUBSCRIBED
BOUNCED = Suppression.Reason.BOUNCED


def api(key: str | None = None) -> Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return Client(headers=headers)


def post(key: str | None, body: Any) -> Any:
    data = body if isinstance(body, str) else json.dumps(body)
    return api(key).post(URL, data, content_type="application/json")


def suppress(org: Organization, email: str, reason: str, day: int = 1) -> Suppression:
    return Suppression.objects.unscoped().create(
        organization=org, email=email, reason=reason, created_at=datetime(2026, 3, day, tzinfo=UTC)
    )


def emails(org: Organization) -> set[tuple[str, str]]:
    rows = Suppression.objects.unscoped().filter(organization=org)
    return set(rows.values_list("email", "reason"))


# Unsubscribe ---------------------------------------------------------------------


def test_it_unsubscribes_an_address_once(api_key: str, org: Organization) -> None:
    first = post(api_key, {"email": "Ada@Example.com"})
    assert first.status_code == 201, first.content
    assert first.json()["email"] == "ada@example.com"
    assert first.json()["reason"] == "unsubscribed"
    again = post(api_key, {"email": "ada@example.com"})
    assert again.status_code == 200
    assert again.json() == first.json()
    assert emails(org) == {("ada@example.com", "unsubscribed")}


def test_unsubscribing_a_bounced_address_keeps_it_bounced(api_key: str, org: Organization) -> None:
    suppress(org, "gone@example.com", BOUNCED)
    response = post(api_key, {"email": "gone@example.com"})
    assert response.status_code == 200
    assert response.json()["reason"] == "bounced"
    assert emails(org) == {("gone@example.com", "bounced")}


@pytest.mark.parametrize("body", [{}, {"email": "not-an-address"}, {"email": ""}])
def test_it_refuses_a_bad_address_and_stores_nothing(
    api_key: str, org: Organization, body: Any
) -> None:
    response = post(api_key, body)
    assert response.status_code == 422
    assert list(response.json()["error"]["details"]) == ["email"]
    assert not Suppression.objects.unscoped().exists()


def test_a_read_only_key_cannot_unsubscribe_or_resubscribe(
    read_only_key: str, org: Organization
) -> None:
    suppress(org, "ada@example.com", UNSUBSCRIBED)
    assert post(read_only_key, {"email": "bob@example.com"}).status_code == 403
    assert api(read_only_key).delete(f"{URL}/ada@example.com").status_code == 403
    assert emails(org) == {("ada@example.com", "unsubscribed")}


def test_it_needs_a_key(org: Organization) -> None:
    suppress(org, "ada@example.com", UNSUBSCRIBED)
    assert post(None, {"email": "bob@example.com"}).status_code == 401
    assert api().get(URL).status_code == 401
    assert api().get(BOUNCES).status_code == 401
    assert api().delete(f"{URL}/ada@example.com").status_code == 401
    assert api("nps_bad_key").get(URL).status_code == 401
    assert emails(org) == {("ada@example.com", "unsubscribed")}


def test_an_unsubscribe_stays_in_its_organization(
    api_key: str, other_api_key: str, org: Organization, other_org: Organization
) -> None:
    assert post(other_api_key, {"email": "ada@example.com"}).status_code == 201
    # The same address in our organization is new to us.
    assert post(api_key, {"email": "ada@example.com"}).status_code == 201
    assert emails(org) == emails(other_org) == {("ada@example.com", "unsubscribed")}


# Re-subscribe --------------------------------------------------------------------


def test_it_resubscribes_an_address(api_key: str, org: Organization) -> None:
    suppress(org, "ada@example.com", UNSUBSCRIBED)
    assert api(api_key).delete(f"{URL}/ADA@example.com").status_code == 204
    assert emails(org) == set()
    assert api(api_key).delete(f"{URL}/ada@example.com").status_code == 404


def test_resubscribing_leaves_bounces_and_other_organizations_alone(
    api_key: str, other_api_key: str, org: Organization, other_org: Organization
) -> None:
    suppress(org, "gone@example.com", BOUNCED)
    suppress(org, "ada@example.com", UNSUBSCRIBED)
    response = api(api_key).delete(f"{URL}/gone@example.com")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert api(other_api_key).delete(f"{URL}/ada@example.com").status_code == 404
    assert emails(org) == {("gone@example.com", "bounced"), ("ada@example.com", "unsubscribed")}


# Lists ---------------------------------------------------------------------------


def test_it_lists_unsubscribes_newest_first_a_page_at_a_time(
    read_only_key: str, org: Organization
) -> None:
    for day, email in enumerate(("a@example.com", "b@example.com", "c@example.com"), start=1):
        suppress(org, email, UNSUBSCRIBED, day=day)
    suppress(org, "gone@example.com", BOUNCED, day=9)
    page = api(read_only_key).get(URL, {"per_page": "2"}).json()
    assert page["count"] == 3
    assert [row["email"] for row in page["results"]] == ["c@example.com", "b@example.com"]
    assert page["next"]
    last = api(read_only_key).get(page["next"]).json()
    assert [row["email"] for row in last["results"]] == ["a@example.com"]


def test_it_lists_those_since_a_time(read_only_key: str, org: Organization) -> None:
    for day, email in ((1, "a@example.com"), (5, "b@example.com"), (9, "c@example.com")):
        suppress(org, email, UNSUBSCRIBED, day=day)
    page = api(read_only_key).get(URL, {"since": "2026-03-05T00:00:00Z"}).json()
    assert [row["email"] for row in page["results"]] == ["c@example.com", "b@example.com"]


def test_it_refuses_a_bad_since(read_only_key: str, org: Organization) -> None:
    for url in (URL, BOUNCES):
        response = api(read_only_key).get(url, {"since": "last week"})
        assert response.status_code == 422
        assert list(response.json()["error"]["details"]) == ["since"]


def test_it_lists_bounces_only_in_the_bounce_list(read_only_key: str, org: Organization) -> None:
    suppress(org, "gone@example.com", BOUNCED)
    suppress(org, "ada@example.com", UNSUBSCRIBED)
    bounces = api(read_only_key).get(BOUNCES).json()["results"]
    assert [(row["email"], row["reason"]) for row in bounces] == [("gone@example.com", "bounced")]
    unsubscribes = api(read_only_key).get(URL).json()["results"]
    assert [row["email"] for row in unsubscribes] == ["ada@example.com"]


def test_the_bounce_list_is_read_only(api_key: str, org: Organization) -> None:
    response = api(api_key).post(BOUNCES, {"email": "x@example.com"})
    assert response.status_code == 405
    assert not Suppression.objects.unscoped().exists()


def test_another_organization_sees_none_of_our_addresses(
    other_api_key: str, org: Organization
) -> None:
    suppress(org, "gone@example.com", BOUNCED)
    suppress(org, "ada@example.com", UNSUBSCRIBED)
    for url in (URL, BOUNCES):
        page = api(other_api_key).get(url).json()
        assert (page["count"], page["results"]) == (0, [])
