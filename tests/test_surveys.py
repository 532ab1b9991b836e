import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client

from surveys.models import Survey, new_public_key
from surveys.presets import LANGUAGES, REQUIRED_KEYS, preset_texts
from surveys.selectors import origin_allowed, survey_by_public_key, widget_texts
from surveys.services import survey_create, survey_pause, survey_resume, survey_update
from tenants.context import tenant_context
from tenants.identity import user_hash_for, verify_user_hash
from tenants.models import Organization

NBSP = "\u00a0"


def errors_of(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def create(org: Organization, **fields: Any) -> Survey:
    fields.setdefault("kind", "customer")
    fields.setdefault("name", "Survey")
    return survey_create(organization=org, **fields)


# Presets


@pytest.mark.parametrize("kind", ["customer", "employee", "partner", "custom"])
def test_it_fills_every_language_from_the_kinds_preset(org: Organization, kind: str) -> None:
    survey = create(org, kind=kind)
    assert sorted(survey.texts) == sorted(LANGUAGES)
    for texts in survey.texts.values():
        assert all(texts[key] for key in REQUIRED_KEYS)


def test_it_asks_employees_about_the_company_as_a_place_to_work(org: Organization) -> None:
    survey = create(org, kind="employee")
    assert survey.question == "How likely are you to recommend {company} as a place to work?"
    assert widget_texts(survey=survey, language="en")["question"] == (
        "How likely are you to recommend Example Inc as a place to work?"
    )


def test_it_asks_partners_about_partnering(org: Organization) -> None:
    assert (
        "partenariat" in widget_texts(survey=create(org, kind="partner"), language="fr")["question"]
    )


def test_it_merges_given_texts_over_the_preset(org: Organization) -> None:
    survey = create(org, texts={"en": {"question": "Would you recommend {product}?"}})
    assert survey.texts["en"]["question"] == "Would you recommend {product}?"
    assert survey.texts["en"]["thank_you"] == "Thank you for your feedback!"
    assert survey.texts["fr"]["question"].startswith("Quelle est la probabilité")


def test_it_keeps_french_punctuation_on_the_line(survey: Survey) -> None:
    assert survey.texts["fr"]["question"].endswith(f"{NBSP}?")


# Validation


@pytest.mark.parametrize("color", ["red", "#12345", "#1234567", "123456", "#ggg000", ""])
def test_it_refuses_a_colour_that_is_not_hex(org: Organization, color: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        create(org, accent_color=color)
    assert "six hex digits" in errors_of(excinfo)["accent_color"][0]
    with tenant_context(org):
        assert not Survey.objects.exists()


def test_it_normalises_the_colour(org: Organization) -> None:
    assert create(org, accent_color=" #A1B2C3 ").accent_color == "#a1b2c3"


@pytest.mark.parametrize(
    "origin",
    [
        "app.example.com",
        "https://app.example.com/path",
        "https://app.example.com?x=1",
        "ftp://app.example.com",
        "https://user@app.example.com",
        "https://",
        "https://app.example.com:99999",
        "https://bad_host.example.com",
        "*",
    ],
)
def test_it_refuses_an_allowed_origin_that_is_not_an_origin(org: Organization, origin: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        create(org, allowed_origins=["https://ok.example.com", origin])
    assert "is not an origin" in errors_of(excinfo)["allowed_origins"][0]


def test_it_refuses_origins_given_as_a_string(org: Organization) -> None:
    with pytest.raises(ValidationError) as excinfo:
        create(org, allowed_origins="https://app.example.com")  # type: ignore[arg-type]
    assert errors_of(excinfo)["allowed_origins"] == ["Give the allowed origins as a list."]


def test_it_normalises_and_deduplicates_allowed_origins(org: Organization) -> None:
    survey = create(
        org,
        allowed_origins=[
            "HTTPS://App.Example.com:443/",
            "https://app.example.com",
            "http://127.0.0.1:8000",
            "http://localhost:80",
            "https://bücher.example",
        ],
    )
    assert survey.allowed_origins == [
        "https://app.example.com",
        "http://127.0.0.1:8000",
        "http://localhost",
        "https://xn--bcher-kva.example",
    ]


def test_it_matches_a_browsers_origin_header_exactly(survey: Survey) -> None:
    assert origin_allowed(survey=survey, origin="https://app.example.com")
    assert origin_allowed(survey=survey, origin="https://APP.example.com:443")
    for origin in ("http://app.example.com", "https://evil.example.com", "null", "", None):
        assert not origin_allowed(survey=survey, origin=origin)


def test_it_refuses_an_unknown_default_language(org: Organization) -> None:
    with pytest.raises(ValidationError) as excinfo:
        create(org, default_language="es")
    assert errors_of(excinfo)["default_language"] == [
        "Unknown language “es”: choose one of en, fr, de."
    ]


def test_it_refuses_texts_in_an_unknown_language(org: Organization) -> None:
    with pytest.raises(ValidationError) as excinfo:
        create(org, texts={"es": {"question": "¿?", "follow_up": "¿?", "thank_you": "¡!"}})
    assert "Unknown language “es”" in errors_of(excinfo)["texts"][0]


def test_it_lists_every_missing_text(survey: Survey) -> None:
    with pytest.raises(ValidationError) as excinfo:
        survey_update(survey=survey, texts={"en": {"question": "  "}})
    assert errors_of(excinfo)["texts"] == [
        "Missing the question in en.",
        "Missing the follow-up question in en.",
        "Missing the thank-you text in en.",
    ]


def test_it_needs_texts_in_the_default_language(survey: Survey) -> None:
    with pytest.raises(ValidationError) as excinfo:
        survey_update(survey=survey, default_language="de", texts={"en": survey.texts["en"]})
    assert errors_of(excinfo)["texts"] == ["Add texts in the default language (de)."]


def test_it_refuses_an_unknown_placeholder(org: Organization) -> None:
    with pytest.raises(ValidationError) as excinfo:
        create(org, texts={"en": {"question": "Would {name} recommend us?"}})
    assert errors_of(excinfo)["texts"] == [
        "Unknown placeholder {name} in the question in en: use {product}, {company}."
    ]


def test_it_refuses_an_unknown_text_key(org: Organization) -> None:
    with pytest.raises(ValidationError) as excinfo:
        create(org, texts={"en": {"titel": "x"}})
    assert "Unknown text “titel” in en" in errors_of(excinfo)["texts"][0]


@pytest.mark.parametrize("percent", [-1, 101])
def test_it_refuses_a_sampling_percent_outside_0_to_100(org: Organization, percent: int) -> None:
    with pytest.raises(ValidationError) as excinfo:
        create(org, sampling_percent=percent)
    assert errors_of(excinfo)["sampling_percent"] == [
        "Choose a sampling percent between 0 and 100."
    ]


@pytest.mark.parametrize(
    "field", ["first_prompt_after_days", "hide_after_answer_days", "hide_after_dismiss_days"]
)
def test_it_refuses_negative_days(org: Organization, field: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        create(org, **{field: -1})
    assert errors_of(excinfo)[field] == ["Use 0 days or more."]


def test_it_refuses_a_blank_name_and_an_unknown_kind(org: Organization) -> None:
    with pytest.raises(ValidationError) as excinfo:
        create(org, name="  ")
    assert errors_of(excinfo)["name"] == ["Give the survey a name."]
    with pytest.raises(ValidationError) as excinfo:
        create(org, kind="nps")
    assert "Unknown kind “nps”" in errors_of(excinfo)["kind"][0]


def test_it_refuses_a_logo_that_is_not_a_web_address(org: Organization) -> None:
    with pytest.raises(ValidationError) as excinfo:
        create(org, logo_url="javascript:alert(1)")
    assert "logo_url" in errors_of(excinfo)


# Services


def test_it_creates_a_survey_with_branding_and_policy(org: Organization) -> None:
    survey = create(
        org,
        accent_color="#ff6600",
        position="inline",
        logo_url="https://cdn.example.com/logo.svg",
        sampling_percent=25,
        first_prompt_after_days=14,
    )
    survey.refresh_from_db()
    assert (survey.accent_color, survey.position, survey.sampling_percent) == (
        "#ff6600",
        "inline",
        25,
    )
    assert (survey.first_prompt_after_days, survey.hide_after_answer_days) == (14, 90)
    assert survey.hide_after_dismiss_days == 10
    assert survey.is_active


def test_it_gives_each_survey_an_unguessable_stable_public_key(org: Organization) -> None:
    one, two = create(org), create(org)
    assert one.public_key != two.public_key
    assert len(one.public_key) >= 22  # 128 random bits
    key = one.public_key
    survey_update(survey=one, name="Renamed", sampling_percent=50)
    one.refresh_from_db()
    assert (one.name, one.public_key) == ("Renamed", key)
    with pytest.raises(TypeError, match="public_key"):
        survey_update(survey=one, public_key="chosen")  # type: ignore[call-arg]


def test_it_updates_only_the_fields_given(survey: Survey) -> None:
    survey_update(survey=survey, hide_after_answer_days=30, kind="custom")
    survey.refresh_from_db()
    assert (survey.hide_after_answer_days, survey.kind, survey.name) == (
        30,
        "custom",
        "Product NPS",
    )


def test_it_stores_nothing_when_an_update_is_invalid(survey: Survey) -> None:
    with pytest.raises(ValidationError):
        survey_update(survey=survey, accent_color="blue", name="New name")
    survey.refresh_from_db()
    assert (survey.name, survey.accent_color) == ("Product NPS", "#2563eb")


def test_it_pauses_and_resumes_a_survey(survey: Survey) -> None:
    survey_pause(survey=survey)
    survey.refresh_from_db()
    assert not survey.is_active
    survey_resume(survey=survey)
    survey.refresh_from_db()
    assert survey.is_active


# Texts for the widget


def test_it_picks_the_respondents_language_from_a_regional_tag(survey: Survey) -> None:
    texts = widget_texts(survey=survey, language="fr-CA")
    assert texts["language"] == "fr"
    assert texts["question"] == (
        "Quelle est la probabilité que vous recommandiez Example App "
        f"à un ami ou un collègue{NBSP}?"
    )
    assert texts["labels"]["not_now"] == "Pas maintenant"


def test_it_reads_an_accept_language_header_by_preference(survey: Survey) -> None:
    assert (
        widget_texts(survey=survey, language="es-ES,es;q=0.9,de;q=0.8,fr;q=0.5")["language"] == "de"
    )
    assert widget_texts(survey=survey, language="de_AT")["language"] == "de"


@pytest.mark.parametrize("language", ["es", "", None, "x" * 300, "zz-ZZ;q=abc"])
def test_it_falls_back_to_the_survey_default_language(
    org: Organization, language: str | None
) -> None:
    survey = create(org, default_language="fr")
    assert widget_texts(survey=survey, language=language)["language"] == "fr"


def test_it_only_offers_languages_the_survey_has(survey: Survey) -> None:
    survey_update(survey=survey, texts={"en": survey.texts["en"]})
    assert widget_texts(survey=survey, language="de")["language"] == "en"


def test_it_fills_product_and_company_placeholders(org: Organization) -> None:
    texts = {"en": {"thank_you": "Thanks from {company} for rating {product}!"}}
    named = create(org, product_name="Rocket", texts=texts)
    assert widget_texts(survey=named, language="en")["thank_you"] == (
        "Thanks from Example Inc for rating Rocket!"
    )
    unnamed = create(org, texts=texts)
    assert widget_texts(survey=unnamed, language="en")["thank_you"] == (
        "Thanks from Example Inc for rating Example Inc!"
    )


def test_it_gives_a_follow_up_per_category(survey: Survey) -> None:
    follow_up = widget_texts(survey=survey, language="en")["follow_up"]
    assert follow_up["passive"] == "What would make Example App a 10 for you?"
    assert follow_up["promoter"].startswith("Great to hear!")
    assert follow_up["detractor"].startswith("We're sorry")


def test_it_falls_back_to_the_generic_follow_up(org: Organization) -> None:
    survey = create(org, kind="custom", texts={"en": {"follow_up_promoter": "Why a 10?"}})
    follow_up = widget_texts(survey=survey, language="en")["follow_up"]
    assert follow_up == {
        "detractor": "What is the main reason for your score?",
        "passive": "What is the main reason for your score?",
        "promoter": "Why a 10?",
    }


def test_it_labels_the_scale_ends_and_the_refusals_in_german(survey: Survey) -> None:
    labels = widget_texts(survey=survey, language="de")["labels"]
    assert labels["scale_low"] == "Überhaupt nicht wahrscheinlich"
    assert labels["scale_high"] == "Äußerst wahrscheinlich"
    assert (labels["not_now"], labels["never"]) == ("Nicht jetzt", "Nicht mehr fragen")


def test_it_fills_gaps_of_a_survey_saved_outside_the_services(in_org: Organization) -> None:
    survey = Survey.objects.create(
        organization=in_org, name="Legacy", question="Recommend {company}?"
    )
    texts = widget_texts(survey=survey, language="en")
    assert texts["question"] == "Recommend Example Inc?"
    assert texts["thank_you"] == "Thank you for your feedback!"


# Tenancy


def test_it_hides_another_orgs_survey_inside_the_tenant_context(
    org: Organization, other_org: Organization
) -> None:
    mine, theirs = create(org, name="Mine"), create(other_org, name="Theirs")
    with tenant_context(org):
        assert list(Survey.objects.all()) == [mine]
        assert not Survey.objects.filter(public_key=theirs.public_key).exists()


def test_it_refuses_to_create_a_survey_for_another_org_inside_a_context(
    org: Organization, other_org: Organization
) -> None:
    with tenant_context(org), pytest.raises(ValueError, match="Refusing"):
        create(other_org)


def test_it_finds_any_orgs_survey_by_public_key(
    org: Organization, other_org: Organization, django_assert_num_queries: Any
) -> None:
    theirs = create(other_org, name="Theirs")
    survey_pause(survey=theirs)
    with tenant_context(org), django_assert_num_queries(1):
        found = survey_by_public_key(public_key=theirs.public_key)
        assert found is not None
        assert found.organization.name == "Other Ltd"  # no second query
    assert found == theirs
    assert not found.is_active


@pytest.mark.parametrize("key", ["", "unknown-key", "x" * 1000])
def test_it_finds_no_survey_for_an_unknown_key(survey: Survey, key: str) -> None:
    assert survey_by_public_key(public_key=key) is None


# Identity verification


def test_it_verifies_a_user_hash_signed_with_the_org_secret(org: Organization) -> None:
    good = user_hash_for(organization=org, user_id="user-42")
    assert verify_user_hash(organization=org, user_id="user-42", user_hash=good)
    assert verify_user_hash(organization=org, user_id="user-42", user_hash=good.upper())


@pytest.mark.parametrize("forged", ["", "0" * 64, "not-hex", "é" * 64])
def test_it_refuses_a_forged_user_hash(org: Organization, forged: str) -> None:
    assert not verify_user_hash(organization=org, user_id="user-42", user_hash=forged)


def test_it_refuses_a_hash_for_another_user_or_org(
    org: Organization, other_org: Organization
) -> None:
    assert org.identity_secret != other_org.identity_secret
    assert len(org.identity_secret) >= 40
    theirs = user_hash_for(organization=other_org, user_id="user-42")
    assert not verify_user_hash(organization=org, user_id="user-42", user_hash=theirs)
    alices = user_hash_for(organization=org, user_id="alice")
    assert not verify_user_hash(organization=org, user_id="mallory", user_hash=alices)
    assert not verify_user_hash(organization=org, user_id="", user_hash=alices)


def test_it_leaves_identity_verification_off_with_a_week_of_fatigue_by_default(
    org: Organization,
) -> None:
    assert (org.require_identity_verification, org.fatigue_days) == (False, 7)


# Admin


@pytest.fixture
def staff_client(db: None) -> Client:
    user = get_user_model().objects.create_superuser(
        username="root@example.com", email="root@example.com", password="x-long-password"
    )
    client = Client()
    client.force_login(user)
    return client


def test_it_lists_and_edits_surveys_in_the_admin(staff_client: Client, survey: Survey) -> None:
    assert staff_client.get("/admin/surveys/survey/").status_code == 200
    add = staff_client.get("/admin/surveys/survey/add/")
    assert add.status_code == 200
    assert "How likely are you to recommend {product}" in add.content.decode()
    change = staff_client.get(f"/admin/surveys/survey/{survey.pk}/change/")
    assert change.status_code == 200
    assert survey.public_key in change.content.decode()


def test_it_pauses_surveys_from_the_admin(staff_client: Client, survey: Survey) -> None:
    response = staff_client.post(
        "/admin/surveys/survey/", {"action": "pause", "_selected_action": [survey.pk]}
    )
    assert response.status_code == 302
    survey.refresh_from_db()
    assert not survey.is_active


def test_it_creates_a_survey_from_the_admin(staff_client: Client, org: Organization) -> None:
    response = staff_client.post(
        "/admin/surveys/survey/add/",
        {
            "organization": org.pk,
            "name": "Admin-made",
            "kind": "customer",
            "is_active": "on",
            "product_name": "",
            "default_language": "en",
            "texts": json.dumps(preset_texts("customer")),
            "accent_color": "#ABCDEF",
            "position": "bottom-left",
            "logo_url": "",
            "allowed_origins": '["HTTPS://App.Example.com/"]',
            "first_prompt_after_days": 0,
            "hide_after_answer_days": 90,
            "hide_after_dismiss_days": 10,
            "sampling_percent": 100,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_context(org):
        survey = Survey.objects.get(name="Admin-made")
    assert (survey.accent_color, survey.allowed_origins) == ("#abcdef", ["https://app.example.com"])


def test_a_public_key_never_starts_with_a_dash_so_it_works_as_a_command_line_argument() -> None:
    keys = [new_public_key() for _ in range(3000)]
    assert not any(key.startswith("-") for key in keys)
    assert len(set(keys)) == len(keys) and all(len(key) == 22 for key in keys)
