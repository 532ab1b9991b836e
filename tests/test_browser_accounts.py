"""The account pages in a real Chromium: sign up, switch orgs, log out and back in."""

from typing import Any

import pytest

from tenants.models import Organization
from tenants.services import organization_create

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_signs_up_and_lands_in_their_organization(live_server: Any, page: Any) -> None:
    page.goto(f"{live_server.url}/signup/")
    page.get_by_label("Email").fill("jane@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Organization").fill("Jane's Bakery")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(f"{live_server.url}/o/janes-bakery/")
    assert page.get_by_role("heading", name="Jane's Bakery").is_visible()
    assert Organization.objects.filter(slug="janes-bakery").exists()


def test_a_user_logs_in_switches_organization_and_logs_out(
    live_server: Any, page: Any, owner: Any, org: Organization
) -> None:
    organization_create(name="Second Co", owner=owner, slug="second")
    page.goto(f"{live_server.url}/o/{org.slug}/")
    page.wait_for_url("**/accounts/login/**")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/o/{org.slug}/")

    page.locator("details.switcher summary").click()
    page.get_by_role("link", name="Second Co").click()
    page.wait_for_url(f"{live_server.url}/o/second/")
    assert page.get_by_role("heading", name="Second Co").is_visible()

    page.get_by_role("button", name=f"Log out {owner.email}").click()
    page.goto(f"{live_server.url}/o/second/")
    page.wait_for_url("**/accounts/login/**")


def test_an_admin_creates_and_revokes_an_api_key_in_place(
    live_server: Any, page: Any, owner: Any, org: Organization
) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/o/{org.slug}/api-keys/")
    page.get_by_label("Name").fill("Warehouse")
    page.get_by_role("button", name="Create key").click()
    assert page.locator("code.key").inner_text().startswith("nps_")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke").click()
    page.locator("text=revoked").wait_for()
    assert "Copy your new key" in page.content()  # no reload: htmx swapped the row only
