"""The OpenAPI schema: served as YAML or JSON, committed up to date, and complete
for every operation (summary, examples, the shared errors); the docs pages load
nothing from other hosts."""

import difflib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.test import Client

COMMITTED = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def operations(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_the_committed_schema_is_up_to_date(tmp_path: Path) -> None:
    fresh = tmp_path / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--lang", "en", "--file", fresh)
    expected, committed = fresh.read_text(), COMMITTED.read_text()
    if expected != committed:
        diff = "".join(
            list(
                difflib.unified_diff(
                    committed.splitlines(keepends=True),
                    expected.splitlines(keepends=True),
                    "docs/openapi.yaml (committed)",
                    "generated now",
                )
            )[:60]
        )
        pytest.fail(f"docs/openapi.yaml is out of date: run `make schema`.\n{diff}")


def test_it_serves_yaml_by_default(db: None) -> None:
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    document = yaml.safe_load(response.content)
    assert document["openapi"].startswith("3.")
    assert "/api/v1/organization" in document["paths"]


def test_it_serves_json_on_request(db: None) -> None:
    response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert json.loads(response.content)["info"]["title"] == "NPS service API"


def test_the_server_that_serves_the_schema_comes_first(schema: dict[str, Any]) -> None:
    assert schema["servers"][0]["url"] == "http://testserver"


def test_it_describes_the_rest_api_and_nothing_else(schema: dict[str, Any]) -> None:
    assert schema["paths"]
    assert all(path.startswith("/api/v1/") for path in schema["paths"])


def test_every_operation_says_what_it_does_and_shows_an_example(schema: dict[str, Any]) -> None:
    missing = []
    for label, operation in operations(schema):
        if not operation.get("summary") or not operation.get("tags"):
            missing.append(f"{label}: summary or tags")
        success = [v for k, v in operation["responses"].items() if k.startswith("2")]
        bodies = [
            media
            for response in success
            for media in response.get("content", {}).values()
            if "example" in media or "examples" in media
        ]
        if any(response.get("content") for response in success) and not bodies:
            missing.append(f"{label}: an example of its answer")
    assert not missing, "Add @extend_schema(summary=..., examples=[...]) to: " + ", ".join(missing)


def test_every_operation_documents_the_errors_every_key_can_meet(schema: dict[str, Any]) -> None:
    for label, operation in operations(schema):
        responses = operation["responses"]
        assert {"401", "429"} <= set(responses), label
        if not label.startswith("GET"):
            assert "403" in responses, label
        if "requestBody" in operation:
            assert {"400", "422"} <= set(responses), label
        if "{" in label:
            assert "404" in responses, label


def test_errors_have_one_documented_shape(schema: dict[str, Any]) -> None:
    components = schema["components"]
    error = components["schemas"]["Error"]
    body = components["schemas"]["ErrorBody"]
    assert error["required"] == ["error"]
    assert set(body["required"]) == {"code", "message", "details"}
    for label, operation in operations(schema):
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                ref = response.get("$ref", "")
                if ref:
                    response = components["responses"][ref.rsplit("/", 1)[1]]
                shape = response["content"]["application/json"]["schema"]
                assert shape == {"$ref": "#/components/schemas/Error"}, f"{label} {status}"
    throttled = components["responses"]["Throttled"]
    assert "Retry-After" in throttled["headers"]


def test_the_documented_error_shape_is_the_one_the_api_sends(db: None) -> None:
    body = Client().get("/api/v1/organization").json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == "not_authenticated"


def _external_urls(html: str, host: str) -> list[str]:
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    urls += re.findall(r"""https?://[^\s"'<>)]+""", html)
    return [url for url in urls if urlsplit(url).netloc not in ("", host)]


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_load_only_local_assets(live_server: Any, path: str) -> None:
    import requests

    page = requests.get(live_server.url + path, timeout=10)
    assert page.status_code == 200
    host = urlsplit(live_server.url).netloc
    assert _external_urls(page.text, host) == []
    assets = re.findall(r"""(?:src|href)=["'](/static/[^"']+)["']""", page.text)
    assert any("drf_spectacular_sidecar" in asset for asset in assets)
    for asset in assets:
        assert requests.get(live_server.url + asset, timeout=10).status_code == 200, asset


@pytest.mark.browser
@pytest.mark.parametrize(
    ("path", "shows"),
    [("/api/docs/", "NPS service API"), ("/api/redoc/", "Rename your organization")],
)
def test_the_docs_render_offline_in_a_browser(
    page: Any, live_server: Any, path: str, shows: str
) -> None:
    host = urlsplit(live_server.url).netloc
    elsewhere: list[str] = []

    def only_here(route: Any) -> None:
        if urlsplit(route.request.url).netloc == host:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_here)
    page.goto(live_server.url + path)
    page.get_by_role("heading", name=shows).first.wait_for()
    assert elsewhere == []


def test_a_validation_error_not_about_one_field_keeps_details_an_object() -> None:
    from rest_framework.exceptions import ValidationError

    from tenants.api_errors import exception_handler

    response = exception_handler(ValidationError("Pick a survey first."), {})
    assert response is not None
    assert response.status_code == 422
    assert response.data["error"]["details"] == {"non_field_errors": ["Pick a survey first."]}


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing-here", "/api/v1/organization/extra", "/api/v1/survey_requests/"]
)
def test_an_unknown_api_path_answers_404_in_the_error_shape(db: None, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"
