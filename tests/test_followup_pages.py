"""The responses list, the inbox, a response and a respondent, through the browser's eyes.

An owner manages, a member (viewer) reads and is refused every write, an
outsider gets 404 everywhere, even for our objects under their own slug.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from responses.models import Note, Respondent, Response
from surveys.models import Survey
from tenants.context import tenant_context
from tenants.models import Organization
from tests.conftest import PASSWORD
from tests.test_followups import MARCH, at, make_response

SCRIPT = "<script>alert('x')</script>"
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name: str, slug: str = "example", **kwargs: Any) -> str:
    return reverse(f"followups:{name}", kwargs={"org_slug": slug, **kwargs})


def text(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def ann(org: Organization) -> Respondent:
    with tenant_context(org):
        return Respondent.objects.create(
            organization=org,
            external_id="user-42",
            email="ann@customer.test",
            name="Ann Smith",
            profile_url="https://app.example.com/users/42",
            traits={"plan": "pro", "seats": 3},
        )


@pytest.fixture
def detractor(org: Organization, survey: Survey, ann: Respondent) -> Response:
    with tenant_context(org):
        return make_response(
            survey,
            2,
            at(10),
            respondent=ann,
            comment=f"Too slow\nand {SCRIPT}",
            channel="email",
            language="fr",
        )


@pytest.fixture
def note(org: Organization, detractor: Response, owner: Any) -> Note:
    with tenant_context(org):
        return Note.objects.create(
            organization=org, response=detractor, author=owner, body=f"Called {SCRIPT}"
        )


def fresh(org: Organization, response: Response) -> Response:
    with tenant_context(org):
        return Response.objects.get(pk=response.pk)


def pages(detractor: Response, ann: Respondent) -> list[str]:
    return [
        url("responses") + "?" + MARCH,
        url("inbox") + "?" + MARCH,
        url("response", response_id=detractor.pk),
        url("respondent", respondent_id=ann.pk),
    ]


# --- Who sees what --------------------------------------------------------------


def test_it_shows_every_page_to_the_owner_and_the_member(
    owner_client: Client, member_client: Client, detractor: Response, ann: Respondent
) -> None:
    for client in (owner_client, member_client):
        for path in pages(detractor, ann):
            assert client.get(path).status_code == 200, path


def test_it_answers_404_to_an_outsider_on_every_page(
    outsider_client: Client, detractor: Response, ann: Respondent, other_org: Organization
) -> None:
    for path in pages(detractor, ann):
        assert outsider_client.get(path).status_code == 404, path
    # Our objects under their own slug are as unknown as missing ones.
    for path in pages(detractor, ann)[2:]:
        theirs = path.replace("/o/example/", f"/o/{other_org.slug}/")
        assert outsider_client.get(theirs).status_code == 404, theirs


def writes(detractor: Response, note: Note, member: Any) -> list[tuple[str, dict[str, Any]]]:
    return [
        (url("status", response_id=detractor.pk), {"status": "resolved"}),
        (url("assignee", response_id=detractor.pk), {"assignee": member.pk}),
        (url("tags", response_id=detractor.pk), {"tags": "hacked"}),
        (url("note_add", response_id=detractor.pk), {"body": "hacked"}),
        (url("mark_contacted", response_id=detractor.pk), {}),
        (url("note_delete", note_id=note.pk), {}),
    ]


def assert_untouched(org: Organization, detractor: Response) -> None:
    response = fresh(org, detractor)
    assert response.follow_up_status == "new"
    assert response.assignee is None
    assert response.tags == []
    with tenant_context(org):
        assert list(response.notes.values_list("body", flat=True)) == [f"Called {SCRIPT}"]


def test_it_forbids_every_write_to_a_viewer_and_changes_nothing(
    member_client: Client, org: Organization, detractor: Response, note: Note, member: Any
) -> None:
    for path, data in writes(detractor, note, member):
        assert member_client.post(path, data).status_code == 403, path
        assert member_client.post(path, data, **HTMX).status_code == 403, path
    assert_untouched(org, detractor)


def test_it_answers_404_to_an_outsider_on_every_write_and_changes_nothing(
    outsider_client: Client,
    org: Organization,
    other_org: Organization,
    detractor: Response,
    note: Note,
    member: Any,
    outsider: Any,
) -> None:
    for path, data in writes(detractor, note, member):
        assert outsider_client.post(path, data).status_code == 404, path
        theirs = path.replace("/o/example/", f"/o/{other_org.slug}/")
        assert outsider_client.post(theirs, {**data, "assignee": outsider.pk}).status_code == 404
    assert_untouched(org, detractor)


def test_it_refuses_a_write_without_a_csrf_token(
    owner: Any, org: Organization, detractor: Response, note: Note
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post(url("status", response_id=detractor.pk), {"status": "resolved"})
    assert response.status_code == 403
    assert_untouched(org, detractor)


def test_it_refuses_reading_pages_by_post(
    owner_client: Client, detractor: Response, ann: Respondent
) -> None:
    assert owner_client.post(url("response", response_id=detractor.pk)).status_code == 405
    assert owner_client.post(url("respondent", respondent_id=ann.pk)).status_code == 405


# --- Escaping -------------------------------------------------------------------


def test_it_shows_a_script_comment_as_text_everywhere(
    owner_client: Client, detractor: Response, ann: Respondent, note: Note
) -> None:
    for path in pages(detractor, ann):
        body = text(owner_client.get(path))
        assert SCRIPT not in body, path
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body, path


def test_it_keeps_line_breaks_in_comments(owner_client: Client, detractor: Response) -> None:
    assert "Too slow<br>and" in text(owner_client.get(url("responses") + "?" + MARCH))


def test_it_never_links_a_profile_url_that_is_not_http(
    owner_client: Client, org: Organization, detractor: Response, ann: Respondent
) -> None:
    with tenant_context(org):
        Respondent.objects.filter(pk=ann.pk).update(profile_url="javascript:alert(1)")
    for path in pages(detractor, ann):
        assert "javascript:alert" not in text(owner_client.get(path)), path


# --- The responses list ---------------------------------------------------------


def test_it_lists_every_column(
    owner_client: Client, org: Organization, detractor: Response
) -> None:
    org.time_zone = "Europe/Paris"
    org.save()
    body = text(owner_client.get(url("responses") + "?" + MARCH))
    assert 'class="fu-score cat-detractor">2<' in body
    for expected in ("Detractor", "Ann Smith", "ann@customer.test", "user-42", "Product NPS"):
        assert expected in body
    assert "Email" in body and ">fr<" in body and ">New<" in body
    assert "2026-03-10 13:00" in body  # noon UTC, shown in Paris time
    assert (
        '<a href="https://app.example.com/users/42" target="_blank" rel="noopener noreferrer"'
        in body
    )
    assert url("respondent", respondent_id=detractor.respondent_id) in body
    assert url("response", response_id=detractor.pk) in body


def test_it_links_the_export_with_the_current_filters(
    owner_client: Client, detractor: Response
) -> None:
    body = text(owner_client.get(url("responses") + "?" + MARCH + "&category=detractor"))
    assert (
        url("export") + "?range=custom&amp;from=2026-03-01&amp;to=2026-03-31&amp;category=detractor"
        in body
    )


def test_it_applies_the_filters(
    owner_client: Client, org: Organization, survey: Survey, detractor: Response
) -> None:
    with tenant_context(org):
        make_response(survey, 10, at(11), comment="Lovely promoter")
        make_response(survey, 1, at(11) + timedelta(days=40), comment="April grumble")
    body = text(owner_client.get(url("responses") + "?" + MARCH))
    assert "Too slow" in body and "Lovely promoter" in body and "April grumble" not in body
    body = text(owner_client.get(url("responses") + "?" + MARCH + "&category=promoter"))
    assert "Too slow" not in body and "Lovely promoter" in body
    body = text(owner_client.get(url("responses") + "?" + MARCH + "&q=lovely"))
    assert "Too slow" not in body and "Lovely promoter" in body


def test_it_answers_400_to_bad_filters(owner_client: Client) -> None:
    response = owner_client.get(url("responses") + "?range=custom&from=2026-03-31&to=2026-03-01")
    assert response.status_code == 400
    assert "ends before it starts" in text(response)
    assert owner_client.get(url("responses") + "?" + MARCH + "&older=abc").status_code == 400


def test_it_paginates_with_plain_links(
    owner_client: Client, org: Organization, survey: Survey
) -> None:
    with tenant_context(org):
        rows = [make_response(survey, 5, at(1) + timedelta(minutes=i)) for i in range(51)]
    first = text(owner_client.get(url("responses") + "?" + MARCH))
    assert first.count('<tr id="response-') == 50
    assert "51 responses" in first
    assert f'id="response-{rows[0].pk}"' not in first  # the oldest is on the next page
    older = f"?range=custom&amp;from=2026-03-01&amp;to=2026-03-31&amp;older={rows[1].pk}"
    assert f'href="{older}" rel="next"' in first
    second = text(owner_client.get(url("responses") + older.replace("&amp;", "&")))
    assert second.count('<tr id="response-') == 1
    assert f'id="response-{rows[0].pk}"' in second
    assert 'rel="prev"' in second and 'rel="next"' not in second


# --- Live rows ------------------------------------------------------------------


def test_it_polls_only_while_the_period_runs(owner_client: Client, detractor: Response) -> None:
    assert "fu-poller" not in text(owner_client.get(url("responses") + "?" + MARCH))
    today = timezone.localdate()
    running = f"?range=custom&from={today - timedelta(days=1)}&to={today + timedelta(days=1)}"
    body = text(owner_client.get(url("responses") + running + "&channel=email"))
    assert 'hx-trigger="every 10s"' in body
    poll = url("responses_poll") + running.replace("&", "&amp;") + "&amp;channel=email&amp;after="
    assert poll + str(detractor.pk) in body


def test_it_answers_a_poll_with_only_newer_rows_that_match(
    owner_client: Client, org: Organization, survey: Survey, detractor: Response
) -> None:
    with tenant_context(org):
        arrived = make_response(survey, 9, at(12), comment="Just arrived", channel="email")
        make_response(survey, 9, at(12), comment="Other channel", channel="widget")
    poll = url("responses_poll") + "?" + MARCH + "&channel=email&after=" + str(detractor.pk)
    response = owner_client.get(poll, **HTMX)
    body = text(response)
    assert response.status_code == 200 and "<html" not in body
    assert "Just arrived" in body and "Too slow" not in body and "Other channel" not in body
    # The fresh poller asks from the newest row on, with the same filters.
    assert f"channel=email&amp;after={arrived.pk}" in body
    assert body.index('id="fu-poller"') < body.index(f'id="response-{arrived.pk}"')
    again = url("responses_poll") + "?" + MARCH + "&channel=email&after=" + str(arrived.pk)
    assert owner_client.get(again, **HTMX).status_code == 204


# --- The inbox ------------------------------------------------------------------


@pytest.fixture
def inbox_rows(org: Organization, survey: Survey, detractor: Response, owner: Any) -> list[Any]:
    with tenant_context(org):
        return [
            make_response(survey, 5, at(11), comment="Contacted one", follow_up_status="contacted"),
            make_response(survey, 4, at(12), comment="Resolved one", follow_up_status="resolved"),
            make_response(survey, 8, at(13), comment="A passive", assignee=owner),
            make_response(survey, 10, at(14), comment="A promoter"),
        ]


def test_it_shows_open_detractors_with_counts(
    owner_client: Client, inbox_rows: list[Any], detractor: Response
) -> None:
    body = text(owner_client.get(url("inbox") + "?" + MARCH))
    assert "Too slow" in body and "Contacted one" in body
    assert "Resolved one" not in body and "A passive" not in body and "A promoter" not in body
    assert 'aria-current="page">Open <span class="fu-badge">2</span>' in body
    assert 'Resolved <span class="fu-badge">1</span>' in body
    assert "Mark contacted" in body


def test_it_switches_tabs_passives_and_assignee(
    owner_client: Client, inbox_rows: list[Any]
) -> None:
    body = text(owner_client.get(url("inbox") + "?" + MARCH + "&status=resolved"))
    assert "Resolved one" in body and "Too slow" not in body
    body = text(owner_client.get(url("inbox") + "?" + MARCH + "&include_passives=1"))
    assert "A passive" in body and "A promoter" not in body
    body = text(owner_client.get(url("inbox") + "?" + MARCH + "&include_passives=1&assignee=me"))
    assert "A passive" in body and "Too slow" not in body
    assert owner_client.get(url("inbox") + "?" + MARCH + "&status=zzz").status_code == 400
    assert owner_client.get(url("inbox") + "?" + MARCH + "&assignee=x").status_code == 400


def test_it_hides_the_mark_contacted_button_from_viewers(
    member_client: Client, detractor: Response
) -> None:
    body = text(member_client.get(url("inbox") + "?" + MARCH))
    assert "Too slow" in body and "Mark contacted" not in body


def test_it_marks_contacted_in_place_with_htmx(
    owner_client: Client, org: Organization, detractor: Response
) -> None:
    response = owner_client.post(url("mark_contacted", response_id=detractor.pk), **HTMX)
    body = text(response)
    assert response.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith(f'<li class="fu-item" id="item-{detractor.pk}"')
    assert ">Contacted<" in body and "Mark contacted" not in body
    assert fresh(org, detractor).follow_up_status == "contacted"


def test_it_marks_contacted_without_javascript_and_goes_back(
    owner_client: Client, org: Organization, detractor: Response
) -> None:
    back = url("inbox") + "?" + MARCH
    response = owner_client.post(url("mark_contacted", response_id=detractor.pk), {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert "Marked as contacted." in text(owner_client.get(back))
    assert fresh(org, detractor).follow_up_status == "contacted"


def test_it_never_redirects_elsewhere_after_marking_contacted(
    owner_client: Client, detractor: Response
) -> None:
    response = owner_client.post(
        url("mark_contacted", response_id=detractor.pk), {"next": "https://evil.test/"}
    )
    assert response["Location"] == url("inbox")


def test_it_links_the_inbox_export_with_its_parameters(
    owner_client: Client, detractor: Response
) -> None:
    body = text(owner_client.get(url("inbox") + "?" + MARCH + "&status=all&include_passives=1"))
    assert "status=all&amp;include_passives=1&amp;inbox=1" in body


# --- One response ---------------------------------------------------------------


def test_it_shows_the_response_with_its_follow_up(
    owner_client: Client, detractor: Response, note: Note, member: Any
) -> None:
    body = text(owner_client.get(url("response", response_id=detractor.pk)))
    assert "Ann Smith" in body and "Product NPS" in body
    assert f'<option value="{member.pk}">member@example.com</option>' in body
    assert "Called &lt;script&gt;" in body
    assert url("note_delete", note_id=note.pk) in body


def test_it_shows_no_forms_to_a_viewer(member_client: Client, detractor: Response) -> None:
    body = text(member_client.get(url("response", response_id=detractor.pk)))
    assert url("status", response_id=detractor.pk) not in body
    assert url("note_add", response_id=detractor.pk) not in body


def test_it_changes_status_assignee_and_tags_without_javascript(
    owner_client: Client, org: Organization, detractor: Response, member: Any
) -> None:
    page = url("response", response_id=detractor.pk)
    for name, data in (
        ("status", {"status": "resolved"}),
        ("assignee", {"assignee": member.pk}),
        ("tags", {"tags": "Pricing, slow , pricing"}),
    ):
        response = owner_client.post(url(name, response_id=detractor.pk), data)
        assert (response.status_code, response["Location"]) == (302, page)
    response = fresh(org, detractor)
    assert (response.follow_up_status, response.assignee, response.tags) == (
        "resolved",
        member,
        ["pricing", "slow"],
    )
    assert "Tags saved." in text(owner_client.get(page))


def test_it_answers_htmx_with_the_panel_only(
    owner_client: Client, org: Organization, detractor: Response
) -> None:
    response = owner_client.post(
        url("status", response_id=detractor.pk), {"status": "contacted"}, **HTMX
    )
    body = text(response)
    assert response.status_code == 200 and "<html" not in body
    assert body.startswith('<section class="card fu-panel" id="followup-panel">')
    assert fresh(org, detractor).follow_up_status == "contacted"


def test_it_unassigns_with_an_empty_choice(
    owner_client: Client, org: Organization, detractor: Response, owner: Any
) -> None:
    owner_client.post(url("assignee", response_id=detractor.pk), {"assignee": owner.pk})
    owner_client.post(url("assignee", response_id=detractor.pk), {"assignee": ""})
    assert fresh(org, detractor).assignee is None


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("status", {"status": "archived"}, "Select a valid choice"),
        ("status", {}, "required"),
        ("assignee", {"assignee": "abc"}, "Choose a member of this organization."),
        ("assignee", {"assignee": "999999"}, "not a member of this organization"),
        ("tags", {"tags": "x" * 41}, "at most 40 characters"),
        ("tags", {"tags": ",".join(str(i) for i in range(21))}, "At most 20 tags"),
        ("note_add", {"body": "   "}, "required"),
        ("note_add", {"body": "x" * 5001}, "at most 5000 characters"),
    ],
)
def test_it_answers_400_to_bad_input_and_changes_nothing(
    owner_client: Client,
    org: Organization,
    detractor: Response,
    note: Note,
    name: str,
    data: dict[str, Any],
    message: str,
) -> None:
    path = url(name, response_id=detractor.pk)
    for extra in ({}, HTMX):
        response = owner_client.post(path, data, **extra)
        assert response.status_code == 400
        assert message in text(response)
        assert ("<html" in text(response)) is not bool(extra)
    assert_untouched(org, detractor)


def test_it_refuses_an_assignee_from_another_organization(
    owner_client: Client, org: Organization, detractor: Response, outsider: Any
) -> None:
    response = owner_client.post(
        url("assignee", response_id=detractor.pk), {"assignee": outsider.pk}
    )
    assert response.status_code == 400
    assert "That person is not a member of this organization." in text(response)
    assert fresh(org, detractor).assignee is None


def test_it_adds_and_deletes_notes(
    owner_client: Client, admin_user: Any, org: Organization, detractor: Response, note: Note
) -> None:
    response = owner_client.post(
        url("note_add", response_id=detractor.pk), {"body": "Refund sent"}, **HTMX
    )
    assert response.status_code == 200 and "Refund sent" in text(response)
    admin = Client()
    admin.force_login(admin_user)
    # An admin removes someone else's note.
    response = admin.post(url("note_delete", note_id=note.pk))
    assert response.status_code == 302
    with tenant_context(org):
        assert list(Note.objects.values_list("body", flat=True)) == ["Refund sent"]


# --- One respondent -------------------------------------------------------------


def test_it_draws_the_respondents_relationship_curve(
    owner_client: Client, org: Organization, survey: Survey, detractor: Response, ann: Respondent
) -> None:
    with tenant_context(org):
        make_response(survey, 9, datetime(2026, 4, 2, 9, tzinfo=UTC), respondent=ann)
        make_response(survey, 10, at(1), comment="Someone else")
    body = text(owner_client.get(url("respondent", respondent_id=ann.pk)))
    assert body.count('<circle class="fu-point') == 2
    assert '<circle class="fu-point cat-detractor"' in body
    assert "<title>2026-03-10: 2 (Detractor)</title>" in body
    assert "<title>2026-04-02: 9 (Promoter)</title>" in body
    assert "<polyline" in body
    assert "Someone else" not in body
    for expected in ("Ann Smith", "ann@customer.test", "user-42", "plan", "pro", "seats"):
        assert expected in body
    assert 'href="https://app.example.com/users/42" target="_blank" rel="noopener noreferrer"' in (
        body
    )


def test_it_shows_the_respondents_follow_ups(
    owner_client: Client, org: Organization, detractor: Response, ann: Respondent, note: Note
) -> None:
    with tenant_context(org):
        Response.objects.filter(pk=detractor.pk).update(follow_up_status="resolved", tags=["slow"])
    body = text(owner_client.get(url("respondent", respondent_id=ann.pk)))
    assert ">Resolved<" in body and "<li>slow</li>" in body
    assert "Called &lt;script&gt;" in body


# --- In a real browser ----------------------------------------------------------


def log_in(page: Any, live_server: Any, user: Any) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/**")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_marks_contacted_in_place_in_a_browser(
    live_server: Any, page: Any, owner: Any, org: Organization, detractor: Response
) -> None:
    log_in(page, live_server, owner)
    inbox = f"{live_server.url}{url('inbox')}?{MARCH}"
    page.goto(inbox)
    item = page.locator(f"#item-{detractor.pk}")
    item.get_by_role("button", name="Mark contacted").click()
    item.locator(".status-contacted").wait_for()
    assert page.url == inbox
    assert fresh(org, detractor).follow_up_status == "contacted"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_shows_a_refused_tag_in_place_in_a_browser(
    live_server: Any, page: Any, owner: Any, org: Organization, detractor: Response
) -> None:
    log_in(page, live_server, owner)
    page.goto(f"{live_server.url}{url('response', response_id=detractor.pk)}")
    page.locator("#fu-tags").fill("x" * 41)
    page.locator("#fu-tags ~ button").click()
    page.locator("#followup-panel .error").wait_for()
    assert "at most 40 characters" in page.locator("#followup-panel .error").inner_text()
    assert fresh(org, detractor).tags == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_shows_a_new_response_without_reloading_in_a_browser(
    live_server: Any, page: Any, owner: Any, org: Organization, survey: Survey, detractor: Response
) -> None:
    log_in(page, live_server, owner)
    today = timezone.localdate()
    running = f"range=custom&from={today - timedelta(days=1)}&to={today + timedelta(days=1)}"
    page.goto(f"{live_server.url}{url('responses')}?{running}")
    with tenant_context(org):
        arrived = make_response(survey, 1, timezone.now(), comment="Arrived while watching")
    page.locator(f"#response-{arrived.pk}").wait_for(timeout=15_000)
    assert page.locator("tr[id^=response-]").first.get_attribute("id") == f"response-{arrived.pk}"
