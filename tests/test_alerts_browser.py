"""The alerts page in a real browser: add a Slack channel, test it, read the log."""

import os
from pathlib import Path
from typing import Any

import pytest

from alerts.models import Destination
from tenants.context import tenant_context
from tenants.models import Organization

from .alert_receiver import Receiver
from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).parent.parent / "test-artifacts"))


def test_the_owner_adds_a_slack_channel_and_sends_a_test_message(
    page: Any, live_server: Any, owner: Any, org: Organization, chat: Receiver
) -> None:
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/o/example/")
    page.get_by_role("link", name="Alerts").click()
    page.wait_for_url(f"{base}/o/example/alerts/")

    page.get_by_label("Name").fill("#customer-feedback")
    page.get_by_label("Incoming-webhook URL").fill(chat.url)
    page.get_by_label("Digest day").select_option(label="Friday")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_text("“#customer-feedback” added.").wait_for()
    with tenant_context(org):
        destination = Destination.objects.get()
    assert (destination.url, destination.digest_weekday) == (chat.url, 4)
    assert page.get_by_text(chat.url).count() == 0  # masked in the list

    page.get_by_role("button", name="Send test message").click()
    page.get_by_text("Test message sent to “#customer-feedback”.").wait_for()
    assert len(chat.received) == 1
    log = page.locator("#log tbody tr").first
    assert "Test message" in log.inner_text() and "200" in log.inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "alerts.png"), full_page=True)
