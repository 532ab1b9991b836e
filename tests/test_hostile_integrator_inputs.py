"""Hostile input against what integrators call: `/api/v1/`, `/delighted/v1/` and
the Delighted CSV import.

Every bad request gets a clear 4xx (never a 5xx) and changes nothing: the rows of
every table an integrator can write are counted before and after. Text that is
valid but hostile (markup, SQL, template syntax) is stored verbatim, as text.
"""

import base64
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from importer.models import ImportJob, ImportStatus
from importer.services import import_job_run
from integrations.models import Webhook
from outreach.models import Suppression, SurveyRequest
from responses.models import Note, Respondent, Response
from surveys.models import Survey
from tenants.context import tenant_context
from tenants.models import Organization
from themes.models import ThemeDecision

from .test_api_isolation import computed_themes

MODELS = (Response, Respondent, Note, Survey, Webhook, Suppression, SurveyRequest, ThemeDecision)

XSS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    '"><svg onload=window.__xss=1>',
]
SQL = ["'; DROP TABLE responses_response; --", "1' OR '1'='1", "x\\'; SELECT pg_sleep(10); --"]
TEMPLATES = ["{{ settings.SECRET_KEY }}", "{% debug %}", "${7*7}", "#{7*7}", "%s%s%n"]
HOSTILE_TEXT = XSS + SQL + TEMPLATES

DEEP = ("[" * 10_000 + "]" * 10_000).encode()
DEEP_OBJECT = ('{"a":' * 10_000 + "1" + "}" * 10_000).encode()
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def loopback_hooks(settings: Any) -> None:
    """Webhook URLs are not resolved over the network in these tests."""
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = True


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.unscoped().count() for model in MODELS}


@pytest.fixture
def answered(survey: Survey) -> Response:
    """One answer of org, the target of PATCH, notes and Delighted's PUT, and
    of two computed themes (the theme changes)."""
    with tenant_context(survey.organization):
        respondent = Respondent.objects.create(
            organization=survey.organization, email="ada@example.com", name="Ada"
        )
        response = Response.objects.create(
            organization=survey.organization,
            survey=survey,
            respondent=respondent,
            score=8,
            comment="Fine.",
        )
    computed_themes(survey.organization, {"fine": response.pk, "good": response.pk})
    return response


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def basic_header(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(key.encode()).decode()}


def send(headers: dict[str, str], method: str, path: str, body: Any, content_type: str) -> Any:
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    # `generic` sends the bytes as they are, whatever the Content-Type claims.
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    return Client(headers=headers).generic(method.upper(), path, raw, content_type=content_type)


def assert_refused(response: Any, before: dict[str, int]) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert counts() == before


# The write endpoints and a valid body for each ------------------------------------

Endpoint = tuple[str, str, Callable[[Survey, Response], str], Callable[[Survey], dict[str, Any]]]

API: list[Endpoint] = [
    (
        "surveys",
        "post",
        lambda s, r: "/api/v1/surveys",
        lambda s: {"kind": "customer", "name": "S"},
    ),
    ("survey", "patch", lambda s, r: f"/api/v1/surveys/{s.pk}", lambda s: {"name": "S"}),
    (
        "respondents",
        "post",
        lambda s, r: "/api/v1/respondents",
        lambda s: {"email": "x@example.com", "name": "X", "traits": {"plan": "pro"}},
    ),
    (
        "respondent",
        "patch",
        lambda s, r: f"/api/v1/respondents/{r.respondent_id}",
        lambda s: {"name": "X", "traits": {"plan": "pro"}},
    ),
    (
        "responses",
        "post",
        lambda s, r: "/api/v1/responses",
        lambda s: {"survey": s.public_key, "score": 9, "comment": "ok", "properties": {"p": "v"}},
    ),
    (
        "response",
        "patch",
        lambda s, r: f"/api/v1/responses/{r.pk}",
        lambda s: {"comment": "ok", "tags": ["t"]},
    ),
    ("notes", "post", lambda s, r: f"/api/v1/responses/{r.pk}/notes", lambda s: {"body": "n"}),
    (
        "survey_requests",
        "post",
        lambda s, r: "/api/v1/survey_requests",
        lambda s: {"email": "x@example.com", "survey": s.public_key},
    ),
    (
        "unsubscribes",
        "post",
        lambda s, r: "/api/v1/unsubscribes",
        lambda s: {"email": "x@example.com"},
    ),
    (
        "webhooks",
        "post",
        lambda s, r: "/api/v1/webhooks",
        lambda s: {"url": "http://127.0.0.1:9/nps", "events": ["response.created"]},
    ),
    (
        "theme_rename",
        "post",
        lambda s, r: "/api/v1/themes/fine/rename",
        lambda s: {"label": "Fine"},
    ),
    ("theme_merge", "post", lambda s, r: "/api/v1/themes/fine/merge", lambda s: {"into": "good"}),
    ("theme_tag", "post", lambda s, r: "/api/v1/themes/fine/tag", lambda s: {"tag": "fine"}),
]

DELIGHTED: list[Endpoint] = [
    (
        "people",
        "post",
        lambda s, r: "/delighted/v1/people.json",
        lambda s: {"email": "x@example.com", "name": "X", "send": False, "properties": {"p": "v"}},
    ),
    (
        "survey_responses",
        "post",
        lambda s, r: "/delighted/v1/survey_responses.json",
        lambda s: {"person_email": "x@example.com", "score": 9, "comment": "ok"},
    ),
    (
        "survey_response",
        "put",
        lambda s, r: f"/delighted/v1/survey_responses/{r.pk}.json",
        lambda s: {"comment": "ok"},
    ),
    (
        "unsubscribes",
        "post",
        lambda s, r: "/delighted/v1/unsubscribes.json",
        lambda s: {"person_email": "x@example.com"},
    ),
]

ENDPOINTS = [("api", *e) for e in API] + [("delighted", *e) for e in DELIGHTED]
IDS = [f"{kind}-{e[0]}-{e[1]}" for kind, *e in ENDPOINTS]


def auth(kind: str, key: str) -> dict[str, str]:
    return bearer(key) if kind == "api" else basic_header(key)


def with_each_string(body: Any, value: str) -> list[Any]:
    """The body once per string in it (keys of nested objects included), that
    string replaced by `value`."""
    variants: list[Any] = []
    if isinstance(body, dict):
        for k, v in body.items():
            if isinstance(v, str):
                variants.append({**body, k: value})
            elif isinstance(v, dict):
                variants.append({**body, k: {value: "v"}})
                variants += [{**body, k: sub} for sub in with_each_string(v, value)]
            elif isinstance(v, list) and v and isinstance(v[0], str):
                variants.append({**body, k: [value]})
    return variants


def with_each_type(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The body once per field, the field given values of every wrong type."""
    variants: list[dict[str, Any]] = []
    for k, v in body.items():
        # Numbers sent for text are kept as their digits (DRF's CharField), so the
        # wrong types are containers, and text where a number or flag belongs.
        wrongs: list[Any] = [[1, 2], {"a": 1}, [{"deep": [None]}]]
        if not isinstance(v, str):
            wrongs += ["ten", ""]
        variants += [{**body, k: wrong} for wrong in wrongs if type(wrong) is not type(v)]
    return variants


@pytest.mark.parametrize(("kind", "name", "method", "path", "valid"), ENDPOINTS, ids=IDS)
def test_the_valid_body_is_accepted(
    kind: str,
    name: str,
    method: str,
    path: Any,
    valid: Any,
    api_key: str,
    survey: Survey,
    answered: Response,
) -> None:
    """The corpus below starts from these bodies: each must be good, so its
    refusals are owed to the hostile part alone."""
    response = send(
        auth(kind, api_key), method, path(survey, answered), valid(survey), "application/json"
    )
    assert response.status_code in (200, 201, 202), response.content


@pytest.mark.parametrize(("kind", "name", "method", "path", "valid"), ENDPOINTS, ids=IDS)
def test_nul_bytes_in_any_value_or_key_are_refused(
    kind: str,
    name: str,
    method: str,
    path: Any,
    valid: Any,
    api_key: str,
    survey: Survey,
    answered: Response,
) -> None:
    for body in with_each_string(valid(survey), "a\x00b"):
        before = counts()
        response = send(
            auth(kind, api_key), method, path(survey, answered), body, "application/json"
        )
        assert_refused(response, before)
        assert response.status_code == 422, response.content


@pytest.mark.parametrize(("kind", "name", "method", "path", "valid"), ENDPOINTS, ids=IDS)
def test_values_of_the_wrong_type_are_refused(
    kind: str,
    name: str,
    method: str,
    path: Any,
    valid: Any,
    api_key: str,
    survey: Survey,
    answered: Response,
) -> None:
    for body in with_each_type(valid(survey)):
        before = counts()
        response = send(
            auth(kind, api_key), method, path(survey, answered), body, "application/json"
        )
        assert_refused(response, before)


BAD_BODIES = {
    "invalid-utf8": (
        b'{"name": "\xff\xfe\xfd", "email": "\xc3\x28@example.com"}',
        "application/json",
    ),
    "not-json": (b"{'name': ", "application/json"),
    "a-json-list": (b"[1, 2, 3]", "application/json"),
    "a-json-string": (b'"hello"', "application/json"),
    "json-null": (b"null", "application/json"),
    "deep-array": (DEEP, "application/json"),
    "deep-object": (DEEP_OBJECT, "application/json"),
    "1-mb": (
        json.dumps({"name": "x" * MB, "comment": "x" * MB, "body": "x" * MB}).encode(),
        "application/json",
    ),
    "10-mb": (json.dumps({"name": "x" * 10 * MB}).encode(), "application/json"),
    "nan": (b'{"score": NaN, "name": NaN}', "application/json"),
    "xml": (b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'a'>]><x>&a;</x>", "application/xml"),
    "text": (b"name=x", "text/plain"),
    "no-type": (b'{"name": "x"}', ""),
    # An unknown charset falls back to UTF-8: the bytes decide. (A NUL in a header
    # never reaches the application: HTTP servers refuse it.)
    "garbled-charset": (b'{"name": "\xff"}', "application/json; charset=\x01\x02"),
    "unknown-charset": (b'{"name": "\xff"}', "application/json; charset=klingon"),
    "multipart-no-boundary": (b"--x\r\n", "multipart/form-data"),
}


@pytest.mark.parametrize("case", BAD_BODIES)
@pytest.mark.parametrize(("kind", "name", "method", "path", "valid"), ENDPOINTS, ids=IDS)
def test_bodies_that_are_not_a_valid_object_are_refused(
    kind: str,
    name: str,
    method: str,
    path: Any,
    valid: Any,
    case: str,
    api_key: str,
    survey: Survey,
    answered: Response,
) -> None:
    body, content_type = BAD_BODIES[case]
    before = counts()
    response = send(auth(kind, api_key), method, path(survey, answered), body, content_type)
    assert_refused(response, before)


@pytest.mark.parametrize(("kind", "name", "method", "path", "valid"), ENDPOINTS, ids=IDS)
def test_a_body_over_the_upload_limit_gets_413_in_the_apis_shape(
    kind: str,
    name: str,
    method: str,
    path: Any,
    valid: Any,
    api_key: str,
    survey: Survey,
    answered: Response,
) -> None:
    body = {**valid(survey), "comment": "x" * 10 * MB}
    before = counts()
    response = send(auth(kind, api_key), method, path(survey, answered), body, "application/json")
    assert response.status_code == 413
    assert counts() == before
    if kind == "api":
        assert response.json()["error"]["code"] == "too_large"
    else:
        assert response.json()["status"] == 413


SCORES = [-1, 11, 7.5, "", None, 10**100, -(10**100), 1e308, [9], {"v": 9}, True, "NaN"]


@pytest.mark.parametrize("score", SCORES, ids=repr)
@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/responses", {"comment": "c"}),
        ("/delighted/v1/survey_responses.json", {"person_email": "s@example.com"}),
    ],
)
def test_scores_out_of_range_or_of_the_wrong_type_are_refused(
    path: str, body: dict[str, Any], score: Any, api_key: str, survey: Survey
) -> None:
    body = {**body, "score": score, "survey": survey.public_key}
    headers = bearer(api_key) if path.startswith("/api") else basic_header(api_key)
    before = counts()
    assert_refused(send(headers, "post", path, body, "application/json"), before)


FORGED_HEADERS = {
    "garbage-bearer": {"Authorization": "Bearer not-a-key"},
    "empty-bearer": {"Authorization": "Bearer "},
    "bearer-alone": {"Authorization": "Bearer"},
    "bearer-two-words": {"Authorization": "Bearer a b"},
    "bearer-nul": {"Authorization": "Bearer nps_\x00abc"},
    "bearer-huge": {"Authorization": "Bearer " + "k" * 100_000},
    "bearer-sql": {"Authorization": "Bearer ' OR 1=1 --"},
    "basic-not-base64": {"Authorization": "Basic !!!not base64!!!"},
    "basic-not-utf8": {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:\xfd").decode()},
    "basic-nul": {"Authorization": "Basic " + base64.b64encode(b"nps_\x00:").decode()},
    "basic-empty": {"Authorization": "Basic "},
    "basic-alone": {"Authorization": "Basic"},
    "basic-padding": {"Authorization": "Basic ===="},
    "unknown-scheme": {"Authorization": "Digest username=x"},
    "no-header": {},
}


@pytest.mark.parametrize("header", FORGED_HEADERS)
@pytest.mark.parametrize(("kind", "name", "method", "path", "valid"), ENDPOINTS, ids=IDS)
def test_forged_or_malformed_credentials_get_401(
    kind: str,
    name: str,
    method: str,
    path: Any,
    valid: Any,
    header: str,
    survey: Survey,
    answered: Response,
) -> None:
    before = counts()
    response = send(
        FORGED_HEADERS[header], method, path(survey, answered), valid(survey), "application/json"
    )
    assert response.status_code == 401, response.content[:300]
    assert counts() == before


# Writes by POST that name one of our objects in their path.
OBJECT_WRITES = ("notes", "theme_rename", "theme_merge", "theme_tag")


@pytest.mark.parametrize(
    ("kind", "name", "method", "path", "valid"),
    [e for e in ENDPOINTS if e[2] in ("patch", "put") or e[1] in OBJECT_WRITES],
    ids=[
        i
        for i, e in zip(IDS, ENDPOINTS, strict=True)
        if e[2] in ("patch", "put") or e[1] in OBJECT_WRITES
    ],
)
def test_another_organizations_key_cannot_write_to_our_objects(
    kind: str,
    name: str,
    method: str,
    path: Any,
    valid: Any,
    other_api_key: str,
    survey: Survey,
    answered: Response,
) -> None:
    before = counts()
    response = send(
        auth(kind, other_api_key), method, path(survey, answered), valid(survey), "application/json"
    )
    assert response.status_code == 404, response.content[:300]
    assert counts() == before


@pytest.mark.parametrize(("kind", "name", "method", "path", "valid"), ENDPOINTS, ids=IDS)
def test_a_read_only_key_cannot_write_hostile_bodies_either(
    kind: str,
    name: str,
    method: str,
    path: Any,
    valid: Any,
    read_only_key: str,
    survey: Survey,
    answered: Response,
) -> None:
    before = counts()
    response = send(
        auth(kind, read_only_key), method, path(survey, answered), DEEP, "application/json"
    )
    assert response.status_code == 403, response.content[:300]
    assert counts() == before


# Valid but hostile text is kept as text --------------------------------------------


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_hostile_text_is_stored_verbatim_through_the_api(
    text: str, api_key: str, survey: Survey, org: Organization
) -> None:
    body = {
        "survey": survey.public_key,
        "score": 3,
        "comment": text,
        "properties": {text: text},
        "respondent": {"email": "h@example.com", "name": text, "traits": {text: text}},
    }
    response = send(bearer(api_key), "post", "/api/v1/responses", body, "application/json")
    assert response.status_code == 201, response.content
    note = send(
        bearer(api_key),
        "post",
        f"/api/v1/responses/{response.json()['id']}/notes",
        {"body": text},
        "application/json",
    )
    assert note.status_code == 201, note.content
    with tenant_context(org):
        stored = Response.objects.select_related("respondent").get(pk=response.json()["id"])
        assert stored.comment == text
        assert stored.properties == {text: text}
        assert stored.respondent is not None
        assert stored.respondent.name == text
        assert stored.respondent.traits[text] == text
        assert Note.objects.get(response=stored).body == text
    assert response.json()["comment"] == text


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_hostile_text_is_kept_verbatim_as_a_themes_name(
    text: str, api_key: str, answered: Response, org: Organization
) -> None:
    renamed = send(
        bearer(api_key), "post", "/api/v1/themes/fine/rename", {"label": text}, "application/json"
    )
    assert renamed.status_code == 200, renamed.content
    assert renamed.json()["label"] == text
    with tenant_context(org):
        assert ThemeDecision.objects.get().label == text


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_hostile_text_is_stored_verbatim_through_the_delighted_api(
    text: str, api_key: str, survey: Survey, org: Organization
) -> None:
    body = {
        "person_email": "h@example.com",
        "score": 3,
        "comment": text,
        "person_properties": {text: text},
    }
    response = send(
        basic_header(api_key),
        "post",
        "/delighted/v1/survey_responses.json",
        body,
        "application/json",
    )
    assert response.status_code == 201, response.content
    with tenant_context(org):
        stored = Response.objects.get(pk=int(response.json()["id"]))
        assert stored.comment == text
        assert stored.properties == {text: text}


def test_hostile_text_in_a_form_encoded_delighted_body_is_stored_verbatim(
    api_key: str, survey: Survey, org: Organization
) -> None:
    text = XSS[1] + SQL[0]
    data = {"email": "f@example.com", "name": text, "send": "false", f"properties[{text}]": text}
    response = Client(headers=basic_header(api_key)).post("/delighted/v1/people.json", data)
    assert response.status_code == 200, response.content
    with tenant_context(org):
        person = Respondent.objects.get(email="f@example.com")
        assert person.name == text
        assert person.traits[text] == text


# The Delighted CSV import ----------------------------------------------------------

HEADER = b"Response ID,Score,Comment,Created At,Email,Name\r\n"
ROW = b"r1,9,Great,2026-03-01 10:00:00 UTC,a@example.com,Ada\r\n"

BAD_CSV = {
    "invalid-utf8-header": b"Sc\xffore,Created At\r\n9,2026-03-01 10:00:00 UTC\r\n",
    "invalid-utf8-cell": HEADER + b"r1,9,Gr\xe9at,2026-03-01 10:00:00 UTC,a@example.com,Ada\r\n",
    "nul-in-a-cell": HEADER + b"r1,9,Gr\x00eat,2026-03-01 10:00:00 UTC,a@example.com,Ada\r\n",
    "nul-in-a-name": HEADER + b"r1,9,Great,2026-03-01 10:00:00 UTC,a@example.com,A\x00da\r\n",
    "nul-in-the-header": b"Response ID,Score,Comment,Created At,Email,Name,Pl\x00an\r\n"
    + b"r1,9,Great,2026-03-01 10:00:00 UTC,a@example.com,Ada,pro\r\n",
    "nul-in-a-property": b"Response ID,Score,Comment,Created At,Email,Name,Plan\r\n"
    + b"r1,9,Great,2026-03-01 10:00:00 UTC,a@example.com,Ada,p\x00ro\r\n",
    "nul-in-a-response-id": HEADER
    + b"r\x001,9,Great,2026-03-01 10:00:00 UTC,a@example.com,Ada\r\n",
    "100000-columns": b"Score,Created At,"
    + b",".join(b"c%d" % i for i in range(100_000))
    + b"\r\n",
    "huge-field": HEADER
    + b'r1,9,"'
    + b"lol" * 4_000_000
    + b'",2026-03-01 10:00:00 UTC,a@example.com,Ada\r\n',
    "huge-unquoted-line": HEADER + b"r1,9," + b"x" * 12 * MB + b"\r\n",
    "unclosed-quote": HEADER + b'r1,9,"never closed,2026-03-01 10:00:00 UTC,a@example.com,Ada\r\n',
    "score-out-of-range": HEADER + b"r1,11,Great,2026-03-01 10:00:00 UTC,a@example.com,Ada\r\n",
    "score-not-a-number": HEADER + b"r1,=1+9,Great,2026-03-01 10:00:00 UTC,a@example.com,Ada\r\n",
    "binary": bytes(range(256)) * 64,
    "only-a-bom": b"\xef\xbb\xbf",
}


def run_upload(client: Client, org: Organization, survey: Survey, content: bytes) -> ImportJob:
    upload = io.BytesIO(content)
    upload.name = "export.csv"
    page = f"/o/{org.slug}/surveys/{survey.pk}/import/"
    response = client.post(page, {"file": upload})
    assert response.status_code == 302, response.content[:300]
    with tenant_context(org):
        job = ImportJob.objects.order_by("-pk").first()
        assert job is not None
        import_job_run(job_id=job.pk)
        job.refresh_from_db()
    return job


@pytest.mark.parametrize("case", BAD_CSV)
def test_a_hostile_csv_is_reported_invalid_and_imports_nothing(
    case: str, owner_client: Client, org: Organization, survey: Survey, settings: Any
) -> None:
    settings.IMPORT_MAX_UPLOAD_MB = 50
    before = counts()
    job = run_upload(owner_client, org, survey, BAD_CSV[case])
    assert job.status == ImportStatus.INVALID, (job.status, job.errors)
    assert job.errors and all(error["line"] >= 1 and error["message"] for error in job.errors)
    assert counts() == before
    page = owner_client.get(f"/o/{org.slug}/surveys/{survey.pk}/import/{job.pk}/")
    assert page.status_code == 200


def test_an_empty_upload_is_refused_with_400(
    owner_client: Client, org: Organization, survey: Survey
) -> None:
    upload = io.BytesIO(b"")
    upload.name = "export.csv"
    response = owner_client.post(f"/o/{org.slug}/surveys/{survey.pk}/import/", {"file": upload})
    assert response.status_code == 400
    with tenant_context(org):
        assert not ImportJob.objects.exists()


def test_an_upload_over_the_size_limit_is_refused_with_400(
    owner_client: Client, org: Organization, survey: Survey, settings: Any
) -> None:
    settings.IMPORT_MAX_UPLOAD_MB = 1
    upload = io.BytesIO(HEADER + ROW * (MB // len(ROW) + 10))
    upload.name = "export.csv"
    before = counts()
    response = owner_client.post(f"/o/{org.slug}/surveys/{survey.pk}/import/", {"file": upload})
    assert response.status_code == 400
    assert counts() == before
    with tenant_context(org):
        assert not ImportJob.objects.exists()


FORMULAS = [
    '=HYPERLINK("http://evil.example","x")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "=cmd|' /C calc'!A0",
]


def test_formula_cells_in_a_csv_are_imported_as_plain_text(
    owner_client: Client, org: Organization, survey: Survey
) -> None:
    """A cell is text: the formula is kept as typed (exports escape it again)."""
    rows = b"".join(
        b'r%d,9,"%s",2026-03-01 10:00:00 UTC,f%d@example.com,"%s"\r\n'
        % (i, f.replace('"', '""').encode(), i, f.replace('"', '""').encode())
        for i, f in enumerate(FORMULAS)
    )
    job = run_upload(owner_client, org, survey, HEADER + rows)
    assert job.status == ImportStatus.DONE, job.errors
    with tenant_context(org):
        assert sorted(Response.objects.values_list("comment", flat=True)) == sorted(FORMULAS)
        assert sorted(Respondent.objects.values_list("name", flat=True)) == sorted(FORMULAS)


NUL_IN_URLS = [
    ("post", "/delighted/v1/people.json?survey=%00", {"email": "u@example.com"}),
    (
        "post",
        "/delighted/v1/survey_responses.json?survey=a%00",
        {"person_email": "u@example.com", "score": 9},
    ),
    ("delete", "/api/v1/unsubscribes/a%00b@example.com", None),
    ("delete", "/delighted/v1/people/email:a%00b@example.com.json", None),
    ("delete", "/delighted/v1/people/a%00b@example.com/survey_requests/pending.json", None),
    ("patch", "/api/v1/surveys/pk%00x", {"name": "x"}),
    ("post", "/api/v1/themes/fi%00ne/rename", {"label": "x"}),
    ("post", "/api/v1/themes/fine/tag?survey=%00", {"tag": "x"}),
]


@pytest.mark.parametrize(("method", "path", "body"), NUL_IN_URLS)
def test_a_nul_in_the_path_or_query_string_of_a_write_is_refused(
    method: str, path: str, body: Any, api_key: str, survey: Survey, answered: Response
) -> None:
    headers = bearer(api_key) if path.startswith("/api") else basic_header(api_key)
    before = counts()
    assert_refused(send(headers, method, path, body or {}, "application/json"), before)


NUL_IN_READS = [
    "/api/v1/responses?q=%00",
    "/api/v1/responses?trait=pl%00an:pro",
    "/api/v1/responses?survey=%00",
    "/api/v1/responses?theme=%00",
    "/api/v1/respondents?email=a%00b",
    "/api/v1/survey_requests?email=a%00",
    "/api/v1/unsubscribes?email=a%00",
    "/api/v1/metrics?survey=%00",
    "/delighted/v1/survey_responses.json?trend=%00",
    "/delighted/v1/people.json?page_info=%00",
    "/delighted/v1/unsubscribes.json?since=%00",
]


@pytest.mark.parametrize("path", NUL_IN_READS)
def test_a_nul_in_a_filter_never_crashes_a_read(
    path: str, api_key: str, survey: Survey, answered: Response
) -> None:
    headers = bearer(api_key) if path.startswith("/api") else basic_header(api_key)
    response = Client(headers=headers).get(path)
    assert response.status_code < 500, response.content[:300]


@pytest.mark.parametrize("case", BAD_CSV)
def test_the_import_command_refuses_a_hostile_csv_and_imports_nothing(
    case: str, org: Organization, survey: Survey, tmp_path: Any
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(BAD_CSV[case])
    before = counts()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "import_delighted",
            str(path),
            org=org.slug,
            survey=survey.public_key,
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert counts() == before


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/responses", {"score": 9}),
        ("/api/v1/survey_requests", {"email": "o@example.com"}),
        ("/api/v1/webhooks", {"url": "http://127.0.0.1:9/x", "events": ["response.created"]}),
        ("/delighted/v1/survey_responses.json", {"person_email": "o@example.com", "score": 9}),
        ("/delighted/v1/people.json", {"email": "o@example.com"}),
    ],
)
def test_another_organizations_key_cannot_name_our_survey(
    path: str, body: dict[str, Any], other_api_key: str, survey: Survey
) -> None:
    headers = bearer(other_api_key) if path.startswith("/api") else basic_header(other_api_key)
    before = counts()
    response = send(
        headers, "post", path, {**body, "survey": survey.public_key}, "application/json"
    )
    assert_refused(response, before)
    assert response.status_code in (404, 422)
