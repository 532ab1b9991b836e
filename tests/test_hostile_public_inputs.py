"""Hostile input against the public respondent endpoints: the widget (/w/),
the link page (/s/), the email landing (/e/) and unsubscribe (/u/).

Every request gets a clear 4xx, never a 5xx or a traceback, and changes
nothing: rows are counted before and after. Hostile text that is otherwise a
valid answer is stored verbatim, as exactly one row.
"""

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core import signing
from django.test import Client

from outreach import services as outreach_services
from outreach import tokens
from outreach.models import Suppression, SurveyRequest
from outreach.services import Recipient
from responses import tokens as respondent_tokens
from responses.endpoint import MAX_BODY_BYTES
from responses.models import PromptEvent, Respondent, Response
from surveys.models import Survey
from surveys.services import survey_create
from tenants.context import tenant_context
from tenants.identity import user_hash_for
from tenants.models import Organization

ORIGIN = "https://app.example.com"
ANON = "b" * 32
ANSWER_ID = "hostile-answer-0001"
MB = 1024 * 1024
DEEP = 10_000

SQL = "'; DROP TABLE responses_response; --"
SQL_OR = "' OR '1'='1"
TEMPLATE = "{{7*7}} {% debug %} {{ request.META }}"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
HOSTILE_TEXTS = [SQL, SQL_OR, TEMPLATE, XSS, "${7*7} #{7*7} <%= 7*7 %>"]


@pytest.fixture(autouse=True)
def generous_rate_limits(settings: Any) -> None:
    # Every request comes from 127.0.0.1: the corpus is not a rate-limit test.
    settings.WIDGET_RATE_LIMIT_PER_IP = (1_000_000, 60)
    settings.WIDGET_RATE_LIMIT_PER_SURVEY = (1_000_000, 60)


def counts() -> dict[str, int]:
    return {
        "responses": Response.objects.unscoped().count(),
        "events": PromptEvent.objects.unscoped().count(),
        "respondents": Respondent.objects.unscoped().count(),
        "requests": SurveyRequest.objects.unscoped().count(),
        "suppressions": Suppression.objects.unscoped().count(),
    }


def assert_refused(response: Any, *, json_error: bool = False) -> None:
    body = response.content.decode("utf-8", "replace")
    assert 400 <= response.status_code < 500, (response.status_code, body[:500])
    assert "Traceback" not in body
    if json_error:
        error = response.json()["error"]
        assert error["code"] and error["message"]


def post_widget(client: Client, key: str, path: str, body: Any, **extra: Any) -> Any:
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    extra.setdefault("content_type", "text/plain")
    extra.setdefault("HTTP_ORIGIN", ORIGIN)
    return client.post(f"/w/{key}/{path}", raw, **extra)


@pytest.fixture
def widget(client: Client, survey: Survey) -> dict[str, Any]:
    """A respondent with a token, and one answer already given."""
    config = post_widget(client, survey.public_key, "config", {"anonymous_id": ANON})
    assert config.status_code == 200, config.content
    token = config.json()["token"]
    first = post_widget(
        client, survey.public_key, "answer", {"token": token, "id": ANSWER_ID, "score": 8}
    )
    assert first.status_code == 201, first.content
    return {"survey": survey, "token": token}


# --- The widget: each body against the endpoint it targets ---------------------

Body = Callable[[str], Any]


def deep_list(depth: int) -> str:
    return "[" * depth + "]" * depth


def raw_answer(token: str, *, score: str, comment: str = '""') -> str:
    """An answer body written by hand, for JSON that json.dumps cannot produce."""
    return (
        '{"token": "'
        + token
        + '", "id": "'
        + "a" * 20
        + '", "score": '
        + score
        + (', "comment": ' + comment + "}")
    )


WIDGET_CASES: list[tuple[str, str, Body]] = [
    # wrong types and out-of-range scores
    *[
        ("answer", f"score_{name}", lambda t, v=value: {"token": t, "id": "a" * 20, "score": v})
        for name, value in [
            ("string", "7"),
            ("float", 7.5),
            ("true", True),
            ("null", None),
            ("list", []),
            ("object", {}),
            ("negative", -1),
            ("eleven", 11),
            ("huge", 10**20),
            ("nan_string", "NaN"),
        ]
    ],
    ("answer", "score_missing", lambda t: {"token": t, "id": "a" * 20}),
    ("answer", "comment_number", lambda t: {"token": t, "id": "a" * 20, "score": 5, "comment": 5}),
    ("answer", "comment_list", lambda t: {"token": t, "id": "a" * 20, "score": 5, "comment": []}),
    ("answer", "id_sql", lambda t: {"token": t, "id": SQL, "score": 5}),
    ("answer", "id_object", lambda t: {"token": t, "id": {"$gt": ""}, "score": 5}),
    ("comment", "comment_object", lambda t: {"token": t, "id": ANSWER_ID, "comment": {}}),
    ("comment", "comment_too_long", lambda t: {"token": t, "id": ANSWER_ID, "comment": "x" * 5001}),
    ("comment", "unknown_answer", lambda t: {"token": t, "id": "z" * 20, "comment": "hi"}),
    ("dismiss", "kind_wrong", lambda t: {"token": t, "kind": "forever"}),
    ("dismiss", "kind_list", lambda t: {"token": t, "kind": ["never"]}),
    ("config", "user_string", lambda t: {"user": "admin"}),
    ("config", "user_id_object", lambda t: {"user": {"id": {"a": 1}}}),
    ("config", "user_id_too_long", lambda t: {"user": {"id": "u" * 256}}),
    ("config", "email_xss", lambda t: {"user": {"id": "u1", "email": XSS}}),
    ("config", "traits_list", lambda t: {"user": {"id": "u1", "traits": [1, 2]}}),
    ("config", "traits_huge", lambda t: {"user": {"id": "u1", "traits": {"k": "v" * 5000}}}),
    ("config", "anonymous_id_sql", lambda t: {"anonymous_id": SQL}),
    ("config", "no_identity", lambda t: {}),
    ("config", "trigger_wrong", lambda t: {"anonymous_id": ANON, "trigger": "{{7*7}}"}),
    # huge bodies
    ("comment", "comment_1mb", lambda t: {"token": t, "id": ANSWER_ID, "comment": "x" * MB}),
    ("comment", "comment_10mb", lambda t: {"token": t, "id": ANSWER_ID, "comment": "x" * 10 * MB}),
    ("answer", "json_1mb", lambda t: {"token": t, "id": "a" * 20, "score": 5, "pad": [0] * MB}),
    # deep JSON
    ("answer", "deep_list_body", lambda t: deep_list(DEEP)),
    ("answer", "deep_object_body", lambda t: '{"a":' * 5000 + "1" + "}" * 5000),
    (
        "answer",
        "deep_score",
        lambda t: raw_answer(t, score=deep_list(DEEP)),
    ),
    (
        "config",
        "deep_traits",
        lambda t: '{"user": {"id": "u1", "traits": ' + deep_list(DEEP) + "}}",
    ),
    # not JSON, not an object, not UTF-8
    ("answer", "not_json", lambda t: "score=9"),
    ("answer", "json_array", lambda t: "[1, 2, 3]"),
    ("answer", "json_string", lambda t: '"hello"'),
    ("answer", "empty_body", lambda t: b""),
    ("answer", "invalid_utf8", lambda t: b'{"score": 9, "comment": "\xff\xfe\xc3\x28"}'),
    ("answer", "utf8_overlong", lambda t: b'{"score": 9, "comment": "\xc0\xaf"}'),
    ("answer", "raw_nul_byte", lambda t: b'{"score": 9, "comment": "a\x00b"}'),
    # NUL and unpaired surrogates the database cannot store
    (
        "answer",
        "nul_in_comment",
        lambda t: {"token": t, "id": "a" * 20, "score": 5, "comment": "a\x00b"},
    ),
    (
        "answer",
        "surrogate_in_comment",
        lambda t: raw_answer(t, score="5", comment='"\\ud800"'),
    ),
    ("comment", "nul_in_key", lambda t: {"token": t, "id": ANSWER_ID, "comment": "ok", "k\x00": 1}),
    ("config", "nul_in_user_id", lambda t: {"user": {"id": "u\x001"}}),
    ("config", "nul_in_trait_key", lambda t: {"user": {"id": "u1", "traits": {"pl\x00n": "pro"}}}),
    ("config", "nul_in_name", lambda t: {"user": {"id": "u1", "name": "Ada\x00"}}),
    (
        "config",
        "surrogate_in_trait",
        lambda t: '{"user": {"id": "u1", "traits": {"a": "\\udfff"}}}',
    ),
    # forged, tampered and foreign tokens
    ("answer", "token_missing", lambda t: {"id": "a" * 20, "score": 5}),
    ("answer", "token_forged", lambda t: {"token": "forged:token", "id": "a" * 20, "score": 5}),
    ("answer", "token_tampered", lambda t: {"token": t[:-2] + "xx", "id": "a" * 20, "score": 5}),
    ("answer", "token_number", lambda t: {"token": 12345, "id": "a" * 20, "score": 5}),
    ("answer", "token_huge", lambda t: {"token": "x" * 10_000, "id": "a" * 20, "score": 5}),
    ("display", "token_sql", lambda t: {"token": SQL}),
    ("dismiss", "token_template", lambda t: {"token": TEMPLATE, "kind": "never"}),
    (
        "answer",
        "token_other_payload",
        lambda t: {
            "token": signing.dumps({"a": 1}, salt=respondent_tokens.SALT),
            "id": "a" * 20,
            "score": 5,
        },
    ),
    (
        "answer",
        "token_wrong_salt",
        lambda t: {"token": signing.dumps([1, 1]), "id": "a" * 20, "score": 5},
    ),
]


@pytest.mark.parametrize(
    ("endpoint", "body"),
    [pytest.param(endpoint, body, id=name) for endpoint, name, body in WIDGET_CASES],
)
def test_the_widget_refuses_hostile_bodies_and_changes_nothing(
    client: Client, widget: dict[str, Any], endpoint: str, body: Body
) -> None:
    before = counts()
    response = post_widget(client, widget["survey"].public_key, endpoint, body(widget["token"]))
    assert_refused(response, json_error=True)
    assert counts() == before
    with tenant_context(widget["survey"].organization):
        assert Response.objects.get().comment == ""


def test_a_body_over_the_cap_gets_413_in_the_widget_error_shape(
    client: Client, widget: dict[str, Any]
) -> None:
    body = json.dumps({"token": widget["token"], "id": ANSWER_ID, "comment": "x" * MAX_BODY_BYTES})
    response = post_widget(client, widget["survey"].public_key, "comment", body)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"


def test_a_body_over_djangos_upload_limit_still_gets_the_widget_413(
    client: Client, widget: dict[str, Any], settings: Any
) -> None:
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE > MAX_BODY_BYTES
    body = b" " * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = post_widget(client, widget["survey"].public_key, "answer", body)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"


def test_a_lying_content_length_is_refused(client: Client, widget: dict[str, Any]) -> None:
    before = counts()
    response = post_widget(
        client, widget["survey"].public_key, "answer", b"{}", CONTENT_LENGTH="not-a-number"
    )
    assert_refused(response, json_error=True)
    assert counts() == before


@pytest.mark.parametrize(
    "key",
    ["nope", "x" * 10_000, "%00", "%2e%2e", "' OR 1=1 --", "{{7*7}}", "%3Cscript%3E", "%ff%fe"],
)
@pytest.mark.parametrize("endpoint", ["config", "display", "answer", "comment", "dismiss"])
def test_an_unknown_survey_key_gets_404(
    client: Client, widget: dict[str, Any], key: str, endpoint: str
) -> None:
    before = counts()
    response = post_widget(client, key, endpoint, {"anonymous_id": ANON, "score": 9})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_survey"
    assert counts() == before


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete", "head"])
@pytest.mark.parametrize("endpoint", ["config", "display", "answer", "comment", "dismiss"])
def test_methods_other_than_post_get_405(
    client: Client, widget: dict[str, Any], method: str, endpoint: str
) -> None:
    before = counts()
    response = getattr(client, method)(
        f"/w/{widget['survey'].public_key}/{endpoint}", HTTP_ORIGIN=ORIGIN
    )
    assert response.status_code == 405
    assert counts() == before


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("application/x-www-form-urlencoded", "score=9&id=aaaaaaaaaaaaaaaaaaaa"),
        ("multipart/form-data; boundary=xyz", "--xyz\r\nbroken"),
        ("application/xml", "<score>9</score>"),
        # the test client encodes the text in the declared charset
        ("application/json; charset=utf-16", '{"score": 9}'),
    ],
)
def test_wrong_content_types_are_refused(
    client: Client, widget: dict[str, Any], content_type: str, data: Any
) -> None:
    before = counts()
    response = post_widget(
        client, widget["survey"].public_key, "answer", data, content_type=content_type
    )
    assert_refused(response, json_error=True)
    assert counts() == before


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "https://app.example.com.evil"])
def test_a_foreign_origin_is_refused(client: Client, widget: dict[str, Any], origin: str) -> None:
    before = counts()
    body = {"token": widget["token"], "id": "a" * 20, "score": 5}
    response = post_widget(client, widget["survey"].public_key, "answer", body, HTTP_ORIGIN=origin)
    assert response.status_code == 403
    assert counts() == before


def test_a_token_of_another_survey_is_refused(client: Client, widget: dict[str, Any]) -> None:
    other = survey_create(
        organization=widget["survey"].organization,
        kind="customer",
        name="Other",
        product_name="Other",
        allowed_origins=[ORIGIN],
    )
    before = counts()
    body = {"token": widget["token"], "id": "a" * 20, "score": 5}
    response = post_widget(client, other.public_key, "answer", body)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invalid_token"
    assert counts() == before


def test_an_expired_token_is_refused(
    client: Client, widget: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(respondent_tokens, "MAX_AGE", -1)
    before = counts()
    body = {"token": widget["token"], "id": "a" * 20, "score": 5}
    response = post_widget(client, widget["survey"].public_key, "answer", body)
    assert response.status_code == 403
    assert counts() == before


@pytest.mark.parametrize(
    "user_hash",
    [None, "", "0" * 64, "x" * 129, 12345, ["a"], "' OR 1=1 --", "for-another-user"],
)
def test_a_forged_identity_hash_is_refused(
    client: Client, survey: Survey, org: Organization, user_hash: Any
) -> None:
    Organization.objects.filter(pk=org.pk).update(require_identity_verification=True)
    if user_hash == "for-another-user":
        user_hash = user_hash_for(organization=org, user_id="someone-else")
    before = counts()
    user = {"id": "user-42", "hash": user_hash}
    response = post_widget(client, survey.public_key, "config", {"user": user})
    assert_refused(response, json_error=True)
    assert counts() == before


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_hostile_text_in_a_valid_answer_is_stored_verbatim_once(
    client: Client, widget: dict[str, Any], text: str
) -> None:
    survey = widget["survey"]
    before = counts()
    body = {"token": widget["token"], "id": "c" * 20, "score": 3, "comment": text}
    assert post_widget(client, survey.public_key, "answer", body).status_code == 201
    assert post_widget(client, survey.public_key, "answer", body).status_code == 200
    # One answer, and the one "answer" event that goes with it.
    assert counts() == {
        **before,
        "responses": before["responses"] + 1,
        "events": before["events"] + 1,
    }
    with tenant_context(survey.organization):
        assert Response.objects.get(client_id="c" * 20).comment == text


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_hostile_identity_text_is_stored_verbatim(
    client: Client, survey: Survey, text: str
) -> None:
    before = counts()
    user = {"id": text, "name": text, "traits": {text: text}}
    response = post_widget(client, survey.public_key, "config", {"user": user})
    assert response.status_code == 200, response.content
    assert counts() == {**before, "respondents": before["respondents"] + 1}
    with tenant_context(survey.organization):
        respondent = Respondent.objects.get()
    assert respondent.external_id == text.strip()
    assert respondent.name == text.strip()
    assert respondent.traits == {text: text}


# --- The link page /s/<key> -------------------------------------------------------

LINK_ID = "link-hostile-00000001"


def submit(client: Client, key: str, **fields: str) -> Any:
    data = {"score": "8", "id": LINK_ID, "channel": "link", "properties": "{}", **fields}
    return client.post(f"/s/{key}", data)


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"score": value}, id=f"score_{name}")
        for name, value in [
            ("empty", ""),
            ("float", "7.5"),
            ("negative", "-1"),
            ("eleven", "11"),
            ("huge", "1" + "0" * 20),
            ("exponent", "1e1"),
            ("arabic_digit", "\u0669"),
            ("padded", " 9"),
            ("sql", SQL),
            ("template", TEMPLATE),
        ]
    ]
    + [
        pytest.param({"score": "9\x00"}, id="nul_in_score"),
        pytest.param({"properties": '{"plan": "pro\x00"}'}, id="raw_nul_in_properties"),
        pytest.param({"lang": "fr\x00"}, id="nul_in_lang"),
        pytest.param({"id": LINK_ID + "\x00"}, id="nul_in_id"),
        pytest.param({"x\x00": "1"}, id="nul_in_field_name"),
    ],
)
def test_the_link_page_refuses_a_hostile_score_form(
    client: Client, survey: Survey, fields: dict[str, str]
) -> None:
    before = counts()
    response = submit(client, survey.public_key, **fields)
    assert_refused(response)
    assert counts() == before


@pytest.mark.parametrize(
    "properties",
    [
        pytest.param("[" * DEEP + "]" * DEEP, id="deep_json"),
        pytest.param('{"plan": "pro\\u0000"}', id="escaped_nul"),
        pytest.param('{"plan": "\\ud800"}', id="unpaired_surrogate"),
        pytest.param('{"' + "k" * 1000 + '": 1}', id="long_key"),
        pytest.param("not json", id="not_json"),
        pytest.param('["a", "b"]', id="a_list"),
    ],
)
def test_tampered_link_properties_are_dropped_not_a_crash(
    client: Client, survey: Survey, properties: str
) -> None:
    before = counts()
    response = submit(client, survey.public_key, properties=properties)
    assert response.status_code == 200
    assert counts()["responses"] == before["responses"] + 1
    with tenant_context(survey.organization):
        assert Response.objects.get().properties == {}


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_hostile_text_on_the_link_page_is_stored_verbatim_once(
    client: Client, survey: Survey, text: str
) -> None:
    properties = json.dumps({"plan": text})
    submit(client, survey.public_key, properties=properties)
    response = client.post(f"/s/{survey.public_key}/comment", {"id": LINK_ID, "comment": text})
    assert response.status_code == 302
    with tenant_context(survey.organization):
        (answer,) = Response.objects.all()
    assert answer.comment == text.strip()
    assert answer.properties == {"plan": text}


@pytest.mark.parametrize(
    "query",
    [
        "?score=%00",
        "?lang=%00",
        "?ref=%00",
        "?ref=%3Cscript%3Ealert(1)%3C/script%3E&plan=%7B%7B7*7%7D%7D",
        "?score=99999999999999999999",
        "?channel=%27%20OR%201=1",
        "?" + "&".join(f"k{n}=v" for n in range(500)),
    ],
)
def test_hostile_queries_on_the_link_page_render_safely_and_store_nothing(
    client: Client, survey: Survey, query: str
) -> None:
    before = counts()
    response = client.get(f"/s/{survey.public_key}{query}")
    assert response.status_code < 500
    html = response.content.decode()
    assert "<script>alert(1)" not in html
    assert counts() == before


@pytest.mark.parametrize("key", ["nope", "x" * 10_000, "%00", "' OR 1=1 --", "{{7*7}}"])
def test_an_unknown_link_key_gets_404(client: Client, survey: Survey, key: str) -> None:
    before = counts()
    assert client.get(f"/s/{key}").status_code in (400, 404)
    assert submit(client, key).status_code in (400, 404)
    assert client.post(f"/s/{key}/comment", {"id": LINK_ID, "comment": "x"}).status_code in (
        400,
        404,
    )
    assert counts() == before


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_the_link_page_refuses_other_methods(client: Client, survey: Survey, method: str) -> None:
    before = counts()
    assert getattr(client, method)(f"/s/{survey.public_key}").status_code == 405
    assert client.get(f"/s/{survey.public_key}/comment").status_code == 405
    assert counts() == before


def test_link_comments_that_are_too_big_or_unstorable_are_refused(
    client: Client, survey: Survey, settings: Any
) -> None:
    assert submit(client, survey.public_key).status_code == 200
    before = counts()
    url = f"/s/{survey.public_key}/comment"
    for comment in ["x" * 5001, "x" * MB, "a\x00b"]:
        assert_refused(client.post(url, {"id": LINK_ID, "comment": comment}))
    over_limit = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    assert_refused(client.post(url, {"id": LINK_ID, "comment": over_limit}))
    assert_refused(submit(client, survey.public_key, properties="x" * 10 * MB))
    assert counts() == before
    with tenant_context(survey.organization):
        assert Response.objects.get().comment == ""


def test_a_broken_multipart_body_is_refused(client: Client, survey: Survey) -> None:
    before = counts()
    response = client.post(
        f"/s/{survey.public_key}",
        "--xyz\r\nContent-Disposition: form-data\r\n\r\nbroken",
        content_type="multipart/form-data; boundary=xyz",
    )
    assert_refused(response)
    assert counts() == before


# --- The email landing /e/<token> and unsubscribe /u/<token> -------------------------


@pytest.fixture
def email_request(survey: Survey, mailoutbox: list[Any]) -> SurveyRequest:
    with tenant_context(survey.organization):
        request = outreach_services.request_schedule(
            survey=survey, recipient=Recipient(email="ada@example.com", name="Ada")
        )
    outreach_services.requests_send_due()
    return SurveyRequest.objects.unscoped().get(pk=request.pk)


def score_path(request: SurveyRequest, score: int = 9) -> str:
    return f"/e/{tokens.score_token(request_id=request.pk, score=score)}"


def signed_score(value: str) -> str:
    return signing.TimestampSigner(salt="outreach.score-link").sign(value)


def signed_unsubscribe(value: str) -> str:
    return signing.Signer(salt="outreach.unsubscribe-link").sign(value)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda r: "1.9:forged:signature", id="forged"),
        pytest.param(lambda r: score_path(r)[3:-3] + "abc", id="tampered_signature"),
        pytest.param(lambda r: score_path(r)[3:].replace(f"{r.pk}.9", f"{r.pk}.3"), id="swapped"),
        pytest.param(lambda r: signed_score(f"{r.pk}.11"), id="score_eleven"),
        pytest.param(lambda r: signed_score(f"{r.pk}.-1"), id="score_negative"),
        pytest.param(lambda r: signed_score(f"{r.pk}"), id="no_score"),
        pytest.param(lambda r: signed_score("9" * 40 + ".9"), id="id_beyond_bigint"),
        pytest.param(lambda r: signed_score("\u0661.9"), id="non_ascii_digit"),
        pytest.param(lambda r: signed_score("999999999.9"), id="unknown_request"),
        pytest.param(lambda r: signing.Signer(salt="outreach.score-link").sign("1.9"), id="no_ts"),
        pytest.param(lambda r: signed_unsubscribe(str(r.pk)), id="unsubscribe_token"),
        pytest.param(lambda r: "%00", id="nul"),
        pytest.param(lambda r: "x" * 10_000, id="huge"),
        pytest.param(lambda r: "{{7*7}}", id="template"),
        pytest.param(lambda r: "'%20OR%201=1--", id="sql"),
    ],
)
def test_a_bad_score_link_gets_a_clear_4xx_and_records_nothing(
    client: Client, email_request: SurveyRequest, token: Callable[[SurveyRequest], str]
) -> None:
    before = counts()
    path = f"/e/{token(email_request)}"
    for response in (client.get(path), client.post(path), client.post(f"{path}/comment")):
        assert_refused(response)
    assert counts() == before


def test_an_expired_score_link_gets_410(
    client: Client, email_request: SurveyRequest, settings: Any
) -> None:
    settings.SURVEY_LINK_MAX_AGE_DAYS = -1
    before = counts()
    assert client.post(score_path(email_request)).status_code == 410
    assert counts() == before


def test_a_replayed_one_click_link_records_one_answer(
    client: Client, email_request: SurveyRequest
) -> None:
    before = counts()
    first = client.post(score_path(email_request, 9))
    assert first.status_code == 200
    after_first = counts()
    assert after_first["responses"] == before["responses"] + 1
    for replay in (score_path(email_request, 9), score_path(email_request, 2)):
        again = Client().post(replay)
        assert again.status_code == 200
        assert "already answered" in again.content.decode()
    assert counts() == after_first
    with tenant_context(email_request.organization):
        assert Response.objects.get().score == 9


def test_landing_comments_that_are_too_big_or_unstorable_are_refused(
    client: Client, email_request: SurveyRequest, settings: Any
) -> None:
    path = score_path(email_request)
    client.post(path)
    before = counts()
    for comment in [
        "x" * 5001,
        "x" * MB,
        "a\x00b",
        "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
    ]:
        assert_refused(client.post(f"{path}/comment", {"comment": comment}))
    assert counts() == before
    with tenant_context(email_request.organization):
        assert Response.objects.get().comment == ""


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_a_hostile_landing_comment_is_stored_verbatim(
    client: Client, email_request: SurveyRequest, text: str
) -> None:
    path = score_path(email_request)
    client.post(path)
    assert client.post(f"{path}/comment", {"comment": text}).status_code == 200
    with tenant_context(email_request.organization):
        assert Response.objects.get().comment == text.strip()
    html = client.get(path).content.decode()
    assert "<script>alert" not in html


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda r: "1:forged", id="forged"),
        pytest.param(lambda r: signed_unsubscribe(str(r.pk))[:-2] + "zz", id="tampered"),
        pytest.param(lambda r: signed_unsubscribe("abc"), id="not_a_number"),
        pytest.param(lambda r: signed_unsubscribe("9" * 40), id="beyond_bigint"),
        pytest.param(lambda r: signed_unsubscribe("\u0661"), id="non_ascii_digit"),
        pytest.param(lambda r: signed_unsubscribe("999999999"), id="unknown_request"),
        pytest.param(lambda r: signed_score(f"{r.pk}.9"), id="score_token"),
        pytest.param(lambda r: "%00", id="nul"),
    ],
)
def test_a_bad_unsubscribe_link_gets_a_clear_4xx_and_suppresses_nobody(
    client: Client, email_request: SurveyRequest, token: Callable[[SurveyRequest], str]
) -> None:
    before = counts()
    path = f"/u/{token(email_request)}"
    for response in (client.get(path), client.post(path, {"List-Unsubscribe": "One-Click"})):
        assert_refused(response)
    assert counts() == before


def test_a_replayed_unsubscribe_adds_one_suppression(
    client: Client, email_request: SurveyRequest
) -> None:
    path = f"/u/{signed_unsubscribe(str(email_request.pk))}"
    before = counts()
    for _ in range(3):
        assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert counts() == {**before, "suppressions": before["suppressions"] + 1}


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_email_links_refuse_other_methods(
    client: Client, email_request: SurveyRequest, method: str
) -> None:
    before = counts()
    path = score_path(email_request)
    unsubscribe = f"/u/{signed_unsubscribe(str(email_request.pk))}"
    for url in (path, f"{path}/comment", unsubscribe):
        assert getattr(client, method)(url).status_code == 405
    assert client.get(f"{path}/comment").status_code == 405
    assert counts() == before
