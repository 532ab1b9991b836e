"""Secrets shown once and stored only as HMACs: API keys and invitation tokens."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings

API_KEY_PREFIX = "nps_"


@dataclass(frozen=True)
class NewKey:
    raw: str
    prefix: str
    hashed: str


def hash_secret(raw: str) -> str:
    pepper = settings.API_KEY_PEPPER.encode()
    return hmac.new(pepper, raw.encode(), hashlib.sha256).hexdigest()


def generate_api_key() -> NewKey:
    prefix = secrets.token_hex(6)
    raw = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(24)}"
    return NewKey(raw=raw, prefix=prefix, hashed=hash_secret(raw))


def parse_prefix(raw: str) -> str | None:
    """The lookup prefix of a well-formed key, or None."""
    if not raw.startswith(API_KEY_PREFIX):
        return None
    prefix, sep, secret = raw[len(API_KEY_PREFIX) :].partition("_")
    if not sep or len(prefix) != 12 or not secret:
        return None
    return prefix


def matches(raw: str, hashed: str) -> bool:
    return hmac.compare_digest(hash_secret(raw), hashed)


def generate_token() -> tuple[str, str]:
    """A URL-safe one-time token and the hash to store."""
    raw = secrets.token_urlsafe(32)
    return raw, hash_secret(raw)
