"""The testimonial wall and the widget's consent step in a real Chromium, on a
third-party page: the host page is served from 127.0.0.1 on its own port, the
app from the live server, so every request is a real cross-origin one."""

from typing import Any

import pytest

from responses.models import Response
from responses.services import answer_record
from surveys.models import Survey
from tenants.context import tenant_context
from tenants.models import Organization
from testimonials import services
from testimonials.models import Status
from testimonials.models import Testimonial as Quote

from .test_widget_browser import (  # noqa: F401  (fixtures)
    PAGES,
    embedded,
    eventually,
    generous_rate_limits,
    host,
    host_origin,
    page,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

XSS_QUOTE = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script> works'
XSS_NAME = '"><svg onload=window.__xss=1>'


def _quote(survey: Survey, n: int, comment: str, name: str, status: str, **extra: str) -> Quote:
    response, _ = answer_record(
        survey=survey, respondent=None, client_id=f"wall-{n:016d}", score=10, comment=comment
    )
    testimonial = services.testimonial_consent(
        response=response, attribution=services.Attribution(name=name, **extra), language="en"
    )
    if status in (Status.APPROVED, Status.WITHDRAWN):
        services.testimonial_review(testimonial=testimonial, status=Status.APPROVED, reviewer=None)
    if status == Status.WITHDRAWN:
        services.testimonial_withdraw(testimonial=testimonial)
    return testimonial


def test_the_wall_shows_approved_testimonials_as_text_on_another_site(
    page: Any,  # noqa: F811  (fixtures imported above)
    live_server: Any,
    host_origin: str,  # noqa: F811
    org: Organization,
    embedded: Survey,  # noqa: F811
) -> None:
    with tenant_context(org):
        services.consent_ask_set(survey=embedded, enabled=True)
        wall = services.wall_of(organization=org)
        services.wall_update(
            wall=wall,
            heading="What customers say",
            accent_color="#0a7d38",
            allowed_origins=[host_origin],
        )
        _quote(
            embedded,
            1,
            "Fast and friendly support.",
            "Ada Lovelace",
            Status.APPROVED,
            title="CTO",
            company="Engines",
        )
        _quote(embedded, 2, XSS_QUOTE, XSS_NAME, Status.APPROVED, company="<b>Evil</b>")
        _quote(embedded, 3, "I changed my mind.", "Withdrawn Person", Status.WITHDRAWN)
        _quote(embedded, 4, "Not reviewed yet.", "Pending Person", Status.PENDING)
    # The host's own policy is strict: scripts and fetches from the app only, no inline styles.
    policy = (
        f"default-src 'none'; script-src {live_server.url}; connect-src {live_server.url}; "
        "style-src 'self'"
    )
    PAGES["/wall.html"] = (
        f'<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="{policy}">'
        "<title>Marketing</title></head><body><h1>Our customers</h1>"
        f'<script async src="{live_server.url}/testimonials.js" data-wall="{wall.public_key}">'
        "</script></body></html>"
    )
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Refused" in m.text else None)
    page.goto(f"{host_origin}/wall.html")
    cards = page.locator("nps-testimonials li")
    cards.nth(1).wait_for()
    assert cards.count() == 2
    text = page.locator("nps-testimonials section").inner_text()
    assert (
        "Fast and friendly support." in text and "Ada Lovelace" in text and "CTO, Engines" in text
    )
    assert XSS_QUOTE in text and XSS_NAME in text and "<b>Evil</b>" in text
    assert "What customers say" in text
    assert "changed my mind" not in text and "Not reviewed" not in text
    assert page.evaluate("window.__xss") is None
    shadow = "document.querySelector('nps-testimonials').shadowRoot"
    assert page.evaluate(f"{shadow}.querySelectorAll('img,script,svg,b b').length") == 0
    # Styled despite the host's policy: the accent comes from the wall's settings.
    border = cards.first.evaluate("e => getComputedStyle(e).borderTopColor")
    assert border == "rgb(10, 125, 56)"
    assert refused == []


def test_a_promoter_consents_in_the_widget_and_gets_a_withdraw_link(
    page: Any,  # noqa: F811
    host: Any,  # noqa: F811
    org: Organization,
    embedded: Survey,  # noqa: F811
) -> None:
    with tenant_context(org):
        services.consent_ask_set(survey=embedded, enabled=True)
    page.goto(host(embedded, attrs='data-user-id="u-7" data-user-name="Grace Hopper"'))
    page.get_by_text("10", exact=True).click()
    page.get_by_label("Great to hear! What do you like most about Example App?").fill(
        "<i>Superb</i>"
    )
    page.get_by_role("button", name="Send").click()
    page.locator("nps-widget p.t", has_text="May we quote you?").wait_for()
    assert page.get_by_label("Your name").input_value() == "Grace Hopper"
    assert page.locator("nps-widget blockquote").inner_text() == "<i>Superb</i>"
    page.get_by_label("Company (optional)").fill("Navy")
    page.get_by_role("button", name="Yes, publish it").click()
    link = page.get_by_role("link", name="withdraw my consent")
    link.wait_for()

    def stored() -> Quote:
        with tenant_context(org):
            return Quote.objects.select_related("response").get()

    testimonial = eventually(stored)
    assert (testimonial.name, testimonial.company, testimonial.quote) == (
        "Grace Hopper",
        "Navy",
        "<i>Superb</i>",
    )
    assert link.get_attribute("href").endswith(f"/t/withdraw/{testimonial.withdraw_token}")
    with tenant_context(org):
        assert Response.objects.get().comment == "<i>Superb</i>"
