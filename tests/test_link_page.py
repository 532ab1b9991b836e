"""The hosted survey page /s/<public key> and its QR code."""

import json
from typing import Any

import pytest
from django.test import Client

from responses.link import link_url
from responses.models import Response
from surveys.models import Survey
from surveys.services import survey_pause, survey_update
from tenants.context import tenant_context

CLIENT_ID = "link-answer-000000001"


@pytest.fixture(autouse=True)
def generous_rate_limits(settings: Any) -> None:
    settings.WIDGET_RATE_LIMIT_PER_IP = (100_000, 60)


def responses(survey: Survey) -> list[Response]:
    with tenant_context(survey.organization):
        return list(Response.objects.all())


def submit_score(client: Client, survey: Survey, score: str, **fields: str) -> Any:
    data = {"score": score, "id": CLIENT_ID, "channel": "link", "properties": "{}", **fields}
    return client.post(f"/s/{survey.public_key}", data)


def test_it_renders_a_form_that_needs_no_javascript(client: Client, survey: Survey) -> None:
    response = client.get(f"/s/{survey.public_key}")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Example App" in html
    assert html.count('type="radio" name="score"') == 11
    assert "<script" not in html
    assert 'method="post"' in html
    assert "Not at all likely" in html


def test_it_prefills_the_score_without_storing_it(client: Client, survey: Survey) -> None:
    html = client.get(f"/s/{survey.public_key}?score=9").content.decode()
    assert 'value="9" required checked' in html
    assert responses(survey) == []
    ignored = client.get(f"/s/{survey.public_key}?score=11").content.decode()
    assert "checked" not in ignored


def test_it_carries_ref_and_traits_to_the_answer(client: Client, survey: Survey) -> None:
    html = client.get(f"/s/{survey.public_key}?ref=newsletter&plan=pro&score=8").content.decode()
    properties = json.loads(
        html.split('name="properties" value="')[1].split('"')[0].replace("&quot;", '"')
    )
    assert properties == {"ref": "newsletter", "plan": "pro"}
    submit_score(client, survey, "8", properties=json.dumps(properties))
    (answer,) = responses(survey)
    assert answer.properties == {"ref": "newsletter", "plan": "pro"}
    assert (answer.score, answer.channel) == (8, "link")


def test_it_asks_the_follow_up_of_the_score_category(client: Client, survey: Survey) -> None:
    html = submit_score(client, survey, "2").content.decode()
    assert "What disappointed you most?" in html
    assert f'value="{CLIENT_ID}"' in html


def test_it_saves_the_comment_and_thanks(client: Client, survey: Survey) -> None:
    submit_score(client, survey, "10")
    comment = "<script>alert('x')</script>"
    done = client.post(f"/s/{survey.public_key}/comment", {"id": CLIENT_ID, "comment": comment})
    assert done.status_code == 302
    thanks = client.get(done["Location"])
    assert "Thank you for your feedback!" in thanks.content.decode()
    assert responses(survey)[0].comment == comment


def test_it_lets_the_comment_be_skipped(client: Client, survey: Survey) -> None:
    submit_score(client, survey, "6")
    data = {"id": CLIENT_ID, "comment": "draft", "skip": "1"}
    client.post(f"/s/{survey.public_key}/comment", data)
    assert responses(survey)[0].comment == ""


def test_it_counts_a_double_submit_once(client: Client, survey: Survey) -> None:
    submit_score(client, survey, "5")
    submit_score(client, survey, "7")
    (answer,) = responses(survey)
    assert answer.score == 7


@pytest.mark.parametrize("score", ["11", "-1", "", "7.0", "seven", " 7", "010"])
def test_it_refuses_a_bad_score(client: Client, survey: Survey, score: str) -> None:
    response = submit_score(client, survey, score)
    assert response.status_code == 422
    assert "Choose a score from 0 to 10." in response.content.decode()
    assert responses(survey) == []


def test_it_refuses_a_huge_comment(client: Client, survey: Survey) -> None:
    submit_score(client, survey, "9")
    response = client.post(
        f"/s/{survey.public_key}/comment", {"id": CLIENT_ID, "comment": "<x>" * 2_000}
    )
    assert response.status_code == 422
    assert "&lt;x&gt;" in response.content.decode()
    assert responses(survey)[0].comment == ""


def test_it_records_the_email_channel_but_no_other(client: Client, survey: Survey) -> None:
    submit_score(client, survey, "9", channel="email")
    submit_score(client, survey, "9", channel="api", id="link-answer-000000002")
    assert sorted(answer.channel for answer in responses(survey)) == ["email", "link"]


def test_it_speaks_the_respondent_language(client: Client, survey: Survey) -> None:
    html = client.get(f"/s/{survey.public_key}?lang=fr").content.decode()
    assert 'lang="fr"' in html
    assert "Pas du tout probable" in html
    by_header = client.get(f"/s/{survey.public_key}", HTTP_ACCEPT_LANGUAGE="de-AT,de;q=0.9")
    assert "Äußerst wahrscheinlich" in by_header.content.decode()


def test_it_escapes_survey_texts(client: Client, survey: Survey) -> None:
    survey_update(survey=survey, product_name="<img src=x onerror=alert(1)>")
    html = client.get(f"/s/{survey.public_key}").content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x" in html


def test_it_closes_a_paused_survey(client: Client, survey: Survey) -> None:
    survey_pause(survey=survey)
    assert "This survey is closed" in client.get(f"/s/{survey.public_key}").content.decode()
    submit_score(client, survey, "9")
    assert responses(survey) == []


@pytest.mark.parametrize("path", ["", "/qr.svg", "/qr.png", "/thanks"])
def test_it_answers_404_for_an_unknown_key(client: Client, survey: Survey, path: str) -> None:
    assert client.get(f"/s/no-such-key{path}").status_code == 404


def test_it_draws_the_link_as_a_qr_code(client: Client, survey: Survey) -> None:
    svg = client.get(f"/s/{survey.public_key}/qr.svg?ref=poster")
    assert svg["Content-Type"] == "image/svg+xml"
    assert b"<svg" in svg.content
    png = client.get(f"/s/{survey.public_key}/qr.png?scale=4")
    assert png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert link_url(survey=survey, ref="poster").endswith(f"/s/{survey.public_key}?ref=poster")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_works_in_a_browser_with_javascript_off(
    browser: Any, live_server: Any, survey: Survey
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"{live_server.url}/s/{survey.public_key}?score=9&ref=mail")
        assert page.get_by_role("radio", name="9").is_checked()
        page.get_by_role("radio", name="10 \u2013 Extremely likely").check(force=True)
        page.get_by_role("button", name="Send").click()
        page.get_by_label("Great to hear! What do you like most about Example App?").fill("Speed")
        page.get_by_role("button", name="Send").click()
        page.get_by_text("Thank you for your feedback!").wait_for()
    finally:
        context.close()
    (answer,) = responses(survey)
    assert (answer.score, answer.comment, answer.properties) == (10, "Speed", {"ref": "mail"})
