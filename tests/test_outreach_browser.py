"""The email landing page in a real browser: the page records the score by
itself, while a fetch without JavaScript records nothing until confirmed."""

from typing import Any

import pytest

from outreach import services
from outreach.emails import score_url
from outreach.models import SurveyRequest
from outreach.services import Recipient
from responses.models import Response
from surveys.models import Survey
from tenants.context import tenant_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def link(live_server: Any, survey: Survey, score: int) -> str:
    with tenant_context(survey.organization):
        request = services.request_schedule(
            survey=survey, recipient=Recipient(email="ada@example.com", name="Ada")
        )
    path = "/" + score_url(request=request, score=score).split("/", 3)[3]
    return live_server.url + path


def answers(survey: Survey) -> list[Response]:
    with tenant_context(survey.organization):
        return list(Response.objects.all())


def test_the_page_records_the_score_by_itself_and_takes_a_comment(
    page: Any, live_server: Any, survey: Survey
) -> None:
    page.goto(link(live_server, survey, 9))
    page.get_by_text("your score 9 is recorded").wait_for()
    (answer,) = answers(survey)
    assert (answer.score, answer.channel) == (9, "email")
    page.get_by_role("textbox").fill("Fast and friendly")
    page.get_by_role("button", name="Send").click()
    page.get_by_text("Thank you for your feedback!").wait_for()
    assert answers(survey)[0].comment == "Fast and friendly"
    with tenant_context(survey.organization):
        assert SurveyRequest.objects.get().answered_at is not None


def test_without_javascript_the_score_waits_for_the_button(
    browser: Any, live_server: Any, survey: Survey
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(link(live_server, survey, 4))
        button = page.get_by_role("button", name="Confirm my score 4")
        button.wait_for()
        assert answers(survey) == []
        button.click()
        page.get_by_text("your score 4 is recorded").wait_for()
    finally:
        context.close()
    assert [answer.score for answer in answers(survey)] == [4]
