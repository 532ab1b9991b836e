"""The Delighted CSV importer: what it reads, what it refuses, what it writes."""

import io
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.core.validators import validate_email
from django.http import QueryDict
from hypothesis import given
from hypothesis import strategies as st

from dashboards.filters import parse_filters
from dashboards.metrics import summary
from importer import delighted, services
from importer.services import ImportCounts, file_check, file_import
from responses.models import Channel, Note, Respondent, Response
from rollups.models import RollupDay
from surveys.models import Survey
from tenants.models import Organization

from .delighted_files import HEADER, csv_bytes, generated, write

pytestmark = pytest.mark.usefixtures("in_org")


def run(survey: Survey, data: bytes) -> ImportCounts:
    stream = io.BytesIO(data)
    check = file_check(stream=stream)
    assert check.ok, check.errors
    return file_import(survey=survey, stream=stream)


def errors_of(data: bytes) -> list[tuple[int, str]]:
    return [(error.line, error.message) for error in file_check(stream=io.BytesIO(data)).errors]


def row(**cells: object) -> list[object]:
    """One Delighted row; unnamed cells take sensible defaults."""
    values: dict[str, object] = {
        "Response ID": "9001",
        "Score": 9,
        "Comment": "Love it",
        "Person Email": "ada@example.com",
        "Person Name": "Ada",
        "Response Timestamp": "2025-03-04T10:20:30+02:00",
        "Updated At": "2025-03-05T00:00:00Z",
        "Tags": "",
        "Notes": "",
        "Survey Type": "nps",
        "plan": "",
        "country": "",
    }
    values.update({key.replace("_", " "): value for key, value in cells.items()})
    return [values[column] for column in HEADER]


# What it reads -------------------------------------------------------------------


def test_it_imports_score_comment_date_and_channel(survey: Survey) -> None:
    counts = run(survey, csv_bytes([row()]))
    assert (counts.imported, counts.skipped) == (1, 0)
    response = Response.objects.get()
    assert (response.score, response.comment, response.channel) == (9, "Love it", Channel.IMPORT)
    assert response.created_at == datetime(2025, 3, 4, 8, 20, 30, tzinfo=UTC)
    assert response.survey == survey
    assert response.client_id == "delighted:9001"


def test_it_keeps_tags_notes_and_other_columns_as_properties(survey: Survey) -> None:
    data = csv_bytes(
        [
            row(
                Tags="Pricing, onboarding,,pricing",
                Notes="Called back\n\nOffered a discount",
                plan="pro",
            )
        ]
    )
    run(survey, data)
    response = Response.objects.get()
    assert response.tags == ["pricing", "onboarding"]
    assert response.properties == {"plan": "pro"}  # empty cells and ignored columns left out
    notes = list(Note.objects.filter(response=response).values_list("body", "author"))
    assert notes == [("Called back", None), ("Offered a discount", None)]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2025-03-04T10:20:30+02:00", datetime(2025, 3, 4, 8, 20, 30, tzinfo=UTC)),
        ("2025-03-04T08:20:30Z", datetime(2025, 3, 4, 8, 20, 30, tzinfo=UTC)),
        ("2025-03-04 08:20:30", datetime(2025, 3, 4, 8, 20, 30, tzinfo=UTC)),
        ("2025-03-04 01:20:30 -0700", datetime(2025, 3, 4, 8, 20, 30, tzinfo=UTC)),
        ("1741076430", datetime(2025, 3, 4, 8, 20, 30, tzinfo=UTC)),
    ],
)
def test_it_reads_every_date_format(survey: Survey, written: str, expected: datetime) -> None:
    run(survey, csv_bytes([row(Response_Timestamp=written)]))
    assert Response.objects.get().created_at == expected


def test_it_matches_columns_in_any_case_and_tolerates_a_bom(survey: Survey) -> None:
    header = ["SCORE", "comment", "EMAIL", "name", "created_at", "Delighted ID", "Source"]
    data = csv_bytes(
        [[3, "Slow", "Bob@Example.com", "Bob", "2025-01-02 03:04:05", "x1", "web"]],
        header=header,
        bom=True,
    )
    run(survey, data)
    response = Response.objects.select_related("respondent").get()
    assert (response.score, response.comment, response.properties) == (3, "Slow", {"Source": "web"})
    assert (response.respondent.email, response.respondent.name) == ("bob@example.com", "Bob")
    assert response.client_id.startswith("import:")


def test_it_creates_one_respondent_per_email_and_reuses_existing_ones(
    survey: Survey, org: Organization
) -> None:
    known = Respondent.objects.create(organization=org, email="ada@example.com", external_id="u1")
    rows = [
        row(Response_ID="1", Person_Email="ada@example.com", Person_Name="Ada"),
        row(Response_ID="2", Person_Email="ADA@example.com", Person_Name=""),
        row(
            Response_ID="3",
            Person_Email="bob@example.com",
            Person_Name="Bob",
            Response_Timestamp="2024-05-01T00:00:00Z",
        ),
        row(
            Response_ID="4",
            Person_Email="bob@example.com",
            Person_Name="Bob",
            Response_Timestamp="2024-02-01T00:00:00Z",
        ),
        row(Response_ID="5", Person_Email="", Person_Name="Nobody"),
    ]
    run(survey, csv_bytes(rows))
    assert Respondent.objects.count() == 2
    known.refresh_from_db()
    assert known.name == "Ada"  # a missing name is filled
    assert set(Response.objects.filter(respondent=known).values_list("client_id", flat=True)) == {
        "delighted:1",
        "delighted:2",
    }
    bob = Respondent.objects.get(email="bob@example.com")
    assert bob.first_seen_at == datetime(2024, 2, 1, tzinfo=UTC)
    assert Response.objects.get(client_id="delighted:5").respondent is None


# Idempotence -----------------------------------------------------------------------


def test_importing_the_same_file_twice_adds_nothing(survey: Survey) -> None:
    data = csv_bytes([row(Response_ID=str(n), Notes="Called") for n in range(30)])
    assert run(survey, data).imported == 30
    again = run(survey, data)
    assert (again.imported, again.skipped) == (0, 30)
    assert (Response.objects.count(), Note.objects.count(), Respondent.objects.count()) == (
        30,
        30,
        1,
    )


def test_rows_without_a_response_id_are_recognised_by_their_content(survey: Survey) -> None:
    header = ["Score", "Comment", "Email", "Created At"]
    rows = [[n % 11, f"comment {n}", f"p{n}@example.com", "2025-06-01 12:00:00"] for n in range(20)]
    assert run(survey, csv_bytes(rows, header=header)).imported == 20
    more = [*rows, [7, "a new one", "p@example.com", "2025-06-02 12:00:00"]]
    counts = run(survey, csv_bytes(list(reversed(more)), header=header))
    assert (counts.imported, counts.skipped) == (1, 20)
    assert Response.objects.count() == 21


def test_an_interrupted_import_is_completed_by_importing_again(survey: Survey) -> None:
    rows = [row(Response_ID=str(n)) for n in range(10)]
    run(survey, csv_bytes(rows[:4]))
    counts = run(survey, csv_bytes(rows))
    assert (counts.imported, counts.skipped) == (6, 4)
    assert Response.objects.count() == 10


def test_a_2000_row_export_imported_twice_leaves_2000_responses(
    survey: Survey, capsys: pytest.CaptureFixture[str]
) -> None:
    data = csv_bytes(generated(2000))
    started = time.monotonic()
    first = run(survey, data)
    elapsed = time.monotonic() - started
    second = run(survey, data)
    assert (first.imported, second.imported, second.skipped) == (2000, 0, 2000)
    assert Response.objects.filter(channel=Channel.IMPORT).count() == 2000
    with capsys.disabled():
        print(f"\n2,000 rows imported in {elapsed:.2f} s ({2000 / elapsed:,.0f} rows/s)")


# What it refuses -----------------------------------------------------------------------


def test_a_malformed_file_reports_its_bad_lines_and_imports_nothing(survey: Survey) -> None:
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    rows = [
        row(Response_ID="1"),  # line 2
        row(Response_ID="2", Comment="two\nlines"),  # lines 3-4
        row(Response_ID="3", Score=11),  # line 5
        row(Response_ID="4", Score=""),  # line 6
        row(Response_ID="5", Response_Timestamp="yesterday"),  # line 7
        row(Response_ID="6", Response_Timestamp=future),  # line 8
        row(Response_ID="7", Person_Email="not-an-email"),  # line 9
        row(Response_ID="8", Score="7.5"),  # line 10
        row(Response_ID="9"),  # line 11
    ]
    data = csv_bytes(rows)
    found = errors_of(data)
    assert [line for line, _ in found] == [5, 6, 7, 8, 9, 10]
    assert "11" in found[0][1] and "missing" in found[1][1]
    assert "future" in found[3][1] and "not-an-email" in found[4][1]
    assert file_check(stream=io.BytesIO(data)).rows == 3
    with pytest.raises(ValueError):
        file_import(survey=survey, stream=io.BytesIO(data))
    assert Response.objects.count() == 0


def test_it_names_the_lines_that_are_not_utf8(survey: Survey) -> None:
    data = csv_bytes([row(Response_ID="1"), row(Response_ID="2"), row(Response_ID="3")])
    lines = data.split(b"\r\n")
    lines[2] = lines[2].replace(b"Love it", b"Love \xff it")
    assert errors_of(b"\r\n".join(lines)) == [(3, "The text is not valid UTF-8.")]


def test_it_refuses_a_file_without_the_required_columns(survey: Survey) -> None:
    data = csv_bytes([["great", "a@example.com"]], header=["Comment", "Email"])
    assert errors_of(data) == [(1, "Missing required column(s): Score, Created At.")]


def test_it_refuses_a_line_with_more_cells_than_the_header(survey: Survey) -> None:
    data = csv_bytes([[9, "2025-01-01", "extra"]], header=["Score", "Created At"])
    assert errors_of(data) == [(2, "3 columns, but the header has 2.")]


def test_it_refuses_an_empty_file(survey: Survey) -> None:
    assert errors_of(b"") == [(1, "The file is empty.")]
    assert errors_of(csv_bytes([])) == [(1, "The file has no rows.")]


def test_it_lists_the_first_hundred_errors_and_counts_them_all(survey: Survey) -> None:
    data = csv_bytes([row(Response_ID=str(n), Score=12) for n in range(250)])
    check = file_check(stream=io.BytesIO(data))
    assert (len(check.errors), check.error_count, check.errors[-1].line) == (100, 250, 101)


# Numbers -------------------------------------------------------------------------------


def test_the_metrics_and_the_rollups_count_imported_answers(
    survey: Survey, org: Organization
) -> None:
    run(survey, csv_bytes(generated(300)))
    scores = list(Response.objects.values_list("score", flat=True))
    filters = parse_filters(
        QueryDict("range=custom&from=2024-01-01&to=2025-12-31"), tz=org.time_zone
    )
    numbers = summary(filters=filters)
    assert numbers.promoters == sum(score >= 9 for score in scores)
    assert numbers.detractors == sum(score <= 6 for score in scores)
    assert numbers.promoters + numbers.passives + numbers.detractors == 300
    rolled = sum(
        sum(getattr(day, f"s{n}") for n in range(11))
        for day in RollupDay.objects.filter(channel=Channel.IMPORT)
    )
    assert rolled == 300


# The command ---------------------------------------------------------------------------


def test_the_command_imports_a_file_with_a_progress_bar_and_a_summary(
    survey: Survey, org: Organization, tmp_path: Path
) -> None:
    path = write(tmp_path / "export.csv", generated(50))
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import_delighted",
        str(path),
        org=org.slug,
        survey=survey.public_key,
        stdout=out,
        stderr=err,
    )
    assert "Imported 50 response(s), skipped 0 already present" in out.getvalue()
    assert "100% (50/50 rows)" in err.getvalue()
    out = io.StringIO()
    call_command(
        "import_delighted",
        str(path),
        org=org.slug,
        survey=str(survey.pk),
        stdout=out,
        stderr=io.StringIO(),
    )
    assert "Imported 0 response(s), skipped 50 already present" in out.getvalue()
    assert Response.objects.count() == 50


def test_the_command_lists_the_errors_and_fails(
    survey: Survey, org: Organization, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([row(), row(Response_ID="2", Score="ten")]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 error"):
        call_command(
            "import_delighted",
            str(path),
            org=org.slug,
            survey=survey.public_key,
            stdout=io.StringIO(),
            stderr=err,
        )
    assert "Line 3: The score “ten” is not a whole number from 0 to 10." in err.getvalue()
    assert Response.objects.count() == 0


def test_the_command_refuses_another_organizations_survey(
    survey: Survey, other_org: Organization, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(csv_bytes([row()]))
    with pytest.raises(CommandError, match="No survey"):
        call_command("import_delighted", str(path), org=other_org.slug, survey=survey.public_key)


def test_the_command_exits_non_zero_on_an_invalid_file(
    survey: Survey, org: Organization, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Run as a program, the refusal is an exit status scripts can test."""
    path = tmp_path / "bad.csv"
    path.write_bytes(b"Comment\nhello\n")
    argv = [
        "manage.py",
        "import_delighted",
        str(path),
        "--org",
        org.slug,
        "--survey",
        survey.public_key,
    ]
    with pytest.raises(SystemExit) as exit_:
        ManagementUtility(argv).execute()
    assert exit_.value.code == 1
    assert "Line 1: Missing required column(s): Score, Created At." in capsys.readouterr().err


# Reading once ------------------------------------------------------------------------


def test_the_import_writes_the_rows_its_check_read_without_reading_the_file_again(
    survey: Survey,
) -> None:
    stream = io.BytesIO(csv_bytes([row(Response_ID="1"), row(Response_ID="2")]))
    check = file_check(stream=stream)
    stream.seek(0)
    stream.write(b"garbage that no longer parses\r\n" * 10)
    counts = file_import(survey=survey, check=check)
    assert (counts.imported, counts.skipped) == (2, 0)
    assert set(Response.objects.values_list("client_id", flat=True)) == {
        "delighted:1",
        "delighted:2",
    }


def test_a_check_is_consumed_by_its_import(survey: Survey) -> None:
    check = file_check(stream=io.BytesIO(csv_bytes([row()])))
    file_import(survey=survey, check=check)
    with pytest.raises(ValueError):
        file_import(survey=survey, check=check)
    assert Response.objects.count() == 1


def test_an_import_without_a_check_refuses_a_file_with_a_bad_line_near_its_end(
    survey: Survey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "BATCH_ROWS", 5)
    rows = [row(Response_ID=str(n)) for n in range(20)] + [row(Response_ID="x", Score=12)]
    with pytest.raises(ValueError, match="Line 22"):
        file_import(survey=survey, stream=io.BytesIO(csv_bytes(rows)))
    assert Response.objects.count() == 0


def test_it_imports_in_batches_reporting_progress_after_each(
    survey: Survey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "BATCH_ROWS", 4)
    rows = [row(Response_ID=str(n), Person_Email=f"p{n % 3}@example.com") for n in range(10)]
    seen: list[int] = []
    check = file_check(stream=io.BytesIO(csv_bytes(rows)))
    counts = file_import(survey=survey, check=check, progress=lambda done, _: seen.append(done))
    assert seen == [4, 8, 10]
    assert (counts.imported, counts.skipped) == (10, 0)
    assert Respondent.objects.count() == 3


def test_a_row_repeated_in_the_file_is_imported_once_and_counted_as_skipped(
    survey: Survey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "BATCH_ROWS", 3)
    first = row(Response_ID="1", Notes="Called", Comment="first")
    again = row(Response_ID="1", Notes="Called", Comment="again")
    rows = [first, again, row(Response_ID="2"), row(Response_ID="3"), again]
    counts = run(survey, csv_bytes(rows))
    assert (counts.imported, counts.skipped) == (3, 2)
    assert Response.objects.get(client_id="delighted:1").comment == "first"
    assert Note.objects.count() == 1


def test_rows_split_across_read_chunks_keep_their_line_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(delighted, "CHUNK_BYTES", 16)
    rows = [
        row(Response_ID="1", Comment="two\nlines"),  # lines 2-3
        row(Response_ID="2", Score=11),  # line 4
        row(Response_ID="3", Comment="BAD"),  # line 5
        row(Response_ID="4", Comment="NUL"),  # line 6
        row(Response_ID="5", Score=12),  # line 7
    ]
    data = csv_bytes(rows).replace(b"BAD", b"B\xffD").replace(b"NUL", b"N\x00L")
    assert errors_of(data) == [
        (4, "The score “11” is not a whole number from 0 to 10."),
        (5, "The text is not valid UTF-8."),
        (6, "The text contains a NUL character."),
        (7, "The score “12” is not a whole number from 0 to 10."),
    ]


@given(st.emails())
def test_every_address_the_quick_pattern_accepts_django_accepts_too(address: str) -> None:
    for value in (address, address.upper()):
        if delighted._PLAIN_EMAIL.fullmatch(value):
            validate_email(value)


@pytest.mark.parametrize(
    "address", ["a..b@x.com", "a@-x.com", "a@x-.com", "a@x.c", "a@x.c0m", "é@x.com", "a@x.com."]
)
def test_addresses_outside_the_quick_pattern_are_still_judged_by_django(address: str) -> None:
    assert not delighted._PLAIN_EMAIL.fullmatch(address)
    assert delighted._valid_email(address) == _django_accepts(address)


def _django_accepts(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True
