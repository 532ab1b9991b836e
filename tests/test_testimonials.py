"""Promoter testimonials: consent (widget and link page), review, light edits,
withdrawal, the wall (script, JSON, iframe page) and the REST API."""

import gzip
import json
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from responses.models import Respondent, Response
from responses.services import answer_record, respondent_erase
from surveys.models import Survey
from tenants.context import tenant_context
from tenants.models import Organization
from testimonials import services, texts
from testimonials.assets import BUDGET_GZIPPED, wall_asset
from testimonials.models import Edit, Status, Wall
from testimonials.models import Testimonial as Quote

ORIGIN = "https://app.example.com"
SITE = "https://www.example.com"
ANSWER_ID = "answer-0000000001"
LINK_ID = "link-answer-000000001"


@pytest.fixture(autouse=True)
def generous_rate_limits(settings: Any) -> None:
    settings.WIDGET_RATE_LIMIT_PER_IP = (100_000, 60)
    settings.WIDGET_RATE_LIMIT_PER_SURVEY = (100_000, 60)


@pytest.fixture
def asking(survey: Survey) -> Survey:
    with tenant_context(survey.organization):
        services.consent_ask_set(survey=survey, enabled=True)
    return survey


@pytest.fixture
def wall(org: Organization) -> Wall:
    with tenant_context(org):
        wall = services.wall_of(organization=org)
        return services.wall_update(
            wall=wall, heading="Loved by teams", accent_color="#0a7d38", allowed_origins=[SITE]
        )


def post(client: Client, survey: Survey, path: str, body: Any, origin: str = ORIGIN) -> Any:
    return client.post(
        f"/w/{survey.public_key}/{path}",
        json.dumps(body),
        content_type="text/plain",
        HTTP_ORIGIN=origin,
    )


def widget_answer(client: Client, survey: Survey, *, score: int = 10, comment: str = "") -> str:
    config = post(client, survey, "config", {"anonymous_id": "a" * 32})
    token = str(config.json()["token"])
    body = {"token": token, "id": ANSWER_ID, "score": score, "comment": comment, "language": "en"}
    assert post(client, survey, "answer", body).status_code == 201
    return token


def quote_of(survey: Survey, *, comment: str = "Love it", name: str = "Ada", **extra: Any) -> Any:
    """A promoter's answer and their consent, as the widget or link page leaves them."""
    with tenant_context(survey.organization):
        response, _ = answer_record(
            survey=survey,
            respondent=None,
            client_id=extra.pop("client_id", "c" * 20),
            score=extra.pop("score", 10),
            comment=comment,
            language="en",
        )
        attribution = services.Attribution(name=name, **extra)
        return services.testimonial_consent(
            response=response, attribution=attribution, language="en"
        )


def approved(survey: Survey, **kwargs: Any) -> Quote:
    testimonial = quote_of(survey, **kwargs)
    with tenant_context(survey.organization):
        assert services.testimonial_review(
            testimonial=testimonial, status=Status.APPROVED, reviewer=None
        )
        testimonial.refresh_from_db()
    return testimonial


def wall_json(client: Client, wall: Wall, origin: str | None = SITE, **params: str) -> Any:
    extra = {"HTTP_ORIGIN": origin} if origin else {}
    return client.get(f"/t/{wall.public_key}/testimonials.json", params, **extra)


# --- Consent in the widget ------------------------------------------------------


def test_it_records_the_consent_with_its_exact_text_and_time(
    client: Client, asking: Survey
) -> None:
    token = widget_answer(client, asking, comment="Support answered in minutes.")
    offer = post(client, asking, "testimonial/offer", {"language": "en"}).json()
    assert offer["offer"] is True and "Example Inc" in offer["statement"]
    body = {"token": token, "id": ANSWER_ID, "name": " Ada  Lovelace ", "title": "CTO"}
    response = post(client, asking, "testimonial", {**body, "company": "Engines", "language": "en"})
    assert response.status_code == 201, response.content
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    withdraw_url = response.json()["withdraw_url"]
    with tenant_context(asking.organization):
        testimonial = Quote.objects.get()
    assert (testimonial.status, testimonial.name, testimonial.title) == (
        "pending",
        "Ada Lovelace",
        "CTO",
    )
    assert testimonial.quote == "Support answered in minutes."
    assert testimonial.consent_text == (
        "“Support answered in minutes.”\n— Ada Lovelace, CTO, Engines\n\n" + offer["statement"]
    )
    assert timezone.now() - testimonial.consented_at < timedelta(seconds=30)
    assert withdraw_url.endswith(f"/t/withdraw/{testimonial.withdraw_token}")


def test_it_asks_only_on_surveys_that_ask(client: Client, survey: Survey) -> None:
    token = widget_answer(client, survey, comment="Great")
    assert post(client, survey, "testimonial/offer", {}).json() == {"offer": False}
    response = post(client, survey, "testimonial", {"token": token, "id": ANSWER_ID, "name": "A"})
    assert (response.status_code, response.json()["error"]["code"]) == (422, "not_eligible")


@pytest.mark.parametrize(("score", "comment"), [(8, "Fine"), (10, ""), (10, "   ")])
def test_it_quotes_only_promoters_who_commented(
    client: Client, asking: Survey, score: int, comment: str
) -> None:
    token = widget_answer(client, asking, score=score, comment=comment)
    response = post(client, asking, "testimonial", {"token": token, "id": ANSWER_ID, "name": "A"})
    assert response.status_code == 422
    with tenant_context(asking.organization):
        assert not Quote.objects.exists()


def test_it_refuses_other_answers_names_and_origins(client: Client, asking: Survey) -> None:
    token = widget_answer(client, asking, comment="Great")
    other = post(client, asking, "config", {"anonymous_id": "b" * 32}).json()["token"]
    body = {"id": ANSWER_ID, "name": "Ada"}
    assert post(client, asking, "testimonial", {**body, "token": other}).status_code == 404
    assert post(client, asking, "testimonial", {**body, "token": "forged"}).status_code == 403
    foreign = post(client, asking, "testimonial", {**body, "token": token}, origin=SITE)
    assert foreign.status_code == 403
    for name in ("", "x" * 101, None, 7):
        bad = post(client, asking, "testimonial", {**body, "token": token, "name": name})
        assert bad.json()["error"]["code"] == "invalid_attribution", name
    assert post(client, asking, "testimonial", {**body, "token": token}).status_code == 201
    again = post(client, asking, "testimonial", {**body, "token": token})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_consented")


def test_it_asks_in_french() -> None:
    statement = texts.statement(company="Acme", language="fr-FR")
    assert statement.startswith("J'accepte que Acme")
    assert texts.widget_labels(language="fr")["publish"] == "Oui, publiez-le"
    assert texts.statement(company="Acme", language="de").startswith("I agree")


# --- Consent on the link page -----------------------------------------------------


def link_comment(client: Client, survey: Survey, score: str, comment: str, lang: str = "en") -> Any:
    data = {"score": score, "id": LINK_ID, "channel": "link", "properties": "{}", "lang": lang}
    client.post(f"/s/{survey.public_key}", data)
    return client.post(
        f"/s/{survey.public_key}/comment", {"id": LINK_ID, "comment": comment, "lang": lang}
    )


def test_the_link_page_asks_a_promoter_then_shows_the_withdraw_link(
    client: Client, asking: Survey
) -> None:
    after = link_comment(client, asking, "9", "<b>Brilliant</b> support")
    assert after.status_code == 302 and "/testimonial?id=" in after["Location"]
    page = client.get(after["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "May we quote you?" in html
    assert "&lt;b&gt;Brilliant&lt;/b&gt; support" in html and "<b>Brilliant" not in html
    assert "frame-ancestors https://app.example.com" in page["Content-Security-Policy"]
    form = {"id": LINK_ID, "lang": "en", "name": "Grace", "company": "Navy"}
    done = client.post(f"/s/{asking.public_key}/testimonial", form)
    with tenant_context(asking.organization):
        testimonial = Quote.objects.get()
    assert done.status_code == 200
    assert f"/t/withdraw/{testimonial.withdraw_token}" in done.content.decode()
    assert testimonial.consent_text.startswith("“<b>Brilliant</b> support”\n— Grace, Navy")
    # Back and submit again: nothing more is stored.
    assert client.post(f"/s/{asking.public_key}/testimonial", form).status_code == 302
    assert client.get(after["Location"]).status_code == 302


def test_the_link_page_in_french_and_declined(client: Client, asking: Survey) -> None:
    after = link_comment(client, asking, "10", "Super", lang="fr")
    html = client.get(after["Location"]).content.decode()
    assert "Pouvons-nous vous citer" in html and "J&#x27;accepte que Example Inc" in html
    declined = client.post(
        f"/s/{asking.public_key}/testimonial", {"id": LINK_ID, "lang": "fr", "decline": "1"}
    )
    assert declined.status_code == 302 and "/thanks?lang=fr" in declined["Location"]
    missing = client.post(f"/s/{asking.public_key}/testimonial", {"id": LINK_ID, "name": " "})
    assert missing.status_code == 422 and "Enter your name." in missing.content.decode()
    with tenant_context(asking.organization):
        assert not Quote.objects.exists()


@pytest.mark.parametrize("score", ["8", "3"])
def test_the_link_page_thanks_everyone_else(client: Client, asking: Survey, score: str) -> None:
    assert "/thanks" in link_comment(client, asking, score, "Meh")["Location"]


def test_the_link_page_does_not_ask_when_the_survey_does_not(
    client: Client, survey: Survey
) -> None:
    assert "/thanks" in link_comment(client, survey, "10", "Great")["Location"]
    assert client.get(f"/s/{survey.public_key}/testimonial?id={LINK_ID}").status_code == 302


# --- Light edits --------------------------------------------------------------------


def test_it_measures_changed_characters() -> None:
    assert services.changed_characters("recieve", "receive") == 1  # a swap
    assert services.changed_characters("colour", "color") == 1
    assert services.changed_characters("abc", "abc") == 0
    assert services.changed_characters("", "abcd") == 4
    assert services.edit_allowance("x" * 200) == 20
    assert services.edit_allowance("short") == 3


def test_it_logs_each_typo_fix_and_refuses_rewrites(
    survey: Survey, asking: Survey, owner: Any
) -> None:
    testimonial = quote_of(asking, comment="The suport team is realy great at what they do.")
    with tenant_context(asking.organization):
        services.testimonial_edit(
            testimonial=testimonial,
            changes={"quote": "The support team is really great at what they do.", "name": "Ada"},
            editor=owner,
            editor_label=owner.email,
        )
        (edit,) = Edit.objects.all()
        assert (edit.field, edit.before, edit.editor) == (
            "quote",
            "The suport team is realy great at what they do.",
            owner,
        )
        assert edit.after == "The support team is really great at what they do."
        for changes in (
            {"quote": "Everything about this product is wonderful, buy it."},
            {"name": "Someone Else"},
            {"quote": ""},
            {"score": "10"},
        ):
            with pytest.raises(ValidationError):
                services.testimonial_edit(
                    testimonial=testimonial, changes=changes, editor=owner, editor_label=""
                )
        assert Edit.objects.count() == 1
        testimonial.refresh_from_db()
        assert testimonial.quote == "The support team is really great at what they do."


# --- Withdrawal and the wall ----------------------------------------------------------


def test_a_withdrawal_removes_it_from_the_wall_at_the_next_request(
    client: Client, asking: Survey, wall: Wall, api_key: str
) -> None:
    testimonial = approved(asking, comment="Wonderful", name="Ada")
    assert [t["quote"] for t in wall_json(client, wall).json()["testimonials"]] == ["Wonderful"]
    page = client.get(f"/t/withdraw/{testimonial.withdraw_token}")
    assert page.status_code == 200 and "Withdraw my consent" in page.content.decode()
    assert page["Cache-Control"] == "private, no-store"
    with tenant_context(asking.organization):
        assert Quote.objects.get().status == Status.APPROVED  # a GET changes nothing
    done = client.post(f"/t/withdraw/{testimonial.withdraw_token}")
    assert done.status_code == 200 and "Your consent is withdrawn" in done.content.decode()
    assert wall_json(client, wall).json()["testimonials"] == []
    assert "Wonderful" not in client.get(f"/t/{wall.public_key}").content.decode()
    api = client.get("/api/v1/testimonials", HTTP_AUTHORIZATION=f"Bearer {api_key}")
    assert api.json()["count"] == 0
    with tenant_context(asking.organization):
        fresh = Quote.objects.get()
        assert fresh.status == Status.WITHDRAWN and fresh.withdrawn_at is not None
        assert not services.testimonial_review(
            testimonial=fresh, status=Status.APPROVED, reviewer=None
        )
        with pytest.raises(ValidationError):
            services.testimonial_edit(
                testimonial=fresh, changes={"name": "Adam"}, editor=None, editor_label=""
            )
    assert client.post(f"/t/withdraw/{testimonial.withdraw_token}").status_code == 200
    assert client.get("/t/withdraw/not-a-token").status_code == 404
    assert client.get("/t/withdraw/" + "x" * 300).status_code == 404


def test_the_wall_is_cacheable_for_a_minute_and_shared_only_with_its_origins(
    client: Client, asking: Survey, wall: Wall
) -> None:
    approved(asking, comment="One", client_id="c" * 20)
    quote_of(asking, comment="Pending", client_id="d" * 20)
    response = wall_json(client, wall)
    data = response.json()
    assert [t["quote"] for t in data["testimonials"]] == ["One"]
    assert (data["heading"], data["accent"]) == ("Loved by teams", "#0a7d38")
    assert set(data["testimonials"][0]) == {"id", "quote", "name", "company", "title", "language"}
    assert response["Cache-Control"] == "public, max-age=60"
    assert response["Access-Control-Allow-Origin"] == SITE
    assert "Origin" in response["Vary"]
    again = wall_json(client, wall, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 200  # params, not headers: see below
    cached = client.get(
        f"/t/{wall.public_key}/testimonials.json",
        HTTP_ORIGIN=SITE,
        HTTP_IF_NONE_MATCH=response["ETag"],
    )
    assert cached.status_code == 304
    foreign = wall_json(client, wall, origin="https://evil.test")
    assert foreign.status_code == 403 and "Access-Control-Allow-Origin" not in foreign
    server_side = wall_json(client, wall, origin=None)
    assert server_side.status_code == 200 and "Access-Control-Allow-Origin" not in server_side
    assert client.get("/t/tw_unknown/testimonials.json").status_code == 404
    assert client.post(f"/t/{wall.public_key}/testimonials.json").status_code == 405


def test_the_wall_filters_by_language_and_limits(
    client: Client, asking: Survey, wall: Wall
) -> None:
    for i in range(3):
        approved(asking, comment=f"Q{i}", client_id=f"{i}" * 20)
    assert len(wall_json(client, wall, limit="2").json()["testimonials"]) == 2
    assert wall_json(client, wall, lang="fr").json()["testimonials"] == []
    assert len(wall_json(client, wall, limit="abc", lang="en").json()["testimonials"]) == 3


def test_the_wall_page_escapes_markup_and_is_framed_only_by_its_origins(
    client: Client, asking: Survey, wall: Wall
) -> None:
    approved(asking, comment='<script>alert(1)</script> "ok"', name="<img src=x onerror=alert(1)>")
    page = client.get(f"/t/{wall.public_key}")
    html = page.content.decode()
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "&lt;img src=x" in html
    policy = page["Content-Security-Policy"]
    assert f"frame-ancestors {SITE}" in policy and "script-src 'self'" in policy
    assert "X-Frame-Options" not in page
    assert page["Cache-Control"] == "public, max-age=60"
    assert client.get("/t/tw_unknown").status_code == 404


def test_an_unknown_key_or_token_gets_404_on_every_public_route(
    client: Client, asking: Survey, wall: Wall
) -> None:
    testimonial = quote_of(asking)
    for key in ("tw_0000000000000000", asking.public_key, "%00", "x" * 100, "{{7*7}}"):
        assert client.get(f"/t/{key}").status_code in (400, 404), key
        assert client.get(f"/t/{key}/testimonials.json").status_code in (400, 404), key
    forged = testimonial.withdraw_token[:-1] + (
        "B" if testimonial.withdraw_token.endswith("A") else "A"
    )
    for token in (forged, wall.public_key, "x" * 100):
        assert client.get(f"/t/withdraw/{token}").status_code == 404, token
        assert client.post(f"/t/withdraw/{token}").status_code == 404, token
    for key in ("unknown-survey-key", wall.public_key):
        assert client.get(f"/s/{key}/testimonial?id={LINK_ID}").status_code == 404, key
        for path in ("testimonial", "testimonial/offer"):
            response = post(client, Survey(public_key=key), path, {"name": "Eve"})
            assert response.status_code == 404, (key, path)
    with tenant_context(asking.organization):
        assert Quote.objects.get().status == Status.PENDING


def test_it_keeps_the_wall_script_small_and_cacheable(client: Client) -> None:
    size = len(wall_asset().gzipped)
    print(f"\ntestimonials.js: {len(wall_asset().body)} bytes, {size} bytes gzipped")
    assert size <= BUDGET_GZIPPED
    response = client.get("/testimonials.js", HTTP_ACCEPT_ENCODING="gzip")
    assert gzip.decompress(response.content) == wall_asset().body
    assert response["Access-Control-Allow-Origin"] == "*"
    assert (
        client.get(
            "/testimonials.js", HTTP_IF_NONE_MATCH=response["ETag"].replace("-gz", "")
        ).status_code
        == 304
    )
    assert "innerHTML" not in wall_asset().body.decode()


def test_erasing_the_respondent_erases_the_testimonial(asking: Survey) -> None:
    with tenant_context(asking.organization):
        person = Respondent.objects.create(organization=asking.organization, external_id="u1")
        response, _ = answer_record(
            survey=asking, respondent=person, client_id="e" * 20, score=10, comment="Yes"
        )
        services.testimonial_consent(
            response=response, attribution=services.Attribution(name="A"), language="en"
        )
        respondent_erase(respondent=person)
        assert not Quote.objects.exists() and not Response.objects.exists()


# --- Back office --------------------------------------------------------------------


def test_members_read_and_admins_review(
    owner_client: Client, member_client: Client, asking: Survey, org: Organization
) -> None:
    testimonial = quote_of(asking, comment="Spot on", name="<b>Ada</b>")
    base = f"/o/{org.slug}/testimonials"
    listing = member_client.get(f"{base}/")
    html = listing.content.decode()
    assert listing.status_code == 200 and "Spot on" in html and "&lt;b&gt;Ada" in html
    assert ">Approve</button>" not in html
    review = f"{base}/{testimonial.pk}/review/"
    assert member_client.post(review, {"status": "approved"}).status_code == 403
    assert member_client.get(f"{base}/{testimonial.pk}/").status_code == 200
    assert ">Approve</button>" in owner_client.get(f"{base}/").content.decode()
    assert owner_client.post(review, {"status": "approved"}).status_code == 302
    with tenant_context(org):
        assert Quote.objects.get().status == Status.APPROVED
    assert "Spot on" in owner_client.get(f"{base}/?status=approved").content.decode()


def test_admins_fix_typos_and_see_the_log(
    owner_client: Client, asking: Survey, org: Organization
) -> None:
    testimonial = quote_of(asking, comment="Realy good", name="Ada")
    url = f"/o/{org.slug}/testimonials/{testimonial.pk}/edit/"
    form = {"quote": "Really good", "name": "Ada", "title": "", "company": ""}
    assert owner_client.post(url, form).status_code == 302
    refused = owner_client.post(url, {**form, "quote": "Totally different words"})
    assert refused.status_code == 400 and "Only small corrections" in refused.content.decode()
    detail = owner_client.get(f"/o/{org.slug}/testimonials/{testimonial.pk}/").content.decode()
    assert "Realy good" in detail and "owner@example.com" in detail
    assert "I agree that Example Inc may publish" in detail


def test_admins_choose_the_surveys_that_ask_and_set_up_the_wall(
    owner_client: Client, member_client: Client, survey: Survey, org: Organization
) -> None:
    wall_url = f"/o/{org.slug}/testimonials/wall/"
    unsaved = member_client.get(wall_url).content.decode()
    assert "not set up yet" in unsaved and "data-wall" not in unsaved
    assert member_client.post(wall_url, {"accent_color": "#000000"}).status_code == 403
    ask = f"/o/{org.slug}/testimonials/surveys/{survey.pk}/ask/"
    assert member_client.post(ask, {"ask": "1"}).status_code == 403
    assert owner_client.post(ask, {"ask": "1"}).status_code == 302
    with tenant_context(org):
        assert services.selectors.consent_asked(survey=survey)
        assert not Wall.objects.exists()
    # A new wall's form starts with the origins the surveys already allow.
    assert ORIGIN in owner_client.get(wall_url).content.decode()
    saved = owner_client.post(
        wall_url, {"heading": "Hi", "accent_color": "#112233", "allowed_origins": SITE}
    )
    assert saved.status_code == 302
    page = member_client.get(wall_url).content.decode()
    assert "data-wall=&quot;tw_" in page and "/testimonials.js" in page and "&lt;iframe" in page
    assert "not set up yet" not in page
    bad = owner_client.post(wall_url, {"accent_color": "red", "allowed_origins": "ftp://x"})
    assert bad.status_code == 400
    with tenant_context(org):
        assert Wall.objects.get().allowed_origins == [SITE]
    owner_client.post(ask, {"ask": "0"})
    with tenant_context(org):
        assert not services.selectors.consent_asked(survey=survey)


def test_a_viewer_opening_the_wall_settings_writes_nothing(
    member_client: Client, survey: Survey, org: Organization
) -> None:
    # The session's first page of the organization also stores it (tenants.middleware):
    # open one first, so only the wall page's own statements are counted.
    assert member_client.get(f"/o/{org.slug}/").status_code == 200
    with CaptureQueriesContext(connection) as context:
        page = member_client.get(f"/o/{org.slug}/testimonials/wall/")
    assert page.status_code == 200 and ORIGIN in page.content.decode()
    writes = [
        query["sql"]
        for query in context.captured_queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    with tenant_context(org):
        assert not Wall.objects.exists()


def test_the_first_failed_save_of_the_wall_creates_nothing(
    owner_client: Client, org: Organization
) -> None:
    bad = {"accent_color": "#112233", "allowed_origins": "ftp://x"}
    assert owner_client.post(f"/o/{org.slug}/testimonials/wall/", bad).status_code == 400
    with tenant_context(org):
        assert not Wall.objects.exists()


def test_an_outsider_gets_404_on_every_testimonial_page(
    outsider_client: Client, other_org: Organization, asking: Survey, org: Organization
) -> None:
    testimonial = quote_of(asking)
    for path in ("/", "/wall/", f"/{testimonial.pk}/"):
        assert outsider_client.get(f"/o/{org.slug}/testimonials{path}").status_code == 404, path
    # Under their own slug, our ids are as unknown as missing ones.
    assert (
        outsider_client.get(f"/o/{other_org.slug}/testimonials/{testimonial.pk}/").status_code
        == 404
    )
    for slug in (org.slug, other_org.slug):
        base = f"/o/{slug}/testimonials"
        for path in (
            f"/{testimonial.pk}/review/",
            f"/{testimonial.pk}/edit/",
            f"/surveys/{asking.pk}/ask/",
        ):
            data = {"status": "approved", "quote": "x", "name": "x", "ask": "1"}
            assert outsider_client.post(base + path, data).status_code == 404, (slug, path)
    with tenant_context(org):
        assert Quote.objects.get().status == Status.PENDING


# --- REST API --------------------------------------------------------------------------


def api(client: Client, method: str, path: str, key: str, body: Any = None) -> Any:
    call = getattr(client, method)
    extra = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    if body is None or method == "get":
        return call(f"/api/v1/{path}", **extra)
    return call(f"/api/v1/{path}", json.dumps(body), content_type="application/json", **extra)


def test_the_api_lists_approved_testimonials_and_moderates(
    client: Client, asking: Survey, api_key: str, read_only_key: str
) -> None:
    shown = approved(asking, comment="Shown", client_id="a" * 20)
    waiting = quote_of(asking, comment="Waiting", client_id="b" * 20)
    listed = api(client, "get", "testimonials", read_only_key).json()
    assert [row["quote"] for row in listed["results"]] == ["Shown"]
    row = listed["results"][0]
    assert row["survey"] == asking.public_key and row["score"] == 10
    assert row["withdraw_url"].endswith(f"/t/withdraw/{shown.withdraw_token}")
    everything = api(client, "get", "testimonials?status=all", read_only_key).json()
    assert everything["count"] == 2
    assert api(client, "get", "testimonials?status=nope", read_only_key).status_code == 422
    assert (
        api(client, "post", f"testimonials/{waiting.pk}/approve", read_only_key, {}).status_code
        == 403
    )
    assert (
        api(client, "post", f"testimonials/{waiting.pk}/approve", api_key, {}).json()["status"]
        == "approved"
    )
    again = api(client, "post", f"testimonials/{waiting.pk}/approve", api_key, {})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "conflict")
    assert (
        api(client, "post", f"testimonials/{shown.pk}/reject", api_key, {}).json()["status"]
        == "rejected"
    )
    fixed = api(client, "patch", f"testimonials/{waiting.pk}", api_key, {"quote": "Waitin"})
    assert fixed.status_code == 200 and fixed.json()["edits"][0]["editor"] == "API key test key"
    too_much = api(client, "patch", f"testimonials/{waiting.pk}", api_key, {"quote": "Rewritten!"})
    assert too_much.status_code == 422 and "quote" in too_much.json()["error"]["details"]
    unknown = api(client, "patch", f"testimonials/{waiting.pk}", api_key, {"status": "approved"})
    assert unknown.status_code == 422


def test_another_organizations_key_finds_no_testimonial(
    client: Client, asking: Survey, other_api_key: str
) -> None:
    testimonial = approved(asking)
    assert api(client, "get", "testimonials", other_api_key).json()["count"] == 0
    for method, path in (
        ("get", f"testimonials/{testimonial.pk}"),
        ("patch", f"testimonials/{testimonial.pk}"),
        ("post", f"testimonials/{testimonial.pk}/reject"),
        ("post", f"testimonials/{testimonial.pk}/approve"),
    ):
        assert api(client, method, path, other_api_key, {"name": "Eve"}).status_code == 404, path
    with tenant_context(asking.organization):
        assert Quote.objects.get().status == Status.APPROVED


def test_the_demo_has_approved_and_pending_testimonials(db: None, client: Client) -> None:
    for _ in range(2):  # idempotent: a second run adds nothing
        call_command("seed_demo", "--responses", "300", stdout=StringIO())
    acme = Organization.objects.get(slug="acme")
    with tenant_context(acme):
        statuses = sorted(Quote.objects.values_list("status", flat=True))
        wall = Wall.objects.get()
    assert statuses == ["approved", "approved", "approved", "pending"]
    shown = client.get(f"/t/{wall.public_key}/testimonials.json").json()["testimonials"]
    assert len(shown) == 3
    assert client.login(username="owner@acme.test", password="demo-password")
    assert "Approve" in client.get("/o/acme/testimonials/").content.decode()
