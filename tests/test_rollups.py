"""Daily rollups: exact absolute counts per (survey, local day, channel), and
dashboards that read them give the numbers a raw count gives."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection
from django.http import QueryDict
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.http import urlencode
from hypothesis import given
from hypothesis import strategies as st

from dashboards import metrics
from dashboards.filters import Filters, parse_filters
from responses.models import PromptEvent, Respondent, Response
from responses.services import answer_record
from rollups.models import SCORE_FIELDS, DirtyKey, RollupDay, Watermark
from rollups.selectors import organizations_due, runs_between, served_days
from rollups.services import day_runs, rollups_rebuild, rollups_refresh
from rollups.tasks import rebuild, refresh_all
from surveys.services import survey_create
from tenants.context import all_tenants, tenant_context
from tenants.models import Organization

MARCH = {"range": "custom", "from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture(autouse=True)
def no_overlap(settings: Any) -> Iterator[None]:
    # Rows written a moment before a refresh are settled: days become servable.
    settings.ROLLUPS_OVERLAP_SECONDS = 0
    cache.clear()
    yield
    cache.clear()


def refresh(organization: Organization) -> int | None:
    """A refresh as a worker runs it: committed, its on-commit hint set."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return rollups_refresh(organization=organization)


def at(day: int, hour: int = 12, month: int = 3, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def answer(survey: Any, score: int, when: datetime, channel: str = "widget", **more: Any) -> Any:
    return Response.objects.create(
        organization=survey.organization,
        survey=survey,
        score=score,
        created_at=when,
        channel=channel,
        **more,
    )


def event(survey: Any, kind: str, when: datetime, channel: str = "widget") -> PromptEvent:
    person, _ = Respondent.objects.get_or_create(organization=survey.organization, external_id="p")
    return PromptEvent.objects.create(
        organization=survey.organization,
        survey=survey,
        respondent=person,
        kind=kind,
        channel=channel,
        created_at=when,
    )


def counts() -> dict[tuple[int, date, str], list[int]]:
    return {
        (row.survey_id, row.day, row.channel): [
            *(getattr(row, name) for name in SCORE_FIELDS),
            row.displays,
            row.dismissals,
        ]
        for row in RollupDay.objects.all()
    }


def scores(**given: int) -> list[int]:
    """`scores(s10=2, displays=1)` as a rollup row's 13 counts."""
    names = [*SCORE_FIELDS, "displays", "dismissals"]
    return [given.get(name, 0) for name in names]


def make_filters(params: dict[str, Any] | None = None, *, tz: str = "UTC") -> Filters:
    query = QueryDict(urlencode(params or MARCH, doseq=True))
    return parse_filters(query, tz=tz, today=date(2026, 3, 31))


def everything(filters: Filters) -> list[Any]:
    found = [
        metrics.summary(filters=filters),
        metrics.histogram(filters=filters),
        metrics.response_rates(filters=filters),
        metrics.change(filters=filters),
        [(row.survey.pk, row.summary) for row in metrics.by_survey(filters=filters)],
        metrics.trend(filters=filters, granularity="day"),
        metrics.trend(filters=filters, granularity="week", rolling_days=10),
        metrics.trend(filters=filters, granularity="week"),
        metrics.trend(filters=filters, granularity="month"),
    ]
    overview = metrics.overview(filters=filters)
    # The overview page reads them together: the same numbers.
    assert [overview.buckets, overview.rates, overview.change] == found[1:4]
    assert [(row.survey.pk, row.summary) for row in overview.surveys] == found[4]
    return found


def assert_same_as_raw(filters: Filters, settings: Any) -> list[Any]:
    served = everything(filters)
    settings.ROLLUPS_ENABLED = False
    try:
        assert served == everything(filters)
    finally:
        settings.ROLLUPS_ENABLED = True
    return served


# Counting --------------------------------------------------------------------


def test_it_counts_each_score_per_local_day_and_channel(in_org: Organization, survey: Any) -> None:
    answer(survey, 10, at(3))
    answer(survey, 10, at(3, 20))
    answer(survey, 0, at(3), channel="link")
    answer(survey, 7, at(4))
    event(survey, "display", at(3))
    event(survey, "not_now", at(3))
    event(survey, "never", at(3))
    event(survey, "answer", at(3))  # answers are counted from responses
    refresh(in_org)
    assert counts() == {
        (survey.pk, date(2026, 3, 3), "widget"): scores(s10=2, displays=1, dismissals=2),
        (survey.pk, date(2026, 3, 3), "link"): scores(s0=1),
        (survey.pk, date(2026, 3, 4), "widget"): scores(s7=1),
    }


def test_it_writes_the_same_counts_when_run_twice(in_org: Organization, survey: Any) -> None:
    answer(survey, 9, at(3))
    answer(survey, 3, at(5))
    refresh(in_org)
    first = counts()
    refresh(in_org)
    rollups_rebuild(organization=in_org, first=date(2026, 3, 1), last=date(2026, 3, 31))
    rollups_rebuild(organization=in_org, first=date(2026, 3, 1), last=date(2026, 3, 31))
    Watermark.objects.update(through=None)  # as if the first refresh had never finished
    refresh(in_org)
    assert (
        counts()
        == first
        == {
            (survey.pk, date(2026, 3, 3), "widget"): scores(s9=1),
            (survey.pk, date(2026, 3, 5), "widget"): scores(s3=1),
        }
    )


def test_it_moves_the_count_when_a_score_changes(in_org: Organization, survey: Any) -> None:
    answer_record(survey=survey, respondent=None, client_id="c1", score=2)
    refresh(in_org)
    today = next(iter(counts()))
    assert counts()[today] == scores(s2=1)
    answer_record(survey=survey, respondent=None, client_id="c1", score=9)
    refresh(in_org)
    assert counts() == {today: scores(s9=1)}


def test_it_removes_a_deleted_answer_and_its_empty_row(in_org: Organization, survey: Any) -> None:
    kept, gone = answer(survey, 10, at(3)), answer(survey, 1, at(4))
    refresh(in_org)
    gone.delete()
    assert DirtyKey.objects.count() == 1
    refresh(in_org)
    assert counts() == {(survey.pk, date(2026, 3, 3), "widget"): scores(s10=1)}
    assert DirtyKey.objects.count() == 0
    Respondent.objects.create(organization=in_org, external_id="x")
    kept.delete()
    refresh(in_org)
    assert counts() == {}


def test_it_forgets_the_displays_of_an_erased_respondent(in_org: Organization, survey: Any) -> None:
    shown = event(survey, "display", at(3))
    refresh(in_org)
    shown.respondent.delete()
    refresh(in_org)
    assert counts() == {}


@pytest.mark.parametrize(
    ("field", "value", "moved"),
    [
        ("created_at", at(9), (date(2026, 3, 9), "widget")),
        ("channel", "email", (date(2026, 3, 3), "email")),
    ],
)
def test_it_moves_the_count_when_an_answer_changes_day_or_channel(
    in_org: Organization, survey: Any, field: str, value: Any, moved: tuple[date, str]
) -> None:
    response = answer(survey, 6, at(3))
    refresh(in_org)
    setattr(response, field, value)
    response.save()
    refresh(in_org)
    assert counts() == {(survey.pk, *moved): scores(s6=1)}


def test_it_moves_the_count_to_another_survey(in_org: Organization, survey: Any) -> None:
    other = survey_create(organization=in_org, kind="employee", name="eNPS")
    response = answer(survey, 8, at(3))
    refresh(in_org)
    response.survey = other
    response.save(update_fields=["survey", "updated_at"])
    refresh(in_org)
    assert counts() == {(other.pk, date(2026, 3, 3), "widget"): scores(s8=1)}


def test_it_catches_an_import_of_old_answers(in_org: Organization, survey: Any) -> None:
    answer(survey, 10, at(20))
    refresh(in_org)
    Response.objects.bulk_create(
        [Response(organization=in_org, survey=survey, score=5, created_at=at(2, month=1))]
    )
    event(survey, "display", at(2, month=1))
    refresh(in_org)
    assert counts()[(survey.pk, date(2026, 1, 2), "widget")] == scores(s5=1, displays=1)


def test_it_rebuilds_a_range_and_nothing_else(in_org: Organization, survey: Any) -> None:
    answer(survey, 10, at(3))
    answer(survey, 4, at(10))
    refresh(in_org)
    RollupDay.objects.update(s10=7, s4=7)
    RollupDay.objects.create(organization=in_org, survey=survey, day=date(2026, 3, 4), channel="x")
    rebuild.delay(organization_id=in_org.pk, first="2026-03-01", last="2026-03-05")
    assert counts() == {
        (survey.pk, date(2026, 3, 3), "widget"): scores(s10=1),
        (survey.pk, date(2026, 3, 10), "widget"): scores(s4=7, s10=7),  # outside: untouched
    }
    rollups_rebuild(
        organization=in_org, first=date(2026, 3, 10), last=date(2026, 3, 10), survey_id=survey.pk
    )
    assert counts()[(survey.pk, date(2026, 3, 10), "widget")] == scores(s4=1)


# Time zones ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("Pacific/Auckland", date(2026, 3, 4)),  # UTC+13: already tomorrow
        ("America/Los_Angeles", date(2026, 3, 2)),  # UTC-8: still yesterday
        ("UTC", date(2026, 3, 3)),
    ],
)
def test_it_cuts_days_in_the_organizations_time_zone(
    in_org: Organization, survey: Any, zone: str, day: date
) -> None:
    in_org.time_zone = zone
    in_org.save()
    answer(survey, 10, at(3, 23, minute=30) if zone == "Pacific/Auckland" else at(3, 5))
    refresh(in_org)
    assert list(counts()) == [(survey.pk, day, "widget")]


def test_it_recuts_every_day_when_the_time_zone_changes(
    in_org: Organization, survey: Any, settings: Any
) -> None:
    answer(survey, 10, at(3, 23))
    refresh(in_org)
    in_org.time_zone = "Asia/Tokyo"
    in_org.save()
    assert (
        served_days(
            organization=in_org,
            start=make_filters(tz="Asia/Tokyo").start,
            end=make_filters(tz="Asia/Tokyo").end,
            survey_ids=[survey.pk],
        )
        == []
    ), "days cut in UTC must not serve Tokyo's"
    refresh(in_org)
    assert list(counts()) == [(survey.pk, date(2026, 3, 4), "widget")]
    assert Watermark.objects.get().time_zone == "Asia/Tokyo"
    assert_same_as_raw(make_filters(tz="Asia/Tokyo"), settings)


# Metrics ---------------------------------------------------------------------


def history(survey: Any) -> None:
    for day, score, channel in [
        (1, 10, "widget"),
        (1, 0, "link"),
        (2, 9, "widget"),
        (5, 7, "email"),
        (5, 3, "widget"),
        (17, 10, "widget"),
        (31, 6, "widget"),
    ]:
        answer(survey, score, at(day), channel=channel, language="fr" if score > 8 else "en")
    answer(survey, 8, at(20, month=2))  # the previous period
    for day in (1, 2, 5, 17):
        event(survey, "display", at(day))
        event(survey, "display", at(day), channel="link")
    event(survey, "not_now", at(2))


def test_the_metrics_read_rollups_and_equal_a_raw_count(
    in_org: Organization, survey: Any, settings: Any
) -> None:
    history(survey)
    refresh(in_org)
    filters = make_filters()
    assert served_days(
        organization=in_org, start=filters.start, end=filters.end, survey_ids=[survey.pk]
    ) == [(date(2026, 3, 1), date(2026, 3, 31))]
    summary = assert_same_as_raw(filters, settings)[0]
    assert (summary.promoters, summary.passives, summary.detractors) == (3, 1, 3)


def test_the_weeks_and_months_summed_from_rollups_are_those_of_the_days_across_dst(
    in_org: Organization, survey: Any, settings: Any
) -> None:
    """Paris moves its clocks on 29 March and 25 October: each answer near a
    local midnight must fall in its local week and month, from rollups or raw."""
    in_org.time_zone = "Europe/Paris"
    in_org.save()
    moments = [
        datetime(2026, 3, 29, 21, 30, tzinfo=UTC),  # Sunday 23:30 in Paris (summer time)
        datetime(2026, 3, 29, 22, 30, tzinfo=UTC),  # Monday 30 March 00:30
        datetime(2026, 3, 31, 22, 30, tzinfo=UTC),  # Wednesday 1 April 00:30
        datetime(2026, 10, 25, 22, 30, tzinfo=UTC),  # Sunday 23:30 (winter time again)
        datetime(2026, 10, 25, 23, 30, tzinfo=UTC),  # Monday 26 October 00:30
        datetime(2026, 10, 31, 23, 30, tzinfo=UTC),  # Sunday 1 November 00:30
    ]
    for n, moment in enumerate(moments):
        answer(survey, n * 2, moment)
    refresh(in_org)
    # Written since the refresh: its day is counted raw, the rest of its week from rollups.
    answer(survey, 10, datetime(2026, 4, 2, 10, tzinfo=UTC))
    params = {"range": "custom", "from": "2026-03-25", "to": "2026-11-10"}
    filters = make_filters(params, tz="Europe/Paris")
    assert served_days(
        organization=in_org, start=filters.start, end=filters.end, survey_ids=[survey.pk]
    ) == [(date(2026, 3, 25), date(2026, 4, 1)), (date(2026, 4, 3), date(2026, 11, 10))]
    days = metrics.trend(filters=filters, granularity="day")
    for granularity in ("week", "month"):
        for point in assert_trend_same_as_raw(filters, granularity, settings):
            inside = [day.summary for day in days if point.first <= day.first <= point.last]
            assert point.summary == sum(inside, metrics.EMPTY), (granularity, point)
    weeks = metrics.trend(filters=filters, granularity="week")
    assert [(p.first, p.n) for p in weeks if p.n] == [
        (date(2026, 3, 25), 1),
        (date(2026, 3, 30), 3),
        (date(2026, 10, 19), 1),
        (date(2026, 10, 26), 2),
    ]


def assert_trend_same_as_raw(filters: Filters, granularity: str, settings: Any) -> list[Any]:
    served = metrics.trend(filters=filters, granularity=granularity)
    settings.ROLLUPS_ENABLED = False
    try:
        assert served == metrics.trend(filters=filters, granularity=granularity)
    finally:
        settings.ROLLUPS_ENABLED = True
    return served


@pytest.mark.parametrize(
    "narrowed",
    [
        {"survey": "SURVEY"},
        {"channel": "widget"},
        {"category": "detractor"},
        {"score": "10"},
        {"category": "promoter", "channel": "link"},
        {"language": "fr"},
        {"q": "slow"},
        {"trait": "plan:pro"},
    ],
)
def test_every_filter_gives_the_raw_numbers(
    in_org: Organization, survey: Any, settings: Any, narrowed: dict[str, str]
) -> None:
    history(survey)
    refresh(in_org)
    params = {**MARCH, **narrowed}
    if params.get("survey") == "SURVEY":
        params["survey"] = str(survey.pk)
    assert_same_as_raw(make_filters(params), settings)


def test_days_touched_since_the_refresh_are_counted_raw(
    in_org: Organization, survey: Any, settings: Any
) -> None:
    history(survey)
    refresh(in_org)
    answer(survey, 0, at(5))  # not yet in the rollups
    Response.objects.filter(created_at=at(17)).first().delete()  # type: ignore[union-attr]
    filters = make_filters()
    runs = served_days(
        organization=in_org, start=filters.start, end=filters.end, survey_ids=[survey.pk]
    )
    assert runs == [
        (date(2026, 3, 1), date(2026, 3, 4)),
        (date(2026, 3, 6), date(2026, 3, 16)),
        (date(2026, 3, 18), date(2026, 3, 31)),
    ]
    summary = assert_same_as_raw(filters, settings)[0]
    assert (summary.promoters, summary.detractors) == (2, 4)


@pytest.mark.parametrize(
    ("touched", "grouped_by_period"),
    [
        ([at(5)], False),  # this period only: every raw row is of it
        ([at(20, month=2)], False),  # the previous period only
        ([at(5), at(20, month=2)], True),  # both: each raw row is sorted by its time
    ],
)
def test_the_overview_counts_raw_rows_of_either_period_as_raw(
    in_org: Organization,
    survey: Any,
    settings: Any,
    touched: list[datetime],
    grouped_by_period: bool,
) -> None:
    history(survey)
    refresh(in_org)
    for moment in touched:
        answer(survey, 0, moment)  # after the refresh: its day is counted raw
    filters = make_filters()
    with CaptureQueriesContext(connection) as queries:
        overview = metrics.overview(filters=filters)
    raw = [q["sql"] for q in queries if q["sql"].startswith('SELECT CASE WHEN "responses_')]
    assert len(raw) == grouped_by_period
    assert_same_as_raw(filters, settings)
    assert overview.change.current.detractors == 3 + sum(t >= filters.start for t in touched)
    assert overview.change.previous.detractors == sum(t < filters.start for t in touched)


@given(
    first=st.integers(0, 30),
    length=st.integers(0, 40),
    stale=st.sets(st.integers(-5, 75), max_size=15),
)
def test_the_runs_between_two_days_are_the_runs_of_the_days_left(
    first: int, length: int, stale: set[int]
) -> None:
    origin = date(2026, 3, 1)
    start, last = origin + timedelta(days=first), origin + timedelta(days=first + length)
    without = {origin + timedelta(days=n) for n in stale}
    days = [start + timedelta(days=i) for i in range(length + 1)]
    assert runs_between(start, last, without=without) == day_runs(
        day for day in days if day not in without
    )


@pytest.mark.parametrize(
    ("writes", "stale", "statements"),
    [
        ([], [], 2),
        ([("answer", at(5, 1)), ("answer", at(5, 23))], [5], 2),  # one local day: found at once
        ([("display", at(9))], [9], 2),
        ([("answer", at(5)), ("display", at(9))], [5, 9], 3),  # days apart: then listed
        ([("answer", at(5)), ("answer", at(7)), ("answer", at(9))], [5, 7, 9], 3),
        ([("answer", at(5)), ("delete", at(17))], [5, 17], 3),  # a queued dirty key
    ],
)
def test_it_finds_the_days_touched_since_the_refresh(
    in_org: Organization,
    survey: Any,
    writes: list[tuple[str, datetime]],
    stale: list[int],
    statements: int,
) -> None:
    history(survey)
    refresh(in_org)
    for kind, moment in writes:
        if kind == "answer":
            answer(survey, 5, moment)
        elif kind == "display":
            event(survey, "display", moment)
        else:
            Response.objects.filter(created_at=moment).delete()
    filters = make_filters()
    with CaptureQueriesContext(connection) as queries:
        runs = served_days(
            organization=in_org, start=filters.start, end=filters.end, survey_ids=[survey.pk]
        )
    served = {day for first, last in runs for day in day_range(first, last)}
    assert sorted(set(day_range(date(2026, 3, 1), date(2026, 3, 31))) - served) == [
        date(2026, 3, day) for day in stale
    ]
    assert len(queries) == statements


def day_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def test_a_partial_day_at_the_edge_is_counted_raw(in_org: Organization, survey: Any) -> None:
    answer(survey, 10, at(3, 6))
    answer(survey, 0, at(3, 18))
    refresh(in_org)
    utc = ZoneInfo("UTC")
    start, end = at(3, 12).astimezone(utc), at(5, 0).astimezone(utc)
    assert served_days(organization=in_org, start=start, end=end, survey_ids=[survey.pk]) == [
        (date(2026, 3, 4), date(2026, 3, 4))
    ]
    summary = metrics.summary(filters=Filters(start=start, end=end))
    assert (summary.promoters, summary.detractors) == (0, 1)


def test_an_organization_without_rollups_is_counted_raw(
    in_org: Organization, survey: Any, django_assert_num_queries: Any
) -> None:
    history(survey)
    filters = make_filters({**MARCH, "survey": survey.pk})
    with django_assert_num_queries(1):
        assert metrics.summary(filters=filters).total == 7


# Tasks -----------------------------------------------------------------------


def test_beat_refreshes_every_organization_in_its_own_context(
    org: Organization, other_org: Organization, survey: Any
) -> None:
    with tenant_context(other_org):
        theirs = survey_create(organization=other_org, kind="customer", name="Theirs")
        answer(theirs, 1, at(3))
    with tenant_context(org):
        answer(survey, 10, at(3))
    DirtyKey.objects.create(organization_id=999_999, survey_id=1, channel="w", created_at=at(3))
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert refresh_all.delay().get() == 2
    assert RollupDay.objects.unscoped().count() == 2
    assert Watermark.objects.unscoped().count() == 2
    assert not DirtyKey.objects.filter(organization_id=999_999).exists()
    with tenant_context(org):
        assert counts() == {(survey.pk, date(2026, 3, 3), "widget"): scores(s10=1)}


# Which organizations a tick refreshes --------------------------------------------


def due(now: datetime | None = None) -> list[int]:
    with all_tenants():
        return organizations_due(now=now or timezone.now())


def test_a_tick_skips_organizations_with_nothing_new(
    org: Organization, other_org: Organization, survey: Any
) -> None:
    assert due() == [org.pk, other_org.pk]  # never refreshed
    with tenant_context(org):
        answer(survey, 9, at(3))
    refresh(org)
    refresh(other_org)
    assert due() == []
    # Nothing new for an hour: refreshed all the same, so its hint never lapses.
    assert due(now=timezone.now() + timedelta(hours=1, seconds=1)) == [org.pk, other_org.pk]


@pytest.mark.parametrize("change", ["answer", "score", "display", "dismissal", "delete", "zone"])
def test_a_tick_refreshes_an_organization_with_anything_new(
    org: Organization, other_org: Organization, survey: Any, change: str
) -> None:
    with tenant_context(org):
        old = answer(survey, 9, at(3))
    refresh(org)
    refresh(other_org)
    with tenant_context(org):
        if change == "answer":
            answer(survey, 3, at(4))
        elif change == "score":
            old.score = 2
            old.save(update_fields=["score", "updated_at"])
        elif change == "display":
            event(survey, PromptEvent.Kind.DISPLAY, timezone.now())
        elif change == "dismissal":
            event(survey, PromptEvent.Kind.NOT_NOW, timezone.now())
        elif change == "delete":
            old.delete()
    if change == "zone":
        Organization.objects.filter(pk=org.pk).update(time_zone="Europe/Paris")
    assert due() == [org.pk]
    refresh(Organization.objects.get(pk=org.pk))
    assert due() == []


def test_an_answer_event_alone_is_not_counted_so_wakes_nothing(
    org: Organization, survey: Any
) -> None:
    refresh(org)
    with tenant_context(org):
        event(survey, PromptEvent.Kind.ANSWER, timezone.now())
    assert due() == []


def test_beat_enqueues_only_the_organizations_due(
    org: Organization, other_org: Organization, survey: Any
) -> None:
    refresh(org)
    refresh(other_org)
    with tenant_context(org):
        answer(survey, 10, at(5))
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert refresh_all.delay().get() == 1
    with tenant_context(org):
        assert counts() == {(survey.pk, date(2026, 3, 5), "widget"): scores(s10=1)}
