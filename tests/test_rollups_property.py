"""On random histories, numbers read through rollups equal a raw count.

Histories mix answers on every channel, imports of old answers, changed
scores, answers moved to another day or channel, deletes, displays and
dismissals, refreshes and rebuilds at random moments, in organizations with
their own time zones (daylight-saving changes fall inside the period).
"""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from django.http import QueryDict
from django.utils.http import urlencode
from hypothesis import HealthCheck, event, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from dashboards.filters import parse_filters
from responses.models import PromptEvent, Respondent, Response
from rollups.selectors import served_days
from rollups.services import ready_cache_key, rollups_rebuild, rollups_refresh
from surveys.models import Survey
from tenants.context import tenant_context
from tenants.models import Organization

from .test_rollups import everything

ZONES = ["UTC", "Europe/Paris", "Pacific/Auckland", "America/Los_Angeles", "America/Santiago"]
CHANNELS = ["widget", "link", "email", "import"]
FIRST = datetime(2026, 2, 25, tzinfo=UTC)
MINUTES = 45 * 24 * 60  # 25 February to 10 April: three daylight-saving changes

moments = st.integers(0, MINUTES).map(lambda m: FIRST + timedelta(minutes=m))
answers = st.tuples(
    st.just("answer"), st.integers(0, 1), st.integers(0, 10), st.sampled_from(CHANNELS), moments
)
imports = st.tuples(st.just("import"), st.lists(st.tuples(st.integers(0, 10), moments), max_size=4))
rescores = st.tuples(st.just("rescore"), st.integers(0, 99), st.integers(0, 10))
moves = st.tuples(st.just("move"), st.integers(0, 99), st.sampled_from(CHANNELS), moments)
deletes = st.tuples(st.just("delete"), st.integers(0, 99))
events = st.tuples(
    st.just("event"),
    st.integers(0, 1),
    st.sampled_from(["display", "not_now", "never"]),
    st.sampled_from(CHANNELS),
    moments,
)
refreshes = st.tuples(st.just("refresh"))
rebuilds = st.tuples(st.just("rebuild"), st.integers(0, 44), st.integers(0, 10))
# Weighted towards what breaks rollups: changes after a refresh, then another.
steps = st.one_of(
    *[answers] * 3, imports, rescores, *[moves, deletes, events, refreshes] * 2, rebuilds
)
views = st.fixed_dictionaries(
    {
        "from": st.integers(0, 40),
        "days": st.integers(0, 40),
        "channel": st.sampled_from(["", "widget", "link"]),
        "category": st.sampled_from(["", "", "promoter", "detractor"]),
        "survey": st.sampled_from([None, None, 0, 1]),
    }
)


def play(
    step: tuple[Any, ...], org: Organization, surveys: list[Survey], person: Respondent
) -> None:
    kind, *args = step
    rows = list(Response.objects.order_by("pk"))
    if kind == "answer":
        which, score, channel, when = args
        Response.objects.create(
            organization=org, survey=surveys[which], score=score, channel=channel, created_at=when
        )
    elif kind == "import":
        Response.objects.bulk_create(
            Response(organization=org, survey=surveys[0], score=s, channel="import", created_at=w)
            for s, w in args[0]
        )
    elif kind in ("rescore", "move", "delete") and rows:
        row = rows[args[0] % len(rows)]
        if kind == "rescore":
            row.score = args[1]
            row.save(update_fields=["score", "updated_at"])
        elif kind == "move":
            row.channel, row.created_at = args[1], args[2]
            row.save()
        else:
            row.delete()
    elif kind == "event":
        which, what, channel, when = args
        PromptEvent.objects.create(
            organization=org,
            survey=surveys[which],
            respondent=person,
            kind=what,
            channel=channel,
            created_at=when,
        )
    elif kind == "refresh":
        rollups_refresh(organization=org)
    elif kind == "rebuild":
        first = (FIRST + timedelta(days=args[0])).date()
        rollups_rebuild(organization=org, first=first, last=first + timedelta(days=args[1]))


def filters_for(view: dict[str, Any], zone: str, surveys: list[Survey]) -> Any:
    first = date(2026, 2, 26) + timedelta(days=view["from"])
    params: dict[str, Any] = {
        "range": "custom",
        "from": first.isoformat(),
        "to": (first + timedelta(days=view["days"])).isoformat(),
    }
    for name in ("channel", "category"):
        if view[name]:
            params[name] = view[name]
    if view["survey"] is not None:
        params["survey"] = surveys[view["survey"]].pk
    return parse_filters(QueryDict(urlencode(params)), tz=zone, today=date(2026, 4, 10))


@pytest.mark.django_db
@examples(
    max_examples=40,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    zone=st.sampled_from(ZONES),
    history=st.lists(steps, min_size=4, max_size=25),
    settle=st.booleans(),
    view=views,
)
def test_rollup_backed_metrics_equal_a_raw_count(
    settings: Any, zone: str, history: list[Any], settle: bool, view: dict[str, Any]
) -> None:
    settings.ROLLUPS_OVERLAP_SECONDS = 0
    with transaction.atomic():
        org = Organization.objects.create(name="Org", slug="org", time_zone=zone)
        with tenant_context(org):
            surveys = [
                Survey.objects.create(organization=org, name=f"S{i}", question="?") for i in (0, 1)
            ]
            person = Respondent.objects.create(organization=org, external_id="p")
            for step in history:
                play(step, org, surveys, person)
            if settle:
                rollups_refresh(organization=org)
            cache.set(ready_cache_key(org), True)
            whole = {"from": 0, "days": 40, "channel": "", "category": "", "survey": None}
            for seen in (view, whole):
                filters = filters_for(seen, zone, surveys)
                ids = [filters.survey.pk] if filters.survey else [s.pk for s in surveys]
                runs = served_days(
                    organization=org, start=filters.start, end=filters.end, survey_ids=ids
                )
                event("some days from rollups" if runs else "every row raw")
                served = everything(filters)
                settings.ROLLUPS_ENABLED = False
                raw = everything(filters)
                settings.ROLLUPS_ENABLED = True
                assert served == raw
        cache.delete(ready_cache_key(org))
        transaction.set_rollback(True)
