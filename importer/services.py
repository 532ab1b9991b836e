"""Writes of the Delighted importer: check a whole file, then import it in batches.

The check reads every record and collects the errors by line; a file with any
error imports nothing. It also keeps the good rows (staging.py), so the import
never parses the file again: it writes them in batches of `BATCH_ROWS`, each in
one short transaction with a handful of queries (respondents looked up and
created in bulk, responses inserted with ON CONFLICT DO NOTHING, notes in bulk;
on PostgreSQL a COPY into a temporary table and set-based statements, see
bulk.py), so progress is visible to other connections while it runs.

Idempotent: every row carries a deterministic client id ("delighted:<Response
ID>", or a hash of email, time, score and comment), unique per organization,
so importing the same file again, or resuming an import a stopped worker left
half done, adds nothing twice.
"""

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction
from django.utils import timezone

from responses.models import Channel, Note, Respondent, Response
from rollups.services import rollups_refresh
from surveys.models import Survey
from tenants.models import Organization

from . import bulk, delighted, staging
from .delighted import LineError, Row
from .models import ImportJob, ImportStatus
from .staging import Batch, Staged

logger = logging.getLogger(__name__)

# Fewer, larger transactions cost less per row; progress still moves every second or so.
BATCH_ROWS = 20_000
MAX_ERRORS = 100  # kept and shown; the total is counted beyond it

Progress = Callable[[int, "ImportCounts"], None]


@dataclass
class FileCheck:
    rows: int = 0
    errors: list[LineError] = field(default_factory=list)
    error_count: int = 0
    # The good rows, for `file_import`; None when a record could not be read.
    staged: Staged | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and self.rows > 0


@dataclass
class ImportCounts:
    imported: int = 0
    skipped: int = 0

    @property
    def done(self) -> int:
        return self.imported + self.skipped


def file_check(*, stream: IO[bytes]) -> FileCheck:
    """Reads the whole file; the number of good rows and the errors by line.

    The good rows of a file without errors are kept for `file_import`."""
    stream.seek(0)
    check = FileCheck()
    staged = Staged(batch_rows=BATCH_ROWS)
    for item in delighted.read(stream):
        if isinstance(item, LineError):
            check.error_count += 1
            if len(check.errors) < MAX_ERRORS:
                check.errors.append(item)
        else:
            check.rows += 1
            if not check.error_count:
                staged.add(item)
    if check.error_count:
        staged.close()
    else:
        staged.finish()
        check.staged = staged
    if check.rows == 0 and check.error_count == 0:
        check.error_count = 1
        check.errors.append(LineError(1, "The file has no rows."))
    return check


def file_import(
    *,
    survey: Survey,
    check: FileCheck | None = None,
    stream: IO[bytes] | None = None,
    progress: Progress | None = None,
) -> ImportCounts:
    """Imports, batch by batch, the rows `check` kept (`file_check` of the file,
    which this consumes), or else those of `stream`, checked first."""
    if check is None:
        if stream is None:
            raise TypeError("file_import needs a check or a stream")
        check = file_check(stream=stream)
    staged, check.staged = check.staged, None
    if staged is None:
        # A file with an error imports nothing: never guess.
        reason = f"Line {check.errors[0].line}: {check.errors[0].message}" if check.errors else ""
        raise ValueError(reason or "These rows were imported already.")
    counts = ImportCounts()
    try:
        for batch in staged.batches:
            added = _write_batch(survey, staged, batch)
            counts.imported += added
            counts.skipped += batch.rows - added
            if progress is not None:
                progress(counts.done, counts)
    finally:
        staged.close()
    if counts.imported:
        # Imported rows carry a recent updated_at, so any refresh would find them;
        # running one now lets the dashboards read them from the rollups at once.
        rollups_refresh(organization=survey.organization)
    return counts


def _write_batch(survey: Survey, staged: Staged, batch: Batch) -> int:
    """Inserts the batch's rows not yet present; the number inserted."""
    data = staged.read(batch)
    with transaction.atomic():
        # Imports of one organization take turns batch by batch, so two running
        # at once never both create the same respondent or add the same notes.
        # NO KEY: the organization's other writes (whose foreign keys lock its
        # row FOR KEY SHARE) need not wait for the batch.
        organization = Organization.objects.select_for_update(no_key=True)
        list(organization.filter(pk=survey.organization_id).values("pk"))
        if bulk.supported():
            return bulk.write_batch(survey, data)
        return _write_batch_orm(survey, list(staging.rows(data)))


def _write_batch_orm(survey: Survey, rows: list[Row]) -> int:
    organization = survey.organization
    wanted: dict[str, Row] = {}
    for row in rows:
        wanted.setdefault(row.client_id, row)
    present = set(
        Response.objects.filter(client_id__in=list(wanted)).values_list("client_id", flat=True)
    )
    fresh = [row for client_id, row in wanted.items() if client_id not in present]
    if not fresh:
        return 0
    people = _respondents(organization, fresh)
    Response.objects.bulk_create(
        [_response(survey, row, people.get(row.email)) for row in fresh],
        batch_size=1000,
        ignore_conflicts=True,
    )
    _add_notes(organization, [row for row in fresh if row.notes])
    return len(fresh)


def _response(survey: Survey, row: Row, respondent: Respondent | None) -> Response:
    return Response(
        organization_id=survey.organization_id,
        survey=survey,
        respondent=respondent,
        score=row.score,
        comment=row.comment,
        channel=Channel.IMPORT,
        client_id=row.client_id,
        properties=dict(row.properties),
        tags=list(row.tags),
        created_at=row.created_at,
    )


def _respondents(organization: Organization, rows: list[Row]) -> dict[str, Respondent]:
    """The respondent of every email in `rows`: found (the oldest of one address
    wins, as elsewhere) or created, in two queries plus one for filled names."""
    first_seen: dict[str, Any] = {}
    names: dict[str, str] = {}
    for row in rows:
        if row.email:
            seen = first_seen.get(row.email)
            first_seen[row.email] = row.created_at if seen is None else min(seen, row.created_at)
            names[row.email] = max(names.get(row.email, ""), row.name)
    if not first_seen:
        return {}
    known: dict[str, Respondent] = {}
    found = Respondent.objects.filter(email__in=list(first_seen)).order_by("-pk")
    for respondent in found.only("pk", "email", "name", "first_seen_at"):
        known[respondent.email] = respondent
    changed = [
        respondent
        for email, respondent in known.items()
        if _merge(respondent, names[email], first_seen[email])
    ]
    if changed:
        Respondent.objects.bulk_update(changed, ["name", "first_seen_at"], batch_size=500)
    new = [
        Respondent(organization=organization, email=email, name=names[email], first_seen_at=first)
        for email, first in first_seen.items()
        if email not in known
    ]
    created = Respondent.objects.bulk_create(new, batch_size=1000)
    if created and created[0].pk is None:  # backends that return no ids
        found = Respondent.objects.filter(email__in=[person.email for person in new])
        created = list(found.order_by("-pk").only("pk", "email"))
    for respondent in created:
        known[respondent.email] = respondent
    return known


def _merge(respondent: Respondent, name: str, first_seen: Any) -> bool:
    """An imported answer fills a missing name and moves first sight earlier."""
    updated = (respondent.name or name, min(respondent.first_seen_at, first_seen))
    if updated == (respondent.name, respondent.first_seen_at):
        return False
    respondent.name, respondent.first_seen_at = updated
    return True


def _add_notes(organization: Organization, rows: list[Row]) -> None:
    if not rows:
        return
    ids = dict(
        Response.objects.filter(client_id__in=[row.client_id for row in rows]).values_list(
            "client_id", "pk"
        )
    )
    Note.objects.bulk_create(
        [
            Note(organization=organization, response_id=ids[row.client_id], body=body)
            for row in rows
            for body in row.notes
        ],
        batch_size=1000,
    )


# Back-office jobs ----------------------------------------------------------------


def import_job_create(*, survey: Survey, user: Any, filename: str, content: bytes) -> ImportJob:
    """Stores the upload and queues its import once the upload is committed."""
    from .tasks import run_import

    job = ImportJob.objects.create(
        organization=survey.organization,
        survey=survey,
        created_by=user,
        filename=filename[:255],
        size=len(content),
        content=content,
    )
    organization_id, job_id = survey.organization_id, job.pk
    transaction.on_commit(lambda: run_import.delay(organization_id=organization_id, job_id=job_id))
    return job


def import_job_run(*, job_id: int) -> None:
    """Checks then imports one stored upload; safe to run again (it resumes)."""
    job = ImportJob.objects.select_related("survey", "survey__organization").get(pk=job_id)
    if job.is_finished:
        return
    try:
        _run(job)
    except Exception:
        logger.exception("Import %s failed", job.pk)
        _save(job, status=ImportStatus.FAILED, finished_at=timezone.now())
        raise


def _run(job: ImportJob) -> None:
    stream = io.BytesIO(bytes(job.content))
    _save(job, status=ImportStatus.CHECKING)
    check = file_check(stream=stream)
    if not check.ok:
        _save(
            job,
            status=ImportStatus.INVALID,
            total_rows=check.rows,
            errors=[{"line": error.line, "message": error.message} for error in check.errors],
            error_count=check.error_count,
            content=b"",
            finished_at=timezone.now(),
        )
        return
    _save(job, status=ImportStatus.IMPORTING, total_rows=check.rows, done_rows=0)

    def progress(done: int, counts: ImportCounts) -> None:
        _save(job, done_rows=done, imported=counts.imported, skipped=counts.skipped)

    counts = file_import(survey=job.survey, check=check, progress=progress)
    _save(
        job,
        status=ImportStatus.DONE,
        done_rows=counts.done,
        imported=counts.imported,
        skipped=counts.skipped,
        content=b"",
        finished_at=timezone.now(),
    )


def _save(job: ImportJob, **fields: Any) -> None:
    """Written at once, outside any batch, so the progress page sees it."""
    for name, value in fields.items():
        setattr(job, name, value)
    ImportJob.objects.filter(pk=job.pk).update(**fields)
