"""The responses as CSV, streamed in batches so a large tenant never sits in memory.

Rows are read newest first in keyset batches on the id: each batch walks the
primary key on from where the last one stopped (no OFFSET, no re-sorting of
the rest), in two queries (the responses with their survey's and variant's names,
respondent and assignee as plain values; then their notes), so queries grow with batches,
never with rows. No model instance is built per row, and each batch goes to
the client as one chunk, so the server's memory stays flat.

On PostgreSQL the database writes most of each line itself (the time in the
organization's zone, the escaping and CSV quoting of every text column), and
Python only adds the cells it keeps cached (traits, tags) and the notes: per
row, Python then does a string join instead of formatting eighteen cells,
which is what bounded the export's speed. Both paths write the same bytes.
"""

import csv
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from django.db import DatabaseError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import DateTimeField, F, Func, Q, QuerySet, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone

from responses.models import Note, Response
from responses.scoring import category
from tenants.context import tenant_context
from tenants.models import Organization

BATCH_SIZE = 2000
BOM = "\ufeff"
HEADER = [
    "id",
    "created_at",
    "survey",
    "variant",
    "score",
    "category",
    "comment",
    "channel",
    "language",
    "respondent_external_id",
    "respondent_email",
    "respondent_name",
    "respondent_profile_url",
    "respondent_traits",
    "follow_up_status",
    "assignee_email",
    "tags",
    "notes",
]
# A spreadsheet runs a cell starting with these as a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class _Lines:
    """Collects what csv.writer writes, handed out one batch at a time."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, value: str) -> None:
        self.parts.append(value)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One line of the file, as read from the database."""

    pk: int
    created_at: datetime
    survey: str
    variant: str | None  # None: the answer saw no A/B variant
    score: int
    comment: str
    channel: str
    language: str
    external_id: str | None  # None: no respondent
    email: str | None
    name: str | None
    profile_url: str | None
    traits: str | None  # the stored JSON text
    follow_up_status: str
    assignee_email: str | None
    tags: str  # the stored JSON text
    notes: tuple[tuple[int | None, str | None, datetime, str], ...]


_COLUMNS: dict[str, Any] = {
    "pk": F("pk"),
    "created_at": F("created_at"),
    "survey": F("survey__name"),
    # A join on the few variants, in the same query: never a look-up per row.
    "variant": F("variant__name"),
    "score": F("score"),
    "comment": F("comment"),
    "channel": F("channel"),
    "language": F("language"),
    "external_id": F("respondent__external_id"),
    "email": F("respondent__email"),
    "name": F("respondent__name"),
    "profile_url": F("respondent__profile_url"),
    # As text: equal values are turned into cells once (see _Cells), not per row.
    "traits": Cast("respondent__traits", output_field=TextField()),
    "follow_up_status": F("follow_up_status"),
    "assignee_email": F("assignee__email"),
    "tags": Cast("tags", output_field=TextField()),
}


def csv_lines(
    *, organization: Organization, queryset: QuerySet[Response], zone: ZoneInfo
) -> Iterator[str]:
    """The whole file, one chunk per batch of rows, starting with a BOM so Excel
    reads UTF-8.

    Runs after the view returned (the server pulls it), so it sets the tenant
    context itself.
    """
    lines = _Lines()
    csv.writer(lines).writerow(HEADER)
    yield BOM + lines.take()
    with tenant_context(organization):
        in_sql = _writes_lines(connections[queryset.db], zone)
        yield from (postgres_chunks if in_sql else python_chunks)(queryset, zone=zone)


def python_chunks(queryset: QuerySet[Response], *, zone: tzinfo) -> Iterator[str]:
    """The file's lines after the header, one chunk per batch, written by csv.writer."""
    lines = _Lines()
    writer = csv.writer(lines)
    cells = _Cells(zone)
    for values, notes in _batches(queryset, BATCH_SIZE):
        writer.writerows(cells.of(row, notes.get(row[0], ())) for row in values)
        yield lines.take()


def batched_responses(
    queryset: QuerySet[Response], *, batch_size: int = BATCH_SIZE
) -> Iterator[ExportRow]:
    """Latest arrivals first, `batch_size` rows and their notes at a time."""
    for values, notes in _batches(queryset, batch_size):
        for row in values:
            yield ExportRow(*row, notes=notes.get(row[0], ()))  # type: ignore[misc]


Batch = tuple[list[tuple[Any, ...]], dict[int, tuple[Any, ...]]]


def _batches(queryset: QuerySet[Response], batch_size: int) -> Iterator[Batch]:
    rows = queryset.order_by().values_list(*_COLUMNS.values())
    cursor = Q()
    while True:
        values = list(rows.filter(cursor).order_by("-id")[:batch_size])
        yield values, _notes(values)
        if len(values) < batch_size:
            return
        cursor = Q(pk__lt=values[-1][0])


def _notes(rows: list[tuple[Any, ...]]) -> dict[int, tuple[Any, ...]]:
    """The notes of these rows (ids descending): one query over their id range,
    whose few notes of other rows are dropped here."""
    if not rows:
        return {}
    wanted = {row[0] for row in rows}
    found: dict[int, list[Any]] = defaultdict(list)
    notes = Note.objects.filter(response_id__gte=rows[-1][0], response_id__lte=rows[0][0])
    for response_id, *note in notes.order_by("created_at", "id").values_list(
        "response_id", "author_id", "author__email", "created_at", "body"
    ):
        if response_id in wanted:
            found[response_id].append(tuple(note))
    return {response_id: tuple(items) for response_id, items in found.items()}


class _Cells:
    """Turns rows into cells, text that people wrote escaped; JSON texts that
    repeat (most respondents share a few trait sets, most answers have no tags)
    are decoded and re-encoded once. The memory is bounded: each cache is
    emptied when it grows large."""

    LIMIT = 10_000

    def __init__(self, zone: tzinfo, quote: Callable[[str], str] = str) -> None:
        # `quote` is applied to the cached cells: the SQL path writes lines itself.
        self.zone, self.quote = zone, quote
        self.traits: dict[str, str] = {}
        self.tags: dict[str, str] = {}

    def of(self, row: tuple[Any, ...], notes: tuple[tuple[Any, ...], ...]) -> list[str]:
        (pk, created_at, survey, variant, score, comment, channel, language, external_id,
         email, name, profile_url, traits, status, assignee_email, tags) = row  # fmt: skip
        known = external_id is not None
        return [
            str(pk),
            _local(created_at, self.zone).replace(microsecond=0).isoformat(),
            escape_cell(survey),
            escape_cell(variant or ""),
            str(score),
            category(score),
            escape_cell(comment),
            channel,
            escape_cell(language),
            escape_cell(external_id) if known else "",
            escape_cell(email) if known else "",
            escape_cell(name) if known else "",
            escape_cell(profile_url) if known else "",
            self._traits(traits) if known else "",
            status,
            escape_cell(assignee_email or ""),
            self._tags(tags),
            escape_cell(_notes_cell(notes, self.zone)) if notes else "",
        ]

    def line(self, row: tuple[Any, ...], notes: tuple[tuple[Any, ...], ...]) -> str:
        """A whole line from a row of _LINES_SQL."""
        _pk, head, traits, middle, tags = row
        known = traits is not None
        notes_cell = self.quote(escape_cell(_notes_cell(notes, self.zone))) if notes else ""
        return (
            f"{head},{self._traits(traits) if known else ''},{middle},"
            f"{self._tags(tags)},{notes_cell}\r\n"
        )

    def _traits(self, text: str | None) -> str:
        key = text or "null"
        cell = self.traits.get(key)
        if cell is None:
            cell = self.quote(escape_cell(_json(json.loads(key))))
            self._remember(self.traits, key, cell)
        return cell

    def _tags(self, text: str | None) -> str:
        key = text or "null"
        cell = self.tags.get(key)
        if cell is None:
            cell = self.quote(escape_cell("; ".join(json.loads(key) or [])))
            self._remember(self.tags, key, cell)
        return cell

    def _remember(self, cache: dict[str, str], key: str, cell: str) -> None:
        if len(cache) >= self.LIMIT:
            cache.clear()
        cache[key] = cell


def _notes_cell(notes: tuple[tuple[Any, ...], ...], zone: tzinfo) -> str:
    return "\n".join(
        f"{email if author_id is not None else '?'} at "
        f"{_local(created_at, zone):%Y-%m-%d %H:%M}: {body}"
        for author_id, email, created_at, body in notes
    )


def _local(moment: datetime, zone: tzinfo) -> datetime:
    return timezone.localtime(moment, zone)


def _json(value: Any) -> str:
    return json.dumps(value or {}, ensure_ascii=False, sort_keys=True)


# --- PostgreSQL: the database writes the lines ----------------------------------------

# Larger than the generic batches: planning the query is a fixed cost per batch
# that showed in the profile; 10,000 lines are still about 1.5 MB.
SQL_BATCH_SIZE = 10_000
# As csv.writer quotes (QUOTE_MINIMAL): a cell holding a delimiter, a quote or
# a line break is put in quotes, its quotes doubled.
_NEEDS_QUOTES = re.compile('[,"\r\n]')


def quoted(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"' if _NEEDS_QUOTES.search(cell) else cell


def _sql_cell(column: str, *, escaped: bool = True) -> str:
    """SQL writing `column` as one CSV cell, as `quoted(escape_cell(value))`
    does (NULL: an empty cell, which concat() writes for it). strpos, not a
    regular expression: a fraction of the cost, on every text cell of every row."""
    value = column
    if escaped:
        starts = ", ".join(str(ord(start)) for start in FORMULA_STARTS)
        value = f"CASE WHEN ascii({column}) IN ({starts}) THEN '''' || {column} ELSE {column} END"
    special = " OR ".join(f"strpos({column}, chr({ord(char)})) > 0" for char in ',"\r\n')
    in_quotes = f"""'"' || replace({value}, '"', '""') || '"'"""
    return f"CASE WHEN {special} THEN {in_quotes} ELSE {value} END"


def _sql_iso_time(zone: ZoneInfo) -> str:
    """The time as `datetime.isoformat()` writes it in the organization's zone
    (to the second): the wall time, then the zone's offset at that moment. The
    offsets the zone had lately are spelled out, which saves formatting one
    per row; any other is formatted."""
    local, utc = "e.e_local_time", "e.e_utc_time"
    size = f"greatest({local} - {utc}, {utc} - {local})"
    formatted = (
        f"CASE WHEN {local} < {utc} THEN '-' ELSE '+' END || to_char({size}, 'HH24:MI')"
        f" || CASE WHEN extract(second FROM {size}) = 0 THEN '' ELSE to_char({size}, ':SS') END"
    )
    known = " ".join(f"WHEN {seconds} THEN '{text}'" for seconds, text in _recent_offsets(zone))
    return (
        f"""to_char({local}, 'YYYY-MM-DD"T"HH24:MI:SS')"""
        f" || CASE extract(epoch FROM {local} - {utc})::integer {known} ELSE {formatted} END"
    )


def _recent_offsets(zone: ZoneInfo) -> list[tuple[int, str]]:
    """The zone's offsets from UTC over the last five years: in seconds, and as
    isoformat writes them."""
    now = timezone.now()
    offsets = {}
    for days in range(0, 5 * 366, 15):
        local = (now - timedelta(days=days)).astimezone(zone)
        offset = local.utcoffset() or timedelta()
        offsets[int(offset.total_seconds())] = local.isoformat(timespec="seconds")[19:]
    return sorted(offsets.items())


_CATEGORIES = ", ".join(f"'{category(score)}'" for score in range(11))  # scores are 0 to 10
# Per response: its id, its line up to the traits, the traits' JSON text (NULL
# without a respondent), the status and assignee cells, the tags' JSON text.
_LINES_SQL = f"""
    SELECT e.e_id,
        concat(e.e_id, ',', {{iso_time}}, ',', {_sql_cell("e.e_survey")},
            ',', {_sql_cell("e.e_variant")}, ',', e.e_score,
            ',', (ARRAY[{_CATEGORIES}])[e.e_score + 1], ',', {_sql_cell("e.e_comment")},
            ',', {_sql_cell("e.e_channel", escaped=False)}, ',', {_sql_cell("e.e_language")},
            ',', {_sql_cell("e.e_external_id")}, ',', {_sql_cell("e.e_email")},
            ',', {_sql_cell("e.e_name")}, ',', {_sql_cell("e.e_profile_url")}),
        e.e_traits,
        concat({_sql_cell("e.e_follow_up_status", escaped=False)},
            ',', {_sql_cell("coalesce(e.e_assignee_email, '')")}),
        e.e_tags
    FROM ({{responses}}) AS e
    ORDER BY e.e_id DESC
"""  # noqa: S608 (column names and constants only; the values are parameters)


class _AtTimeZone(Func):
    """`moment AT TIME ZONE zone`: the wall time there (a timestamp without zone)."""

    arg_joiner = " AT TIME ZONE "
    template = "(%(expressions)s)"
    output_field = DateTimeField()


def _sql_columns(zone: ZoneInfo) -> dict[str, Any]:
    """The plain values _LINES_SQL reads, under names no model field has (e_…)."""
    columns = {name: expression for name, expression in _COLUMNS.items() if name != "created_at"}
    columns["id"] = columns.pop("pk")
    columns["local_time"] = _AtTimeZone(F("created_at"), Value(zone.key))
    columns["utc_time"] = _AtTimeZone(F("created_at"), Value("UTC"))
    return {f"e_{name}": expression for name, expression in columns.items()}


def _writes_lines(connection: BaseDatabaseWrapper, zone: ZoneInfo) -> bool:
    """Whether the database can write the lines: PostgreSQL, knowing the zone
    by its name (its time zone data may be older than Python's)."""
    if connection.vendor != "postgresql" or not zone.key:
        return False
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("SELECT now() AT TIME ZONE %s", [zone.key])
    except DatabaseError:
        return False
    return True


def postgres_chunks(
    queryset: QuerySet[Response], *, zone: ZoneInfo, batch_size: int = SQL_BATCH_SIZE
) -> Iterator[str]:
    """The file's lines after the header, one chunk per batch, written by PostgreSQL."""
    rows = queryset.order_by().values(**_sql_columns(zone)).order_by("-id")
    connection = connections[queryset.db]
    cells = _Cells(zone, quote=quoted)
    iso_time = _sql_iso_time(zone)
    cursor = Q()
    while True:
        inner, params = rows.filter(cursor)[:batch_size].query.get_compiler(queryset.db).as_sql()
        with connection.cursor() as database:
            database.execute(_LINES_SQL.format(iso_time=iso_time, responses=inner), params)
            batch = database.fetchall()
        notes = _notes(batch)
        yield "".join(cells.line(row, notes.get(row[0], ())) for row in batch)
        if len(batch) < batch_size:
            return
        cursor = Q(pk__lt=batch[-1][0])
