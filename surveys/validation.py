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
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
    "question": gettext_lazy("the question"),
    "follow_up": gettext_lazy("the follow-up question"),
    "follow_up_detractor": gettext_lazy("the follow-up for detractors"),
    "follow_up_passive": gettext_lazy("the follow-up for passives"),
    "follow_up_promoter": gettext_lazy("the follow-up for promoters"),
    "thank_you": gettext_lazy("the thank-you text"),
}


def days_validators() -> list[Any]:
    return [
        MinValueValidator(0, message=gettext_lazy("Use 0 days or more.")),
        MaxValueValidator(
            MAX_DAYS,
            message=format_lazy(
                gettext_lazy("Use at most {days} days (ten years)."), days=MAX_DAYS
            ),
        ),
    ]


def percent_validators() -> list[Any]:
    message = gettext_lazy("Choose a sampling percent between 0 and 100.")
    return [MinValueValidator(0, message=message), MaxValueValidator(100, message=message)]


def normalize_name(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(_("Give the survey a name."))
    return value


def normalize_color(value: str) -> str:
    value = (value or "").strip()
    if not _COLOR.fullmatch(value):
        raise ValidationError(
            _("“%(value)s” is not a colour: use # and six hex digits, like #2563eb.")
            % {"value": value}
        )
    return value.lower()


def normalize_language(value: str) -> str:
    code = (value or "").strip().lower().replace("_", "-")
    if code not in LANGUAGES:
        raise ValidationError(_unknown_language(value))
    return code


def normalize_origin(value: str) -> str:
    """`HTTPS://App.Example.com:443/` → `https://app.example.com`.

    An origin is a scheme, a host and an optional port: what a browser sends in
    the `Origin` header, so the widget endpoints can compare exact strings.
    """
    raw = (value or "").strip()
    hint = _("“%(value)s” is not an origin: write it like https://app.example.com (no path).") % {
        "value": raw
    }
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
        raise ValidationError(_("Give the allowed origins as a list."))
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
        raise ValidationError(
            _("Allow at most %(count)s origins per survey.") % {"count": MAX_ORIGINS}
        )
    return origins


def normalize_logo_url(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname or len(value) > 500:
        raise ValidationError(_("The logo must be an https:// address of an image."))
    return value


def clean_texts(texts: Any, *, default_language: str) -> dict[str, dict[str, str]]:
    """Trimmed texts with empty optional follow-ups dropped; every problem listed."""
    if not isinstance(texts, dict) or not texts:
        raise ValidationError(_("Give the survey's texts, keyed by language, e.g. {“en”: {…}}."))
    cleaned: dict[str, dict[str, str]] = {}
    errors: list[str] = []
    for language, entry in texts.items():
        if language not in LANGUAGES:
            errors.append(_unknown_language(language))
            continue
        cleaned[language] = _clean_entry(language, entry, errors)
    if default_language in LANGUAGES and default_language not in texts:
        errors.append(
            _("Add texts in the default language (%(language)s).") % {"language": default_language}
        )
    if errors:
        raise ValidationError(errors)
    return cleaned


def clean_override_texts(texts: Any) -> dict[str, dict[str, str]]:
    """A variant's texts: any subset of a survey's, each key checked as the survey's
    are; an empty text is dropped, so it falls back to the survey's own."""
    if texts is None:
        return {}
    if not isinstance(texts, dict):
        raise ValidationError(_("Give the texts keyed by language, e.g. {“en”: {…}}."))
    cleaned: dict[str, dict[str, str]] = {}
    errors: list[str] = []
    for language, entry in texts.items():
        if language not in LANGUAGES:
            errors.append(_unknown_language(language))
            continue
        kept = _clean_entry(language, entry, errors, required=())
        if kept:
            cleaned[language] = kept
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_entry(
    language: str, entry: Any, errors: list[str], required: tuple[str, ...] = REQUIRED_KEYS
) -> dict[str, str]:
    if not isinstance(entry, dict):
        errors.append(
            _("The texts in %(language)s must be an object of question, follow_up, …")
            % {"language": language}
        )
        return {}
    for key in entry:
        if key not in TEXT_KEYS:
            errors.append(
                _("Unknown text “%(key)s” in %(language)s: use %(keys)s.")
                % {"key": key, "language": language, "keys": ", ".join(TEXT_KEYS)}
            )
    cleaned = {}
    for key in TEXT_KEYS:
        value = entry.get(key)
        text = value.strip() if isinstance(value, str) else ""
        where = {"text": str(_LABELS[key]), "language": language}
        if value is not None and not isinstance(value, str):
            errors.append(_capitalized(_("%(text)s in %(language)s must be text.") % where))
        elif not text and key in required:
            errors.append(_("Missing %(text)s in %(language)s.") % where)
        elif len(text) > MAX_TEXT:
            errors.append(
                _capitalized(
                    _("%(text)s in %(language)s is over %(max)s characters.")
                    % {**where, "max": MAX_TEXT}
                )
            )
        elif text:
            errors.extend(_placeholder_errors(text, where))
            cleaned[key] = text
    return cleaned


def _placeholder_errors(text: str, where: dict[str, str]) -> list[str]:
    known = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    return [
        _("Unknown placeholder %(placeholder)s in %(text)s in %(language)s: use %(known)s.")
        % {**where, "placeholder": f"{{{name}}}", "known": known}
        for name in _PLACEHOLDER.findall(text)
        if name not in PLACEHOLDERS
    ]


def _unknown_language(value: str) -> str:
    return _("Unknown language “%(value)s”: choose one of %(languages)s.") % {
        "value": value,
        "languages": ", ".join(LANGUAGES),
    }


def _capitalized(message: str) -> str:
    return message[:1].upper() + message[1:]
