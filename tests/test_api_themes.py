"""GET /api/v1/themes: the Themes page's numbers, for integrators."""

from typing import Any

from django.test import Client

from surveys.models import Survey
from tenants.context import tenant_context
from tenants.models import Organization
from themes.models import ThemeSnapshot
from themes.selectors import themes_of
from themes.services import theme_rename

from .test_themes import Capture, plant


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
