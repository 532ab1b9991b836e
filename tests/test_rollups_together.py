"""Beat's tick refreshes the organizations due together (PostgreSQL): exactly
the rollup rows a refresh of each on its own writes, and nothing of any other
organization; rebuilds, runs another worker holds and other databases are
left to the refresh of each."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import TestCase
from django.utils import timezone

from responses.models import PromptEvent, Respondent, Response
from rollups.models import SCORE_FIELDS, DirtyKey, RollupDay, Watermark
from rollups.services import ready_cache_key, rollups_refresh, rollups_refresh_together
from rollups.tasks import refresh_all
from surveys.models import Survey
from surveys.services import survey_create
from tenants.context import NoTenantContext, all_tenants, no_tenant, tenant_context
from tenants.models import Organization
from tenants.services import organization_create

from .test_rollups_worker import watermark_held

# Daylight-saving changes: Santiago's spring skips its midnight (6 September),
# its autumn repeats an hour before midnight (5 April), Havana's autumn
# repeats the first hour after midnight (1 November), Paris and Auckland
# change in the small hours.
ZONES = ["UTC", "America/Santiago", "America/Havana", "Europe/Paris", "Pacific/Auckland"]
DAYS = [datetime(2026, month, day, tzinfo=UTC) for month, day in ((4, 3), (9, 4), (10, 30))]
CHANNELS = ["widget", "link", "email"]
# The only answer of its day: deleted, its rollup row must go.
LONELY = datetime(2026, 6, 15, 12, tzinfo=UTC)

Rows = dict[tuple[int, int, date, str], list[int]]


@pytest.fixture(autouse=True)
def no_overlap(settings: Any) -> Iterator[None]:
    # Rows written a moment before a refresh are settled, so only what changed
    # since is recounted: the incremental part is what is compared.
    settings.ROLLUPS_OVERLAP_SECONDS = 0
    cache.clear()
    yield
    cache.clear()


def organizations(owner: Any, count: int) -> list[Organization]:
    made = []
    for n in range(count):
        organization = organization_create(name=f"Org {n}", owner=owner, slug=f"org-{n}")
        Organization.objects.filter(pk=organization.pk).update(time_zone=ZONES[n % len(ZONES)])
        made.append(Organization.objects.get(pk=organization.pk))
    return made


def surveys_of(organization: Organization) -> list[Survey]:
    with tenant_context(organization):
        return [
            survey_create(organization=organization, kind="customer", name="Product"),
            survey_create(organization=organization, kind="employee", name="eNPS"),
        ]


def moments(step: int) -> list[datetime]:
    """Every few hours over three days around each daylight-saving change,
    and in Havana's first 00:30 of 1 November (its second is an hour later)."""
    return [
        *(
            start + timedelta(hours=hours, minutes=17 * step)
            for start in DAYS
            for hours in range(0, 72, 5 + step % 3)
        ),
        datetime(2026, 11, 1, 4, 30 + step, tzinfo=UTC),
    ]


def history(organization: Organization, surveys: list[Survey], step: int) -> None:
    with tenant_context(organization):
        person, _ = Respondent.objects.get_or_create(organization=organization, external_id="p")
        if not Response.objects.filter(created_at=LONELY).exists():
            Response.objects.create(
                organization=organization, survey=surveys[0], score=3, created_at=LONELY
            )
        for n, when in enumerate(moments(step)):
            survey, channel = surveys[n % 2], CHANNELS[(n + step) % 3]
            Response.objects.create(
                organization=organization,
                survey=survey,
                score=(n * 7 + step) % 11,
                channel=channel,
                created_at=when,
            )
            kind = ["display", "not_now", "never", "answer"][(n + step) % 4]
            PromptEvent.objects.create(
                organization=organization,
                survey=survey,
                respondent=person,
                kind=kind,
                channel=channel,
                created_at=when,
            )


def changes(organization: Organization, surveys: list[Survey], step: int) -> None:
    """What happens between two ticks: new answers, an import of old ones,
    changed scores, answers moved or deleted, new and backdated events."""
    history(organization, surveys, step + 1)
    with tenant_context(organization):
        rows = list(Response.objects.order_by("pk"))
        Response.objects.bulk_create(
            [
                Response(organization=organization, survey=surveys[0], score=4, created_at=when)
                for when in moments(step + 2)[:3]
            ]
        )
        rows[0].score = 10 - rows[0].score
        rows[0].save(update_fields=["score", "updated_at"])
        rows[1].channel = "import"
        rows[1].save()
        rows[2].created_at += timedelta(days=1, hours=step)
        rows[2].save()
        rows[3].survey = surveys[1] if rows[3].survey_id == surveys[0].pk else surveys[0]
        rows[3].save()
        rows[4].delete()
        Response.objects.filter(created_at=LONELY).delete()
        PromptEvent.objects.filter(kind="display").order_by("pk").first().delete()  # type: ignore[union-attr]


def rollup_rows() -> Rows:
    return {
        (row.organization_id, row.survey_id, row.day, row.channel): [
            *(getattr(row, name) for name in SCORE_FIELDS),
            row.displays,
            row.dismissals,
        ]
        for row in RollupDay.objects.unscoped().all()
    }


def truth(organization: Organization) -> Rows:
    """The rows, counted in Python from raw rows, in the organization's zone."""
    zone = ZoneInfo(organization.time_zone)
    counted: Rows = {}

    def cell(row: Any) -> list[int]:
        day = timezone.localtime(row.created_at, zone).date()
        key = (organization.pk, row.survey_id, day, row.channel)
        return counted.setdefault(key, [0] * (len(SCORE_FIELDS) + 2))

    with tenant_context(organization):
        for row in Response.objects.all():
            cell(row)[row.score] += 1
        for event in PromptEvent.objects.exclude(kind="answer"):
            cell(event)[11 if event.kind == "display" else 12] += 1
    return counted


def each_on_its_own(everyone: list[Organization]) -> Rows:
    """The rows a refresh of each organization on its own would leave."""
    with transaction.atomic():
        for organization in everyone:
            assert rollups_refresh(organization=organization) is not None
        rows = rollup_rows()
        transaction.set_rollback(True)
    return rows


def watermarks() -> dict[int, datetime | None]:
    return dict(Watermark.objects.unscoped().values_list("organization_id", "through"))


def test_a_tick_writes_exactly_the_rows_of_a_refresh_of_each_on_its_own(owner: Any) -> None:
    everyone = organizations(owner, 6)
    surveys = {organization.pk: surveys_of(organization) for organization in everyone}
    for step, organization in enumerate(everyone):
        history(organization, surveys[organization.pk], step)
        rollups_refresh(organization=organization)
    # One far behind: the others' rows since its watermark are read too.
    Watermark.objects.unscoped().filter(organization=everyone[0]).update(
        through=timezone.now() - timedelta(hours=2)
    )
    for step, organization in enumerate(everyone):
        changes(organization, surveys[organization.pk], step)
    assert DirtyKey.objects.count() > 0
    expected = each_on_its_own(everyone)
    before = watermarks()
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert refresh_all.delay().get() == len(everyone)
    assert rollup_rows() == expected
    for organization in everyone:
        assert {k: v for k, v in expected.items() if k[0] == organization.pk} == truth(organization)
        assert watermarks()[organization.pk] > before[organization.pk]  # type: ignore[operator]
        assert cache.get(ready_cache_key(organization))
    assert DirtyKey.objects.count() == 0


def test_a_tick_counts_prompt_events_written_since_on_a_day_without_answers(
    owner: Any, settings: Any
) -> None:
    settings.ROLLUPS_OVERLAP_SECONDS = 60  # events of now are not queued as late
    everyone = organizations(owner, 3)
    for step, organization in enumerate(everyone):
        history(organization, surveys_of(organization), step)
        rollups_refresh(organization=organization)
    for organization in everyone:
        with tenant_context(organization):
            person = Respondent.objects.get()
            for kind in ("display", "not_now", "never", "answer"):
                PromptEvent.objects.create(
                    organization=organization,
                    survey=Survey.objects.order_by("pk").first(),
                    respondent=person,
                    kind=kind,
                    channel="link",
                )
    assert DirtyKey.objects.count() == 0
    expected = each_on_its_own(everyone)
    refresh_all.delay()
    assert rollup_rows() == expected
    for organization in everyone:
        today = timezone.localdate(timezone=ZoneInfo(organization.time_zone))
        survey = surveys_of_first(organization)
        assert expected[(organization.pk, survey, today, "link")][-2:] == [1, 2]


def surveys_of_first(organization: Organization) -> int:
    with tenant_context(organization):
        return int(Survey.objects.order_by("pk").values_list("pk", flat=True)[0])


@pytest.mark.postgres
def test_it_refreshes_every_due_organization_in_one_transaction(
    owner: Any, django_assert_max_num_queries: Any
) -> None:
    everyone = organizations(owner, 4)
    for step, organization in enumerate(everyone):
        surveys = surveys_of(organization)
        history(organization, surveys, step)
        rollups_refresh(organization=organization)
        changes(organization, surveys, step)
    with django_assert_max_num_queries(8):
        assert rollups_refresh_together(organization_ids=[o.pk for o in everyone]) == []
    rows = rollup_rows()
    for organization in everyone:
        assert {k: v for k, v in rows.items() if k[0] == organization.pk} == truth(organization)


@pytest.mark.postgres
def test_it_leaves_other_organizations_rows_alone(owner: Any) -> None:
    mine, theirs = organizations(owner, 2)
    for step, organization in enumerate((mine, theirs)):
        surveys = surveys_of(organization)
        history(organization, surveys, step)
        rollups_refresh(organization=organization)
        changes(organization, surveys, step)
    RollupDay.objects.unscoped().filter(organization=theirs).update(s10=99)
    their_rows = {k: v for k, v in rollup_rows().items() if k[0] == theirs.pk}
    their_mark, their_queue = (
        watermarks()[theirs.pk],
        DirtyKey.objects.filter(organization_id=theirs.pk).count(),
    )
    assert rollups_refresh_together(organization_ids=[mine.pk]) == []
    rows = rollup_rows()
    assert {k: v for k, v in rows.items() if k[0] == theirs.pk} == their_rows
    assert {k: v for k, v in rows.items() if k[0] == mine.pk} == truth(mine)
    assert watermarks()[theirs.pk] == their_mark
    assert DirtyKey.objects.filter(organization_id=theirs.pk).count() == their_queue > 0


@pytest.mark.postgres
def test_it_leaves_first_and_recut_rebuilds_to_the_refresh_of_each(owner: Any) -> None:
    complete, new, moved = organizations(owner, 3)
    for organization in (complete, new, moved):
        history(organization, surveys_of(organization), 0)
    rollups_refresh(organization=complete)
    rollups_refresh(organization=moved)
    Organization.objects.filter(pk=moved.pk).update(time_zone="Asia/Tokyo")
    moved_rows = {k: v for k, v in rollup_rows().items() if k[0] == moved.pk}
    ids = [complete.pk, new.pk, moved.pk]
    assert rollups_refresh_together(organization_ids=ids) == sorted([new.pk, moved.pk])
    assert new.pk not in watermarks()
    assert {k: v for k, v in rollup_rows().items() if k[0] == moved.pk} == moved_rows


@pytest.mark.postgres
def test_it_refuses_to_sweep_organizations_outside_all_tenants(org: Organization) -> None:
    rollups_refresh(organization=org)
    with no_tenant(), pytest.raises(NoTenantContext):
        rollups_refresh_together(organization_ids=[org.pk])
    with no_tenant(), tenant_context(org), pytest.raises(NoTenantContext):
        rollups_refresh_together(organization_ids=[org.pk])


def test_on_other_databases_it_leaves_every_organization_to_the_refresh_of_each(
    org: Organization, other_org: Organization
) -> None:
    rollups_refresh(organization=org)
    rollups_refresh(organization=other_org)
    left = rollups_refresh_together(organization_ids=[other_org.pk, org.pk])
    assert left == ([] if connection.vendor == "postgresql" else sorted([org.pk, other_org.pk]))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_skips_an_organization_another_run_holds(owner: Any) -> None:
    held, free = organizations(owner, 2)
    for step, organization in enumerate((held, free)):
        surveys = surveys_of(organization)
        history(organization, surveys, step)
        rollups_refresh(organization=organization)
        changes(organization, surveys, step)
    held_rows = {k: v for k, v in rollup_rows().items() if k[0] == held.pk}
    with watermark_held(held), all_tenants():
        assert rollups_refresh_together(organization_ids=[held.pk, free.pk]) == [held.pk]
    rows = rollup_rows()
    assert {k: v for k, v in rows.items() if k[0] == held.pk} == held_rows
    assert {k: v for k, v in rows.items() if k[0] == free.pk} == truth(free)
    with all_tenants():
        assert rollups_refresh_together(organization_ids=[held.pk]) == []
    assert {k: v for k, v in rollup_rows().items() if k[0] == held.pk} == truth(held)
