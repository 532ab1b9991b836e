"""Reads of the rollups: which whole local days they may serve, and their sums.

Exactness. A run of the incremental refresh that starts at time T recomputes
every key touched after `W - overlap` (W: the previous watermark) and every
queued dirty key, then sets the watermark to T, all in one transaction. Any
change it cannot have seen commits after T, so (given that a transaction
commits within `overlap` of the timestamps it writes) it carries a timestamp
later than `T - overlap` or left a dirty key still queued. Hence: a day on
which no response was written (`updated_at`) and no counted prompt event
created after `watermark - overlap`, and with no queued dirty key, has rollup
rows equal to a count of its raw rows. Readers serve exactly those days from
rollups, whole days only, and count everything else (today's recent answers,
the partial days at the edges of a period, days touched since) from raw rows.

The touched days are taken across surveys and channels: coarser than the key,
never wrong. Without a watermark, with one cut in another time zone than the
period's, or with rollups disabled, nothing is served and every number comes
from raw rows.
"""

import logging
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Max, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from responses.models import PromptEvent, Response
from tenants.models import Organization

from .models import SCORE_FIELDS, DirtyKey, RollupDay, Watermark
from .services import COUNTED_EVENTS, overlap, ready_cache_key

Runs = list[tuple[date, date]]

logger = logging.getLogger(__name__)


def start_of(day: date, zone: Any) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def whole_days(*, start: datetime, end: datetime) -> tuple[date, date] | None:
    """The first and last local days lying wholly inside [start, end)."""
    zone = start.tzinfo
    first = timezone.localtime(start, zone).date()
    if start_of(first, zone) < start:
        first += timedelta(days=1)
    last = timezone.localtime(end, zone).date() - timedelta(days=1)
    return (first, last) if first <= last else None


def served_days(
    *, organization: Organization, start: datetime, end: datetime, survey_ids: list[int]
) -> Runs:
    """Runs of whole local days of [start, end) that rollups count exactly."""
    zone = start.tzinfo
    days = whole_days(start=start, end=end)
    if not settings.ROLLUPS_ENABLED or days is None or not isinstance(zone, ZoneInfo):
        return []
    if not _rollups_ready(organization):
        return []  # no rollups yet, or the hint was evicted: raw rows are exact
    mark = Watermark.objects.filter(through__isnull=False, time_zone=zone.key).first()
    if mark is None or mark.through is None:
        return []
    stale = _stale_days(
        organization, zone, days, since=mark.through - overlap(), survey_ids=survey_ids
    )
    return runs_between(*days, without=stale)


def runs_between(first: date, last: date, *, without: set[date]) -> Runs:
    """The runs of days from `first` to `last` less the days `without`: the
    same runs as `day_runs` of the remaining days, from the few stale days
    rather than a pass over every day of the period (two years on the overview)."""
    runs: Runs = []
    begin = first
    for day in sorted(day for day in without if first <= day <= last):
        if begin < day:
            runs.append((begin, day - timedelta(days=1)))
        begin = day + timedelta(days=1)
    if begin <= last:
        runs.append((begin, last))
    return runs


def _rollups_ready(organization: Organization) -> bool:
    try:
        return bool(cache.get(ready_cache_key(organization)))
    except Exception:
        # With the cache down the dashboards count raw rows: slower, still exact.
        logger.warning("rollups hint unavailable: counting raw rows", exc_info=True)
        return False


def _stale_days(
    organization: Organization,
    zone: ZoneInfo,
    days: tuple[date, date],
    *,
    since: datetime,
    survey_ids: list[int],
) -> set[date]:
    """Local days with a write after `since` or a queued dirty key.

    First the local days of the earliest and the latest of those rows, one
    query that computes nothing per row: when they are the same day (today's
    answers, the usual case) it is the only one. Otherwise a second query
    lists the days, a time zone conversion and a hash per row."""
    touched = _touched(organization, zone, days, since=since, survey_ids=survey_ids)
    first, last = Min("created_at"), Max("created_at")
    bounds = [
        rows.order_by()
        .values("organization_id")
        .annotate(first=TruncDate(first, tzinfo=zone), last=TruncDate(last, tzinfo=zone))
        .values_list("first", "last")
        for rows in touched
    ]
    ends = {day for row in bounds[0].union(bounds[1], bounds[2], all=True) for day in row}
    if len(ends) <= 1:
        return ends
    day = TruncDate("created_at", tzinfo=zone)
    listed = [rows.annotate(day=day).values_list("day") for rows in touched]
    return {row[0] for row in listed[0].union(listed[1], listed[2])}


def _touched(
    organization: Organization,
    zone: ZoneInfo,
    days: tuple[date, date],
    *,
    since: datetime,
    survey_ids: list[int],
) -> list[QuerySet[Any]]:
    """The answers written, the counted prompt events created after `since`,
    and the queued dirty keys, over the local days `days`."""
    begin, end = start_of(days[0], zone), start_of(days[1] + timedelta(days=1), zone)
    period = Q(created_at__gte=begin, created_at__lt=end)
    answers = Response.objects.filter(period, survey_id__in=survey_ids, updated_at__gt=since)
    events = PromptEvent.objects.filter(
        period, survey_id__in=survey_ids, created_at__gt=since, kind__in=list(COUNTED_EVENTS)
    )
    queued = DirtyKey.objects.filter(period, organization_id=organization.pk)
    return [answers, events, queued]


def runs_q(runs: Runs, zone: Any, *, prefix: str = "") -> Q:
    """created_at inside any of the runs of local days."""
    condition = Q(pk__in=[])
    for first, last in runs:
        condition |= Q(
            **{
                f"{prefix}created_at__gte": start_of(first, zone),
                f"{prefix}created_at__lt": start_of(last + timedelta(days=1), zone),
            }
        )
    return condition


def outside_runs_q(runs: Runs, zone: Any, *, start: datetime, end: datetime) -> Q:
    """created_at in [start, end) but in none of the runs of local days: the
    gaps between them, as ranges. The same rows as `~runs_q(runs)` within the
    period, but each range walks its part of an index, so the rows served from
    rollups are never read."""
    condition = Q(pk__in=[])
    for low, high in outside_runs(runs, zone, start=start, end=end):
        condition |= Q(created_at__gte=low, created_at__lt=high)
    return condition


def outside_runs(
    runs: Runs, zone: Any, *, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The ranges [low, high) of `outside_runs_q`, in order."""
    gaps = []
    begin = start
    for first, last in sorted(runs):
        run_start, run_end = start_of(first, zone), start_of(last + timedelta(days=1), zone)
        if begin < run_start:
            gaps.append((begin, min(run_start, end)))
        begin = max(begin, run_end)
    if begin < end:
        gaps.append((begin, end))
    return gaps


def rollup_rows(*, runs: Runs, survey_ids: list[int], channel: str = "") -> QuerySet[RollupDay]:
    condition = Q(pk__in=[])
    for first, last in runs:
        condition |= Q(day__gte=first, day__lte=last)
    rows = RollupDay.objects.filter(condition, survey_id__in=survey_ids)
    return rows.filter(channel=channel) if channel else rows


def score_sums() -> dict[str, Sum]:
    return {name: Sum(name) for name in SCORE_FIELDS}


# Which organizations a tick must refresh ---------------------------------------

# Even an organization with nothing new is refreshed this often, so its
# "ready" hint (kept a day) never lapses and its watermark stays recent.
IDLE_REFRESH = timedelta(hours=1)


def organizations_due(*, now: datetime) -> list[int]:
    """The organizations whose refresh would change something.

    Those without a complete run (or cut in another time zone), those not
    refreshed for IDLE_REFRESH, and those with a response written, a counted
    prompt event created after `watermark - overlap`, or a queued dirty key:
    what `rollups_refresh` would find. Skipping the others leaves their
    watermark where it was, which is always safe (see the module's docstring):
    their next run re-reads from there. Reads every organization: call it
    inside `tenants.context.all_tenants()`.
    """
    zones = dict(Organization.objects.values_list("pk", "time_zone"))
    since: dict[int, datetime] = {}
    for organization_id, through, zone, updated_at in Watermark.objects.unscoped().values_list(
        "organization_id", "through", "time_zone", "updated_at"
    ):
        fresh = updated_at >= now - IDLE_REFRESH and zones.get(organization_id) == zone
        if through is not None and fresh:
            since[organization_id] = through - overlap()
    busy = _written_since(since)
    return sorted(pk for pk in zones if pk not in since or pk in busy)


def _written_since(since: dict[int, datetime]) -> set[int]:
    """The organizations of `since` with a row written after their time there.

    On PostgreSQL one query, each organization's time a plain value: an
    expression such as `through - interval` would not be leakproof, so
    row-level security would keep it out of the index condition and every
    row of the organization would be read. The earliest of the times, a
    constant, is there for the planner: it then knows how few rows are that
    recent, and walks the index on the time rather than every row of the
    organization.
    """
    if not since:
        return set()
    if connection.vendor != "postgresql":
        return {pk for pk, moment in since.items() if _wrote(pk, moment)}
    table = connection.ops.quote_name
    kinds = ", ".join(["%s"] * len(COUNTED_EVENTS))
    values = ", ".join(["(%s::bigint, %s::timestamptz)"] * len(since))
    sql = f"""
        SELECT v.id FROM (VALUES {values}) AS v (id, since)
        WHERE EXISTS (SELECT 1 FROM {table(Response._meta.db_table)} r
                      WHERE r.organization_id = v.id AND r.updated_at > v.since
                      AND r.updated_at > %s)
           OR EXISTS (SELECT 1 FROM {table(PromptEvent._meta.db_table)} e
                      WHERE e.organization_id = v.id AND e.created_at > v.since
                      AND e.created_at > %s AND e.kind IN ({kinds}))
           OR EXISTS (SELECT 1 FROM {table(DirtyKey._meta.db_table)} d
                      WHERE d.organization_id = v.id)
    """  # noqa: S608 (identifiers and placeholders only)
    earliest = min(since.values())
    params: list[Any] = [value for item in since.items() for value in item]
    params += [earliest, earliest, *(str(kind) for kind in COUNTED_EVENTS)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def _wrote(organization_id: int, moment: datetime) -> bool:
    mine = {"organization_id": organization_id}
    return (
        Response.objects.unscoped().filter(**mine, updated_at__gt=moment).exists()
        or PromptEvent.objects.unscoped()
        .filter(**mine, created_at__gt=moment, kind__in=list(COUNTED_EVENTS))
        .exists()
        or DirtyKey.objects.filter(**mine).exists()
    )
