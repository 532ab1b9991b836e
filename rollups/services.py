"""Writes of the daily rollups: recompute keys from raw rows, upsert absolute counts.

Incremental refresh: the keys touched since the watermark are responses whose
`updated_at` is later than `through - overlap` (new answers, changed scores,
imports with old `created_at` values), prompt events created since then, and
the queued `DirtyKey` rows (deletes, moves to another survey, day or channel).
Each touched key is recomputed from raw rows with grouped queries and written
with INSERT … ON CONFLICT DO UPDATE; a key left with no rows is deleted.

The whole run of one organization is one transaction holding its watermark row
locked, so two runs never interleave; a second run arriving meanwhile skips
(the next tick picks up what it would have done).

Why the overlap: a row's timestamp is taken before its transaction commits. A
write stamped 10:00:00 that commits at 10:00:03 is invisible to a run that
started at 10:00:01 and advanced the watermark to then. Re-reading from
`through - overlap` catches every write that commits within `overlap` of its
own timestamp (transaction time plus clock skew between machines). Recomputing
absolute counts makes the re-read harmless.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Model, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from responses.models import PromptEvent, Response
from tenants.context import tenant_context
from tenants.models import Organization

from .models import SCORE_FIELDS, DirtyKey, RollupDay, Watermark

COUNTED_EVENTS = {
    PromptEvent.Kind.DISPLAY: "displays",
    PromptEvent.Kind.NOT_NOW: "dismissals",
    PromptEvent.Kind.NEVER: "dismissals",
}
COUNT_FIELDS = (*SCORE_FIELDS, "displays", "dismissals")
BATCH = 500


@dataclass(frozen=True, order=True)
class Key:
    survey_id: int
    day: date
    channel: str


Counts = dict[Key, list[int]]


def overlap() -> timedelta:
    return timedelta(seconds=settings.ROLLUPS_OVERLAP_SECONDS)


def ready_cache_key(organization: Organization) -> str:
    """A hint that an organization has rollups, so readers of one without any
    (or with an evicted hint) skip the watermark lookup and count raw rows."""
    return f"rollups:ready:{organization.pk}:{organization.created_at.timestamp()}"


# Entry points ----------------------------------------------------------------


def rollups_refresh(*, organization: Organization) -> int | None:
    """Bring one organization's rollups up to date; the number of keys written,
    or None when another run holds the organization and this one stepped aside."""
    with tenant_context(organization), transaction.atomic():
        mark = _locked_watermark(organization, wait=False)
        if mark is None:
            return None
        started = timezone.now()
        zone = ZoneInfo(organization.time_zone)
        if mark.through is None or mark.time_zone != organization.time_zone:
            written = _rebuild_everything(organization, zone)
        else:
            written = _refresh_touched(organization, zone, since=mark.through - overlap())
        mark.through, mark.time_zone = started, organization.time_zone
        mark.save(update_fields=["through", "time_zone", "updated_at"])
        transaction.on_commit(lambda: cache.set(ready_cache_key(organization), True, 86400))
    return written


def rollups_rebuild(
    *, organization: Organization, first: date, last: date, survey_id: int | None = None
) -> int:
    """Recompute every key of the local days `first`..`last` (one survey or all)."""
    with tenant_context(organization), transaction.atomic():
        mark = _locked_watermark(organization, wait=True)
        assert mark is not None
        zone = ZoneInfo(mark.time_zone)
        surveys = Q() if survey_id is None else Q(survey_id=survey_id)
        period = _day_ranges([(first, last)], zone)
        counts = {
            key: row
            for key, row in _count(organization, zone, surveys & period).items()
            if first <= key.day <= last
        }
        existing = RollupDay.objects.filter(surveys, day__gte=first, day__lte=last)
        stale = {_key_of(row) for row in existing} - set(counts)
        return _write(organization, counts, stale)


# Incremental -----------------------------------------------------------------


def _locked_watermark(organization: Organization, *, wait: bool) -> Watermark | None:
    Watermark.objects.get_or_create(
        organization=organization, defaults={"time_zone": organization.time_zone}
    )
    marks = Watermark.objects.select_for_update(skip_locked=not wait)
    return marks.filter(organization=organization).first()


def _refresh_touched(organization: Organization, zone: ZoneInfo, *, since: datetime) -> int:
    dirty = list(DirtyKey.objects.filter(organization_id=organization.pk))
    keys = touched_keys(zone=zone, since=since) | {_dirty_key(row, zone) for row in dirty}
    written = _recompute(organization, zone, keys)
    # Only the rows read: one queued meanwhile stays for the next run.
    DirtyKey.objects.filter(pk__in=[row.pk for row in dirty]).delete()
    return written


def touched_keys(*, zone: ZoneInfo, since: datetime, period: Q | None = None) -> set[Key]:
    """Keys of the current organization with a response or prompt event
    written after `since` (optionally within `period`, a created_at range)."""
    day = TruncDate("created_at", tzinfo=zone)
    within = period if period is not None else Q()
    answers = (
        Response.objects.filter(within, updated_at__gt=since)
        .annotate(day=day)
        .values_list("survey_id", "day", "channel")
        .distinct()
    )
    events = (
        PromptEvent.objects.filter(within, created_at__gt=since, kind__in=list(COUNTED_EVENTS))
        .annotate(day=day)
        .values_list("survey_id", "day", "channel")
        .distinct()
    )
    return {Key(*row) for row in answers} | {Key(*row) for row in events}


def _dirty_key(row: DirtyKey, zone: ZoneInfo) -> Key:
    return Key(int(row.survey_id), timezone.localtime(row.created_at, zone).date(), row.channel)


def _recompute(organization: Organization, zone: ZoneInfo, keys: set[Key]) -> int:
    if not keys:
        return 0
    where = Q(survey_id__in={key.survey_id for key in keys}) & _day_ranges(
        day_runs(key.day for key in keys), zone
    )
    counts = {key: row for key, row in _count(organization, zone, where).items() if key in keys}
    return _write(organization, counts, keys - set(counts))


def _rebuild_everything(organization: Organization, zone: ZoneInfo) -> int:
    RollupDay.objects.all().delete()
    DirtyKey.objects.filter(organization_id=organization.pk).delete()
    if connection.vendor == "postgresql":
        return _rebuild_in_database(organization, zone)
    return _write(organization, _count(organization, zone, Q()), set())


def _rebuild_in_database(organization: Organization, zone: ZoneInfo) -> int:
    """Every key of the organization counted and written by one INSERT … SELECT:
    the same grouped counts as `_count` (days cut by the database in `zone`,
    as TruncDate does), without a row of them passing through Python, which
    on a large organization is most of the time of a rebuild."""
    scores = ", ".join(f"count(*) FILTER (WHERE score = {n})" for n in range(11))
    sums = ", ".join(f"sum({name})" for name in COUNT_FIELDS)
    zeros = ", ".join("0" for _ in SCORE_FIELDS)
    columns = ", ".join(COUNT_FIELDS)
    dismissed = [kind for kind, field in COUNTED_EVENTS.items() if field == "dismissals"]
    day = "(created_at AT TIME ZONE %s)::date"
    sql = f"""
        INSERT INTO {_table(RollupDay)} (organization_id, survey_id, day, channel, {columns})
        SELECT %s, survey_id, day, channel, {sums}
        FROM (
            SELECT survey_id, {day} AS day, channel, {scores}, 0, 0
            FROM {_table(Response)} WHERE organization_id = %s
            GROUP BY 1, 2, 3
            UNION ALL
            SELECT survey_id, {day} AS day, channel, {zeros},
                count(*) FILTER (WHERE kind = %s), count(*) FILTER (WHERE kind = ANY(%s))
            FROM {_table(PromptEvent)} WHERE organization_id = %s AND kind = ANY(%s)
            GROUP BY 1, 2, 3
        ) AS parts ({", ".join(("survey_id", "day", "channel", *COUNT_FIELDS))})
        GROUP BY survey_id, day, channel
    """  # noqa: S608 (identifiers and constants only; values are parameters)
    params: list[Any] = [
        organization.pk,
        zone.key,
        organization.pk,
        zone.key,
        PromptEvent.Kind.DISPLAY.value,
        [str(kind) for kind in dismissed],
        organization.pk,
        [str(kind) for kind in COUNTED_EVENTS],
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# Counting and writing ----------------------------------------------------------


def _count(organization: Organization, zone: ZoneInfo, where: Q) -> Counts:
    """Absolute counts of every key with rows matching `where`, two grouped queries."""
    day = TruncDate("created_at", tzinfo=zone)
    counts: Counts = defaultdict(lambda: [0] * len(COUNT_FIELDS))
    scores: QuerySet[Response, tuple[int, date, str, int, int]] = (
        Response.objects.filter(where)
        .annotate(day=day)
        .values_list("survey_id", "day", "channel", "score")
        .annotate(n=Count("id"))
        .order_by()
    )
    for survey_id, local_day, channel, score, n in scores:
        counts[Key(survey_id, local_day, channel)][score] += n
    events = (
        PromptEvent.objects.filter(where, kind__in=list(COUNTED_EVENTS))
        .annotate(day=day)
        .values_list("survey_id", "day", "channel", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    for survey_id, local_day, channel, kind, n in events:
        counts[Key(survey_id, local_day, channel)][COUNT_FIELDS.index(COUNTED_EVENTS[kind])] += n
    return dict(counts)


def _write(organization: Organization, counts: Counts, empty: set[Key]) -> int:
    rows = [
        RollupDay(
            organization=organization,
            survey_id=key.survey_id,
            day=key.day,
            channel=key.channel,
            **dict(zip(COUNT_FIELDS, values, strict=True)),
        )
        for key, values in sorted(counts.items())
    ]
    RollupDay.objects.bulk_create(
        rows,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["organization", "survey", "day", "channel"],
        update_fields=list(COUNT_FIELDS),
    )
    ordered = sorted(empty)
    for start in range(0, len(ordered), BATCH):
        RollupDay.objects.filter(_keys_q(ordered[start : start + BATCH])).delete()
    return len(rows) + len(ordered)


def _keys_q(keys: Iterable[Key]) -> Q:
    condition = Q(pk__in=[])
    for key in keys:
        condition |= Q(survey_id=key.survey_id, day=key.day, channel=key.channel)
    return condition


def _key_of(row: RollupDay) -> Key:
    return Key(row.survey_id, row.day, row.channel)


# Days --------------------------------------------------------------------------


def day_runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive days merged into (first, last) runs."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and day - runs[-1][1] <= timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _day_ranges(runs: list[tuple[date, date]], zone: ZoneInfo) -> Q:
    """created_at ranges covering the runs, a day wider on each side: rows are
    then kept by their database-computed day, so a midnight that daylight
    saving skips cannot drop one."""
    condition = Q(pk__in=[])
    for first, last in runs:
        condition |= Q(
            created_at__gte=datetime.combine(first - timedelta(days=1), time.min, tzinfo=zone),
            created_at__lt=datetime.combine(last + timedelta(days=2), time.min, tzinfo=zone),
        )
    return condition
