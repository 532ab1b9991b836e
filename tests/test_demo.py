from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client

from responses.models import Note, PromptEvent, Respondent, Response
from responses.scoring import NpsSummary
from rollups.models import RollupDay
from rollups.services import rollups_refresh
from surveys.models import Survey
from tenants.context import tenant_context
from tenants.models import Membership, Organization


def seed(responses: int = 300) -> str:
    out = StringIO()
    call_command("seed_demo", "--responses", str(responses), stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "users": get_user_model().objects.count(),
        "orgs": Organization.objects.count(),
        "memberships": Membership.objects.count(),
        "surveys": Survey.objects.unscoped().count(),
        "respondents": Respondent.objects.unscoped().count(),
        "responses": Response.objects.unscoped().count(),
    }


def test_it_seeds_acme_and_globex_with_their_owners(db: None) -> None:
    output = seed()
    assert "password: demo-password" in output
    assert set(Organization.objects.values_list("slug", flat=True)) == {"acme", "globex"}
    for slug in ("acme", "globex"):
        client = Client()
        assert client.login(username=f"owner@{slug}.test", password="demo-password")
        page = client.get(f"/o/{slug}/")
        assert page.status_code == 200


def test_it_is_idempotent(db: None) -> None:
    seed()
    first = counts()
    seed()
    assert counts() == first
    assert first["responses"] == 600


def test_it_tops_up_to_the_requested_count(db: None) -> None:
    seed(100)
    seed(250)
    assert counts()["responses"] == 500


def test_it_writes_plausible_answers_in_english_and_french(db: None) -> None:
    seed(2000)
    acme = Organization.objects.get(slug="acme")
    with tenant_context(acme):
        comments = list(Response.objects.exclude(comment="").values_list("comment", "language"))
        scores = list(Response.objects.values_list("score", flat=True))
        dates = Response.objects.order_by("created_at").values_list("created_at", flat=True)
    assert {language for _, language in comments} == {"en", "fr"}
    summary = NpsSummary(
        promoters=sum(s >= 9 for s in scores),
        passives=sum(7 <= s <= 8 for s in scores),
        detractors=sum(s <= 6 for s in scores),
    )
    assert summary.nps is not None and 0 < summary.nps < 70
    assert (dates.last() - dates.first()).days > 300


def test_it_gives_the_inbox_work_in_every_state_and_the_channels_displays(db: None) -> None:
    seed(2000)
    acme = Organization.objects.get(slug="acme")
    with tenant_context(acme):
        detractors = Response.objects.filter(score__lte=6)
        statuses = set(detractors.values_list("follow_up_status", flat=True))
        handled = detractors.exclude(follow_up_status="new")
        assert statuses == {"new", "contacted", "resolved"}
        assert not handled.filter(assignee=None).exists()
        assert Note.objects.filter(response__in=handled).count() == handled.count()
        assert detractors.exclude(tags=[]).exists()
        assert not Response.objects.filter(score__gte=7).exclude(follow_up_status="new").exists()
        answers = Response.objects.filter(channel="widget").count()
        displays = PromptEvent.objects.filter(kind="display")
        assert answers < displays.count() < 3 * answers + 1
        assert set(displays.values_list("channel", flat=True)) == {"widget"}


def test_a_top_up_after_rollups_exist_keeps_them_equal_to_the_raw_rows(db: None) -> None:
    seed(100)
    acme = Organization.objects.get(slug="acme")
    rollups_refresh(organization=acme)
    seed(250)
    with tenant_context(acme):
        rolled = RollupDay.objects.aggregate(displays=Sum("displays"), answers=Sum("s0"))
        assert rolled["displays"] == PromptEvent.objects.filter(kind="display").count()
        assert rolled["answers"] == Response.objects.filter(score=0).count()


def test_the_demo_comments_make_themes_that_show_at_once(db: None) -> None:
    from themes.models import ThemeSnapshot

    output = seed(2000)
    assert "comment themes" in output
    acme = Organization.objects.get(slug="acme")
    with tenant_context(acme):
        labels = {theme["label"] for theme in ThemeSnapshot.objects.get(survey=None).themes}
    assert "support" in labels and labels & {"easy to use", "facile à utiliser"}
    client = Client()
    client.login(username="owner@acme.test", password="demo-password")
    page = client.get("/o/acme/themes/").content.decode()
    assert "support" in page and "Computing themes" not in page
