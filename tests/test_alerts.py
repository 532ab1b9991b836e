"""Slack and Teams alerts: what is sent, to whom, once, and the weekly digest.

Every message goes over real HTTP to a chat on 127.0.0.1.
"""

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import OperationalError
from django.http import QueryDict
from django.test import Client
from django.utils import timezone

from alerts import services, tasks
from alerts.messages import slack_escape
from alerts.models import Delivery, Destination, Kind, Scope
from alerts.selectors import digest_filters
from dashboards import metrics
from dashboards.filters import parse_filters
from integrations.outbound import UnsafeUrl
from responses.models import Channel, Respondent, Response
from responses.services import Identity, answer_record, comment_record, respondent_identify
from surveys.models import Survey
from surveys.services import survey_create
from tenants.context import tenant_context
from tenants.models import Organization

from .alert_receiver import Receiver

SITE = "https://nps.example.com"
TRICKY = "Slow & buggy <!channel> <http://evil.test|click> *bold*"


@pytest.fixture(autouse=True)
def site_url(settings: Any) -> None:
    settings.SITE_URL = SITE


@pytest.fixture
def commits(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Runs a write and then what it queued for after its commit, as production would."""

    def run(write: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return write()

    return run


@pytest.fixture
def ann(in_org: Organization) -> Respondent:
    identity = Identity(user_id="u-42", email="ann@example.com", name="Ann <Admin>")
    return respondent_identify(organization=in_org, identity=identity)


def destination(chat: Receiver, **fields: Any) -> Destination:
    fields.setdefault("name", "#feedback")
    return services.destination_create(url=chat.url, **fields)


def give(
    commits: Callable[..., Any],
    survey: Survey,
    score: int,
    *,
    client_id: str = "c-1",
    respondent: Respondent | None = None,
    comment: str | None = None,
    **extra: Any,
) -> Response:
    def write() -> Response:
        return answer_record(
            survey=survey,
            respondent=respondent,
            client_id=client_id,
            score=score,
            comment=comment,
            **extra,
        )[0]

    return commits(write)  # type: ignore[no-any-return]


def deliveries(**filters: Any) -> list[Delivery]:
    return list(Delivery.objects.filter(**filters).order_by("created_at", "id"))


# --- Slack and Teams payloads ------------------------------------------------------


def test_a_detractor_sends_a_slack_block_kit_message(
    chat: Receiver, commits: Any, survey: Survey, ann: Respondent
) -> None:
    destination(chat)
    response = give(commits, survey, 3, respondent=ann, comment=TRICKY)
    [message] = chat.received
    link = f"{SITE}/o/example/responses/{response.pk}/"
    header, comment, people, actions = message["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Detractor · 3/10 · Product NPS", "emoji": True},
    }
    assert comment["text"] == {
        "type": "mrkdwn",
        "text": "> Slow &amp; buggy &lt;!channel&gt; &lt;http://evil.test|click&gt; *bold*",
    }
    texts = [field["text"] for field in people["fields"]]
    assert texts == [
        "*Name*\nAnn &lt;Admin&gt;",
        "*Email*\nann@example.com",
        "*User id*\nu-42",
        "*Channel*\nWidget",
    ]
    assert actions["elements"][0]["url"] == link
    assert message["text"] == "Detractor · 3/10 · Product NPS"
    assert chat.paths == ["/services/T0/B0/secret"]
    assert chat.headers[0]["Content-Type"].startswith("application/json")


def test_a_teams_channel_gets_an_adaptive_card_with_the_text_as_typed(
    chat: Receiver, commits: Any, survey: Survey, ann: Respondent
) -> None:
    destination(chat, kind=Kind.TEAMS)
    response = give(commits, survey, 0, respondent=ann, comment=TRICKY + " {{DATE(x)}}")
    [message] = chat.received
    assert message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    runs = [run for block in card["body"] for run in block["inlines"]]
    assert all(run["type"] == "TextRun" for run in runs)  # TextRuns render no Markdown
    texts = [run["text"] for run in runs]
    assert texts[0] == "Detractor · 0/10 · Product NPS"
    assert texts[1] == TRICKY + " {\u200b{DATE(x)}\u200b}"
    assert "Ann <Admin>" in texts and "ann@example.com" in texts
    assert card["actions"] == [
        {
            "type": "Action.OpenUrl",
            "url": f"{SITE}/o/example/responses/{response.pk}/",
            "title": "Open the follow-up page",
        }
    ]


def test_an_anonymous_answer_without_a_comment_says_so(
    chat: Receiver, commits: Any, survey: Survey, in_org: Organization
) -> None:
    destination(chat)
    give(commits, survey, 6)
    blocks = chat.received[0]["blocks"]
    assert blocks[1]["text"]["text"] == "_No comment._"
    assert [f["text"] for f in blocks[2]["fields"]] == [
        "*Respondent*\nAnonymous",
        "*Channel*\nWidget",
    ]


def test_slack_escapes_its_three_control_characters_only() -> None:
    assert slack_escape("a & b < c > d *e* _f_") == "a &amp; b &lt; c &gt; d *e* _f_"


# --- who gets what -------------------------------------------------------------------


def test_passives_and_promoters_send_nothing_by_default(
    chat: Receiver, commits: Any, survey: Survey, in_org: Organization
) -> None:
    destination(chat)
    give(commits, survey, 7, client_id="a")
    give(commits, survey, 10, client_id="b")
    assert chat.received == []
    assert deliveries() == []


def test_every_answer_is_sent_when_the_destination_asks_for_all(
    chat: Receiver, commits: Any, survey: Survey, in_org: Organization
) -> None:
    destination(chat, scope=Scope.ALL)
    for n, score in enumerate((10, 7, 2)):
        give(commits, survey, score, client_id=f"c{n}")
    headers = [m["blocks"][0]["text"]["text"] for m in chat.received]
    assert headers == [
        "Promoter · 10/10 · Product NPS",
        "Passive · 7/10 · Product NPS",
        "Detractor · 2/10 · Product NPS",
    ]


def test_each_destination_gets_its_own_message_and_only_its_survey(
    chat: Receiver, commits: Any, survey: Survey, in_org: Organization
) -> None:
    other = survey_create(organization=in_org, kind="employee", name="eNPS")
    destination(chat, name="all surveys")
    destination(chat, name="eNPS only", survey=other)
    destination(chat, name="paused", active=False)
    give(commits, survey, 1, client_id="a")
    give(commits, other, 2, client_id="b")
    sent = sorted((d.destination.name, d.response.survey.name) for d in deliveries())  # type: ignore[union-attr]
    assert sent == [("all surveys", "Product NPS"), ("all surveys", "eNPS"), ("eNPS only", "eNPS")]
    assert len(chat.received) == 3


def test_a_resent_answer_or_a_late_comment_does_not_alert_twice(
    chat: Receiver, commits: Any, survey: Survey, in_org: Organization
) -> None:
    destination(chat)
    give(commits, survey, 4)
    give(commits, survey, 4)  # the widget retrying
    give(commits, survey, 2)  # still a detractor, with a new score
    commits(lambda: comment_record(survey=survey, respondent=None, client_id="c-1", comment="x"))
    assert len(chat.received) == 1
    assert len(deliveries()) == 1


def test_a_passive_turned_detractor_alerts_once(
    chat: Receiver, commits: Any, survey: Survey, in_org: Organization
) -> None:
    destination(chat)
    give(commits, survey, 8)
    assert chat.received == []
    response = give(commits, survey, 5, comment="Changed my mind")
    give(commits, survey, 3)
    [message] = chat.received
    assert message["blocks"][0]["text"]["text"] == "Detractor · 5/10 · Product NPS"
    assert [d.response_id for d in deliveries()] == [response.pk]


def test_an_answer_changed_by_a_full_save_also_alerts(
    chat: Receiver, commits: Any, survey: Survey, in_org: Organization
) -> None:
    destination(chat)
    response = give(commits, survey, 9)

    def lower() -> None:
        response.score = 0
        response.save()

    commits(lower)
    assert len(chat.received) == 1


def test_imported_and_backdated_answers_do_not_alert(
    chat: Receiver, commits: Any, survey: Survey, in_org: Organization
) -> None:
    destination(chat)
    give(commits, survey, 0, client_id="a", channel=Channel.IMPORT)
    give(commits, survey, 0, client_id="b", created_at=timezone.now() - timedelta(days=30))
    assert chat.received == []


def test_a_destination_hears_nothing_of_another_organization(
    chat: Receiver, commits: Any, survey: Survey, other_org: Organization
) -> None:
    with tenant_context(survey.organization):
        destination(chat)
    with tenant_context(other_org):
        theirs = survey_create(organization=other_org, kind="customer", name="Theirs")
        give(commits, theirs, 0)
        assert deliveries() == []
    assert chat.received == []


def test_an_answer_captured_through_the_api_alerts_once_when_it_turns_detractor(
    chat: Receiver, commits: Any, survey: Survey, api_key: str, in_org: Organization
) -> None:
    destination(chat)
    api = Client(headers={"Authorization": f"Bearer {api_key}"})
    person = {"external_id": "crm-7", "email": "cy@example.com", "name": "Cy"}

    def capture(score: int) -> Any:
        body = {
            "survey": survey.public_key,
            "score": score,
            "client_id": "t-1",
            "respondent": person,
        }
        return api.post("/api/v1/responses", json.dumps(body), content_type="application/json")

    assert commits(lambda: capture(8)).status_code == 201
    assert chat.received == []
    assert commits(lambda: capture(3)).status_code in (200, 201)
    assert commits(lambda: capture(3)).status_code in (200, 201)
    [message] = chat.received
    assert message["blocks"][0]["text"]["text"] == "Detractor · 3/10 · Product NPS"
    fields = [f["text"] for f in message["blocks"][2]["fields"]]
    assert fields == ["*Name*\nCy", "*Email*\ncy@example.com", "*User id*\ncrm-7", "*Channel*\nAPI"]


# --- retries and failures ----------------------------------------------------------------


def test_a_5xx_is_tried_again_with_the_same_message_until_it_passes(
    chat: Receiver, commits: Any, survey: Survey, in_org: Organization
) -> None:
    chat.answer_with(503, 500)
    target = destination(chat)
    give(commits, survey, 2)
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts, delivery.status_code) == ("sent", 3, 200)
    assert len(chat.received) == 3
    assert chat.received[0] == chat.received[2]
    target.refresh_from_db()
    assert target.last_sent_at is not None and target.last_error == ""


def test_a_4xx_is_final_and_recorded(
    chat: Receiver, commits: Any, survey: Survey, in_org: Organization
) -> None:
    chat.answer_with(404)
    target = destination(chat)
    give(commits, survey, 2)
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts, delivery.status_code) == ("failed", 1, 404)
    assert delivery.error == "HTTP 404: no_service"
    assert len(chat.received) == 1
    target.refresh_from_db()
    assert target.last_error == "HTTP 404: no_service" and target.last_sent_at is None


def test_an_unreachable_chat_is_tried_a_few_times_then_given_up(
    chat: Receiver, commits: Any, survey: Survey, in_org: Organization
) -> None:
    target = destination(chat)
    Destination.objects.filter(pk=target.pk).update(url="http://127.0.0.1:9/hook")
    give(commits, survey, 2)
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts, delivery.status_code) == (
        "failed",
        services.MAX_ATTEMPTS,
        None,
    )
    assert "ConnectionRefusedError" in delivery.error


def test_a_private_url_is_refused_without_the_operators_setting(
    chat: Receiver, commits: Any, survey: Survey, in_org: Organization, settings: Any
) -> None:
    target = destination(chat)
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = False
    with pytest.raises(UnsafeUrl):
        destination(chat)
    with pytest.raises(UnsafeUrl):
        services.destination_update(destination=target, url="http://169.254.169.254/x")
    give(commits, survey, 2)
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.error.startswith("Refused:")
    assert chat.received == []


def test_a_broker_outage_never_fails_the_answer_and_the_sweep_sends_it_later(
    chat: Receiver, commits: Any, survey: Survey, in_org: Organization, monkeypatch: Any
) -> None:
    destination(chat, digest_enabled=False)

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("Error 111 connecting to redis")

    monkeypatch.setattr(tasks.send_alerts, "apply_async", broker_down)
    response = give(commits, survey, 1)
    assert Response.objects.filter(pk=response.pk).exists()
    assert chat.received == []
    monkeypatch.undo()
    tasks.hourly(now=(timezone.now() + timedelta(minutes=30)).isoformat())
    tasks.hourly(now=(timezone.now() + timedelta(minutes=90)).isoformat())
    assert len(chat.received) == 1
    assert [d.response_id for d in deliveries()] == [response.pk]


def test_the_hourly_run_takes_up_a_try_a_stopped_worker_left(
    chat: Receiver, survey: Survey, in_org: Organization
) -> None:
    target = destination(chat, digest_enabled=False)
    stuck = services.test_create(destination=target)
    Delivery.objects.filter(pk=stuck.pk).update(
        attempts=1, next_attempt_at=timezone.now() - timedelta(minutes=10)
    )
    tasks.hourly()
    stuck.refresh_from_db()
    assert (stuck.status, stuck.attempts) == ("sent", 2)
    assert len(chat.received) == 1


def test_a_delivery_already_sent_is_not_posted_again(
    chat: Receiver, survey: Survey, in_org: Organization
) -> None:
    delivery = services.test_create(destination=destination(chat))
    assert services.delivery_attempt(delivery_id=delivery.pk) is None
    assert services.delivery_attempt(delivery_id=delivery.pk) is None
    assert len(chat.received) == 1


def test_the_log_keeps_how_it_went_not_what_was_said(
    chat: Receiver, commits: Any, survey: Survey, ann: Respondent
) -> None:
    destination(chat)
    give(commits, survey, 2, respondent=ann, comment="Private matter")
    [delivery] = deliveries()
    assert (delivery.status, delivery.payload) == ("sent", {})


def test_the_log_is_pruned_after_90_days(
    chat: Receiver, survey: Survey, in_org: Organization
) -> None:
    target = destination(chat, digest_enabled=False)
    old, recent = (services.test_create(destination=target) for _ in range(2))
    for delivery in (old, recent):
        services.delivery_attempt(delivery_id=delivery.pk)
    Delivery.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=91))
    tasks.hourly()
    assert [d.pk for d in deliveries()] == [recent.pk]


# --- the weekly digest -----------------------------------------------------------------

PARIS = ZoneInfo("Europe/Paris")
# Monday 2 March 2026, in Paris.
MONDAY = datetime(2026, 3, 2, tzinfo=PARIS)


@pytest.fixture
def paris(org: Organization) -> Iterator[Organization]:
    org.time_zone = "Europe/Paris"
    org.save()
    with tenant_context(org):
        yield org


def at(day: int, hour: int = 12) -> datetime:
    """`day` days after Monday 2 March 2026, local time in Paris."""
    return MONDAY + timedelta(days=day, hours=hour)


@pytest.fixture
def history(paris: Organization, survey: Survey) -> list[Response]:
    """Two weeks of answers (and a few outside them) with comments."""
    rows = [
        # the week being reported: 23 Feb - 1 Mar
        (-7, 9, "Love it", 0),
        (-6, 10, "Great support", 0),
        (-5, 3, "Too slow", 0),
        (-4, 8, "", 0),
        (-3, 0, "Broken <export> & more", 0),
        (-2, 6, "Meh", 0),
        (-1, 1, "", 23),  # Sunday 23:00 in Paris: still in the week
        (-1, 10, "Fantastic", 1),
        # the week before: 16 - 22 Feb
        (-14, 10, "", 0),
        (-10, 2, "Old complaint", 0),
        (-9, 9, "", 0),
        # outside both
        (-15, 0, "Long ago", 0),
        (0, 0, "Today", 1),  # Monday 01:00: next week's
    ]
    made = []
    for n, (day, score, comment, hour) in enumerate(rows):
        response = Response.objects.create(
            organization=paris,
            survey=survey,
            score=score,
            comment=comment,
            created_at=at(day, hour or 12),
            client_id=f"h{n}",
        )
        made.append(response)
    return made


def digest_of(chat: Receiver) -> dict[str, Any]:
    blocks = chat.received[-1]["blocks"]
    fields = {
        f["text"].split("\n")[0].strip("*"): f["text"].split("\n")[1] for f in blocks[2]["fields"]
    }
    return {"blocks": blocks, "fields": fields}


def test_the_digest_reports_the_same_numbers_as_the_dashboards(
    chat: Receiver, history: list[Response], paris: Organization
) -> None:
    target = destination(chat, digest_weekday=0, digest_hour=9)
    tasks.hourly(now=at(0, 9).isoformat())
    assert len(chat.received) == 1
    params = QueryDict("range=custom&from=2026-02-23&to=2026-03-01")
    filters = parse_filters(params, tz="Europe/Paris", today=MONDAY.date())
    assert filters == digest_filters(destination=target, today=MONDAY.date())
    summary = metrics.summary(filters=filters)
    change = metrics.change(filters=filters)
    assert (summary.promoters, summary.passives, summary.detractors) == (3, 1, 4)
    assert change.previous.total == 3
    digest = digest_of(chat)
    assert digest["fields"] == {
        "NPS": "\N{MINUS SIGN}12",  # -12.5, rounded half to even
        "Change": change.phrase,
        "Responses": str(summary.total),
        "Split": "38 % promoters · 12 % passives · 50 % detractors",
    }


def test_the_digest_quotes_recent_detractors_and_promoters_with_links(
    chat: Receiver, history: list[Response], paris: Organization
) -> None:
    destination(chat)
    tasks.hourly(now=at(0, 9).isoformat())
    blocks = digest_of(chat)["blocks"]
    detractors, promoters = blocks[3]["text"]["text"], blocks[4]["text"]["text"]
    by_comment = {r.comment: r for r in history}
    expected = ["Meh", "Broken <export> & more", "Too slow"]  # newest first
    lines = detractors.split("\n")
    assert lines[0] == "*Recent detractor comments*"
    assert lines[1] == f"*6/10* <{SITE}/o/example/responses/{by_comment['Meh'].pk}/|open>"
    assert lines[4] == "> Broken &lt;export&gt; &amp; more"
    assert [line[2:] for line in lines[2::2]] == [slack_escape(c) for c in expected]
    assert "Fantastic" in promoters and "Great support" in promoters
    assert "Love it" not in promoters  # two promoter comments only
    assert blocks[-1]["elements"][0]["url"] == (
        f"{SITE}/o/example/?range=custom&from=2026-02-23&to=2026-03-01"
    )


def test_the_digest_goes_once_a_week_at_its_local_hour(
    chat: Receiver, history: list[Response], paris: Organization
) -> None:
    target = destination(chat, digest_weekday=0, digest_hour=9)
    tasks.hourly(now=at(0, 8).isoformat())  # 08:00 in Paris: not yet
    assert chat.received == []
    tasks.hourly(now=at(0, 9).isoformat())
    tasks.hourly(now=at(0, 10).isoformat())
    tasks.send_digest(
        organization_id=paris.pk, destination_id=target.pk, week="2026-W10", today="2026-03-02"
    )
    assert len(chat.received) == 1
    tasks.hourly(now=at(1, 9).isoformat())  # Tuesday
    assert len(chat.received) == 1
    tasks.hourly(now=at(7, 9).isoformat())  # next Monday
    assert len(chat.received) == 2
    target.refresh_from_db()
    assert target.last_digest_week == "2026-W11"
    assert [d.kind for d in deliveries()] == ["digest", "digest"]


def test_no_digest_when_it_is_off_or_the_destination_paused(
    chat: Receiver, history: list[Response], paris: Organization
) -> None:
    destination(chat, digest_enabled=False)
    destination(chat, active=False)
    tasks.hourly(now=at(0, 9).isoformat())
    assert chat.received == []


def test_a_digest_for_one_survey_counts_only_it(
    chat: Receiver, history: list[Response], paris: Organization, survey: Survey
) -> None:
    other = survey_create(organization=paris, kind="employee", name="eNPS")
    Response.objects.create(
        organization=paris, survey=other, score=10, created_at=at(-3), client_id="e1"
    )
    destination(chat, survey=other, kind=Kind.TEAMS)
    tasks.hourly(now=at(0, 9).isoformat())
    card = chat.received[0]["attachments"][0]["content"]
    texts = [run["text"] for block in card["body"] for run in block["inlines"]]
    assert texts[:2] == ["Weekly NPS of Example Inc", "23 Feb \N{EN DASH} 1 Mar 2026"]
    assert "+100" in texts and "1" in texts
    assert f"survey={other.pk}" in card["actions"][0]["url"]
