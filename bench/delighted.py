"""A Delighted response export, as Delighted writes them, for the import figure."""

import csv
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


def export_row(
    rng: random.Random,
    *,
    response_id: int,
    person: int,
    when: str,
    domain: str = "import.example.com",
) -> list[object]:
    """One line of the export: a tag every 50 lines, a two-line note every 100."""
    return [
        response_id,
        rng.randint(0, 10),
        rng.choice(COMMENTS),
        f"person{person}@{domain}",
        f"Person {person}" if person % 4 else "",
        when,
        when,
        "pricing, onboarding" if response_id % 50 == 0 else "",
        "Called back\nResolved" if response_id % 100 == 0 else "",
        "nps",
        rng.choice(["free", "pro", "enterprise"]),
        rng.choice(["FR", "DE", "US", ""]),
    ]


def write_export(path: Path, *, rows: int, people: int, seed: int = 8) -> Path:
    """`rows` answers over the last two years from `people` addresses, streamed to disk."""
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=730)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(HEADER)
        for number in range(rows):
            person = rng.randrange(people)
            when = (start + timedelta(seconds=rng.randrange(0, 720 * 86400))).isoformat()
            writer.writerow(
                export_row(rng, response_id=1_000_000 + number, person=person, when=when)
            )
    return path
