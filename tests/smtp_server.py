"""A real SMTP server on 127.0.0.1 that refuses mail while told to (451, as a
mail server under load or greylisting does) and keeps what it accepts."""

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Mailbox:
    port: int = 0
    refusing: bool = False
    refused: int = 0
    messages: list[bytes] = field(default_factory=list)


def _handler(mailbox: Mailbox) -> type[socketserver.StreamRequestHandler]:
    lock = threading.Lock()

    class Handler(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write(line.encode() + b"\r\n")

        def handle(self) -> None:
            self.reply("220 mail.test ESMTP")
            while line := self.rfile.readline():
                verb = line[:4].upper()
                if verb == b"MAIL" and mailbox.refusing:
                    with lock:
                        mailbox.refused += 1
                    self.reply("451 4.3.0 Try again later")
                elif verb == b"DATA":
                    self.reply("354 End data with <CR><LF>.<CR><LF>")
                    self.receive()
                elif verb == b"QUIT":
                    self.reply("221 Bye")
                    return
                else:  # EHLO, MAIL, RCPT, RSET, NOOP
                    self.reply("250 OK")

        def receive(self) -> None:
            lines = []
            while (line := self.rfile.readline()) not in (b".\r\n", b""):
                lines.append(line)
            with lock:
                mailbox.messages.append(b"".join(lines))
            self.reply("250 OK queued")

    return Handler


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True  # the same port again, for a server that comes back
    daemon_threads = True


@contextmanager
def smtp_server(*, port: int = 0, refusing: bool = False) -> Iterator[Mailbox]:
    mailbox = Mailbox(refusing=refusing)
    server = _Server(("127.0.0.1", port), _handler(mailbox))
    mailbox.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield mailbox
    finally:
        server.shutdown()
        server.server_close()
