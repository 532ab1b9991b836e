"""The official `delighted` Python client, unchanged but for its base URL and
key, against a live server: what a former Delighted user's code does."""

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from dashboards import metrics as dashboard_metrics
from dashboards.filters import Filters
from outreach.models import Suppression, SurveyRequest
from responses.models import Respondent, Response
from surveys.models import Survey
from tenants.context import tenant_context
from tenants.models import Organization

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)  # the client announces Delighted's sunset
    import delighted

pytestmark = pytest.mark.django_db(transaction=True)


def client_for(live_server: Any, key: str) -> Any:
    return delighted.Client(api_key=key, api_base_url=live_server.url + "/delighted/v1/")


@pytest.fixture
def official(live_server: Any, api_key: str, survey: Survey) -> Iterator[Any]:
    """The client configured the documented way: module-level key and base URL."""
    saved = (delighted.api_key, delighted.api_base_url, delighted.shared_client)
    delighted.api_key = api_key
    delighted.api_base_url = live_server.url + "/delighted/v1/"
    delighted.shared_client = None
    yield delighted
    delighted.api_key, delighted.api_base_url, delighted.shared_client = saved


def in_org(org: Organization, read: Any) -> Any:
    with tenant_context(org):
        return read()


def test_a_delighted_integration_runs_unchanged(
    official: Any, org: Organization, survey: Survey
) -> None:
    person = official.Person.create(
        email="ada@example.com", name="Ada", delay=60, properties={"plan": "pro"}
    )
    assert isinstance(person.id, str)
    assert person.survey_scheduled_at >= int(timezone.now().timestamp()) + 55
    (request,) = in_org(org, lambda: list(SurveyRequest.objects.all()))
    assert (request.email, request.status, request.properties) == (
        "ada@example.com",
        "pending",
        {"plan": "pro"},
    )

    start = datetime.now(UTC) - timedelta(days=20)
    scores = [10, 9, 8, 7, 6, 3, 10, 0, 9, 5, 9]
    for n, score in enumerate(scores):
        official.SurveyResponse.create(
            person=person.id,
            score=score,
            comment=f"answer {n}",
            created_at=int((start + timedelta(days=n)).timestamp()),
        )

    # Three pages and a short fourth, in order, each asked for by page number.
    listed, page = [], 1
    while batch := official.SurveyResponse.all(page=page, per_page=3, expand=["person"]):
        listed += batch
        page += 1
    assert page == 5
    assert [r.comment for r in listed] == [f"answer {n}" for n in range(len(scores))]
    assert listed[0].person.email == "ada@example.com"
    assert isinstance(listed[0].person, official.Person)

    # People page through the Link header.
    for n in range(4):
        official.Person.create(email=f"p{n}@example.com", send=False)
    everyone = list(official.Person.list(per_page=2).auto_paging_iter())
    assert [p.email for p in everyone] == ["ada@example.com"] + [
        f"p{n}@example.com" for n in range(4)
    ]

    # A retrieved answer, person expanded, is changed and saved back whole.
    retrieved = official.SurveyResponse.retrieve(listed[5].id, expand=["person"])
    retrieved.score = 9
    retrieved.comment = "Called back: all fixed"
    retrieved.tags = ["resolved"]
    saved = retrieved.save()
    assert (saved.score, saved.comment, saved.tags) == (9, "Called back: all fixed", ["resolved"])
    stored = in_org(org, lambda: Response.objects.get(pk=int(listed[5].id)))
    assert (stored.score, stored.comment) == (9, "Called back: all fixed")

    metrics = official.Metrics.retrieve()
    with tenant_context(org):
        now = timezone.now()
        ours = dashboard_metrics.summary(filters=Filters(start=now - timedelta(days=30), end=now))
    assert (metrics.promoter_count, metrics.passive_count, metrics.detractor_count) == (
        ours.promoters,
        ours.passives,
        ours.detractors,
    )
    assert metrics.response_count == ours.total == len(scores)
    assert metrics.nps == round(ours.nps or 0)
    assert metrics.promoter_percent == round(ours.promoter_percent, 2)

    official.SurveyRequest.delete_pending(person_email="ada@example.com")
    assert in_org(org, lambda: SurveyRequest.objects.get().status) == "skipped"

    assert official.Unsubscribe.create(person_email="p0@example.com") == {"ok": True}
    (unsubscribed,) = official.Unsubscribe.all()
    assert (unsubscribed.email, unsubscribed.person_id) == ("p0@example.com", everyone[1].id)
    assert official.Bounce.all() == []
    assert in_org(org, lambda: Suppression.objects.get().reason) == "unsubscribed"

    assert official.Person.delete(id=person.id) == {"ok": True}
    assert official.Person.delete(email="p1@example.com") == {"ok": True}
    remaining = in_org(org, lambda: sorted(Respondent.objects.values_list("email", flat=True)))
    assert remaining == ["p0@example.com", "p2@example.com", "p3@example.com"]
    assert in_org(org, lambda: Response.objects.count()) == 0


def test_the_client_raises_its_own_errors(
    live_server: Any,
    api_key: str,
    read_only_key: str,
    other_api_key: str,
    org: Organization,
    survey: Survey,
) -> None:
    owner = client_for(live_server, api_key)
    with pytest.raises(delighted.errors.ResourceValidationError) as invalid:
        delighted.SurveyResponse.create(client=owner, person_email="ada@example.com", score=11)
    assert "score" in invalid.value.response.body
    with pytest.raises(delighted.errors.AuthenticationError):
        delighted.Metrics.retrieve(client=client_for(live_server, "nps_000000000000_wrong"))
    with pytest.raises(delighted.errors.GeneralAPIError) as refused:
        delighted.Person.create(
            client=client_for(live_server, read_only_key), email="a@example.com"
        )
    assert refused.value.response.status_code == 403
    assert in_org(org, lambda: Respondent.objects.count()) == 0

    created = delighted.SurveyResponse.create(client=owner, person_email="ada@example.com", score=9)
    outsider = client_for(live_server, other_api_key)
    with pytest.raises(delighted.errors.GeneralAPIError) as hidden:
        delighted.SurveyResponse.retrieve(created.id, client=outsider)
    assert hidden.value.response.status_code == 404
    assert delighted.SurveyResponse.all(client=outsider) == []
    assert delighted.Metrics.retrieve(client=outsider).response_count == 0


def test_the_client_sees_rate_limits_with_retry_after(
    live_server: Any, api_key: str, settings: Any
) -> None:
    from django.core.cache import cache

    settings.API_RATE_LIMIT = "1/minute"
    cache.clear()
    owner = client_for(live_server, api_key)
    delighted.Bounce.all(client=owner)
    with pytest.raises(delighted.errors.TooManyRequestsError) as throttled:
        delighted.Bounce.all(client=owner)
    assert 0 < throttled.value.retry_after <= 60
