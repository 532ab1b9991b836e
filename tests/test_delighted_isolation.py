"""Every /delighted/v1/ route, read from the URL resolver and called with and
without `.json`: no key gets 401; another organization's key gets 404 on our
people and answers (by id, `email:…`, `phone_number:…`), sees none of our rows
in lists nor our answers in its metrics, and changes nothing of ours.

A new route is covered as soon as it exists; one with a parameter this test
cannot fill fails loudly.
"""

import base64
import itertools
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, resolve

from tenants.models import Organization

from .test_api_isolation import METHODS, cross_tenant_links, leaked, our_rows, view_methods
from .test_api_isolation import org_objects as org_objects  # a fixture
from .test_api_isolation import our_objects as our_objects  # a fixture
from .test_api_isolation import their_objects as their_objects  # a fixture
from .test_isolation import iter_patterns

PREFIX = "delighted/v1/"
JSON = r"(?:\.json)?$"
# The catch-all has no path of its own: any other path under the prefix.
UNKNOWN_PATH = "autopilot/email/memberships"
# What each path parameter gets: every way it can name one of our objects.
VALUES_OF = {
    "reference": ("respondent_id", "email:{email}", "phone_number:{phone_number}", "{email}"),
    "email": ("{email}",),
    "response_id": ("response_id",),
}
# Query parameters that name an object, and which of ours they get.
QUERY_NAMING_OURS = {
    "person_id": "respondent_id",
    "person_email": "email",
    "trend": "survey_id",
    "survey": "survey",
}
THEIR_ANSWERS = 1


def delighted_patterns() -> dict[str, URLPattern]:
    return {route: entry for route, entry in iter_patterns() if route.startswith(PREFIX)}


def delighted_routes() -> list[str]:
    return sorted(delighted_patterns())


def values_for(name: str, route: str, objects: dict[str, Any]) -> list[str]:
    if name not in VALUES_OF:
        pytest.fail(f"{route}: say in VALUES_OF which of our objects `{name}` names")
    return [
        str(objects[spec]) if spec in objects else spec.format(**objects)
        for spec in VALUES_OF[name]
    ]


def delighted_paths(route: str, objects: dict[str, Any]) -> list[str]:
    """Every filling of the route's parameters, each with and without `.json`."""
    regex = route.removeprefix(PREFIX)
    if not regex:
        return [f"/{PREFIX}{UNKNOWN_PATH}", f"/{PREFIX}{UNKNOWN_PATH}.json"]
    template = regex.removeprefix("^").removesuffix(JSON)
    names = re.findall(r"\(\?P<(\w+)>", template)
    template = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", template)
    if re.search(r"[\\^$()?*+\[\]|]", template):
        pytest.fail(f"{route}: this test cannot fill this pattern")
    paths = []
    for combination in itertools.product(*(values_for(n, route, objects) for n in names)):
        path = template.format(**dict(zip(names, combination, strict=True)))
        paths += [f"/{PREFIX}{path}", f"/{PREFIX}{path}.json"]
    return paths


def key_client(key: str | None) -> Client:
    """The official clients' header: HTTP Basic, the key as user name, no colon."""
    if key is None:
        return Client()
    return Client(headers={"Authorization": "Basic " + base64.b64encode(key.encode()).decode()})


def call(client: Client, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    if method == "get":
        return client.get(path)
    return getattr(client, method)(path, json.dumps(body or {}), content_type="application/json")


def hostile_bodies(objects: dict[str, Any]) -> list[dict[str, Any]]:
    """Bodies naming our person and address, with and without our survey."""
    body = {
        "email": objects["email"],
        "phone_number": objects["phone_number"],
        "name": "Taken Over",
        "person": str(objects["respondent_id"]),
        "person_email": objects["email"],
        "score": 10,
        "comment": "taken over",
        "tags": ["taken"],
        "notes": ["taken over"],
        "person_properties": {"plan": "taken"},
    }
    return [
        body,
        {**body, "survey": objects["survey"]},
        {**body, "person": objects["email"], "send": False},
    ]


def test_the_resolver_exposes_the_delighted_routes(our_objects: dict[str, Any]) -> None:
    assert len(delighted_routes()) >= 9
    for route, entry in delighted_patterns().items():
        for path in delighted_paths(route, our_objects):
            assert resolve(path).url_name == entry.name, (route, path)


@pytest.mark.parametrize("route", delighted_routes())
def test_no_key_gets_401_on_every_delighted_route(route: str, our_objects: dict[str, Any]) -> None:
    for path in delighted_paths(route, our_objects):
        for method in METHODS:
            answer = call(key_client(None), method, path)
            assert answer.status_code == 401, (method, path)
            assert answer.json()["status"] == 401


@pytest.mark.parametrize("route", [r for r in delighted_routes() if "(?P<" in r or r == PREFIX])
def test_another_organizations_key_gets_404_on_our_objects(
    route: str,
    org: Organization,
    our_objects: dict[str, Any],
    other_api_key: str,
    their_objects: dict[str, Any],
) -> None:
    before = our_rows(org)
    answered = view_methods(delighted_patterns()[route])
    for path in delighted_paths(route, our_objects):
        for method in METHODS:
            body = hostile_bodies(our_objects)[0]
            answer = call(key_client(other_api_key), method, path, body)
            assert answer.status_code == (404 if method in answered else 405), (method, path)
            assert not leaked(answer, sent=body if method != "get" else None), (method, path)
    assert our_rows(org) == before


@pytest.mark.parametrize(
    "route",
    [
        r
        for r in delighted_routes()
        if "(?P<" not in r and r != PREFIX and "get" in view_methods(delighted_patterns()[r])
    ],
)
def test_another_organizations_key_lists_only_its_own_rows(
    route: str, our_objects: dict[str, Any], other_api_key: str, their_objects: dict[str, Any]
) -> None:
    for path in delighted_paths(route, our_objects):
        answer = key_client(other_api_key).get(path)
        assert answer.status_code == 200, path
        assert answer.json(), f"{path}: the other organization's own rows are missing"
        assert not leaked(answer), path
        if "response_count" in answer.json():
            assert answer.json()["response_count"] == THEIR_ANSWERS, path
        for name, ours in QUERY_NAMING_OURS.items():
            named = key_client(other_api_key).get(path, {name: our_objects[ours]})
            assert named.status_code in (200, 404), (path, name)
            assert not leaked(named), (path, name)
            if named.status_code == 200 and "response_count" in named.json():
                assert named.json()["response_count"] <= THEIR_ANSWERS, (path, name)


@pytest.mark.parametrize("route", delighted_routes())
def test_another_organizations_writes_change_nothing_of_ours(
    route: str,
    org: Organization,
    our_objects: dict[str, Any],
    other_api_key: str,
    their_objects: dict[str, Any],
) -> None:
    """On our objects, and on its own with ours named in the body: our rows stay
    as they were, and none of its rows ends up pointing at ours."""
    before = our_rows(org)
    writes = sorted(view_methods(delighted_patterns()[route]) - {"get"})
    paths = delighted_paths(route, our_objects) + delighted_paths(route, their_objects)
    for path in paths:
        for method, body in itertools.product(writes, hostile_bodies(our_objects)):
            answer = call(key_client(other_api_key), method, path, body)
            assert answer.status_code < 500, (method, path, answer.content)
            assert not leaked(answer, sent=body), (method, path)
    assert our_rows(org) == before
    assert not cross_tenant_links()
