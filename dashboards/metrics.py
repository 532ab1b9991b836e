"""The back office's numbers: one module for every page and the API.

Each function takes the `Filters` read from the URL and aggregates in the
database over the filtered date range of the current organization, so a query
is served by the (organization, survey, created_at) index and returns counts,
never rows. Numbers stay exact (counts, fractions, unrounded floats); rounding
happens only where they are displayed.

Whole local days that the daily rollups hold exactly (see `rollups.selectors`
for the argument) are summed from the rollups; every other row of the period
(today's recent answers, partial days at the edges, days touched since the
last refresh) is counted raw, and the two parts never overlap. Rollups have
survey, channel, day and score as dimensions, so a filter on language, traits
or comment text counts every row raw. Either way the numbers are the same.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django.db.models import Case, Count, Expression, F, Q, QuerySet, Sum, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncDate, TruncMonth, TruncWeek
from django.db.models.lookups import In, IsNull
from django.utils import timezone
from django.utils.translation import gettext as _

from responses.models import Channel, PromptEvent, Response
from responses.scoring import (
    Z_95,
    NpsSummary,
    category,
    change_z,
    is_significant,
    proportions_z,
    rest_of,
    two_sided_p,
)
from rollups.selectors import outside_runs, outside_runs_q, rollup_rows, score_sums, served_days
from surveys.models import Survey, SurveyVariant
from tenants.context import current_organization

from .filters import CATEGORY_SCORES, Filters

EMPTY = NpsSummary(promoters=0, passives=0, detractors=0)
GRANULARITIES = ("day", "week", "month")
MINUS = "\N{MINUS SIGN}"  # typographic minus: reads better than a hyphen beside "+6"


Runs = list[tuple[date, date]]
Scores = list[int]  # how many answers gave each score, 0 to 10
RAW_GROUPS = {"survey": "survey_id", "channel": "channel", "day": "day"}
# Weeks (from Monday) and months: the truncation of the local day, so that a
# bucket follows the calendar whatever the daylight saving time. The rollups'
# days are truncated by the database (a year is 53 weeks of sums, not 365
# rows); the raw rows are counted per day and each day put in its bucket
# here, which costs the database nothing per row (today's tens of thousands).
PERIODS = {"week": TruncWeek, "month": TruncMonth}


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _first_of_month(day: date) -> date:
    return day.replace(day=1)


BUCKET_OF = {"week": _monday, "month": _first_of_month}


def _summary_of(scores: Scores) -> NpsSummary:
    return NpsSummary(
        promoters=sum(scores[9:]), passives=sum(scores[7:9]), detractors=sum(scores[:7])
    )


def _survey_ids(filters: Filters) -> list[int]:
    """The surveys in scope, spelled out.

    With the ids listed, the database walks the (organization, survey,
    created_at) index over just the period; with the organization alone it
    would read every row of a large organization to find the period's.
    """
    if filters.survey is not None:
        return [filters.survey.pk]
    return list(Survey.objects.order_by().values_list("id", flat=True))


def _responses(filters: Filters, survey_ids: list[int] | None = None) -> QuerySet[Response]:
    ids = _survey_ids(filters) if survey_ids is None else survey_ids
    return filters.apply(Response.objects.filter(survey_id__in=ids))


# Rollups and raw rows ----------------------------------------------------------


def _served(filters: Filters, survey_ids: list[int]) -> Runs:
    """The whole days to read from rollups; none when a filter needs raw rows."""
    if filters.language or filters.traits or filters.q:
        return []  # dimensions the rollups do not have
    return served_days(
        organization=current_organization(),
        start=filters.start,
        end=filters.end,
        survey_ids=survey_ids,
    )


def _outside(runs: Runs, filters: Filters) -> Q:
    """The period's rows that the rollups do not serve, as ranges of created_at."""
    return outside_runs_q(runs, filters.start.tzinfo, start=filters.start, end=filters.end)


def _kept_scores(filters: Filters) -> set[int]:
    kept = set(range(11))
    if filters.category:
        low, high = CATEGORY_SCORES[filters.category]
        kept &= set(range(low, high + 1))
    if filters.score is not None:
        kept &= {filters.score}
    return kept


def _scores(
    filters: Filters, survey_ids: list[int], by: str | None, runs: Runs | None = None
) -> dict[Any, Scores]:
    """Answers per score, grouped by survey, channel, local day, the local day's
    week (its Monday) or month (its first day), or nothing (key None)."""
    runs = _served(filters, survey_ids) if runs is None else runs
    tallies: dict[Any, Scores] = defaultdict(lambda: [0] * 11)
    raw = _responses(filters, survey_ids)
    if runs:
        raw = raw.filter(_outside(runs, filters))
    bucket_of = BUCKET_OF.get(by or "")
    if by == "day" or bucket_of:
        raw = raw.annotate(day=TruncDate("created_at", tzinfo=filters.start.tzinfo))
    fields = [RAW_GROUPS["day" if bucket_of else by]] if by else []
    for *group, score, n in raw.values_list(*fields, "score").annotate(n=Count("id")).order_by():
        key: Any = group[0] if group else None
        tallies[bucket_of(key) if bucket_of else key][score] += n
    if runs:
        _add_rollups(tallies, filters, survey_ids, by, runs)
    return tallies


def _add_rollups(
    tallies: dict[Any, Scores], filters: Filters, survey_ids: list[int], by: str | None, runs: Runs
) -> None:
    rows = rollup_rows(runs=runs, survey_ids=survey_ids, channel=filters.channel)
    kept = _kept_scores(filters)
    grouped: Iterable[Mapping[str, Any]]
    if not by:
        # One sum over every row (values() with no field would group by each row).
        grouped = [{**rows.aggregate(**score_sums()), "group": None}]
    else:
        group = PERIODS[by]("day") if by in PERIODS else F(RAW_GROUPS[by])
        sums = rows.values(group=group).annotate(**score_sums()).order_by()
        grouped = cast(Iterable[Mapping[str, Any]], sums)
    for row in grouped:
        counts = tallies[row["group"]]
        for score in kept:
            counts[score] += row[f"s{score}"] or 0


def _total(tallies: dict[Any, Scores]) -> Scores:
    return tallies.get(None, [0] * 11)


# Summary ---------------------------------------------------------------------


def summary(*, filters: Filters) -> NpsSummary:
    """The promoter/passive/detractor split in one aggregate query."""
    return _summary(filters, _survey_ids(filters))


def _summary(filters: Filters, survey_ids: list[int]) -> NpsSummary:
    return _summary_of(_total(_scores(filters, survey_ids, None)))


# Histogram -------------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    score: int
    count: int

    @property
    def category(self) -> str:
        return category(self.score)


def histogram(*, filters: Filters) -> list[Bucket]:
    """How many answers gave each score, 0 to 10, empty scores included."""
    counts = _total(_scores(filters, _survey_ids(filters), None))
    return [Bucket(score=score, count=counts[score]) for score in range(11)]


def summary_of(*, buckets: list[Bucket]) -> NpsSummary:
    """The split of a histogram: exactly `summary` of the same filters."""
    return _summary_of([bucket.count for bucket in buckets])


# Response rate ---------------------------------------------------------------


@dataclass(frozen=True)
class ChannelRate:
    channel: str
    label: str
    answers: int
    displays: int

    @property
    def rate(self) -> float | None:
        """Answers per display; None when the channel records no displays
        (links, emails, the API and imports are not shown by the widget)."""
        return self.answers / self.displays if self.displays else None

    @property
    def percent(self) -> float | None:
        rate = self.rate
        return None if rate is None else 100.0 * rate


def _asked(filters: Filters) -> Filters:
    """The filters that describe who was asked, where and when.

    A display has no answer yet, so filters on the answer (category, score,
    language, comment text) cannot narrow it; they narrow neither side here,
    so the rate compares like with like.
    """
    return replace(filters, category="", score=None, language="", q="")


def _displays(filters: Filters, survey_ids: list[int], runs: Runs) -> dict[str, int]:
    raw = PromptEvent.objects.filter(
        filters.q_object(), survey_id__in=survey_ids, kind=PromptEvent.Kind.DISPLAY
    )
    if runs:
        raw = raw.filter(_outside(runs, filters))
    counts: dict[str, int] = defaultdict(int)
    counts.update(raw.values_list("channel").annotate(n=Count("id")).order_by())
    if runs:
        rows = rollup_rows(runs=runs, survey_ids=survey_ids, channel=filters.channel)
        for channel, n in rows.values_list("channel").annotate(n=Sum("displays")).order_by():
            if n:
                counts[channel] += n
    return counts


def response_rates(*, filters: Filters) -> list[ChannelRate]:
    """Answers ÷ displays per channel, over the same period and surveys."""
    asked, ids = _asked(filters), _survey_ids(filters)
    runs = _served(asked, ids)
    answers = {
        channel: sum(scores)
        for channel, scores in _scores(asked, ids, "channel", runs).items()
        if sum(scores)
    }
    displays = {channel: n for channel, n in _displays(asked, ids, runs).items() if n}
    labels = dict(Channel.choices)
    return [
        ChannelRate(
            channel=channel,
            label=str(labels.get(channel, channel)),
            answers=answers.get(channel, 0),
            displays=displays.get(channel, 0),
        )
        for channel in labels
        if channel in answers or channel in displays
    ]


# Change against the previous period ------------------------------------------


@dataclass(frozen=True)
class Change:
    current: NpsSummary
    previous: NpsSummary

    @property
    def delta(self) -> float | None:
        if self.current.nps is None or self.previous.nps is None:
            return None
        return self.current.nps - self.previous.nps

    @property
    def z(self) -> float | None:
        return change_z(self.current, self.previous)

    @property
    def p_value(self) -> float | None:
        z = self.z
        return None if z is None else two_sided_p(z)

    @property
    def significant(self) -> bool:
        z = self.z
        return z is not None and abs(z) >= Z_95

    @property
    def phrase(self) -> str:
        """The change in plain words, e.g. "+6, not significant"."""
        delta = self.delta
        if delta is None:
            return _("no previous data") if self.previous.total == 0 else _("no current data")
        points = round(delta)
        signed = f"+{points}" if points > 0 else f"{MINUS}{-points}" if points < 0 else "±0"
        if self.significant:
            return _("%(points)s, significant (p < 0.05)") % {"points": signed}
        return _("%(points)s, not significant") % {"points": signed}


def change(*, filters: Filters, current: NpsSummary | None = None) -> Change:
    """This period against the one of the same length just before it."""
    ids = _survey_ids(filters)
    now = current if current is not None else _summary(filters, ids)
    return Change(current=now, previous=_summary(filters.previous(), ids))


# Per survey ------------------------------------------------------------------


@dataclass(frozen=True)
class SurveySummary:
    survey: Survey
    summary: NpsSummary


def by_survey(*, filters: Filters) -> list[SurveySummary]:
    """Every survey of the organization over the filtered period, one query."""
    surveys = list(Survey.objects.all())
    across = replace(filters, survey=None)
    tallies = _scores(across, [survey.pk for survey in surveys], "survey")
    rows = {survey_id: _summary_of(scores) for survey_id, scores in tallies.items()}
    return [SurveySummary(survey=survey, summary=rows.get(survey.pk, EMPTY)) for survey in surveys]


# The overview page ------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    """Every number of the overview page: `histogram`, `response_rates`,
    `change` and `by_survey` of the same filters."""

    buckets: list[Bucket]
    rates: list[ChannelRate]
    change: Change
    surveys: list[SurveySummary]

    @property
    def summary(self) -> NpsSummary:
        return self.change.current


def overview(*, filters: Filters, surveys: list[Survey] | None = None) -> Overview:
    """The overview's numbers in three aggregates (rollups, raw answers, raw
    displays) over both periods and every survey, instead of a pair per number.

    Category and score filters only narrow the scores, so the rows are read
    without them and the scores they keep are picked here (the response rates
    leave them out anyway). Filters the rollups lack (language, traits,
    comment text), or a period that does not start at local midnight, take the
    functions one by one. `surveys`: the organization's, when already read.
    """
    surveys = list(Survey.objects.all()) if surveys is None else surveys
    zone = filters.start.tzinfo
    aligned = datetime.combine(filters.local_start, time.min, tzinfo=zone) == filters.start
    if filters.language or filters.traits or filters.q or not aligned:
        return _overview_one_by_one(filters)
    ids = {filters.survey.pk} if filters.survey is not None else {s.pk for s in surveys}
    # Who was asked, over both periods and every survey: the rows of every number.
    rows = replace(_asked(filters), survey=None, start=filters.previous().start)
    counted = _OverviewCounts(rows, [survey.pk for survey in surveys], ids, filters.start)
    kept = _kept_scores(filters)
    scores = counted.scores(current=True, survey_ids=ids, kept=kept)
    previous = counted.scores(current=False, survey_ids=ids, kept=kept)
    return Overview(
        buckets=[Bucket(score=score, count=n) for score, n in enumerate(scores)],
        rates=counted.rates(survey_ids=ids),
        change=Change(current=_summary_of(scores), previous=_summary_of(previous)),
        surveys=[
            SurveySummary(
                survey=survey,
                summary=_summary_of(
                    counted.scores(current=True, survey_ids={survey.pk}, kept=kept)
                ),
            )
            for survey in surveys
        ],
    )


def _overview_one_by_one(filters: Filters) -> Overview:
    buckets = histogram(filters=filters)
    current = summary_of(buckets=buckets)
    return Overview(
        buckets=buckets,
        rates=response_rates(filters=filters),
        change=change(filters=filters, current=current),
        surveys=by_survey(filters=filters),
    )


def _in_current(filters: Filters, runs: Runs, current_from: datetime) -> Expression:
    """Whether a raw row is of the current period. A constant when every raw
    range lies on one side of its start, as when the raw rows are today's:
    the database then tests no row, and groups by one column fewer."""
    zone = filters.start.tzinfo
    gaps = outside_runs(runs, zone, start=filters.start, end=filters.end) if runs else []
    if runs and all(low >= current_from for low, _ in gaps):
        return Value(True)
    if runs and all(high <= current_from for _, high in gaps):
        return Value(False)
    return Case(When(created_at__gte=current_from, then=True), default=False)


class _OverviewCounts:
    """Scores per (current period or not, survey, channel) over both periods,
    and the current period's displays per channel of the shown surveys: the
    rollups' days from one aggregate of them, the other rows from two raw ones."""

    def __init__(
        self, filters: Filters, survey_ids: list[int], shown_ids: set[int], current_from: datetime
    ) -> None:
        self.tallies: dict[tuple[bool, int, str], Scores] = defaultdict(lambda: [0] * 11)
        self.displays: dict[str, int] = defaultdict(int)
        runs = _served(filters, survey_ids)
        raw = _responses(filters, survey_ids)
        shown = PromptEvent.objects.filter(
            filters.q_object(),
            created_at__gte=current_from,
            survey_id__in=sorted(shown_ids),
            kind=PromptEvent.Kind.DISPLAY,
        )
        if runs:
            raw, shown = raw.filter(_outside(runs, filters)), shown.filter(_outside(runs, filters))
        now = _in_current(filters, runs, current_from)
        keyed = raw.annotate(now=now).values_list("now", "survey_id", "channel", "score")
        for current, survey_id, channel, score, n in keyed.annotate(n=Count("id")).order_by():
            self.tallies[(bool(current), survey_id, channel)][score] += n
        for channel, n in shown.values_list("channel").annotate(n=Count("id")).order_by():
            self.displays[channel] += n
        if runs:
            self._add_rollups(filters, survey_ids, shown_ids, runs, current_from)

    def _add_rollups(
        self,
        filters: Filters,
        survey_ids: list[int],
        shown_ids: set[int],
        runs: Runs,
        current_from: datetime,
    ) -> None:
        first_day = timezone.localtime(current_from, current_from.tzinfo).date()
        now = Case(When(day__gte=first_day, then=True), default=False)
        rows = rollup_rows(runs=runs, survey_ids=survey_ids, channel=filters.channel)
        sums = (
            rows.annotate(now=now)
            .values("now", "survey_id", "channel")
            .annotate(**score_sums(), shown=Sum("displays"))
            .order_by()
        )
        for row in cast(Iterable[Mapping[str, Any]], sums):
            current, survey_id, channel = bool(row["now"]), row["survey_id"], row["channel"]
            counts = self.tallies[(current, survey_id, channel)]
            for score in range(11):
                counts[score] += row[f"s{score}"] or 0
            if current and survey_id in shown_ids and row["shown"]:
                self.displays[channel] += row["shown"]

    def scores(self, *, current: bool, survey_ids: set[int], kept: set[int]) -> Scores:
        counts = [0] * 11
        for (now, survey_id, _channel), scores in self.tallies.items():
            if now == current and survey_id in survey_ids:
                for score in kept:
                    counts[score] += scores[score]
        return counts

    def rates(self, *, survey_ids: set[int]) -> list[ChannelRate]:
        answers: dict[str, int] = defaultdict(int)
        for (now, survey_id, channel), scores in self.tallies.items():
            if now and survey_id in survey_ids:
                answers[channel] += sum(scores)
        labels = dict(Channel.choices)
        return [
            ChannelRate(
                channel=channel,
                label=str(labels.get(channel, channel)),
                answers=answers[channel],
                displays=self.displays[channel],
            )
            for channel in labels
            if answers[channel] or self.displays[channel]
        ]


# Per channel and per trait ---------------------------------------------------


@dataclass(frozen=True)
class ChannelSummary:
    channel: str
    label: str
    summary: NpsSummary


def by_channel(*, filters: Filters) -> list[ChannelSummary]:
    """Every channel over the filtered period, one query (rollups where they serve).

    Like `by_survey`, the channel filter itself is set aside, so every
    channel gets its row.
    """
    across = replace(filters, channel="")
    tallies = _scores(across, _survey_ids(across), "channel")
    return [
        ChannelSummary(
            channel=channel,
            label=str(label),
            summary=_summary_of(tallies[channel]) if channel in tallies else EMPTY,
        )
        for channel, label in Channel.choices
    ]


@dataclass(frozen=True)
class TraitSummary:
    value: str | None  # None: answers whose respondent lacks the trait, or anonymous ones
    summary: NpsSummary


def by_trait(*, filters: Filters, key: str) -> list[TraitSummary]:
    """One row per value of the respondents' trait `key`, most answers first.

    Rollups have no traits, so this always counts raw rows (in one grouped
    query). Values compare as text, as the trait filter does.
    """
    tallies: dict[str | None, Scores] = defaultdict(lambda: [0] * 11)
    rows = (
        _responses(filters)
        .annotate(trait=KeyTextTransform(key, "respondent__traits"))
        .values_list("trait", "score")
        .annotate(n=Count("id"))
        .order_by()
    )
    for value, score, n in rows:
        tallies[None if value is None else str(value)][score] += n
    summaries = [TraitSummary(value=value, summary=_summary_of(s)) for value, s in tallies.items()]
    return sorted(
        summaries, key=lambda row: (-row.summary.total, row.value is None, row.value or "")
    )


# Segment drivers -------------------------------------------------------------

MAX_SEGMENTS = 8  # values shown per dimension, most answers first; the rest is "other"
MAX_TRAIT_KEYS = 10
TRAIT_SAMPLE = 500  # answers read to learn which traits the respondents carry
MISSING, OTHER, VALUE = "missing", "other", "value"


@dataclass(frozen=True)
class Segment:
    """One value of a dimension (plan = pro), or the answers without it ("missing"),
    or the values past the first MAX_SEGMENTS ("other")."""

    value: str | None
    kind: str
    summary: NpsSummary
    overall: NpsSummary

    @property
    def share(self) -> float:
        return self.summary.total / self.overall.total if self.overall.total else 0.0

    @property
    def gap(self) -> float | None:
        """NPS points above (or below) the overall score."""
        if self.summary.nps is None or self.overall.nps is None:
            return None
        return self.summary.nps - self.overall.nps

    @property
    def impact(self) -> float | None:
        """Points this segment adds to (or takes from) the overall score: had it
        scored like everyone, the overall NPS would move by minus this."""
        gap = self.gap
        return None if gap is None else self.share * gap

    @property
    def rest(self) -> NpsSummary:
        return rest_of(self.overall, self.summary)

    @property
    def z(self) -> float | None:
        """The segment against every other answer, as two independent samples."""
        return change_z(self.summary, self.rest)

    @property
    def significant(self) -> bool:
        return is_significant(self.z, self.summary.total, self.rest.total)


@dataclass(frozen=True)
class Driver:
    dimension: str  # "channel", "language" or "trait:<key>"
    segments: list[Segment]

    @property
    def trait(self) -> str:
        """The trait's key, or "" for the answer's own channel and language."""
        kind, _, key = self.dimension.partition(":")
        return key if kind == "trait" else ""

    @property
    def param(self) -> str:
        """The filter that narrows the dashboard to one of its values."""
        return "trait" if self.trait else self.dimension

    def filter_value(self, segment: Segment) -> str | None:
        """`trait=plan:pro`, `channel=email`…; None where no filter can say it."""
        if segment.kind != VALUE or segment.value is None:
            return None
        return f"{self.trait}:{segment.value}" if self.trait else segment.value

    @property
    def strongest(self) -> float:
        return max((abs(s.impact) for s in self.segments if s.impact is not None), default=0.0)


def _by_impact(segment: Segment) -> tuple[float, float, int]:
    # Rounded so that equal pulls tie, and a tie shows the segment that drags first.
    impact = round(segment.impact or 0.0, 9)
    return (-abs(impact), impact, -segment.summary.total)


def driver_dimensions(*, filters: Filters) -> list[str]:
    """What to break the score down by: channel, language and the traits found,
    except those a filter already pins to one value."""
    dimensions = [name for name in ("channel", "language") if not getattr(filters, name)]
    pinned = {key for key, _ in filters.traits}
    return dimensions + [f"trait:{key}" for key in trait_keys(filters=filters) if key not in pinned]


def trait_keys(*, filters: Filters) -> list[str]:
    """The respondents' traits worth a breakdown, from a sample of the period's answers.

    A bounded read, whatever the tenant's size. Traits that look like
    identifiers (more distinct values than half their answers, and more than
    fit on a table) are left out: every value would be a segment of one.
    """
    sample = (
        _responses(filters)
        .filter(respondent__isnull=False)
        .order_by()
        .values_list("respondent__traits", flat=True)[:TRAIT_SAMPLE]
    )
    seen: Counter[str] = Counter()
    values: dict[str, set[str]] = defaultdict(set)
    for traits in sample:
        for key, value in _scalar_traits(traits):
            seen[key] += 1
            values[key].add(str(value))
    kept = [
        key
        for key, n in seen.items()
        if len(values[key]) <= MAX_SEGMENTS or len(values[key]) <= n / 2
    ]
    return sorted(kept, key=lambda key: (-seen[key], key))[:MAX_TRAIT_KEYS]


def _scalar_traits(traits: Any) -> Iterable[tuple[str, Any]]:
    if not isinstance(traits, dict):
        return []
    return [
        (key, value)
        for key, value in traits.items()
        if isinstance(value, str | int | float | bool)
        and 0 < len(key) <= 64
        and key.replace("_", "").replace("-", "").isalnum()  # what the trait filter accepts
    ]


def drivers(*, filters: Filters, dimensions: list[str] | None = None) -> list[Driver]:
    """The NPS of each value of each dimension, strongest impact first.

    Each dimension costs two grouped queries over the period's answers (the
    channel's come from the rollups where they serve): its most frequent
    values, then their scores; the values past MAX_SEGMENTS are summed as
    "other" by difference with the overall counts, so no query returns more
    than a table's worth of rows.
    """
    overall = summary(filters=filters)
    if not overall.total:
        return []
    chosen = driver_dimensions(filters=filters) if dimensions is None else dimensions
    found = [_driver(filters, name, overall) for name in chosen]
    return sorted(found, key=lambda driver: -driver.strongest)


def _driver(filters: Filters, dimension: str, overall: NpsSummary) -> Driver:
    counts: dict[str | None, NpsSummary]
    if dimension == "channel":
        counts = {row.channel: row.summary for row in by_channel(filters=filters)}
    elif dimension == "language":
        counts = _top_values(filters, F("language"))
    else:
        key = dimension.removeprefix("trait:")
        counts = _top_values(filters, KeyTextTransform(key, "respondent__traits"))
    segments = [
        Segment(
            value=value,
            kind=VALUE if value not in (None, "") else MISSING,
            summary=counted,
            overall=overall,
        )
        for value, counted in counts.items()
        if counted.total
    ]
    left = rest_of(overall, sum((s.summary for s in segments), EMPTY))
    if left.total:
        segments.append(Segment(value=None, kind=OTHER, summary=left, overall=overall))
    return Driver(dimension=dimension, segments=sorted(segments, key=_by_impact))


def _top_values(filters: Filters, expression: Expression | F) -> dict[str | None, NpsSummary]:
    """Counts of the MAX_SEGMENTS most frequent values, and of the answers without one.

    The plain SQL lookups (not the JSON field's own `__in` and `__isnull`, which
    read the values as JSON on SQLite and test the key's presence on
    PostgreSQL) compare the trait as text, as the trait filter does, and count
    a missing key, a JSON null and an anonymous answer alike as "not set".
    """
    rows = _responses(filters).annotate(segment=expression)
    top = [
        value
        for value, _ in rows.filter(IsNull(expression, False))
        .values_list("segment")
        .annotate(n=Count("id"))
        .order_by("-n", "segment")[:MAX_SEGMENTS]
    ]
    tallies: dict[str | None, Scores] = defaultdict(lambda: [0] * 11)
    unset = Q(IsNull(expression, True))
    kept = rows.filter(unset | Q(In(expression, top)) if top else unset)
    for value, score, n in kept.values_list("segment", "score").annotate(n=Count("id")).order_by():
        tallies[None if value is None else str(value)][score] += n
    return {value: _summary_of(scores) for value, scores in tallies.items()}


# Survey variants (A/B tests) -------------------------------------------------


@dataclass(frozen=True)
class VariantResult:
    """One variant's numbers; compared with the survey's first variant, the baseline."""

    variant: SurveyVariant
    summary: NpsSummary
    displays: int
    answers: int  # widget answers: the ones that follow a display
    baseline: "VariantResult | None" = None

    @property
    def rate(self) -> float | None:
        return self.answers / self.displays if self.displays else None

    @property
    def percent(self) -> float | None:
        rate = self.rate
        return None if rate is None else 100.0 * rate

    @property
    def nps_z(self) -> float | None:
        return None if self.baseline is None else change_z(self.summary, self.baseline.summary)

    @property
    def rate_z(self) -> float | None:
        base = self.baseline
        if base is None:
            return None
        return proportions_z(self.answers, self.displays, base.answers, base.displays)

    @property
    def nps_significant(self) -> bool:
        base = self.baseline
        return base is not None and is_significant(
            self.nps_z, self.summary.total, base.summary.total
        )

    @property
    def rate_significant(self) -> bool:
        base = self.baseline
        return base is not None and is_significant(self.rate_z, self.displays, base.displays)


@dataclass(frozen=True)
class VariantTest:
    survey: Survey
    results: list[VariantResult]


def variant_tests(*, filters: Filters) -> list[VariantTest]:
    """Each survey with variants (the filtered one, or all), its variants' NPS and
    response rates over the period, in three grouped queries in all.

    Rollups have no variants: these count raw rows, through the (survey,
    created_at) indexes. As on the overview, filters on the answer itself
    narrow the NPS but not the response rate (a display has no answer).
    """
    variants = SurveyVariant.objects.select_related("survey").order_by("created_at", "id")
    if filters.survey is not None:
        variants = variants.filter(survey=filters.survey)
    found = list(variants)
    if not found:
        return []
    ids = sorted({variant.survey_id for variant in found})
    scores = _variant_scores(filters, ids)
    answers, displays = _variant_answers(filters, ids), _variant_displays(filters, ids)
    tests: dict[int, list[VariantResult]] = defaultdict(list)
    for variant in found:
        results = tests[variant.survey_id]
        results.append(
            VariantResult(
                variant=variant,
                summary=_summary_of(scores[variant.pk]),
                displays=displays.get(variant.pk, 0),
                answers=answers.get(variant.pk, 0),
                baseline=results[0] if results else None,
            )
        )
    surveys = {variant.survey_id: variant.survey for variant in found}
    ordered = sorted(tests.items(), key=lambda item: surveys[item[0]].name)
    return [VariantTest(survey=surveys[survey_id], results=rows) for survey_id, rows in ordered]


def _variant_scores(filters: Filters, survey_ids: list[int]) -> dict[int, Scores]:
    tallies: dict[int, Scores] = defaultdict(lambda: [0] * 11)
    rows = _responses(filters, survey_ids).filter(variant__isnull=False).order_by()
    for variant_id, score, n in rows.values_list("variant_id", "score").annotate(n=Count("id")):
        tallies[variant_id][score] += n
    return tallies


def _variant_answers(filters: Filters, survey_ids: list[int]) -> dict[int, int]:
    rows = _responses(_asked(filters), survey_ids).filter(
        variant__isnull=False, channel=Channel.WIDGET
    )
    return dict(rows.values_list("variant_id").annotate(n=Count("id")).order_by())


def _variant_displays(filters: Filters, survey_ids: list[int]) -> dict[int, int]:
    rows = PromptEvent.objects.filter(
        _asked(filters).q_object(),
        survey_id__in=survey_ids,
        kind=PromptEvent.Kind.DISPLAY,
        variant__isnull=False,
    )
    return dict(rows.values_list("variant_id").annotate(n=Count("id")).order_by())


# Trend -----------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    """One bucket of the trend: `first`..`last` are local dates, both included.

    With a rolling window the counts cover the window ending on `last`.
    """

    first: date
    last: date
    summary: NpsSummary

    @property
    def n(self) -> int:
        return self.summary.total

    @property
    def nps(self) -> float | None:
        return self.summary.nps

    @property
    def low(self) -> float | None:
        return self.summary.low

    @property
    def high(self) -> float | None:
        return self.summary.high


def default_granularity(*, filters: Filters) -> str:
    """About 10 to 60 points, whatever the period."""
    if filters.days <= 31:
        return "day"
    if filters.days <= 190:
        return "week"
    return "month"


def _daily(filters: Filters, since: date) -> dict[date, NpsSummary]:
    """Counts per local day from `since` to the end of the period, one grouped query."""
    zone = filters.start.tzinfo
    widened = replace(filters, start=datetime.combine(since, time.min, tzinfo=zone))
    tallies = _scores(widened, _survey_ids(widened), "day")
    return {day: _summary_of(scores) for day, scores in tallies.items()}


def _by_period(filters: Filters, granularity: str) -> dict[date, NpsSummary]:
    """Counts per week or month of the period, keyed by each bucket's first day,
    summed by the database: a year by week is 53 rows of rollups, not 365 to
    add up here. The first bucket starts with the period (its week or month
    may begin before it)."""
    sums: dict[date, NpsSummary] = defaultdict(lambda: EMPTY)
    for start, scores in _scores(filters, _survey_ids(filters), granularity).items():
        sums[max(filters.local_start, start)] += _summary_of(scores)
    return sums


def _bucket_starts(first: date, last: date, granularity: str) -> list[date]:
    if granularity == "day":
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]
    if granularity == "week":
        monday = first - timedelta(days=first.weekday())
        weeks = (last - monday).days // 7 + 1
        return [max(first, monday + timedelta(weeks=i)) for i in range(weeks)]
    starts, month = [], first.replace(day=1)
    while month <= last:
        starts.append(max(first, month))
        month = (month + timedelta(days=32)).replace(day=1)
    return starts


class _Window:
    """Sums of daily counts over any run of days, by prefix sums."""

    def __init__(self, daily: Mapping[date, NpsSummary], since: date, until: date) -> None:
        self.since = since
        self.prefix = [EMPTY]
        day = since
        while day <= until:
            self.prefix.append(self.prefix[-1] + daily.get(day, EMPTY))
            day += timedelta(days=1)

    def total(self, first: date, last: date) -> NpsSummary:
        low, high = (first - self.since).days, (last - self.since).days + 1
        top, bottom = self.prefix[high], self.prefix[max(low, 0)]
        return NpsSummary(
            promoters=top.promoters - bottom.promoters,
            passives=top.passives - bottom.passives,
            detractors=top.detractors - bottom.detractors,
        )


def trend(
    *, filters: Filters, granularity: str = "day", rolling_days: int | None = None
) -> list[TrendPoint]:
    """NPS per day, week or month over the period; empty buckets have nps None.

    With `rolling_days`, each point covers the `rolling_days` days ending on the
    bucket's last day (reaching before the period's start), which smooths a
    noisy series without hiding its level.
    """
    if granularity not in GRANULARITIES:
        raise ValueError(f"Unknown granularity {granularity!r}.")
    if rolling_days is not None and rolling_days < 1:
        raise ValueError("A rolling window covers at least one day.")
    first, last = filters.local_start, filters.local_last
    starts = _bucket_starts(first, last, granularity)
    ends = [start - timedelta(days=1) for start in starts[1:]] + [last]
    if granularity in PERIODS and not rolling_days:
        sums = _by_period(filters, granularity)
        return [
            TrendPoint(first=start, last=end, summary=sums.get(start, EMPTY))
            for start, end in zip(starts, ends, strict=True)
        ]
    since = first - timedelta(days=rolling_days - 1) if rolling_days else first
    window = _Window(_daily(filters, since), since, last)
    points = []
    for start, end in zip(starts, ends, strict=True):
        begin = end - timedelta(days=rolling_days - 1) if rolling_days else start
        points.append(TrendPoint(first=start, last=end, summary=window.total(begin, end)))
    return points
