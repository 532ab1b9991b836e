"""The widget in a real Chromium, embedded by a third-party page.

The host page is served by a small HTTP server on 127.0.0.1 while the app runs
on `localhost` (pytest-django's live server): two origins, so every request
the widget makes is a real cross-origin one. Time is moved by ageing the
stored rows, never by sleeping.
"""

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import pytest
from django.db import OperationalError
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError

from responses.models import PromptEvent, Respondent, Response
from surveys.install import snippet
from surveys.models import Survey
from surveys.services import survey_create
from tenants.context import tenant_context
from tenants.models import Organization

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

T = TypeVar("T")
DASH = "\u2013"  # the en dash of the scale's end labels
OUTBOX_EMPTY = "['{}', null].includes(localStorage.getItem('nps_outbox'))"
PAGES: dict[str, str] = {}
HOSTILE_CSS = """
* { font-size: 31px !important; color: red !important; line-height: 3 !important;
    letter-spacing: 4px !important; box-sizing: content-box !important; }
nps-widget { display: none !important; transform: scale(0.2) !important; opacity: 0 !important; }
div, section, label, span, button { padding: 40px !important; background: lime !important; }
body { font-family: serif !important; }
"""


class _HostPages(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        page = PAGES.get(self.path.split("?")[0])
        self.send_response(200 if page else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write((page or "not found").encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def host_origin() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HostPages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(autouse=True)
def generous_rate_limits(settings: Any) -> None:
    settings.WIDGET_RATE_LIMIT_PER_IP = (100_000, 60)
    settings.WIDGET_RATE_LIMIT_PER_SURVEY = (100_000, 60)


@pytest.fixture
def page(page: Any) -> Iterator[Any]:
    """The shared page fixture, left only once its requests are over: a request
    still running at teardown would land in the next test's database."""
    pending: set[Any] = set()
    page.on("request", lambda request: pending.add(request))
    page.on("requestfinished", lambda request: pending.discard(request))
    page.on("requestfailed", lambda request: pending.discard(request))
    yield page
    with contextlib.suppress(PlaywrightError):  # pages that never loaded the widget
        page.wait_for_function(OUTBOX_EMPTY, timeout=3_000)  # debounced answers go out
    deadline = time.monotonic() + 5
    while pending and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    page.goto("about:blank")  # stops the widget's timers before the database is reset


@pytest.fixture
def embedded(org: Organization, host_origin: str) -> Survey:
    return survey_create(
        organization=org,
        kind="customer",
        name="Product NPS",
        product_name="Example App",
        allowed_origins=[host_origin],
    )


@pytest.fixture
def host(live_server: Any, host_origin: str) -> Callable[..., str]:
    """Publishes a host page embedding the widget; returns its URL."""

    def publish(survey: Survey, *, attrs: str = "", head: str = "", body: str = "") -> str:
        path = f"/page-{len(PAGES)}.html"
        PAGES[path] = (
            f"<!doctype html><html><head><title>Host</title>{head}</head><body>"
            f"<h1>Host application</h1>{body}"
            f'<script async src="{live_server.url}/widget.js" '
            f'data-survey="{survey.public_key}" {attrs}></script></body></html>'
        )
        return host_origin + path

    return publish


def eventually(check: Callable[[], T], timeout: float = 5.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except OperationalError as error:
            # The embedded run's in-memory SQLite locks a table while the live
            # server writes it, instead of waiting: read again in a moment.
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
            continue
        if result or time.monotonic() > deadline:
            assert result, "the condition never came true"
            return result
        time.sleep(0.05)


def in_org(survey: Survey, query: Callable[[], T]) -> T:
    with tenant_context(survey.organization):
        return query()


def age(survey: Survey, days: int) -> None:
    """Moves everything that happened to this survey `days` into the past."""
    past = timezone.now() - timedelta(days=days)
    with tenant_context(survey.organization):
        PromptEvent.objects.filter(survey=survey).update(created_at=past)
        Response.objects.filter(survey=survey).update(created_at=past)


def open_page(page: Any, url: str) -> dict[str, Any]:
    """Loads the host page and returns the widget's decision."""
    with page.expect_response(lambda r: r.url.endswith("/config")) as info:
        page.goto(url)
    decision: dict[str, Any] = info.value.json()
    if decision["show"]:
        page.locator("nps-widget").wait_for(state="attached")
    return decision


def widget_count(page: Any) -> int:
    return int(page.locator("nps-widget").count())


def test_it_shows_the_prompt_and_answers_with_the_keyboard_only(
    page: Any, host: Callable[..., str], embedded: Survey
) -> None:
    decision = open_page(page, host(embedded))
    assert decision["show"] is True
    page.get_by_role("radio", name=f"0 {DASH} Not at all likely").wait_for(state="attached")
    page.keyboard.press("Tab")
    focused = "() => document.querySelector('nps-widget').shadowRoot.activeElement"
    assert page.evaluate(f"({focused})().value") == "0"
    outline = page.evaluate(f"getComputedStyle(({focused})().nextElementSibling).outlineStyle")
    assert outline == "solid"  # the focus is visible
    for _ in range(9):
        page.keyboard.press("ArrowRight")
    assert page.get_by_role("radio", name="9").is_checked()
    page.keyboard.press("Tab")
    page.keyboard.type("Fast & <b>simple</b>")
    page.keyboard.press("Tab")  # Skip
    page.keyboard.press("Tab")  # Send
    page.keyboard.press("Enter")
    page.get_by_text("Thank you for your feedback!").wait_for()
    answer = eventually(
        lambda: in_org(embedded, lambda: Response.objects.filter(comment__gt="").first())
    )
    assert (answer.score, answer.comment, answer.channel) == (9, "Fast & <b>simple</b>", "widget")
    assert in_org(embedded, lambda: Response.objects.count()) == 1
    kinds = in_org(embedded, lambda: set(PromptEvent.objects.values_list("kind", flat=True)))
    assert kinds == {"display", "answer"}


def test_it_shows_the_prompt_from_the_snippet_the_install_page_gives(
    page: Any, live_server: Any, host_origin: str, embedded: Survey
) -> None:
    path = "/page-snippet.html"
    code = snippet(
        script_url=f"{live_server.url}/widget.js", public_key=embedded.public_key, identified=False
    )
    assert 'crossorigin="anonymous"' in code
    PAGES[path] = f"<!doctype html><html><head><title>Host</title></head><body>{code}</body></html>"
    assert open_page(page, host_origin + path)["show"] is True
    page.get_by_role("radio", name="7").wait_for(state="attached")
    display = lambda: PromptEvent.objects.filter(kind="display").count()  # noqa: E731
    assert eventually(lambda: in_org(embedded, display)) == 1


def test_it_asks_whether_to_prompt_before_resending_kept_answers(
    page: Any, host: Callable[..., str], embedded: Survey
) -> None:
    open_page(page, host(embedded))
    page.route("**/answer", lambda route: route.abort())
    page.get_by_text("3", exact=True).click()
    page.get_by_role("button", name="Skip").click()
    page.wait_for_timeout(300)
    page.unroute("**/answer")
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url.rsplit("/", 1)[-1]))
    page.reload()
    page.wait_for_function(OUTBOX_EMPTY)
    assert [name for name in sent if name in ("config", "answer")][:2] == ["config", "answer"]
    assert in_org(embedded, lambda: Response.objects.filter(score=3).count()) == 1


def test_it_announces_the_follow_up_to_screen_readers(
    page: Any, host: Callable[..., str], embedded: Survey
) -> None:
    open_page(page, host(embedded))
    page.get_by_role("radio", name="3").check()
    live = page.locator("nps-widget [aria-live=polite]")
    assert "What disappointed you most?" in live.inner_text()
    assert page.get_by_label("We're sorry to hear that. What disappointed you most?").is_visible()


def test_it_updates_the_same_answer_when_the_score_changes(
    page: Any, host: Callable[..., str], embedded: Survey
) -> None:
    open_page(page, host(embedded))
    page.get_by_text("4", exact=True).click()
    eventually(lambda: in_org(embedded, lambda: Response.objects.filter(score=4).exists()))
    page.get_by_text("8", exact=True).click()
    page.get_by_role("button", name="Skip").click()
    eventually(lambda: in_org(embedded, lambda: Response.objects.filter(score=8).exists()))
    assert in_org(embedded, lambda: Response.objects.count()) == 1


def test_it_hides_after_not_now_and_returns_after_the_period(
    page: Any, host: Callable[..., str], embedded: Survey
) -> None:
    url = host(embedded)
    open_page(page, url)
    page.get_by_role("button", name="Not now").first.click()
    assert widget_count(page) == 0
    eventually(
        lambda: in_org(embedded, lambda: PromptEvent.objects.filter(kind="not_now").exists())
    )
    assert open_page(page, url)["reason"] == "not_now"
    assert widget_count(page) == 0
    age(embedded, days=9)
    assert open_page(page, url)["show"] is False
    age(embedded, days=10)
    assert open_page(page, url)["show"] is True
    assert widget_count(page) == 1


def test_it_never_asks_again_after_dont_ask_me_again(
    page: Any, host: Callable[..., str], embedded: Survey
) -> None:
    url = host(embedded)
    open_page(page, url)
    page.get_by_role("button", name="Don't ask me again").click()
    assert widget_count(page) == 0
    eventually(lambda: in_org(embedded, lambda: PromptEvent.objects.filter(kind="never").exists()))
    age(embedded, days=3000)
    assert open_page(page, url)["reason"] == "never"
    assert widget_count(page) == 0


def test_it_hides_after_an_answer_and_asks_again_after_the_period(
    page: Any, host: Callable[..., str], embedded: Survey
) -> None:
    url = host(embedded)
    open_page(page, url)
    page.get_by_text("7", exact=True).click()
    page.get_by_role("button", name="Skip").click()
    eventually(lambda: in_org(embedded, lambda: Response.objects.exists()))
    assert open_page(page, url)["reason"] == "answered_recently"
    assert widget_count(page) == 0
    age(embedded, days=89)
    assert open_page(page, url)["show"] is False
    age(embedded, days=90)
    assert open_page(page, url)["show"] is True
    assert widget_count(page) == 1


WIDGET_STYLE = """() => {
  const root = document.querySelector('nps-widget').shadowRoot;
  const pick = (el) => { const s = getComputedStyle(el), r = el.getBoundingClientRect();
    return [s.fontSize, s.color, s.fontFamily, s.backgroundColor, s.padding, s.letterSpacing,
            Math.round(r.width), Math.round(r.height)]; };
  const host = getComputedStyle(document.querySelector('nps-widget'));
  return {host: [host.display, host.opacity, host.transform],
          section: pick(root.querySelector('section')),
          legend: pick(root.querySelector('legend')),
          score: pick(root.querySelector('label span')),
          button: pick(root.querySelector('button'))};
}"""


def test_it_is_not_changed_by_hostile_host_css(
    page: Any, host: Callable[..., str], embedded: Survey
) -> None:
    open_page(page, host(embedded))
    clean = page.evaluate(WIDGET_STYLE)
    open_page(page, host(embedded, head=f"<style>{HOSTILE_CSS}</style>"))
    assert page.evaluate(WIDGET_STYLE) == clean
    assert page.get_by_text("10", exact=True).is_visible()


def test_it_refuses_a_forbidden_origin(
    page: Any, host: Callable[..., str], org: Organization
) -> None:
    elsewhere = survey_create(
        organization=org,
        kind="customer",
        name="Elsewhere",
        allowed_origins=["https://app.example.com"],
    )
    warnings: list[str] = []
    errors: list[str] = []
    page.on("console", lambda m: m.type == "warning" and warnings.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    with page.expect_console_message(lambda m: m.text.startswith("[nps]")):
        page.goto(host(elsewhere))
    page.wait_for_timeout(100)
    assert widget_count(page) == 0
    assert errors == []
    assert len([w for w in warnings if w.startswith("[nps]")]) == 1
    assert in_org(elsewhere, lambda: Respondent.objects.count()) == 0


def test_it_stays_silent_when_the_server_is_down(
    page: Any, host: Callable[..., str], embedded: Survey
) -> None:
    warnings: list[str] = []
    errors: list[str] = []
    page.on("console", lambda m: m.type == "warning" and warnings.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/w/**", lambda route: route.abort())
    page.goto(host(embedded))
    page.wait_for_timeout(300)
    assert widget_count(page) == 0
    assert errors == []
    assert len(warnings) == 1


def test_it_resends_an_answer_that_failed_on_the_next_page_load(
    page: Any, host: Callable[..., str], embedded: Survey
) -> None:
    open_page(page, host(embedded))
    page.route("**/answer", lambda route: route.abort())
    page.get_by_text("10", exact=True).click()
    page.get_by_role("button", name="Skip").click()
    page.wait_for_timeout(300)
    assert in_org(embedded, lambda: Response.objects.count()) == 0
    kept = page.evaluate("localStorage.getItem('nps_outbox')")
    assert '"s":10' in kept
    page.unroute("**/answer")
    # The next page does not prompt: only the kept answer is sent.
    page.goto(host(embedded, attrs='data-auto="false"'))
    page.wait_for_function(OUTBOX_EMPTY)
    assert in_org(embedded, lambda: Response.objects.filter(score=10).count()) == 1
    # Sent again (say its acknowledgement was lost): still one answer.
    page.evaluate("kept => localStorage.setItem('nps_outbox', kept)", kept)
    page.reload()
    page.wait_for_function(OUTBOX_EMPTY)
    assert in_org(embedded, lambda: Response.objects.count()) == 1


def test_it_fits_a_320_pixel_phone_and_respects_reduced_motion(
    page: Any, host: Callable[..., str], embedded: Survey
) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    page.emulate_media(reduced_motion="reduce")
    open_page(page, host(embedded))
    boxes = [page.get_by_text(str(n), exact=True).bounding_box() for n in range(11)]
    assert all(box["x"] >= 0 and box["x"] + box["width"] <= 320 for box in boxes)
    assert min(box["width"] for box in boxes) >= 20
    animation = page.evaluate(
        "getComputedStyle(document.querySelector('nps-widget').shadowRoot.querySelector('section'))"
        ".animationName"
    )
    assert animation == "none"


def test_it_identifies_and_shows_on_demand_through_the_js_api(
    page: Any, host: Callable[..., str], embedded: Survey
) -> None:
    stub = (
        "<script>window.nps=window.nps||function(){(nps.q=nps.q||[]).push(arguments)};"
        "nps('identify',{id:'u-5',email:'ada@example.com',traits:{plan:'pro'}});</script>"
    )
    button = "<button onclick=\"nps('show')\">Checkout</button>"
    url = host(embedded, head=stub, body=button, attrs='data-auto="false"')
    page.goto(url)
    page.wait_for_timeout(300)
    assert widget_count(page) == 0
    with page.expect_response(lambda r: r.url.endswith("/config")):
        page.get_by_role("button", name="Checkout").click()
    page.get_by_role("radio", name="5").wait_for(state="attached")
    person = in_org(embedded, lambda: Respondent.objects.get())
    assert (person.external_id, person.email, person.traits) == (
        "u-5",
        "ada@example.com",
        {"plan": "pro"},
    )
