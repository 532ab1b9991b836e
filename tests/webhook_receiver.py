"""A real HTTP endpoint on 127.0.0.1 that records the webhooks it receives."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook as StandardWebhook


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int

    def verify(self, secret: str) -> Any:
        """The payload, if the signature holds; raises WebhookVerificationError otherwise."""
        return StandardWebhook(secret).verify(self.body, self.headers)


@dataclass
class Receiver:
    url: str
    # Status codes to answer, in order; 200 once they run out.
    answers: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    def next_answer(self) -> int:
        return self.answers.pop(0) if self.answers else 200


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                code = receiver.next_answer()
                receiver.received.append(Received(self.path, dict(self.headers), body, code))
            self.send_response(code)
            self.end_headers()
            self.wfile.write(b"ok" if code < 300 else b"try later")

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_receiver(answers: list[int] | None = None, *, port: int = 0) -> Iterator[Receiver]:
    """On `port`, or a free one; the same port again is an endpoint back up."""
    receiver = Receiver(url="", answers=list(answers or []))
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(receiver))
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/nps"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
