"""`/api/v1/survey_requests`: schedule survey emails from a CRM, and follow them."""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from outreach.models import SurveyRequest
from surveys.models import Survey
from surveys.services import survey_create
from tenants.context import tenant_context
from tenants.models import Organization

URL = "/api/v1/survey_requests"


def api(key: str | None = None) -> Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return Client(headers=headers)


def post(key: str | None, body: Any) -> Any:
    data = body if isinstance(body, str) else json.dumps(body)
    return api(key).post(URL, data, content_type="application/json")


@pytest.fixture
def other_survey(other_org: Organization) -> Survey:
    return survey_create(organization=other_org, kind="customer", name="Theirs")


def test_it_schedules_a_request_with_a_delay(api_key: str, survey: Survey) -> None:
    before = timezone.now()
    response = post(
        api_key,
        {
            "survey": survey.public_key,
            "email": "ada@example.com",
            "name": "Ada",
            "properties": {"plan": "pro"},
            "delay": 3600,
            "language": "fr",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["survey"], body["email"], body["status"], body["language"]) == (
        survey.public_key,
        "ada@example.com",
        "pending",
        "fr",
    )
    scheduled = parse_datetime(body["scheduled_at"])
    assert scheduled is not None and scheduled >= before + timedelta(seconds=3600)
    with tenant_context(survey.organization):
        assert SurveyRequest.objects.get().properties == {"plan": "pro"}


def test_it_accepts_the_survey_id(api_key: str, survey: Survey) -> None:
    response = post(api_key, {"survey": str(survey.pk), "email": "ada@example.com"})
    assert response.status_code == 201


def test_it_lists_requests_by_status_a_page_at_a_time(
    api_key: str, read_only_key: str, survey: Survey
) -> None:
    for number in range(3):
        post(api_key, {"survey": survey.public_key, "email": f"p{number}@example.com"})
    SurveyRequest.objects.unscoped().filter(email="p0@example.com").update(status="sent")
    page = api(read_only_key).get(URL, {"status": "pending", "per_page": "1"}).json()
    assert page["count"] == 2
    assert len(page["results"]) == 1
    assert page["next"]
    assert api(read_only_key).get(URL).json()["count"] == 3


def test_it_refuses_an_unknown_status(read_only_key: str) -> None:
    response = api(read_only_key).get(URL, {"status": "lost"})
    assert response.status_code == 422
    assert "status" in response.json()["error"]["details"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "ada@example.com", "delay": -1}, "delay"),
        ({"email": "ada@example.com", "delay": 31536001}, "delay"),
        ({"email": "ada@example.com", "language": "xx"}, "language"),
        ({"email": "ada@example.com", "properties": ["a"]}, "properties"),
    ],
)
def test_it_explains_a_bad_field(api_key: str, survey: Survey, body: Any, field: str) -> None:
    response = post(api_key, {"survey": survey.public_key, **body})
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], list(error["details"])) == ("invalid", [field])


def test_it_answers_400_to_malformed_json(api_key: str) -> None:
    response = post(api_key, "{not json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_it_needs_a_key(survey: Survey) -> None:
    assert post(None, {"survey": survey.public_key, "email": "a@example.com"}).status_code == 401
    assert post("nps_bad_key", {"survey": survey.public_key, "email": "a@b.co"}).status_code == 401


def test_a_read_only_key_cannot_schedule(read_only_key: str, survey: Survey) -> None:
    response = post(read_only_key, {"survey": survey.public_key, "email": "a@example.com"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_an_outsider_cannot_use_our_survey(
    other_api_key: str, survey: Survey, other_survey: Survey
) -> None:
    for reference in (survey.public_key, str(survey.pk), "nope"):
        response = post(other_api_key, {"survey": reference, "email": "a@example.com"})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert not SurveyRequest.objects.unscoped().exists()


def test_an_outsider_never_sees_our_requests(
    api_key: str, other_api_key: str, survey: Survey, other_survey: Survey
) -> None:
    post(api_key, {"survey": survey.public_key, "email": "ours@example.com"})
    post(other_api_key, {"survey": other_survey.public_key, "email": "theirs@example.com"})
    emails = [item["email"] for item in api(other_api_key).get(URL).json()["results"]]
    assert emails == ["theirs@example.com"]
