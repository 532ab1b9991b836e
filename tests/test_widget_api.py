"""The widget's public endpoints under /w/ and the script at /widget.js."""

import gzip
import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from responses.assets import BUDGET_GZIPPED, widget_asset
from responses.models import Channel, PromptEvent, Respondent, Response
from responses.selectors import respondent_history
from surveys.models import Survey
from surveys.services import survey_create, survey_pause
from tenants.context import tenant_context
from tenants.identity import user_hash_for
from tenants.models import Organization

ORIGIN = "https://app.example.com"
ANON = "a" * 32
ANSWER_ID = "answer-0000000001"


@pytest.fixture(autouse=True)
def generous_rate_limits(settings: Any) -> None:
    # Every test posts from 127.0.0.1; only the rate limit tests lower these.
    settings.WIDGET_RATE_LIMIT_PER_IP = (100_000, 60)
    settings.WIDGET_RATE_LIMIT_PER_SURVEY = (100_000, 60)


def post(
    client: Client, survey_key: str, path: str, body: Any, origin: str | None = ORIGIN, **extra: Any
) -> Any:
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    if origin is not None:
        extra["HTTP_ORIGIN"] = origin
    return client.post(f"/w/{survey_key}/{path}", raw, content_type="text/plain", **extra)


def counts() -> tuple[int, int, int]:
    return (
        Respondent.objects.unscoped().count(),
        Response.objects.unscoped().count(),
        PromptEvent.objects.unscoped().count(),
    )


def config(client: Client, survey: Survey, meta: dict[str, str] | None = None, **body: Any) -> Any:
    body.setdefault("anonymous_id", ANON)
    return post(client, survey.public_key, "config", body, **(meta or {}))


def token_for(client: Client, survey: Survey, **body: Any) -> str:
    response = config(client, survey, **body)
    assert response.status_code == 200, response.content
    return str(response.json()["token"])


def answer(client: Client, survey: Survey, token: str, **body: Any) -> Any:
    body = {"token": token, "id": ANSWER_ID, "score": 9, **body}
    return post(client, survey.public_key, "answer", body)


def assert_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]


# --- the script ------------------------------------------------------------


def test_it_keeps_the_widget_under_five_kilobytes_gzipped() -> None:
    size = len(widget_asset().gzipped)
    print(f"\nwidget.js: {len(widget_asset().body)} bytes, {size} bytes gzipped")
    assert size <= BUDGET_GZIPPED


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")
def test_it_serves_a_script_that_parses(tmp_path: Any) -> None:
    script = tmp_path / "widget.js"
    script.write_bytes(widget_asset().body)
    subprocess.run(["node", "--check", str(script)], check=True)  # noqa: S607


def test_it_serves_the_script_gzipped_with_a_validator(client: Client) -> None:
    response = client.get("/widget.js", HTTP_ACCEPT_ENCODING="gzip, br")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.content) == widget_asset().body
    assert "max-age=3600" in response["Cache-Control"]
    assert "Set-Cookie" not in response
    again = client.get(
        "/widget.js", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=response["ETag"]
    )
    assert again.status_code == 304
    plain = client.get("/widget.js", HTTP_IF_NONE_MATCH=response["ETag"])
    assert plain.status_code == 200
    assert plain.content == widget_asset().body


def test_it_caches_a_versioned_script_for_a_year(client: Client) -> None:
    version = widget_asset().version
    response = client.get(f"/widget.js?v={version}")
    assert response.content == widget_asset().body
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    stale = client.get("/widget.js?v=0123456789ab")
    assert "immutable" not in stale["Cache-Control"]


# --- config + decision -------------------------------------------------------


def test_it_decides_and_sends_the_texts_in_one_request(client: Client, survey: Survey) -> None:
    response = config(client, survey, language="fr-CA")
    assert response.status_code == 200
    data = response.json()
    assert data["show"] is True and data["reason"] == "ok" and data["token"]
    assert data["language"] == "fr"
    assert "Example App" in data["texts"]["question"]
    assert data["texts"]["not_now"] == "Pas maintenant"
    assert set(data["texts"]) >= {"follow_up_detractor", "scale_low", "never", "thank_you"}
    assert data["branding"]["position"] == "bottom-right"
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in response["Vary"]
    assert "Access-Control-Allow-Credentials" not in response
    assert not response.cookies


def test_it_remembers_an_anonymous_browser(client: Client, survey: Survey) -> None:
    config(client, survey)
    config(client, survey)
    with tenant_context(survey.organization):
        assert Respondent.objects.get().anonymous_id == ANON


def test_it_knows_an_identified_person_on_every_device(client: Client, survey: Survey) -> None:
    user = {"id": "u-42", "email": "Ada@Example.com", "name": "Ada", "traits": {"plan": "pro"}}
    config(client, survey, anonymous_id="b" * 32, user=user)
    config(client, survey, anonymous_id="c" * 32, user={"id": "u-42", "traits": {"seats": 5}})
    with tenant_context(survey.organization):
        person = Respondent.objects.get()
    assert person.external_id == "u-42"
    assert person.email == "ada@example.com"
    assert person.traits == {"plan": "pro", "seats": 5}


def test_it_does_not_ask_again_on_another_device(client: Client, survey: Survey) -> None:
    laptop = token_for(client, survey, anonymous_id="b" * 32, user={"id": "u-7"})
    assert answer(client, survey, laptop).status_code == 201
    phone = config(client, survey, anonymous_id="c" * 32, user={"id": "u-7"}).json()
    assert phone["show"] is False
    assert phone["reason"] == "answered_recently"


def test_it_keeps_what_a_browser_did_before_signing_in(client: Client, survey: Survey) -> None:
    token = token_for(client, survey)
    post(client, survey.public_key, "dismiss", {"token": token, "kind": "never"})
    signed_in = config(client, survey, user={"id": "u-9"}).json()
    assert signed_in["reason"] == "never"
    with tenant_context(survey.organization):
        assert Respondent.objects.get().external_id == "u-9"


def test_it_does_not_show_a_paused_survey(client: Client, survey: Survey) -> None:
    survey_pause(survey=survey)
    data = config(client, survey).json()
    assert data["show"] is False
    assert data["reason"] == "inactive"
    assert "texts" not in data


def test_it_reports_the_next_check_after_not_now(client: Client, survey: Survey) -> None:
    token = token_for(client, survey)
    post(client, survey.public_key, "dismiss", {"token": token, "kind": "not_now"})
    data = config(client, survey).json()
    assert data["show"] is False and data["reason"] == "not_now"
    assert data["next_check_at"]


def test_it_shows_a_transactional_prompt_before_the_first_delay(
    client: Client, survey: Survey
) -> None:
    survey.first_prompt_after_days = 30
    survey.save()
    assert config(client, survey).json()["reason"] == "too_early"
    assert config(client, survey, trigger="show").json()["show"] is True
    assert_error(config(client, survey, trigger="now"), 422, "invalid_trigger")


# --- identity verification ---------------------------------------------------


@pytest.fixture
def verified_org(org: Organization) -> Organization:
    org.require_identity_verification = True
    org.save()
    return org


def test_it_accepts_a_verified_identity(
    client: Client, survey: Survey, verified_org: Organization
) -> None:
    user_hash = user_hash_for(organization=verified_org, user_id="u-1")
    response = config(client, survey, user={"id": "u-1", "hash": user_hash})
    assert response.status_code == 200


def test_it_refuses_a_forged_user_hash(
    client: Client, survey: Survey, verified_org: Organization
) -> None:
    before = counts()
    forged = user_hash_for(organization=verified_org, user_id="someone-else")
    response = config(client, survey, user={"id": "u-1", "hash": forged})
    assert_error(response, 403, "identity_unverified")
    assert_error(config(client, survey, user={"id": "u-1"}), 403, "identity_unverified")
    assert_error(config(client, survey), 403, "identity_required")
    assert counts() == before


def test_it_ignores_the_hash_when_verification_is_off(client: Client, survey: Survey) -> None:
    response = config(client, survey, user={"id": "u-1", "hash": "nonsense"})
    assert response.status_code == 200


# --- display, answer, comment, dismiss ---------------------------------------


def test_it_records_a_display(client: Client, survey: Survey) -> None:
    token = token_for(client, survey)
    response = post(client, survey.public_key, "display", {"token": token})
    assert response.status_code == 201
    with tenant_context(survey.organization):
        event = PromptEvent.objects.get()
    assert (event.kind, event.channel) == ("display", Channel.WIDGET)


def test_it_stores_an_answer_and_updates_it_on_a_changed_score(
    client: Client, survey: Survey
) -> None:
    token = token_for(client, survey, user={"id": "u-1", "traits": {"plan": "pro"}})
    first = answer(client, survey, token, score=6, language="en")
    assert first.status_code == 201
    second = answer(client, survey, token, score=8)
    assert second.status_code == 200
    with tenant_context(survey.organization):
        stored = Response.objects.get()
        answers = PromptEvent.objects.filter(kind="answer").count()
    assert (stored.score, stored.channel, stored.language) == (8, "widget", "en")
    assert stored.properties == {"plan": "pro"}
    assert answers == 1


@pytest.mark.django_db(transaction=True)
def test_it_commits_an_answer_before_acknowledging_it(client: Client, survey: Survey) -> None:
    token = token_for(client, survey)
    assert answer(client, survey, token).status_code == 201
    # A second connection sees only committed rows.
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT score FROM responses_response WHERE client_id = %s", [ANSWER_ID])
            assert cursor.fetchone() == (9,)
    finally:
        other.close()


def test_it_counts_a_retried_answer_once(client: Client, survey: Survey) -> None:
    token = token_for(client, survey)
    for _ in range(3):
        answer(client, survey, token, score=10, comment="Great")
    with tenant_context(survey.organization):
        assert Response.objects.count() == 1


def test_it_saves_the_comment_and_keeps_it_as_text(client: Client, survey: Survey) -> None:
    token = token_for(client, survey)
    answer(client, survey, token)
    text = "<script>alert(1)</script> & more"
    response = post(
        client, survey.public_key, "comment", {"token": token, "id": ANSWER_ID, "comment": text}
    )
    assert response.status_code == 200
    with tenant_context(survey.organization):
        assert Response.objects.get().comment == text


def test_it_accepts_a_comment_of_exactly_the_limit(client: Client, survey: Survey) -> None:
    token = token_for(client, survey)
    assert answer(client, survey, token, comment="x" * 5_000).status_code == 201


def test_it_refuses_a_comment_for_an_unknown_answer(client: Client, survey: Survey) -> None:
    token = token_for(client, survey)
    response = post(
        client, survey.public_key, "comment", {"token": token, "id": ANSWER_ID, "comment": "hi"}
    )
    assert_error(response, 404, "unknown_answer")


@pytest.mark.parametrize("kind", ["not_now", "never"])
def test_it_records_a_dismissal(client: Client, survey: Survey, kind: str) -> None:
    token = token_for(client, survey)
    response = post(client, survey.public_key, "dismiss", {"token": token, "kind": kind})
    assert response.status_code == 201
    with tenant_context(survey.organization):
        assert PromptEvent.objects.get().kind == kind
    assert config(client, survey).json()["reason"] == kind


def test_it_never_asks_again_after_never(client: Client, survey: Survey) -> None:
    token = token_for(client, survey)
    post(client, survey.public_key, "dismiss", {"token": token, "kind": "never"})
    with tenant_context(survey.organization):
        PromptEvent.objects.update(created_at=timezone.now() - timedelta(days=3000))
    assert config(client, survey, trigger="show").json()["reason"] == "never"


def test_it_asks_again_once_the_hidden_period_is_over(client: Client, survey: Survey) -> None:
    token = token_for(client, survey)
    answer(client, survey, token)
    assert config(client, survey).json()["reason"] == "answered_recently"
    with tenant_context(survey.organization):
        Response.objects.update(created_at=timezone.now() - timedelta(days=91))
        PromptEvent.objects.update(created_at=timezone.now() - timedelta(days=91))
    assert config(client, survey).json()["show"] is True


def test_it_caps_prompts_across_surveys(client: Client, survey: Survey, org: Organization) -> None:
    other = survey_create(organization=org, kind="employee", name="eNPS", allowed_origins=[ORIGIN])
    token = token_for(client, survey)
    post(client, survey.public_key, "display", {"token": token})
    data = config(client, other).json()
    assert (data["show"], data["reason"]) == (False, "fatigue")


def _history_reads(client: Client, survey: Survey, **body: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert config(client, survey, **body).status_code == 200
    # On PostgreSQL a prepared statement, elsewhere the SQL text itself.
    return sum(
        "nps_history_by_" in query["sql"] or "responses_promptevent" in query["sql"]
        for query in queries.captured_queries
        if not query["sql"].startswith("PREPARE ")
    )


def test_it_reads_no_history_for_someone_it_has_just_met(client: Client, survey: Survey) -> None:
    assert _history_reads(client, survey) == 1  # the look-up that finds nobody
    with tenant_context(survey.organization):
        assert Respondent.objects.get().anonymous_id == ANON


def test_it_reads_the_history_once_when_a_profile_changes(client: Client, survey: Survey) -> None:
    token = token_for(client, survey)
    post(client, survey.public_key, "dismiss", {"token": token, "kind": "never"})
    assert _history_reads(client, survey, user={"traits": {"plan": "pro"}}) == 1
    with tenant_context(survey.organization):
        assert Respondent.objects.get().traits == {"plan": "pro"}
    # The history read before the profile was saved still decides.
    reply = config(client, survey, trigger="show", user={"traits": {"plan": "team"}}).json()
    assert (reply["show"], reply["reason"]) == (False, "never")


def test_it_builds_the_history_from_indexed_rows(survey: Survey, org: Organization) -> None:
    other = survey_create(organization=org, kind="partner", name="Partners")
    now = timezone.now()
    with tenant_context(org):
        person = Respondent.objects.create(organization=org, anonymous_id=ANON)
        for kind, on in (("display", other), ("display", survey), ("not_now", survey)):
            PromptEvent.objects.create(organization=org, survey=on, respondent=person, kind=kind)
        Response.objects.create(
            organization=org, survey=survey, respondent=person, score=3, channel=Channel.API
        )
        history = respondent_history(survey=survey, respondent=person)
    assert history.never is False
    assert history.last_answer_at and history.last_answer_at >= now
    assert history.last_not_now_at and history.last_not_now_at >= now
    assert history.last_prompt_any_survey_at and history.last_prompt_any_survey_at >= now


# --- bad input: a clear 4xx and nothing stored ---------------------------------


@pytest.mark.parametrize(
    ("score", "code"),
    [
        (11, "invalid_score"),
        (-1, "invalid_score"),
        ("7", "invalid_score"),
        (True, "invalid_score"),
        (7.5, "invalid_score"),
        (None, "invalid_score"),
    ],
)
def test_it_refuses_a_bad_score(client: Client, survey: Survey, score: Any, code: str) -> None:
    token = token_for(client, survey)
    before = counts()
    assert_error(answer(client, survey, token, score=score), 422, code)
    assert counts() == before


def test_it_refuses_a_huge_comment(client: Client, survey: Survey) -> None:
    token = token_for(client, survey)
    before = counts()
    assert_error(answer(client, survey, token, comment="x" * 5_001), 422, "comment_too_long")
    assert_error(answer(client, survey, token, comment=["x"]), 422, "invalid_comment")
    assert_error(answer(client, survey, token, comment="x" * 40_000), 413, "body_too_large")
    assert counts() == before


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", "", b"\xff\xfe"])
def test_it_refuses_malformed_json(client: Client, survey: Survey, body: Any) -> None:
    before = counts()
    for path in ("config", "display", "answer", "comment", "dismiss"):
        assert_error(post(client, survey.public_key, path, body), 400, "malformed_json")
    assert counts() == before


@pytest.mark.parametrize("path", ["config", "display", "answer", "comment", "dismiss"])
def test_it_answers_404_for_an_unknown_survey(client: Client, survey: Survey, path: str) -> None:
    before = counts()
    assert_error(post(client, "no-such-key", path, {"anonymous_id": ANON}), 404, "unknown_survey")
    assert counts() == before


@pytest.mark.parametrize("path", ["config", "display", "answer", "comment", "dismiss"])
@pytest.mark.parametrize(
    "origin", ["https://evil.example", "null", None, "https://app.example.com.evil.test"]
)
def test_it_refuses_a_forbidden_origin(
    client: Client, survey: Survey, path: str, origin: str | None
) -> None:
    token = token_for(client, survey)
    before = counts()
    body = {"anonymous_id": ANON, "token": token, "id": ANSWER_ID, "score": 9, "kind": "never"}
    response = post(client, survey.public_key, path, body, origin=origin)
    assert_error(response, 403, "origin_forbidden")
    assert "Access-Control-Allow-Origin" not in response
    assert counts() == before


def test_it_answers_a_preflight_only_for_allowed_origins(client: Client, survey: Survey) -> None:
    url = f"/w/{survey.public_key}/answer"
    allowed = client.options(url, HTTP_ORIGIN=ORIGIN)
    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in allowed["Access-Control-Allow-Methods"]
    refused = client.options(url, HTTP_ORIGIN="https://evil.example")
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused


def test_it_refuses_other_methods(client: Client, survey: Survey) -> None:
    assert_error(client.get(f"/w/{survey.public_key}/config"), 405, "method_not_allowed")


@pytest.mark.parametrize("token", ["", "forged", None, 42])
def test_it_refuses_a_bad_token(client: Client, survey: Survey, token: Any) -> None:
    token_for(client, survey)
    before = counts()
    assert_error(answer(client, survey, token), 403, "invalid_token")
    body = {"token": token, "kind": "never"}
    assert_error(post(client, survey.public_key, "dismiss", body), 403, "invalid_token")
    assert_error(post(client, survey.public_key, "display", {"token": token}), 403, "invalid_token")
    assert counts() == before


def test_it_refuses_a_token_of_another_survey(
    client: Client, survey: Survey, other_org: Organization
) -> None:
    theirs = survey_create(
        organization=other_org, kind="customer", name="Theirs", allowed_origins=[ORIGIN]
    )
    token = token_for(client, theirs)
    before = counts()
    assert_error(answer(client, survey, token), 403, "invalid_token")
    assert counts() == before


def test_it_refuses_an_answer_id_of_someone_else(client: Client, survey: Survey) -> None:
    mine = token_for(client, survey, anonymous_id="b" * 32)
    answer(client, survey, mine, score=10)
    theirs = token_for(client, survey, anonymous_id="c" * 32)
    assert_error(answer(client, survey, theirs, score=0), 409, "id_conflict")
    with tenant_context(survey.organization):
        assert Response.objects.get().score == 10


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "identity_missing"),
        ({"anonymous_id": "short"}, "invalid_anonymous_id"),
        ({"anonymous_id": ANON, "user": "u-1"}, "invalid_user"),
        ({"anonymous_id": ANON, "user": {"id": "u", "email": "not-an-email"}}, "invalid_user"),
        ({"anonymous_id": ANON, "user": {"id": "u", "traits": [1]}}, "invalid_user"),
        ({"anonymous_id": ANON, "user": {"id": "x" * 300}}, "invalid_user"),
    ],
)
def test_it_refuses_a_bad_identity(client: Client, survey: Survey, body: Any, code: str) -> None:
    before = counts()
    assert_error(post(client, survey.public_key, "config", body), 422, code)
    assert counts() == before


def test_it_refuses_bad_ids_and_kinds(client: Client, survey: Survey) -> None:
    token = token_for(client, survey)
    before = counts()
    assert_error(answer(client, survey, token, id="x"), 422, "invalid_id")
    assert_error(answer(client, survey, token, id="../../etc/passwd-xx"), 422, "invalid_id")
    body = {"token": token, "kind": "forever"}
    assert_error(post(client, survey.public_key, "dismiss", body), 422, "invalid_kind")
    assert counts() == before


# --- rate limits ---------------------------------------------------------------


@pytest.fixture
def unique_ip() -> Iterator[str]:
    # A fresh address per test, so counters left by other tests never interfere.
    import secrets

    yield f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"


def test_it_limits_requests_per_ip(
    client: Client, survey: Survey, settings: Any, unique_ip: str
) -> None:
    settings.WIDGET_RATE_LIMIT_PER_IP = (3, 60)
    statuses = [
        config(client, survey, meta={"REMOTE_ADDR": unique_ip}).status_code for _ in range(5)
    ]
    assert statuses[:3] == [200, 200, 200]
    limited = config(client, survey, meta={"REMOTE_ADDR": unique_ip})
    assert_error(limited, 429, "rate_limited")
    assert 1 <= int(limited["Retry-After"]) <= 60


def test_it_limits_requests_per_survey(client: Client, survey: Survey, settings: Any) -> None:
    settings.WIDGET_RATE_LIMIT_PER_SURVEY = (2, 60)
    config(client, survey)
    config(client, survey)
    before = counts()
    limited = config(client, survey, anonymous_id="d" * 32)
    assert_error(limited, 429, "rate_limited")
    assert limited["Retry-After"]
    assert counts() == before


def test_it_trusts_forwarded_addresses_only_from_configured_proxies(
    client: Client, survey: Survey, settings: Any, unique_ip: str
) -> None:
    settings.WIDGET_RATE_LIMIT_PER_IP = (1, 60)
    settings.WIDGET_TRUSTED_PROXIES = 1
    first = config(client, survey, meta={"HTTP_X_FORWARDED_FOR": f"1.2.3.4, {unique_ip}"})
    spoofed = config(client, survey, meta={"HTTP_X_FORWARDED_FOR": f"5.6.7.8, {unique_ip}"})
    assert first.status_code == 200
    assert spoofed.status_code == 429


def test_the_widget_script_is_one_copy_for_every_language(survey: Survey) -> None:
    """Caches keep a single widget.js: its language comes with each request."""
    french = Client(HTTP_ACCEPT_LANGUAGE="fr").get("/widget.js")
    assert french.status_code == 200
    assert "Accept-Language" not in french.get("Vary", "")
    assert "Content-Language" not in french
