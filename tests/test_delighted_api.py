"""`/delighted/v1/`: Delighted's v1 API over our data, edge by edge."""

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from dashboards import metrics as dashboard_metrics
from dashboards.filters import Filters
from delighted_api import selectors
from outreach.models import Status, Suppression, SurveyRequest
from outreach.services import Recipient, request_schedule, suppression_add
from responses.models import Channel, Note, PromptEvent, Respondent, Response
from responses.services import answer_record
from surveys.models import Survey
from surveys.services import survey_create
from tenants.context import tenant_context
from tenants.models import Organization

BASE = "/delighted/v1/"


def basic(key: str, password: str | None = None) -> str:
    user = key if password is None else f"{key}:{password}"
    return "Basic " + base64.b64encode(user.encode()).decode()


def api(key: str | None, *, auth: str = "delighted") -> Client:
    """`delighted`: the official clients' Basic header with no colon."""
    if key is None:
        return Client()
    header = {"delighted": basic(key), "curl": basic(key, ""), "bearer": f"Bearer {key}"}[auth]
    return Client(headers={"Authorization": header})


def get(key: str | None, path: str, **params: Any) -> Any:
    return api(key).get(BASE + path, params)


def send(key: str | None, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body if body is not None else {})
    return getattr(api(key), method)(BASE + path, data, content_type="application/json")


def rows(org: Organization, model: Any) -> list[Any]:
    with tenant_context(org):
        return list(model.objects.order_by("pk"))


def answer(survey: Survey, respondent: Respondent | None, score: int, **extra: Any) -> Response:
    with tenant_context(survey.organization):
        response, _ = answer_record(
            survey=survey,
            respondent=respondent,
            client_id=f"test-{Response.objects.count()}-{score}-{extra.get('comment', '')}",
            score=score,
            channel=Channel.API,
            **extra,
        )
    return response


def person(org: Organization, email: str, **fields: Any) -> Respondent:
    with tenant_context(org):
        return Respondent.objects.create(organization=org, email=email, **fields)


@pytest.fixture
def other_survey(other_org: Organization) -> Survey:
    return survey_create(organization=other_org, kind="customer", name="Theirs")


# --- Auth -----------------------------------------------------------------------------


@pytest.mark.parametrize("auth", ["delighted", "curl", "bearer"])
def test_it_accepts_the_key_as_basic_user_with_or_without_colon_or_as_bearer(
    api_key: str, survey: Survey, auth: str
) -> None:
    response = api(api_key, auth=auth).get(BASE + "people.json")
    assert response.status_code == 200
    assert response.json() == []


def test_without_a_key_it_answers_401_in_delighted_shape(survey: Survey) -> None:
    response = get(None, "people")
    assert response.status_code == 401
    assert response.json()["status"] == 401
    assert response["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    "header",
    ["Basic " + base64.b64encode(b"nps_000000000000_nope").decode(), "Basic !!", "Token x"],
)
def test_a_wrong_or_garbled_key_gets_401(api_key: str, header: str) -> None:
    response = Client(headers={"Authorization": header}).get(BASE + "metrics")
    assert response.status_code == 401
    assert response.json() == {"status": 401, "message": "Invalid API key."}


def test_a_read_only_key_reads_but_cannot_write(
    read_only_key: str, org: Organization, survey: Survey
) -> None:
    assert get(read_only_key, "survey_responses").status_code == 200
    for method, path, body in [
        ("post", "people", {"email": "ada@example.com"}),
        ("post", "unsubscribes", {"person_email": "ada@example.com"}),
        ("post", "survey_responses", {"person_email": "ada@example.com", "score": 9}),
    ]:
        refused = send(read_only_key, method, path, body)
        assert refused.status_code == 403
        assert refused.json()["status"] == 403
    assert rows(org, Respondent) == rows(org, Suppression) == rows(org, Response) == []


def test_a_key_over_its_budget_gets_429_with_retry_after(settings: Any, api_key: str) -> None:
    settings.API_RATE_LIMIT = "2/minute"
    cache.clear()
    assert [get(api_key, "people").status_code for _ in range(2)] == [200, 200]
    refused = get(api_key, "people")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused.json()["status"] == 429


def test_a_database_outage_answers_503(api_key: str, monkeypatch: Any) -> None:
    def down(**kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(selectors, "people_page", down)
    response = get(api_key, "people")
    assert response.status_code == 503
    assert response.json()["status"] == 503


def test_unknown_paths_answer_404_json(api_key: str) -> None:
    response = get(api_key, "autopilot/email/memberships.json")
    assert response.status_code == 404
    assert response.json()["status"] == 404


def test_it_stays_out_of_our_openapi_schema(api_key: str) -> None:
    schema = Client().get("/api/schema/?format=json").json()
    assert not [path for path in schema["paths"] if "delighted" in path]
    assert "/api/v1/organization" in schema["paths"]


# --- People -----------------------------------------------------------------------------


def test_it_creates_a_person_and_schedules_a_survey_after_the_delay(
    api_key: str, org: Organization, survey: Survey
) -> None:
    before = int(timezone.now().timestamp())
    response = send(
        api_key,
        "post",
        "people.json",
        {"email": "Ada@Example.com", "name": "Ada", "delay": 60, "properties": {"plan": "pro"}},
    )
    assert response.status_code == 200
    body = response.json()
    (respondent,) = rows(org, Respondent)
    assert body["id"] == str(respondent.pk)
    assert (body["email"], body["name"], body["properties"]) == (
        "Ada@Example.com",
        "Ada",
        {"plan": "pro"},
    )
    assert before + 60 <= body["survey_scheduled_at"] <= before + 62
    (request,) = rows(org, SurveyRequest)
    assert (request.survey_id, request.status, request.properties) == (
        survey.pk,
        "pending",
        {"plan": "pro"},
    )
    assert respondent.traits == {"plan": "pro"}


def test_posting_the_same_email_again_updates_the_person_without_a_second_one(
    api_key: str, org: Organization, survey: Survey
) -> None:
    send(api_key, "post", "people", {"email": "ada@example.com", "properties": {"plan": "free"}})
    again = send(
        api_key,
        "post",
        "people",
        {"email": "ADA@example.com", "name": "Ada L.", "send": False, "properties": {"seats": 3}},
    )
    assert again.json()["survey_scheduled_at"] is None
    (respondent,) = rows(org, Respondent)
    assert (respondent.name, respondent.traits) == ("Ada L.", {"plan": "free", "seats": 3})
    assert len(rows(org, SurveyRequest)) == 1


def test_a_form_post_with_bracketed_properties_works_like_json(
    api_key: str, org: Organization, survey: Survey
) -> None:
    response = api(api_key).post(
        BASE + "people", {"email": "ada@example.com", "send": "false", "properties[plan]": "pro"}
    )
    assert response.status_code == 200
    assert rows(org, Respondent)[0].traits == {"plan": "pro"}
    assert rows(org, SurveyRequest) == []


def test_a_locale_property_chooses_the_email_language(
    api_key: str, org: Organization, survey: Survey
) -> None:
    send(api_key, "post", "people", {"email": "jo@example.com", "properties": {"locale": "fr-CA"}})
    assert rows(org, SurveyRequest)[0].language == "fr"


def test_a_person_by_phone_number_is_stored_but_not_texted(
    api_key: str, org: Organization, survey: Survey
) -> None:
    refused = send(api_key, "post", "people", {"phone_number": "+1 555 123 4567", "channel": "sms"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "channel"
    assert rows(org, Respondent) == []
    stored = send(api_key, "post", "people", {"phone_number": "+1 555 123 4567", "send": False})
    assert stored.status_code == 200
    assert stored.json()["phone_number"] == "+15551234567"
    assert rows(org, Respondent)[0].phone_number == "+15551234567"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "not-an-email"},
        {"email": "ada@example.com", "delay": -1},
        {"email": "ada@example.com", "properties": "plan=pro"},
        {"phone_number": "call me", "send": False},
        "[1, 2]",
    ],
)
def test_bad_input_gets_422_and_changes_nothing(
    api_key: str, org: Organization, survey: Survey, body: Any
) -> None:
    data = body if isinstance(body, str) else json.dumps(body)
    response = api(api_key).post(BASE + "people", data, content_type="application/json")
    assert response.status_code == 422
    payload = response.json()
    assert payload["status"] == 422 and payload["errors"][0]["message"]
    assert rows(org, Respondent) == rows(org, SurveyRequest) == []


def test_malformed_json_gets_422(api_key: str, survey: Survey) -> None:
    response = api(api_key).post(BASE + "people", "{", content_type="application/json")
    assert response.status_code == 422


def test_people_are_listed_in_pages_linked_by_rel_next(api_key: str, org: Organization) -> None:
    for n in range(5):
        person(org, f"p{n}@example.com")
    person(org, "")  # an anonymous widget visitor is nobody Delighted could reach
    first = get(api_key, "people.json", per_page=2)
    assert [p["email"] for p in first.json()] == ["p0@example.com", "p1@example.com"]
    seen, link = list(first.json()), first["Link"]
    while link:
        url = link.split(";")[0].strip("<>")
        assert url.startswith("http://testserver/delighted/v1/people.json?")
        page = api(api_key).get(url)
        seen += page.json()
        link = page.get("Link", "")
    assert [p["email"] for p in seen] == [f"p{n}@example.com" for n in range(5)]


def test_people_since_and_until_bound_their_creation_time(api_key: str, org: Organization) -> None:
    old = person(org, "old@example.com", first_seen_at=datetime(2024, 1, 1, tzinfo=UTC))
    person(org, "new@example.com")
    since = int(datetime(2024, 6, 1, tzinfo=UTC).timestamp())
    assert [p["email"] for p in get(api_key, "people", since=since).json()] == ["new@example.com"]
    assert [p["id"] for p in get(api_key, "people", until=since).json()] == [str(old.pk)]


def test_deleting_a_person_erases_them_and_their_data(
    api_key: str, org: Organization, survey: Survey
) -> None:
    ada = person(org, "ada@example.com")
    kept = person(org, "bob@example.com")
    with tenant_context(org):
        request_schedule(survey=survey, recipient=Recipient(email="ada@example.com"))
        suppression_add(organization=org, email="ada@example.com", reason="unsubscribed")
    noted = answer(survey, ada, 3)
    answer(survey, kept, 9)
    with tenant_context(org):
        Note.objects.create(organization=org, response=noted, body="Call back")
    response = send(api_key, "delete", f"people/{ada.pk}")
    assert (response.status_code, response.json()) == (202, {"ok": True})
    assert [r.email for r in rows(org, Respondent)] == ["bob@example.com"]
    assert [r.respondent_id for r in rows(org, Response)] == [kept.pk]
    assert rows(org, Note) == rows(org, SurveyRequest) == []
    assert [e.respondent_id for e in rows(org, PromptEvent)] == [kept.pk]
    # The address stays suppressed, so it is never emailed again.
    assert [s.email for s in rows(org, Suppression)] == ["ada@example.com"]


@pytest.mark.parametrize(
    "reference",
    [
        "email%3AAda%40example.com",
        "email:ada@example.com",
        "phone_number:%2B15551234567",
        "phone_number:+1%20(555)%20123-4567",
    ],
)
def test_a_person_is_deleted_by_email_or_phone_number(
    api_key: str, org: Organization, reference: str
) -> None:
    person(org, "ada@example.com", phone_number="+15551234567")
    assert send(api_key, "delete", f"people/{reference}.json").status_code == 202
    assert rows(org, Respondent) == []


def test_deleting_nobody_answers_404(api_key: str, org: Organization) -> None:
    assert send(api_key, "delete", "people/email:nobody@example.com").status_code == 404
    assert send(api_key, "delete", "people/whatever").status_code == 404
    person(org, "")  # nobody without an address is named by an empty one
    for empty in ["email:", "phone_number:", "email%3A"]:
        assert send(api_key, "delete", f"people/{empty}").status_code == 404
    assert len(rows(org, Respondent)) == 1


def test_deleting_pending_survey_requests_leaves_sent_ones(
    api_key: str, org: Organization, survey: Survey
) -> None:
    with tenant_context(org):
        sent = request_schedule(survey=survey, recipient=Recipient(email="ada@example.com"))
        SurveyRequest.objects.filter(pk=sent.pk).update(status=Status.SENT)
        request_schedule(survey=survey, recipient=Recipient(email="ada@example.com"), delay=600)
        request_schedule(survey=survey, recipient=Recipient(email="bob@example.com"), delay=600)
    response = send(api_key, "delete", "people/ada%40example.com/survey_requests/pending.json")
    assert (response.status_code, response.json()) == (200, {"ok": True})
    statuses = {(r.email, r.status) for r in rows(org, SurveyRequest)}
    assert statuses == {
        ("ada@example.com", "sent"),
        ("ada@example.com", "skipped"),
        ("bob@example.com", "pending"),
    }
    assert (
        send(api_key, "delete", "people/eve@example.com/survey_requests/pending").status_code == 404
    )


# --- Survey responses ---------------------------------------------------------------------


def test_it_records_an_answer_with_its_original_time(
    api_key: str, org: Organization, survey: Survey
) -> None:
    ada = person(org, "ada@example.com")
    given = int(datetime(2025, 3, 1, 12, tzinfo=UTC).timestamp())
    response = send(
        api_key,
        "post",
        "survey_responses.json",
        {
            "person": str(ada.pk),
            "score": 4,
            "comment": "Slow",
            "person_properties": {"plan": "pro"},
            "created_at": given,
        },
    )
    assert response.status_code == 201
    body = response.json()
    (stored,) = rows(org, Response)
    assert body["id"] == str(stored.pk) and body["person"] == str(ada.pk)
    assert (body["score"], body["comment"], body["created_at"]) == (4, "Slow", given)
    assert body["person_properties"] == {"plan": "pro"}
    assert body["permalink"].endswith(f"/o/{org.slug}/responses/{stored.pk}/")
    assert (stored.channel, stored.survey_id, stored.created_at) == (
        "api",
        survey.pk,
        datetime.fromtimestamp(given, UTC),
    )
    assert rows(org, Respondent)[0].traits == {"plan": "pro"}


def test_an_answer_by_person_email_creates_the_person_when_new(
    api_key: str, org: Organization, survey: Survey
) -> None:
    response = send(
        api_key, "post", "survey_responses", {"person_email": "new@example.com", "score": 10}
    )
    assert response.status_code == 201
    assert response.json()["comment"] is None
    assert [r.email for r in rows(org, Respondent)] == ["new@example.com"]


@pytest.mark.parametrize(
    "body",
    [
        {"score": 9},
        {"person_email": "a@example.com", "score": 11},
        {"person_email": "a@example.com", "score": "nine"},
        {"person_email": "a@example.com"},
        {"person": "999999", "score": 9},
        {"person": "not an id", "score": 9},
        {"person_email": "a@example.com", "score": 9, "created_at": 4_000_000_000},
    ],
)
def test_a_bad_answer_gets_422_and_stores_nothing(
    api_key: str, org: Organization, survey: Survey, body: dict[str, Any]
) -> None:
    response = send(api_key, "post", "survey_responses", body)
    assert response.status_code == 422
    assert response.json()["errors"]
    assert rows(org, Response) == []


def test_another_organizations_person_is_unknown_here(
    api_key: str, org: Organization, survey: Survey, other_org: Organization
) -> None:
    theirs = person(other_org, "them@other.test")
    response = send(api_key, "post", "survey_responses", {"person": str(theirs.pk), "score": 9})
    assert response.status_code == 422
    assert rows(org, Response) == [] and rows(other_org, Response) == []


def test_answers_go_to_the_oldest_active_survey_unless_one_is_named(
    api_key: str, org: Organization, survey: Survey
) -> None:
    newer = survey_create(organization=org, kind="employee", name="eNPS")
    with tenant_context(org):
        Survey.objects.filter(pk=survey.pk).update(is_active=False)
    default = send(
        api_key, "post", "survey_responses", {"person_email": "a@example.com", "score": 9}
    )
    assert default.json()["survey_type"] == "enps"
    named = send(
        api_key,
        "post",
        "survey_responses",
        {"person_email": "a@example.com", "score": 9, "survey": survey.public_key},
    )
    assert named.json()["survey_type"] == "nps"
    assert [r.survey_id for r in rows(org, Response)] == [newer.pk, survey.pk]


def test_without_any_survey_an_answer_gets_422(api_key: str, org: Organization) -> None:
    response = send(
        api_key, "post", "survey_responses", {"person_email": "a@example.com", "score": 9}
    )
    assert response.status_code == 422
    assert rows(org, Respondent) == []


def test_naming_another_organizations_survey_answers_404(
    api_key: str, org: Organization, survey: Survey, other_survey: Survey
) -> None:
    body = {"person_email": "a@example.com", "score": 9, "survey": other_survey.public_key}
    assert send(api_key, "post", "survey_responses", body).status_code == 404
    assert get(api_key, "metrics", trend=other_survey.pk).status_code == 404
    assert rows(org, Response) == []


def test_answers_are_listed_with_page_order_bounds_and_expansion(
    api_key: str, org: Organization, survey: Survey
) -> None:
    ada = person(org, "ada@example.com", name="Ada")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    made = [answer(survey, ada, n % 11, created_at=start + timedelta(days=n)) for n in range(7)]
    first = get(api_key, "survey_responses.json", per_page=3)
    assert [r["id"] for r in first.json()] == [str(r.pk) for r in made[:3]]
    assert 'rel="next"' in first["Link"]
    last = get(api_key, "survey_responses", per_page=3, page=3)
    assert [r["id"] for r in last.json()] == [str(made[6].pk)]
    assert "Link" not in last
    newest = get(api_key, "survey_responses", order="desc", per_page=1).json()
    assert newest[0]["id"] == str(made[6].pk)
    bounded = get(
        api_key,
        "survey_responses",
        since=int((start + timedelta(days=2)).timestamp()),
        until=int((start + timedelta(days=4)).timestamp()),
    )
    assert [r["score"] for r in bounded.json()] == [2, 3, 4]
    expanded = api(api_key).get(BASE + "survey_responses?expand%5B%5D=person&per_page=1").json()
    assert expanded[0]["person"]["email"] == "ada@example.com"
    assert expanded[0]["person"]["last_responded_at"] == int(made[6].created_at.timestamp())


def test_answers_are_filtered_by_trend_and_update_time(
    api_key: str, org: Organization, survey: Survey
) -> None:
    other = survey_create(organization=org, kind="partner", name="Partners")
    answer(survey, None, 9)
    theirs = answer(other, None, 3)
    assert [r["id"] for r in get(api_key, "survey_responses", trend=other.pk).json()] == [
        str(theirs.pk)
    ]
    assert len(get(api_key, "survey_responses").json()) == 2
    later = int((timezone.now() + timedelta(minutes=1)).timestamp())
    assert get(api_key, "survey_responses", updated_since=later).json() == []


def test_list_parameters_are_validated(api_key: str, survey: Survey) -> None:
    for params in [{"per_page": 101}, {"page": 0}, {"order": "sideways"}, {"since": "yesterday"}]:
        assert get(api_key, "survey_responses", **params).status_code == 422


def test_a_retrieved_answer_sent_back_whole_updates_what_changed(
    api_key: str, org: Organization, survey: Survey
) -> None:
    ada = person(org, "ada@example.com")
    bob = person(org, "bob@example.com")
    stored = answer(survey, ada, 6, comment="Meh")
    given_at = stored.created_at
    with tenant_context(org):
        Note.objects.create(organization=org, response=stored, body="Existing note")
    retrieved = api(api_key).get(BASE + f"survey_responses/{stored.pk}.json?expand[]=person").json()
    assert retrieved["person"]["id"] == str(ada.pk)
    retrieved.update(
        score=9,
        comment="Better now",
        person_properties={"plan": "pro"},
        tags=["Billing", "vip"],
        notes=[*retrieved["notes"], "Called back"],
    )
    retrieved["person"]["id"] = str(bob.pk)
    updated = send(api_key, "put", f"survey_responses/{stored.pk}", retrieved)
    assert updated.status_code == 200
    body = updated.json()
    assert (body["score"], body["comment"], body["person"]) == (9, "Better now", str(bob.pk))
    assert body["tags"] == ["billing", "vip"]
    assert [n["text"] for n in body["notes"]] == ["Existing note", "Called back"]
    with tenant_context(org):
        stored.refresh_from_db()
    assert (stored.score, stored.respondent_id, stored.properties) == (9, bob.pk, {"plan": "pro"})
    assert stored.created_at == given_at  # a PUT never moves an answer in time


def test_a_bad_update_gets_422_and_changes_nothing(
    api_key: str, org: Organization, survey: Survey
) -> None:
    stored = answer(survey, person(org, "ada@example.com"), 6, comment="Meh")
    for body in [
        {"score": 12},
        {"person": "999999"},
        {"tags": ["x" * 41]},
        {"notes": [""]},
        {"notes": [3]},
    ]:
        response = send(
            api_key, "put", f"survey_responses/{stored.pk}", {"comment": "Changed", **body}
        )
        assert response.status_code == 422, body
    with tenant_context(org):
        stored.refresh_from_db()
    assert (stored.score, stored.comment, stored.tags) == (6, "Meh", [])
    assert rows(org, Note) == []


def test_another_organizations_key_sees_none_of_its_rows(
    other_api_key: str, org: Organization, survey: Survey
) -> None:
    ada = person(org, "ada@example.com")
    stored = answer(survey, ada, 2)
    with tenant_context(org):
        suppression_add(organization=org, email="ada@example.com", reason="unsubscribed")
        suppression_add(organization=org, email="bob@example.com", reason="bounced")
    for path in ["people", "survey_responses", "unsubscribes", "bounces"]:
        assert get(other_api_key, path).json() == [], path
    assert get(other_api_key, "metrics").json()["response_count"] == 0
    assert get(other_api_key, f"survey_responses/{stored.pk}").status_code == 404
    put = send(other_api_key, "put", f"survey_responses/{stored.pk}", {"score": 10})
    assert put.status_code == 404
    assert send(other_api_key, "delete", f"people/{ada.pk}").status_code == 404
    assert send(other_api_key, "delete", "people/email:ada@example.com").status_code == 404
    assert (
        send(other_api_key, "delete", "people/ada@example.com/survey_requests/pending").status_code
        == 404
    )
    assert [r.score for r in rows(org, Response)] == [2]
    assert len(rows(org, Respondent)) == 1


# --- Metrics ---------------------------------------------------------------------------------


def test_metrics_are_the_back_offices_numbers(
    api_key: str, org: Organization, survey: Survey
) -> None:
    for score in [10, 9, 9, 8, 3, 0]:
        answer(survey, None, score)
    answer(survey, None, 1, created_at=timezone.now() - timedelta(days=40))
    body = get(api_key, "metrics.json").json()
    assert body == {
        "nps": 17,
        "promoter_count": 3,
        "promoter_percent": 50.0,
        "passive_count": 1,
        "passive_percent": 16.67,
        "detractor_count": 2,
        "detractor_percent": 33.33,
        "response_count": 6,
    }
    since = int((timezone.now() - timedelta(days=60)).timestamp())
    until = int(timezone.now().timestamp()) + 1
    wider = get(api_key, "metrics", since=since, until=until).json()
    with tenant_context(org):
        summary = dashboard_metrics.summary(
            filters=Filters(
                start=datetime.fromtimestamp(since, UTC),
                end=datetime.fromtimestamp(until + 1, UTC),
            )
        )
    assert (wider["response_count"], wider["detractor_count"]) == (
        summary.total,
        summary.detractors,
    )
    assert wider["nps"] == round(summary.nps or 0)


def test_metrics_of_one_trend_and_of_nothing(
    api_key: str, org: Organization, survey: Survey
) -> None:
    other = survey_create(organization=org, kind="partner", name="Partners")
    answer(survey, None, 10)
    answer(other, None, 0)
    assert get(api_key, "metrics", trend=survey.public_key).json()["nps"] == 100
    assert get(api_key, "metrics", trend=other.pk).json()["nps"] == -100
    assert get(api_key, "metrics").json()["nps"] == 0
    empty = get(api_key, "metrics", since=0, until=1).json()
    assert (empty["nps"], empty["response_count"], empty["promoter_percent"]) == (0, 0, 0.0)
    assert get(api_key, "metrics", since=10, until=5).status_code == 422


# --- Unsubscribes and bounces ------------------------------------------------------------------


def test_unsubscribing_suppresses_the_address(api_key: str, org: Organization) -> None:
    ada = person(org, "ada@example.com", name="Ada")
    response = send(api_key, "post", "unsubscribes.json", {"person_email": "Ada@Example.com"})
    assert (response.status_code, response.json()) == (200, {"ok": True})
    (row,) = get(api_key, "unsubscribes").json()
    assert (row["person_id"], row["email"], row["name"]) == (str(ada.pk), "ada@example.com", "Ada")
    assert abs(row["unsubscribed_at"] - timezone.now().timestamp()) < 5
    assert send(api_key, "post", "unsubscribes", {"person_email": "nope"}).status_code == 422
    assert len(rows(org, Suppression)) == 1


def test_bounces_are_listed_apart_from_unsubscribes(api_key: str, org: Organization) -> None:
    with tenant_context(org):
        suppression_add(organization=org, email="gone@example.com", reason="bounced")
        suppression_add(organization=org, email="left@example.com", reason="unsubscribed")
    (bounce,) = get(api_key, "bounces.json").json()
    assert (bounce["email"], bounce["person_id"]) == ("gone@example.com", None)
    assert "bounced_at" in bounce
    assert [u["email"] for u in get(api_key, "unsubscribes").json()] == ["left@example.com"]


def test_asking_for_a_format_other_than_json_gets_406(api_key: str) -> None:
    response = api(api_key).get(BASE + "people", headers={"Accept": "application/xml"})
    assert response.status_code == 406
    assert json.loads(response.content)["status"] == 406
