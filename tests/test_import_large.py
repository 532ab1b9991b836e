"""A large Delighted export, on PostgreSQL: imported twice, counted once.

The elapsed time and rate are printed, not asserted: speed is measured by the
benchmarks, on a machine that is not shared with the rest of the test suite.
"""

import time
from pathlib import Path

import pytest

from importer.services import file_check, file_import
from responses.models import Channel, Response
from surveys.models import Survey

from .delighted_files import generated, write

ROWS = 200_000

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("in_org"), pytest.mark.timeout(900)]


def test_a_200000_row_export_imported_twice_leaves_200000_responses(
    survey: Survey, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "export.csv", generated(ROWS, people=50_000))
    rates = []
    for attempt in ("first", "second"):
        started = time.monotonic()
        with path.open("rb") as stream:
            check = file_check(stream=stream)
            assert check.ok and check.rows == ROWS
            counts = file_import(survey=survey, stream=stream)
        elapsed = time.monotonic() - started
        rates.append(f"{attempt} import: {elapsed:.1f} s, {ROWS / elapsed:,.0f} rows/s")
        assert counts.done == ROWS
    assert Response.objects.filter(channel=Channel.IMPORT).count() == ROWS
    assert counts.imported == 0
    with capsys.disabled():
        print("\n" + "\n".join(rates))
