"""Reading Delighted's response export CSV: columns, rows, and errors by line.

Pure parsing, no database: `read` yields a `Row` for every good record and a
`LineError` for every bad one, in file order, so a caller can validate a whole
file before it imports anything.

Line numbers are the physical lines of the file as a text editor counts them
(the header is line 1); a record whose quoted comment spans several lines is
reported at its first line.

An export has hundreds of thousands of records, so the usual record costs
little: the file is decoded a megabyte at a time (line by line, to name the bad
ones, only in a part that is not UTF-8 or holds a NUL), cells are picked in one
call, and what repeats (property cells, addresses) is worked out once.
"""

import csv
import functools
import hashlib
import io
import itertools
import operator
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any, NamedTuple

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
CHUNK_BYTES = 1 << 20
BOM = b"\xef\xbb\xbf"

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
# The order in which `Columns.cells` picks a record's fields.
FIELDS = ("response_id", "score", "comment", "email", "name", "created_at", "tags", "notes")

NOT_UTF8 = gettext_lazy("The text is not valid UTF-8.")
# The database cannot store NUL in text; a CSV export never holds one.
HAS_NUL = gettext_lazy("The text contains a NUL character.")

_UNIX = re.compile(r"\d{9,11}(\.\d+)?")
_SCORE = re.compile(r"\d{1,2}")
_SCORES = {str(score): score for score in range(11)}
# Addresses that Django's validate_email certainly accepts (ASCII, a dot-atom
# local part, a host name with a letters-only top-level domain); any other is
# left to validate_email itself.
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
_PLAIN_EMAIL = re.compile(
    r"[a-zA-Z0-9_+-]+(?:\.[a-zA-Z0-9_+-]+)*@" + _LABEL + r"(?:\." + _LABEL + r")*\.[a-zA-Z]{2,63}"
)
# Distinct cells remembered per file: an export repeats a few property values,
# and the same people many times.
_PROPERTIES_SEEN = 4096
_EMAILS_SEEN = 65536


class Row(NamedTuple):
    """A good record, validated, in the form it is stored."""

    line: int
    client_id: str
    score: int
    comment: str
    email: str  # lower case, or empty
    name: str
    created_at: datetime
    properties: tuple[tuple[str, str], ...] = ()
    tags: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


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

    def cells(self) -> Callable[[list[str]], tuple[str, ...]]:
        """Picks the cells of `FIELDS` from a record padded with one empty cell,
        which stands for every absent field."""
        return operator.itemgetter(*(self.fields.get(name, self.width) for name in FIELDS))

    def property_cells(self) -> Callable[[list[str]], tuple[str, ...]]:
        indexes = [index for index, _title in self.properties]
        if len(indexes) == 1:
            (index,) = indexes
            return lambda cells: (cells[index],)
        return operator.itemgetter(*indexes) if indexes else lambda cells: ()


def client_id(
    *, response_id: str, email: str, created_at: datetime, score: int, comment: str
) -> str:
    """Deterministic per answer, so importing a file again finds what it added."""
    if response_id:
        if len(response_id) <= 54 and response_id.isprintable():
            return f"delighted:{response_id}"
        return "delighted#" + _digest(response_id)[:54]
    fields = (email, created_at.isoformat(), str(score), comment)
    return "import:" + _digest("\x1f".join(fields))[:57]


def read(stream: IO[bytes]) -> Iterator[Row | LineError]:
    """Every record of the file, parsed or explained; stops after a header error."""
    bad_lines: list[int] = []
    nul_lines: list[int] = []
    reader = csv.reader(_decoded_lines(stream, bad_lines, nul_lines), strict=True)
    header, error = _first_record(reader)
    if header is None or bad_lines:
        yield error or LineError(1, _("The file is empty.") if header is None else str(NOT_UTF8))
        return
    columns = _columns(header)
    if isinstance(columns, LineError):
        yield columns
        return
    parser = _Parser(columns, timezone.now())
    previous = reader.line_num
    try:
        for cells in reader:
            start, previous = previous + 1, reader.line_num
            if bad_lines:
                for line in bad_lines:
                    yield LineError(line, str(NOT_UTF8))
                bad_lines.clear()
                continue
            has_nul = bool(nul_lines)
            nul_lines.clear()
            item = parser.row(start, cells, has_nul=has_nul)
            if item is not None:
                yield item
    except csv.Error as exc:
        yield LineError(previous + 1, _("Unreadable CSV (%(error)s).") % {"error": exc})


def _decoded_lines(stream: IO[bytes], bad_lines: list[int], nul_lines: list[int]) -> Iterator[str]:
    """The file's lines as text. Lines that are not UTF-8 are noted in
    `bad_lines`, not fatal, so every bad line of the file is reported at once;
    lines holding a NUL are noted in `nul_lines`. Either list fills as the
    reader reaches the line, so it names the lines of the record just read."""
    return itertools.chain.from_iterable(_decoded_chunks(stream, bad_lines, nul_lines))


def _decoded_chunks(
    stream: IO[bytes], bad_lines: list[int], nul_lines: list[int]
) -> Iterator[Iterable[str]]:
    number = 1  # of the chunk's first line
    while chunk := stream.read(CHUNK_BYTES):
        if not chunk.endswith(b"\n"):
            chunk += stream.readline()  # whole lines only
        if number == 1:
            chunk = chunk.removeprefix(BOM)
            if not chunk:  # nothing but the mark: one empty line, as the reader sees it
                yield ("",)
                return
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError:
            text = ""
        if text and "\x00" not in text:
            yield io.StringIO(text, newline="\n")
        else:
            yield _careful_lines(chunk, number, bad_lines, nul_lines)
        number += chunk.count(b"\n") + (not chunk.endswith(b"\n"))


def _careful_lines(
    chunk: bytes, number: int, bad_lines: list[int], nul_lines: list[int]
) -> Iterator[str]:
    for line, raw in enumerate(io.BytesIO(chunk), start=number):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            bad_lines.append(line)
            text = raw.decode("utf-8", errors="replace")
        if "\x00" in text:
            nul_lines.append(line)
        yield text


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


class _Parser:
    """Reads the records of one file (after its header)."""

    def __init__(self, columns: Columns, now: datetime) -> None:
        self.columns = columns
        self.cells = columns.cells()
        self.property_cells = columns.property_cells()
        self.latest = now + FUTURE_TOLERANCE
        self.properties_seen: dict[tuple[str, ...], tuple[tuple[str, str], ...]] = {}
        self.emails_seen: dict[str, str] = {}

    def row(self, line: int, cells: list[str], *, has_nul: bool) -> Row | LineError | None:
        """The record's row or error, or None for a blank record (skipped).

        `has_nul` says whether the record's lines hold a NUL: without one, no
        cell needs to be searched for it."""
        width = self.columns.width
        if len(cells) > width:
            if _blank(cells):
                return None
            return LineError(
                line,
                _("%(cells)d columns, but the header has %(width)d.")
                % {"cells": len(cells), "width": width},
            )
        if has_nul and any("\x00" in cell for cell in cells):
            return LineError(line, str(HAS_NUL))
        # One extra empty cell at the end stands for every absent field.
        cells.extend([""] * (width - len(cells) + 1))
        response_id, score, comment, email, name, created_at, tags, notes = self.cells(cells)
        score = score.strip()
        if not score and _blank(cells):
            return None
        try:
            comment = comment.strip()
            _limit(comment, MAX_COMMENT_LENGTH, "comment")
            tags = tags.strip()
            response_id = response_id.strip()
            number = _score(score)
            email = self._email(email.strip())
            when = _created_at(created_at.strip(), self.latest)
            return Row(
                line=line,
                client_id=client_id(
                    response_id=response_id,
                    email=email,
                    created_at=when,
                    score=number,
                    comment=comment,
                ),
                score=number,
                comment=comment,
                email=email,
                name=name.strip()[:MAX_NAME_LENGTH],
                created_at=when,
                tags=tuple(normalize_tags(tags)) if tags else (),
                notes=_notes(notes) if notes else (),
                properties=self._properties(self.property_cells(cells)),
            )
        except ValidationError as exc:
            return LineError(line, exc.messages[0])

    def _email(self, value: str) -> str:
        found = self.emails_seen.get(value)
        if found is None:
            found = _email(value)
            if len(self.emails_seen) >= _EMAILS_SEEN:
                self.emails_seen.clear()
            self.emails_seen[value] = found
        return found

    def _properties(self, values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
        found = self.properties_seen.get(values)
        if found is None:
            found = _properties(values, self.columns)
            if len(self.properties_seen) >= _PROPERTIES_SEEN:
                self.properties_seen.clear()
            self.properties_seen[values] = found
        return found


def _blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _score(value: str) -> int:
    known = _SCORES.get(value)
    if known is not None:
        return known
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
    if len(value) <= MAX_EMAIL_LENGTH and _PLAIN_EMAIL.fullmatch(value):
        return value.lower()
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
        if "-" not in value and _UNIX.fullmatch(value):
            return datetime.fromtimestamp(float(value), tz=UTC)
        parsed = datetime.fromisoformat(value.removesuffix(" UTC"))
    except (ValueError, OverflowError, OSError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _created_at(value: str, latest: datetime) -> datetime:
    if not value:
        raise ValidationError(_("The date is missing."))
    parsed = parse_time(value)
    if parsed is None or parsed.year < 1970:
        raise ValidationError(_("The date “%(value)s” cannot be read.") % {"value": value[:40]})
    if parsed > latest:
        raise ValidationError(_("The date “%(value)s” is in the future.") % {"value": value[:40]})
    return parsed


def _notes(value: str) -> tuple[str, ...]:
    notes = tuple(line.strip() for line in value.splitlines() if line.strip())
    for note in notes:
        _limit(note, MAX_NOTE_LENGTH, "note")
    return notes


def _properties(values: tuple[str, ...], columns: Columns) -> tuple[tuple[str, str], ...]:
    found: list[tuple[str, str]] = []
    for value, (_index, title) in zip(values, columns.properties, strict=True):
        value = value.strip()
        if value:
            _limit(value, MAX_PROPERTY_LENGTH, title)
            found.append((title, value))
    return tuple(found)


def _limit(value: str, limit: int, what: str) -> None:
    if len(value) > limit:
        labels = {"comment": _("The comment"), "note": _("A note")}
        raise ValidationError(
            _("%(what)s is longer than %(max)d characters.")
            % {"what": labels.get(what, f"“{what}”"), "max": limit}
        )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
