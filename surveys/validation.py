"""Checks and normalisation of survey settings, with messages an admin can act on.

Each function raises django's ValidationError with a plain message; the model's
`clean()` files them under the field they belong to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator

from .presets import LANGUAGES, PLACEHOLDERS, REQUIRED_KEYS, TEXT_KEYS

MAX_DAYS = 3650
MAX_TEXT = 500
MAX_ORIGINS = 50
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_HOST = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_LABELS = {
    "question": "the question",
    "follow_up": "the follow-up question",
    "follow_up_detractor": "the follow-up for detractors",
    "follow_up_passive": "the follow-up for passives",
    "follow_up_promoter": "the follow-up for promoters",
    "thank_you": "the thank-you text",
}


def days_validators() -> list[Any]:
    return [
        MinValueValidator(0, message="Use 0 days or more."),
        MaxValueValidator(MAX_DAYS, message=f"Use at most {MAX_DAYS} days (ten years)."),
    ]


def percent_validators() -> list[Any]:
    message = "Choose a sampling percent between 0 and 100."
    return [MinValueValidator(0, message=message), MaxValueValidator(100, message=message)]


def normalize_name(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError("Give the survey a name.")
    return value


def normalize_color(value: str) -> str:
    value = (value or "").strip()
    if not _COLOR.fullmatch(value):
        raise ValidationError(f"“{value}” is not a colour: use # and six hex digits, like #2563eb.")
    return value.lower()


def normalize_language(value: str) -> str:
    code = (value or "").strip().lower().replace("_", "-")
    if code not in LANGUAGES:
        raise ValidationError(f"Unknown language “{value}”: choose one of {', '.join(LANGUAGES)}.")
    return code


def normalize_origin(value: str) -> str:
    """`HTTPS://App.Example.com:443/` → `https://app.example.com`.

    An origin is a scheme, a host and an optional port: what a browser sends in
    the `Origin` header, so the widget endpoints can compare exact strings.
    """
    raw = (value or "").strip()
    hint = f"“{raw}” is not an origin: write it like https://app.example.com (no path)."
    try:
        parts = urlsplit(raw.rstrip("/"))
        port = parts.port
    except ValueError:
        raise ValidationError(hint) from None
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme.lower() not in _DEFAULT_PORTS or not host:
        raise ValidationError(hint)
    if parts.path or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValidationError(hint)
    return _origin(parts.scheme.lower(), _ascii_host(host, hint), port)


def _ascii_host(host: str, hint: str) -> str:
    if host.startswith("[") or ":" in host:
        return f"[{host.strip('[]')}]"  # IPv6 literal, kept as written
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValidationError(hint) from None
    if not _HOST.fullmatch(ascii_host):
        raise ValidationError(hint)
    return ascii_host


def _origin(scheme: str, host: str, port: int | None) -> str:
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def normalize_origins(values: Iterable[str] | None) -> list[str]:
    """Normalised, without duplicates, in the order given; all errors at once."""
    if values is None:
        return []
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ValidationError("Give the allowed origins as a list.")
    origins: list[str] = []
    errors: list[ValidationError] = []
    for value in values:
        try:
            origin = normalize_origin(str(value))
        except ValidationError as error:
            errors.append(error)
            continue
        if origin not in origins:
            origins.append(origin)
    if errors:
        raise ValidationError(errors)
    if len(origins) > MAX_ORIGINS:
        raise ValidationError(f"Allow at most {MAX_ORIGINS} origins per survey.")
    return origins


def normalize_logo_url(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname or len(value) > 500:
        raise ValidationError("The logo must be an https:// address of an image.")
    return value


def clean_texts(texts: Any, *, default_language: str) -> dict[str, dict[str, str]]:
    """Trimmed texts with empty optional follow-ups dropped; every problem listed."""
    if not isinstance(texts, dict) or not texts:
        raise ValidationError("Give the survey's texts, keyed by language, e.g. {“en”: {…}}.")
    cleaned: dict[str, dict[str, str]] = {}
    errors: list[str] = []
    for language, entry in texts.items():
        if language not in LANGUAGES:
            errors.append(f"Unknown language “{language}”: choose one of {', '.join(LANGUAGES)}.")
            continue
        cleaned[language] = _clean_entry(language, entry, errors)
    if default_language in LANGUAGES and default_language not in texts:
        errors.append(f"Add texts in the default language ({default_language}).")
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_entry(language: str, entry: Any, errors: list[str]) -> dict[str, str]:
    if not isinstance(entry, dict):
        errors.append(f"The texts in {language} must be an object of question, follow_up, …")
        return {}
    for key in entry:
        if key not in TEXT_KEYS:
            errors.append(f"Unknown text “{key}” in {language}: use {', '.join(TEXT_KEYS)}.")
    cleaned = {}
    for key in TEXT_KEYS:
        value = entry.get(key)
        text = value.strip() if isinstance(value, str) else ""
        if value is not None and not isinstance(value, str):
            errors.append(f"{_LABELS[key].capitalize()} in {language} must be text.")
        elif not text and key in REQUIRED_KEYS:
            errors.append(f"Missing {_LABELS[key]} in {language}.")
        elif len(text) > MAX_TEXT:
            errors.append(
                f"{_LABELS[key].capitalize()} in {language} is over {MAX_TEXT} characters."
            )
        elif text:
            errors.extend(_placeholder_errors(text, f"{_LABELS[key]} in {language}"))
            cleaned[key] = text
    return cleaned


def _placeholder_errors(text: str, where: str) -> list[str]:
    known = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    return [
        f"Unknown placeholder {{{name}}} in {where}: use {known}."
        for name in _PLACEHOLDER.findall(text)
        if name not in PLACEHOLDERS
    ]
