"""Segment drivers: the NPS of each value of each trait, channel and language,
sorted by impact on the overall score, checked against hand-computed numbers."""

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dashboards import metrics
from responses.models import Channel, Respondent, Response
from responses.scoring import NpsSummary
from tenants.context import tenant_context
from tenants.models import Organization

from .test_metrics import make_filters

MARCH = {"range": "custom", "from": "2026-03-01", "to": "2026-03-31"}
QUERY = "?range=custom&from=2026-03-01&to=2026-03-31"
FREE = [10] * 8 + [8] * 12 + [3] * 20  # 40 answers: NPS (8 - 20) / 40 = -30
PRO = [10] * 100 + [7] * 40 + [0] * 20  # 160 answers: NPS (100 - 20) / 160 = +50


def at(day: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


def people(org: Organization, traits: list[dict[str, Any]], prefix: str = "p") -> list[Respondent]:
    return Respondent.objects.bulk_create(
        Respondent(organization=org, external_id=f"{prefix}{i}", traits=t)
        for i, t in enumerate(traits)
    )


def answer_each(survey: Any, who: list[Any], scores: list[int], **fields: Any) -> None:
    when = fields.pop("when", at(15))
    Response.objects.bulk_create(
        Response(
            organization=survey.organization,
            survey=survey,
            respondent=person,
            score=score,
            created_at=when,
            **fields,
        )
        for person, score in zip(who, scores, strict=True)
    )


@pytest.fixture
def plans(org: Organization, survey: Any) -> None:
    """200 people, one answer each: 40 on the free plan, 160 on pro, and an id-like trait."""
    with tenant_context(org):
        traits = [{"plan": "free" if i < 40 else "pro", "ref": f"u{i}"} for i in range(200)]
        who = people(org, traits)
        answer_each(survey, who, FREE + PRO, channel=Channel.WIDGET, language="en")
        # Outside the period: never counted.
        answer_each(survey, who[:40], [10] * 40, when=at(1, month=2))


def driver(found: list[metrics.Driver], dimension: str) -> metrics.Driver:
    return next(d for d in found if d.dimension == dimension)


def segment(found: metrics.Driver, value: str | None, kind: str = "value") -> metrics.Segment:
    return next(s for s in found.segments if s.value == value and s.kind == kind)


def test_it_gives_the_hand_computed_numbers_of_each_segment(
    in_org: Organization, plans: None
) -> None:
    found = metrics.drivers(filters=make_filters(MARCH))
    free = segment(driver(found, "trait:plan"), "free")
    assert (free.summary.total, free.summary.nps, free.overall.nps) == (40, -30.0, 34.0)
    assert free.share == pytest.approx(0.2)
    assert free.gap == pytest.approx(-64.0)
    assert free.impact == pytest.approx(-12.8)
    # SE free 12.35, SE pro 5.59 (against the rest: pro): z = -80 / √(12.35² + 5.59²) = -5.90
    assert free.z == pytest.approx(-5.901, abs=0.001)
    assert free.significant
    pro = segment(driver(found, "trait:plan"), "pro")
    assert pro.impact == pytest.approx(12.8) and pro.z == pytest.approx(5.901, abs=0.001)


def test_impacts_of_a_dimension_add_up_to_nothing(in_org: Organization, plans: None) -> None:
    # The overall score is the share-weighted mean of its segments' scores.
    for found in metrics.drivers(filters=make_filters(MARCH)):
        assert sum(s.impact or 0 for s in found.segments) == pytest.approx(0, abs=1e-9)


def test_it_leaves_out_traits_that_look_like_identifiers(in_org: Organization, plans: None) -> None:
    assert metrics.trait_keys(filters=make_filters(MARCH)) == ["plan"]
    dimensions = [d.dimension for d in metrics.drivers(filters=make_filters(MARCH))]
    assert sorted(dimensions) == ["channel", "language", "trait:plan"]


def test_a_dimension_pinned_by_a_filter_is_not_broken_down(
    in_org: Organization, plans: None
) -> None:
    pinned = make_filters({**MARCH, "channel": "widget", "trait": "plan:pro"})
    assert metrics.driver_dimensions(filters=pinned) == ["language"]


def test_a_segment_of_a_few_answers_is_never_called_significant(
    in_org: Organization, survey: Any
) -> None:
    who = people(in_org, [{"plan": "pro"}] * 40 + [{"plan": "trial"}] * 3)
    answer_each(survey, who, [10] * 30 + [8] * 10 + [0] * 3)
    trial = segment(driver(metrics.drivers(filters=make_filters(MARCH)), "trait:plan"), "trial")
    # One detractor after another has no spread: z is huge, the evidence is not.
    assert trial.z is not None and abs(trial.z) > 10
    assert not trial.significant


def test_it_sums_rare_values_as_other_and_counts_missing_ones(
    in_org: Organization, survey: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(metrics, "MAX_SEGMENTS", 2)
    traits = [{"country": c} for c in ["FR"] * 5 + ["DE"] * 4 + ["US"] * 2 + ["IT"]] + [{}]
    answer_each(survey, people(in_org, traits), [10] * 5 + [0] * 4 + [8, 8, 9, 4])
    answer_each(survey, [None] * 2, [0, 0])  # anonymous answers have no traits
    found = metrics.drivers(filters=make_filters(MARCH), dimensions=["trait:country"])[0]
    totals = {(s.kind, s.value): (s.summary.total, s.summary.nps) for s in found.segments}
    assert totals == {
        ("value", "FR"): (5, 100.0),
        ("value", "DE"): (4, -100.0),
        ("other", None): (3, pytest.approx(100 / 3)),  # US 8, 8 and IT 9
        ("missing", None): (3, -100.0),  # no country: one person, two anonymous answers
    }


def test_each_segment_filters_to_exactly_its_own_answers(in_org: Organization, survey: Any) -> None:
    # Numbers and booleans too: the segment and the trait filter read the trait alike.
    traits = [{"beta": True, "seats": 5}] * 3 + [{"beta": False, "seats": 12}] * 2 + [{}]
    answer_each(survey, people(in_org, traits), [10, 9, 0, 3, 8, 10])
    for found in metrics.drivers(filters=make_filters(MARCH)):
        for one in found.segments:
            value = found.filter_value(one)
            if value is not None:
                narrowed = make_filters({**MARCH, found.param: value})
                assert metrics.summary(filters=narrowed) == one.summary, (found.dimension, value)


def test_segments_come_strongest_impact_first(in_org: Organization, plans: None) -> None:
    found = metrics.drivers(filters=make_filters(MARCH))
    assert [d.strongest for d in found] == sorted((d.strongest for d in found), reverse=True)
    for one in found:
        impacts = [abs(s.impact or 0) for s in one.segments]
        assert impacts == sorted(impacts, reverse=True)


def test_its_queries_do_not_grow_with_the_data(
    in_org: Organization, survey: Any, plans: None
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            metrics.drivers(filters=make_filters(MARCH))
        return len(captured)

    before = queries()
    traits = [{"plan": f"plan-{i % 30}", "ref": f"v{i}"} for i in range(300)]
    answer_each(survey, people(in_org, traits, "more"), [i % 11 for i in range(300)])
    assert queries() == before <= 12


def test_an_empty_period_has_no_drivers(in_org: Organization, survey: Any) -> None:
    assert metrics.drivers(filters=make_filters(MARCH)) == []


def test_a_segment_of_everyone_has_no_rest_to_compare_with() -> None:
    everyone = NpsSummary(promoters=5, passives=3, detractors=2)
    alone = metrics.Segment(value="en", kind="value", summary=everyone, overall=everyone)
    assert (alone.share, alone.gap, alone.impact, alone.z) == (1.0, 0.0, 0.0, None)


# The page -------------------------------------------------------------------


def test_the_owner_sees_the_segment_that_drags_the_score_with_a_link_to_it(
    owner_client: Client, org: Organization, plans: None
) -> None:
    page = owner_client.get(f"/o/{org.slug}/drivers/{QUERY}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "significantly lower" in html and "-12.8" in html
    link = f"/o/{org.slug}/{QUERY}&trait=plan%3Afree"
    assert f'href="{link.replace("&", "&amp;")}"' in html
    overview = owner_client.get(link)
    assert overview.context["summary"].nps == -30.0


def test_a_member_reads_the_drivers(member_client: Client, org: Organization, plans: None) -> None:
    assert member_client.get(f"/o/{org.slug}/drivers/{QUERY}").status_code == 200


def test_an_outsider_gets_404_on_the_drivers(
    outsider_client: Client, org: Organization, plans: None
) -> None:
    assert outsider_client.get(f"/o/{org.slug}/drivers/").status_code == 404


def test_invalid_filters_answer_400_without_numbers(
    owner_client: Client, org: Organization
) -> None:
    page = owner_client.get(f"/o/{org.slug}/drivers/?range=custom&from=2026-03-05")
    assert page.status_code == 400 and "Impact" not in page.content.decode()


def test_the_page_speaks_french(owner_client: Client, org: Organization, plans: None) -> None:
    owner_client.post("/account/language/", {"language": "fr"})
    html = owner_client.get(f"/o/{org.slug}/drivers/{QUERY}").content.decode()
    assert "Facteurs" in html and "nettement plus bas" in html


# The API --------------------------------------------------------------------


def api(key: str, **params: Any) -> Any:
    client = Client(headers={"Authorization": f"Bearer {key}"})
    return client.get("/api/v1/metrics/drivers", {**MARCH, **params})


def test_the_api_gives_the_pages_numbers(api_key: str, plans: None) -> None:
    body = api(api_key).json()
    assert body["nps"] == 34.0 and body["response_count"] == 200
    plan = next(d for d in body["drivers"] if d["dimension"] == "trait:plan")
    free = next(s for s in plan["segments"] if s["value"] == "free")
    assert (free["value"], free["kind"], free["nps"], free["response_count"]) == (
        "free",
        "value",
        -30.0,
        40,
    )
    assert free["impact"] == pytest.approx(-12.8) and free["significant"] is True
    assert free["filter"] == {"trait": "plan:free"}


def test_the_api_breaks_down_only_the_dimensions_asked(api_key: str, plans: None) -> None:
    body = api(api_key, dimension=["trait:plan", "channel"]).json()
    assert sorted(d["dimension"] for d in body["drivers"]) == ["channel", "trait:plan"]
    channel = next(d for d in body["drivers"] if d["dimension"] == "channel")
    assert channel["segments"][0]["filter"] == {"channel": "widget"}


def test_the_api_refuses_an_unknown_dimension(api_key: str, plans: None) -> None:
    answer = api(api_key, dimension="trait:a b")
    assert answer.status_code == 422 and "dimension" in answer.json()["error"]["details"]


def test_another_organizations_key_sees_none_of_our_segments(
    other_api_key: str, plans: None
) -> None:
    body = api(other_api_key).json()
    assert body["response_count"] == 0 and body["drivers"] == []
