"""Outbound POSTs (webhooks, chat alerts) never reach the inside network."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from integrations import outbound


class _Recorder(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, str], bytes]]

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.received.append((self.path, dict(self.headers), self.rfile.read(length)))
        self.send_response(202)
        self.end_headers()
        self.wfile.write(b"thanks")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[Any]]]:
    received: list[Any] = []
    handler = type("Handler", (_Recorder,), {"received": received})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_it_refuses_private_loopback_and_link_local_targets(url: str) -> None:
    with pytest.raises(outbound.UnsafeUrl):
        outbound.check_url(url)


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "http://", "hook"])
def test_it_refuses_urls_that_are_not_http(url: str) -> None:
    with pytest.raises(outbound.UnsafeUrl):
        outbound.check_url(url)


def test_it_accepts_a_public_address() -> None:
    outbound.check_url("https://93.184.215.14/hook")


def test_a_refused_post_sends_nothing_and_says_why(receiver: tuple[str, list[Any]]) -> None:
    url, received = receiver
    outcome = outbound.post(url=url + "/hook", body=b"{}", headers={})
    assert outcome.status is None and not outcome.ok
    assert "private" in outcome.detail
    assert received == []


def test_it_posts_to_loopback_when_an_operator_allows_it(
    receiver: tuple[str, list[Any]], settings: Any
) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = True
    url, received = receiver
    outcome = outbound.post(
        url=url + "/hook?x=1", body=b'{"a": 1}', headers={"Content-Type": "application/json"}
    )
    assert outcome.ok and outcome.status == 202 and outcome.detail == "thanks"
    [(path, headers, body)] = received
    assert path == "/hook?x=1" and body == b'{"a": 1}'
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == outbound.USER_AGENT


def test_a_receiver_that_is_down_is_an_outcome_not_an_error(settings: Any) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = True
    outcome = outbound.post(url="http://127.0.0.1:9/hook", body=b"{}", headers={}, timeout=2)
    assert outcome.status is None and "Error" in outcome.detail
