"""The widget's survey lookups are remembered a few seconds per process, and a
change saved through the app is seen by this process's next request at once."""

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from surveys import selectors
from surveys.models import Survey
from surveys.services import survey_pause
from tenants.models import Organization
from tenants.services import identity_verification_set

from .test_widget_api import ANON, assert_error, config

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def remembered(settings: Any) -> Any:
    settings.WIDGET_SURVEY_CACHE_SECONDS = 5
    settings.WIDGET_RATE_LIMIT_PER_IP = (100_000, 60)
    settings.WIDGET_RATE_LIMIT_PER_SURVEY = (100_000, 60)
    selectors.widget_surveys_forget()
    yield
    selectors.widget_surveys_forget()


def _survey_lookups(client: Client, survey: Survey) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert config(client, survey).status_code == 200
    # A plain query, or on PostgreSQL the lookup function row-level security provides.
    names = ('FROM "surveys_survey"', "nps_survey_by_public_key")
    return sum(any(name in query["sql"] for name in names) for query in queries.captured_queries)


def test_it_looks_a_survey_up_once_within_the_cache_time(client: Client, survey: Survey) -> None:
    assert _survey_lookups(client, survey) == 1
    assert _survey_lookups(client, survey) == 0


def test_it_sees_a_paused_survey_at_once(client: Client, survey: Survey) -> None:
    assert config(client, survey).json()["show"] is True
    survey_pause(survey=survey)
    body = config(client, survey).json()
    assert (body["show"], body["reason"]) == (False, "inactive")


def test_it_sees_a_changed_organization_at_once(
    client: Client, survey: Survey, org: Organization
) -> None:
    assert config(client, survey).status_code == 200
    identity_verification_set(organization=org, required=True)
    assert_error(config(client, survey, anonymous_id=ANON), 403, "identity_required")


def test_it_reads_a_change_made_elsewhere_once_the_entry_expires(
    client: Client, survey: Survey, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert config(client, survey).json()["show"] is True
    # Another process pauses the survey: nothing tells this one.
    Survey.objects.unscoped().filter(pk=survey.pk).update(is_active=False)
    assert config(client, survey).json()["show"] is True
    later = selectors.time.monotonic() + 6
    monkeypatch.setattr(selectors.time, "monotonic", lambda: later)
    assert config(client, survey).json()["reason"] == "inactive"


def test_it_does_not_remember_unknown_keys(client: Client, survey: Survey) -> None:
    assert selectors.widget_survey(public_key="no-such-key") is None
    assert "no-such-key" not in selectors._WIDGET_SURVEYS
