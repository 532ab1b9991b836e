import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.test.utils import override_settings

from .conftest import PASSWORD, make_user


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def attempt(email: str, password: str, *, ip: str = "203.0.113.7") -> Any:
    return Client(REMOTE_ADDR=ip).post(
        "/accounts/login/", {"username": email, "password": password}
    )


def logged_in(response: Any) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


def test_it_logs_in_after_a_few_failures_below_the_limit(owner: Any) -> None:
    for _ in range(4):
        assert attempt("owner@example.com", "wrong").status_code == 200
    assert logged_in(attempt("owner@example.com", PASSWORD))


def test_it_refuses_even_the_right_password_after_five_failures_for_one_email(
    owner: Any,
) -> None:
    for _ in range(5):
        assert attempt("owner@example.com", "wrong").status_code == 200
    response = attempt("owner@example.com", PASSWORD)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in response.client.session


def test_it_counts_an_email_whatever_its_case_or_client(owner: Any) -> None:
    for n in range(5):
        attempt("OWNER@Example.com ", "wrong", ip=f"198.51.100.{n}")
    assert attempt("owner@example.com", PASSWORD, ip="192.0.2.1").status_code == 429


def test_it_does_not_lock_out_another_account(owner: Any, member: Any) -> None:
    for _ in range(5):
        attempt("owner@example.com", "wrong")
    assert logged_in(attempt("member@example.com", PASSWORD))


def test_a_success_resets_the_email_counter(owner: Any) -> None:
    for _ in range(4):
        attempt("owner@example.com", "wrong")
    assert logged_in(attempt("owner@example.com", PASSWORD))
    for _ in range(4):
        attempt("owner@example.com", "wrong")
    assert logged_in(attempt("owner@example.com", PASSWORD))


@override_settings(LOGIN_MAX_FAILURES_PER_IP=30)
def test_it_refuses_a_client_ip_after_thirty_failures_across_emails(owner: Any) -> None:
    for n in range(30):
        assert attempt(f"guess{n}@example.com", "wrong").status_code == 200
    assert attempt("owner@example.com", PASSWORD).status_code == 429
    assert logged_in(attempt("owner@example.com", PASSWORD, ip="203.0.113.8"))


@override_settings(LOGIN_MAX_FAILURES_PER_EMAIL=2, LOGIN_LOCKOUT_SECONDS=1)
def test_the_lockout_ends_when_the_window_passes(owner: Any) -> None:
    attempt("owner@example.com", "wrong")
    attempt("owner@example.com", "wrong")
    assert attempt("owner@example.com", PASSWORD).status_code == 429
    time.sleep(2.1)
    assert logged_in(attempt("owner@example.com", PASSWORD))


@override_settings(LOGIN_MAX_FAILURES_PER_EMAIL=3)
def test_the_limits_come_from_settings(owner: Any) -> None:
    for _ in range(3):
        attempt("owner@example.com", "wrong")
    assert attempt("owner@example.com", PASSWORD).status_code == 429


def test_password_reset_answers_alike_for_known_and_unknown_emails(owner: Any) -> None:
    known = Client().post("/accounts/password_reset/", {"email": "owner@example.com"})
    unknown = Client().post("/accounts/password_reset/", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["owner@example.com"]
    page = Client().get(known["Location"]).content.decode()
    assert "owner@example.com" not in page


def test_a_locked_out_login_reveals_nothing_about_the_account(db: None) -> None:
    make_user("real@example.com")
    for _ in range(5):
        attempt("real@example.com", "wrong")
        attempt("ghost@example.com", "wrong", ip="203.0.113.9")
    locked_real = attempt("real@example.com", "wrong", ip="192.0.2.10")
    locked_ghost = attempt("ghost@example.com", "wrong", ip="192.0.2.10")
    assert locked_real.status_code == locked_ghost.status_code == 429
    for response in (locked_real, locked_ghost):
        page = response.content.decode()
        assert "Too many failed attempts" in page
        assert "correct email" not in page.lower()
