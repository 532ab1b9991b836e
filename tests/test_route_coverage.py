"""Every URL pattern of the project, the resolver walked whole, is either walked
by an isolation test or listed below as public, with the reason.

The isolation enumerators:
- tests/test_isolation.py: every /o/<org_slug>/ page (an outsider gets 404);
- tests/test_api_isolation.py: every /api/v1/ route and OpenAPI operation;
- tests/test_delighted_isolation.py: every /delighted/v1/ route.

A new route outside those prefixes fails here until it is listed; a public
route that takes a key or a token must name the test proving a forged one is
refused.
"""

import importlib
import re
from dataclasses import dataclass
from typing import Any

from django.test import Client

from surveys.models import Survey
from tenants.models import Organization

from .test_api_isolation import api_routes
from .test_delighted_isolation import delighted_routes
from .test_isolation import iter_routes, org_routes


@dataclass(frozen=True)
class Public:
    why: str
    # "module::test" proving that an unknown or forged key or token is refused
    # (404; 400 for a signed token that does not verify). Required with a parameter.
    refused_by: str = ""


WIDGET = "the widget's JSON endpoints, keyed by a survey's public key (anonymous respondents)"
WIDGET_404 = "test_widget_api::test_it_answers_404_for_an_unknown_survey"
LINK = "the survey's link page, keyed by its public key (anonymous respondents)"
LINK_404 = "test_link_page::test_it_answers_404_for_an_unknown_key"
EMAIL = "a survey email's landing page: the signed token names one survey request"
EMAIL_4XX = "test_hostile_public_inputs::test_a_bad_score_link_gets_a_clear_4xx_and_records_nothing"
DOCS = "the API's description and its viewers: no data of any organization"
WALL = "an organization's testimonial wall, keyed by its public key: approved, consented quotes"
TESTIMONIAL_404 = "test_testimonials::test_an_unknown_key_or_token_gets_404_on_every_public_route"

PUBLIC: dict[str, Public] = {
    # The signed-in user's own pages: what they show comes from the user's own
    # memberships, never from an organization named in the request.
    "": Public("home: sends a user to their organization, anyone else to the login page"),
    "o/": Public("the signed-in user's own organizations"),
    "account/language/": Public("the signed-in user's own language"),
    "signup/": Public("creates a new user and a new organization"),
    "invitations/<str:token>/": Public(
        "an invitation: its token names the invitation",
        "test_accounts::test_a_forged_invitation_link_gets_404",
    ),
    # Django's authentication views.
    "accounts/login/": Public("log in"),
    "accounts/logout/": Public("log out"),
    "accounts/password_change/": Public("the signed-in user's own password"),
    "accounts/password_change/done/": Public("a confirmation page"),
    "accounts/password_reset/": Public("asks for a reset email; answers alike for every address"),
    "accounts/password_reset/done/": Public("a confirmation page"),
    "accounts/reset/<uidb64>/<token>/": Public(
        "the emailed password reset link",
        "test_accounts::test_a_forged_password_reset_link_sets_no_password",
    ),
    "accounts/reset/done/": Public("a confirmation page"),
    # Load balancers.
    "healthz": Public("whether the database and the cache answer; no data"),
    # Respondents, who never log in.
    "widget.js": Public("the widget's script, the same for every site"),
    "w/<str:public_key>/config": Public(WIDGET, WIDGET_404),
    "w/<str:public_key>/display": Public(WIDGET, WIDGET_404),
    "w/<str:public_key>/answer": Public(WIDGET, WIDGET_404),
    "w/<str:public_key>/comment": Public(WIDGET, WIDGET_404),
    "w/<str:public_key>/dismiss": Public(WIDGET, WIDGET_404),
    "s/<str:public_key>": Public(LINK, LINK_404),
    "s/<str:public_key>/thanks": Public(LINK, LINK_404),
    "s/<str:public_key>/qr.svg": Public(LINK, LINK_404),
    "s/<str:public_key>/qr.png": Public(LINK, LINK_404),
    "s/<str:public_key>/comment": Public(
        LINK, "test_hostile_public_inputs::test_an_unknown_link_key_gets_404"
    ),
    "s/<str:public_key>/testimonial": Public(
        "the link page's consent step for a promoter's comment, keyed by the survey's public key",
        TESTIMONIAL_404,
    ),
    "w/<str:public_key>/testimonial": Public(WIDGET, TESTIMONIAL_404),
    "w/<str:public_key>/testimonial/offer": Public(WIDGET, TESTIMONIAL_404),
    "t/withdraw/<str:token>": Public(
        "a respondent's link to withdraw their consent: the random token names one testimonial",
        TESTIMONIAL_404,
    ),
    # Other sites showing an organization's approved testimonials.
    "testimonials.js": Public("the testimonial wall's script, the same for every site"),
    "t/<str:public_key>": Public(WALL, TESTIMONIAL_404),
    "t/<str:public_key>/testimonials.json": Public(WALL, TESTIMONIAL_404),
    "e/<str:token>": Public(EMAIL, EMAIL_4XX),
    "e/<str:token>/comment": Public(EMAIL, EMAIL_4XX),
    "u/<str:token>": Public(
        "a survey email's unsubscribe link: the signed token names one survey request",
        "test_hostile_public_inputs::"
        "test_a_bad_unsubscribe_link_gets_a_clear_4xx_and_suppresses_nobody",
    ),
    # The API's own documents, and its JSON 404 for paths that are no endpoint.
    "^api/v1/": Public(
        "any other path under /api/v1/: a 404 in the API's shape, before any key is read",
        "test_api_isolation::test_an_unknown_api_path_answers_404_in_the_apis_shape",
    ),
    "api/schema/": Public(DOCS),
    "api/docs/": Public(DOCS),
    "api/redoc/": Public(DOCS),
}
# The operators' Django admin: staff only, across organizations by design. Its
# routes follow the registered models, so they are allowed as a whole; the last
# test checks that every one of them sends a signed-in outsider to its login.
ADMIN = "admin/"


def walked() -> set[str]:
    return {*org_routes(), *api_routes(), *delighted_routes()}


def admin_routes() -> list[str]:
    return sorted(route for route in set(iter_routes()) if route.startswith(ADMIN))


def test_every_route_is_walked_by_an_isolation_test_or_listed_as_public() -> None:
    unlisted = sorted(set(iter_routes()) - walked() - set(PUBLIC) - set(admin_routes()))
    assert not unlisted, (
        f"routes no isolation test walks: {unlisted}. Mount a tenant's page under "
        "/o/<org_slug>/ or its API under /api/v1/, or add the route to PUBLIC in "
        "tests/test_route_coverage.py saying why it is public."
    )


def test_the_enumerators_find_their_routes() -> None:
    assert len(org_routes()) >= 7
    assert len(api_routes()) >= 20
    assert len(delighted_routes()) >= 9
    assert len(admin_routes()) >= 10


def test_the_public_list_holds_only_routes_that_exist_and_no_tenant_route() -> None:
    routes = set(iter_routes())
    assert not set(PUBLIC) - routes, f"stale entries in PUBLIC: {sorted(set(PUBLIC) - routes)}"
    assert not set(PUBLIC) & walked(), "a route is both walked and listed as public"


def test_every_public_route_with_a_key_or_token_names_a_test_refusing_a_forged_one() -> None:
    for route, entry in PUBLIC.items():
        if "<" not in route:
            continue
        assert entry.refused_by, f"{route}: name the test proving a forged key is refused"
        module, _, name = entry.refused_by.partition("::")
        test = getattr(importlib.import_module(f"tests.{module}"), name, None)
        assert callable(test), f"{route}: {entry.refused_by} does not exist"


def test_a_signed_in_outsider_finds_nothing_of_ours_on_the_public_pages(
    outsider_client: Client, member_client: Client, org: Organization, survey: Survey
) -> None:
    Organization.objects.filter(pk=org.pk).update(name="Zyzzyva Analytics")
    ours = ("Zyzzyva Analytics", f"/o/{org.slug}/", survey.public_key)
    for route in [route for route in PUBLIC if "<" not in route and not route.startswith("^")]:
        page = outsider_client.get(f"/{route}", follow=True)
        assert page.status_code < 500, route
        body = page.content.decode(errors="replace")
        assert not [marker for marker in ours if marker in body], route
    # The same look finds our organization where it belongs: in our member's list.
    assert ours[0] in member_client.get("/o/").content.decode()


def admin_path(route: str, object_id: int) -> str:
    path = re.sub(r"<(?:\w+:)?\w+>", str(object_id), route)
    path = path.replace("(?P<app_label>", "(").replace("(?P<url>.*)", "nope/")
    path = re.sub(r"\(([a-z_]+)\|[^)]*\)", r"\1", path)
    return "/" + path.replace("^", "").replace("$", "")


def test_the_admin_sends_a_signed_in_outsider_to_its_login(
    outsider_client: Client, org: Organization
) -> None:
    """Aimed at our organization's rows where a route takes an object id."""
    elsewhere = []
    for route in admin_routes():
        path = admin_path(route, org.pk)
        answer: Any = outsider_client.get(path, follow=True)
        if answer.request["PATH_INFO"] != "/admin/login/" or org.name in answer.content.decode():
            elsewhere.append(path)
    assert not elsewhere, f"admin pages that did not send the outsider to the login: {elsewhere}"
