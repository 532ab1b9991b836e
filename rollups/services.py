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

On PostgreSQL, beat's tick refreshes every organization due with a complete
run together (`rollups_refresh_together`): the same keys, recounted the same
way, by one statement for all of them in one transaction, instead of a
transaction of about ten statements for each.

Why the overlap: a row's timestamp is taken before its transaction commits. A
write stamped 10:00:00 that commits at 10:00:03 is invisible to a run that
started at 10:00:01 and advanced the watermark to then. Re-reading from
`through - overlap` catches every write that commits within `overlap` of its
own timestamp (transaction time plus clock skew between machines). Recomputing
absolute counts makes the re-read harmless.
"""

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, F, Model, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from responses.models import PromptEvent, Response
from tenants.context import NoTenantContext, row_security_scope, tenant_context
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


# Many organizations together (PostgreSQL) --------------------------------------


def rollups_refresh_together(*, organization_ids: Collection[int]) -> list[int]:
    """Refresh at once every organization of `organization_ids` whose rollups
    are complete and cut in its current time zone; the ids left for
    `rollups_refresh`, one by one: those due a whole rebuild, those another
    run holds (which will step aside or find nothing new), and on any database
    but PostgreSQL all of them.

    What `rollups_refresh` does for each (keys touched after its watermark
    less the overlap and its queued dirty keys, recounted from raw rows),
    done in one transaction holding their watermarks locked, by one statement
    for all of them: a tick with something new everywhere would otherwise be
    a transaction of about ten statements per organization. A sweep across
    organizations: call it inside `tenants.context.all_tenants()`.
    """
    if connection.vendor != "postgresql" or not organization_ids:
        return sorted(organization_ids)
    if row_security_scope()[1] != "on":
        raise NoTenantContext("rollups_refresh_together reads every organization: all_tenants()")
    with transaction.atomic():
        marks = _locked_complete_watermarks(organization_ids)
        if marks:
            _refresh_together_in_database(marks, started=timezone.now())
            ready = {ready_cache_key(mark.organization): True for mark in marks}
            # Robust: the hint is only a hint, and the tick must go on to
            # enqueue the rebuilds whatever the cache does.
            transaction.on_commit(lambda: cache.set_many(ready, 86400), robust=True)
    return sorted(set(organization_ids) - {mark.organization_id for mark in marks})


def _locked_complete_watermarks(organization_ids: Collection[int]) -> list[Watermark]:
    """The watermarks of a complete run in the organization's current zone,
    locked; one another run holds is skipped, as `rollups_refresh` does."""
    marks = Watermark.objects.unscoped().select_for_update(skip_locked=True, of=("self",))
    return list(
        marks.select_related("organization").filter(
            organization_id__in=list(organization_ids),
            through__isnull=False,
            time_zone=F("organization__time_zone"),
        )
    )


def _refresh_together_in_database(marks: list[Watermark], *, started: datetime) -> int:
    """One statement: the touched keys of every organization of `marks`,
    recounted, upserted or deleted when left empty, the dirty keys read
    consumed and the watermarks advanced to `started`; the number of keys.

    Each organization's time and zone are plain values of `orgs`, and each
    day's bounds plain values of `spans`, so every condition on a table under
    row-level security is leakproof and walks an index (see
    `rollups.selectors._written_since`); the earliest time, a constant, tells
    the planner how few rows are that recent. The LATERAL subqueries (unions
    or grouped) are never flattened: each is an index scan for one
    organization or one day, whatever the estimates of the arrays.
    """
    with connection.cursor() as cursor:
        # Its cost grows with the number of organizations, and compiling it
        # (JIT, above a cost) would take longer than running it.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(_together_sql(), _together_params(marks, started=started))
        return int(cursor.fetchone()[0])


def _together_params(marks: list[Watermark], *, started: datetime) -> dict[str, Any]:
    dismissed = [str(kind) for kind, field in COUNTED_EVENTS.items() if field == "dismissals"]
    return {
        "ids": [mark.organization_id for mark in marks],
        "since": [_since(mark) for mark in marks],
        "earliest": min(_since(mark) for mark in marks),
        "zones": [mark.time_zone for mark in marks],
        "counted": [str(kind) for kind in COUNTED_EVENTS],
        "display": str(PromptEvent.Kind.DISPLAY),
        "dismissed": dismissed,
        "started": started,
    }


def _since(mark: Watermark) -> datetime:
    assert mark.through is not None  # only complete runs are refreshed together
    return mark.through - overlap()


def _together_sql() -> str:
    table = connection.ops.quote_name
    response, event = table(Response._meta.db_table), table(PromptEvent._meta.db_table)
    rollup, dirty = table(RollupDay._meta.db_table), table(DirtyKey._meta.db_table)
    mark = table(Watermark._meta.db_table)
    scores = ", ".join(f"count(*) FILTER (WHERE r.score = {n}) AS s{n}" for n in range(11))
    zeros = ", ".join(f"0 AS {name}" for name in SCORE_FIELDS)
    sums = ", ".join(f"sum(p.{name})" for name in COUNT_FIELDS)
    columns = ", ".join(COUNT_FIELDS)
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in COUNT_FIELDS)
    # A key re-read unchanged (the overlap) keeps its row version: no write.
    current = ", ".join(f"{rollup}.{name}" for name in COUNT_FIELDS)
    excluded = ", ".join(f"EXCLUDED.{name}" for name in COUNT_FIELDS)
    same_key = " AND ".join(
        f"{{a}}.{name} = {{b}}.{name}"
        for name in ("organization_id", "survey_id", "day", "channel")
    )
    # The UTC offset of an instant; equal a day before one midnight and a day
    # after the next, the day has none of daylight saving's gaps or repeats,
    # and its local midnights are its bounds. Otherwise the bounds are a day
    # wider, as `_day_ranges`; rows are kept by their day either way.
    offset = "(({0}) AT TIME ZONE zone) - (({0}) AT TIME ZONE 'UTC')"
    before, after = "midnight - interval '1 day'", "next + interval '1 day'"
    steady = f"{offset.format(before)} = {offset.format(after)}"
    return f"""
        WITH orgs AS MATERIALIZED (
            SELECT * FROM unnest(%(ids)s::bigint[], %(since)s::timestamptz[], %(zones)s::text[])
                AS o (id, since, zone)
        ), queued AS MATERIALIZED (
            SELECT d.id, d.organization_id, d.survey_id,
                (d.created_at AT TIME ZONE o.zone)::date AS day, d.channel
            FROM {dirty} d JOIN orgs o ON o.id = d.organization_id
        ), touched AS (
            SELECT o.id AS organization_id, t.survey_id, t.day, t.channel
            FROM orgs o CROSS JOIN LATERAL (
                SELECT r.survey_id, (r.created_at AT TIME ZONE o.zone)::date, r.channel
                FROM {response} r WHERE r.organization_id = o.id
                    AND r.updated_at > o.since AND r.updated_at > %(earliest)s
                UNION
                SELECT e.survey_id, (e.created_at AT TIME ZONE o.zone)::date, e.channel
                FROM {event} e WHERE e.organization_id = o.id
                    AND e.created_at > o.since AND e.created_at > %(earliest)s
                    AND e.kind = ANY(%(counted)s)
            ) AS t (survey_id, day, channel)
            UNION
            SELECT organization_id, survey_id, day, channel FROM queued
        ), keys AS MATERIALIZED (
            SELECT t.*, o.zone FROM touched t JOIN orgs o ON o.id = t.organization_id
        ), spans AS MATERIALIZED (
            SELECT organization_id, survey_id, day, zone, steady,
                CASE WHEN steady THEN midnight ELSE midnight - interval '1 day' END AS lo,
                CASE WHEN steady THEN next ELSE next + interval '1 day' END AS hi
            FROM (
                SELECT *, {steady} AS steady FROM (
                    SELECT DISTINCT organization_id, survey_id, day, zone,
                        day::timestamp AT TIME ZONE zone AS midnight,
                        (day + 1)::timestamp AT TIME ZONE zone AS next
                    FROM keys
                ) AS days
            ) AS days
        ), parts AS MATERIALIZED (
            SELECT s.organization_id, s.survey_id, s.day, p.*
            FROM spans s CROSS JOIN LATERAL (
                SELECT r.channel, {scores}, 0 AS displays, 0 AS dismissals
                FROM {response} r
                WHERE r.organization_id = s.organization_id AND r.survey_id = s.survey_id
                    AND r.created_at >= s.lo AND r.created_at < s.hi
                    AND (s.steady OR (r.created_at AT TIME ZONE s.zone)::date = s.day)
                GROUP BY r.channel
                UNION ALL
                SELECT e.channel, {zeros},
                    coalesce(sum(e.n) FILTER (WHERE e.kind = %(display)s), 0) AS displays,
                    coalesce(sum(e.n) FILTER (WHERE e.kind = ANY(%(dismissed)s)), 0) AS dismissals
                FROM unnest(%(counted)s::text[]) AS counted (kind)
                CROSS JOIN LATERAL (
                    SELECT e.channel, e.kind, count(*) AS n
                    FROM {event} e
                    WHERE e.organization_id = s.organization_id AND e.survey_id = s.survey_id
                        AND e.kind = counted.kind
                        AND e.created_at >= s.lo AND e.created_at < s.hi
                        AND (s.steady OR (e.created_at AT TIME ZONE s.zone)::date = s.day)
                    GROUP BY e.channel, e.kind
                ) AS e
                GROUP BY e.channel
            ) AS p
        ), counts AS MATERIALIZED (
            SELECT k.organization_id, k.survey_id, k.day, k.channel, {sums}
            FROM keys k JOIN parts p ON {same_key.format(a="p", b="k")}
            GROUP BY 1, 2, 3, 4
        ), written AS (
            INSERT INTO {rollup} (organization_id, survey_id, day, channel, {columns})
            SELECT * FROM counts ORDER BY 1, 2, 3, 4
            ON CONFLICT (organization_id, survey_id, day, channel) DO UPDATE SET {updates}
                WHERE ({current}) IS DISTINCT FROM ({excluded})
        ), emptied AS (
            DELETE FROM {rollup} WHERE id = ANY(ARRAY(
                SELECT d.id FROM keys k CROSS JOIN LATERAL (
                    SELECT d.id FROM {rollup} d WHERE {same_key.format(a="d", b="k")}
                ) AS d
                WHERE NOT EXISTS (SELECT 1 FROM counts c WHERE {same_key.format(a="c", b="k")})
            ))
        ), consumed AS (
            DELETE FROM {dirty} WHERE id = ANY(ARRAY(SELECT id FROM queued))
        ), advanced AS (
            UPDATE {mark} w SET through = %(started)s, updated_at = %(started)s
            FROM orgs o WHERE w.organization_id = o.id
        )
        SELECT count(*) FROM keys
    """  # noqa: S608 (identifiers and constants only; values are parameters)


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
