"""Reads of comment themes: the cached snapshot, whether it is stale, and the
themes as admins see them (their renames and merges applied)."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Max, Q, QuerySet

from dashboards.filters import CATEGORY_SCORES, Filters
from responses.models import Response
from surveys.models import Survey
from tenants.context import current_organization

from .models import StoredTheme, ThemeDecision, ThemeMention, ThemeSnapshot, stored_themes

MAX_MERGE_CHAIN = 10
DETRACTOR_MAX = CATEGORY_SCORES["detractor"][1]
PROMOTER_MIN = CATEGORY_SCORES["promoter"][0]


@dataclass(frozen=True)
class Scope:
    """What one snapshot covers: a survey (None: all) and local days, both included."""

    survey: Survey | None
    first: date
    last: date

    @classmethod
    def of(cls, filters: Filters) -> "Scope":
        return cls(survey=filters.survey, first=filters.local_start, last=filters.local_last)

    def responses(self) -> QuerySet[Response]:
        zone = ZoneInfo(current_organization().time_zone)
        start = datetime.combine(self.first, time.min, tzinfo=zone)
        end = datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=zone)
        rows = Response.objects.filter(created_at__gte=start, created_at__lt=end)
        if self.survey is not None:
            rows = rows.filter(survey=self.survey)
        return rows


def scope_of_snapshot(snapshot: ThemeSnapshot) -> Scope:
    return Scope(survey=snapshot.survey, first=snapshot.first, last=snapshot.last)


def commented(scope: Scope) -> QuerySet[Response]:
    return scope.responses().exclude(comment="")


def fingerprint(*, scope: Scope) -> str:
    """Changes when a comment in the scope is added, changed or deleted.

    One indexed aggregate, far cheaper than reading the comments: the count
    catches deletions, the highest id new answers, the latest `updated_at`
    every edit (it also moves on follow-up changes, which only costs a
    recompute that finds the same themes).
    """
    row = commented(scope).aggregate(n=Count("id"), top=Max("id"), changed=Max("updated_at"))
    changed = row["changed"].isoformat() if row["changed"] else "-"
    return f"{row['n']}:{row['top'] or 0}:{changed}"


def snapshot_find(*, scope: Scope) -> ThemeSnapshot | None:
    return (
        ThemeSnapshot.objects.filter(survey=scope.survey, first=scope.first, last=scope.last)
        .select_related("survey")
        .first()
    )


def is_stale(*, snapshot: ThemeSnapshot) -> bool:
    return snapshot.fingerprint != fingerprint(scope=scope_of_snapshot(snapshot))


@dataclass
class ThemeView:
    """One theme as shown: the computed one, or several merged, under the admins' name."""

    key: str
    label: str
    computed_label: str
    keys: list[str]
    count: int
    detractors: int
    passives: int
    promoters: int
    related: list[str]
    sample_ids: list[int]
    renamed: bool = False
    merged: list[tuple[str, str]] = field(default_factory=list)  # (key, label) joined into it
    share: float = 0.0
    detractor_rate: float = 0.0
    promoter_rate: float = 0.0

    @property
    def share_percent(self) -> float:
        return 100.0 * self.share

    @property
    def nps(self) -> float | None:
        if not self.count:
            return None
        return 100.0 * (self.promoters - self.detractors) / self.count

    @property
    def lift(self) -> float | None:
        """How many times more often detractors mention it than promoters do
        (each as a share of their own comments); None when no promoter does."""
        if not self.promoter_rate:
            return None
        return self.detractor_rate / self.promoter_rate

    @property
    def leaning(self) -> str:
        """ "detractors", "promoters" or "" (evenly, or too few to say)."""
        if self.detractor_rate == self.promoter_rate:
            return ""
        return "detractors" if self.detractor_rate > self.promoter_rate else "promoters"

    @property
    def ratio(self) -> float | None:
        """The leaning side's rate over the other's (≥ 1); None when the other is 0."""
        high, low = sorted((self.detractor_rate, self.promoter_rate), reverse=True)
        return high / low if low else None


@dataclass(frozen=True)
class ThemeBoard:
    snapshot: ThemeSnapshot
    themes: list[ThemeView]

    @property
    def comment_count(self) -> int:
        return self.snapshot.comment_count


def decisions() -> dict[str, ThemeDecision]:
    return {decision.key: decision for decision in ThemeDecision.objects.all()}


def themes_of(*, snapshot: ThemeSnapshot) -> ThemeBoard:
    known = decisions()
    groups: dict[str, list[StoredTheme]] = {}
    stored = stored_themes(snapshot)
    for theme in stored:
        groups.setdefault(_group_key(theme, stored, known), []).append(theme)
    views = [_view(snapshot, key, members, known) for key, members in groups.items()]
    views.sort(key=lambda view: (-view.count, view.label))
    return ThemeBoard(snapshot=snapshot, themes=views)


def _decision(theme: StoredTheme, known: dict[str, ThemeDecision]) -> ThemeDecision | None:
    return next((known[alias] for alias in _aliases(theme) if alias in known), None)


def _aliases(theme: StoredTheme) -> list[str]:
    return [theme["key"], *theme["aliases"]]


def _find(key: str, themes: list[StoredTheme]) -> StoredTheme | None:
    return next((theme for theme in themes if key in _aliases(theme)), None)


def _group_key(
    theme: StoredTheme, themes: list[StoredTheme], known: dict[str, ThemeDecision]
) -> str:
    """The key of the theme this one ends up in, following merges (A → B → C)."""
    current, seen = theme, set()
    key = theme["key"]
    for _ in range(MAX_MERGE_CHAIN):
        decision = _decision(current, known)
        if decision is None or not decision.merge_into or decision.merge_into in seen:
            return key
        seen.add(key)
        key = decision.merge_into
        found = _find(key, themes)
        if found is None:
            return key
        current, key = found, found["key"]
    return key


def _view(
    snapshot: ThemeSnapshot,
    key: str,
    members: list[StoredTheme],
    known: dict[str, ThemeDecision],
) -> ThemeView:
    head = next((m for m in members if m["key"] == key), None)
    primary = head or members[0]
    rename = known.get(key) if head is None else _decision(head, known)
    label = _label(primary, head, members, rename, known)
    counts = _counts(snapshot, members)
    view = ThemeView(
        key=key,
        label=label,
        computed_label=primary["label"],
        keys=[m["key"] for m in members],
        related=[word for m in members for word in m["related"]][:8],
        sample_ids=[i for m in members for i in m["sample_ids"]][:3],
        renamed=bool(rename and rename.label),
        merged=[(m["key"], m["label"]) for m in members if m is not head],
        **counts,
    )
    view.share = view.count / snapshot.comment_count if snapshot.comment_count else 0.0
    view.detractor_rate = _rate(view.detractors, snapshot.detractor_comments)
    view.promoter_rate = _rate(view.promoters, snapshot.promoter_comments)
    return view


def _label(
    primary: StoredTheme,
    head: StoredTheme | None,
    members: list[StoredTheme],
    rename: ThemeDecision | None,
    known: dict[str, ThemeDecision],
) -> str:
    if rename is not None and rename.label:
        return rename.label
    if head is None:
        # Merged into a theme absent from this period: the name it had then.
        source = _decision(members[0], known)
        if source is not None and source.merge_label:
            return source.merge_label
    return primary["label"]


def _counts(snapshot: ThemeSnapshot, members: list[StoredTheme]) -> dict[str, int]:
    if len(members) == 1:
        only = members[0]
        return {
            "count": only["count"],
            "detractors": only["detractors"],
            "passives": only["passives"],
            "promoters": only["promoters"],
        }
    # Merged themes may share comments: count each response once.
    rows = Response.objects.filter(
        pk__in=_mentions(snapshot, [m["key"] for m in members])
    ).aggregate(
        count=Count("id"),
        detractors=Count("id", filter=Q(score__lte=DETRACTOR_MAX)),
        promoters=Count("id", filter=Q(score__gte=PROMOTER_MIN)),
    )
    return {**rows, "passives": rows["count"] - rows["detractors"] - rows["promoters"]}


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _mentions(snapshot: ThemeSnapshot, keys: list[str]) -> QuerySet[ThemeMention, int]:
    return ThemeMention.objects.filter(snapshot=snapshot, key__in=keys).values_list(
        "response_id", flat=True
    )


def theme_find(*, board: ThemeBoard, key: str) -> ThemeView | None:
    return next((theme for theme in board.themes if key in (theme.key, *theme.keys)), None)


def theme_response_ids(*, snapshot: ThemeSnapshot, theme: ThemeView) -> QuerySet[ThemeMention, int]:
    """The responses of one theme (merged ones included), as a subquery."""
    return _mentions(snapshot, theme.keys)


def theme_filter(*, filters: Filters, key: str) -> tuple[ThemeView, QuerySet[Response]] | None:
    """For the responses list: a theme of the filters' survey and period, and a
    condition for its responses; None when no such theme was computed."""
    snapshot = snapshot_find(scope=Scope.of(filters))
    if snapshot is None or not snapshot.has_result:
        return None
    theme = theme_find(board=themes_of(snapshot=snapshot), key=key)
    if theme is None:
        return None
    return theme, Response.objects.filter(pk__in=theme_response_ids(snapshot=snapshot, theme=theme))
