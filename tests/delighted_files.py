"""Delighted-style response exports, written the way Delighted writes them."""

import csv
import io
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.delighted import COMMENTS, HEADER, export_row

__all__ = ["COMMENTS", "HEADER", "csv_bytes", "generated", "write"]


def csv_bytes(
    rows: list[list[object]], header: list[str] | None = None, bom: bool = False
) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    return ("\ufeff" if bom else "").encode() + text.getvalue().encode()


def generated(count: int, *, seed: int = 6, people: int | None = None) -> list[list[object]]:
    """`count` answers over the last two years, from `people` distinct emails."""
    rng = random.Random(seed)
    people = people or max(count // 3, 1)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows: list[list[object]] = []
    for number in range(count):
        person = rng.randrange(people)
        when = start + timedelta(seconds=rng.randrange(0, 600 * 24 * 3600))
        rows.append(
            export_row(
                rng,
                response_id=100_000 + number,
                person=person,
                when=when.isoformat(),
                domain="example.com",
            )
        )
    return rows


def write(path: Path, rows: list[list[object]]) -> Path:
    """Streams rows to disk without building the whole file in memory."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path
