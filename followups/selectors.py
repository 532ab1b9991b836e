"""Reads for the responses list, the detractor inbox, one response and one respondent.

Lists page with a keyset cursor on (created_at, id) instead of OFFSET and a
full COUNT(*): the cost of a page stays the same however many answers a
tenant has, and an answer arriving meanwhile never shifts a page.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, Prefetch, Q, QuerySet

from dashboards.filters import CATEGORY_SCORES, Filters
from responses.models import FollowUpStatus, Note, Respondent, Response

PAGE_SIZE = 50
COUNT_CAP = 10_000
HISTORY_LIMIT = 500
NEWEST_FIRST = ("-created_at", "-id")
OPEN_STATUSES = (FollowUpStatus.NEW, FollowUpStatus.CONTACTED)
INBOX_TABS = ("open", "new", "contacted", "resolved", "all")
DETRACTOR_MAX, PASSIVE_MAX = CATEGORY_SCORES["detractor"][1], CATEGORY_SCORES["passive"][1]


@dataclass(frozen=True)
class Page:
    """One page of rows, newest first, with the cursors to its neighbours."""

    rows: list[Response]
    older: int | None = None
    newer: int | None = None

    @property
    def is_head(self) -> bool:
        return self.newer is None

    @property
    def newest_id(self) -> int:
        return max((row.pk for row in self.rows), default=0)


@dataclass(frozen=True)
class InboxParams:
    status: str = "open"
    # "" anyone, "me", "none" (unassigned), or a member's user id.
    assignee: str = ""
    include_passives: bool = False


def responses_matching(*, filters: Filters) -> QuerySet[Response]:
    return filters.apply(Response.objects.all()).select_related("survey", "respondent", "assignee")


def capped_count(queryset: QuerySet[Any], *, cap: int = COUNT_CAP) -> int:
    """Counts up to `cap` + 1 rows: "more than 10 000" is all a page needs to say."""
    return queryset.order_by()[: cap + 1].count()


def page_of(
    queryset: QuerySet[Response],
    *,
    older: int | None = None,
    newer: int | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """The page just older than `older`, just newer than `newer`, or the newest one."""
    if newer is not None and (anchor := _anchor(newer)) is not None:
        rows = list(queryset.filter(_after(*anchor)).order_by("created_at", "id")[: size + 1])
        if len(rows) > size:
            shown = rows[:size][::-1]
            return Page(rows=shown, older=shown[-1].pk, newer=shown[0].pk)
        # Less than a page left above: that is the newest page.
    elif older is not None and (anchor := _anchor(older)) is not None:
        rows = list(queryset.filter(_before(*anchor)).order_by(*NEWEST_FIRST)[: size + 1])
        shown = rows[:size]
        return Page(
            rows=shown,
            older=shown[-1].pk if len(rows) > size else None,
            newer=shown[0].pk if shown else older,
        )
    rows = list(queryset.order_by(*NEWEST_FIRST)[: size + 1])
    return Page(rows=rows[:size], older=rows[size - 1].pk if len(rows) > size else None)


def latest_id() -> int:
    """The current organization's highest response id: what "arrived later" starts from."""
    return Response.objects.order_by("-id").values_list("id", flat=True).first() or 0


def newer_than(
    queryset: QuerySet[Response], *, after_id: int, limit: int = PAGE_SIZE
) -> list[Response]:
    """Rows that arrived after `after_id` (ids only grow), newest first.

    The oldest arrivals come first when more than `limit` wait, so the next
    poll picks up the rest instead of skipping them.
    """
    arrived = list(queryset.filter(pk__gt=after_id).order_by("id")[:limit])
    return sorted(arrived, key=lambda row: (row.created_at, row.pk), reverse=True)


def _anchor(pk: int) -> tuple[datetime, int] | None:
    created_at = Response.objects.filter(pk=pk).values_list("created_at", flat=True).first()
    return None if created_at is None else (created_at, pk)


def _before(created_at: datetime, pk: int) -> Q:
    return Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=pk)


def _after(created_at: datetime, pk: int) -> Q:
    return Q(created_at__gt=created_at) | Q(created_at=created_at, pk__gt=pk)


# --- The detractor inbox ------------------------------------------------------


def inbox_base(*, filters: Filters, params: InboxParams, user: User) -> QuerySet[Response]:
    """Detractors (and passives on demand) in range, of the chosen assignee; any status."""
    highest = PASSIVE_MAX if params.include_passives else DETRACTOR_MAX
    queryset = filters.apply(Response.objects.all()).filter(score__lte=highest)
    return _of_assignee(queryset, assignee=params.assignee, user=user)


def inbox_matching(*, filters: Filters, params: InboxParams, user: User) -> QuerySet[Response]:
    """The inbox's items on every page: its tab applied to `inbox_base`."""
    return _of_status(inbox_base(filters=filters, params=params, user=user), params.status)


def inbox_items(*, filters: Filters, params: InboxParams, user: User) -> QuerySet[Response]:
    return with_inbox_details(inbox_matching(filters=filters, params=params, user=user))


def with_inbox_details(queryset: QuerySet[Response]) -> QuerySet[Response]:
    return queryset.select_related("survey", "respondent", "assignee").annotate(
        note_count=Count("notes")
    )


def inbox_item(*, response_id: int) -> Response | None:
    return with_inbox_details(Response.objects.filter(pk=response_id)).first()


def inbox_counts(*, filters: Filters, params: InboxParams, user: User) -> dict[str, int]:
    """Items per tab, in one query over the filtered range."""
    counts = inbox_base(filters=filters, params=params, user=user).aggregate(
        open=Count("id", filter=Q(follow_up_status__in=OPEN_STATUSES)),
        new=Count("id", filter=Q(follow_up_status=FollowUpStatus.NEW)),
        contacted=Count("id", filter=Q(follow_up_status=FollowUpStatus.CONTACTED)),
        resolved=Count("id", filter=Q(follow_up_status=FollowUpStatus.RESOLVED)),
        all=Count("id"),
    )
    return {tab: counts[tab] for tab in INBOX_TABS}


def open_count(
    *,
    filters: Filters | None = None,
    include_passives: bool = False,
    assignee: User | None = None,
    limit: int | None = None,
) -> int:
    """Open follow-ups (new or contacted) of the current organization: the nav badge.

    Without filters it counts every period; with `assignee`, only theirs; with
    `limit`, it stops counting there (the count is then at most `limit`).
    """
    queryset = Response.objects.filter(
        score__lte=PASSIVE_MAX if include_passives else DETRACTOR_MAX,
        follow_up_status__in=OPEN_STATUSES,
    )
    if filters is not None:
        queryset = filters.apply(queryset)
    if assignee is not None:
        queryset = queryset.filter(assignee=assignee)
    if limit is not None:
        return queryset[:limit].count()
    return queryset.count()


def _of_status(queryset: QuerySet[Response], status: str) -> QuerySet[Response]:
    if status == "open":
        return queryset.filter(follow_up_status__in=OPEN_STATUSES)
    if status == "all":
        return queryset
    return queryset.filter(follow_up_status=status)


def _of_assignee(queryset: QuerySet[Response], *, assignee: str, user: User) -> QuerySet[Response]:
    if assignee == "me":
        return queryset.filter(assignee=user)
    if assignee == "none":
        return queryset.filter(assignee__isnull=True)
    if assignee:
        return queryset.filter(assignee_id=int(assignee))
    return queryset


# --- One response, one respondent ---------------------------------------------


def _notes() -> Prefetch:
    return Prefetch("notes", queryset=Note.objects.select_related("author"))


def response_detail(*, response_id: int) -> Response | None:
    return (
        Response.objects.select_related("survey", "respondent", "assignee")
        .prefetch_related(_notes())
        .filter(pk=response_id)
        .first()
    )


def respondent_history(*, respondent: Respondent) -> list[Response]:
    """The respondent's latest answers, oldest first, with their notes."""
    latest = (
        Response.objects.filter(respondent=respondent)
        .select_related("survey", "assignee")
        .prefetch_related(_notes())
        .order_by(*NEWEST_FIRST)[:HISTORY_LIMIT]
    )
    return list(latest)[::-1]


# --- The API's list ------------------------------------------------------------------


@dataclass(frozen=True)
class ApiWindow:
    """What the API adds to the back office's filters (bounds are aware datetimes)."""

    since: datetime | None = None
    until: datetime | None = None
    updated_since: datetime | None = None
    respondent_id: int | None = None
    # Without range/from/to the API lists every period, unlike the back office's 90 days.
    dated: bool = False


def responses_for_api(*, filters: Filters, window: ApiWindow) -> QuerySet[Response]:
    condition = filters.q_object() if window.dated else filters.q_without_dates()
    if window.since is not None:
        condition &= Q(created_at__gte=window.since)
    if window.until is not None:
        condition &= Q(created_at__lt=window.until)
    if window.updated_since is not None:
        condition &= Q(updated_at__gte=window.updated_since)
    if window.respondent_id is not None:
        condition &= Q(respondent_id=window.respondent_id)
    return Response.objects.filter(condition).select_related(
        "survey", "respondent", "assignee", "variant"
    )
