"""Survey requests by email: scheduled in Postgres, sent exactly once, answered
through signed links that a mail scanner cannot trigger."""

import re
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail, signing
from django.db import connection
from django.test import Client
from django.utils import timezone

from bench.production import free_port
from outreach import services, tokens
from outreach.emails import score_url
from outreach.models import Status, Suppression, SurveyRequest
from outreach.services import Recipient
from responses.models import Channel, PromptEvent, Respondent, Response
from responses.services import answer_record
from surveys.models import Survey
from tenants.context import tenant_context
from tenants.models import Organization

from .smtp_server import smtp_server

ADA = Recipient(email="ada@example.com", name="Ada", properties={"plan": "pro"})


def schedule(survey: Survey, recipient: Recipient = ADA, **kwargs: Any) -> SurveyRequest:
    with tenant_context(survey.organization):
        return services.request_schedule(survey=survey, recipient=recipient, **kwargs)


def reload(request: SurveyRequest) -> SurveyRequest:
    return SurveyRequest.objects.unscoped().get(pk=request.pk)


def answers(survey: Survey) -> list[Response]:
    with tenant_context(survey.organization):
        return list(Response.objects.all())


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_it_sends_a_due_request_once(survey: Survey, mailoutbox: list[Any]) -> None:
    request = schedule(survey)
    assert services.requests_send_due() == 1
    assert services.requests_send_due() == 0
    request = reload(request)
    assert (request.status, request.attempts, len(mailoutbox)) == (Status.SENT, 1, 1)
    assert request.sent_at is not None
    with tenant_context(survey.organization):
        event = PromptEvent.objects.get()
    assert (event.kind, event.channel) == ("display", "email")


def test_it_waits_for_the_delay(survey: Survey, mailoutbox: list[Any]) -> None:
    now = timezone.now()
    request = schedule(survey, delay=3600, now=now)
    assert services.requests_send_due(now=now + timedelta(minutes=59)) == 0
    assert reload(request).status == Status.PENDING
    assert services.requests_send_due(now=now + timedelta(minutes=61)) == 1
    assert len(mailoutbox) == 1


def test_it_skips_a_person_prompted_within_the_fatigue_window(
    survey: Survey, mailoutbox: list[Any]
) -> None:
    first = schedule(survey)
    services.requests_send_due()
    second = schedule(survey)
    services.requests_send_due()
    second = reload(second)
    assert (second.status, second.skip_reason) == (Status.SKIPPED, "fatigue")
    assert reload(first).status == Status.SENT
    assert len(mailoutbox) == 1


def test_it_asks_again_once_the_fatigue_window_is_over(
    survey: Survey, mailoutbox: list[Any]
) -> None:
    schedule(survey)
    services.requests_send_due()
    with tenant_context(survey.organization):
        PromptEvent.objects.update(created_at=timezone.now() - timedelta(days=8))
    schedule(survey)
    assert services.requests_send_due() == 1


def test_a_recurring_request_waits_out_the_fatigue_window_instead_of_ending(
    survey: Survey, mailoutbox: list[Any]
) -> None:
    now = timezone.now()
    schedule(survey, now=now)
    services.requests_send_due(now=now)
    recurring_request = schedule(survey, source="recurring", now=now)
    services.requests_send_due(now=now + timedelta(minutes=1))
    waiting = reload(recurring_request)
    assert (waiting.status, waiting.skip_reason, waiting.attempts) == ("pending", "fatigue", 0)
    assert now + timedelta(days=6) < waiting.scheduled_at <= now + timedelta(days=7, minutes=1)
    assert len(mailoutbox) == 1
    assert services.requests_send_due(now=waiting.scheduled_at + timedelta(seconds=1)) == 1
    assert reload(recurring_request).status == "sent"
    assert len(mailoutbox) == 2


def test_it_skips_a_person_who_answered_on_the_widget_lately(
    survey: Survey, mailoutbox: list[Any]
) -> None:
    request = schedule(survey)
    with tenant_context(survey.organization):
        Response.objects.create(
            organization=survey.organization, survey=survey, respondent=request.respondent, score=9
        )
    services.requests_send_due()
    assert (reload(request).status, reload(request).skip_reason) == (Status.SKIPPED, "fatigue")
    assert mailoutbox == []


@pytest.mark.parametrize("reason", ["unsubscribed", "bounced"])
def test_it_never_emails_a_suppressed_address(
    reason: str, survey: Survey, org: Organization, mailoutbox: list[Any]
) -> None:
    with tenant_context(org):
        services.suppression_add(organization=org, email="ADA@example.com", reason=reason)
    request = schedule(survey)
    services.requests_send_due()
    assert (reload(request).status, reload(request).skip_reason) == (Status.SKIPPED, reason)
    assert mailoutbox == []


def test_it_skips_requests_of_a_paused_survey(survey: Survey, mailoutbox: list[Any]) -> None:
    request = schedule(survey)
    Survey.objects.unscoped().filter(pk=survey.pk).update(is_active=False)
    services.requests_send_due()
    assert reload(request).skip_reason == "inactive"


def test_two_workers_at_once_send_one_email(survey: Survey, mailoutbox: list[Any]) -> None:
    request = schedule(survey)
    with tenant_context(survey.organization):
        outcomes = [services.request_send(request_id=request.pk) for _ in range(2)]
    assert outcomes == [Status.SENT, ""]
    assert len(mailoutbox) == 1


def test_a_refused_send_is_retried_later_then_fails(
    survey: Survey, settings: Any, monkeypatch: Any
) -> None:
    settings.OUTREACH_MAX_ATTEMPTS = 2

    def refuse(self: Any, fail_silently: bool = False) -> int:
        raise OSError("SMTP refused")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    request = schedule(survey)
    services.requests_send_due()
    request = reload(request)
    assert (request.status, request.attempts, request.last_error) == (
        Status.PENDING,
        1,
        "SMTP refused",
    )
    assert request.scheduled_at > timezone.now()
    services.requests_send_due(now=timezone.now() + timedelta(hours=1))
    assert reload(request).status == Status.FAILED


def test_a_send_stuck_by_a_stopped_worker_is_recovered(
    survey: Survey, settings: Any, mailoutbox: list[Any]
) -> None:
    settings.OUTREACH_MAX_ATTEMPTS = 2
    request = schedule(survey)
    started = timezone.now() - timedelta(minutes=30)
    SurveyRequest.objects.unscoped().filter(pk=request.pk).update(
        status=Status.SENDING, attempts=1, sending_started_at=started
    )
    assert services.requests_send_due() == 1
    assert (reload(request).status, reload(request).attempts) == (Status.SENT, 2)
    SurveyRequest.objects.unscoped().filter(pk=request.pk).update(
        status=Status.SENDING, sending_started_at=started
    )
    services.requests_send_due()
    assert reload(request).status == Status.FAILED


def test_a_recent_send_in_progress_is_left_alone(survey: Survey, mailoutbox: list[Any]) -> None:
    request = schedule(survey)
    SurveyRequest.objects.unscoped().filter(pk=request.pk).update(
        status=Status.SENDING, sending_started_at=timezone.now()
    )
    assert services.requests_send_due() == 0
    assert reload(request).status == Status.SENDING


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_beat_runs_send_one_email(survey: Survey, mailoutbox: list[Any]) -> None:
    schedule(survey)
    barrier = threading.Barrier(4)
    results: list[int] = []

    def run() -> None:
        barrier.wait()
        try:
            results.append(services.requests_send_due())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 0, 0, 1]
    assert len(mailoutbox) == 1


# --- A real mail server that fails --------------------------------------------------


@pytest.fixture
def smtp(settings: Any) -> int:
    """Survey emails go out over SMTP to 127.0.0.1 on this port (nothing listens yet)."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    return port


def test_it_retries_a_survey_email_while_smtp_is_down_or_refusing_and_delivers_it_once(
    survey: Survey, smtp: int
) -> None:
    request = schedule(survey)
    started = timezone.now()
    assert services.requests_send_due(now=started) == 0  # nothing listens on the port
    down = reload(request)
    assert (down.status, down.attempts) == (Status.PENDING, 1)
    assert "refused" in down.last_error.lower()

    with smtp_server(port=smtp, refusing=True) as mailbox:
        assert services.requests_send_due(now=down.scheduled_at) == 0
        refused = reload(request)
        assert (refused.status, refused.attempts) == (Status.PENDING, 2)
        assert "451" in refused.last_error and mailbox.refused == 1
        # Back-off: the second wait is longer than the first.
        assert refused.scheduled_at - down.scheduled_at > down.scheduled_at - started
        assert services.requests_send_due(now=refused.scheduled_at - timedelta(seconds=1)) == 0
        assert mailbox.refused == 1  # not due yet: not even tried

        mailbox.refusing = False
        assert services.requests_send_due(now=refused.scheduled_at) == 1
        assert services.requests_send_due(now=refused.scheduled_at + timedelta(days=1)) == 0
    sent = reload(request)
    assert (sent.status, sent.attempts) == (Status.SENT, 3)
    (message,) = mailbox.messages
    assert b"To: ada@example.com" in message


def test_it_marks_a_survey_email_failed_once_the_smtp_server_refused_every_attempt(
    survey: Survey, smtp: int, settings: Any
) -> None:
    settings.OUTREACH_MAX_ATTEMPTS = 3
    request = schedule(survey)
    with smtp_server(port=smtp, refusing=True) as mailbox:
        for _ in range(3):
            services.requests_send_due(now=reload(request).scheduled_at)
        failed = reload(request)
        services.requests_send_due(now=timezone.now() + timedelta(days=7))
    assert (failed.status, failed.attempts) == (Status.FAILED, 3)
    assert "451" in failed.last_error
    assert (mailbox.refused, mailbox.messages) == (3, [])


# --- The email -------------------------------------------------------------------


def sent_email(survey: Survey, recipient: Recipient = ADA) -> tuple[SurveyRequest, Any]:
    request = schedule(survey, recipient)
    services.requests_send_due()
    return reload(request), mail.outbox[-1]


def score_links(message: Any) -> list[str]:
    return re.findall(r"http://[^\s\"<]+/e/[^\s\"<]+", message.body)


def test_the_email_has_eleven_signed_score_links_and_an_unsubscribe(
    survey: Survey, mailoutbox: list[Any]
) -> None:
    _, message = sent_email(survey)
    html = message.alternatives[0][0]
    links = score_links(message)
    assert len(links) == 11
    assert [tokens.score_link_read(token=link.rsplit("/", 1)[1]).score for link in links] == list(
        range(11)
    )
    assert all(link.replace("&", "&amp;") in html for link in links)
    assert message.to == ["ada@example.com"]
    assert "How likely are you to recommend Example App" in message.subject
    assert "/u/" in message.body
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_email_speaks_french_to_a_french_respondent(
    survey: Survey, mailoutbox: list[Any]
) -> None:
    _, message = sent_email(
        survey, Recipient(email="zoe@example.fr", properties={"language": "fr"})
    )
    assert "recommandiez Example App" in message.subject
    assert 'lang="fr"' in message.alternatives[0][0]


# --- The landing page ------------------------------------------------------------


def test_a_scanner_fetching_a_score_link_records_nothing(
    client: Client, survey: Survey, mailoutbox: list[Any]
) -> None:
    request, _ = sent_email(survey)
    page = client.get(path_of(score_url(request=request, score=9)))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Confirm my score 9" in html
    assert 'src="/static/outreach/landing.js"' in html
    assert answers(survey) == []


def test_the_post_records_the_score_once(
    client: Client, survey: Survey, mailoutbox: list[Any]
) -> None:
    request, _ = sent_email(survey)
    url = path_of(score_url(request=request, score=9))
    first = client.post(url)
    assert first.status_code == 200
    assert "your score 9 is recorded" in first.content.decode()
    assert 'name="comment"' in first.content.decode()
    again = client.post(path_of(score_url(request=request, score=2)))
    assert "already answered" in again.content.decode()
    (answer,) = answers(survey)
    assert (answer.score, answer.channel, answer.client_id) == (9, "email", request.client_id)
    assert answer.respondent_id == request.respondent_id
    assert answer.properties == {"plan": "pro"}
    assert reload(request).answered_at is not None


def test_the_comment_is_saved_and_can_be_changed(
    client: Client, survey: Survey, mailoutbox: list[Any]
) -> None:
    request, _ = sent_email(survey)
    url = path_of(score_url(request=request, score=3))
    client.post(url)
    thanks = client.post(f"{url}/comment", {"comment": "Too slow"})
    assert "Thank you" in thanks.content.decode()
    later = client.get(url)
    assert "already answered" in later.content.decode()
    assert "Too slow" in later.content.decode()
    client.post(f"{url}/comment", {"comment": "Slow, but better"})
    assert answers(survey)[0].comment == "Slow, but better"


def test_a_forged_link_gets_a_clear_400(client: Client, survey: Survey) -> None:
    page = client.get("/e/1.9:forged:signature")
    assert page.status_code == 400
    assert "not valid" in page.content.decode()
    assert client.post("/e/1.9:forged:signature").status_code == 400
    assert answers(survey) == []


def test_an_expired_link_gets_a_clear_410(
    client: Client, survey: Survey, settings: Any, mailoutbox: list[Any]
) -> None:
    request, _ = sent_email(survey)
    old = signing.TimestampSigner(salt="outreach.score-link")
    token = old.sign(f"{request.pk}.9")
    settings.SURVEY_LINK_MAX_AGE_DAYS = -1
    page = client.post(f"/e/{token}")
    assert page.status_code == 410
    assert "expired" in page.content.decode()
    assert answers(survey) == []


def test_an_answer_schedules_the_next_request_of_a_recurring_survey(
    client: Client, survey: Survey, mailoutbox: list[Any]
) -> None:
    Survey.objects.unscoped().filter(pk=survey.pk).update(recur_days=30)
    request, _ = sent_email(survey)
    client.post(path_of(score_url(request=request, score=10)))
    client.post(path_of(score_url(request=request, score=10)))
    with tenant_context(survey.organization):
        following = SurveyRequest.objects.exclude(pk=request.pk).get()
    answered_at = reload(request).answered_at
    assert answered_at is not None
    assert following.scheduled_at == answered_at + timedelta(days=30)
    assert (following.status, following.source, following.email) == (
        "pending",
        "recurring",
        "ada@example.com",
    )


def test_no_recurrence_when_the_survey_does_not_recur(
    client: Client, survey: Survey, mailoutbox: list[Any]
) -> None:
    request, _ = sent_email(survey)
    client.post(path_of(score_url(request=request, score=10)))
    with tenant_context(survey.organization):
        assert SurveyRequest.objects.count() == 1


def widget_answer(request: SurveyRequest, *, client_id: str, score: int = 8) -> Response:
    """The same person answering in the product, through the widget."""
    with tenant_context(request.survey.organization):
        response, _ = answer_record(
            survey=request.survey,
            respondent=request.respondent,
            client_id=client_id,
            score=score,
            channel=Channel.WIDGET,
        )
    return response


def recurring(survey: Survey) -> list[SurveyRequest]:
    with tenant_context(survey.organization):
        return list(SurveyRequest.objects.filter(source="recurring", status="pending"))


def test_an_answer_through_the_widget_sets_the_next_email_of_an_enrolled_person(
    survey: Survey, mailoutbox: list[Any]
) -> None:
    Survey.objects.unscoped().filter(pk=survey.pk).update(recur_days=30)
    survey.refresh_from_db()
    request, _ = sent_email(survey)
    first = widget_answer(request, client_id="w-1")
    [following] = recurring(survey)
    assert following.scheduled_at == first.created_at + timedelta(days=30)
    assert (following.email, following.respondent_id) == ("ada@example.com", request.respondent_id)

    later = widget_answer(request, client_id="w-2")
    [moved] = recurring(survey)
    assert moved.pk == following.pk
    assert moved.scheduled_at == later.created_at + timedelta(days=30)


def test_an_edited_answer_moves_nothing(survey: Survey, mailoutbox: list[Any]) -> None:
    Survey.objects.unscoped().filter(pk=survey.pk).update(recur_days=30)
    survey.refresh_from_db()
    request, _ = sent_email(survey)
    widget_answer(request, client_id="w-1", score=3)
    [before] = recurring(survey)
    widget_answer(request, client_id="w-1", score=9)
    assert [(r.pk, r.scheduled_at) for r in recurring(survey)] == [(before.pk, before.scheduled_at)]


def test_a_person_never_asked_by_email_is_not_enrolled_by_answering(survey: Survey) -> None:
    Survey.objects.unscoped().filter(pk=survey.pk).update(recur_days=30)
    survey.refresh_from_db()
    with tenant_context(survey.organization):
        stranger = Respondent.objects.create(
            organization=survey.organization, external_id="u9", email="eve@example.com"
        )
        answer_record(survey=survey, respondent=stranger, client_id="w-9", score=10)
        assert not SurveyRequest.objects.exists()


def test_a_request_scheduled_by_hand_is_left_as_it_is(
    survey: Survey, mailoutbox: list[Any]
) -> None:
    Survey.objects.unscoped().filter(pk=survey.pk).update(recur_days=30)
    survey.refresh_from_db()
    request, _ = sent_email(survey)
    by_hand = schedule(survey, delay=3600)
    widget_answer(request, client_id="w-1")
    assert recurring(survey) == []
    assert reload(by_hand).scheduled_at == by_hand.scheduled_at


# --- Unsubscribe -----------------------------------------------------------------


def unsubscribe_path(message: Any) -> str:
    return path_of(message.extra_headers["List-Unsubscribe"].strip("<>"))


def test_the_unsubscribe_page_asks_before_it_acts(
    client: Client, survey: Survey, mailoutbox: list[Any]
) -> None:
    _, message = sent_email(survey)
    page = client.get(unsubscribe_path(message))
    assert page.status_code == 200
    assert 'method="post"' in page.content.decode()
    with tenant_context(survey.organization):
        assert not Suppression.objects.exists()
    done = client.post(unsubscribe_path(message))
    assert "is unsubscribed" in done.content.decode()
    with tenant_context(survey.organization):
        assert Suppression.objects.get().reason == "unsubscribed"


def test_a_one_click_unsubscribe_post_works_without_a_session(
    survey: Survey, mailoutbox: list[Any]
) -> None:
    _, message = sent_email(survey)
    client = Client(enforce_csrf_checks=True)
    done = client.post(unsubscribe_path(message), {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    request = schedule(survey)
    services.requests_send_due()
    assert reload(request).skip_reason == "unsubscribed"


def test_a_forged_unsubscribe_link_gets_400(client: Client) -> None:
    assert client.post("/u/12:forged").status_code == 400


def test_beat_runs_the_send_task_every_minute(settings: Any) -> None:
    from outreach.tasks import send_due

    entry = settings.CELERY_BEAT_SCHEDULE["outreach-send-due"]
    assert (entry["task"], entry["schedule"]) == (send_due.name, 60.0)


def test_a_run_out_of_time_leaves_the_rest_to_the_next_run(
    survey: Survey, mailoutbox: list[Any]
) -> None:
    request = schedule(survey)
    assert services.requests_send_due(budget_seconds=-1) == 0
    assert reload(request).status == Status.PENDING
    assert services.requests_send_due() == 1


def test_a_paused_survey_records_nothing_from_its_links(
    client: Client, survey: Survey, mailoutbox: list[Any]
) -> None:
    request, _ = sent_email(survey)
    Survey.objects.unscoped().filter(pk=survey.pk).update(is_active=False)
    page = client.post(path_of(score_url(request=request, score=9)))
    assert "This survey is closed" in page.content.decode()
    assert answers(survey) == []
