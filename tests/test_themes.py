"""Comment themes in the back office: the task and its cache, the Themes page
for an owner, a viewer and an outsider, and the admins' renames, merges and
tags, kept across recomputes."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from responses.models import Response
from surveys.models import Survey
from surveys.services import survey_create
from tenants.context import tenant_context
from tenants.models import Organization
from themes import extract, services
from themes.models import ThemeDecision, ThemeMention, ThemeSnapshot
from themes.selectors import Scope, themes_of
from themes.tasks import compute_themes

from .themes_corpus import corpus

Capture = Callable[..., Any]


def plant(org: Organization, survey: Survey, *, scale: float = 0.3) -> dict[str, int]:
    """The generated corpus as yesterday's answers; the planted count per theme key.
    A third of it by default: enough for every theme, and quick."""
    comments, expected = corpus(scale=scale)
    when = timezone.now() - timedelta(days=1)
    with tenant_context(org):
        Response.objects.bulk_create(
            Response(
                organization=org,
                survey=survey,
                score=c.score,
                comment=c.text,
                language=c.language,
                created_at=when,
            )
            for c in comments
        )
    return expected


def page_url(org: Organization, **params: Any) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/o/{org.slug}/themes/" + (f"?{query}" if query else "")


def computed(client: Client, capture: Capture, url: str) -> Any:
    """A view whose computation (a task enqueued on commit) runs before it returns."""
    with capture(execute=True):
        client.get(url)
    return client.get(url)


def snapshot_of(org: Organization) -> ThemeSnapshot:
    with tenant_context(org):
        return ThemeSnapshot.objects.get()


def board_of(org: Organization) -> dict[str, Any]:
    with tenant_context(org):
        return {
            theme.key: theme for theme in themes_of(snapshot=ThemeSnapshot.objects.get()).themes
        }


@pytest.fixture
def planted(org: Organization, survey: Survey) -> dict[str, int]:
    return plant(org, survey)


@pytest.fixture
def ready(
    planted: dict[str, int],
    owner_client: Client,
    org: Organization,
    django_capture_on_commit_callbacks: Capture,
) -> dict[str, int]:
    computed(owner_client, django_capture_on_commit_callbacks, page_url(org))
    return planted


# --- The task and the cache ---------------------------------------------------------


def test_it_computes_the_planted_themes_in_a_task_and_shows_them(
    org: Organization,
    survey: Survey,
    owner_client: Client,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    planted = plant(org, survey, scale=1.0)
    page = computed(owner_client, django_capture_on_commit_callbacks, page_url(org))
    html = page.content.decode()
    assert page.status_code == 200
    assert "facile à utiliser" in html and ">support<" in html and "Computing" not in html
    board = board_of(org)
    for key, count in planted.items():
        assert abs(board[key].count - count) <= max(1, 0.03 * count), key
    with tenant_context(org):
        assert ThemeMention.objects.filter(key="support").count() == board["support"].count


def test_the_first_view_says_computing_and_polls_until_the_task_is_done(
    planted: dict[str, int], owner_client: Client, org: Organization
) -> None:
    first = owner_client.get(page_url(org)).content.decode()
    assert "Computing themes…" in first and 'hx-trigger="every 2s"' in first
    snapshot = snapshot_of(org)
    assert snapshot.computing and not snapshot.has_result

    compute_themes(organization_id=org.pk, snapshot_id=snapshot.pk)
    panel = owner_client.get(page_url(org), HTTP_HX_REQUEST="true").content.decode()
    assert panel.lstrip().startswith("<section") and "<html" not in panel
    assert "hx-trigger" not in panel and "facile à utiliser" in panel


def test_it_reads_the_cache_while_nothing_changed(
    ready: dict[str, int],
    owner_client: Client,
    org: Organization,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    settings.THEMES_REFRESH_SECONDS = 0
    runs: list[int] = []
    original = extract.find_themes
    monkeypatch.setattr(extract, "find_themes", lambda c, **kw: runs.append(1) or original(c, **kw))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        page = owner_client.get(page_url(org))
    assert page.status_code == 200 and "support" in page.content.decode()
    assert runs == [] and callbacks == []


def test_a_new_comment_makes_the_themes_stale_and_they_are_computed_again(
    ready: dict[str, int],
    owner_client: Client,
    org: Organization,
    survey: Survey,
    settings: Any,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    settings.THEMES_REFRESH_SECONDS = 0
    before = board_of(org)["support"].count
    with tenant_context(org):
        Response.objects.create(organization=org, survey=survey, score=2, comment="Support is gone")
    computed(owner_client, django_capture_on_commit_callbacks, page_url(org))
    assert board_of(org)["support"].count == before + 1


def test_a_stale_result_is_shown_as_it_is_for_a_few_minutes(
    ready: dict[str, int],
    owner_client: Client,
    org: Organization,
    survey: Survey,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with tenant_context(org):
        Response.objects.create(organization=org, survey=survey, score=2, comment="Support is gone")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        owner_client.get(page_url(org))
    assert callbacks == [] and not snapshot_of(org).computing


def test_a_run_lost_with_its_worker_is_started_again_after_the_timeout(
    planted: dict[str, int], org: Organization, survey: Survey
) -> None:
    with tenant_context(org):
        scope = Scope(survey=None, first=timezone.localdate(), last=timezone.localdate())
        snapshot = services.snapshot_for(scope=scope)
        assert services.themes_refresh(snapshot=snapshot)
        assert not services.themes_refresh(snapshot=snapshot)  # one is running
        lost = timezone.now() - services.RUN_TIMEOUT - timedelta(seconds=1)
        ThemeSnapshot.objects.filter(pk=snapshot.pk).update(requested_at=lost)
        assert services.themes_refresh(snapshot=snapshot)


def test_running_the_task_twice_stores_the_same_themes(
    ready: dict[str, int], org: Organization
) -> None:
    snapshot = snapshot_of(org)
    first = (snapshot.themes, ThemeMention.objects.unscoped().count())
    compute_themes(organization_id=org.pk, snapshot_id=snapshot.pk)
    again = snapshot_of(org)
    assert (again.themes, ThemeMention.objects.unscoped().count()) == first


def test_each_survey_and_period_has_its_own_themes(
    planted: dict[str, int],
    owner_client: Client,
    org: Organization,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with tenant_context(org):
        other = survey_create(organization=org, kind="employee", name="Pulse")
    html = computed(
        owner_client, django_capture_on_commit_callbacks, page_url(org, survey=other.pk)
    ).content.decode()
    assert "No comments in this period." in html
    old = page_url(org, range="custom", **{"from": "2020-01-01", "to": "2020-01-31"})
    assert (
        "No comments"
        in computed(owner_client, django_capture_on_commit_callbacks, old).content.decode()
    )
    with tenant_context(org):
        assert ThemeSnapshot.objects.count() == 2  # Pulse's 90 days, and January 2020


# --- Who sees what --------------------------------------------------------------------


def test_a_viewer_sees_the_themes_without_the_admin_forms(
    ready: dict[str, int], member_client: Client, org: Organization
) -> None:
    html = member_client.get(page_url(org)).content.decode()
    assert "facile à utiliser" in html
    assert "Rename" not in html and "themes/tag/" not in html


def test_an_outsider_gets_404_and_starts_nothing(
    planted: dict[str, int], outsider_client: Client, org: Organization
) -> None:
    assert outsider_client.get(page_url(org)).status_code == 404
    assert ThemeSnapshot.objects.unscoped().count() == 0


def test_an_outsider_sees_only_their_own_organizations_themes(
    ready: dict[str, int],
    outsider_client: Client,
    other_org: Organization,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    page = computed(outsider_client, django_capture_on_commit_callbacks, page_url(other_org))
    assert page.status_code == 200
    assert "No comments in this period." in page.content.decode()
    assert "support" not in page.content.decode()


def test_invalid_filters_answer_400(owner_client: Client, org: Organization) -> None:
    assert owner_client.get(page_url(org, range="17")).status_code == 400


def test_the_page_speaks_french(ready: dict[str, int], owner: Any, org: Organization) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(owner)
    html = client.get(page_url(org)).content.decode()
    assert "Thèmes des commentaires" in html and "Cité surtout par" in html
    assert "Renommer" in html and "Themes in comments" not in html


# --- The comments of a theme --------------------------------------------------------


def test_a_theme_links_to_its_responses_in_the_responses_list(
    ready: dict[str, int], owner_client: Client, org: Organization
) -> None:
    support = board_of(org)["support"]
    page = owner_client.get(f"/o/{org.slug}/responses/?range=90&theme=support")
    html = page.content.decode()
    assert page.status_code == 200 and f"{support.count} responses" in html
    assert "Theme: <strong>support</strong>" in html
    detractors = owner_client.get(
        f"/o/{org.slug}/responses/?range=90&theme=support&category=promoter"
    )
    assert f"{support.promoters} response" in detractors.content.decode()


def test_an_unknown_theme_in_the_responses_list_answers_400(
    ready: dict[str, int], owner_client: Client, org: Organization
) -> None:
    page = owner_client.get(f"/o/{org.slug}/responses/?range=90&theme=nothing")
    assert page.status_code == 400
    assert "No such theme" in page.content.decode()


def test_the_export_of_a_theme_holds_its_responses_only(
    ready: dict[str, int], owner_client: Client, org: Organization
) -> None:
    csv = b"".join(
        owner_client.get(f"/o/{org.slug}/responses/export.csv?theme=support").streaming_content
    )  # type: ignore[attr-defined]
    assert len(csv.decode("utf-8-sig").strip().splitlines()) == 1 + board_of(org)["support"].count


# --- Rename, merge, tag -----------------------------------------------------------------


def post(client: Client, org: Organization, action: str, **data: str) -> Any:
    return client.post(f"/o/{org.slug}/themes/{action}/?range=90", data)


def test_an_admin_renames_a_theme_and_the_name_survives_a_recompute(
    ready: dict[str, int], owner_client: Client, org: Organization
) -> None:
    answer = post(owner_client, org, "rename", key="facil utilis", label="  Ease of use ")
    assert answer.status_code == 302 and answer["Location"].endswith("/themes/?range=90")
    compute_themes(organization_id=org.pk, snapshot_id=snapshot_of(org).pk)
    theme = board_of(org)["facil utilis"]
    assert (theme.label, theme.computed_label, theme.renamed) == (
        "Ease of use",
        "facile à utiliser",
        True,
    )
    html = owner_client.get(page_url(org)).content.decode()
    assert "Ease of use" in html and "found as “facile à utiliser”" in html

    post(owner_client, org, "rename", key="facil utilis", label="")
    assert board_of(org)["facil utilis"].label == "facile à utiliser"
    assert ThemeDecision.objects.unscoped().count() == 0


def test_a_refused_name_leaves_no_decision_behind(
    ready: dict[str, int], owner_client: Client, org: Organization
) -> None:
    answer = post(owner_client, org, "rename", key="support", label="x" * 81)
    assert answer.status_code == 302
    assert ThemeDecision.objects.unscoped().count() == 0
    assert board_of(org)["support"].label == "support"


def test_an_admin_merges_two_themes_and_can_split_them_again(
    ready: dict[str, int], owner_client: Client, org: Organization
) -> None:
    before = board_of(org)
    expected = len(
        set(
            ThemeMention.objects.unscoped()
            .filter(key__in=["slow", "lent"])
            .values_list("response_id", flat=True)
        )
    )
    post(owner_client, org, "merge", key="lent", into="slow")
    compute_themes(organization_id=org.pk, snapshot_id=snapshot_of(org).pk)
    after = board_of(org)
    assert "lent" not in after and after["slow"].count == expected
    assert after["slow"].count == before["slow"].count + before["lent"].count
    assert after["slow"].merged == [("lent", before["lent"].label)]
    listed = owner_client.get(f"/o/{org.slug}/responses/?range=90&theme=slow").content.decode()
    assert f"{expected} responses" in listed

    post(owner_client, org, "unmerge", key="lent")
    assert board_of(org)["lent"].count == before["lent"].count


def test_merging_a_theme_into_itself_is_refused(
    ready: dict[str, int], owner_client: Client, org: Organization
) -> None:
    client_answer = post(owner_client, org, "merge", key="slow", into="slow")
    assert client_answer.status_code == 302
    assert ThemeDecision.objects.unscoped().count() == 0


def test_an_admin_tags_every_response_of_a_theme(
    ready: dict[str, int], owner_client: Client, org: Organization
) -> None:
    support = board_of(org)["support"]
    answer = owner_client.post(
        f"/o/{org.slug}/themes/tag/?range=90",
        {"key": "support", "tag": "Support Issue"},
        HTTP_HX_REQUEST="true",
    )
    assert (
        answer.status_code == 200 and f"Tagged {support.count} responses" in answer.content.decode()
    )
    with tenant_context(org):
        in_theme = set(
            ThemeMention.objects.filter(key="support").values_list("response_id", flat=True)
        )
        tagged = {r.pk for r in Response.objects.all() if "support issue" in r.tags}
    assert tagged == in_theme and len(tagged) == support.count
    again = owner_client.post(
        f"/o/{org.slug}/themes/tag/?range=90",
        {"key": "support", "tag": "support issue"},
        HTTP_HX_REQUEST="true",
    )
    assert "Tagged 0 responses" in again.content.decode()


def test_a_viewer_cannot_rename_merge_or_tag(
    ready: dict[str, int], member_client: Client, org: Organization
) -> None:
    for action, data in (
        ("rename", {"key": "support", "label": "x"}),
        ("merge", {"key": "lent", "into": "slow"}),
        ("unmerge", {"key": "lent"}),
        ("tag", {"key": "support", "tag": "x"}),
    ):
        assert post(member_client, org, action, **data).status_code == 403, action
    assert ThemeDecision.objects.unscoped().count() == 0
    with tenant_context(org):
        assert not any(r.tags for r in Response.objects.all())


def test_an_outsider_cannot_rename_merge_or_tag(
    ready: dict[str, int], outsider_client: Client, org: Organization
) -> None:
    for action in ("rename", "merge", "unmerge", "tag"):
        data = {"key": "support", "label": "x", "into": "slow", "tag": "x"}
        assert post(outsider_client, org, action, **data).status_code == 404, action
    assert ThemeDecision.objects.unscoped().count() == 0


def test_a_change_to_a_theme_that_does_not_exist_answers_404(
    ready: dict[str, int], owner_client: Client, org: Organization
) -> None:
    assert post(owner_client, org, "rename", key="nothing", label="x").status_code == 404
    assert post(owner_client, org, "merge", key="slow", into="nothing").status_code == 404
    gone = owner_client.post(f"/o/{org.slug}/themes/rename/?range=30", {"key": "slow"})
    assert gone.status_code == 404  # no themes computed for that period
