"""A real Celery worker on the Redis broker runs the beat task that sends due
survey requests, once, and recovers a send a stopped worker left unfinished."""

import time
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from outreach import services
from outreach.models import Status, SurveyRequest
from outreach.services import Recipient
from outreach.tasks import send_due
from surveys.models import Survey
from tenants.context import tenant_context

from .conftest import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def schedule(survey: Survey, email: str, delay: int = 0) -> SurveyRequest:
    with tenant_context(survey.organization):
        return services.request_schedule(
            survey=survey, recipient=Recipient(email=email), delay=delay
        )


def status_of(request: SurveyRequest) -> str:
    return SurveyRequest.objects.unscoped().get(pk=request.pk).status


def test_the_worker_sends_due_requests_once(
    worker: Any, survey: Survey, mailoutbox: list[Any]
) -> None:
    due = schedule(survey, "ada@example.com")
    later = schedule(survey, "bob@example.com", delay=3600)
    send_due.delay()
    send_due.delay()
    wait_until(lambda: status_of(due) == Status.SENT)
    send_due.delay()
    time.sleep(0.5)
    assert [message.to for message in mailoutbox] == [["ada@example.com"]]
    assert status_of(later) == Status.PENDING


def test_the_worker_recovers_a_stuck_send(
    worker: Any, survey: Survey, mailoutbox: list[Any]
) -> None:
    stuck = schedule(survey, "ada@example.com")
    SurveyRequest.objects.unscoped().filter(pk=stuck.pk).update(
        status=Status.SENDING, attempts=1, sending_started_at=timezone.now() - timedelta(hours=1)
    )
    send_due.delay()
    wait_until(lambda: status_of(stuck) == Status.SENT)
    assert len(mailoutbox) == 1
    assert SurveyRequest.objects.unscoped().get(pk=stuck.pk).attempts == 2
