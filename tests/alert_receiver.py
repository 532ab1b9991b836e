"""A real HTTP receiver on 127.0.0.1 standing in for Slack's and Teams' webhooks."""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Receiver:
    url: str
    # Statuses answered in turn; once used up, every request gets 200.
    statuses: list[int] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def answer_with(self, *statuses: int) -> None:
        self.statuses[:] = statuses


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            receiver.received.append(json.loads(body))
            receiver.paths.append(self.path)
            receiver.headers.append(dict(self.headers))
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok" if status < 400 else b"no_service")

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def chat(settings: Any) -> Iterator[Receiver]:
    """A chat's incoming webhook on loopback (outbound posts allowed to reach it)."""
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = True
    receiver = Receiver(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/services/T0/B0/secret"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()
