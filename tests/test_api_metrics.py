"""`/api/v1/metrics`: the back office's numbers, from code, with the same filters."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.cache import cache
from django.http import QueryDict
from django.test import Client, TestCase
from django.utils.http import urlencode

from dashboards import metrics
from dashboards.api import numbers
from dashboards.filters import Filters, parse_filters
from responses.models import Respondent, Response
from rollups.selectors import served_days
from rollups.services import rollups_refresh
from surveys.models import Survey
from surveys.services import survey_create
from tenants.context import tenant_context
from tenants.models import Organization

URL = "/api/v1/metrics"
TREND = "/api/v1/metrics/trend"
MARCH = {"range": "custom", "from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture(autouse=True)
def fresh_cache(settings: Any) -> Iterator[None]:
    # Rows written a moment before a refresh are settled, so rollups serve whole days.
    settings.ROLLUPS_OVERLAP_SECONDS = 0
    cache.clear()
    yield
    cache.clear()


def get(key: str | None, url: str = URL, **params: Any) -> Any:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return Client(headers=headers).get(url, QueryDict(urlencode(params, doseq=True)))


def at(day: int, hour: int = 12, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def answer(survey: Survey, score: int, when: datetime, **fields: Any) -> Response:
    return Response.objects.unscoped().create(
        organization=survey.organization, survey=survey, score=score, created_at=when, **fields
    )


def filters_of(org: Organization, params: dict[str, Any]) -> Filters:
    return parse_filters(QueryDict(urlencode(params, doseq=True)), tz=org.time_zone)


def refresh(org: Organization) -> None:
    """A rollup run as a worker does it: committed, its on-commit hint set."""
    with tenant_context(org), TestCase.captureOnCommitCallbacks(execute=True):
        rollups_refresh(organization=org)
    with tenant_context(org):
        filters = filters_of(org, MARCH)
        ids = list(Survey.objects.values_list("pk", flat=True))
        served = served_days(organization=org, start=filters.start, end=filters.end, survey_ids=ids)
    assert served, "the rollups should serve March"


@pytest.fixture
def known(org: Organization, survey: Survey) -> Survey:
    """PRODUCT.md's check: 50 promoters, 30 passives, 20 detractors → NPS 30 ± 15.31."""
    for number in range(100):
        score = (10, 9)[number % 2] if number < 50 else (8, 7)[number % 2] if number < 80 else 3
        answer(survey, score, at(1 + number % 28))
    answer(survey, 0, at(28, month=2))  # outside March
    return survey


@pytest.fixture
def varied(org: Organization, survey: Survey) -> dict[str, Any]:
    """Two surveys, three channels, two languages, traits and comments over March."""
    second = survey_create(organization=org, kind="employee", name="eNPS")
    pro = Respondent.objects.unscoped().create(organization=org, traits={"plan": "pro"})
    free = Respondent.objects.unscoped().create(organization=org, traits={"plan": "free"})
    rows = [
        (survey, 10, 2, "widget", "en", pro, "fast and clear"),
        (survey, 9, 3, "widget", "fr", pro, ""),
        (survey, 6, 5, "email", "en", free, "too slow"),
        (survey, 8, 9, "link", "en", None, ""),
        (survey, 2, 17, "email", "fr", free, "slow support"),
        (survey, 10, 30, "widget", "en", None, ""),
        (second, 7, 4, "widget", "en", pro, ""),
        (second, 9, 12, "link", "en", free, "slow but fine"),
        (second, 0, 22, "widget", "fr", None, ""),
    ]
    for target, score, day, channel, language, person, comment in rows:
        answer(
            target,
            score,
            at(day),
            channel=channel,
            language=language,
            respondent=person,
            comment=comment,
        )
    return {"survey": survey, "second": second}


# Numbers ---------------------------------------------------------------------


def test_it_gives_the_hand_computed_nps_of_a_known_data_set(
    read_only_key: str, known: Survey
) -> None:
    response = get(read_only_key, **MARCH)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["nps"] == pytest.approx(30)
    assert (body["response_count"], body["promoter_count"]) == (100, 50)
    assert (body["passive_count"], body["detractor_count"]) == (30, 20)
    assert (body["promoter_percent"], body["passive_percent"], body["detractor_percent"]) == (
        pytest.approx(50),
        pytest.approx(30),
        pytest.approx(20),
    )
    assert body["standard_error"] == pytest.approx(7.81, abs=0.005)
    assert body["margin_of_error"] == pytest.approx(15.31, abs=0.005)
    assert (body["nps_low"], body["nps_high"]) == (
        pytest.approx(14.69, abs=0.005),
        pytest.approx(45.31, abs=0.005),
    )
    assert body["period"] == {
        "range": "custom",
        "from": "2026-03-01",
        "to": "2026-03-31",
        "time_zone": "UTC",
    }
    assert (body["group_by"], body["groups"]) == (None, None)


def test_the_hand_computed_numbers_hold_when_rollups_serve_the_days(
    read_only_key: str, org: Organization, known: Survey
) -> None:
    refresh(org)
    body = get(read_only_key, **MARCH).json()
    assert (body["nps"], body["response_count"]) == (pytest.approx(30), 100)


@pytest.mark.parametrize("rolled_up", [False, True])
@pytest.mark.parametrize(
    "narrowed",
    [
        {},
        {"survey": "SURVEY"},
        {"channel": "email"},
        {"category": "detractor"},
        {"score": "10"},
        {"language": "fr"},
        {"trait": "plan:pro"},
        {"q": "slow"},
        {"channel": "widget", "trait": ["plan:pro", "plan:pro"]},
    ],
)
def test_its_numbers_are_the_back_offices_for_the_same_filters(
    read_only_key: str,
    org: Organization,
    varied: dict[str, Any],
    narrowed: dict[str, Any],
    rolled_up: bool,
) -> None:
    if rolled_up:
        refresh(org)
    params = {**MARCH, **narrowed}
    if params.get("survey") == "SURVEY":
        params["survey"] = str(varied["survey"].pk)
    body = get(read_only_key, **params).json()
    with tenant_context(org):
        expected = numbers(metrics.summary(filters=filters_of(org, params)))
    assert {name: body[name] for name in expected} == expected
    assert body["response_count"] > 0


def test_it_counts_the_last_ninety_days_by_default(read_only_key: str, survey: Survey) -> None:
    answer(survey, 10, datetime.now(tz=UTC))
    answer(survey, 0, datetime(2000, 1, 1, tzinfo=UTC))
    body = get(read_only_key).json()
    assert body["period"]["range"] == "90"
    assert (body["response_count"], body["nps"]) == (1, 100)


def test_it_reads_since_until_and_period_as_the_back_offices_from_to_and_range(
    read_only_key: str, known: Survey
) -> None:
    aliased = get(read_only_key, since="2026-03-01", until="2026-03-31").json()
    assert aliased == get(read_only_key, **MARCH).json()
    assert get(read_only_key, period="365").json()["period"]["range"] == "365"


def test_a_survey_filter_takes_the_public_key_too(read_only_key: str, known: Survey) -> None:
    by_key = get(read_only_key, survey=known.public_key, **MARCH).json()
    assert by_key == get(read_only_key, survey=str(known.pk), **MARCH).json()
    assert by_key["response_count"] == 100


# Groups ----------------------------------------------------------------------


def test_it_groups_by_survey_with_the_back_offices_numbers(
    read_only_key: str, org: Organization, varied: dict[str, Any]
) -> None:
    body = get(read_only_key, group_by="survey", **MARCH).json()
    assert body["group_by"] == "survey"
    with tenant_context(org):
        rows = metrics.by_survey(filters=filters_of(org, MARCH))
    assert [(g["value"], g["label"]) for g in body["groups"]] == [
        (str(row.survey.pk), row.survey.name) for row in rows
    ]
    for group, row in zip(body["groups"], rows, strict=True):
        assert {name: group[name] for name in numbers(row.summary)} == numbers(row.summary)
    enps = next(g for g in body["groups"] if g["label"] == "eNPS")
    # 7, 9, 0: one promoter, one passive, one detractor
    assert (enps["response_count"], enps["nps"]) == (3, 0)


def test_grouping_by_survey_keeps_the_filtered_survey(
    read_only_key: str, varied: dict[str, Any]
) -> None:
    body = get(read_only_key, group_by="survey", survey=varied["second"].pk, **MARCH).json()
    assert [g["label"] for g in body["groups"]] == ["eNPS"]


def test_it_groups_by_channel(
    read_only_key: str, org: Organization, varied: dict[str, Any]
) -> None:
    refresh(org)
    body = get(read_only_key, group_by="channel", **MARCH).json()
    counts = {g["value"]: g["response_count"] for g in body["groups"]}
    assert counts == {"widget": 5, "link": 2, "email": 2, "api": 0, "import": 0}
    email = next(g for g in body["groups"] if g["value"] == "email")
    assert (email["label"], email["nps"]) == ("Email", -100)  # 6 and 2
    with tenant_context(org):
        rows = metrics.by_channel(filters=filters_of(org, MARCH))
    assert [numbers(row.summary) for row in rows] == [
        {name: g[name] for name in numbers(rows[0].summary)} for g in body["groups"]
    ]
    narrowed = get(read_only_key, group_by="channel", channel="link", **MARCH).json()
    assert [g["value"] for g in narrowed["groups"]] == ["link"]


def test_it_groups_by_a_trait_most_answers_first(
    read_only_key: str, varied: dict[str, Any]
) -> None:
    body = get(read_only_key, group_by="trait:plan", **MARCH).json()
    rows = [(g["value"], g["response_count"], g["nps"]) for g in body["groups"]]
    # pro: 10, 9, 7 → 2 promoters of 3; free: 6, 2, 9 → 1 of 3 minus 2; none: 8, 10, 0
    assert rows == [
        ("free", 3, pytest.approx(-100 / 3)),
        ("pro", 3, pytest.approx(200 / 3)),
        (None, 3, pytest.approx(0)),
    ]
    assert (
        sum(count for _, count, _ in rows) == get(read_only_key, **MARCH).json()["response_count"]
    )


# Trend -----------------------------------------------------------------------


@pytest.mark.parametrize("granularity", ["day", "week", "month"])
def test_the_trend_is_the_back_offices_series(
    read_only_key: str, org: Organization, varied: dict[str, Any], granularity: str
) -> None:
    refresh(org)
    params = {**MARCH, "channel": "widget"}
    body = get(read_only_key, TREND, granularity=granularity, **params).json()
    with tenant_context(org):
        points = metrics.trend(filters=filters_of(org, params), granularity=granularity)
    assert body["granularity"] == granularity
    assert [(p["first"], p["last"]) for p in body["points"]] == [
        (point.first.isoformat(), point.last.isoformat()) for point in points
    ]
    for got, point in zip(body["points"], points, strict=True):
        assert {name: got[name] for name in numbers(point.summary)} == numbers(point.summary)
    assert sum(p["response_count"] for p in body["points"]) == 5


def test_the_trend_by_week_starts_weeks_on_monday(
    read_only_key: str, varied: dict[str, Any]
) -> None:
    body = get(read_only_key, TREND, granularity="week", **MARCH).json()
    # March 2026 starts on a Sunday: a one-day first bucket, then Monday weeks.
    assert [(p["first"], p["last"]) for p in body["points"][:2]] == [
        ("2026-03-01", "2026-03-01"),
        ("2026-03-02", "2026-03-08"),
    ]
    second = body["points"][1]  # 10, 9, 7, 6 on the 2nd to the 5th
    assert (second["response_count"], second["nps"]) == (4, pytest.approx(25))
    assert second["margin_of_error"] is not None
    empty = body["points"][0]
    assert (empty["response_count"], empty["nps"], empty["margin_of_error"]) == (0, None, None)


def test_the_trend_chooses_a_granularity_and_takes_a_rolling_window(
    read_only_key: str, varied: dict[str, Any]
) -> None:
    assert get(read_only_key, TREND, **MARCH).json()["granularity"] == "day"
    rolled = get(read_only_key, TREND, granularity="day", rolling="7", **MARCH).json()
    assert rolled["rolling"] == 7
    march_8 = next(p for p in rolled["points"] if p["first"] == "2026-03-08")
    assert march_8["response_count"] == 4  # the 2nd, 3rd, 4th and 5th


# Refusals --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"range": "7"}, "range"),
        ({"range": "custom", "from": "2026-03-01"}, "non_field_errors"),
        ({"from": "2026-03-31", "to": "2026-03-01"}, "non_field_errors"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "non_field_errors"),
        ({"from": "yesterday", "to": "2026-01-01"}, "from"),
        ({"score": "11"}, "score"),
        ({"channel": "fax"}, "channel"),
        ({"category": "fans"}, "category"),
        ({"survey": "999999"}, "survey"),
        ({"trait": "plan"}, "trait"),
        ({"group_by": "city"}, "group_by"),
        ({"group_by": "trait:"}, "group_by"),
        ({"chanel": "email"}, "chanel"),
        ({"since": "2026-03-01", "from": "2026-03-01", "to": "2026-03-02"}, "since"),
    ],
)
def test_it_explains_an_invalid_filter(
    read_only_key: str, survey: Survey, params: dict[str, str], field: str
) -> None:
    response = get(read_only_key, **params)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["details"]
    assert set(error["details"]) <= {field, "non_field_errors"}


@pytest.mark.parametrize(
    ("params", "field"),
    [({"granularity": "hour"}, "granularity"), ({"rolling": "5"}, "rolling"), ({"x": "1"}, "x")],
)
def test_the_trend_explains_an_invalid_parameter(
    read_only_key: str, params: dict[str, str], field: str
) -> None:
    response = get(read_only_key, TREND, **params)
    assert response.status_code == 422
    assert list(response.json()["error"]["details"]) == [field]


def test_it_needs_a_key(known: Survey) -> None:
    for url in (URL, TREND):
        assert get(None, url).status_code == 401
        assert get("nps_bad_key", url).status_code == 401


def test_it_is_read_only(api_key: str, read_only_key: str, known: Survey) -> None:
    for url in (URL, TREND):
        assert Client(headers={"Authorization": f"Bearer {api_key}"}).post(url).status_code == 405
        ro = Client(headers={"Authorization": f"Bearer {read_only_key}"}).post(url)
        assert ro.status_code == 403


def test_another_organization_sees_none_of_our_answers(other_api_key: str, known: Survey) -> None:
    body = get(other_api_key, **MARCH).json()
    assert (body["response_count"], body["nps"]) == (0, None)
    grouped = get(other_api_key, group_by="survey", **MARCH).json()
    assert [g["label"] for g in grouped["groups"]] == []
    trend = get(other_api_key, TREND, **MARCH).json()
    assert sum(p["response_count"] for p in trend["points"]) == 0
    # Naming our survey is an invalid choice for them, by id or by public key.
    for reference in (str(known.pk), known.public_key):
        assert get(other_api_key, survey=reference, **MARCH).status_code == 422


@pytest.mark.parametrize(
    "path",
    [URL, TREND, "/api/v1/surveys", "/api/v1/unsubscribes", "/api/v1/bounces"],
)
def test_each_read_counts_against_the_keys_budget(
    settings: Any, read_only_key: str, api_key: str, path: str
) -> None:
    settings.API_RATE_LIMIT = "2/minute"
    assert [get(read_only_key, path).status_code for _ in range(2)] == [200, 200]
    refused = get(read_only_key, path)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["error"]["code"] == "throttled"
    assert get(api_key, path).status_code == 200  # another key, another budget
