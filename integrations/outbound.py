"""Outbound HTTP for webhooks and chat alerts, never to the inside network.

A tenant chooses the URL, so a careless check would let them reach our own
private services (SSRF). Every address the host resolves to must be public,
and the connection goes to the address that was checked, so a DNS answer that
changes between the check and the request cannot slip through.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

USER_AGENT = "NPS-Webhooks/1.0"
MAX_BODY_KEPT = 1000


class UnsafeUrl(ValueError):
    """The URL is malformed, not HTTP(S), or points inside a private network."""


@dataclass(frozen=True)
class Outcome:
    status: int | None  # None when no HTTP answer came back
    elapsed_ms: int
    detail: str  # the start of the answer's body, or what went wrong

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int
    address: str
    path: str


def check_url(url: str) -> None:
    """Raises UnsafeUrl unless a POST to `url` may be sent."""
    _target(url)


def post(*, url: str, body: bytes, headers: dict[str, str], timeout: float = 10.0) -> Outcome:
    """POSTs `body`; network errors and refusals come back as an Outcome."""
    started = time.monotonic()
    try:
        target = _target(url)
        status, detail = _send(target, body, headers, timeout)
    except UnsafeUrl as exc:
        return Outcome(status=None, elapsed_ms=0, detail=f"Refused: {exc}")
    except (OSError, http.client.HTTPException) as exc:
        status, detail = None, f"{type(exc).__name__}: {exc}"[:MAX_BODY_KEPT]
    return Outcome(status=status, elapsed_ms=_ms_since(started), detail=detail)


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _target(url: str) -> _Target:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrl("Use an http:// or https:// URL with a host name.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeUrl("The port is not valid.") from exc
    address = _public_address(parts.hostname, port)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return _Target(parts.scheme, parts.hostname, port, address, path)


def _public_address(host: str, port: int) -> str:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrl(f"The host {host!r} does not resolve.") from exc
    addresses = [str(info[4][0]) for info in found]
    if not settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS:
        for address in addresses:
            if not _is_public(address):
                raise UnsafeUrl(f"{host} resolves to {address}, a private or reserved address.")
    return addresses[0]


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def _send(target: _Target, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, str]:
    connection = _connection(target, timeout)
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={"Host": _host_header(target), "User-Agent": USER_AGENT, **headers},
        )
        answer = connection.getresponse()
        return answer.status, answer.read(MAX_BODY_KEPT).decode("utf-8", "replace")
    finally:
        connection.close()


def _host_header(target: _Target) -> str:
    default = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port == default else f"{host}:{target.port}"


def _connection(target: _Target, timeout: float) -> http.client.HTTPConnection:
    if target.scheme == "https":
        return _PinnedHTTPSConnection(target, timeout)
    return http.client.HTTPConnection(target.address, target.port, timeout=timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to the checked address while verifying the certificate of the host name."""

    def __init__(self, target: _Target, timeout: float) -> None:
        super().__init__(target.address, target.port, timeout=timeout)
        self._server_name = target.host
        self._tls = ssl.create_default_context()

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self._server_name)
