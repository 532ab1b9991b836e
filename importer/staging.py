"""The rows a check found good, kept for the import: a file is parsed once.

`file_check` writes each good row here as one CSV record in the form
PostgreSQL's COPY reads (see bulk.py; the ORM path reads the same records
back), cut into batches of a set number of rows. The import then reads the
batches, never the upload: it neither parses nor validates again, and it
imports exactly what was checked, even if the file changed since.

Within a batch, only the first row of each client id is kept (a later one is
the same answer again); across batches, the import finds what an earlier batch
added. The records spill from memory to a temporary file past a few megabytes,
so a large upload costs about its own size on disk, not in memory.
"""

import csv
import io
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from .delighted import Row

# The staged record, in order (and the columns of bulk.py's staging table).
COLUMNS = (
    "client_id",
    "score",
    "comment",
    "email",
    "name",
    "created_at",
    "properties",
    "tags",
    "notes",
)
SPOOL_BYTES = 8 << 20
# JSON texts of distinct property sets remembered; an export repeats a few.
_JSON_SEEN = 4096


@dataclass(frozen=True)
class Batch:
    offset: int  # where its records start in the staged file, in bytes
    size: int  # in bytes
    rows: int  # the good rows of the file it holds, repeats included


class Staged:
    """Good rows written in batches; `batches` lists them once `finish` is called."""

    def __init__(self, *, batch_rows: int) -> None:
        self.batch_rows = batch_rows
        self.batches: list[Batch] = []
        self.rows = 0
        self._file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (closed by close())
        self._text = io.StringIO()
        # CRLF: the writer then quotes any cell holding a CR or a LF, as COPY needs.
        self._writer = csv.writer(self._text, lineterminator="\r\n")
        self._seen: set[str] = set()
        self._pending = 0
        self._json: dict[tuple[tuple[str, str], ...], str] = {}

    def add(self, row: Row) -> None:
        self._pending += 1
        if row.client_id not in self._seen:
            self._seen.add(row.client_id)
            self._writer.writerow(
                (
                    row.client_id,
                    row.score,
                    row.comment,
                    row.email,
                    row.name,
                    row.created_at.isoformat(),
                    self._properties(row.properties),
                    json.dumps(row.tags) if row.tags else "[]",
                    json.dumps(row.notes) if row.notes else "[]",
                )
            )
        if self._pending >= self.batch_rows:
            self._end_batch()

    def finish(self) -> None:
        if self._pending:
            self._end_batch()
        self._seen = set()

    def read(self, batch: Batch) -> bytes:
        """The batch's records, as COPY reads them."""
        self._file.seek(batch.offset)
        return self._file.read(batch.size)

    def close(self) -> None:
        self._file.close()

    def _end_batch(self) -> None:
        data = self._text.getvalue().encode()
        self._text.seek(0)
        self._text.truncate()
        offset = self._file.tell()
        self._file.write(data)
        self.batches.append(Batch(offset=offset, size=len(data), rows=self._pending))
        self.rows += self._pending
        self._pending = 0
        self._seen.clear()

    def _properties(self, properties: tuple[tuple[str, str], ...]) -> str:
        if not properties:
            return "{}"
        text = self._json.get(properties)
        if text is None:
            # A dict keeps the last value of a title given twice, where the first stood.
            text = json.dumps(dict(properties))
            if len(self._json) >= _JSON_SEEN:
                self._json.clear()
            self._json[properties] = text
        return text


def rows(data: bytes) -> Iterator[Row]:
    """A batch's records back as rows (for the ORM path; lines are not kept)."""
    for record in csv.reader(io.StringIO(data.decode(), newline="")):
        client_id, score, comment, email, name, created_at, properties, tags, notes = record
        yield Row(
            line=0,
            client_id=client_id,
            score=int(score),
            comment=comment,
            email=email,
            name=name,
            created_at=datetime.fromisoformat(created_at),
            properties=tuple(json.loads(properties).items()),
            tags=tuple(json.loads(tags)),
            notes=tuple(json.loads(notes)),
        )
