"""Every /api/v1/ route, read from the URL resolver: another organization's key
gets 404 on our objects and none of our rows in lists; no key gets 401.

A new route is covered as soon as it exists; one with a parameter this test
cannot fill fails loudly.
"""

import json
from typing import Any

import pytest
from django.test import Client

from outreach.models import Suppression, SurveyRequest
from responses.models import Note, Respondent, Response
from surveys.models import Survey
from tenants.context import tenant_context
from tenants.models import Organization

from .test_isolation import fill, iter_routes
from .test_isolation import org_objects as org_objects  # a fixture

METHODS = ("get", "post", "put", "patch", "delete")
# Which object a bare `<int:pk>` names, by the route's first segment.
PK_OF = {
    "survey_requests": "request_id",
    "respondents": "respondent_id",
    "responses": "response_id",
    "webhooks": "webhook_id",
    "testimonials": "testimonial_id",
}
# Words only our organization's rows contain: none may reach another key.
OUR_MARKERS = ("Slow service", "Called back", "Ann Example", "ann@example.com", "93.184.215.14")
# A body aimed at our rows, for every write an outsider tries.
HOSTILE_BODY = {
    "name": "x",
    "score": 10,
    "comment": "taken over",
    "email": "ann@example.com",
    "url": "https://93.184.215.14/other",
    "events": ["response.created"],
    "follow_up_status": "resolved",
}


def api_routes() -> list[str]:
    return sorted({route for route in iter_routes() if route.startswith("api/v1/")})


def api_path(route: str, objects: dict[str, Any]) -> str:
    first = route.removeprefix("api/v1/").split("/")[0]
    values = {key: value for key, value in objects.items() if key != "pk"}
    if "<int:pk>" in route:
        if first not in PK_OF:
            pytest.fail(f"{route}: say in PK_OF which object its pk names")
        values["pk"] = objects[PK_OF[first]]
    return fill(route, values)


def call(client: Client, method: str, path: str) -> Any:
    if method == "get":
        return client.get(path)
    return getattr(client, method)(path, json.dumps(HOSTILE_BODY), content_type="application/json")


def key_client(key: str | None) -> Client:
    return Client(headers={"Authorization": f"Bearer {key}"} if key else {})


@pytest.fixture
def our_objects(org: Organization, survey: Survey, org_objects: dict[str, Any]) -> dict[str, Any]:
    with tenant_context(org):
        Respondent.objects.filter(pk=org_objects["respondent_id"]).update(
            name="Ann Example", email="ann@example.com"
        )
        Response.objects.filter(pk=org_objects["response_id"]).update(comment="Slow service")
        Note.objects.filter(pk=org_objects["note_id"]).update(body="Called back")
        request = SurveyRequest.objects.create(
            organization=org,
            survey=survey,
            respondent_id=org_objects["respondent_id"],
            email="ann@example.com",
            scheduled_at=survey.created_at,
        )
        Suppression.objects.create(organization=org, email="ann@example.com", reason="bounced")
    return {
        **org_objects,
        "survey": survey.public_key,
        "request_id": request.pk,
        "email": "ann@example.com",
    }


def our_state(org: Organization) -> tuple[Any, ...]:
    with tenant_context(org):
        response = Response.objects.get()
        return (
            Survey.objects.filter(is_active=True).count(),
            Respondent.objects.count(),
            (response.score, response.comment, response.follow_up_status, response.tags),
            Note.objects.count(),
            list(SurveyRequest.objects.values_list("status", flat=True)),
            list(Suppression.objects.values_list("email", "reason")),
        )


def test_the_resolver_exposes_the_api_routes() -> None:
    assert len(api_routes()) >= 20


@pytest.mark.parametrize("route", api_routes())
def test_no_key_gets_401_on_every_api_route(route: str, our_objects: dict[str, Any]) -> None:
    path = api_path(route, our_objects)
    for method in METHODS:
        answer = call(key_client(None), method, path)
        assert answer.status_code == 401, (method, path)
        assert answer.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("route", [route for route in api_routes() if "<" in route])
def test_another_organizations_key_gets_404_on_our_objects(
    route: str, our_objects: dict[str, Any], other_api_key: str
) -> None:
    path = api_path(route, our_objects)
    statuses = {method: call(key_client(other_api_key), method, path) for method in METHODS}
    for method, answer in statuses.items():
        assert answer.status_code in (404, 405), (method, path, answer.status_code)
        assert not any(marker in answer.content.decode() for marker in OUR_MARKERS)
    assert any(answer.status_code == 404 for answer in statuses.values()), path


@pytest.mark.parametrize("route", [route for route in api_routes() if "<" not in route])
def test_another_organizations_key_sees_none_of_our_rows(
    route: str, our_objects: dict[str, Any], other_api_key: str
) -> None:
    answer = key_client(other_api_key).get(api_path(route, our_objects))
    assert answer.status_code in (200, 405), route
    body = answer.content.decode()
    assert not any(marker in body for marker in OUR_MARKERS), route
    assert our_objects["survey"] not in body, route


def test_nothing_of_ours_changed_after_another_key_tried_every_route(
    org: Organization, our_objects: dict[str, Any], other_api_key: str
) -> None:
    before = our_state(org)
    for route in api_routes():
        for method in ("post", "put", "patch", "delete"):
            call(key_client(other_api_key), method, api_path(route, our_objects))
    assert our_state(org) == before
