"""The widget's busiest writes: a first answer in one statement on PostgreSQL,
a config request in one read, and the receivers that must not be skipped."""

from typing import Any

import pytest
from django.db import connection
from django.db.models.signals import post_save
from django.test import Client
from django.test.utils import CaptureQueriesContext

from alerts.models import Destination
from integrations.services import webhook_create
from responses import hooks
from responses.models import PromptEvent, Respondent, Response
from surveys.models import Survey
from surveys.selectors import widget_surveys_forget
from surveys.services import variant_create
from tenants.context import tenant_context
from tenants.models import Organization

from .test_widget_api import ANON, ANSWER_ID, answer, config, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def as_in_production(settings: Any) -> Any:
    """Generous limits (every test posts from 127.0.0.1), and the survey
    remembered by the process, as production does: the statements counted
    below are then the request's own."""
    settings.WIDGET_RATE_LIMIT_PER_IP = (100_000, 60)
    settings.WIDGET_RATE_LIMIT_PER_SURVEY = (100_000, 60)
    settings.WIDGET_SURVEY_CACHE_SECONDS = 5
    widget_surveys_forget()
    yield
    widget_surveys_forget()


def _statements(client: Client, survey: Survey, token: str, **body: Any) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert answer(client, survey, token, **body).status_code == 201
    return _run(queries)


def _run(queries: CaptureQueriesContext) -> list[str]:
    """What ran, leaving out the one-time PREPARE of a statement on this connection."""
    return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("PREPARE ")]


def _stored(org: Organization) -> Response:
    with tenant_context(org):
        return Response.objects.get(client_id=ANSWER_ID)


@pytest.mark.postgres
def test_it_stores_a_first_answer_and_its_event_in_one_statement(
    client: Client, survey: Survey, org: Organization
) -> None:
    token = token_for(client, survey, user={"id": "u-1", "traits": {"plan": "pro"}})
    statements = _statements(client, survey, token, score=3, comment="Slow", language="fr")
    assert len(statements) == 1, statements
    stored = _stored(org)
    assert (stored.score, stored.comment, stored.language, stored.channel) == (
        3,
        "Slow",
        "fr",
        "widget",
    )
    # The person's traits at the time of the answer, as the general path stores them.
    assert stored.properties == {"plan": "pro"}
    assert stored.follow_up_status == "new" and stored.tags == []
    with tenant_context(org):
        event = PromptEvent.objects.get(kind=PromptEvent.Kind.ANSWER)
    assert (event.respondent_id, event.survey_id, event.created_at) == (
        stored.respondent_id,
        survey.pk,
        stored.created_at,
    )


def test_a_retry_of_a_first_answer_updates_it_instead_of_counting_twice(
    client: Client, survey: Survey, org: Organization
) -> None:
    token = token_for(client, survey)
    assert answer(client, survey, token, score=4).status_code == 201
    retried = answer(client, survey, token, score=8)
    assert (retried.status_code, retried.json()["score"]) == (200, 8)
    with tenant_context(org):
        assert Response.objects.count() == 1
        assert PromptEvent.objects.filter(kind=PromptEvent.Kind.ANSWER).count() == 1


def test_it_refuses_the_token_of_a_person_erased_since(
    client: Client, survey: Survey, org: Organization
) -> None:
    token = token_for(client, survey)
    with tenant_context(org):
        Respondent.objects.all().delete()
    refused = answer(client, survey, token)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "invalid_token")
    with tenant_context(org):
        assert not Response.objects.exists()


def test_it_records_the_variant_the_person_was_shown(
    client: Client, survey: Survey, org: Organization
) -> None:
    with tenant_context(org):
        variant = variant_create(survey=survey, name="Short", weight=100)
    token = token_for(client, survey)
    answer(client, survey, token)
    assert _stored(org).variant_id == variant.pk


@pytest.mark.postgres
def test_it_tells_subscribers_of_a_first_answer_and_only_them(
    client: Client,
    survey: Survey,
    org: Organization,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = True  # nothing is sent: it is only queued
    token = token_for(client, survey)
    with django_capture_on_commit_callbacks() as unheard:
        assert answer(client, survey, token, id="answer-unheard-0001").status_code == 201
    assert unheard == []
    with tenant_context(org):
        webhook_create(organization=org, url="http://127.0.0.1:9/nps", events=["response.created"])
        Destination.objects.create(organization=org, name="#cx", url="http://127.0.0.1:9/chat")
    with django_capture_on_commit_callbacks() as told:
        statements = _statements(client, survey, token, score=2)
    assert len(statements) == 1
    # The webhook delivery and the chat alert, each queued for after the commit.
    assert len(told) == 2


def test_every_receiver_of_new_answers_is_known_to_the_widget_path() -> None:
    """The one-statement path sends post_save only to organizations a
    registered listener wants: a receiver it knows nothing of would miss
    the widget's answers."""
    receivers = {key[0] for key, *_ in post_save.receivers if key[1] == id(Response)}
    known = set(hooks.answer_listeners) | set(hooks.NOT_FOR_WIDGET_FIRST_SENDS)
    assert receivers <= known, receivers - known
    assert {"integrations.response_saved", "alerts.response_saved"} <= set(hooks.answer_listeners)


@pytest.mark.postgres
def test_a_config_request_for_a_known_person_is_one_read(client: Client, survey: Survey) -> None:
    config(client, survey, anonymous_id=ANON)
    with CaptureQueriesContext(connection) as queries:
        body = config(client, survey, anonymous_id=ANON).json()
    assert body["show"] is True
    assert len(_run(queries)) == 1, _run(queries)
