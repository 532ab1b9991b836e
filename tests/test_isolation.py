"""Every page under /o/<org_slug>/ answers 404 to anyone outside the org.

Routes are read from the URL resolver, so a new page is covered as soon as it
exists; a route with a parameter this test cannot fill fails loudly.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from alerts.models import Destination
from importer.models import ImportJob
from integrations.models import Delivery, Webhook
from responses.models import Note, Respondent, Response
from surveys.models import Survey, SurveyVariant
from tenants.context import tenant_context
from tenants.models import ApiKey, Invitation, Membership, Organization
from tenants.services import api_key_create, invitation_create
from testimonials.models import Testimonial as Quote


def iter_patterns(
    patterns: list[Any] | None = None, prefix: str = ""
) -> Iterator[tuple[str, URLPattern]]:
    """Every route of the project with its pattern: the resolver walked whole."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            yield from iter_patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def iter_routes() -> Iterator[str]:
    for route, _ in iter_patterns():
        yield route


def org_routes() -> list[str]:
    return sorted({route for route in iter_routes() if "<slug:org_slug>" in route})


def fill(route: str, values: dict[str, Any]) -> str:
    path = route
    for name, value in values.items():
        for converter in ("int", "str", "slug", "uuid", "path"):
            path = path.replace(f"<{converter}:{name}>", str(value))
    if "<" in path:
        pytest.fail(f"{route}: add an object of `org` for its parameters to test_isolation.py")
    return "/" + path.lstrip("^").rstrip("$")


@pytest.fixture
def org_objects(owner: Any, member: Any, org: Organization, survey: Any) -> dict[str, Any]:
    """One object of `org` per URL parameter, so outsiders aim at real rows."""
    api_key, _ = api_key_create(organization=org, name="k")
    invitation, _ = invitation_create(
        organization=org, email="invitee@example.com", role="viewer", invited_by=owner
    )
    with tenant_context(org):
        respondent = Respondent.objects.create(organization=org, external_id="u1", name="Ann")
        response = Response.objects.create(
            organization=org, survey=survey, respondent=respondent, score=3, comment="Slow"
        )
        note = Note.objects.create(organization=org, response=response, author=owner, body="Called")
        webhook = Webhook.objects.create(organization=org, url="https://93.184.215.14/h", events=[])
        delivery = Delivery.objects.create(
            organization=org, webhook=webhook, event_type="webhook.test", message_id="m", payload={}
        )
        destination = Destination.objects.create(
            organization=org, name="#cx", url="https://hooks.slack.com/services/T/B/x"
        )
        import_job = ImportJob.objects.create(organization=org, survey=survey, filename="x.csv")
        variant = SurveyVariant.objects.create(organization=org, survey=survey, name="Short")
        testimonial = Quote.objects.create(
            organization=org, response=response, quote="Slow", name="Ann", consent_text="…"
        )
    return {
        "org_slug": org.slug,
        "membership_id": Membership.objects.get(organization=org, user=member).pk,
        "invitation_id": invitation.pk,
        "key_id": api_key.pk,
        "survey_id": survey.pk,
        "respondent_id": respondent.pk,
        "response_id": response.pk,
        "note_id": note.pk,
        "webhook_id": webhook.pk,
        "delivery_id": delivery.pk,
        "destination_id": destination.pk,
        "import_id": import_job.pk,
        "variant_id": variant.pk,
        "testimonial_id": testimonial.pk,
    }


def test_the_resolver_exposes_org_routes() -> None:
    assert len(org_routes()) >= 7


@pytest.mark.parametrize("route", org_routes())
def test_an_outsider_gets_404_on_every_org_route(
    route: str, outsider_client: Client, org_objects: dict[str, Any]
) -> None:
    path = fill(route, org_objects)
    assert outsider_client.get(path).status_code == 404, path
    assert outsider_client.post(path, {"name": "x", "role": "owner"}).status_code == 404, path


@pytest.mark.parametrize("route", [r for r in org_routes() if r.count("<") > 1])
def test_an_outsider_gets_404_for_our_objects_under_their_own_slug(
    route: str, outsider_client: Client, other_org: Organization, org_objects: dict[str, Any]
) -> None:
    path = fill(route, {**org_objects, "org_slug": other_org.slug})
    assert outsider_client.get(path).status_code in (404, 405), path
    assert (
        outsider_client.post(path, {"name": "x", "role": "owner", "action": "remove"}).status_code
        == 404
    ), path


def test_nothing_changed_after_the_outsider_tried(
    outsider_client: Client, org: Organization, other_org: Organization, org_objects: dict[str, Any]
) -> None:
    for route in org_routes():
        for slug in (org.slug, other_org.slug):
            outsider_client.post(
                fill(route, {**org_objects, "org_slug": slug}), {"action": "remove"}
            )
    assert Membership.objects.filter(organization=org).count() == 2
    with tenant_context(org):
        assert ApiKey.objects.get().revoked_at is None
        assert Invitation.objects.count() == 1
        response = Response.objects.get()
        assert (response.score, response.follow_up_status, response.notes.count()) == (3, "new", 1)
        assert Survey.objects.get().is_active
        variant = SurveyVariant.objects.get()
        assert (variant.name, variant.is_active) == ("Short", True)
    org.refresh_from_db()
    assert org.name == "Example Inc"


def test_the_member_reaches_every_org_route_without_404(
    member_client: Client, org_objects: dict[str, Any]
) -> None:
    """The 404s above come from isolation, not from broken routes."""
    for route in org_routes():
        path = fill(route, org_objects)
        assert member_client.get(path).status_code in (200, 302, 403, 405), path
