"""`/api/v1/responses`: answers captured from code, listed like the back office, followed up."""

import json
from base64 import urlsafe_b64encode
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.http import urlencode

from responses.models import Note, Respondent, Response
from surveys.models import Survey
from surveys.services import survey_create, variant_create
from tenants.context import tenant_context
from tenants.models import Organization

URL = "/api/v1/responses"


def api(key: str | None = None) -> Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return Client(headers=headers)


def send(key: str | None, method: str, url: str, body: Any = None) -> Any:
    call = getattr(api(key), method)
    if body is None:
        return call(url)
    return call(url, json.dumps(body), content_type="application/json")


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code and error["message"]
    return error


def stored(organization: Organization) -> list[dict[str, Any]]:
    with tenant_context(organization):
        return list(Response.objects.order_by("pk").values())


def respondents(organization: Organization) -> list[dict[str, Any]]:
    with tenant_context(organization):
        return list(Respondent.objects.order_by("pk").values())


def answer(survey: Survey, score: int, *, when: datetime | None = None, **more: Any) -> Response:
    with tenant_context(survey.organization):
        return Response.objects.create(
            organization=survey.organization,
            survey=survey,
            score=score,
            created_at=when or timezone.now(),
            **more,
        )


def walk(key: str, url: str) -> list[int]:
    seen: list[int] = []
    while url:
        page = api(key).get(url)
        assert page.status_code == 200, page.content
        seen += [row["id"] for row in page.json()["results"]]
        url = page.json()["next"]
    return seen


@pytest.fixture
def other_survey(other_org: Organization) -> Survey:
    return survey_create(organization=other_org, kind="customer", name="Theirs")


@pytest.fixture
def one(survey: Survey) -> Response:
    return answer(survey, 3, comment="Too slow")


# --- Recording ----------------------------------------------------------------------


def test_it_records_an_answer_with_its_respondent(
    api_key: str, survey: Survey, org: Organization
) -> None:
    body = {
        "survey": survey.public_key,
        "score": 4,
        "comment": "Exports are slow.",
        "created_at": "2026-03-02T14:05:00Z",
        "language": "FR",
        "properties": {"plan": "pro"},
        "respondent": {"external_id": "u-1", "email": "ada@example.com", "name": "Ada"},
        "client_id": "ticket-1",
    }
    response = send(api_key, "post", URL, body)
    assert response.status_code == 201, response.content
    shown = response.json()
    assert shown["survey"] == {"id": survey.pk, "public_key": survey.public_key}
    assert (shown["score"], shown["category"], shown["channel"], shown["language"]) == (
        4,
        "detractor",
        "api",
        "fr",
    )
    assert shown["created_at"] == "2026-03-02T14:05:00Z"
    assert shown["respondent"]["external_id"] == "u-1"
    assert shown["properties"] == {"plan": "pro"}
    assert (shown["tags"], shown["notes"], shown["follow_up_status"], shown["assignee"]) == (
        [],
        [],
        "new",
        None,
    )
    [row] = stored(org)
    assert row["created_at"] == datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
    assert respondents(org)[0]["name"] == "Ada"


def test_it_takes_the_survey_id_unix_seconds_and_no_respondent(
    api_key: str, survey: Survey, org: Organization
) -> None:
    response = send(
        api_key, "post", URL, {"survey": str(survey.pk), "score": 10, "created_at": 1772000000}
    )
    assert response.status_code == 201, response.content
    assert response.json()["respondent"] is None
    assert stored(org)[0]["created_at"] == datetime.fromtimestamp(1772000000, tz=UTC)


def test_the_same_client_id_again_returns_the_same_answer(
    api_key: str, survey: Survey, org: Organization
) -> None:
    body = {
        "survey": survey.public_key,
        "score": 9,
        "respondent": {"email": "ada@example.com"},
        "client_id": "import-1",
    }
    first = send(api_key, "post", URL, body)
    again = send(api_key, "post", URL, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert len(stored(org)) == 1 and len(respondents(org)) == 1


def test_a_client_id_of_another_respondent_is_a_conflict(
    api_key: str, survey: Survey, org: Organization
) -> None:
    body = {"survey": survey.public_key, "score": 9, "client_id": "x-1"}
    send(api_key, "post", URL, {**body, "respondent": {"external_id": "u-1"}})
    before, people = stored(org), respondents(org)
    conflicting = {**body, "respondent": {"external_id": "u-2", "traits": {"a": 1}}}
    assert_error(send(api_key, "post", URL, conflicting), 409, "conflict")
    second_survey = survey_create(organization=org, kind="customer", name="Second")
    other = {**body, "survey": second_survey.public_key, "respondent": {"external_id": "u-1"}}
    assert_error(send(api_key, "post", URL, other), 409, "conflict")
    assert stored(org) == before and respondents(org) == people


@pytest.mark.parametrize(
    "change",
    [
        {"score": 11},
        {"score": -1},
        {"score": "7"},
        {"score": 7.5},
        {"score": True},
        {"score": None},
        {"survey": None},
        {"survey": "pk_nope"},
        {"created_at": "tomorrow"},
        {"comment": "x" * 5001},
        {"properties": [1, 2]},
        {"respondent": {"name": "No id"}},
        {"respondent": "ada@example.com"},
        {"channel": "widget"},
        {"client_id": "x" * 65},
    ],
)
def test_it_refuses_a_bad_answer_and_stores_nothing(
    api_key: str, survey: Survey, org: Organization, change: dict[str, Any]
) -> None:
    body = {"survey": survey.public_key, "score": 8, **change}
    body = {key: value for key, value in body.items() if value is not None}
    error = assert_error(send(api_key, "post", URL, body), 422, "invalid")
    assert error["details"]
    assert stored(org) == [] and respondents(org) == []


def test_it_refuses_an_answer_given_in_the_future(
    api_key: str, survey: Survey, org: Organization
) -> None:
    tomorrow = (timezone.now() + timedelta(days=1)).isoformat()
    body = {"survey": survey.public_key, "score": 8, "created_at": tomorrow}
    error = assert_error(send(api_key, "post", URL, body), 422, "invalid")
    assert "created_at" in error["details"]
    assert stored(org) == []


def test_it_refuses_another_organizations_survey(
    api_key: str, other_survey: Survey, org: Organization, other_org: Organization
) -> None:
    for reference in (str(other_survey.pk), other_survey.public_key):
        body = {"survey": reference, "score": 8, "respondent": {"external_id": "u-1"}}
        error = assert_error(send(api_key, "post", URL, body), 422, "invalid")
        assert "survey" in error["details"]
    assert stored(org) == stored(other_org) == []
    assert respondents(org) == []


def test_a_read_only_key_or_no_key_cannot_record(
    read_only_key: str, survey: Survey, org: Organization
) -> None:
    body = {"survey": survey.public_key, "score": 8}
    assert_error(send(read_only_key, "post", URL, body), 403, "permission_denied")
    assert_error(send(None, "post", URL, body), 401, "not_authenticated")
    assert stored(org) == []


# --- Listing ---------------------------------------------------------------------------


def test_it_lists_newest_first_and_shows_every_field(
    read_only_key: str, survey: Survey, owner: Any
) -> None:
    old = answer(survey, 9, when=timezone.now() - timedelta(days=2))
    new = answer(survey, 6, comment="Meh", tags=["price"], assignee=owner)
    rows = api(read_only_key).get(URL).json()["results"]
    assert [row["id"] for row in rows] == [new.pk, old.pk]
    assert rows[0]["assignee"] == {"id": owner.pk, "email": owner.email}
    assert set(rows[0]) == {
        "id",
        "survey",
        "variant",
        "respondent",
        "score",
        "category",
        "comment",
        "channel",
        "language",
        "properties",
        "tags",
        "follow_up_status",
        "assignee",
        "created_at",
        "updated_at",
    }


def test_it_names_the_variant_an_answer_saw_and_null_without_one(
    read_only_key: str, survey: Survey
) -> None:
    with tenant_context(survey.organization):
        variant_create(survey=survey, name="Original")
        short = variant_create(survey=survey, name="Short, friendly")
    plain = answer(survey, 9, when=timezone.now() - timedelta(days=1))
    tested = answer(survey, 4, variant=short)
    rows = api(read_only_key).get(URL).json()["results"]
    assert [(row["id"], row["variant"]) for row in rows] == [
        (tested.pk, "Short, friendly"),
        (plain.pk, None),
    ]
    assert api(read_only_key).get(f"{URL}/{tested.pk}").json()["variant"] == "Short, friendly"
    assert api(read_only_key).get(f"{URL}/{plain.pk}").json()["variant"] is None


def _list_queries(key: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert api(key).get(URL).status_code == 200
    return len(context.captured_queries)


def test_listing_variants_takes_no_query_per_row(read_only_key: str, survey: Survey) -> None:
    with tenant_context(survey.organization):
        variants = [variant_create(survey=survey, name=f"V{i}") for i in range(3)]
    answer(survey, 5, variant=variants[0])
    _list_queries(read_only_key)  # a first use also records when the key was used
    few = _list_queries(read_only_key)
    for i in range(6):
        answer(survey, i, variant=variants[i % 3])
    assert _list_queries(read_only_key) == few


def test_another_organizations_key_lists_none_of_ours(
    other_api_key: str, one: Response, other_survey: Survey
) -> None:
    theirs = answer(other_survey, 5)
    rows = api(other_api_key).get(URL).json()["results"]
    assert [row["id"] for row in rows] == [theirs.pk]
    assert api(other_api_key).get(URL, {"respondent": "1"}).json()["results"] == []


def test_no_key_cannot_list(one: Response) -> None:
    assert_error(api().get(URL), 401, "not_authenticated")


def test_pages_walk_every_row_once_even_when_answers_arrive_meanwhile(
    api_key: str, survey: Survey
) -> None:
    moment = timezone.now() - timedelta(hours=1)
    # An import stamps many answers alike: ties on created_at are ordered by id.
    made = [answer(survey, n % 11, when=moment).pk for n in range(5)]
    made += [answer(survey, 5, when=moment - timedelta(minutes=n)).pk for n in range(1, 4)]
    seen: list[int] = []
    url = f"{URL}?per_page=3"
    while url:
        page = api(api_key).get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
        answer(survey, 10)  # arrives between two pages
        answer(survey, 1, when=moment)  # an import of the same moment, newer id
    original = set(made)
    walked = [pk for pk in seen if pk in original]
    assert sorted(walked) == sorted(made)
    assert len(walked) == len(set(walked))
    assert len(seen) == len(set(seen))


def test_the_previous_link_returns_the_page_before(api_key: str, survey: Survey) -> None:
    made = [answer(survey, 7).pk for _ in range(5)]
    first = api(api_key).get(URL, {"per_page": 2}).json()
    assert first["previous"] is None
    second = api(api_key).get(first["next"]).json()
    back = api(api_key).get(second["previous"]).json()
    assert [row["id"] for row in back["results"]] == [row["id"] for row in first["results"]]
    assert [row["id"] for row in first["results"]] == sorted(made, reverse=True)[:2]


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        "bm90LWpzb24",
        urlsafe_b64encode(b'{"k":["yesterday","1"]}').decode(),
        urlsafe_b64encode(b'{"k":["2026-03-01T00:00:00Z"]}').decode(),
        urlsafe_b64encode(b'{"k":[null,null]}').decode(),
    ],
)
def test_a_bad_cursor_is_refused(api_key: str, one: Response, cursor: str) -> None:
    error = assert_error(api(api_key).get(URL, {"cursor": cursor}), 422, "invalid")
    assert "cursor" in error["details"]


TODAY = date.today()
FILTERS = [
    {},
    {"range": "30"},
    {
        "range": "custom",
        "from": str(TODAY - timedelta(days=60)),
        "to": str(TODAY - timedelta(days=20)),
    },
    {"category": "detractor"},
    {"score": "9"},
    {"channel": "link"},
    {"language": "fr"},
    {"q": "slow"},
    {"trait": "plan:pro"},
    {"category": "promoter", "channel": "widget", "range": "365"},
]


@pytest.fixture
def varied(survey: Survey, org: Organization) -> None:
    second = survey_create(organization=org, kind="customer", name="Second")
    with tenant_context(org):
        pro = Respondent.objects.create(organization=org, external_id="p", traits={"plan": "pro"})
        free = Respondent.objects.create(organization=org, external_id="f", traits={"plan": "free"})
    now = timezone.now()
    for n in range(24):
        answer(
            survey if n % 3 else second,
            n % 11,
            when=now - timedelta(days=n * 9, hours=n),
            channel=["widget", "link", "email"][n % 3],
            language=["en", "fr"][n % 2],
            comment="too slow" if n % 4 == 0 else "",
            respondent=pro if n % 5 == 0 else free,
        )


@pytest.mark.parametrize("params", FILTERS)
def test_the_filters_select_what_the_back_office_shows(
    varied: None,
    api_key: str,
    owner_client: Client,
    org: Organization,
    params: dict[str, Any],
) -> None:
    if "range" not in params:  # the back office's default is 90 days, the API's every period
        first = timezone.localdate() - timedelta(days=1000)
        params = {**params, "range": "custom", "from": first, "to": timezone.localdate()}
    page = owner_client.get(f"/o/{org.slug}/responses/", params)
    assert page.status_code == 200
    back_office = [row.pk for row in page.context["page"].rows]
    assert back_office, "each filter should keep some rows"
    assert walk(api_key, f"{URL}?{urlencode(params)}") == back_office


def test_without_a_period_it_lists_every_period(varied: None, api_key: str) -> None:
    assert len(walk(api_key, f"{URL}?per_page=200")) == 24
    assert len(walk(api_key, f"{URL}?range=90")) < 24


def test_a_survey_filter_takes_the_public_key_or_the_id(
    varied: None, api_key: str, survey: Survey
) -> None:
    by_key = walk(api_key, f"{URL}?survey={survey.public_key}")
    by_id = walk(api_key, f"{URL}?survey={survey.pk}")
    with tenant_context(survey.organization):
        expected = list(
            Response.objects.filter(survey=survey)
            .order_by("-created_at", "-id")
            .values_list("id", flat=True)
        )
    assert by_key == by_id == expected


def test_since_until_and_updated_since_narrow_the_list(api_key: str, survey: Survey) -> None:
    march = [answer(survey, 8, when=datetime(2026, 3, day, 12, tzinfo=UTC)) for day in (1, 5, 9)]
    since = int(datetime(2026, 3, 5, tzinfo=UTC).timestamp())
    listed = walk(api_key, f"{URL}?since={since}&until=2026-03-09T00:00:00Z")
    assert listed == [march[1].pk]
    cut = timezone.now()
    with tenant_context(survey.organization):
        Response.objects.filter(pk=march[0].pk).update(updated_at=cut + timedelta(seconds=1))
        Response.objects.exclude(pk=march[0].pk).update(updated_at=cut - timedelta(days=1))
    assert walk(api_key, f"{URL}?updated_since={cut.isoformat().replace('+', '%2B')}") == [
        march[0].pk
    ]


def test_the_respondent_filter_lists_one_persons_answers(
    api_key: str, survey: Survey, org: Organization
) -> None:
    with tenant_context(org):
        ada = Respondent.objects.create(organization=org, external_id="ada")
    hers = answer(survey, 9, respondent=ada)
    answer(survey, 2)
    assert walk(api_key, f"{URL}?respondent={ada.pk}") == [hers.pk]


@pytest.mark.parametrize(
    "query",
    [
        "score=11",
        "category=fan",
        "range=custom&from=2026-03-01",
        "since=yesterday",
        "until=2026-13-01",
        "updated_since=x",
        "respondent=abc",
        "survey=999999",
        "trait=plan",
        "channel=fax",
    ],
)
def test_it_refuses_a_bad_filter(api_key: str, one: Response, query: str) -> None:
    error = assert_error(api(api_key).get(f"{URL}?{query}"), 422, "invalid")
    assert error["details"]


# --- One response --------------------------------------------------------------------


def test_it_shows_one_response_with_its_notes(read_only_key: str, one: Response) -> None:
    with tenant_context(one.organization):
        Note.objects.create(organization=one.organization, response=one, body="Called back.")
    body = api(read_only_key).get(f"{URL}/{one.pk}").json()
    assert body["comment"] == "Too slow"
    assert [note["body"] for note in body["notes"]] == ["Called back."]


def test_another_organizations_key_finds_none_of_our_responses(
    other_api_key: str, api_key: str, one: Response, org: Organization
) -> None:
    before = stored(org)
    for method, body in [("get", None), ("patch", {"comment": "x"}), ("delete", None)]:
        assert_error(send(other_api_key, method, f"{URL}/{one.pk}", body), 404, "not_found")
    assert_error(send(other_api_key, "get", f"{URL}/{one.pk}/notes"), 404, "not_found")
    assert_error(
        send(other_api_key, "post", f"{URL}/{one.pk}/notes", {"body": "x"}), 404, "not_found"
    )
    assert_error(send(api_key, "get", f"{URL}/999999"), 404, "not_found")
    assert stored(org) == before


def test_no_key_cannot_read_or_change_a_response(one: Response, org: Organization) -> None:
    before = stored(org)
    for method, body in [("get", None), ("patch", {"comment": "x"}), ("delete", None)]:
        assert_error(send(None, method, f"{URL}/{one.pk}", body), 401, "not_authenticated")
    assert_error(send(None, "get", f"{URL}/{one.pk}/notes"), 401, "not_authenticated")
    assert stored(org) == before


def test_it_updates_the_follow_up(
    api_key: str, one: Response, member: Any, owner: Any, org: Organization
) -> None:
    change = {
        "comment": "Too slow (edited)",
        "tags": ["  Pricing ", "pricing", "Onboarding  flow"],
        "follow_up_status": "contacted",
        "assignee": "MEMBER@example.com",
    }
    response = send(api_key, "patch", f"{URL}/{one.pk}", change)
    assert response.status_code == 200, response.content
    shown = response.json()
    assert shown["tags"] == ["pricing", "onboarding flow"]
    assert (shown["comment"], shown["follow_up_status"]) == ("Too slow (edited)", "contacted")
    assert shown["assignee"] == {"id": member.pk, "email": member.email}
    by_id = send(api_key, "patch", f"{URL}/{one.pk}", {"assignee": str(owner.pk)}).json()
    assert by_id["assignee"]["id"] == owner.pk
    cleared = send(api_key, "patch", f"{URL}/{one.pk}", {"assignee": None}).json()
    assert cleared["assignee"] is None and cleared["tags"] == ["pricing", "onboarding flow"]


@pytest.mark.parametrize(
    "change",
    [
        {"follow_up_status": "closed"},
        {"assignee": "outsider@other.test"},
        {"assignee": "999999"},
        {"tags": ["a,b"]},
        {"tags": ["x" * 41]},
        {"tags": "pricing"},
        {"score": 10},
        {"comment": "ok", "follow_up_status": "closed"},
    ],
)
def test_it_refuses_a_bad_follow_up_and_changes_nothing(
    api_key: str, one: Response, org: Organization, outsider: Any, change: dict[str, Any]
) -> None:
    before = stored(org)
    error = assert_error(send(api_key, "patch", f"{URL}/{one.pk}", change), 422, "invalid")
    assert error["details"]
    assert stored(org) == before


def test_a_read_only_key_cannot_change_delete_or_note(
    read_only_key: str, one: Response, org: Organization
) -> None:
    with tenant_context(org):
        note = Note.objects.create(organization=org, response=one, body="Keep me")
    before = stored(org)
    for method, url, body in [
        ("patch", f"{URL}/{one.pk}", {"comment": "x"}),
        ("delete", f"{URL}/{one.pk}", None),
        ("post", f"{URL}/{one.pk}/notes", {"body": "x"}),
        ("delete", f"{URL}/{one.pk}/notes/{note.pk}", None),
    ]:
        assert_error(send(read_only_key, method, url, body), 403, "permission_denied")
    assert stored(org) == before
    with tenant_context(org):
        assert list(Note.objects.values_list("body", flat=True)) == ["Keep me"]


def test_it_deletes_a_response_and_its_notes(
    api_key: str, one: Response, survey: Survey, org: Organization
) -> None:
    kept = answer(survey, 9)
    with tenant_context(org):
        Note.objects.create(organization=org, response=one, body="Gone too")
    assert send(api_key, "delete", f"{URL}/{one.pk}").status_code == 204
    assert [row["id"] for row in stored(org)] == [kept.pk]
    with tenant_context(org):
        assert not Note.objects.exists()
    assert_error(send(api_key, "get", f"{URL}/{one.pk}"), 404, "not_found")


# --- Notes ----------------------------------------------------------------------------


def test_it_adds_lists_and_deletes_notes(api_key: str, one: Response, org: Organization) -> None:
    created = send(api_key, "post", f"{URL}/{one.pk}/notes", {"body": "  Called back.  "})
    assert created.status_code == 201, created.content
    note = created.json()
    assert (note["body"], note["author"]) == ("Called back.", None)
    listed = api(api_key).get(f"{URL}/{one.pk}/notes").json()
    assert [row["id"] for row in listed] == [note["id"]]
    deleted = send(api_key, "delete", f"{URL}/{one.pk}/notes/{note['id']}")
    assert deleted.status_code == 204
    with tenant_context(org):
        assert not Note.objects.exists()


@pytest.mark.parametrize("body", [{}, {"body": "   "}, {"body": "x" * 5001}, {"body": "a\x00b"}])
def test_it_refuses_an_empty_or_oversized_note(
    api_key: str, one: Response, org: Organization, body: dict[str, Any]
) -> None:
    assert_error(send(api_key, "post", f"{URL}/{one.pk}/notes", body), 422, "invalid")
    with tenant_context(org):
        assert not Note.objects.exists()


def test_a_note_is_deleted_only_through_its_own_response(
    api_key: str, other_api_key: str, one: Response, survey: Survey, org: Organization
) -> None:
    another = answer(survey, 9)
    with tenant_context(org):
        note = Note.objects.create(organization=org, response=one, body="Mine")
    assert_error(send(api_key, "delete", f"{URL}/{another.pk}/notes/{note.pk}"), 404, "not_found")
    assert_error(send(other_api_key, "delete", f"{URL}/{one.pk}/notes/{note.pk}"), 404, "not_found")
    with tenant_context(org):
        assert Note.objects.count() == 1


@pytest.mark.parametrize(
    "url",
    [
        f"{URL}/99999999999999999999",
        f"{URL}/99999999999999999999/notes",
        "/api/v1/respondents/99999999999999999999",
        "/api/v1/respondents/99999999999999999999/responses",
    ],
)
def test_an_id_beyond_any_row_is_not_found(api_key: str, one: Response, url: str) -> None:
    assert_error(api(api_key).get(url), 404, "not_found")


def test_a_cursor_beyond_any_row_gives_an_empty_page(api_key: str, one: Response) -> None:
    key = b'{"k":["2026-03-01T00:00:00+00:00","99999999999999999999"]}'
    response = api(api_key).get(URL, {"cursor": urlsafe_b64encode(key).decode()})
    assert response.status_code == 200, response.content
    assert response.json()["results"] == [] or response.json()["results"][0]["id"] == one.pk


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", '{"score": NaN}', "null"])
def test_a_body_that_is_not_a_json_object_is_refused(
    api_key: str, survey: Survey, org: Organization, body: str
) -> None:
    response = api(api_key).post(URL, body, content_type="application/json")
    assert response.status_code in (400, 422), response.content
    assert "error" in response.json()
    assert stored(org) == []
