"""Every /api/v1/ operation, read from the URL resolver and from the OpenAPI
schema: no key gets 401; another organization's key gets 404 on our objects,
none of our rows (nor our counts) in lists, and changes nothing of ours.

The two sources are held against each other: a route the schema leaves out, an
operation no route serves, or a method a view answers outside the schema fails
by name. The per-method calls follow the schema's operations, so a new route or
operation is covered as soon as it exists; a parameter this test cannot fill
fails loudly.
"""

import json
import re
from functools import cache
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db.models import F
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from dashboards.filters import parse_filters
from integrations.models import Delivery, Webhook
from outreach.models import Suppression, SurveyRequest
from responses.models import Channel, Note, Respondent, Response
from responses.services import answer_record
from surveys.models import Survey, SurveyVariant
from surveys.services import survey_create
from tenants.context import tenant_context
from tenants.models import Membership, Organization, TenantModel
from testimonials.models import Testimonial as Quote
from themes.models import ThemeMention, ThemeSnapshot

from .test_isolation import fill, iter_patterns
from .test_isolation import org_objects as org_objects  # a fixture

METHODS = ("get", "post", "put", "patch", "delete")
WRITES = ("post", "put", "patch", "delete")
# Which object a bare `<int:pk>` names, by the route's first segment.
PK_OF = {
    "survey_requests": "request_id",
    "respondents": "respondent_id",
    "responses": "response_id",
    "webhooks": "webhook_id",
    "testimonials": "testimonial_id",
}
# Words only our organization's rows contain: none may reach another key.
OUR_MARKERS = (
    "Slow service",
    "Called back",
    "Ann Example",
    "ann@example.com",
    "93.184.215.14",
    "Example Inc",
    "Product NPS",
    "owner@example.com",
    "member@example.com",
    "ann.unsubscribed@example.com",
)
# What a write aimed at our rows sends, field by field; each operation gets the
# fields its request body in the schema takes.
HOSTILE_VALUES = {
    "name": "x",
    "kind": "customer",
    "score": 10,
    "comment": "taken over",
    "body": "taken over",
    "description": "taken over",
    "email": "ann@example.com",
    "external_id": "u1",
    "traits": {"plan": "taken"},
    "properties": {"plan": "taken"},
    "url": "https://93.184.215.14/other",
    "events": ["response.created"],
    "follow_up_status": "resolved",
    "tags": ["taken"],
    "is_active": False,
    # Ours: a write may name them, and must then be refused or stay in its own org.
    "respondent": {"external_id": "u1", "email": "ann@example.com"},
    "assignee": "owner@example.com",
    "label": "taken over",
    "tag": "taken",
    "into": "slow",
}
# Query parameters of the schema that name an object, and which of ours they get.
QUERY_NAMING_OURS = {
    "survey": "survey",
    "respondent": "respondent_id",
    "email": "email",
    "external_id": "external_id",
}


# --- The two sources: the resolver and the schema -------------------------------------


def api_patterns() -> dict[str, URLPattern]:
    return {route: entry for route, entry in iter_patterns() if route.startswith("api/v1/")}


def api_routes() -> list[str]:
    return sorted(api_patterns())


@cache
def schema() -> dict[str, Any]:
    """Generated in-process, so a route is covered before `make schema` runs
    (tests/test_api_schema.py keeps the committed copy equal to this)."""
    document: dict[str, Any] = SchemaGenerator().get_schema(request=None, public=True)
    return document


def schema_operations() -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in schema()["paths"].items()
        for method in item
        if method in METHODS
    }


def schema_path(route: str) -> str:
    """`api/v1/responses/<int:pk>/notes` → `/api/v1/responses/{id}/notes`, as
    drf-spectacular writes it (a `pk` is published as `id`)."""
    path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
    return "/" + path.replace("{pk}", "{id}")


def view_methods(entry: URLPattern) -> set[str]:
    """The methods a route's view answers: those it both allows and implements."""
    view = getattr(entry.callback, "view_class", None)
    if view is None:
        pytest.fail(f"{entry.pattern}: an API route must be a class-based view")
    return {m for m in METHODS if m in view.http_method_names and hasattr(view, m)}


def route_of_path() -> dict[str, str]:
    return {schema_path(route): route for route in api_routes()}


def api_operations(*, with_params: bool, methods: tuple[str, ...] = METHODS) -> list[Any]:
    """(route, method) for every operation of the schema a route serves."""
    routes = route_of_path()
    return [
        pytest.param(routes[path], method, id=f"{method.upper()} {path}")
        for path, method in sorted(schema_operations())
        if path in routes and ("{" in path) == with_params and method in methods
    ]


# --- Filling paths and bodies ---------------------------------------------------------


def api_path(route: str, objects: dict[str, Any]) -> str:
    first = route.removeprefix("api/v1/").split("/")[0]
    values = {key: value for key, value in objects.items() if key != "pk"}
    if "<int:pk>" in route:
        if first not in PK_OF:
            pytest.fail(f"{route}: say in PK_OF which object its pk names")
        values["pk"] = objects[PK_OF[first]]
    return fill(route, values)


def request_fields(route: str, method: str) -> set[str]:
    operation = schema()["paths"][schema_path(route)][method]
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return set()
    name = content["schema"]["$ref"].rsplit("/", 1)[-1]
    return set(schema()["components"]["schemas"][name].get("properties", {}))


def hostile_bodies(route: str, method: str, objects: dict[str, Any]) -> list[dict[str, Any]]:
    """The operation's own fields, so a write gets past validation to the rows.
    One that takes a survey is sent twice: naming ours, and naming none, so the
    rest of the body (our respondent, owner, address) reaches past that check."""
    fields = request_fields(route, method)
    body = {name: value for name, value in HOSTILE_VALUES.items() if name in fields}
    if "survey" not in fields:
        return [body]
    return [{**body, "survey": objects["survey"]}, body]


def call(client: Client, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    if method == "get":
        return client.get(path)
    data = json.dumps(body if body is not None else {})
    return getattr(client, method)(path, data, content_type="application/json")


def key_client(key: str | None) -> Client:
    return Client(headers={"Authorization": f"Bearer {key}"} if key else {})


def leaked(answer: Any, *, sent: Any = None) -> list[str]:
    """Our markers in an answer, except those the request itself sent."""
    body, echoed = answer.content.decode(), json.dumps(sent or {})
    return [marker for marker in OUR_MARKERS if marker in body and marker not in echoed]


def nonzero_counts(document: Any) -> list[str]:
    """Counts in an answer to an organization without a single answer: all must be 0."""
    if isinstance(document, list):
        return [found for item in document for found in nonzero_counts(item)]
    if not isinstance(document, dict):
        return []
    found = [
        f"{key}={value}"
        for key, value in document.items()
        if (key.endswith("_count") or key in ("displays", "dismissals")) and value not in (0, None)
    ]
    return found + [item for value in document.values() for item in nonzero_counts(value)]


# --- Our organization's rows ----------------------------------------------------------


def computed_themes(org: Organization, themes: dict[str, int]) -> None:
    """Themes already computed for the API's default scope (90 days, every
    survey), each theme key mentioned by one response: theme routes reach a
    real theme without running the computation."""
    with tenant_context(org):
        filters = parse_filters(QueryDict(), tz=org.time_zone)
        snapshot = ThemeSnapshot.objects.create(
            organization=org,
            first=filters.local_start,
            last=filters.local_last,
            computed_at=timezone.now(),
            comment_count=len(themes),
            themes=[
                {
                    "key": key,
                    "label": key,
                    "aliases": [],
                    "related": [],
                    "count": 1,
                    "detractors": 1,
                    "passives": 0,
                    "promoters": 0,
                    "sample_ids": [response_id],
                }
                for key, response_id in themes.items()
            ],
        )
        for key, response_id in themes.items():
            ThemeMention.objects.create(
                organization=org, snapshot=snapshot, key=key, response_id=response_id
            )


@pytest.fixture
def our_objects(org: Organization, survey: Survey, org_objects: dict[str, Any]) -> dict[str, Any]:
    with tenant_context(org):
        Respondent.objects.filter(pk=org_objects["respondent_id"]).update(
            name="Ann Example", email="ann@example.com", phone_number="+15551234567"
        )
        Response.objects.filter(pk=org_objects["response_id"]).update(comment="Slow service")
        Note.objects.filter(pk=org_objects["note_id"]).update(body="Called back")
        request = SurveyRequest.objects.create(
            organization=org,
            survey=survey,
            respondent_id=org_objects["respondent_id"],
            email="ann@example.com",
            scheduled_at=survey.created_at,
        )
        Suppression.objects.create(organization=org, email="ann@example.com", reason="bounced")
        Suppression.objects.create(
            organization=org, email="ann.unsubscribed@example.com", reason="unsubscribed"
        )
    computed_themes(org, {"slow": org_objects["response_id"]})
    return {
        **org_objects,
        "survey": survey.public_key,
        "request_id": request.pk,
        "email": "ann@example.com",
        "external_id": "u1",
        "phone_number": "+15551234567",
        "theme": "slow",
    }


@pytest.fixture
def their_objects(other_org: Organization, outsider: Any) -> dict[str, Any]:
    """The other organization's own rows: its lists are not empty, and its
    writes on them may name ours in their bodies."""
    theirs = survey_create(organization=other_org, kind="customer", name="Theirs")
    with tenant_context(other_org):
        them = Respondent.objects.create(
            organization=other_org,
            external_id="t1",
            email="theo@other.test",
            name="Theo Other",
            phone_number="+15557654321",
        )
        response, _ = answer_record(
            survey=theirs,
            respondent=them,
            client_id="theirs-1",
            score=10,
            comment="Their comment",
            channel=Channel.API,
        )
        note = Note.objects.create(
            organization=other_org, response=response, author=outsider, body="Their note"
        )
        # A private address: a test delivery is refused at once, never sent out.
        webhook = Webhook.objects.create(
            organization=other_org, url="https://10.0.0.15/h", events=[]
        )
        delivery = Delivery.objects.create(
            organization=other_org,
            webhook=webhook,
            event_type="webhook.test",
            message_id="t",
            payload={},
        )
        request = SurveyRequest.objects.create(
            organization=other_org,
            survey=theirs,
            respondent=them,
            email="theo@other.test",
            scheduled_at=theirs.created_at,
        )
        for email, reason in (("theo@other.test", "unsubscribed"), ("bob@other.test", "bounced")):
            Suppression.objects.create(organization=other_org, email=email, reason=reason)
        variant = SurveyVariant.objects.create(organization=other_org, survey=theirs, name="B")
        testimonial = Quote.objects.create(
            organization=other_org,
            response=response,
            quote="Their comment",
            name="Theo",
            consent_text="…",
        )
    # Keys are phrases, not ids: theirs may name one of ours ("slow").
    computed_themes(other_org, {"price": response.pk, "slow": response.pk})
    return {
        "survey": theirs.public_key,
        "survey_id": theirs.pk,
        "respondent_id": them.pk,
        "response_id": response.pk,
        "note_id": note.pk,
        "webhook_id": webhook.pk,
        "delivery_id": delivery.pk,
        "request_id": request.pk,
        "testimonial_id": testimonial.pk,
        "email": "theo@other.test",
        "external_id": "t1",
        "phone_number": "+15557654321",
        "variant_id": variant.pk,
        "theme": "price",
    }


def tenant_models() -> list[Any]:
    return [model for model in apps.get_models() if issubclass(model, TenantModel)]


def our_rows(org: Organization) -> dict[str, list[dict[str, Any]]]:
    """Every row of every tenant table of `org`, column by column, with the
    organization itself and its memberships."""
    with tenant_context(org):
        rows = {
            model._meta.label: list(model.objects.order_by("pk").values())
            for model in tenant_models()
        }
    rows["tenants.Organization"] = list(Organization.objects.filter(pk=org.pk).values())
    rows["tenants.Membership"] = list(
        Membership.objects.filter(organization=org).order_by("pk").values()
    )
    return rows


def cross_tenant_links() -> list[str]:
    """Rows that point at a row of another organization, or name a user who is
    no member of theirs (in these tests nobody ever leaves an organization)."""
    found = []
    for model in tenant_models():
        for field in model._meta.get_fields():
            if not (field.concrete and field.many_to_one) or field.name == "organization":
                continue
            if issubclass(field.related_model, TenantModel):
                same = {f"{field.name}__organization": F("organization")}
            elif field.related_model._meta.label == settings.AUTH_USER_MODEL:
                same = {f"{field.name}__memberships__organization": F("organization")}
            else:
                continue
            rows = model.objects.unscoped().filter(**{f"{field.name}__isnull": False})
            found += [
                f"{model._meta.label}.{field.name}: {pk}"
                for pk in rows.exclude(**same).values_list("pk", flat=True)
            ]
    return found


# --- The sources agree ----------------------------------------------------------------


def test_the_resolver_and_the_schema_expose_the_api() -> None:
    assert len(api_routes()) >= 20
    assert len(schema_operations()) >= 40


def test_every_api_route_is_in_the_schema() -> None:
    paths = schema()["paths"]
    missing = [route for route in api_routes() if schema_path(route) not in paths]
    assert not missing, f"routes the OpenAPI schema leaves out (so untested here): {missing}"


def test_every_schema_operation_is_served_by_a_route_this_test_calls() -> None:
    routes = route_of_path()
    unserved = sorted(
        f"{m.upper()} {path}" for path, m in schema_operations() if path not in routes
    )
    assert not unserved, f"schema operations no /api/v1/ route serves: {unserved}"


def test_every_method_a_view_answers_is_an_operation_of_the_schema() -> None:
    operations = schema_operations()
    hidden = sorted(
        f"{method.upper()} {schema_path(route)}"
        for route, entry in api_patterns().items()
        for method in view_methods(entry)
        if (schema_path(route), method) not in operations
    )
    assert not hidden, f"methods answered outside the schema (so untested here): {hidden}"


# --- No key ---------------------------------------------------------------------------


@pytest.mark.parametrize("route", api_routes())
def test_no_key_gets_401_on_every_api_route(route: str, our_objects: dict[str, Any]) -> None:
    path = api_path(route, our_objects)
    for method in METHODS:
        answer = call(key_client(None), method, path)
        assert answer.status_code == 401, (method, path)
        assert answer.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("key", [None, "ours"])
def test_an_unknown_api_path_answers_404_in_the_apis_shape(
    key: str | None, api_key: str, our_objects: dict[str, Any]
) -> None:
    for path in ("/api/v1/nope", f"/api/v1/surveys/{our_objects['survey']}/nope"):
        answer = key_client(api_key if key else None).get(path)
        assert answer.status_code == 404, path
        assert answer.json()["error"]["code"] == "not_found"


# --- Another organization's key -------------------------------------------------------


@pytest.mark.parametrize(("route", "method"), api_operations(with_params=True))
def test_another_organizations_key_gets_404_on_our_objects(
    route: str, method: str, org: Organization, our_objects: dict[str, Any], other_api_key: str
) -> None:
    before = our_rows(org)
    for body in hostile_bodies(route, method, our_objects):
        answer = call(key_client(other_api_key), method, api_path(route, our_objects), body)
        assert answer.status_code == 404, answer.content
        assert not leaked(answer, sent=body if method != "get" else None)
    assert our_rows(org) == before


@pytest.mark.parametrize("route", api_routes())
def test_methods_outside_the_schema_answer_405_to_another_organizations_key(
    route: str, our_objects: dict[str, Any], other_api_key: str
) -> None:
    described = {m for path, m in schema_operations() if path == schema_path(route)}
    for method in sorted(set(METHODS) - described):
        answer = call(key_client(other_api_key), method, api_path(route, our_objects))
        assert answer.status_code == 405, (method, route, answer.status_code)


@pytest.mark.parametrize(("route", "method"), api_operations(with_params=False, methods=("get",)))
def test_another_organizations_key_reads_none_of_our_rows_nor_counts(
    route: str, method: str, our_objects: dict[str, Any], other_api_key: str
) -> None:
    answer = key_client(other_api_key).get(api_path(route, our_objects))
    assert answer.status_code == 200, answer.content
    assert not leaked(answer)
    assert our_objects["survey"] not in answer.content.decode()
    assert not nonzero_counts(answer.json()), route


@pytest.mark.parametrize(("route", "method"), api_operations(with_params=False, methods=("get",)))
def test_query_parameters_naming_our_objects_find_nothing(
    route: str, method: str, our_objects: dict[str, Any], other_api_key: str
) -> None:
    item = schema()["paths"][schema_path(route)]["get"]
    names = [p["name"] for p in item.get("parameters", []) if p["in"] == "query"]
    for name in [name for name in names if name in QUERY_NAMING_OURS]:
        value = our_objects[QUERY_NAMING_OURS[name]]
        answer = key_client(other_api_key).get(api_path(route, our_objects), {name: value})
        assert answer.status_code in (200, 404, 422), (name, answer.content)
        assert not leaked(answer), name
        if answer.status_code == 200:
            assert not nonzero_counts(answer.json()), name


@pytest.mark.parametrize(("route", "method"), api_operations(with_params=False, methods=WRITES))
def test_another_organizations_key_writes_nothing_of_ours(
    route: str, method: str, org: Organization, our_objects: dict[str, Any], other_api_key: str
) -> None:
    """Writes that name no object in their path (new rows, the organization)
    still name our survey, respondent and address in their body."""
    before = our_rows(org)
    for body in hostile_bodies(route, method, our_objects):
        answer = call(key_client(other_api_key), method, api_path(route, our_objects), body)
        assert answer.status_code < 500, answer.content
        assert not leaked(answer, sent=body)
    assert our_rows(org) == before
    assert not cross_tenant_links()


@pytest.mark.parametrize(("route", "method"), api_operations(with_params=True, methods=WRITES))
def test_writes_on_its_own_objects_cannot_reach_or_link_to_ours(
    route: str,
    method: str,
    org: Organization,
    our_objects: dict[str, Any],
    their_objects: dict[str, Any],
    other_api_key: str,
) -> None:
    """Another organization changing its own rows, with our survey, respondent
    and owner in the body: ours stay as they were, and none of its rows ends up
    pointing at ours."""
    before = our_rows(org)
    for body in hostile_bodies(route, method, our_objects):
        answer = call(key_client(other_api_key), method, api_path(route, their_objects), body)
        assert answer.status_code < 500, answer.content
        assert not leaked(answer, sent=body)
    assert our_rows(org) == before
    assert not cross_tenant_links()
