"""`/api/v1/respondents`: people pushed from a CRM, and erased on request (GDPR)."""

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.core.cache import cache
from django.http import QueryDict
from django.test import Client, TestCase
from django.utils.http import urlencode

from dashboards import metrics
from dashboards.filters import parse_filters
from outreach.models import Suppression, SurveyRequest
from outreach.services import Recipient, request_schedule, suppression_add
from responses.models import Note, PromptEvent, Respondent, Response
from responses.services import answer_record
from rollups.models import RollupDay
from rollups.services import rollups_refresh
from surveys.models import Survey
from surveys.services import survey_create
from tenants.context import tenant_context
from tenants.models import Organization

URL = "/api/v1/respondents"


def api(key: str | None = None) -> Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return Client(headers=headers)


def send(key: str | None, method: str, url: str, body: Any = None) -> Any:
    call = getattr(api(key), method)
    if body is None:
        return call(url)
    return call(url, json.dumps(body), content_type="application/json")


def people(organization: Organization) -> list[dict[str, Any]]:
    with tenant_context(organization):
        return list(Respondent.objects.order_by("pk").values())


def person(organization: Organization, **fields: Any) -> Respondent:
    with tenant_context(organization):
        return Respondent.objects.create(organization=organization, **fields)


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code and error["message"]
    return error


@pytest.fixture
def ada(org: Organization) -> Respondent:
    return person(
        org, external_id="u-1", email="ada@example.com", name="Ada", traits={"plan": "free"}
    )


@pytest.fixture
def theirs(other_org: Organization) -> Respondent:
    return person(other_org, external_id="u-1", email="ada@example.com", name="Not yours")


# --- Upsert ---------------------------------------------------------------------------


def test_it_creates_a_respondent_then_updates_the_same_one(api_key: str, org: Organization) -> None:
    body = {
        "external_id": "u-7",
        "email": "grace@example.com",
        "name": "Grace",
        "profile_url": "https://crm.example.com/7",
        "traits": {"plan": "free", "seats": 3},
    }
    created = send(api_key, "post", URL, body)
    assert created.status_code == 201, created.content
    assert {k: created.json()[k] for k in body} == body
    again = send(api_key, "post", URL, {"external_id": "u-7", "traits": {"plan": "pro"}})
    assert again.status_code == 200
    assert again.json()["id"] == created.json()["id"]
    assert again.json()["traits"] == {"plan": "pro", "seats": 3}
    assert again.json()["name"] == "Grace"
    assert len(people(org)) == 1


def test_it_finds_a_person_known_only_by_email_and_gives_them_the_external_id(
    api_key: str, org: Organization
) -> None:
    known = person(org, email="Lin@Example.com")
    response = send(api_key, "post", URL, {"external_id": "u-9", "email": "lin@example.com"})
    assert response.status_code == 200, response.content
    assert response.json()["id"] == known.pk
    assert people(org)[0]["external_id"] == "u-9"


def test_it_upserts_by_email_alone(api_key: str, ada: Respondent, org: Organization) -> None:
    response = send(api_key, "post", URL, {"email": "ADA@example.com", "name": "Ada L."})
    assert response.status_code == 200
    assert response.json()["id"] == ada.pk
    assert people(org)[0]["name"] == "Ada L."


def test_it_removes_a_trait_set_to_null(api_key: str, ada: Respondent, org: Organization) -> None:
    send(api_key, "post", URL, {"external_id": "u-1", "traits": {"plan": None, "team": "ops"}})
    assert people(org)[0]["traits"] == {"team": "ops"}


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Nobody"},
        {"external_id": "", "email": ""},
        {"email": "not-an-email"},
        {"external_id": "u-2", "traits": "plan=pro"},
        {"external_id": "u-2", "profile_url": "javascript:alert(1)"},
        {"external_id": "u-2", "anonymous_id": "abc"},
        {"external_id": "x" * 256},
    ],
)
def test_it_refuses_a_respondent_it_cannot_name_or_store(
    api_key: str, ada: Respondent, org: Organization, body: dict[str, Any]
) -> None:
    before = people(org)
    assert_error(send(api_key, "post", URL, body), 422, "invalid")
    assert people(org) == before


def test_a_read_only_key_cannot_upsert(read_only_key: str, org: Organization) -> None:
    response = send(read_only_key, "post", URL, {"external_id": "u-3"})
    assert_error(response, 403, "permission_denied")
    assert people(org) == []


def test_another_organizations_key_creates_its_own_person(
    other_api_key: str, ada: Respondent, org: Organization, other_org: Organization
) -> None:
    response = send(other_api_key, "post", URL, {"external_id": "u-1", "name": "Theirs"})
    assert response.status_code == 201
    assert people(org)[0]["name"] == "Ada"
    assert people(other_org)[0]["name"] == "Theirs"


def test_no_key_gets_401(org: Organization) -> None:
    assert_error(send(None, "post", URL, {"external_id": "u-3"}), 401, "not_authenticated")
    assert_error(send(None, "get", URL), 401, "not_authenticated")
    assert people(org) == []


# --- List -------------------------------------------------------------------------------


def test_it_lists_respondents_a_page_at_a_time(api_key: str, org: Organization) -> None:
    made = [person(org, external_id=f"u-{n}").pk for n in range(5)]
    seen, url = [], f"{URL}?per_page=2"
    while url:
        page = api(api_key).get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert seen == sorted(made, reverse=True)


def test_it_filters_by_email_and_external_id(
    read_only_key: str, ada: Respondent, org: Organization
) -> None:
    person(org, external_id="u-2", email="bob@example.com")
    by_email = api(read_only_key).get(URL, {"email": "ADA@example.com"}).json()["results"]
    by_id = api(read_only_key).get(URL, {"external_id": "u-2"}).json()["results"]
    assert [row["id"] for row in by_email] == [ada.pk]
    assert [row["email"] for row in by_id] == ["bob@example.com"]


def test_another_organizations_key_lists_none_of_ours(
    other_api_key: str, ada: Respondent, theirs: Respondent
) -> None:
    rows = api(other_api_key).get(URL).json()["results"]
    assert [row["id"] for row in rows] == [theirs.pk]


def test_a_bad_cursor_is_refused(api_key: str, ada: Respondent) -> None:
    error = assert_error(api(api_key).get(URL, {"cursor": "bm90LWEtY3Vyc29y"}), 422, "invalid")
    assert "cursor" in error["details"]


# --- One respondent ----------------------------------------------------------------------


def test_it_shows_one_respondent(read_only_key: str, ada: Respondent) -> None:
    body = api(read_only_key).get(f"{URL}/{ada.pk}").json()
    assert body == {
        "id": ada.pk,
        "external_id": "u-1",
        "email": "ada@example.com",
        "name": "Ada",
        "profile_url": "",
        "traits": {"plan": "free"},
        "first_seen_at": ada.first_seen_at.isoformat().replace("+00:00", "Z"),
    }


def test_another_organizations_respondent_is_not_found(
    other_api_key: str, api_key: str, ada: Respondent, org: Organization
) -> None:
    before = people(org)
    for method, body in [("get", None), ("patch", {"name": "X"}), ("delete", None)]:
        assert_error(send(other_api_key, method, f"{URL}/{ada.pk}", body), 404, "not_found")
    assert_error(send(other_api_key, "get", f"{URL}/{ada.pk}/responses"), 404, "not_found")
    assert_error(send(api_key, "get", f"{URL}/999999"), 404, "not_found")
    assert people(org) == before


def test_it_updates_the_fields_given(api_key: str, ada: Respondent, org: Organization) -> None:
    response = send(api_key, "patch", f"{URL}/{ada.pk}", {"name": "Ada K.", "traits": {"seats": 2}})
    assert response.status_code == 200, response.content
    stored = people(org)[0]
    assert (stored["name"], stored["email"], stored["traits"]) == (
        "Ada K.",
        "ada@example.com",
        {"plan": "free", "seats": 2},
    )


def test_it_refuses_an_external_id_taken_by_another_respondent(
    api_key: str, ada: Respondent, org: Organization
) -> None:
    bob = person(org, external_id="u-2")
    before = people(org)
    assert_error(send(api_key, "patch", f"{URL}/{bob.pk}", {"external_id": "u-1"}), 409, "conflict")
    assert people(org) == before


@pytest.mark.parametrize(
    "body", [{"external_id": ""}, {"email": "nope"}, {"score": 3}, {"traits": [1]}]
)
def test_it_refuses_a_bad_update(
    api_key: str, ada: Respondent, org: Organization, body: dict[str, Any]
) -> None:
    before = people(org)
    assert_error(send(api_key, "patch", f"{URL}/{ada.pk}", body), 422, "invalid")
    assert people(org) == before


def test_a_read_only_key_cannot_update_or_erase(
    read_only_key: str, ada: Respondent, org: Organization
) -> None:
    before = people(org)
    assert_error(
        send(read_only_key, "patch", f"{URL}/{ada.pk}", {"name": "X"}), 403, "permission_denied"
    )
    assert_error(send(read_only_key, "delete", f"{URL}/{ada.pk}"), 403, "permission_denied")
    assert people(org) == before


def test_no_key_cannot_read_update_or_erase(ada: Respondent, org: Organization) -> None:
    for method, body in [("get", None), ("patch", {"name": "X"}), ("delete", None)]:
        assert_error(send(None, method, f"{URL}/{ada.pk}", body), 401, "not_authenticated")
    assert_error(send(None, "get", f"{URL}/{ada.pk}/responses"), 401, "not_authenticated")
    assert len(people(org)) == 1


def test_it_lists_one_respondents_responses_only(
    read_only_key: str, survey: Survey, ada: Respondent, org: Organization
) -> None:
    bob = person(org, external_id="u-2")
    with tenant_context(org):
        mine = [
            answer_record(survey=survey, respondent=ada, client_id=f"a{n}", score=n)[0].pk
            for n in range(3)
        ]
        answer_record(survey=survey, respondent=bob, client_id="b", score=9)
    rows = api(read_only_key).get(f"{URL}/{ada.pk}/responses").json()["results"]
    assert sorted(row["id"] for row in rows) == sorted(mine)
    assert {row["respondent"]["id"] for row in rows} == {ada.pk}


# --- Erasure --------------------------------------------------------------------------------


def _history_of(org: Organization, survey: Survey, respondent: Respondent) -> None:
    with tenant_context(org):
        response, _ = answer_record(
            survey=survey, respondent=respondent, client_id=f"c{respondent.pk}", score=2
        )
        Note.objects.create(organization=org, response=response, body="Called back.")
        PromptEvent.objects.create(
            organization=org, survey=survey, respondent=respondent, kind="display"
        )
        request_schedule(
            survey=survey, recipient=Recipient(email=respondent.email, name=respondent.name)
        )
        suppression_add(organization=org, email=respondent.email, reason="unsubscribed")


def _rows(org: Organization) -> dict[str, int]:
    with tenant_context(org):
        return {
            "respondents": Respondent.objects.count(),
            "responses": Response.objects.count(),
            "notes": Note.objects.count(),
            "events": PromptEvent.objects.count(),
            "requests": SurveyRequest.objects.count(),
            "suppressions": Suppression.objects.count(),
        }


def test_erasing_a_person_removes_everything_about_them_but_keeps_their_unsubscribe(
    api_key: str, survey: Survey, ada: Respondent, org: Organization
) -> None:
    _history_of(org, survey, ada)
    bob = person(org, external_id="u-2", email="bob@example.com")
    _history_of(org, survey, bob)
    assert _rows(org)["responses"] == 2
    response = send(api_key, "delete", f"{URL}/{ada.pk}")
    assert response.status_code == 204, response.content
    assert _rows(org) == {
        "respondents": 1,
        "responses": 1,
        "notes": 1,
        "events": 2,  # bob's display and the answer event
        "requests": 1,
        "suppressions": 2,
    }
    with tenant_context(org):
        assert not Respondent.objects.filter(pk=ada.pk).exists()
        assert not SurveyRequest.objects.filter(email="ada@example.com").exists()
        assert Suppression.objects.filter(email="ada@example.com").exists()
    assert_error(send(api_key, "get", f"{URL}/{ada.pk}"), 404, "not_found")


def test_erasing_a_person_leaves_another_organization_untouched(
    api_key: str, ada: Respondent, theirs: Respondent, other_org: Organization
) -> None:
    with tenant_context(other_org):
        other_survey = survey_create(organization=other_org, kind="customer", name="Theirs")
    _history_of(other_org, other_survey, theirs)
    before = _rows(other_org)
    assert send(api_key, "delete", f"{URL}/{ada.pk}").status_code == 204
    assert _rows(other_org) == before


@pytest.fixture
def settled_rollups(settings: Any) -> Iterator[None]:
    # Rows written a moment before a refresh are settled: their days are served from rollups.
    settings.ROLLUPS_OVERLAP_SECONDS = 0
    cache.clear()
    yield
    cache.clear()


def test_the_scores_no_longer_count_an_erased_persons_answers(
    api_key: str, survey: Survey, ada: Respondent, org: Organization, settled_rollups: None
) -> None:
    bob = person(org, external_id="u-2")
    with tenant_context(org):
        for number, (who, score) in enumerate([(ada, 0), (ada, 3), (bob, 10), (bob, 8)]):
            when = datetime(2026, 3, 2 + number, 12, tzinfo=UTC)
            answer_record(
                survey=survey, respondent=who, client_id=f"c{number}", score=score, created_at=when
            )
        with TestCase.captureOnCommitCallbacks(execute=True):
            rollups_refresh(organization=org)
        march = QueryDict(urlencode({"range": "custom", "from": "2026-03-01", "to": "2026-03-31"}))
        filters = parse_filters(march, tz=org.time_zone, today=date(2026, 3, 31))
        before = metrics.summary(filters=filters)
        assert (before.promoters, before.passives, before.detractors) == (1, 1, 2)
        assert RollupDay.objects.exists()  # the days are now read from the rollups

    assert send(api_key, "delete", f"{URL}/{ada.pk}").status_code == 204

    with tenant_context(org):
        after = metrics.summary(filters=filters)
        assert (after.promoters, after.passives, after.detractors) == (1, 1, 0)
        with TestCase.captureOnCommitCallbacks(execute=True):
            rollups_refresh(organization=org)
        assert metrics.summary(filters=filters) == after
        assert sum(row.s0 + row.s3 for row in RollupDay.objects.all()) == 0
