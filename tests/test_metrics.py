"""The back office's numbers, checked against hand-computed values."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils.http import urlencode

from dashboards import metrics
from dashboards.filters import Filters, parse_filters
from responses.models import PromptEvent, Respondent, Response
from surveys.models import Survey
from surveys.services import survey_create
from tenants.context import tenant_context
from tenants.models import Organization

TODAY = date(2026, 3, 31)
MARCH = {"range": "custom", "from": "2026-03-01", "to": "2026-03-31"}


def make_filters(params: dict[str, Any] | None = None, *, tz: str = "UTC") -> Filters:
    return parse_filters(QueryDict(urlencode(params or MARCH, doseq=True)), tz=tz, today=TODAY)


def at(day: int, hour: int = 12, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def answer(survey: Any, score: int, when: datetime | None = None, **fields: Any) -> Response:
    return Response.objects.create(
        organization=survey.organization,
        survey=survey,
        score=score,
        created_at=when or at(15),
        **fields,
    )


def answers(survey: Any, scores: dict[int, int], when: datetime | None = None) -> None:
    """`scores` maps a score to how many answers gave it."""
    Response.objects.bulk_create(
        Response(
            organization=survey.organization, survey=survey, score=s, created_at=when or at(15)
        )
        for s, count in scores.items()
        for _ in range(count)
    )


def display(survey: Any, respondent: Respondent, channel: str, when: datetime) -> None:
    PromptEvent.objects.create(
        organization=survey.organization,
        survey=survey,
        respondent=respondent,
        kind=PromptEvent.Kind.DISPLAY,
        channel=channel,
        created_at=when,
    )


# Summary ---------------------------------------------------------------------


def test_it_splits_a_hand_computed_case(in_org: Organization, survey: Any) -> None:
    for score in (10, 10, 9, 8, 5):
        answer(survey, score)
    result = metrics.summary(filters=make_filters())
    assert (result.promoters, result.passives, result.detractors, result.total) == (3, 1, 1, 5)
    assert (result.promoter_percent, result.passive_percent, result.detractor_percent) == (
        60,
        20,
        20,
    )
    assert result.nps_exact == 40
    # p = .6, d = .2: Var = (.8 - .4²) / 5 = .128
    assert result.standard_error == pytest.approx(35.777, abs=0.001)
    assert result.margin_of_error == pytest.approx(70.12, abs=0.01)


def test_it_matches_the_product_check_values(in_org: Organization, survey: Any) -> None:
    answers(survey, {10: 50, 8: 30, 3: 20})
    result = metrics.summary(filters=make_filters())
    assert result.nps == pytest.approx(30)
    assert result.standard_error == pytest.approx(7.81, abs=0.005)
    assert result.margin_of_error == pytest.approx(15.31, abs=0.01)


def test_it_has_no_score_without_answers(in_org: Organization, survey: Any) -> None:
    result = metrics.summary(filters=make_filters())
    assert result.total == 0
    assert result.nps is None
    assert result.promoter_percent == 0
    assert result.margin_of_error is None


def test_it_scores_a_single_answer(in_org: Organization, survey: Any) -> None:
    answer(survey, 9)
    result = metrics.summary(filters=make_filters())
    assert (result.nps, result.margin_of_error, result.total) == (100, 0, 1)


def test_it_reaches_minus_100_with_only_detractors(in_org: Organization, survey: Any) -> None:
    answers(survey, {0: 2, 6: 3})
    assert metrics.summary(filters=make_filters()).nps == -100


def test_it_reaches_plus_100_with_only_promoters(in_org: Organization, survey: Any) -> None:
    answers(survey, {9: 2, 10: 3})
    assert metrics.summary(filters=make_filters()).nps == 100


def test_it_counts_only_the_period(in_org: Organization, survey: Any) -> None:
    answer(survey, 10, at(28, month=2))
    answer(survey, 0, at(1, hour=0))
    answer(survey, 10, datetime(2026, 4, 1, tzinfo=UTC))
    assert metrics.summary(filters=make_filters()).total == 1


def test_it_counts_days_in_the_organization_time_zone(in_org: Organization, survey: Any) -> None:
    # 23:30 UTC on 28 February is already 1 March in Paris.
    answer(survey, 10, datetime(2026, 2, 28, 23, 30, tzinfo=UTC))
    assert metrics.summary(filters=make_filters(tz="Europe/Paris")).total == 1
    assert metrics.summary(filters=make_filters()).total == 0


def on_answers(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries if 'FROM "responses_response"' in q["sql"]]


def test_it_aggregates_the_summary_in_one_query(in_org: Organization, survey: Any) -> None:
    answers(survey, {10: 3, 2: 1})
    filters = make_filters()
    with CaptureQueriesContext(connection) as queries:
        metrics.summary(filters=filters)
    assert len(on_answers(queries)) == 1
    assert len(queries) == 2  # and the ids of the organization's surveys


def test_it_needs_no_survey_lookup_for_one_survey(
    in_org: Organization, survey: Any, django_assert_num_queries: Any
) -> None:
    filters = make_filters({**MARCH, "survey": survey.pk})
    with django_assert_num_queries(1):
        metrics.summary(filters=filters)


# Histogram -------------------------------------------------------------------


def test_it_counts_every_score_including_empty_ones(in_org: Organization, survey: Any) -> None:
    answers(survey, {0: 1, 6: 2, 7: 1, 10: 4})
    buckets = metrics.histogram(filters=make_filters())
    assert [b.score for b in buckets] == list(range(11))
    assert [b.count for b in buckets] == [1, 0, 0, 0, 0, 0, 2, 1, 0, 0, 4]
    assert [b.category for b in buckets[5:10]] == [
        "detractor",
        "detractor",
        "passive",
        "passive",
        "promoter",
    ]


def test_it_has_eleven_empty_buckets_without_answers(in_org: Organization, survey: Any) -> None:
    assert [b.count for b in metrics.histogram(filters=make_filters())] == [0] * 11


# Response rate ---------------------------------------------------------------


def test_it_divides_answers_by_displays_per_channel(in_org: Organization, survey: Any) -> None:
    person = Respondent.objects.create(organization=in_org, external_id="u1")
    for day in (2, 3, 4, 5):
        display(survey, person, "widget", at(day))
    display(survey, person, "widget", at(20, month=2))  # before the period
    answer(survey, 9, channel="widget")
    answer(survey, 3, channel="widget")
    answer(survey, 8, channel="link")
    rates = {r.channel: r for r in metrics.response_rates(filters=make_filters())}
    assert set(rates) == {"widget", "link"}
    assert (rates["widget"].answers, rates["widget"].displays) == (2, 4)
    assert rates["widget"].rate == 0.5
    assert rates["widget"].percent == 50
    assert (rates["link"].answers, rates["link"].displays, rates["link"].rate) == (1, 0, None)


def test_it_keeps_the_response_rate_to_the_chosen_survey(in_org: Organization, survey: Any) -> None:
    other = survey_create(organization=in_org, kind="employee", name="Pulse", product_name="X")
    person = Respondent.objects.create(organization=in_org, external_id="u1")
    display(survey, person, "widget", at(2))
    display(other, person, "widget", at(2))
    answer(survey, 10, channel="widget")
    rates = metrics.response_rates(filters=make_filters({**MARCH, "survey": survey.pk}))
    assert [(r.answers, r.displays) for r in rates] == [(1, 1)]


def test_it_ignores_answer_filters_in_the_response_rate(in_org: Organization, survey: Any) -> None:
    person = Respondent.objects.create(organization=in_org, external_id="u1")
    display(survey, person, "widget", at(2))
    display(survey, person, "widget", at(3))
    answer(survey, 10, channel="widget")
    answer(survey, 0, channel="widget")
    rates = metrics.response_rates(filters=make_filters({**MARCH, "category": "promoter"}))
    assert [(r.answers, r.displays) for r in rates] == [(2, 2)]


# Change ----------------------------------------------------------------------


def test_it_compares_with_the_previous_period_of_the_same_length(
    in_org: Organization, survey: Any
) -> None:
    filters = make_filters({"range": "custom", "from": "2026-03-11", "to": "2026-03-20"})
    previous = filters.previous()
    assert (previous.local_start, previous.local_last) == (date(2026, 3, 1), date(2026, 3, 10))
    answers(survey, {10: 50, 8: 30, 3: 20}, at(15))
    answers(survey, {10: 54, 8: 36, 3: 30}, at(5))
    result = metrics.change(filters=filters)
    assert (result.current.total, result.previous.total) == (100, 120)
    assert result.delta == pytest.approx(10)
    # The product's check: z ≈ 0.93 for this pair, not significant.
    assert result.z == pytest.approx(0.93, abs=0.01)
    assert not result.significant
    assert result.phrase == "+10, not significant"


def test_it_calls_a_large_drop_significant(in_org: Organization, survey: Any) -> None:
    filters = make_filters({"range": "custom", "from": "2026-03-11", "to": "2026-03-20"})
    answers(survey, {10: 20, 8: 30, 3: 50}, at(15))
    answers(survey, {10: 50, 8: 30, 3: 20}, at(5))
    result = metrics.change(filters=filters)
    assert result.delta == pytest.approx(-60)
    assert result.significant
    assert result.p_value is not None and result.p_value < 0.05
    assert result.phrase == "\N{MINUS SIGN}60, significant (p < 0.05)"


def test_it_says_when_there_is_no_previous_data(in_org: Organization, survey: Any) -> None:
    answer(survey, 10)
    result = metrics.change(filters=make_filters())
    assert result.delta is None
    assert result.phrase == "no previous data"


def test_it_crosses_a_daylight_saving_change_at_local_midnight(
    in_org: Organization, survey: Any
) -> None:
    # Paris moves to summer time on 29 March 2026.
    filters = make_filters(
        {"range": "custom", "from": "2026-03-29", "to": "2026-04-04"}, tz="Europe/Paris"
    )
    previous = filters.previous()
    assert (previous.local_start, previous.local_last) == (date(2026, 3, 22), date(2026, 3, 28))
    assert previous.start.hour == 0


# Per survey ------------------------------------------------------------------


def test_it_splits_the_period_by_survey(in_org: Organization, survey: Any) -> None:
    other = survey_create(organization=in_org, kind="employee", name="Pulse", product_name="X")
    answers(survey, {10: 2})
    answer(other, 0)
    answer(other, 0, at(1, month=1))  # outside the period
    rows = {row.survey.name: row.summary for row in metrics.by_survey(filters=make_filters())}
    assert rows["Product NPS"].nps == 100
    assert (rows["Pulse"].nps, rows["Pulse"].total) == (-100, 1)


# Trend -----------------------------------------------------------------------


def test_it_draws_one_point_per_day_with_empty_days(in_org: Organization, survey: Any) -> None:
    answers(survey, {10: 3, 0: 1}, at(2))
    answers(survey, {5: 2}, at(4))
    filters = make_filters({"range": "custom", "from": "2026-03-01", "to": "2026-03-05"})
    points = metrics.trend(filters=filters, granularity="day")
    assert [p.first for p in points] == [date(2026, 3, d) for d in range(1, 6)]
    assert [p.n for p in points] == [0, 4, 0, 2, 0]
    assert [p.nps for p in points] == [None, 50, None, -100, None]
    assert points[1].low is not None and points[1].high is not None
    assert points[1].low < 50 < points[1].high


def test_it_buckets_by_week_from_monday(in_org: Organization, survey: Any) -> None:
    # 1 March 2026 is a Sunday: the first bucket is that day alone.
    answer(survey, 10, at(1))
    answer(survey, 0, at(2))
    answer(survey, 9, at(8))
    answer(survey, 0, at(9))
    points = metrics.trend(filters=make_filters(), granularity="week")
    assert [(p.first.day, p.last.day) for p in points] == [
        (1, 1),
        (2, 8),
        (9, 15),
        (16, 22),
        (23, 29),
        (30, 31),
    ]
    assert [p.n for p in points] == [1, 2, 1, 0, 0, 0]
    assert [p.nps for p in points][:3] == [100, 0, -100]


def test_it_buckets_by_month(in_org: Organization, survey: Any) -> None:
    answer(survey, 10, at(20, month=1))
    answer(survey, 0, at(10, month=3))
    filters = make_filters({"range": "custom", "from": "2026-01-15", "to": "2026-03-31"})
    points = metrics.trend(filters=filters, granularity="month")
    assert [(p.first, p.last) for p in points] == [
        (date(2026, 1, 15), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 3, 31)),
    ]
    assert [p.nps for p in points] == [100, None, -100]


def test_it_sums_a_rolling_window_reaching_before_the_period(
    in_org: Organization, survey: Any
) -> None:
    answer(survey, 10, at(27, month=2))  # inside the 7-day window of 1 March
    answer(survey, 0, at(3))
    answer(survey, 10, at(9))
    filters = make_filters({"range": "custom", "from": "2026-03-01", "to": "2026-03-10"})
    points = metrics.trend(filters=filters, granularity="day", rolling_days=7)
    assert [p.n for p in points] == [1, 1, 2, 2, 2, 1, 1, 1, 2, 1]
    assert points[0].nps == 100
    assert points[2].nps == 0
    assert points[8].nps == 0  # 3 to 9 March: one detractor, one promoter
    assert points[9].nps == 100  # 4 to 10 March: the 3rd has left the window


def test_it_groups_the_trend_by_local_day(in_org: Organization, survey: Any) -> None:
    answer(survey, 10, datetime(2026, 3, 1, 23, 30, tzinfo=UTC))  # 2 March in Paris
    filters = make_filters(
        {"range": "custom", "from": "2026-03-01", "to": "2026-03-03"}, tz="Europe/Paris"
    )
    assert [p.n for p in metrics.trend(filters=filters, granularity="day")] == [0, 1, 0]


@pytest.mark.parametrize("granularity", ["week", "month"])
def test_it_sums_weeks_and_months_in_local_days_across_dst(
    in_org: Organization, survey: Any, granularity: str
) -> None:
    """Each bucket summed by the database is the sum of its local days, also
    around the changes of clock (29 March and 25 October in Paris)."""
    start = datetime(2026, 3, 20, 21, 30, tzinfo=UTC)
    for i in range(90):
        # Every 59 hours, so answers land at every local hour, midnights included.
        answer(survey, i % 11, start + timedelta(hours=59 * i))
    params = {"range": "custom", "from": "2026-03-22", "to": "2026-11-05"}
    filters = make_filters(params, tz="Europe/Paris")
    days = metrics.trend(filters=filters, granularity="day")
    points = metrics.trend(filters=filters, granularity=granularity)
    for point in points:
        inside = [day.summary for day in days if point.first <= day.first <= point.last]
        assert point.summary == sum(inside, metrics.EMPTY), point
    assert sum((p.summary for p in points), metrics.EMPTY) == metrics.summary(filters=filters)
    assert points[0].first == date(2026, 3, 22)


def test_it_reads_the_trend_in_one_query(in_org: Organization, survey: Any) -> None:
    answers(survey, {10: 3}, at(3))
    filters = make_filters()
    with CaptureQueriesContext(connection) as queries:
        metrics.trend(filters=filters, granularity="week", rolling_days=30)
    assert len(on_answers(queries)) == 1


def test_it_picks_a_granularity_by_length(in_org: Organization) -> None:
    assert metrics.default_granularity(filters=make_filters({"range": "30"})) == "day"
    assert metrics.default_granularity(filters=make_filters({"range": "90"})) == "week"
    assert metrics.default_granularity(filters=make_filters({"range": "365"})) == "month"


def test_it_refuses_an_unknown_granularity(in_org: Organization) -> None:
    with pytest.raises(ValueError, match="granularity"):
        metrics.trend(filters=make_filters(), granularity="hour")
    with pytest.raises(ValueError, match="at least one day"):
        metrics.trend(filters=make_filters(), granularity="day", rolling_days=0)


# Filters ---------------------------------------------------------------------


@pytest.fixture
def mixed(in_org: Organization, survey: Any) -> Any:
    pro = Respondent.objects.create(organization=in_org, external_id="p", traits={"plan": "pro"})
    free = Respondent.objects.create(organization=in_org, external_id="f", traits={"plan": "free"})
    answer(survey, 10, channel="widget", language="en", respondent=pro, comment="Fast and neat")
    answer(survey, 9, channel="email", language="fr", respondent=free, comment="Rapide")
    answer(survey, 7, channel="widget", language="fr", respondent=free)
    answer(survey, 3, channel="link", language="en", respondent=pro, comment="Too slow")
    answer(survey, 3, channel="widget", language="en")
    return survey


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"channel": "widget"}, (1, 1, 1)),
        ({"category": "promoter"}, (2, 0, 0)),
        ({"category": "passive"}, (0, 1, 0)),
        ({"category": "detractor"}, (0, 0, 2)),
        ({"score": "3"}, (0, 0, 2)),
        ({"language": "FR"}, (1, 1, 0)),
        ({"trait": "plan:pro"}, (1, 0, 1)),
        ({"trait": ["plan:free", "plan:pro"]}, (0, 0, 0)),
        ({"q": "SLOW"}, (0, 0, 1)),
        ({"channel": "widget", "language": "en"}, (1, 0, 1)),
    ],
)
def test_it_narrows_every_number_by_the_filters(
    mixed: Any, params: dict[str, Any], expected: tuple[int, int, int]
) -> None:
    filters = make_filters({**MARCH, **params})
    result = metrics.summary(filters=filters)
    assert (result.promoters, result.passives, result.detractors) == expected
    assert sum(b.count for b in metrics.histogram(filters=filters)) == sum(expected)
    assert sum(p.n for p in metrics.trend(filters=filters, granularity="week")) == sum(expected)


# Tenancy and cost ------------------------------------------------------------


def test_it_never_counts_another_organization(
    org: Organization, survey: Any, other_org: Organization
) -> None:
    with tenant_context(other_org):
        theirs = survey_create(organization=other_org, kind="customer", name="T", product_name="T")
        person = Respondent.objects.create(organization=other_org, external_id="u1")
        answers(theirs, {0: 5})
        display(theirs, person, "widget", at(2))
    with tenant_context(org):
        answer(survey, 10)
        filters = make_filters()
        assert metrics.summary(filters=filters).total == 1
        assert sum(b.count for b in metrics.histogram(filters=filters)) == 1
        assert [(r.answers, r.displays) for r in metrics.response_rates(filters=filters)] == [
            (1, 0)
        ]
        assert metrics.change(filters=filters).current.total == 1
        assert [row.survey.name for row in metrics.by_survey(filters=filters)] == ["Product NPS"]
        assert sum(p.n for p in metrics.trend(filters=filters, granularity="day")) == 1


def test_it_bounds_every_query_by_organization_surveys_and_period(
    in_org: Organization, survey: Any
) -> None:
    """What lets the database walk the (organization, survey, created_at) index."""
    filters = make_filters()
    with CaptureQueriesContext(connection) as queries:
        metrics.summary(filters=filters)
        metrics.histogram(filters=filters)
        metrics.response_rates(filters=filters)
        metrics.change(filters=filters)
        metrics.by_survey(filters=filters)
        metrics.trend(filters=filters, granularity="day", rolling_days=90)
    rows = [q["sql"] for q in queries if '"responses_' in q["sql"].split("WHERE")[0]]
    assert len(rows) == 8
    for sql in rows:
        assert '"organization_id" = ' in sql, sql
        assert f'"survey_id" IN ({survey.pk})' in sql, sql
        assert '"created_at" >=' in sql and '"created_at" <' in sql, sql


def test_it_starts_the_widened_trend_query_at_the_window(in_org: Organization, survey: Any) -> None:
    filters = make_filters()
    with CaptureQueriesContext(connection) as queries:
        metrics.trend(filters=filters, granularity="day", rolling_days=30)
    since = filters.start - timedelta(days=29)
    assert since.strftime("%Y-%m-%d") in on_answers(queries)[0]


def test_it_answers_without_a_query_when_there_is_no_survey(in_org: Organization) -> None:
    filters = make_filters()
    assert metrics.summary(filters=filters).total == 0
    assert [b.count for b in metrics.histogram(filters=filters)] == [0] * 11
    assert metrics.response_rates(filters=filters) == []
    assert metrics.by_survey(filters=filters) == []
    assert all(p.nps is None for p in metrics.trend(filters=filters, granularity="week"))


@pytest.mark.parametrize("granularity", ["day", "week", "month"])
def test_it_adds_the_buckets_up_to_the_summary(
    in_org: Organization, survey: Any, granularity: str
) -> None:
    for i in range(60):
        answer(survey, (i * 7) % 11, datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=37 * i))
    filters = make_filters({"range": "custom", "from": "2026-01-10", "to": "2026-03-20"})
    points = metrics.trend(filters=filters, granularity=granularity)
    total = metrics.summary(filters=filters)
    assert total.total > 40
    assert sum((p.summary for p in points), metrics.EMPTY) == total
    assert (points[0].first, points[-1].last) == (filters.local_start, filters.local_last)


def test_it_matches_a_rolling_point_with_the_summary_of_its_window(
    in_org: Organization, survey: Any
) -> None:
    for i in range(60):
        answer(survey, (i * 5) % 11, datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=29 * i))
    filters = make_filters({"range": "custom", "from": "2026-01-20", "to": "2026-02-28"})
    points = metrics.trend(filters=filters, granularity="week", rolling_days=30)
    for point in points:
        window = make_filters(
            {
                "range": "custom",
                "from": (point.last - timedelta(days=29)).isoformat(),
                "to": point.last.isoformat(),
            }
        )
        assert point.summary == metrics.summary(filters=window)


def test_the_split_of_the_histogram_is_the_summary(in_org: Organization, survey: Any) -> None:
    for score in (0, 3, 7, 8, 9, 10, 10):
        Response.objects.create(
            organization=in_org,
            survey=survey,
            score=score,
            created_at=datetime(2026, 3, 5, tzinfo=UTC),
        )
    filters = parse_filters(QueryDict("range=custom&from=2026-03-01&to=2026-03-31"), tz="UTC")
    assert metrics.summary_of(buckets=metrics.histogram(filters=filters)) == metrics.summary(
        filters=filters
    )


# The overview page -----------------------------------------------------------


def _one_by_one(filters: Filters) -> list[Any]:
    buckets = metrics.histogram(filters=filters)
    return [
        buckets,
        metrics.response_rates(filters=filters),
        metrics.change(filters=filters, current=metrics.summary_of(buckets=buckets)),
        [(row.survey.pk, row.summary) for row in metrics.by_survey(filters=filters)],
    ]


def _overview(filters: Filters) -> list[Any]:
    found = metrics.overview(filters=filters)
    return [
        found.buckets,
        found.rates,
        found.change,
        [(row.survey.pk, row.summary) for row in found.surveys],
    ]


@pytest.fixture
def two_periods(mixed: Any, in_org: Organization) -> Any:
    """`mixed`'s March answers, February's, a second survey and displays on both."""
    other = survey_create(organization=in_org, kind="customer", name="Onboarding", product_name="X")
    person = Respondent.objects.create(organization=in_org, external_id="d")
    for survey, day, month in ((mixed, 3, 2), (mixed, 20, 3), (other, 28, 2), (other, 9, 3)):
        display(survey, person, "widget", at(day, month=month))
        display(survey, person, "email", at(day, month=month))
    answer(mixed, 2, at(10, month=2), channel="widget")
    answer(mixed, 9, at(27, month=2), channel="email")
    answer(other, 10, at(1, 3), channel="widget", language="fr")
    answer(other, 6, at(31, 23), channel="link")
    answer(other, 8, at(28, 1, month=2), channel="widget")
    return mixed


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"channel": "widget"},
        {"category": "detractor"},
        {"score": "9", "channel": "email"},
        {"language": "fr"},
        {"trait": "plan:pro"},
        {"q": "slow"},
        {"survey": "other"},
    ],
)
def test_the_overview_has_the_numbers_of_each_function(
    two_periods: Any, params: dict[str, Any]
) -> None:
    if params.get("survey") == "other":
        params = {"survey": str(Survey.objects.get(name="Onboarding").pk)}
    filters = make_filters({**MARCH, **params})
    assert _overview(filters) == _one_by_one(filters)
    assert metrics.overview(filters=filters).summary == metrics.summary(filters=filters)


def test_the_overview_has_the_numbers_of_each_function_in_another_time_zone(
    two_periods: Any,
) -> None:
    filters = make_filters(tz="Pacific/Auckland")
    assert _overview(filters) == _one_by_one(filters)


def test_it_reads_the_overview_in_two_queries_of_raw_rows(two_periods: Any) -> None:
    filters = make_filters()
    with CaptureQueriesContext(connection) as queries:
        metrics.overview(filters=filters)
    rows = [q["sql"] for q in queries if '"responses_' in q["sql"].split("WHERE")[0]]
    assert len(rows) == 2  # answers of both periods, then displays


def test_it_answers_the_overview_without_a_survey(in_org: Organization) -> None:
    found = metrics.overview(filters=make_filters())
    assert [b.count for b in found.buckets] == [0] * 11
    assert (found.rates, found.surveys, found.summary.total) == ([], [], 0)
