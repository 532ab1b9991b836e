"""/api/v1/themes: the Themes page's numbers and its admins' renames, merges
and tags, for integrators; and `theme=` on the responses list."""

import json
from typing import Any

import pytest
from django.test import Client

from responses.models import Response
from surveys.models import Survey
from tenants.context import tenant_context
from tenants.models import Organization
from themes.models import ThemeDecision, ThemeMention, ThemeSnapshot
from themes.selectors import themes_of
from themes.services import theme_rename

from .test_themes import Capture, board_of, plant
from .test_themes import planted as planted  # a fixture
from .test_themes import ready as ready  # a fixture


def api(key: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {key}"})


def test_the_first_request_starts_the_computation_and_says_so(
    org: Organization, survey: Survey, api_key: str
) -> None:
    plant(org, survey)
    answer = api(api_key).get("/api/v1/themes")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "computing" and body["themes"] == [] and body["computed_at"] is None


def test_it_answers_the_themes_once_computed(
    org: Organization,
    survey: Survey,
    read_only_key: str,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    planted = plant(org, survey)
    client = api(read_only_key)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(f"/api/v1/themes?survey={survey.public_key}&range=30")
    answer = client.get(f"/api/v1/themes?survey={survey.public_key}&range=30")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ready" and body["survey"] == survey.pk
    assert body["period"]["range"] == "30" and body["comment_count"] > 0
    themes = {theme["key"]: theme for theme in body["themes"]}
    assert set(planted) <= set(themes)
    support = themes["support"]
    assert support["label"] == "support" and support["count"] == planted["support"]
    assert support["detractors"] == support["count"] and support["lift"] is None
    assert support["detractor_rate"] > 0 and support["promoter_rate"] == 0
    assert support["responses_url"].endswith(
        f"/o/{org.slug}/responses/?range=30&survey={survey.pk}&theme=support"
    )
    easy = themes["facil utilis"]
    assert easy["label"] == "facile à utiliser" and easy["nps"] == 100.0


def test_it_shows_an_admins_rename(
    org: Organization, survey: Survey, api_key: str, django_capture_on_commit_callbacks: Capture
) -> None:
    plant(org, survey)
    with django_capture_on_commit_callbacks(execute=True):
        api(api_key).get("/api/v1/themes")
    with tenant_context(org):
        board = themes_of(snapshot=ThemeSnapshot.objects.get())
        theme = next(t for t in board.themes if t.key == "facil utilis")
        theme_rename(theme=theme, label="Ease of use", user=None)
    themes = {t["key"]: t for t in api(api_key).get("/api/v1/themes").json()["themes"]}
    assert themes["facil utilis"]["label"] == "Ease of use"
    assert themes["facil utilis"]["computed_label"] == "facile à utiliser"


def test_filters_that_do_not_apply_to_themes_answer_422(api_key: str) -> None:
    answer = api(api_key).get("/api/v1/themes?category=detractor&q=slow")
    assert answer.status_code == 422
    assert set(answer.json()["error"]["details"]) == {"category", "q"}
    assert api(api_key).get("/api/v1/themes?colour=red").status_code == 422
    assert api(api_key).get("/api/v1/themes?range=12").status_code == 422


def test_another_organizations_key_sees_its_own_themes_only(
    org: Organization,
    survey: Survey,
    other_api_key: str,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    plant(org, survey)
    client = api(other_api_key)
    with django_capture_on_commit_callbacks(execute=True):
        client.get("/api/v1/themes")
    body = client.get("/api/v1/themes").json()
    assert body["comment_count"] == 0 and body["themes"] == []
    assert client.get(f"/api/v1/themes?survey={survey.pk}").status_code == 422
    assert ThemeSnapshot.objects.unscoped().filter(organization=org).count() == 0


def test_no_key_gets_401(db: Any) -> None:
    assert Client().get("/api/v1/themes").status_code == 401


# --- Rename, merge, unmerge, tag ----------------------------------------------------------


def act(key: str, theme: str, action: str, body: Any = None, query: str = "range=90") -> Any:
    """POST /api/v1/themes/<theme>/<action>?<query> with a JSON body."""
    path = f"/api/v1/themes/{theme}/{action}?{query}"
    data = json.dumps(body if body is not None else {})
    return api(key).post(path, data, content_type="application/json")


def decisions() -> list[dict[str, Any]]:
    return list(ThemeDecision.objects.unscoped().order_by("key").values())


def tagged_ids(org: Organization) -> set[int]:
    with tenant_context(org):
        return {r.pk for r in Response.objects.all() if r.tags}


def mentioned(org: Organization, *keys: str) -> set[int]:
    with tenant_context(org):
        rows = ThemeMention.objects.filter(key__in=keys)
        return set(rows.values_list("response_id", flat=True))


def test_a_key_renames_a_theme_as_the_back_office_does(
    ready: dict[str, int], org: Organization, api_key: str
) -> None:
    answer = act(api_key, "facil%20utilis", "rename", {"label": "  Ease   of use "})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["key"], body["label"], body["computed_label"]) == (
        "facil utilis",
        "Ease of use",
        "facile à utiliser",
    )
    assert body["responses_url"].endswith(f"/o/{org.slug}/responses/?range=90&theme=facil+utilis")
    (decision,) = decisions()
    assert decision["label"] == "Ease of use" and decision["updated_by_id"] is None
    listed = {t["key"]: t for t in api(api_key).get("/api/v1/themes?range=90").json()["themes"]}
    assert listed["facil utilis"]["label"] == "Ease of use"


def test_an_empty_label_gives_the_computed_label_back(ready: dict[str, int], api_key: str) -> None:
    act(api_key, "support", "rename", {"label": "Help desk"})
    answer = act(api_key, "support", "rename", {"label": ""})
    assert answer.status_code == 200 and answer.json()["label"] == "support"
    assert decisions() == []


@pytest.mark.parametrize(
    "body",
    [{"label": "x" * 81}, {"label": "bell\u0007"}, {}, {"label": None}, {"label": 7, "x": 1}],
    ids=["too-long", "control-character", "missing", "null", "unknown-field"],
)
def test_a_bad_name_answers_422_and_changes_nothing(
    ready: dict[str, int], api_key: str, body: dict[str, Any]
) -> None:
    answer = act(api_key, "support", "rename", body)
    assert answer.status_code == 422, answer.content
    assert answer.json()["error"]["code"] == "invalid"
    assert decisions() == []


def test_a_key_merges_a_theme_into_another_and_splits_it_off_again(
    ready: dict[str, int], org: Organization, api_key: str
) -> None:
    before = board_of(org)
    answer = act(api_key, "lent", "merge", {"into": "slow"})
    assert answer.status_code == 200, answer.content
    merged = answer.json()
    assert merged["key"] == "slow" and set(merged["merged_keys"]) == {"slow", "lent"}
    assert merged["count"] == len(mentioned(org, "slow", "lent"))
    assert [(d["key"], d["merge_into"]) for d in decisions()] == [("lent", "slow")]
    listed = api(api_key).get("/api/v1/responses?range=90&theme=slow&per_page=200").json()
    assert {row["id"] for row in listed["results"]} == mentioned(org, "slow", "lent")

    split = act(api_key, "lent", "unmerge")
    assert split.status_code == 200, split.content
    assert split.json()["key"] == "lent" and split.json()["count"] == before["lent"].count
    assert decisions() == []


@pytest.mark.parametrize(
    "body",
    [{"into": "slow"}, {"into": "nothing"}, {"into": ""}, {}, {"into": ["support"]}],
    ids=["itself", "unknown", "empty", "missing", "not-a-string"],
)
def test_merging_into_itself_or_no_theme_answers_422_and_changes_nothing(
    ready: dict[str, int], api_key: str, body: dict[str, Any]
) -> None:
    answer = act(api_key, "slow", "merge", body)
    assert answer.status_code == 422, answer.content
    assert "into" in answer.json()["error"]["details"]
    assert decisions() == []


def test_splitting_off_a_theme_that_is_not_merged_answers_404(
    ready: dict[str, int], api_key: str
) -> None:
    assert act(api_key, "slow", "unmerge").status_code == 404
    assert decisions() == []


def test_a_key_tags_every_response_of_a_theme_once(
    ready: dict[str, int], org: Organization, api_key: str
) -> None:
    support = board_of(org)["support"]
    answer = act(api_key, "support", "tag", {"tag": " Support Issue "})
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"tagged": support.count, "skipped": 0}
    with tenant_context(org):
        tagged = {r.pk for r in Response.objects.all() if r.tags == ["support issue"]}
    assert tagged == mentioned(org, "support") == tagged_ids(org)
    assert act(api_key, "support", "tag", {"tag": "support issue"}).json()["tagged"] == 0


@pytest.mark.parametrize(
    "body",
    [{"tag": "a,b"}, {"tag": ""}, {"tag": "x" * 41}, {}, {"tag": "ok", "tags": ["x"]}],
    ids=["two-tags", "empty", "too-long", "missing", "unknown-field"],
)
def test_a_bad_tag_answers_422_and_tags_nothing(
    ready: dict[str, int], org: Organization, api_key: str, body: dict[str, Any]
) -> None:
    answer = act(api_key, "support", "tag", body)
    assert answer.status_code == 422, answer.content
    assert tagged_ids(org) == set()


ACTIONS = [
    ("support", "rename", {"label": "x"}),
    ("lent", "merge", {"into": "slow"}),
    ("lent", "unmerge", None),
    ("support", "tag", {"tag": "x"}),
]


@pytest.mark.parametrize(("theme", "action", "body"), ACTIONS)
def test_a_read_only_key_gets_403_and_changes_nothing(
    ready: dict[str, int],
    org: Organization,
    read_only_key: str,
    theme: str,
    action: str,
    body: Any,
) -> None:
    answer = act(read_only_key, theme, action, body)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "permission_denied"
    assert decisions() == [] and tagged_ids(org) == set()


@pytest.mark.parametrize(("theme", "action", "body"), ACTIONS)
def test_another_organizations_key_gets_404_and_changes_nothing(
    ready: dict[str, int],
    org: Organization,
    other_api_key: str,
    theme: str,
    action: str,
    body: Any,
) -> None:
    answer = act(other_api_key, theme, action, body)
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"
    assert decisions() == [] and tagged_ids(org) == set()


@pytest.mark.parametrize(("theme", "action", "body"), ACTIONS)
def test_a_theme_or_a_period_without_computed_themes_answers_404(
    ready: dict[str, int], api_key: str, theme: str, action: str, body: Any
) -> None:
    assert act(api_key, "nothing", action, body).status_code == 404
    assert act(api_key, theme, action, body, query="range=30").status_code == 404
    assert decisions() == []


@pytest.mark.parametrize(("theme", "action", "body"), ACTIONS)
def test_filters_that_do_not_apply_to_themes_answer_422_on_changes_too(
    ready: dict[str, int], org: Organization, api_key: str, theme: str, action: str, body: Any
) -> None:
    for query in ("range=90&category=detractor", "range=90&colour=red", "range=12"):
        assert act(api_key, theme, action, body, query=query).status_code == 422, query
    assert decisions() == [] and tagged_ids(org) == set()


def test_no_key_gets_401_on_changes(db: Any) -> None:
    answer = Client().post("/api/v1/themes/support/rename", {}, content_type="application/json")
    assert answer.status_code == 401


# --- theme= on GET /api/v1/responses --------------------------------------------------------


def listed_ids(key: str, query: str) -> set[int]:
    answer = api(key).get(f"/api/v1/responses?{query}&per_page=200")
    assert answer.status_code == 200, answer.content
    return {row["id"] for row in answer.json()["results"]}


def test_the_responses_list_takes_a_theme_as_the_back_office_does(
    ready: dict[str, int], org: Organization, owner_client: Client, api_key: str
) -> None:
    support = mentioned(org, "support")
    assert listed_ids(api_key, "range=90&theme=support") == support
    assert listed_ids(api_key, "theme=support") == support  # the themes' default 90 days
    assert listed_ids(api_key, "range=90&theme=support&category=promoter") == set()
    page = owner_client.get(f"/o/{org.slug}/responses/?range=90&theme=support")
    assert f"{len(support)} responses" in page.content.decode()


def test_the_next_page_of_a_theme_keeps_the_theme(ready: dict[str, int], api_key: str) -> None:
    first = api(api_key).get("/api/v1/responses?range=90&theme=support&per_page=2").json()
    assert "theme=support" in first["next"]


def test_an_unknown_theme_answers_422_in_the_apis_shape(
    ready: dict[str, int], api_key: str
) -> None:
    answer = api(api_key).get("/api/v1/responses?range=90&theme=nothing&score=11")
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid" and set(error["details"]) == {"score"}
    answer = api(api_key).get("/api/v1/responses?range=90&theme=nothing")
    assert answer.json()["error"]["details"] == {
        "theme": ["No such theme was found in this survey and period."]
    }
    assert api(api_key).get("/api/v1/responses?range=30&theme=support").status_code == 422


def test_another_organizations_key_finds_none_of_our_themes(
    ready: dict[str, int], other_api_key: str
) -> None:
    answer = api(other_api_key).get("/api/v1/responses?range=90&theme=support")
    assert answer.status_code == 422
