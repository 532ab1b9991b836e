"""A reused PostgreSQL connection's health check at the start of a request: no
round trip while the server has said nothing, a real check when it has."""

import select
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def reused() -> Iterator[Any]:
    """A connection of its own, as a web process keeps one between requests."""
    wrapper = connections.create_connection(DEFAULT_DB_ALIAS)
    wrapper.health_check_enabled = True
    wrapper.ensure_connection()
    try:
        yield wrapper
    finally:
        wrapper.close()


def next_request(wrapper: Any) -> None:
    """What Django does when a request starts (persistent connections), and
    when that request first opens a cursor."""
    wrapper.close_at = None
    wrapper.close_if_unusable_or_obsolete()
    wrapper.cursor().close()


def backend_pid(wrapper: Any) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def checks_asked(wrapper: Any, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    asked: list[bool] = []
    usable = wrapper.is_usable

    def counted() -> bool:
        asked.append(usable())
        return asked[-1]

    monkeypatch.setattr(wrapper, "is_usable", counted)
    return asked


def test_it_reuses_a_quiet_connection_without_asking_the_server(
    reused: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = backend_pid(reused)
    asked = checks_asked(reused, monkeypatch)
    next_request(reused)
    assert asked == []
    assert reused.health_check_done
    assert backend_pid(reused) == pid


def test_it_replaces_a_connection_the_server_terminated(
    reused: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = backend_pid(reused)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    # The server's goodbye reaches the socket shortly after.
    assert select.select([reused.connection.fileno()], [], [], 5)[0]
    asked = checks_asked(reused, monkeypatch)
    next_request(reused)
    assert asked == [False]
    new_pid = backend_pid(reused)
    assert new_pid != pid


def test_it_asks_the_server_when_a_transaction_is_open(
    reused: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    reused.ensure_connection()
    with reused.connection.cursor() as cursor:
        cursor.execute("BEGIN")
    asked = checks_asked(reused, monkeypatch)
    reused.health_check_done = False
    reused.close_if_health_check_failed()
    assert asked == [True]
    reused.connection.rollback()


def test_it_asks_the_server_when_it_has_something_waiting(
    reused: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = backend_pid(reused)
    with reused.connection.cursor() as cursor:
        cursor.execute("LISTEN nps_health")
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:  # autocommit: the notice leaves at once
            cursor.execute("NOTIFY nps_health")
    finally:
        other.close()
    assert select.select([reused.connection.fileno()], [], [], 5)[0]
    asked = checks_asked(reused, monkeypatch)
    next_request(reused)
    assert asked == [True]
    assert backend_pid(reused) == pid
