"""The back office's filters: read from the URL, validated, written back."""

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.http import QueryDict
from django.utils import translation
from django.utils.http import urlencode

from dashboards.filters import RANGE_CHOICES, FilterError, Filters, FixedSelect, parse_filters
from responses.models import Note, Respondent, Response
from surveys.services import survey_create
from tenants.context import tenant_context
from tenants.models import Organization

TODAY = date(2026, 3, 31)


def parse(params: dict[str, Any] | None = None, *, tz: str = "UTC") -> Filters:
    return parse_filters(QueryDict(urlencode(params or {}, doseq=True)), tz=tz, today=TODAY)


def errors_of(params: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(FilterError) as caught:
        parse(params)
    return caught.value.errors


def midnight(day: date, tz: str = "UTC") -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(tz))


def test_it_defaults_to_the_last_90_days_and_no_filter(in_org: Organization) -> None:
    filters = parse()
    assert filters.range == "90"
    assert filters.start == midnight(date(2026, 1, 1))
    assert filters.end == midnight(date(2026, 4, 1))
    assert (filters.local_start, filters.local_last, filters.days) == (
        date(2026, 1, 1),
        TODAY,
        90,
    )
    assert (filters.survey, filters.channel, filters.category, filters.score) == (
        None,
        "",
        "",
        None,
    )
    assert (filters.language, filters.traits, filters.q) == ("", (), "")


@pytest.mark.parametrize(("period", "days"), [("30", 30), ("90", 90), ("365", 365)])
def test_it_ends_each_preset_period_with_today(
    in_org: Organization, period: str, days: int
) -> None:
    filters = parse({"range": period})
    assert filters.days == days
    assert filters.local_last == TODAY


def test_it_starts_days_at_midnight_in_the_organization_time_zone(in_org: Organization) -> None:
    filters = parse({"range": "30"}, tz="America/New_York")
    assert filters.start == midnight(date(2026, 3, 2), "America/New_York")
    assert filters.start.utcoffset() == timedelta(hours=-5)
    assert filters.end == midnight(date(2026, 4, 1), "America/New_York")


def test_it_reads_a_custom_period_with_both_ends_included(in_org: Organization) -> None:
    filters = parse({"range": "custom", "from": "2025-12-01", "to": "2025-12-31"})
    assert (filters.start, filters.end) == (midnight(date(2025, 12, 1)), midnight(date(2026, 1, 1)))
    assert filters.days == 31


def test_it_accepts_a_one_day_period(in_org: Organization) -> None:
    filters = parse({"range": "custom", "from": "2026-02-02", "to": "2026-02-02"})
    assert filters.days == 1


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"range": "custom"}, "needs both a start and an end"),
        ({"range": "custom", "from": "2026-01-01"}, "needs both a start and an end"),
        ({"range": "custom", "from": "2026-01-02", "to": "2026-01-01"}, "ends before it starts"),
        ({"range": "custom", "from": "2020-01-01", "to": "2023-12-31"}, "at most three years"),
        ({"range": "custom", "from": "yesterday", "to": "2026-01-01"}, "valid date"),
    ],
)
def test_it_refuses_a_bad_custom_period(
    in_org: Organization, params: dict[str, str], message: str
) -> None:
    errors = errors_of(params)
    assert message in " ".join(" ".join(msgs) for msgs in errors.values())


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"range": "7"}, "range"),
        ({"channel": "fax"}, "channel"),
        ({"category": "fans"}, "category"),
        ({"score": "11"}, "score"),
        ({"score": "-1"}, "score"),
        ({"score": "ten"}, "score"),
        ({"survey": "not-a-number"}, "survey"),
        ({"survey": "999999"}, "survey"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_it_names_the_bad_parameter(
    in_org: Organization, params: dict[str, str], field: str
) -> None:
    assert field in errors_of(params)


@pytest.mark.parametrize(
    "raw",
    ["plan", ":pro", "pl an:pro", "plan.tier:pro", f"{'k' * 65}:v", "a'b:c"],
)
def test_it_refuses_a_trait_that_is_not_key_value(in_org: Organization, raw: str) -> None:
    assert "key:value" in errors_of({"trait": raw})["trait"][0]


def test_it_reads_traits_as_written(in_org: Organization) -> None:
    filters = parse({"trait": ["plan:pro", " seats : 3 ", "team_size-x:a:b", ""]})
    assert filters.traits == (("plan", "pro"), ("seats", "3"), ("team_size-x", "a:b"))


def test_it_normalises_language_and_search(in_org: Organization) -> None:
    filters = parse({"language": " FR ", "q": "  too slow "})
    assert (filters.language, filters.q) == ("fr", "too slow")


def test_it_refuses_another_organizations_survey(
    org: Organization, other_org: Organization
) -> None:
    with tenant_context(other_org):
        theirs = survey_create(organization=other_org, kind="customer", name="T", product_name="T")
    with tenant_context(org):
        assert "survey" in errors_of({"survey": theirs.pk})


def test_it_writes_every_filter_back_to_the_same_filters(in_org: Organization, survey: Any) -> None:
    params = {
        "range": "custom",
        "from": "2026-02-01",
        "to": "2026-02-14",
        "survey": str(survey.pk),
        "channel": "email",
        "category": "detractor",
        "score": "0",
        "language": "fr",
        "trait": ["plan:pro", "country:FR"],
        "q": "slow & pricey?",
    }
    filters = parse(params)
    again = parse_filters(QueryDict(filters.querystring()[1:]), tz="UTC", today=TODAY)
    assert again == filters
    assert filters.score == 0


def test_it_leaves_the_dates_out_of_a_preset_period(in_org: Organization) -> None:
    query = parse({"range": "30", "from": "2020-01-01", "to": "2020-01-02"}).querystring()
    assert query == "?range=30"


def test_it_replaces_or_drops_a_parameter_in_the_querystring(
    in_org: Organization, survey: Any
) -> None:
    filters = parse({"survey": survey.pk, "channel": "widget"})
    assert filters.querystring(survey=None) == "?range=90&channel=widget"
    assert filters.querystring(survey=7) == "?range=90&channel=widget&survey=7"
    assert filters.querystring(granularity="week").endswith("&granularity=week")


def test_it_takes_the_previous_period_of_the_same_length(in_org: Organization) -> None:
    filters = parse({"range": "custom", "from": "2026-03-01", "to": "2026-03-31"})
    previous = filters.previous()
    assert (previous.local_start, previous.local_last) == (date(2026, 1, 29), date(2026, 2, 28))
    assert previous.end == filters.start
    assert previous.days == filters.days


def test_it_narrows_related_rows_through_a_prefix(in_org: Organization, survey: Any) -> None:
    person = Respondent.objects.create(organization=in_org, external_id="u", traits={"plan": "pro"})
    inside = Response.objects.create(
        organization=in_org,
        survey=survey,
        respondent=person,
        score=2,
        created_at=midnight(date(2026, 3, 30)),
    )
    outside = Response.objects.create(
        organization=in_org, survey=survey, score=2, created_at=midnight(date(2025, 1, 1))
    )
    for response in (inside, outside):
        Note.objects.create(organization=in_org, response=response, body="Called")
    filters = parse({"trait": "plan:pro", "category": "detractor"})
    notes = filters.apply(Note.objects.all(), prefix="response__")
    assert [note.response_id for note in notes] == [inside.pk]


@pytest.mark.parametrize("value", [None, "", "90", "365", "nonsense"])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_remembered_select_draws_exactly_what_the_widget_draws(
    value: str | None, language: str
) -> None:
    with translation.override(language):
        for _ in range(2):  # drawn, then remembered
            remembered = FixedSelect(choices=RANGE_CHOICES).render("range", value, {"id": "r"})
            assert remembered == forms.Select(choices=RANGE_CHOICES).render(
                "range", value, {"id": "r"}
            )


def test_a_remembered_select_follows_the_language() -> None:
    with translation.override("en"):
        english = FixedSelect(choices=RANGE_CHOICES).render("range", "90")
    with translation.override("fr"):
        french = FixedSelect(choices=RANGE_CHOICES).render("range", "90")
    assert english != french
    assert "Last 90 days" in english
