"""The widget's rate-limit counters on Redis: one script call for all of them,
sent whole to a server that does not know it yet, failing open when the
exchange breaks."""

import secrets
from typing import Any

import pytest
from redis.connection import Connection
from redis.exceptions import ConnectionError as RedisConnectionError

from responses import ratelimit

pytestmark = pytest.mark.redis


def counters(ident: str) -> list[ratelimit.Counter]:
    return [
        ratelimit.Counter("ip", ident, 2, 60),
        ratelimit.Counter("survey", ident, 5, 60),
    ]


def test_it_counts_every_counter_in_one_call_until_one_is_over() -> None:
    ident = secrets.token_hex(8)
    waits = [ratelimit.retry_after_all(counters=counters(ident)) for _ in range(3)]
    assert waits[:2] == [None, None]
    assert waits[2] is not None and 1 <= waits[2] <= 60


def test_it_sends_the_script_whole_to_a_server_that_lacks_it(monkeypatch: Any) -> None:
    # A hash no server knows stands for a server restarted since (NOSCRIPT).
    monkeypatch.setattr(ratelimit, "_COUNT_SHA", "0" * 40)
    ident = secrets.token_hex(8)
    assert ratelimit._hit([f"a:{ident}", f"b:{ident}"], timeouts=[60, 60]) == [1, 1]
    assert ratelimit._hit([f"a:{ident}", f"b:{ident}"], timeouts=[60, 60]) == [2, 2]


def test_it_lets_the_request_through_and_drops_the_connection_when_the_exchange_breaks(
    monkeypatch: Any, caplog: Any
) -> None:
    ratelimit.retry_after_all(counters=counters(secrets.token_hex(8)))  # a pooled connection
    dropped: list[Connection] = []

    def broken(self: Connection, *args: Any, **kwargs: Any) -> None:
        raise RedisConnectionError("reset by peer")

    monkeypatch.setattr(Connection, "send_command", broken)
    monkeypatch.setattr(Connection, "disconnect", lambda self, *a, **k: dropped.append(self))
    assert ratelimit.retry_after_all(counters=counters(secrets.token_hex(8))) is None
    assert len(dropped) == 1
    assert "rate limit cache unavailable" in caplog.text
