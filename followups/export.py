"""The responses as CSV, streamed in batches so a large tenant never sits in memory.

Rows are read newest first in keyset batches on the id: each batch walks the
primary key on from where the last one stopped (no OFFSET, no re-sorting of
the rest), in two queries (the responses with their survey's name, respondent
and assignee as plain values; then their notes), so queries grow with batches,
never with rows. No model instance is built per row, and each batch goes to
the client as one chunk: a million rows stream at tens of thousands a second
with the server's memory flat.
"""

import csv
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from django.db.models import F, Q, QuerySet, TextField
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
    *, organization: Organization, queryset: QuerySet[Response], zone: tzinfo
) -> Iterator[str]:
    """The whole file, one chunk per batch of rows, starting with a BOM so Excel
    reads UTF-8.

    Runs after the view returned (the server pulls it), so it sets the tenant
    context itself.
    """
    lines = _Lines()
    writer = csv.writer(lines)
    writer.writerow(HEADER)
    yield BOM + lines.take()
    cells = _Cells(zone)
    with tenant_context(organization):
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

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone
        self.traits: dict[str, str] = {}
        self.tags: dict[str, str] = {}

    def of(self, row: tuple[Any, ...], notes: tuple[tuple[Any, ...], ...]) -> list[str]:
        (pk, created_at, survey, score, comment, channel, language, external_id, email, name,
         profile_url, traits, status, assignee_email, tags) = row  # fmt: skip
        known = external_id is not None
        return [
            str(pk),
            _local(created_at, self.zone).replace(microsecond=0).isoformat(),
            escape_cell(survey),
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

    def _traits(self, text: str | None) -> str:
        key = text or "null"
        cell = self.traits.get(key)
        if cell is None:
            cell = escape_cell(_json(json.loads(key)))
            self._remember(self.traits, key, cell)
        return cell

    def _tags(self, text: str | None) -> str:
        key = text or "null"
        cell = self.tags.get(key)
        if cell is None:
            cell = escape_cell("; ".join(json.loads(key) or []))
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
