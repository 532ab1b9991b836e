"""The survey pages in a real Chromium: the widget preview follows the accent
colour as it is picked, and the snippet's copy button confirms the copy."""

import os
from typing import Any

import pytest

from tenants.models import Organization

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = os.environ.get("SURVEY_SCREENSHOTS", "")


def log_in(page: Any, live_server: Any, user: Any) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/o/**")


def shot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)


def send_background(page: Any) -> str:
    # CSS selectors pierce the preview's open shadow root.
    return str(
        page.locator("#widget-preview .p").evaluate("b => getComputedStyle(b).backgroundColor")
    )


def test_an_admin_sees_the_preview_follow_the_accent_colour(
    live_server: Any, page: Any, owner: Any, org: Organization, survey: Any
) -> None:
    log_in(page, live_server, owner)
    page.goto(f"{live_server.url}/o/{org.slug}/surveys/{survey.pk}/")
    assert send_background(page) == "rgb(37, 99, 235)"  # the saved #2563eb
    shot(page, "edit")

    page.get_by_label("Accent colour").fill("#ff0066")
    page.wait_for_function(
        "getComputedStyle(document.querySelector('#widget-preview').shadowRoot"
        ".querySelector('.p')).backgroundColor === 'rgb(255, 0, 102)'"
    )
    page.get_by_label("Bottom left").check()
    assert "l" in page.locator("#widget-preview section.w").get_attribute("class").split()

    page.get_by_role("button", name="Save survey").click()
    page.wait_for_url(f"**/surveys/{survey.pk}/")
    assert send_background(page) == "rgb(255, 0, 102)"
    survey.refresh_from_db()
    assert (survey.accent_color, survey.position) == ("#ff0066", "bottom-left")


def test_the_copy_button_copies_the_snippet_and_says_so(
    live_server: Any, page: Any, owner: Any, org: Organization, survey: Any
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    log_in(page, live_server, owner)
    page.goto(f"{live_server.url}/o/{org.slug}/surveys/{survey.pk}/install/")
    page.locator("button[data-copy='snippet-anonymous']").click()
    status = page.locator("#snippet-anonymous-status")
    status.get_by_text("Copied").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert f'data-survey="{survey.public_key}"' in copied
    assert f'src="{live_server.url}/widget.js"' in copied
    shot(page, "install")
