"""The overview and trend pages: numbers in the HTML, filters, errors, access."""

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.db import connection
from django.http import QueryDict
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboards.charts import GAUGE_RADIUS, band_for, gauge, histogram, line_chart
from dashboards.filters import FilterForm, parse_filters
from dashboards.metrics import EMPTY, Bucket, TrendPoint
from dashboards.views import read_filters
from responses.models import PromptEvent, Respondent, Response
from responses.scoring import NpsSummary
from surveys.services import survey_create
from tenants.context import tenant_context
from tenants.models import Organization

MARCH = {"range": "custom", "from": "2026-03-01", "to": "2026-03-31"}


def overview(org: Organization) -> str:
    return reverse("dashboards:overview", args=[org.slug])


def trend(org: Organization) -> str:
    return reverse("dashboards:trend", args=[org.slug])


@pytest.fixture
def answered(org: Organization, survey: Any) -> Any:
    """50 promoters, 30 passives, 20 detractors on 15 March: NPS 30 ±15.3."""
    with tenant_context(org):
        person = Respondent.objects.create(organization=org, external_id="u1")
        Response.objects.bulk_create(
            Response(
                organization=org,
                survey=survey,
                respondent=person,
                score=score,
                channel="widget",
                created_at=datetime(2026, 3, 15, 12, tzinfo=UTC),
            )
            for score, count in ((10, 50), (8, 30), (2, 20))
            for _ in range(count)
        )
        PromptEvent.objects.bulk_create(
            PromptEvent(
                organization=org,
                survey=survey,
                respondent=person,
                kind=PromptEvent.Kind.DISPLAY,
                created_at=datetime(2026, 3, 14, tzinfo=UTC),
            )
            for _ in range(400)
        )
    return survey


def test_it_shows_the_owner_the_score_and_its_parts(owner_client: Client, answered: Any) -> None:
    response = owner_client.get(overview(answered.organization), MARCH)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<span class="nps-value band-text-great">30</span>' in html
    assert "±15.3" in html
    assert "100 answers" in html
    assert "50.0" in html and "30.0" in html and "20.0" in html  # the split in percent
    assert "25.0 %" in html  # 100 answers for 400 displays
    assert "no previous data" in html
    assert "Previous period: Jan. 29, 2026 to Feb. 28, 2026" in html
    assert "<svg" in html and "NPS gauge" in html
    assert "Score 10: 50 answers" in html


def test_it_shows_the_viewer_the_same_overview(member_client: Client, answered: Any) -> None:
    response = member_client.get(overview(answered.organization), MARCH)
    assert response.status_code == 200
    assert '<span class="nps-value band-text-great">30</span>' in response.content.decode()


def test_it_opens_with_the_default_period_and_an_empty_state(
    owner_client: Client, org: Organization, survey: Any
) -> None:
    response = owner_client.get(overview(org))
    assert response.status_code == 200
    html = response.content.decode()
    assert "No answers in this period" in html
    assert '<option value="90" selected>' in html


def test_it_links_each_survey_to_its_own_overview(
    owner_client: Client, org: Organization, answered: Any
) -> None:
    with tenant_context(org):
        survey_create(organization=org, kind="employee", name="Pulse", product_name="X")
    html = owner_client.get(overview(org), MARCH).content.decode()
    assert f"survey={answered.pk}" in html
    filtered = owner_client.get(overview(org), {**MARCH, "survey": answered.pk})
    assert filtered.status_code == 200
    assert "All surveys</a>" in filtered.content.decode()


def test_it_narrows_the_overview_by_category(
    owner_client: Client, org: Organization, answered: Any
) -> None:
    html = owner_client.get(overview(org), {**MARCH, "category": "detractor"}).content.decode()
    assert '<span class="nps-value band-text-needs-work">-100</span>' in html


def test_it_ignores_an_empty_trait_field(
    owner_client: Client, org: Organization, answered: Any
) -> None:
    response = owner_client.get(overview(org), {**MARCH, "trait": ""})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"range": "custom", "from": "2026-03-10", "to": "2026-03-01"}, "ends before it starts"),
        ({"range": "custom"}, "needs both a start and an end"),
        ({"range": "7"}, "Period:"),
        ({"score": "11"}, "Score:"),
        ({"trait": "plan"}, "key:value"),
        ({"survey": "999999"}, "Survey:"),
    ],
)
def test_it_answers_400_with_the_message_for_bad_filters(
    owner_client: Client, answered: Any, params: dict[str, str], message: str
) -> None:
    response = owner_client.get(overview(answered.organization), params)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "nps-value" not in html
    assert "These filters cannot be applied" in html


def test_it_refuses_another_organizations_survey_as_a_filter(
    owner_client: Client, org: Organization, other_org: Organization
) -> None:
    with tenant_context(other_org):
        theirs = survey_create(organization=other_org, kind="customer", name="T", product_name="T")
    assert owner_client.get(overview(org), {"survey": theirs.pk}).status_code == 400


def test_it_hides_both_pages_from_an_outsider(
    outsider_client: Client, org: Organization, answered: Any
) -> None:
    assert outsider_client.get(overview(org)).status_code == 404
    assert outsider_client.get(trend(org)).status_code == 404


def test_it_escapes_survey_names(owner_client: Client, org: Organization) -> None:
    with tenant_context(org):
        survey_create(
            organization=org, kind="customer", name="<script>alert(1)</script>", product_name="X"
        )
    html = owner_client.get(overview(org)).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_it_escapes_what_was_typed_in_the_filters(owner_client: Client, org: Organization) -> None:
    payload = '"><script>alert(1)</script>'
    for params in ({"q": payload}, {"trait": f"plan:{payload}"}, {"trait": payload}):
        html = owner_client.get(overview(org), params).content.decode()
        assert "<script>alert(1)" not in html


# Trend -----------------------------------------------------------------------


def test_it_draws_the_trend_with_a_table_of_points(owner_client: Client, answered: Any) -> None:
    params = {"range": "custom", "from": "2026-03-14", "to": "2026-03-16"}
    response = owner_client.get(trend(answered.organization), params)
    assert response.status_code == 200
    html = response.content.decode()
    assert "one point per day" in html  # three days: daily by default
    assert 'class="moe-band"' not in html  # a single point has no band to draw
    assert '<td class="num score">30</td>' in html
    assert "±15.3" in html
    assert html.count('<td class="num muted">—</td>') == 2  # the two empty days


def test_it_draws_a_line_and_a_band_over_consecutive_points(
    owner_client: Client, org: Organization, survey: Any
) -> None:
    with tenant_context(org):
        for day, score in ((1, 10), (1, 0), (2, 9), (2, 5), (3, 10)):
            Response.objects.create(
                organization=org,
                survey=survey,
                score=score,
                created_at=datetime(2026, 3, day, 12, tzinfo=UTC),
            )
    params = {"range": "custom", "from": "2026-03-01", "to": "2026-03-03", "granularity": "day"}
    html = owner_client.get(trend(org), params).content.decode()
    assert html.count('class="trend-line"') == 1
    assert html.count('class="moe-band"') == 1
    assert html.count('class="trend-point"') == 3


def test_it_keeps_granularity_and_rolling_window_in_the_form(
    member_client: Client, answered: Any
) -> None:
    params = {**MARCH, "granularity": "week", "rolling": "30"}
    response = member_client.get(trend(answered.organization), params)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<option value="week" selected>' in html
    assert '<option value="30" selected>' in html
    assert "each over the 30 days ending that point" in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"granularity": "hour"}, "Points per: Choose day, week or month."),
        ({"rolling": "14"}, "Rolling window: Choose off, 7, 30 or 90 days."),
        ({"range": "custom", "from": "2026-03-10"}, "needs both a start and an end"),
    ],
)
def test_it_answers_400_for_bad_trend_parameters(
    owner_client: Client, org: Organization, params: dict[str, str], message: str
) -> None:
    response = owner_client.get(trend(org), params)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'class="trend"' not in html


def test_it_escapes_a_survey_name_on_the_trend(owner_client: Client, org: Organization) -> None:
    with tenant_context(org):
        survey = survey_create(organization=org, kind="customer", name="<b>x</b>", product_name="X")
    html = owner_client.get(trend(org), {"survey": survey.pk}).content.decode()
    assert "<b>x</b>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


# The filter bar as other pages include it --------------------------------------


def test_it_renders_the_filter_bar_for_another_page(in_org: Organization, rf: Any) -> None:
    filters = parse_filters(QueryDict("range=30&trait=plan:pro&channel=email"), tz="UTC")
    html = render_to_string(
        "dashboards/_filters.html",
        {
            "filters": filters,
            "filter_form": FilterForm(initial={"range": "30", "channel": "email"}),
            "filter_keep": [("status", "new")],
        },
        request=rf.get("/o/example/responses/"),
    )
    assert '<option value="30" selected>' in html
    assert '<option value="email" selected>' in html
    assert 'name="trait" value="plan:pro"' in html
    assert '<input type="hidden" name="status" value="new">' in html
    assert 'href="/o/example/responses/"' in html


def test_it_shows_the_errors_of_a_bound_form_without_messages(
    in_org: Organization, rf: Any
) -> None:
    html = render_to_string(
        "dashboards/_filters.html",
        {"filters": None, "filter_form": FilterForm({"score": "12"})},
        request=rf.get("/"),
    )
    assert "These filters cannot be applied" in html
    assert "score:" in html


def test_it_keeps_svg_coordinates_unlocalised_in_french(
    owner_client: Client, org: Organization, answered: Any
) -> None:
    for url in (overview(org), trend(org)):
        response = owner_client.get(url, MARCH, HTTP_ACCEPT_LANGUAGE="fr")
        assert response.status_code == 200
        html = response.content.decode()
        assert "mars 2026" in html  # French dates: the page is in French
        coordinates = re.findall(r' (?:x|y|x1|x2|y1|y2|cx|cy|width|height|d)="([^"]*)"', html)
        assert coordinates
        assert not [c for c in coordinates if re.search(r"\d,\d", c)]


def test_it_says_the_change_against_the_previous_period(
    owner_client: Client, org: Organization, answered: Any
) -> None:
    with tenant_context(org):
        Response.objects.bulk_create(
            Response(
                organization=org,
                survey=answered,
                score=score,
                created_at=datetime(2026, 2, 10, tzinfo=UTC),
            )
            for score, count in ((10, 54), (8, 36), (2, 30))
            for _ in range(count)
        )
    html = owner_client.get(overview(org), MARCH).content.decode()
    assert "+10, not significant" in html
    assert "NPS 20 ±" in html and "120 answers" in html


# Chart geometry ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("nps", "where"),
    [(-100, (30.0, 122.0)), (0, (130.0, 22.0)), (100, (230.0, 122.0))],
)
def test_it_points_the_needle_along_the_dial(nps: float, where: tuple[float, float]) -> None:
    dial = gauge(nps=nps)
    assert GAUGE_RADIUS == 100
    # The needle is 14 units short of the dial, on the same ray.
    x, y = dial.needle_x, dial.needle_y
    assert x is not None and y is not None
    cx, cy = dial.cx, dial.cy
    assert (x - cx) * 100 == pytest.approx((where[0] - cx) * 86, abs=1)
    assert (y - cy) * 100 == pytest.approx((where[1] - cy) * 86, abs=1)


def test_it_has_no_needle_without_a_score() -> None:
    assert gauge(nps=None).needle_x is None


@pytest.mark.parametrize(
    ("nps", "band"),
    [
        (-100, "needs-work"),
        (-0.5, "needs-work"),
        (0, "good"),
        (29.9, "good"),
        (30, "great"),
        (70, "great"),
        (70.1, "excellent"),
        (100, "excellent"),
    ],
)
def test_it_puts_each_score_in_its_band(nps: float, band: str) -> None:
    found = band_for(nps)
    assert found is not None and found[0] == band


def test_it_scales_the_histogram_to_the_tallest_bar() -> None:
    chart = histogram(buckets=[Bucket(score=s, count=4 if s == 10 else s % 2) for s in range(11)])
    heights = [bar.height for bar in chart.bars]
    assert heights[10] == max(heights) and heights[0] == 0
    assert heights[1] == pytest.approx(heights[10] / 4, abs=0.01)
    assert all(bar.y + bar.height == pytest.approx(chart.baseline) for bar in chart.bars)


def test_it_breaks_the_trend_line_over_empty_buckets() -> None:
    some = NpsSummary(promoters=3, passives=1, detractors=1)
    points = [
        TrendPoint(first=date(2026, 3, day), last=date(2026, 3, day), summary=summary)
        for day, summary in enumerate([some, some, EMPTY, some, some, EMPTY, some], start=1)
    ]
    chart = line_chart(points=points, granularity="day")
    assert len(chart.lines) == 2  # days 1-2 and 4-5; day 7 stands alone
    assert len(chart.bands) == 2
    assert len(chart.dots) == 5


@pytest.mark.parametrize("page", [overview, trend])
def test_it_reads_the_surveys_once_for_the_filters_the_bar_and_the_numbers(
    owner_client: Client, answered: Any, page: Any
) -> None:
    with tenant_context(answered.organization):
        survey_create(organization=answered.organization, kind="employee", name="Pulse")
    params = {**MARCH, "survey": answered.pk}
    with CaptureQueriesContext(connection) as queries:
        html = owner_client.get(page(answered.organization), params).content.decode()
    reads = [q for q in queries if q["sql"].split(" WHERE")[0].endswith('FROM "surveys_survey"')]
    assert len(reads) == 1
    assert f'<option value="{answered.pk}" selected>Product NPS</option>' in html
    assert ">Pulse</option>" in html


def test_it_refuses_a_survey_id_that_is_not_a_number(
    owner_client: Client, org: Organization
) -> None:
    response = owner_client.get(overview(org), {"survey": "1.5"})
    assert response.status_code == 400
    assert "Survey: Select a valid choice." in response.content.decode()


def test_it_reads_no_survey_for_filters_that_name_none_until_the_bar_is_drawn(
    in_org: Organization, survey: Any, rf: Any
) -> None:
    request = rf.get("/o/example/responses/", {"range": "30"})
    request.organization = in_org
    with CaptureQueriesContext(connection) as queries:
        filters, bar = read_filters(request)
    assert filters is not None
    assert not [q for q in queries if 'FROM "surveys_survey"' in q["sql"]]
    html = render_to_string("dashboards/_filters.html", bar, request=request)
    assert ">Product NPS</option>" in html
