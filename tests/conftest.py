"""Shared fixtures: three users (an owner, a member, an outsider) and real services.

Tests marked `postgres`, `redis`, `browser` or `worker` skip when that service
is missing, unless REQUIRE_SERVICES=1 makes a missing service a failure.
"""

import os
import shutil
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from tenants.context import tenant_context
from tenants.models import Organization, Role
from tenants.services import api_key_create, organization_create

from .alert_receiver import chat  # noqa: F401  (a fixture)

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "a-long-test-password"

# Playwright's sync API runs an event loop in the test thread; the ORM calls the
# tests make around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _missing_services(item: pytest.Item) -> list[str]:
    missing = []
    if item.get_closest_marker("postgres") and not settings.USES_POSTGRES:
        missing.append("PostgreSQL (set DATABASE_URL)")
    if item.get_closest_marker("redis") and not settings.USES_REDIS:
        missing.append("Redis (set REDIS_URL)")
    if item.get_closest_marker("worker") and not settings.USES_REDIS:
        missing.append("a Redis broker for the Celery worker (set REDIS_URL)")
    if item.get_closest_marker("browser") and not shutil.which(CHROMIUM):
        missing.append(f"Chromium at {CHROMIUM}")
    return missing


def pytest_runtest_setup(item: pytest.Item) -> None:
    missing = _missing_services(item)
    if not missing:
        return
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"REQUIRE_SERVICES=1 but missing: {', '.join(missing)}", pytrace=False)
    pytest.skip(f"missing: {', '.join(missing)}")


def make_user(email: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(username=email, email=email, password=PASSWORD)


@pytest.fixture(autouse=True)
def fresh_counters() -> None:
    """Each test starts with empty rate-limit and login-failure counters, whatever
    ran before it (the widget's per-IP budget is shared by every test client)."""
    backend: Any = cache
    if not hasattr(backend, "_cache") or not hasattr(backend._cache, "get_client"):
        cache.clear()  # local memory
        return
    # Redis: only our cache's keys. The Celery broker shares the database, and
    # flushing its routing keys would make later publishes vanish.
    client = backend._cache.get_client(None, write=True)
    keys = list(client.scan_iter(match=backend.make_key("*")))
    if keys:
        client.delete(*keys)


@pytest.fixture
def owner(db: None) -> Any:
    return make_user("owner@example.com")


@pytest.fixture
def org(owner: Any) -> Organization:
    return organization_create(name="Example Inc", owner=owner, slug="example")


@pytest.fixture
def member(org: Organization) -> Any:
    user = make_user("member@example.com")
    org.memberships.create(user=user, role=Role.VIEWER)
    return user


@pytest.fixture
def admin_user(org: Organization) -> Any:
    user = make_user("admin@example.com")
    org.memberships.create(user=user, role=Role.ADMIN)
    return user


@pytest.fixture
def outsider(db: None) -> Any:
    """Owner of another organization: must see nothing of `org`."""
    return make_user("outsider@other.test")


@pytest.fixture
def other_org(outsider: Any) -> Organization:
    return organization_create(name="Other Ltd", owner=outsider, slug="other")


def _client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(owner: Any, org: Organization) -> Client:
    return _client_for(owner)


@pytest.fixture
def member_client(member: Any) -> Client:
    return _client_for(member)


@pytest.fixture
def outsider_client(outsider: Any, other_org: Organization) -> Client:
    return _client_for(outsider)


@pytest.fixture
def in_org(org: Organization) -> Iterator[Organization]:
    """Run the test body inside `org`'s tenant context."""
    with tenant_context(org):
        yield org


@pytest.fixture
def api_key(org: Organization) -> str:
    return api_key_create(organization=org, name="test key")[1]


@pytest.fixture
def read_only_key(org: Organization) -> str:
    return api_key_create(organization=org, name="read-only key", read_only=True)[1]


@pytest.fixture
def other_api_key(other_org: Organization) -> str:
    return api_key_create(organization=other_org, name="outsider key")[1]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def survey(org: Organization) -> Any:
    """A customer NPS survey of `org`, embeddable from https://app.example.com."""
    from surveys.services import survey_create

    return survey_create(
        organization=org,
        kind="customer",
        name="Product NPS",
        product_name="Example App",
        allowed_origins=["https://app.example.com"],
    )


@pytest.fixture
def worker() -> Iterator[Any]:
    """A real Celery worker in this process, on the configured (Redis) broker."""
    from celery.contrib.testing.worker import start_worker

    from nps_site.celery import app

    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as w:
            yield w
    finally:
        app.conf.task_always_eager = True


def wait_until(check: Any, timeout: float = 20) -> None:
    """Polls `check` until it holds: the worker runs beside the test, not inside it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    pytest.fail("the worker did not do the work in time")


@pytest.fixture(autouse=True)
def setup_sees_every_organization() -> Iterator[None]:
    """Test bodies arrange rows of several organizations, as an operator would.

    Only the test's own thread is lifted above row-level security: every
    request (the middleware) and every task starts strict, and so does a live
    server's thread or a worker, so the code under test meets the policies.
    """
    from tenants.context import all_tenants

    with all_tenants():
        yield
