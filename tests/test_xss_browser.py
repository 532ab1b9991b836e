"""Markup planted in every field a respondent or an integrator controls renders
as text on every back-office page, in a real Chromium; the CSV export escapes
cells a spreadsheet would run as formulas."""

import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from alerts.models import Destination
from integrations.models import Webhook
from responses.models import Note, Respondent, Response
from surveys.models import Survey
from tenants.context import tenant_context
from tenants.models import Organization

from .conftest import PASSWORD

SCRIPT = "<script>window.__xss=1</script>"
IMG = '<img src=x onerror="window.__xss=1">'
SVG = '"><svg onload=window.__xss=1>'
JS_URL = "javascript:window.__xss=1"

NAME = f"Eve {SCRIPT}"
EMAIL = f"eve{SVG}@example.com"
COMMENT = f"Broken {IMG} and {SCRIPT} and {SVG}"
NOTE = f"Called back {SVG}{IMG}"
TAG = "<b onmouseover=x>"
TRAIT_KEY = f"plan{SVG}"
TRAIT_VALUE = f"pro{IMG}"
SURVEY_NAME = f"NPS {SCRIPT}"
HOOK = f"CRM {IMG}"
CHANNEL = f"#feedback {SVG}"


@pytest.fixture
def planted(org: Organization, survey: Survey, owner: Any) -> dict[str, Any]:
    """Stored as a hostile client could send them: straight into the rows."""
    with tenant_context(org):
        Survey.objects.filter(pk=survey.pk).update(name=SURVEY_NAME)
        person = Respondent.objects.create(
            organization=org,
            external_id=f"ext{SCRIPT}",
            name=NAME,
            email=EMAIL,
            profile_url=JS_URL,
            traits={TRAIT_KEY: TRAIT_VALUE},
        )
        response = Response.objects.create(
            organization=org,
            survey=survey,
            respondent=person,
            score=1,
            comment=COMMENT,
            tags=[TAG],
            properties={TRAIT_KEY: TRAIT_VALUE},
            created_at=timezone.now(),
        )
        Note.objects.create(organization=org, response=response, author=owner, body=NOTE)
        hook = Webhook.objects.create(
            organization=org,
            url="https://hooks.example.com/x",
            description=HOOK,
            events=["response.created"],
        )
        destination = Destination.objects.create(
            organization=org, name=CHANNEL, url="https://chat.example.com/hook"
        )
    return {
        "survey": survey,
        "person": person,
        "response": response,
        "hook": hook,
        "destination": destination,
    }


def log_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/o/**")


def assert_inert(page: Any, *texts: str) -> None:
    """No planted script ran, no planted element exists, the payloads read as text."""
    page.wait_for_load_state("load")
    page.wait_for_timeout(100)  # an onerror or onload would have fired by now
    assert page.evaluate("typeof window.__xss") == "undefined", page.url
    planted = page.evaluate(
        """() => [...document.querySelectorAll('*')].filter(e =>
            [...e.attributes].some(a => a.value.includes('__xss') &&
                (a.name.startsWith('on') || a.name === 'href' || a.name === 'src'))
            || (e.tagName === 'SCRIPT' && e.textContent.includes('__xss'))
        ).map(e => e.outerHTML)"""
    )
    assert planted == [], (page.url, planted)
    body = page.evaluate("document.body.innerText")
    for text in texts:
        assert text in body, (page.url, text)


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_planted_markup_is_text_on_every_back_office_page(
    live_server: Any, page: Any, org: Organization, owner: Any, planted: dict[str, Any]
) -> None:
    base = f"{live_server.url}/o/{org.slug}"
    survey, response, person = planted["survey"], planted["response"], planted["person"]
    log_in(page, live_server.url, owner.email)
    pages = {
        "/": [],
        "/responses/": [COMMENT],
        "/inbox/": [COMMENT],
        f"/responses/{response.pk}/": [COMMENT, NOTE, TAG.lower(), TRAIT_VALUE],
        f"/respondents/{person.pk}/": [NAME, TRAIT_KEY, TRAIT_VALUE],
        "/surveys/": [SURVEY_NAME],
        f"/surveys/{survey.pk}/": [],
        f"/surveys/{survey.pk}/install/": [],
        f"/surveys/{survey.pk}/requests/": [],
        f"/surveys/{survey.pk}/import/": [],
        "/webhooks/": [HOOK],
        f"/webhooks/{planted['hook'].pk}/": [],
        "/alerts/": [CHANNEL],
        f"/alerts/{planted['destination'].pk}/": [],
    }
    for path, texts in pages.items():
        page.goto(base + path)
        assert_inert(page, *texts)
    # A javascript: profile URL is never a link.
    page.goto(f"{base}/respondents/{person.pk}/")
    assert page.locator("a[href^='javascript']").count() == 0
    page.goto(f"{base}/responses/{response.pk}/")
    assert page.locator("a[href^='javascript']").count() == 0


FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)"]


def test_the_csv_export_escapes_cells_a_spreadsheet_would_run(
    owner_client: Client, org: Organization, survey: Survey
) -> None:
    with tenant_context(org):
        for number, formula in enumerate(FORMULAS):
            person = Respondent.objects.create(
                organization=org,
                name=formula,
                email=f"f{number}@example.com",
                traits={"plan": formula},
            )
            Response.objects.create(
                organization=org,
                survey=survey,
                respondent=person,
                score=5,
                comment=formula,
                created_at=timezone.now(),
            )
    export = owner_client.get(f"/o/{org.slug}/responses/export.csv")
    assert export.status_code == 200
    content = b"".join(export.streaming_content) if export.streaming else export.content
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    cells = [cell for row in rows[1:] for cell in row]
    for formula in FORMULAS:
        assert formula not in cells
        assert "'" + formula in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@")]
    assert not [cell for cell in cells if cell.startswith("-") and not cell[1:].isdigit()]
