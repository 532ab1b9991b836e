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


# One request, and cancelling it ------------------------------------------------------


def scheduled(key: str, survey: Survey, email: str = "ada@example.com") -> int:
    response = post(key, {"survey": survey.public_key, "email": email, "delay": 3600})
    assert response.status_code == 201
    return int(response.json()["id"])


def status_of(request_id: int) -> tuple[str, str]:
    row = SurveyRequest.objects.unscoped().get(pk=request_id)
    return row.status, row.skip_reason


def test_it_reads_one_request(api_key: str, read_only_key: str, survey: Survey) -> None:
    request_id = scheduled(api_key, survey)
    response = api(read_only_key).get(f"{URL}/{request_id}")
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["status"]) == (request_id, "pending")
    assert api(read_only_key).get(f"{URL}/999999").status_code == 404


def test_it_cancels_a_pending_request(api_key: str, survey: Survey) -> None:
    request_id = scheduled(api_key, survey)
    other_id = scheduled(api_key, survey, email="bob@example.com")
    response = api(api_key).post(f"{URL}/{request_id}/cancel")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["skip_reason"]) == ("skipped", "cancelled")
    assert status_of(request_id) == ("skipped", "cancelled")
    assert status_of(other_id) == ("pending", "")


@pytest.mark.parametrize("state", ["sending", "sent", "skipped", "failed"])
def test_it_refuses_to_cancel_a_request_that_is_not_pending(
    api_key: str, survey: Survey, state: str
) -> None:
    request_id = scheduled(api_key, survey)
    SurveyRequest.objects.unscoped().filter(pk=request_id).update(status=state)
    response = api(api_key).post(f"{URL}/{request_id}/cancel")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "not_pending"
    assert state in error["message"]
    assert status_of(request_id) == (state, "")


def test_cancelling_twice_is_a_conflict_the_second_time(api_key: str, survey: Survey) -> None:
    request_id = scheduled(api_key, survey)
    assert api(api_key).post(f"{URL}/{request_id}/cancel").status_code == 200
    assert api(api_key).post(f"{URL}/{request_id}/cancel").status_code == 409


def test_a_read_only_key_cannot_cancel(api_key: str, read_only_key: str, survey: Survey) -> None:
    request_id = scheduled(api_key, survey)
    response = api(read_only_key).post(f"{URL}/{request_id}/cancel")
    assert response.status_code == 403
    assert status_of(request_id) == ("pending", "")


def test_an_outsider_cannot_read_or_cancel_our_request(
    api_key: str, other_api_key: str, survey: Survey
) -> None:
    request_id = scheduled(api_key, survey)
    for response in (
        api(other_api_key).get(f"{URL}/{request_id}"),
        api(other_api_key).post(f"{URL}/{request_id}/cancel"),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert status_of(request_id) == ("pending", "")


def test_reading_or_cancelling_needs_a_key(api_key: str, survey: Survey) -> None:
    request_id = scheduled(api_key, survey)
    assert api().get(f"{URL}/{request_id}").status_code == 401
    assert api().post(f"{URL}/{request_id}/cancel").status_code == 401
    assert status_of(request_id) == ("pending", "")
