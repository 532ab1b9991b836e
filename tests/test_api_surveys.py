"""`/api/v1/surveys`: integrators create, change, pause and delete surveys from code."""

import json
from typing import Any

import pytest
from django.test import Client

from responses.models import Response
from surveys.models import Survey
from surveys.services import survey_create
from tenants.models import Organization

URL = "/api/v1/surveys"


def api(key: str | None = None) -> Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return Client(headers=headers)


def send(key: str | None, method: str, url: str, body: Any = None) -> Any:
    data = body if isinstance(body, str) or body is None else json.dumps(body)
    call = getattr(api(key), method)
    return call(url, data, content_type="application/json") if data is not None else call(url)


def saved(survey: Survey) -> Survey:
    return Survey.objects.unscoped().get(pk=survey.pk)


@pytest.fixture
def other_survey(other_org: Organization) -> Survey:
    return survey_create(organization=other_org, kind="customer", name="Theirs")


# Create ------------------------------------------------------------------------


def test_it_creates_a_survey_from_a_template_with_its_install_code(
    api_key: str, org: Organization
) -> None:
    response = send(
        api_key,
        "post",
        URL,
        {
            "kind": "employee",
            "name": "  eNPS Q3 ",
            "default_language": "fr",
            "texts": {"fr": {"thank_you": "Merci, {company} !"}},
            "allowed_origins": ["HTTPS://Intranet.Example.com:443/"],
            "accent_color": "#ABCDEF",
            "sampling_percent": 40,
            "recur_days": 90,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    survey = Survey.objects.unscoped().get(pk=body["id"])
    assert survey.organization == org
    assert (body["name"], body["kind"], body["default_language"]) == ("eNPS Q3", "employee", "fr")
    assert body["allowed_origins"] == ["https://intranet.example.com"]
    assert (body["accent_color"], body["sampling_percent"], body["recur_days"]) == (
        "#abcdef",
        40,
        90,
    )
    # The template fills every language; the text given is merged over it.
    assert set(body["texts"]) == {"en", "fr", "de"}
    assert body["texts"]["fr"]["thank_you"] == "Merci, {company} !"
    assert "{company}" in body["texts"]["fr"]["question"]
    assert body["public_key"] == survey.public_key and body["is_active"] is True
    install = body["install"]
    assert install["link_url"] == f"http://testserver/s/{survey.public_key}"
    assert f'data-survey="{survey.public_key}"' in install["snippet"]
    assert install["script_url"] in install["snippet"]
    assert install["qr_png_url"].endswith(f"/s/{survey.public_key}/qr.png")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "nope", "name": "X"}, "kind"),
        ({"kind": "customer"}, "name"),
        ({"kind": "customer", "name": "   "}, "name"),
        ({"kind": "customer", "name": "X", "accent_color": "blue"}, "accent_color"),
        (
            {"kind": "customer", "name": "X", "allowed_origins": ["https://a.com/path"]},
            "allowed_origins",
        ),
        ({"kind": "customer", "name": "X", "sampling_percent": 101}, "sampling_percent"),
        ({"kind": "customer", "name": "X", "hide_after_answer_days": -1}, "hide_after_answer_days"),
        ({"kind": "customer", "name": "X", "recur_days": 0}, "recur_days"),
        ({"kind": "customer", "name": "X", "texts": {"xx": {"question": "?"}}}, "texts"),
        ({"kind": "customer", "name": "X", "texts": {"en": {"question": "{oops}"}}}, "texts"),
        ({"kind": "customer", "name": "X", "texts": {"en": {"question": ""}}}, "texts"),
        ({"kind": "customer", "name": "X", "position": "top"}, "position"),
        ({"kind": "customer", "name": "X", "logo_url": "ftp://x.test/a.png"}, "logo_url"),
    ],
)
def test_it_refuses_an_invalid_survey_and_creates_nothing(
    api_key: str, org: Organization, body: Any, field: str
) -> None:
    response = send(api_key, "post", URL, body)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert (error["code"], list(error["details"])) == ("invalid", [field])
    assert not Survey.objects.unscoped().exists()


def test_it_explains_problems_in_the_back_offices_words(api_key: str) -> None:
    body = {
        "kind": "customer",
        "name": "X",
        "allowed_origins": ["https://a.com/path"],
        "texts": {"en": {"question": "Would you recommend {oops}?"}},
    }
    details = send(api_key, "post", URL, body).json()["error"]["details"]
    assert "is not an origin" in details["allowed_origins"][0]
    assert "Unknown placeholder {oops}" in details["texts"][0]


def test_a_read_only_key_cannot_create(read_only_key: str, org: Organization) -> None:
    response = send(read_only_key, "post", URL, {"kind": "customer", "name": "X"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not Survey.objects.unscoped().exists()


def test_it_needs_a_key(org: Organization) -> None:
    assert send(None, "post", URL, {"kind": "customer", "name": "X"}).status_code == 401
    assert send(None, "get", URL).status_code == 401
    assert send("nps_bad_key", "get", URL).status_code == 401
    assert not Survey.objects.unscoped().exists()


# Read ------------------------------------------------------------------------


def test_it_lists_only_the_keys_organization_surveys(
    api_key: str, read_only_key: str, other_api_key: str, survey: Survey, other_survey: Survey
) -> None:
    page = send(read_only_key, "get", URL).json()
    assert [row["id"] for row in page["results"]] == [survey.pk]
    assert page["count"] == 1
    theirs = send(other_api_key, "get", URL).json()
    assert [row["id"] for row in theirs["results"]] == [other_survey.pk]


def test_it_reads_a_survey_by_id_or_public_key(read_only_key: str, survey: Survey) -> None:
    for reference in (survey.pk, survey.public_key):
        response = send(read_only_key, "get", f"{URL}/{reference}")
        assert response.status_code == 200
        assert response.json()["public_key"] == survey.public_key


def test_another_organizations_key_gets_404_everywhere(
    other_api_key: str, survey: Survey, other_survey: Survey
) -> None:
    for reference in (survey.pk, survey.public_key):
        base = f"{URL}/{reference}"
        for method, url, body in (
            ("get", base, None),
            ("patch", base, {"name": "Hijacked"}),
            ("delete", base, None),
            ("post", f"{base}/pause", None),
            ("post", f"{base}/resume", None),
        ):
            response = send(other_api_key, method, url, body)
            assert response.status_code == 404, (method, url)
            assert response.json()["error"]["code"] == "not_found"
    kept = saved(survey)
    assert (kept.name, kept.is_active) == ("Product NPS", True)


def test_an_unknown_survey_is_404(read_only_key: str, org: Organization) -> None:
    assert send(read_only_key, "get", f"{URL}/999999").status_code == 404
    assert send(read_only_key, "get", f"{URL}/no-such-key").status_code == 404


# Change ------------------------------------------------------------------------


def test_it_changes_only_the_fields_sent_and_merges_texts(api_key: str, survey: Survey) -> None:
    before = saved(survey)
    response = send(
        api_key,
        "patch",
        f"{URL}/{survey.pk}",
        {
            "texts": {
                "fr": {"question": "Recommanderiez-vous {product} ?", "follow_up_promoter": None},
                "de": None,
            },
            "hide_after_dismiss_days": 20,
            "recur_days": None,
        },
    )
    assert response.status_code == 200, response.content
    after = saved(survey)
    assert after.texts["fr"]["question"] == "Recommanderiez-vous {product} ?"
    assert "follow_up_promoter" not in after.texts["fr"]
    assert after.texts["fr"]["thank_you"] == before.texts["fr"]["thank_you"]
    assert after.texts["en"] == before.texts["en"]
    assert "de" not in after.texts
    assert after.hide_after_dismiss_days == 20
    assert (after.name, after.public_key, after.allowed_origins) == (
        before.name,
        before.public_key,
        before.allowed_origins,
    )


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"sampling_percent": 101, "name": "Changed"},
        {"texts": {"en": None}, "name": "Changed"},  # the default language needs texts
        {"texts": {"en": {"question": None}}},
        {"allowed_origins": "https://a.com"},
        {"first_prompt_after_days": 3651},
        {"default_language": "it"},
    ],
)
def test_an_invalid_change_changes_nothing(api_key: str, survey: Survey, body: Any) -> None:
    before = saved(survey)
    response = send(api_key, "patch", f"{URL}/{survey.pk}", body)
    assert response.status_code == 422, response.content
    after = saved(survey)
    assert (after.name, after.texts, after.sampling_percent, after.allowed_origins) == (
        before.name,
        before.texts,
        before.sampling_percent,
        before.allowed_origins,
    )
    assert after.updated_at == before.updated_at


def test_a_read_only_key_cannot_change_pause_or_delete(read_only_key: str, survey: Survey) -> None:
    base = f"{URL}/{survey.pk}"
    for method, url, body in (
        ("patch", base, {"name": "Changed"}),
        ("delete", base, None),
        ("post", f"{base}/pause", None),
    ):
        assert send(read_only_key, method, url, body).status_code == 403
    kept = saved(survey)
    assert (kept.name, kept.is_active) == ("Product NPS", True)


def test_it_answers_400_to_malformed_json(api_key: str, survey: Survey) -> None:
    response = send(api_key, "patch", f"{URL}/{survey.pk}", "{not json")
    assert response.status_code == 400
    assert saved(survey).name == "Product NPS"


# Pause, resume, delete -------------------------------------------------------------


def test_it_pauses_and_resumes_a_survey(api_key: str, survey: Survey) -> None:
    for action, active in (("pause", False), ("pause", False), ("resume", True)):
        response = send(api_key, "post", f"{URL}/{survey.pk}/{action}")
        assert response.status_code == 200
        assert response.json()["is_active"] is active
        assert saved(survey).is_active is active


def test_deleting_a_survey_deletes_its_responses_only(
    api_key: str, survey: Survey, other_survey: Survey, org: Organization
) -> None:
    kept = survey_create(organization=org, kind="partner", name="Kept")
    for target in (survey, kept, other_survey):
        Response.objects.unscoped().create(organization=target.organization, survey=target, score=9)
    response = send(api_key, "delete", f"{URL}/{survey.pk}")
    assert response.status_code == 204
    assert not Survey.objects.unscoped().filter(pk=survey.pk).exists()
    assert not Response.objects.unscoped().filter(survey_id=survey.pk).exists()
    assert Response.objects.unscoped().filter(survey=kept).count() == 1
    assert Response.objects.unscoped().filter(survey=other_survey).count() == 1
    assert send(api_key, "get", f"{URL}/{survey.pk}").status_code == 404
