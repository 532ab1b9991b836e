"""The responses as CSV, streamed in batches so a large tenant never sits in memory.

Rows are read newest first in keyset batches on the id: each batch walks the
primary key on from where the last one stopped (no OFFSET, no re-sorting of
the rest), in two queries (the responses with their survey, respondent and
assignee; then their notes), so queries grow with batches, never with rows.
"""

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import datetime, tzinfo
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
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


class _Echo:
    """A file-like object that hands back what csv.writer writes, for streaming."""

    def write(self, value: str) -> str:
        return value


def csv_lines(
    *, organization: Organization, queryset: QuerySet[Response], zone: tzinfo
) -> Iterator[str]:
    """The whole file, line by line, starting with a BOM so Excel reads UTF-8.

    Runs after the view returned (the server pulls it), so it sets the tenant
    context itself.
    """
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow(HEADER)
    with tenant_context(organization):
        for response in batched_responses(queryset):
            yield writer.writerow([escape_cell(cell) for cell in row_cells(response, zone=zone)])


def batched_responses(
    queryset: QuerySet[Response], *, batch_size: int = BATCH_SIZE
) -> Iterator[Response]:
    """Latest arrivals first, `batch_size` rows and their notes at a time."""
    rows = queryset.select_related("survey", "respondent", "assignee").prefetch_related(
        Prefetch("notes", queryset=Note.objects.select_related("author"))
    )
    cursor = Q()
    while True:
        batch = list(rows.filter(cursor).order_by("-id")[:batch_size])
        yield from batch
        if len(batch) < batch_size:
            return
        cursor = Q(pk__lt=batch[-1].pk)


def row_cells(response: Response, *, zone: tzinfo) -> list[str]:
    respondent = response.respondent
    return [
        str(response.pk),
        _local(response.created_at, zone).replace(microsecond=0).isoformat(),
        response.survey.name,
        str(response.score),
        category(response.score),
        response.comment,
        response.channel,
        response.language,
        respondent.external_id if respondent else "",
        respondent.email if respondent else "",
        respondent.name if respondent else "",
        respondent.profile_url if respondent else "",
        _json(respondent.traits) if respondent else "",
        response.follow_up_status,
        response.assignee.email if response.assignee else "",
        "; ".join(response.tags or []),
        _notes(response.notes.all(), zone),
    ]


def _notes(notes: Iterable[Note], zone: tzinfo) -> str:
    return "\n".join(
        f"{note.author.email if note.author else '?'} at "
        f"{_local(note.created_at, zone):%Y-%m-%d %H:%M}: {note.body}"
        for note in notes
    )


def _local(moment: datetime, zone: tzinfo) -> datetime:
    return timezone.localtime(moment, zone)


def _json(value: Any) -> str:
    return json.dumps(value or {}, ensure_ascii=False, sort_keys=True)
