"""The CSV export: streamed, filtered, escaped, one tenant only, queries by batch not by row."""

import csv
import io
import re
import zoneinfo
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from followups.export import (
    HEADER,
    batched_responses,
    csv_lines,
    escape_cell,
    postgres_chunks,
    python_chunks,
    quoted,
)
from responses.models import Note, Respondent, Response
from surveys.models import Survey, SurveyVariant
from surveys.services import survey_create, variant_create
from tenants.context import tenant_context
from tenants.models import Organization
from tests.test_followups import MARCH, at, make_response


def export_url(slug: str = "example", query: str = MARCH) -> str:
    return reverse("followups:export", kwargs={"org_slug": slug}) + "?" + query


def read(response: Any) -> list[dict[str, str]]:
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(content[1:])))
    assert rows[0] == HEADER
    return [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]


@pytest.fixture
def answered(org: Organization, survey: Survey, owner: Any, admin_user: Any) -> Response:
    """A detractor with the whole follow-up: assignee, tags, two notes."""
    org.time_zone = "Europe/Paris"
    org.save()
    with tenant_context(org):
        ann = Respondent.objects.create(
            organization=org,
            external_id="user-42",
            email="ann@customer.test",
            name="Anne Lefèvre",
            profile_url="https://app.example.com/users/42",
            traits={"plan": "pro", "seats": 3},
        )
        response = make_response(
            survey,
            3,
            at(10),
            respondent=ann,
            comment='Qualité en baisse,\n"vraiment"',
            channel="email",
            language="fr",
            follow_up_status="contacted",
            assignee=admin_user,
            tags=["pricing", "slow"],
        )
        for minute, author, body in ((30, owner, "Called"), (45, admin_user, "Refund sent")):
            Note.objects.create(
                organization=org,
                response=response,
                author=author,
                body=body,
                created_at=at(10, minute=minute),
            )
        return response


def test_it_streams_a_csv_attachment(owner_client: Client, answered: Response) -> None:
    response = owner_client.get(export_url())
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="responses-example-\d{4}-\d{2}-\d{2}\.csv"',
        response["Content-Disposition"],
    )
    assert "no-store" in response["Cache-Control"]


def test_it_writes_every_column(owner_client: Client, answered: Response) -> None:
    (row,) = read(owner_client.get(export_url()))
    assert row == {
        "id": str(answered.pk),
        "created_at": "2026-03-10T13:00:00+01:00",
        "survey": "Product NPS",
        "variant": "",
        "score": "3",
        "category": "detractor",
        "comment": 'Qualité en baisse,\n"vraiment"',
        "channel": "email",
        "language": "fr",
        "respondent_external_id": "user-42",
        "respondent_email": "ann@customer.test",
        "respondent_name": "Anne Lefèvre",
        "respondent_profile_url": "https://app.example.com/users/42",
        "respondent_traits": '{"plan": "pro", "seats": 3}',
        "follow_up_status": "contacted",
        "assignee_email": "admin@example.com",
        "tags": "pricing; slow",
        "notes": (
            "owner@example.com at 2026-03-10 13:30: Called\n"
            "admin@example.com at 2026-03-10 13:45: Refund sent"
        ),
    }


def test_it_names_the_variant_each_answer_saw(
    owner_client: Client, org: Organization, survey: Survey
) -> None:
    with tenant_context(org):
        variant_create(survey=survey, name="Original")
        short = variant_create(survey=survey, name="Short, friendly")
        plain = make_response(survey, 7, at(11))
        tested = make_response(survey, 9, at(12), variant=short)
    rows = read(owner_client.get(export_url()))
    assert [(row["id"], row["variant"]) for row in rows] == [
        (str(tested.pk), "Short, friendly"),
        (str(plain.pk), ""),
    ]


def test_it_lets_a_viewer_export(member_client: Client, answered: Response) -> None:
    assert len(read(member_client.get(export_url()))) == 1


def test_it_answers_404_to_an_outsider(outsider_client: Client, answered: Response) -> None:
    assert outsider_client.get(export_url()).status_code == 404


def test_it_never_includes_another_organizations_rows(
    outsider_client: Client, owner_client: Client, other_org: Organization, answered: Response
) -> None:
    theirs = survey_create(organization=other_org, kind="customer", name="Their NPS")
    with tenant_context(other_org):
        make_response(theirs, 10, at(11), comment="Their answer")
    ours = read(owner_client.get(export_url()))
    assert [row["id"] for row in ours] == [str(answered.pk)]
    their_rows = read(outsider_client.get(export_url("other")))
    assert [row["comment"] for row in their_rows] == ["Their answer"]


def test_it_respects_the_filters(
    owner_client: Client, org: Organization, survey: Survey, answered: Response
) -> None:
    with tenant_context(org):
        make_response(survey, 10, at(12), comment="March promoter")
        make_response(survey, 0, at(12) + timedelta(days=30), comment="April detractor")
    comments = [row["comment"] for row in read(owner_client.get(export_url()))]
    assert comments == ["March promoter", answered.comment]
    rows = read(owner_client.get(export_url(query=MARCH + "&category=promoter")))
    assert [row["comment"] for row in rows] == ["March promoter"]


def test_it_keeps_each_note_on_its_own_answer_when_filtered_rows_interleave(
    owner_client: Client, org: Organization, survey: Survey, owner: Any
) -> None:
    other = survey_create(organization=org, kind="customer", name="Other NPS")
    with tenant_context(org):
        for i in range(4):
            for target in (survey, other):
                response = make_response(target, 5, at(12, minute=i), comment=target.name)
                Note.objects.create(
                    organization=org, response=response, author=owner, body=f"{target.name} {i}"
                )
    rows = read(owner_client.get(export_url(query=f"{MARCH}&survey={survey.pk}")))
    assert [row["comment"] for row in rows] == ["Product NPS"] * 4
    assert [row["notes"].split(": ")[1] for row in rows] == [
        f"Product NPS {i}" for i in (3, 2, 1, 0)
    ]


def test_it_exports_the_inbox_as_shown(
    owner_client: Client, org: Organization, survey: Survey, answered: Response
) -> None:
    with tenant_context(org):
        make_response(survey, 10, at(12), comment="Promoter")
        make_response(survey, 7, at(12), comment="Passive")
        make_response(survey, 1, at(12), comment="Resolved", follow_up_status="resolved")
    rows = read(owner_client.get(export_url(query=MARCH + "&inbox=1")))
    assert [row["comment"] for row in rows] == [answered.comment]
    rows = read(
        owner_client.get(export_url(query=MARCH + "&inbox=1&status=all&include_passives=1"))
    )
    assert sorted(row["comment"] for row in rows) == sorted(
        ["Passive", "Resolved", answered.comment]
    )


def test_it_answers_400_to_bad_filters(owner_client: Client) -> None:
    assert owner_client.get(export_url(query="range=custom&from=2026-03-01")).status_code == 400
    assert owner_client.get(export_url(query=MARCH + "&inbox=1&status=zzz")).status_code == 400


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("plain = text", "plain = text"),
        ("", ""),
    ],
)
def test_it_escapes_formulas(value: str, escaped: str) -> None:
    assert escape_cell(value) == escaped


def test_it_escapes_formulas_in_every_text_column(
    owner_client: Client, org: Organization, survey: Survey, owner: Any
) -> None:
    with tenant_context(org):
        evil = Respondent.objects.create(
            organization=org, external_id="=cmd|' /C calc'!A0", name="@Evil", email="-x@evil.test"
        )
        response = make_response(
            survey, 0, at(10), respondent=evil, comment="=1+1", tags=["-1", "ok"]
        )
        Note.objects.create(organization=org, response=response, author=owner, body="=2+2")
    (row,) = read(owner_client.get(export_url()))
    assert row["comment"] == "'=1+1"
    assert row["respondent_external_id"] == "'=cmd|' /C calc'!A0"
    assert row["respondent_name"] == "'@Evil"
    assert row["respondent_email"] == "'-x@evil.test"
    assert row["tags"] == "'-1; ok"


def _many(org: Organization, survey: Survey, owner: Any, count: int, start: int = 0) -> None:
    with tenant_context(org):
        variants = list(SurveyVariant.objects.filter(survey=survey)) or [None]
        for i in range(start, start + count):
            ann = Respondent.objects.create(organization=org, external_id=f"u{i}")
            response = make_response(
                survey,
                i % 11,
                at(5) + timedelta(minutes=i),
                respondent=ann,
                variant=variants[i % len(variants)],
            )
            Note.objects.create(organization=org, response=response, author=owner, body="n")


def _queries(client: Client) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as context:
        rows = read(client.get(export_url()))
    return len(context.captured_queries), len(rows)


def test_it_runs_the_same_number_of_queries_for_few_or_many_rows(
    owner_client: Client, org: Organization, survey: Survey, owner: Any
) -> None:
    # The session's first page of the organization also stores it (tenants.middleware):
    # open one first, so both exports below count only their own statements.
    assert owner_client.get(f"/o/{org.slug}/").status_code == 200
    with tenant_context(org):  # answers that saw a variant cost no query of their own
        for name in ("A", "B"):
            variant_create(survey=survey, name=name)
    _many(org, survey, owner, 3)
    few, count = _queries(owner_client)
    assert count == 3
    _many(org, survey, owner, 40, start=3)
    many, count = _queries(owner_client)
    assert count == 43
    assert many == few


def _rows_with_ties(survey: Survey) -> list[int]:
    """Eight answers, five of them at one timestamp: batches must not skip or repeat ties."""
    ids = [make_response(survey, 5, at(7)).pk for _ in range(5)]
    return ids + [make_response(survey, 5, at(8)).pk for _ in range(3)]


def test_it_reads_every_row_once_across_batches(
    org: Organization, survey: Survey, owner: Any
) -> None:
    with tenant_context(org):
        ids = _rows_with_ties(survey)
        with CaptureQueriesContext(connection) as context:
            seen = [r.pk for r in batched_responses(Response.objects.all(), batch_size=3)]
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
    assert len(context.captured_queries) == 6  # three batches, each rows + notes


ON_POSTGRES = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL writes the lines itself"
)
# Everything csv.writer quotes, every formula start, and what neither touches.
AWKWARD = [
    "plain",
    "a,b",
    'say "hi"',
    "two\nlines",
    "cr\rhere",
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    "\tlead",
    "\rlead",
    '=a,"b"\n',
    "'quoted",
    " space",
    "Ünïcødé ✓",
    "",
]


@pytest.mark.parametrize("value", [*AWKWARD, ",", '"', "\n"])
def test_it_quotes_a_cell_as_csv_writer_does(value: str) -> None:
    written = io.StringIO()
    csv.writer(written).writerow([value, "x"])
    assert written.getvalue() == quoted(value) + ",x\r\n"


def _awkward_answers(org: Organization, survey: Survey, owner: Any, admin_user: Any) -> None:
    Survey.objects.filter(pk=survey.pk).update(name='=Survey, "odd"')
    moments = [
        at(10, hour=1),  # winter
        datetime(2026, 7, 14, 23, 59, 59, 999999, tzinfo=UTC),  # summer, cut to the second
        datetime(1890, 5, 1, 12, tzinfo=UTC),  # before standard time: odd offsets
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # Paris changes its clocks
    ]
    traits: list[Any] = [{"é": "ü", "b": [1, 2.5], "a": None, "z": "x,y"}, {}, [], "=a"]
    # Variant names are text the admins wrote: quoted and escaped like the others.
    variants: list[SurveyVariant | None] = [
        SurveyVariant.objects.create(organization=org, survey=survey, name=name)
        for name in ('=Short, "odd"\nline', "Plain", "-1", "Ünïcødé ✓")
    ]
    variants.append(None)
    for i, value in enumerate(AWKWARD):
        person = Respondent.objects.create(
            organization=org,
            external_id=f"{value}{i}",
            email=value,
            name=value,
            profile_url=value,
            traits=traits[i % len(traits)],
        )
        response = make_response(
            survey,
            i % 11,
            moments[i % len(moments)],
            respondent=person if i % 5 else None,
            comment=value,
            language=value[:8],
            assignee=admin_user if i % 2 else None,
            tags=[value, "b"] if i % 3 else [],
            variant=variants[i % len(variants)],
        )
        if i % 4 == 0:
            for author in (owner, None):
                Note.objects.create(
                    organization=org, response=response, author=author, body=value or "x"
                )


@ON_POSTGRES
@pytest.mark.parametrize("zone", ["Europe/Paris", "America/St_Johns", "Asia/Kathmandu", "UTC"])
def test_it_writes_the_same_lines_in_the_database_as_in_python(
    org: Organization, survey: Survey, owner: Any, admin_user: Any, zone: str
) -> None:
    with tenant_context(org):
        _awkward_answers(org, survey, owner, admin_user)
        answers = Response.objects.all()
        expected = "".join(python_chunks(answers, zone=ZoneInfo(zone)))
        written = "".join(postgres_chunks(answers, zone=ZoneInfo(zone), batch_size=3))
    assert len(list(csv.reader(io.StringIO(expected)))) == len(AWKWARD)
    assert written == expected


@ON_POSTGRES
def test_it_reads_every_row_once_when_the_database_writes_the_lines(
    org: Organization, survey: Survey, owner: Any
) -> None:
    with tenant_context(org):
        ids = _rows_with_ties(survey)
        with CaptureQueriesContext(connection) as context:
            lines = postgres_chunks(Response.objects.all(), zone=ZoneInfo("UTC"), batch_size=3)
            text = "".join(lines)
    seen = [int(line.split(",")[0]) for line in text.splitlines()]
    assert seen == sorted(ids, reverse=True)
    assert len(context.captured_queries) == 6  # three batches, each lines + notes


def _paris_named(key: str) -> ZoneInfo:
    for root in zoneinfo.TZPATH:
        path = Path(root, "Europe", "Paris")
        if path.exists():
            with path.open("rb") as data:
                return ZoneInfo.from_file(data, key=key)
    pytest.skip("no time zone files on this system")


def test_it_writes_the_file_in_python_for_a_zone_the_database_does_not_know(
    org: Organization, survey: Survey
) -> None:
    unknown = _paris_named("Mars/Olympus")
    with tenant_context(org):
        make_response(survey, 9, at(10), comment="Ça va")
        answers = Response.objects.all()
        expected = "".join(python_chunks(answers, zone=unknown))
    text = "".join(csv_lines(organization=org, queryset=answers, zone=unknown))
    assert text == "\ufeff" + ",".join(HEADER) + "\r\n" + expected
    assert "2026-03-10T13:00:00+01:00" in expected
