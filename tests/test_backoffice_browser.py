"""The demo owner's day in the back office, in a real Chromium.

Overview, filters (and the back button), the detractor inbox, a follow-up with
a note, the CSV export; a screenshot of the overview is kept as an artifact.
"""

import csv
import io
import os
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.http import QueryDict
from django.template.defaultfilters import floatformat
from django.utils import timezone

from dashboards import metrics
from dashboards.filters import parse_filters
from responses.models import Respondent, Response
from surveys.models import Survey
from tenants.context import tenant_context
from tenants.models import Organization

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).parent.parent / "test-artifacts"))
SCRIPT_COMMENT = "<script>window.pwned = true</script> The export button is broken"


@pytest.fixture
def acme() -> Organization:
    call_command("seed_demo", "--responses", "400", stdout=StringIO())
    return Organization.objects.get(slug="acme")


@pytest.fixture
def planted(acme: Organization) -> Response:
    """The newest detractor: first in the inbox, with markup in its comment."""
    with tenant_context(acme):
        person = Respondent.objects.create(
            organization=acme,
            external_id="walk-1",
            name="Zoé Walker",
            email="zoe@example.com",
            profile_url="https://app.acme.test/users/walk-1",
            traits={"plan": "pro"},
        )
        return Response.objects.create(
            organization=acme,
            survey=Survey.objects.get(name="Product NPS"),
            respondent=person,
            score=2,
            comment=SCRIPT_COMMENT,
            language="en",
            created_at=timezone.now(),
        )


def log_in_as_demo_owner(page: Any, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill("owner@acme.test")
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/o/acme/")


def shown_nps(acme: Organization, query: str = "") -> str:
    with tenant_context(acme):
        filters = parse_filters(QueryDict(query), tz=acme.time_zone)
        return floatformat(metrics.summary(filters=filters).nps, 0)


def assert_no_script_ran(page: Any) -> None:
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.get_by_text(SCRIPT_COMMENT).first.is_visible()


def test_the_demo_owner_walks_the_back_office(
    live_server: Any, page: Any, acme: Organization, planted: Response
) -> None:
    base = live_server.url
    log_in_as_demo_owner(page, base)

    # The overview: the gauge and the number the metrics module computes.
    gauge = page.locator("svg.gauge")
    gauge.wait_for()
    box = gauge.bounding_box()
    assert box is not None and box["width"] > 150 and box["height"] > 80
    assert page.locator(".nps-value").inner_text() == shown_nps(acme)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "overview.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000

    # Filters go into the URL, and the back button brings the previous view back.
    page.get_by_label("Category").select_option("detractor")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**category=detractor**")
    assert page.locator(".nps-value").inner_text() == "-100"
    page.go_back()
    page.wait_for_url(f"{base}/o/acme/")
    assert page.locator(".nps-value").inner_text() == shown_nps(acme)

    # The inbox: the newest detractor first, its markup shown as text.
    page.locator("nav.tabs a", has_text="Inbox").click()
    item = page.locator(f"#item-{planted.pk}")
    item.wait_for()
    assert_no_script_ran(page)
    item.get_by_role("button", name="Mark contacted").click()
    item.locator(".status-contacted").wait_for()

    # The response: a note, kept in place.
    page.locator(f"#item-{planted.pk}").get_by_role("link", name="Open").click()
    page.wait_for_url(f"**/responses/{planted.pk}/")
    assert_no_script_ran(page)
    page.get_by_label("Internal note").fill("Called Zoé: the export fix ships Friday.")
    page.get_by_role("button", name="Add note").click()
    page.locator("#notes-panel").get_by_text("the export fix ships Friday").wait_for()
    with tenant_context(acme):
        planted.refresh_from_db()
        assert planted.follow_up_status == "contacted"
        assert [n.body for n in planted.notes.all()] == ["Called Zoé: the export fix ships Friday."]

    # The export: the filtered responses, with the follow-up columns.
    page.goto(f"{base}/o/acme/responses/?category=detractor")
    assert_no_script_ran(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    body = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    with tenant_context(acme):
        filters = parse_filters(QueryDict("category=detractor"), tz=acme.time_zone)
        assert len(rows) == filters.apply(Response.objects.all()).count() > 1
    assert {row["category"] for row in rows} == {"detractor"}
    ours = next(row for row in rows if row["id"] == str(planted.pk))
    assert ours["follow_up_status"] == "contacted"
    assert "the export fix ships Friday" in ours["notes"]
    assert ours["comment"] == SCRIPT_COMMENT
