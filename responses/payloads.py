"""Strict reading of what browsers send: every bad value is refused with a
message saying what is expected, before anything is written."""

import functools
import json
import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _

from .errors import WidgetError, invalid
from .services import Identity

MAX_COMMENT = 5_000
MAX_TRAITS_BYTES = 4_096
_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")


def json_object(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        # RecursionError: nesting deeper than the parser's stack, e.g. [[[[…]]]].
        raise WidgetError(400, "malformed_json", "The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise WidgetError(400, "malformed_json", "The body must be a JSON object.")
    if not json_storable(data):
        raise WidgetError(
            400, "invalid_text", "Text must not contain NUL characters or unpaired surrogates."
        )
    return data


def storable(text: str) -> bool:
    """Postgres text and jsonb refuse NUL and text that is not valid UTF-8."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # an unpaired surrogate such as "\ud800"
        return False
    return True


def json_storable(value: Any) -> bool:
    # Iterative: parsed JSON may still be nested several hundred levels deep.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str) and not storable(item):
            return False
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True


def refuse_unstorable_form(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """A plain 400 for a form, query or URL holding text the database cannot store."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        values: list[str] = [str(arg) for arg in (*args, *kwargs.values())]
        for data in (request.GET, request.POST):
            for key, items in data.lists():
                values.append(key)
                values.extend(item for item in items if isinstance(item, str))
        if not all(storable(value) for value in values):
            return HttpResponseBadRequest(
                _("The form contains characters that cannot be stored."),
                content_type="text/plain; charset=utf-8",
            )
        return view(request, *args, **kwargs)

    return wrapper


def score(value: Any) -> int:
    # bool is an int subclass in Python: true must not count as a 1.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise invalid("invalid_score", "score must be an integer from 0 to 10.")
    return value


def comment(value: Any) -> str:
    if not isinstance(value, str):
        raise invalid("invalid_comment", "comment must be a string.")
    if len(value) > MAX_COMMENT:
        raise invalid("comment_too_long", f"comment must be at most {MAX_COMMENT} characters.")
    return value.strip()


def optional_comment(value: Any) -> str | None:
    return None if value is None else comment(value)


def client_id(value: Any, *, field: str = "id") -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise invalid(f"invalid_{field}", f"{field} must be 16 to 64 letters, digits, - or _.")
    return value


def language(value: Any) -> str:
    return value[:8] if isinstance(value, str) else ""


def trigger(value: Any) -> str:
    if value in (None, "auto"):
        return "auto"
    if value == "show":
        return "show"
    raise invalid("invalid_trigger", 'trigger must be "auto" or "show".')


def dismissal(value: Any) -> str:
    if value not in ("not_now", "never"):
        raise invalid("invalid_kind", 'kind must be "not_now" or "never".')
    return str(value)


def identity(body: dict[str, Any]) -> tuple[Identity, str]:
    """The respondent named by a config request, and the user_hash sent with it."""
    user = body.get("user") or {}
    if not isinstance(user, dict):
        raise invalid("invalid_user", "user must be an object.")
    anonymous_id = body.get("anonymous_id") or ""
    if anonymous_id:
        anonymous_id = client_id(anonymous_id, field="anonymous_id")
    user_id = _text(user.get("id"), "user.id", 255)
    if not user_id and not anonymous_id:
        raise invalid("identity_missing", "Send user.id or anonymous_id.")
    found = Identity(
        anonymous_id=anonymous_id,
        user_id=user_id,
        email=_email(user.get("email")),
        name=_text(user.get("name"), "user.name", 200),
        traits=_traits(user.get("traits")),
    )
    return found, _text(user.get("hash"), "user.hash", 128)


def _text(value: Any, field: str, max_length: int) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # numeric user ids are common
    if not isinstance(value, str) or len(value) > max_length:
        raise invalid("invalid_user", f"{field} must be a string of at most {max_length} chars.")
    return value.strip()


def _email(value: Any) -> str:
    email = _text(value, "user.email", 254)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise invalid("invalid_user", "user.email is not an email address.") from None
    return email.lower()


def _traits(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid("invalid_user", "user.traits must be an object.")
    if len(json.dumps(value)) > MAX_TRAITS_BYTES:
        raise invalid("invalid_user", f"user.traits must be at most {MAX_TRAITS_BYTES} bytes.")
    return value
