"""Follow-up services and selectors: status, assignee, tags, notes, lists, the inbox."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict

from dashboards.filters import Filters, parse_filters
from followups import selectors, services
from followups.curve import relationship_curve
from followups.selectors import InboxParams
from responses.models import FollowUpStatus, Note, Respondent, Response
from surveys.models import Survey
from tenants.context import tenant_context
from tenants.models import Organization, Role

# Every test reads March 2026, whatever today is.
MARCH = "range=custom&from=2026-03-01&to=2026-03-31"


def at(day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def march(extra: str = "", tz: str = "UTC") -> Filters:
    return parse_filters(QueryDict(MARCH + ("&" + extra if extra else "")), tz=tz)


def make_response(survey: Survey, score: int, created_at: datetime, **fields: Any) -> Response:
    """A response of the survey's organization (run inside its tenant context)."""
    return Response.objects.create(
        organization_id=survey.organization_id,
        survey=survey,
        score=score,
        created_at=created_at,
        **fields,
    )


def make_respondent(org: Organization, **fields: Any) -> Respondent:
    return Respondent.objects.create(organization=org, **fields)


@pytest.fixture
def detractor(in_org: Organization, survey: Survey) -> Response:
    return make_response(survey, 3, at(10), comment="Too slow")


# --- Status -----------------------------------------------------------------


def test_it_changes_the_status(detractor: Response) -> None:
    services.follow_up_set_status(response=detractor, status="resolved")
    detractor.refresh_from_db()
    assert detractor.follow_up_status == FollowUpStatus.RESOLVED


def test_it_refuses_an_unknown_status_and_changes_nothing(detractor: Response) -> None:
    with pytest.raises(ValidationError):
        services.follow_up_set_status(response=detractor, status="archived")
    detractor.refresh_from_db()
    assert detractor.follow_up_status == FollowUpStatus.NEW


def test_it_marks_a_new_item_contacted(detractor: Response) -> None:
    assert services.follow_up_mark_contacted(response=detractor) is True
    assert detractor.follow_up_status == FollowUpStatus.CONTACTED


def test_it_never_reopens_a_resolved_item_when_marking_contacted(detractor: Response) -> None:
    services.follow_up_set_status(response=detractor, status="resolved")
    assert services.follow_up_mark_contacted(response=detractor) is False
    detractor.refresh_from_db()
    assert detractor.follow_up_status == FollowUpStatus.RESOLVED


# --- Assignee ---------------------------------------------------------------


def test_it_assigns_a_member_and_unassigns(detractor: Response, member: Any) -> None:
    services.follow_up_assign(response=detractor, assignee_id=member.pk)
    detractor.refresh_from_db()
    assert detractor.assignee == member
    services.follow_up_assign(response=detractor, assignee_id=None)
    detractor.refresh_from_db()
    assert detractor.assignee is None


def test_it_refuses_to_assign_someone_outside_the_organization(
    detractor: Response, outsider: Any, other_org: Organization
) -> None:
    with pytest.raises(ValidationError, match="not a member"):
        services.follow_up_assign(response=detractor, assignee_id=outsider.pk)
    detractor.refresh_from_db()
    assert detractor.assignee is None


# --- Tags -------------------------------------------------------------------


def test_it_normalizes_and_deduplicates_tags() -> None:
    raw = "  Pricing , onboarding,,PRICING,  mobile   app , Onboarding "
    assert services.normalize_tags(raw) == ["pricing", "onboarding", "mobile app"]


def test_it_keeps_accents_in_tags() -> None:
    assert services.normalize_tags("Qualité, qualité") == ["qualité"]


@pytest.mark.parametrize(
    "raw",
    [
        "x" * (services.MAX_TAG_LENGTH + 1),
        ", ".join(f"tag{i}" for i in range(services.MAX_TAGS + 1)),
        "ok, bad\x00tag",
        "ok, bell\x07",
    ],
)
def test_it_refuses_bad_tags_and_changes_nothing(detractor: Response, raw: str) -> None:
    services.follow_up_set_tags(response=detractor, raw="kept")
    with pytest.raises(ValidationError):
        services.follow_up_set_tags(response=detractor, raw=raw)
    detractor.refresh_from_db()
    assert detractor.tags == ["kept"]


def test_it_clears_tags_with_an_empty_list(detractor: Response) -> None:
    services.follow_up_set_tags(response=detractor, raw="a, b")
    services.follow_up_set_tags(response=detractor, raw=" , ")
    detractor.refresh_from_db()
    assert detractor.tags == []


# --- Notes ------------------------------------------------------------------


def test_it_adds_a_trimmed_note(detractor: Response, owner: Any) -> None:
    note = services.note_add(response=detractor, author=owner, body="  Called them.\n")
    assert (note.body, note.author, note.organization_id) == (
        "Called them.",
        owner,
        detractor.organization_id,
    )


@pytest.mark.parametrize("body", ["", "   \n", "x" * (services.MAX_NOTE_LENGTH + 1), "a\x00b"])
def test_it_refuses_an_empty_or_oversized_note(detractor: Response, owner: Any, body: str) -> None:
    with pytest.raises(ValidationError):
        services.note_add(response=detractor, author=owner, body=body)
    assert Note.objects.count() == 0


def test_it_lets_the_author_and_admins_delete_a_note(
    detractor: Response, owner: Any, member: Any, admin_user: Any
) -> None:
    note = services.note_add(response=detractor, author=owner, body="Called")
    assert services.can_delete_note(note=note, user=owner, role=Role.VIEWER)
    assert services.can_delete_note(note=note, user=admin_user, role=Role.ADMIN)
    assert not services.can_delete_note(note=note, user=member, role=Role.VIEWER)
    with pytest.raises(PermissionDenied):
        services.note_delete(note=note, user=member, role=Role.VIEWER)
    services.note_delete(note=note, user=admin_user, role=Role.ADMIN)
    assert Note.objects.count() == 0


# --- Lists and pages --------------------------------------------------------


def test_it_pages_newest_first_with_cursors(in_org: Organization, survey: Survey) -> None:
    rows = [make_response(survey, 5, at(1 + i)) for i in range(7)]
    newest_first = [row.pk for row in reversed(rows)]
    queryset = selectors.responses_matching(filters=march())

    head = selectors.page_of(queryset, size=3)
    assert [r.pk for r in head.rows] == newest_first[:3]
    assert head.is_head and head.older == newest_first[2]

    second = selectors.page_of(queryset, older=head.older, size=3)
    assert [r.pk for r in second.rows] == newest_first[3:6]
    assert second.newer == newest_first[3]

    last = selectors.page_of(queryset, older=second.older, size=3)
    assert [r.pk for r in last.rows] == newest_first[6:]
    assert last.older is None

    back = selectors.page_of(queryset, newer=last.newer, size=3)
    assert [r.pk for r in back.rows] == newest_first[3:6]
    assert selectors.page_of(queryset, newer=back.newer, size=3).is_head


def test_it_pages_through_rows_with_the_same_date_without_losing_any(
    in_org: Organization, survey: Survey
) -> None:
    rows = [make_response(survey, 5, at(5)) for _ in range(5)]
    queryset = selectors.responses_matching(filters=march())
    seen, older = [], None
    while True:
        page = selectors.page_of(queryset, older=older, size=2)
        seen += [r.pk for r in page.rows]
        if page.older is None:
            break
        older = page.older
    assert seen == sorted((r.pk for r in rows), reverse=True)


def test_it_gives_only_rows_that_arrived_later(in_org: Organization, survey: Survey) -> None:
    old = make_response(survey, 9, at(2))
    newer = [make_response(survey, 2, at(3)), make_response(survey, 10, at(4))]
    queryset = selectors.responses_matching(filters=march())
    arrived = selectors.newer_than(queryset, after_id=old.pk)
    assert [r.pk for r in arrived] == [newer[1].pk, newer[0].pk]
    assert selectors.newer_than(queryset, after_id=newer[1].pk) == []
    assert selectors.latest_id() == newer[1].pk


def test_it_catches_up_on_many_arrivals_oldest_first(in_org: Organization, survey: Survey) -> None:
    rows = [make_response(survey, 5, at(3, minute=i)) for i in range(5)]
    queryset = selectors.responses_matching(filters=march())
    first = selectors.newer_than(queryset, after_id=0, limit=3)
    assert {r.pk for r in first} == {r.pk for r in rows[:3]}
    rest = selectors.newer_than(queryset, after_id=max(r.pk for r in first), limit=3)
    assert {r.pk for r in rest} == {r.pk for r in rows[3:]}


def test_it_counts_up_to_a_cap(in_org: Organization, survey: Survey) -> None:
    for day in range(1, 6):
        make_response(survey, 5, at(day))
    queryset = Response.objects.all()
    assert selectors.capped_count(queryset) == 5
    assert selectors.capped_count(queryset, cap=3) == 4


def test_it_applies_the_filters_to_the_list(in_org: Organization, survey: Survey) -> None:
    inside = make_response(survey, 2, at(10), comment="Slow pages")
    make_response(survey, 2, at(10), comment="Fine")
    make_response(survey, 2, at(10) + timedelta(days=60), comment="Slow too")
    queryset = selectors.responses_matching(filters=march("q=slow"))
    assert list(queryset) == [inside]


# --- The inbox --------------------------------------------------------------


@pytest.fixture
def inbox_rows(in_org: Organization, survey: Survey, owner: Any, member: Any) -> dict[str, Any]:
    return {
        "new": make_response(survey, 2, at(1)),
        "contacted": make_response(survey, 4, at(2), follow_up_status="contacted", assignee=owner),
        "resolved": make_response(survey, 6, at(3), follow_up_status="resolved", assignee=member),
        "passive": make_response(survey, 7, at(4)),
        "promoter": make_response(survey, 10, at(5)),
        "last_year": make_response(survey, 0, at(5) - timedelta(days=365)),
    }


def _inbox(owner: Any, **params: Any) -> list[Response]:
    items = selectors.inbox_items(filters=march(), params=InboxParams(**params), user=owner)
    return sorted(items, key=lambda r: r.pk)


def test_it_shows_open_detractors_in_range_by_default(
    inbox_rows: dict[str, Any], owner: Any
) -> None:
    assert _inbox(owner) == [inbox_rows["new"], inbox_rows["contacted"]]


def test_it_adds_passives_on_demand(inbox_rows: dict[str, Any], owner: Any) -> None:
    assert inbox_rows["passive"] in _inbox(owner, include_passives=True)
    assert inbox_rows["promoter"] not in _inbox(owner, include_passives=True, status="all")


@pytest.mark.parametrize("status", ["new", "contacted", "resolved"])
def test_it_narrows_the_inbox_to_one_status(
    inbox_rows: dict[str, Any], owner: Any, status: str
) -> None:
    assert _inbox(owner, status=status) == [inbox_rows[status]]


def test_it_filters_the_inbox_by_assignee(
    inbox_rows: dict[str, Any], owner: Any, member: Any
) -> None:
    assert _inbox(owner, status="all", assignee="me") == [inbox_rows["contacted"]]
    assert _inbox(owner, status="all", assignee="none") == [inbox_rows["new"]]
    assert _inbox(owner, status="all", assignee=str(member.pk)) == [inbox_rows["resolved"]]


def test_it_counts_each_tab(inbox_rows: dict[str, Any], owner: Any) -> None:
    counts = selectors.inbox_counts(filters=march(), params=InboxParams(), user=owner)
    assert counts == {"open": 2, "new": 1, "contacted": 1, "resolved": 1, "all": 3}


def test_it_counts_open_items_for_the_nav_badge(
    inbox_rows: dict[str, Any], owner: Any, member: Any
) -> None:
    assert selectors.open_count() == 3  # last year's detractor is open too
    assert selectors.open_count(filters=march()) == 2
    assert selectors.open_count(filters=march(), include_passives=True) == 3
    assert selectors.open_count(assignee=owner) == 1
    assert selectors.open_count(assignee=member) == 0
    assert selectors.open_count(limit=2) == 2  # stops counting there


def test_the_nav_badge_stops_counting_at_a_thousand() -> None:
    from followups.context_processors import Badge

    assert (Badge(count=3).label, Badge(count=3).title) == ("3", "3 open follow-ups")
    assert (Badge(count=1).label, Badge(count=1).title) == ("1", "1 open follow-up")
    assert (Badge(count=1000).label, Badge(count=1000).title) == ("999+", "999+ open follow-ups")


def test_it_counts_notes_on_inbox_items(inbox_rows: dict[str, Any], owner: Any) -> None:
    services.note_add(response=inbox_rows["new"], author=owner, body="One")
    services.note_add(response=inbox_rows["new"], author=owner, body="Two")
    item = selectors.inbox_item(response_id=inbox_rows["new"].pk)
    assert item is not None and item.note_count == 2  # type: ignore[attr-defined]


def test_it_never_counts_another_organizations_items(
    inbox_rows: dict[str, Any], other_org: Organization
) -> None:
    with tenant_context(other_org):
        assert selectors.open_count() == 0
        assert selectors.latest_id() == 0


# --- One respondent ---------------------------------------------------------


def test_it_lists_a_respondents_history_oldest_first(in_org: Organization, survey: Survey) -> None:
    ann = make_respondent(in_org, external_id="u1", name="Ann")
    later = make_response(survey, 9, at(20), respondent=ann)
    earlier = make_response(survey, 3, at(2), respondent=ann)
    make_response(survey, 5, at(3))
    assert selectors.respondent_history(respondent=ann) == [earlier, later]


def test_it_draws_the_curve_by_time_and_score(in_org: Organization, survey: Survey) -> None:
    rows = [make_response(survey, 0, at(1)), make_response(survey, 10, at(31))]
    curve = relationship_curve(rows, zone=UTC)
    first, last = curve.points
    assert first.x < last.x and first.y > last.y
    assert (first.category, last.category) == ("detractor", "promoter")
    assert (curve.first_label, curve.last_label) == ("2026-03-01", "2026-03-31")


def test_it_centres_a_single_answer(in_org: Organization, survey: Survey) -> None:
    curve = relationship_curve([make_response(survey, 8, at(1))], zone=UTC)
    (point,) = curve.points
    assert point.x == pytest.approx(curve.left + (curve.right - curve.left) / 2)
    assert relationship_curve([], zone=UTC).points == []
