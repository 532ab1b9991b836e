"""Survey pages: list, create from a template, edit every section, pause and
resume, install. An owner edits, a member (viewer) reads only, an outsider
sees nothing."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from surveys.forms import POLICY_FIELDS, SurveyEditForm
from surveys.models import Survey
from surveys.presets import LANGUAGES, PRESETS, TEXT_KEYS
from surveys.services import survey_create
from tenants.context import tenant_context
from tenants.models import Organization

pytestmark = pytest.mark.django_db


def url(name: str, org: Organization, survey: Any = None) -> str:
    kwargs: dict[str, Any] = {"org_slug": org.slug}
    if survey is not None:
        kwargs["survey_id"] = survey.pk
    return reverse(f"surveys:{name}", kwargs=kwargs)


def form_data(survey: Survey, **changes: Any) -> dict[str, Any]:
    """What the edit form posts when nothing is touched, plus `changes`."""
    data = {key: value for key, value in SurveyEditForm.initial_for(survey).items()}
    return {key: "" if value is None else value for key, value in data.items()} | changes


def reload(survey: Survey) -> Survey:
    with tenant_context(survey.organization):
        return Survey.objects.get(pk=survey.pk)


def snapshot(survey: Survey) -> dict[str, Any]:
    fresh = reload(survey)
    fields = ["name", "texts", "accent_color", "position", "logo_url", "allowed_origins"]
    return {field: getattr(fresh, field) for field in [*fields, *POLICY_FIELDS, "is_active"]}


# --- list ------------------------------------------------------------------


def test_it_lists_surveys_with_kind_status_and_key(
    owner_client: Client, org: Any, survey: Any
) -> None:
    response = owner_client.get(url("list", org))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Product NPS" in html and "Customer NPS" in html and "Active" in html
    assert survey.public_key in html
    assert url("edit", org, survey) in html and url("install", org, survey) in html
    assert url("create", org) in html


def test_it_shows_the_list_to_a_viewer_without_write_buttons(
    member_client: Client, org: Any, survey: Any
) -> None:
    html = member_client.get(url("list", org)).content.decode()
    assert "Product NPS" in html
    assert url("create", org) not in html and url("pause", org, survey) not in html


def test_it_escapes_a_script_in_a_survey_name(owner_client: Client, org: Any) -> None:
    evil = survey_create(organization=org, kind="custom", name="<script>alert(1)</script>")
    for page in (url("list", org), url("edit", org, evil), url("install", org, evil)):
        html = owner_client.get(page).content.decode()
        assert "<script>alert(1)</script>" not in html, page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, page


# --- create ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["customer", "employee", "partner", "custom"])
def test_it_creates_a_survey_from_each_template(owner_client: Client, org: Any, kind: str) -> None:
    response = owner_client.post(
        url("create", org), {"kind": kind, "name": f"{kind} survey", "product_name": "Acme"}
    )
    with tenant_context(org):
        created = Survey.objects.get(name=f"{kind} survey")
    assert response.status_code == 302
    assert response["Location"] == url("edit", org, created)
    assert created.kind == kind and created.product_name == "Acme"
    assert created.texts == PRESETS[kind]


def test_it_refuses_a_survey_without_a_name(owner_client: Client, org: Any) -> None:
    response = owner_client.post(url("create", org), {"kind": "customer", "name": "  "})
    assert response.status_code == 400
    with tenant_context(org):
        assert not Survey.objects.exists()


def test_it_offers_every_template_on_the_create_page(owner_client: Client, org: Any) -> None:
    html = owner_client.get(url("create", org)).content.decode()
    for label in ("Customer NPS", "Employee NPS (eNPS)", "Partner NPS", "Custom"):
        assert label in html


# --- edit ------------------------------------------------------------------


def test_it_shows_every_section_of_the_edit_page(
    owner_client: Client, org: Any, survey: Any
) -> None:
    html = owner_client.get(url("edit", org, survey)).content.decode()
    for anchor in ("general", "questions", "branding", "policy", "origins", "status"):
        assert f'id="{anchor}"' in html
    for language in LANGUAGES:
        for key in TEXT_KEYS:
            assert f'name="{language}_{key}"' in html
    assert "https://app.example.com" in html


def test_it_edits_the_texts_per_language(owner_client: Client, org: Any, survey: Any) -> None:
    data = form_data(
        survey,
        fr_question="Recommanderiez-vous {product} ?",
        de_follow_up_passive="",
        default_language="fr",
        en_follow_up_detractor="What went wrong?",
    )
    response = owner_client.post(url("edit", org, survey), data)
    assert response.status_code == 302
    fresh = reload(survey)
    assert fresh.default_language == "fr"
    assert fresh.texts["fr"]["question"] == "Recommanderiez-vous {product} ?"
    assert fresh.texts["en"]["follow_up_detractor"] == "What went wrong?"
    assert "follow_up_passive" not in fresh.texts["de"]


def test_it_drops_a_language_left_empty(owner_client: Client, org: Any, survey: Any) -> None:
    emptied = {f"de_{key}": "" for key in TEXT_KEYS}
    owner_client.post(url("edit", org, survey), form_data(survey, **emptied))
    assert sorted(reload(survey).texts) == ["en", "fr"]


def test_it_refuses_a_half_filled_language_and_saves_nothing(
    owner_client: Client, org: Any, survey: Any
) -> None:
    before = snapshot(survey)
    data = form_data(survey, fr_follow_up="", name="Renamed", fr_question="{prodcut} ?")
    response = owner_client.post(url("edit", org, survey), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "Missing the follow-up question in fr." in html
    assert "Unknown placeholder {prodcut}" in html
    assert snapshot(survey) == before


def test_it_edits_the_branding(owner_client: Client, org: Any, survey: Any) -> None:
    data = form_data(
        survey,
        accent_color="#FF0066",
        position="bottom-left",
        logo_url="https://cdn.example.com/logo.png",
    )
    assert owner_client.post(url("edit", org, survey), data).status_code == 302
    fresh = reload(survey)
    assert (fresh.accent_color, fresh.position, fresh.logo_url) == (
        "#ff0066",
        "bottom-left",
        "https://cdn.example.com/logo.png",
    )


def test_it_previews_the_widget_with_the_saved_branding(
    owner_client: Client, org: Any, survey: Any
) -> None:
    owner_client.post(url("edit", org, survey), form_data(survey, accent_color="#ff0066"))
    html = owner_client.get(url("edit", org, survey)).content.decode()
    assert '<template shadowrootmode="open">' in html
    assert 'style="--a:#ff0066"' in html
    assert "How likely are you to recommend Example App to a friend or colleague?" in html
    assert ".s span{display:flex" in html  # the widget's own stylesheet


def test_it_refuses_a_bad_colour_and_logo(owner_client: Client, org: Any, survey: Any) -> None:
    before = snapshot(survey)
    data = form_data(survey, accent_color="red", logo_url="javascript:alert(1)", position="top")
    response = owner_client.post(url("edit", org, survey), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "is not a colour" in html
    assert "The logo must be an https:// address of an image." in html
    assert snapshot(survey) == before


def test_it_edits_the_prompt_policy(owner_client: Client, org: Any, survey: Any) -> None:
    data = form_data(
        survey,
        first_prompt_after_days=14,
        hide_after_answer_days=60,
        hide_after_dismiss_days=5,
        sampling_percent=25,
    )
    assert owner_client.post(url("edit", org, survey), data).status_code == 302
    fresh = reload(survey)
    assert [getattr(fresh, field) for field in POLICY_FIELDS] == [14, 60, 5, 25]


def test_it_refuses_a_policy_out_of_range(owner_client: Client, org: Any, survey: Any) -> None:
    before = snapshot(survey)
    data = form_data(survey, sampling_percent=150, hide_after_answer_days=-1)
    response = owner_client.post(url("edit", org, survey), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "Choose a sampling percent between 0 and 100." in html
    assert "Use 0 days or more." in html
    assert snapshot(survey) == before


def test_it_saves_allowed_origins_normalised(owner_client: Client, org: Any, survey: Any) -> None:
    origins = "HTTPS://Shop.Example.com:443/\n\nhttp://localhost:8000\nhttps://shop.example.com"
    owner_client.post(url("edit", org, survey), form_data(survey, allowed_origins=origins))
    assert reload(survey).allowed_origins == ["https://shop.example.com", "http://localhost:8000"]


def test_it_names_each_bad_origin_line_and_saves_nothing(
    owner_client: Client, org: Any, survey: Any
) -> None:
    before = snapshot(survey)
    origins = "https://ok.example.com\nftp://files.example.com\nhttps://app.example.com/path"
    response = owner_client.post(
        url("edit", org, survey), form_data(survey, allowed_origins=origins)
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Line 2: “ftp://files.example.com” is not an origin" in html
    assert "Line 3: “https://app.example.com/path” is not an origin" in html
    assert "Line 1" not in html
    assert snapshot(survey) == before


# --- pause and resume --------------------------------------------------------


def test_it_pauses_and_resumes_a_survey(owner_client: Client, org: Any, survey: Any) -> None:
    response = owner_client.post(url("pause", org, survey))
    assert response.status_code == 302 and response["Location"] == url("edit", org, survey)
    assert not reload(survey).is_active
    assert "Paused" in owner_client.get(url("list", org)).content.decode()
    owner_client.post(url("resume", org, survey), {"next": url("list", org)})
    assert reload(survey).is_active


def test_it_does_not_follow_a_foreign_next_after_pausing(
    owner_client: Client, org: Any, survey: Any
) -> None:
    response = owner_client.post(url("pause", org, survey), {"next": "https://evil.test/"})
    assert response["Location"] == url("edit", org, survey)


def test_it_refuses_get_on_pause(owner_client: Client, org: Any, survey: Any) -> None:
    assert owner_client.get(url("pause", org, survey)).status_code == 405
    assert reload(survey).is_active


# --- roles -------------------------------------------------------------------


def test_it_lets_a_viewer_read_the_edit_and_install_pages(
    member_client: Client, org: Any, survey: Any
) -> None:
    edit = member_client.get(url("edit", org, survey))
    assert edit.status_code == 200
    assert "changing it needs the admin role" in edit.content.decode()
    assert "Save survey" not in edit.content.decode()
    install = member_client.get(url("install", org, survey))
    assert install.status_code == 200
    assert org.identity_secret not in install.content.decode()


def test_it_refuses_every_write_to_a_viewer_and_changes_nothing(
    member_client: Client, org: Any, survey: Any
) -> None:
    before = snapshot(survey)
    writes = [
        (url("create", org), {"kind": "customer", "name": "Sneaky"}),
        (url("edit", org, survey), form_data(survey, name="Sneaky", accent_color="#000000")),
        (url("pause", org, survey), {}),
        (url("resume", org, survey), {}),
    ]
    for path, data in writes:
        assert member_client.post(path, data).status_code == 403, path
    assert member_client.get(url("create", org)).status_code == 403
    assert snapshot(survey) == before
    with tenant_context(org):
        assert Survey.objects.count() == 1


def test_it_lets_an_admin_edit(admin_user: Any, org: Any, survey: Any) -> None:
    client = Client()
    client.force_login(admin_user)
    response = client.post(url("edit", org, survey), form_data(survey, name="By the admin"))
    assert response.status_code == 302
    assert reload(survey).name == "By the admin"


def test_it_hides_every_page_from_an_outsider(
    outsider_client: Client, org: Any, other_org: Any, survey: Any
) -> None:
    before = snapshot(survey)
    for name in ("edit", "install", "pause", "resume"):
        for slug_org in (org, other_org):
            path = url(name, slug_org, survey)
            assert outsider_client.get(path).status_code in (404, 405), path
            assert outsider_client.post(path, form_data(survey, name="x")).status_code == 404, path
    assert outsider_client.get(url("list", org)).status_code == 404
    assert "Product NPS" not in outsider_client.get(url("list", other_org)).content.decode()
    assert snapshot(survey) == before


# --- install -----------------------------------------------------------------


def test_it_gives_the_snippet_with_the_key_and_absolute_script_url(
    owner_client: Client, org: Any, survey: Any
) -> None:
    html = owner_client.get(url("install", org, survey)).content.decode()
    assert f"data-survey=&quot;{survey.public_key}&quot;" in html
    assert "src=&quot;http://testserver/widget.js&quot;" in html
    assert "data-user-id=&quot;USER_ID&quot;" in html
    assert f"http://testserver/s/{survey.public_key}" in html
    assert f"/s/{survey.public_key}/qr.svg" in html
    assert "nps(&#x27;identify&#x27;" in html and "nps(&#x27;show&#x27;)" in html
    assert 'data-copy="snippet-anonymous"' in html


def test_it_shows_the_identity_secret_to_admins_only(
    owner_client: Client, org: Any, survey: Any
) -> None:
    html = owner_client.get(url("install", org, survey)).content.decode()
    assert org.identity_secret in html
    assert "Not required." in html
    for language in ("Python", "Node.js", "Ruby", "PHP"):
        assert f"<h3>{language}</h3>" in html


def test_it_swaps_the_row_in_place_when_pausing_from_the_list(
    owner_client: Client, org: Any, survey: Any
) -> None:
    response = owner_client.post(url("pause", org, survey), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="survey-{survey.pk}">')
    assert "Paused" in html and url("resume", org, survey) in html
    assert not reload(survey).is_active


def test_it_warns_that_anonymous_visitors_are_not_surveyed_under_verification(
    owner_client: Client, org: Any, survey: Any
) -> None:
    org.require_identity_verification = True
    org.save()
    html = owner_client.get(url("install", org, survey)).content.decode()
    assert "Required." in html
    assert "the widget does not survey anonymous visitors" in html


def test_it_shows_each_templates_question_in_the_interface_language(
    owner_client: Client, org: Any
) -> None:
    english = owner_client.get(url("create", org)).content.decode()
    assert "How likely are you to recommend {company} as a place to work?" in english
    french = owner_client.get(url("create", org), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "comme lieu de travail" in french
