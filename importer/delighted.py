"""Reading Delighted's response export CSV: columns, rows, and errors by line.

Pure parsing, no database: `read` yields a `Row` for every good record and a
`LineError` for every bad one, in file order, so a caller can validate a whole
file first and import it in a second pass over the same bytes.

Line numbers are the physical lines of the file as a text editor counts them
(the header is line 1); a record whose quoted comment spans several lines is
reported at its first line.
"""

import csv
import functools
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from followups.services import MAX_NOTE_LENGTH, normalize_tags

MAX_COLUMNS = 200
MAX_NAME_LENGTH = 200
MAX_EMAIL_LENGTH = 254
MAX_COMMENT_LENGTH = 20_000
MAX_PROPERTY_LENGTH = 1_000
# Clocks differ: an answer stamped a few minutes ahead of ours is still real.
FUTURE_TOLERANCE = timedelta(minutes=5)

# Normalized header (lower case, "_" read as a space) → the field it fills.
ALIASES = {
    "response id": "response_id",
    "score": "score",
    "comment": "comment",
    "email": "email",
    "person email": "email",
    "name": "name",
    "person name": "name",
    "created at": "created_at",
    "response timestamp": "created_at",
    "tags": "tags",
    "notes": "notes",
}
IGNORED = {"updated at", "survey type", "delighted id"}
REQUIRED = ("score", "created_at")
REQUIRED_LABELS = {"score": "Score", "created_at": "Created At"}

NOT_UTF8 = gettext_lazy("The text is not valid UTF-8.")
# The database cannot store NUL in text; a CSV export never holds one.
HAS_NUL = gettext_lazy("The text contains a NUL character.")

_UNIX = re.compile(r"\d{9,11}(\.\d+)?")
_SCORE = re.compile(r"\d{1,2}")


@dataclass(frozen=True)
class Row:
    line: int
    response_id: str
    score: int
    comment: str
    email: str  # lower case, or empty
    name: str
    created_at: datetime
    tags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def client_id(self) -> str:
        """Deterministic per answer, so importing a file again finds what it added."""
        if self.response_id:
            if len(self.response_id) <= 54 and self.response_id.isprintable():
                return f"delighted:{self.response_id}"
            return "delighted#" + _digest(self.response_id)[:54]
        fields = (self.email, self.created_at.isoformat(), str(self.score), self.comment)
        return "import:" + _digest("\x1f".join(fields))[:57]


@dataclass(frozen=True)
class LineError:
    line: int
    message: str


@dataclass(frozen=True)
class Columns:
    """Where each known field is, and the other columns (kept as properties)."""

    width: int
    fields: dict[str, int]
    properties: list[tuple[int, str]]


def read(stream: IO[bytes]) -> Iterator[Row | LineError]:
    """Every record of the file, parsed or explained; stops after a header error."""
    bad_lines: list[int] = []
    reader = csv.reader(_decoded_lines(stream, bad_lines), strict=True)
    header, error = _first_record(reader)
    if header is None or bad_lines:
        yield error or LineError(1, _("The file is empty.") if header is None else str(NOT_UTF8))
        return
    columns = _columns(header)
    if isinstance(columns, LineError):
        yield columns
        return
    now = timezone.now()
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield LineError(start, _("Unreadable CSV (%(error)s).") % {"error": exc})
            return
        for line in bad_lines:
            yield LineError(line, str(NOT_UTF8))
        if bad_lines:
            bad_lines.clear()
            continue
        if any(cell.strip() for cell in cells):
            yield _row(start, cells, columns, now)


def _decoded_lines(stream: IO[bytes], bad_lines: list[int]) -> Iterator[str]:
    """The file's lines as text; lines that are not UTF-8 are noted, not fatal,
    so every bad line of the file is reported at once."""
    for number, raw in enumerate(stream, start=1):
        if number == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            bad_lines.append(number)
            yield raw.decode("utf-8", errors="replace")


def _first_record(reader: Any) -> tuple[list[str] | None, LineError | None]:
    try:
        return next(reader), None
    except StopIteration:
        return None, None
    except csv.Error as exc:
        return None, LineError(1, _("Unreadable CSV header (%(error)s).") % {"error": exc})


def _columns(header: list[str]) -> Columns | LineError:
    if len(header) > MAX_COLUMNS:
        return LineError(1, _("At most %(max)d columns per file.") % {"max": MAX_COLUMNS})
    if any("\x00" in title for title in header):
        return LineError(1, str(HAS_NUL))
    fields: dict[str, int] = {}
    properties: list[tuple[int, str]] = []
    for index, title in enumerate(header):
        name = " ".join(title.replace("_", " ").split()).lower()
        if not name or name in IGNORED:
            continue
        known = ALIASES.get(name)
        if known is None:
            properties.append((index, title.strip()))
        elif known in fields:
            return LineError(1, _("The column “%(name)s” appears twice.") % {"name": title.strip()})
        else:
            fields[known] = index
    missing = [REQUIRED_LABELS[name] for name in REQUIRED if name not in fields]
    if missing:
        return LineError(
            1,
            _("Missing required column(s): %(columns)s.") % {"columns": ", ".join(missing)},
        )
    return Columns(width=len(header), fields=fields, properties=properties)


def _row(line: int, cells: list[str], columns: Columns, now: datetime) -> Row | LineError:
    if len(cells) > columns.width:
        return LineError(
            line,
            _("%(cells)d columns, but the header has %(width)d.")
            % {"cells": len(cells), "width": columns.width},
        )
    if any("\x00" in cell for cell in cells):
        return LineError(line, str(HAS_NUL))
    # One extra empty cell at the end stands for every absent field.
    cells = [*cells, *[""] * (columns.width - len(cells) + 1)]
    get = columns.fields.get
    absent = columns.width
    try:
        comment = cells[get("comment", absent)].strip()
        _limit(comment, MAX_COMMENT_LENGTH, "comment")
        tags = cells[get("tags", absent)].strip()
        notes = cells[get("notes", absent)]
        return Row(
            line=line,
            response_id=cells[get("response_id", absent)].strip(),
            score=_score(cells[get("score", absent)].strip()),
            comment=comment,
            email=_email(cells[get("email", absent)].strip()),
            name=cells[get("name", absent)].strip()[:MAX_NAME_LENGTH],
            created_at=_created_at(cells[get("created_at", absent)].strip(), now),
            tags=normalize_tags(tags) if tags else [],
            notes=_notes(notes) if notes else [],
            properties=_properties(cells, columns),
        )
    except ValidationError as exc:
        return LineError(line, exc.messages[0])


def _score(value: str) -> int:
    if not value:
        raise ValidationError(_("The score is missing."))
    if not _SCORE.fullmatch(value) or int(value) > 10:
        raise ValidationError(
            _("The score “%(value)s” is not a whole number from 0 to 10.") % {"value": value[:20]}
        )
    return int(value)


def _email(value: str) -> str:
    if not value:
        return ""
    if not _valid_email(value):
        raise ValidationError(
            _("“%(value)s” is not a valid email address.") % {"value": value[:80]}
        )
    return value.lower()


@functools.lru_cache(maxsize=65536)
def _valid_email(value: str) -> bool:
    # Cached: an export holds the same people many times.
    try:
        validate_email(value)
    except ValidationError:
        return False
    return len(value) <= MAX_EMAIL_LENGTH


def parse_time(value: str) -> datetime | None:
    """ISO 8601 (an offset, or none for UTC), "YYYY-MM-DD HH:MM:SS" (UTC) or Unix seconds."""
    try:
        if _UNIX.fullmatch(value):
            return datetime.fromtimestamp(float(value), tz=UTC)
        parsed = datetime.fromisoformat(value.removesuffix(" UTC"))
    except (ValueError, OverflowError, OSError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _created_at(value: str, now: datetime) -> datetime:
    if not value:
        raise ValidationError(_("The date is missing."))
    parsed = parse_time(value)
    if parsed is None or parsed.year < 1970:
        raise ValidationError(_("The date “%(value)s” cannot be read.") % {"value": value[:40]})
    if parsed > now + FUTURE_TOLERANCE:
        raise ValidationError(_("The date “%(value)s” is in the future.") % {"value": value[:40]})
    return parsed


def _notes(value: str) -> list[str]:
    notes = [line.strip() for line in value.splitlines() if line.strip()]
    for note in notes:
        _limit(note, MAX_NOTE_LENGTH, "note")
    return notes


def _properties(cells: list[str], columns: Columns) -> dict[str, str]:
    found: dict[str, str] = {}
    for index, title in columns.properties:
        value = cells[index].strip()
        if value:
            _limit(value, MAX_PROPERTY_LENGTH, title)
            found[title] = value
    return found


def _limit(value: str, limit: int, what: str) -> None:
    if len(value) > limit:
        labels = {"comment": _("The comment"), "note": _("A note")}
        raise ValidationError(
            _("%(what)s is longer than %(max)d characters.")
            % {"what": labels.get(what, f"“{what}”"), "max": limit}
        )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
