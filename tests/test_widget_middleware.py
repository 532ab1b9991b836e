"""The widget's endpoints take a shorter way through the middleware, and answer
exactly what the whole stack answers: the same status, headers and body."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from nps_site.urls import urlpatterns as site_urlpatterns
from responses.endpoint import widget_endpoint
from responses.middleware import WidgetEndpointMiddleware
from surveys.models import Survey
from tenants.context import current_organization_or_none

from .test_widget_api import ANON, ORIGIN, answer, config, post, token_for

pytestmark = pytest.mark.django_db

SHORTCUT = "responses.middleware.WidgetEndpointMiddleware"
# What differs between two otherwise equal answers: the token's time and signature.
VOLATILE = ("token",)


@pytest.fixture(autouse=True)
def generous_rate_limits(settings: Any) -> None:
    settings.WIDGET_RATE_LIMIT_PER_IP = (100_000, 60)
    settings.WIDGET_RATE_LIMIT_PER_SURVEY = (100_000, 60)


def whole_stack(settings: Any) -> None:
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != SHORTCUT]


def seen(response: Any) -> tuple[int, dict[str, str], Any]:
    headers = dict(response.headers)
    try:
        body = response.json()
    except ValueError:
        return response.status_code, headers, response.content
    if isinstance(body, dict):
        body = {key: "…" if key in VOLATILE else value for key, value in body.items()}
    return response.status_code, headers, body


Exchange = Callable[[Client, Survey, str], Any]

EXCHANGES: dict[str, Exchange] = {
    "config": lambda client, survey, n: config(client, survey, anonymous_id=f"{ANON[:-2]}{n}"),
    "config, prompted": lambda client, survey, n: config(
        client, survey, anonymous_id=f"{ANON[:-2]}{n}", trigger="manual", language="fr"
    ),
    "answer": lambda client, survey, n: answer(
        client, survey, token_for(client, survey), id=f"answer-{n}", score=7
    ),
    "answer again": lambda client, survey, n: [
        answer(client, survey, token_for(client, survey), id=f"again-{n}", score=7),
        answer(client, survey, token_for(client, survey), id=f"again-{n}", score=3),
    ][-1],
    "display": lambda client, survey, n: post(
        client, survey.public_key, "display", {"token": token_for(client, survey)}
    ),
    "dismiss": lambda client, survey, n: post(
        client,
        survey.public_key,
        "dismiss",
        {"token": token_for(client, survey), "kind": "not_now"},
    ),
    "comment on nothing": lambda client, survey, n: post(
        client,
        survey.public_key,
        "comment",
        {"token": token_for(client, survey), "id": f"none-{n}", "comment": "hi"},
    ),
    "preflight": lambda client, survey, n: client.options(
        f"/w/{survey.public_key}/answer", HTTP_ORIGIN=ORIGIN
    ),
    "bad token": lambda client, survey, n: answer(client, survey, "forged", id=f"bad-{n}"),
    "bad json": lambda client, survey, n: post(client, survey.public_key, "answer", "{nope"),
    "forbidden origin": lambda client, survey, n: config(
        client, survey, meta={"origin": "https://evil.example"}
    ),
    "unknown survey": lambda client, survey, n: post(client, "nokey", "config", {}),
    "GET": lambda client, survey, n: client.get(f"/w/{survey.public_key}/config"),
    "no such endpoint": lambda client, survey, n: post(client, survey.public_key, "nope", {}),
    "trailing slash": lambda client, survey, n: post(client, survey.public_key, "config/", {}),
}


@pytest.mark.parametrize("name", list(EXCHANGES))
def test_it_answers_what_the_whole_stack_answers(name: str, survey: Survey, settings: Any) -> None:
    shortcut = seen(EXCHANGES[name](Client(), survey, "1"))
    whole_stack(settings)
    assert seen(EXCHANGES[name](Client(), survey, "2")) == shortcut


def test_it_reads_no_cookie_a_client_other_than_the_widget_sends(
    survey: Survey, settings: Any
) -> None:
    """The widget's script sends none (`credentials: "omit"`). The whole stack
    would load a session for such a request, and answer `Vary: Cookie` or drop
    a stale session cookie; the endpoint answers the same body either way."""
    cookies = {"HTTP_COOKIE": f"{settings.SESSION_COOKIE_NAME}=stale; csrftoken=x"}
    shortcut = config(Client(), survey, meta=cookies)
    assert "Set-Cookie" not in shortcut and shortcut["Vary"] == "Origin"
    whole_stack(settings)
    whole = config(Client(), survey, meta=cookies)
    assert seen(shortcut)[::2] == seen(whole)[::2]


def test_it_keeps_the_security_and_cross_origin_headers(survey: Survey) -> None:
    response = config(Client(), survey)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert response["Vary"] == "Origin"
    assert response["Cache-Control"] == "no-store"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Content-Security-Policy"].startswith("default-src 'self'")
    assert response["Content-Length"] == str(len(response.content))
    assert "Set-Cookie" not in response and "Content-Language" not in response


def _spy(request: HttpRequest) -> dict[str, Any]:
    return {
        "session": hasattr(request, "session"),
        "user": hasattr(request, "user"),
        "tenant": current_organization_or_none() is not None,
    }


@widget_endpoint
def _spying_endpoint(request: HttpRequest, *, survey: Survey, body: dict[str, Any]) -> Any:
    from django.http import JsonResponse

    return JsonResponse(_spy(request))


def _plain_view(request: HttpRequest, public_key: str) -> HttpResponse:
    return HttpResponse(json.dumps(_spy(request)), content_type="application/json")


urlpatterns = [
    path("w/<str:public_key>/spy", _spying_endpoint),
    path("w/<str:public_key>/plain", _plain_view),
    *site_urlpatterns,
]


@pytest.mark.urls(__name__)
def test_it_skips_the_session_and_user_layers_for_widget_endpoints_only(survey: Survey) -> None:
    shortcut = post(Client(), survey.public_key, "spy", {})
    plain = Client().post(f"/w/{survey.public_key}/plain", "{}", content_type="text/plain")
    assert shortcut.json() == {"session": False, "user": False, "tenant": True}
    # Any other view under /w/ goes the whole way, CSRF and all.
    assert plain.json() == {"session": True, "user": True, "tenant": False}


def test_it_takes_the_whole_stack_when_requests_are_atomic(survey: Survey) -> None:
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("whole stack")

    atomic = connection.settings_dict["ATOMIC_REQUESTS"]
    connection.settings_dict["ATOMIC_REQUESTS"] = True
    try:
        middleware = WidgetEndpointMiddleware(view)
    finally:
        connection.settings_dict["ATOMIC_REQUESTS"] = atomic
    request = HttpRequest()
    request.path_info = request.path = f"/w/{survey.public_key}/config"
    assert middleware(request).content == b"whole stack"
