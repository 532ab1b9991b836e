"""Delighted-style response exports, written the way Delighted writes them."""

import csv
import io
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

HEADER = [
    "Response ID",
    "Score",
    "Comment",
    "Person Email",
    "Person Name",
    "Response Timestamp",
    "Updated At",
    "Tags",
    "Notes",
    "Survey Type",
    "plan",
    "country",
]
COMMENTS = ["", "", "Great product", "Too slow", "Support was helpful", "Pricey, but worth it"]


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
            [
                100_000 + number,
                rng.randint(0, 10),
                rng.choice(COMMENTS),
                f"person{person}@example.com",
                f"Person {person}" if person % 4 else "",
                when.isoformat(),
                when.isoformat(),
                "pricing, onboarding" if number % 50 == 0 else "",
                "Called back\nResolved" if number % 100 == 0 else "",
                "nps",
                rng.choice(["free", "pro", "enterprise"]),
                rng.choice(["FR", "DE", "US", ""]),
            ]
        )
    return rows


def write(path: Path, rows: list[list[object]]) -> Path:
    """Streams rows to disk without building the whole file in memory."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path
