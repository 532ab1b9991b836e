"""Security headers: the Content-Security-Policy on every kind of page, the
survey link page framed only by its survey's origins, and production settings
that pass `manage.py check --deploy`."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client

from nps_site.security import DEFAULT_POLICY, build_policy, csp_replace, source_hash
from surveys.models import Survey
from surveys.services import survey_update
from tenants.context import tenant_context

ROOT = Path(__file__).resolve().parent.parent
SITE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
    "object-src 'none'"
)


def directives(response: Any) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parts = (part.split() for part in policy.split(";"))
    return {part[0]: part[1:] for part in parts if part}


@pytest.mark.django_db
def test_a_back_office_page_carries_the_site_policy(owner_client: Client) -> None:
    response = owner_client.get("/o/example/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == SITE_POLICY
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_the_login_page_carries_the_site_policy() -> None:
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == SITE_POLICY


@pytest.mark.django_db
def test_an_api_answer_carries_the_site_policy(api_key: str) -> None:
    response = Client(headers={"Authorization": f"Bearer {api_key}"}).get("/api/v1/organization")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == SITE_POLICY


@pytest.mark.django_db
def test_the_widget_keeps_its_cross_origin_headers(survey: Survey) -> None:
    origin = "https://app.example.com"
    script = Client().get("/widget.js")
    config = Client().post(
        f"/w/{survey.public_key}/config",
        json.dumps({"language": "en", "anonymous_id": "a" * 32}),
        content_type="text/plain",
        HTTP_ORIGIN=origin,
    )
    assert script.status_code == 200 and config.status_code == 200
    assert config["Access-Control-Allow-Origin"] == origin
    assert config["Content-Security-Policy"] == SITE_POLICY


@pytest.mark.django_db
def test_the_link_page_may_be_framed_by_its_surveys_origins_only(survey: Survey) -> None:
    response = Client().get(f"/s/{survey.public_key}")
    assert response.status_code == 200
    policy = directives(response)
    assert policy["frame-ancestors"] == ["https://app.example.com"]
    assert "X-Frame-Options" not in response
    assert policy["script-src"] == ["'self'"]
    # The accent colour is the one inline style, allowed by its exact hash.
    accent = f"--a: {survey.accent_color}"
    assert f'style="{accent}"' in response.content.decode()
    assert policy["style-src"] == ["'self'", "'unsafe-hashes'", source_hash(accent)]


@pytest.mark.django_db
def test_every_step_of_the_link_flow_keeps_the_surveys_origins(survey: Survey) -> None:
    with tenant_context(survey.organization):
        survey_update(survey=survey, allowed_origins=["https://a.example", "http://localhost:3000"])
    client = Client()
    page = client.get(f"/s/{survey.public_key}")
    comment = client.post(f"/s/{survey.public_key}", {"score": "9", "id": "a" * 32})
    thanks = client.get(f"/s/{survey.public_key}/thanks")
    for response in (page, comment, thanks):
        assert response.status_code == 200, response
        assert directives(response)["frame-ancestors"] == [
            "https://a.example",
            "http://localhost:3000",
        ]
        assert "X-Frame-Options" not in response


@pytest.mark.django_db
def test_a_survey_without_origins_may_not_be_framed(survey: Survey) -> None:
    with tenant_context(survey.organization):
        survey_update(survey=survey, allowed_origins=[])
    response = Client().get(f"/s/{survey.public_key}")
    assert directives(response)["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
def test_an_unknown_link_key_is_not_framable() -> None:
    response = Client().get("/s/no-such-key")
    assert response.status_code == 404
    assert directives(response)["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_the_link_page_may_show_its_logo_from_its_host(survey: Survey) -> None:
    with tenant_context(survey.organization):
        survey_update(survey=survey, logo_url="https://cdn.example.com/logo.png")
    response = Client().get(f"/s/{survey.public_key}")
    assert directives(response)["img-src"] == ["'self'", "data:", "https://cdn.example.com"]


def test_a_source_with_a_separator_cannot_add_a_directive(rf: Any) -> None:
    request = rf.get("/")
    response = csp_replace(
        HttpResponse(),
        frame_ancestors=["https://ok.example", "https://x.example; script-src *"],
    )
    policy = build_policy(request, response)
    assert "frame-ancestors https://ok.example;" in policy
    assert "script-src 'self';" in policy
    assert policy.count("script-src") == 1


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_api_docs_run_only_scripts_from_this_site(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 200
    policy = directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    # The viewers style themselves at run time: these two pages alone allow it.
    assert "'unsafe-inline'" in policy["style-src"]
    html = response.content.decode()
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []


def test_no_template_has_an_inline_script_or_handler() -> None:
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        if template.name.startswith("email"):
            continue  # mail clients, not browsers under our policy
        text = template.read_text(encoding="utf-8")
        if (
            re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text)
            or re.search(r"\son[a-z]+\s*=", text)
            or "javascript:" in text
            or "hx-on" in text
            or re.search(r"\sstyle\s*=", text)
            or "<style" in text
        ):
            offenders.append(str(template.relative_to(ROOT)))
    assert offenders == []


def test_the_default_policy_is_the_documented_one() -> None:
    assert "; ".join(f"{k} {' '.join(v)}" for k, v in DEFAULT_POLICY.items()) == SITE_POLICY


PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "production-like-" + "k" * 60,
    "ALLOWED_HOSTS": "nps.example.com",
    "DATABASE_URL": "",
    "REDIS_URL": "",
}


def run_production(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env |= PRODUCTION_ENV | {"DJANGO_SETTINGS_MODULE": "nps_site.settings.base"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check() -> None:
    result = run_production("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_force_https_and_secure_cookies() -> None:
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, "
        "s.SESSION_COOKIE_HTTPONLY, s.X_FRAME_OPTIONS, s.SECURE_CONTENT_TYPE_NOSNIFF)"
    )
    result = run_production("shell", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "False",
        "True",
        "True",
        "True",
        "31536000",
        "True",
        "True",
        "True",
        "DENY",
        "True",
    ]


@pytest.fixture
def csp_messages(page: Any) -> list[str]:
    messages: list[str] = []
    page.on(
        "console",
        lambda message: (
            messages.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return messages


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_pages_run_under_the_policy_without_a_violation(
    live_server: Any, page: Any, csp_messages: list[str], owner: Any, survey: Survey
) -> None:
    from tests.conftest import PASSWORD

    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/o/example/")
    for path in [
        "/o/example/",
        "/o/example/trend/",
        "/o/example/responses/",
        "/o/example/inbox/",
        "/o/example/surveys/",
        f"/o/example/surveys/{survey.pk}/",
        f"/o/example/surveys/{survey.pk}/install/",
        "/o/example/webhooks/",
        "/o/example/members/",
        "/o/example/api-keys/",
        "/api/docs/",
        "/api/redoc/",
    ]:
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("networkidle")
        if path == "/api/redoc/":
            # Redoc's attribution links an image on its vendor's host: the policy
            # is what keeps the docs from calling another host, so this one refusal
            # is the policy working, and the only one allowed.
            assert all("cdn.redoc.ly" in message for message in csp_messages), csp_messages
            csp_messages.clear()
        assert csp_messages == [], path
    # The preview's accent follows the form: its shadow root was styled (hash allowed).
    page.goto(f"{base}/o/example/surveys/{survey.pk}/")
    accent = page.evaluate(
        "getComputedStyle(document.getElementById('widget-preview').shadowRoot"
        ".querySelector('.w')).getPropertyValue('--a').trim()"
    )
    assert accent == survey.accent_color
    assert csp_messages == []

    # The respondent's flow on the link page: score, comment, thanks.
    page.goto(f"{base}/s/{survey.public_key}")
    card = page.locator("main.card")
    assert card.evaluate("e => getComputedStyle(e).getPropertyValue('--a').trim()") == (
        survey.accent_color
    )
    page.locator("input[name=score][value='9']").check(force=True)
    page.locator("button.primary").click()
    page.locator("textarea").fill("Fine")
    page.locator("textarea").evaluate("t => t.form.requestSubmit()")
    page.wait_for_url(f"**/s/{survey.public_key}/thanks**")
    assert csp_messages == []

    # And the policy is in force: an inline script is refused, and reported.
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.ran = true'; document.body.append(s); }"
    )
    assert page.evaluate("typeof window.ran") == "undefined"
    assert any("script-src" in message for message in csp_messages)
