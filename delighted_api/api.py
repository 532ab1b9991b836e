"""`/delighted/v1/`: Delighted's v1 API over our data, for clients that change
only the base URL and the key. The contract is Delighted's (docs/DELIGHTED.md);
our own API lives under /api/v1 and its OpenAPI schema leaves these out."""

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.http import Http404
from django.utils import timezone
from django.utils.http import urlencode
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from dashboards import metrics as dashboard_metrics
from dashboards.filters import Filters
from outreach.services import MAX_DELAY_SECONDS
from responses.models import Respondent
from surveys.models import Survey
from surveys.presets import LANGUAGE_NAMES
from tenants.context import current_organization

from . import representations, selectors, services
from .base import DelightedView, Invalid, body_of, from_unix, phone_number_normalized

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
METRICS_DEFAULT_DAYS = 30
PHONE = re.compile(r"^\+?[1-9][0-9]{5,14}$")
OK = {"ok": True}
MAX_UNIX = 2**37  # far beyond any answer, well inside datetime's range


def _valid(serializer: serializers.Serializer[Any]) -> dict[str, Any]:
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class UnixTime(serializers.IntegerField):
    """Unix seconds in, an aware datetime out."""

    def to_internal_value(self, data: Any) -> datetime:  # type: ignore[override]
        seconds = super().to_internal_value(data)
        if not 0 <= seconds <= MAX_UNIX:
            raise serializers.ValidationError("Give a time in Unix seconds.")
        return from_unix(seconds)


class PageParams(serializers.Serializer[Any]):
    page = serializers.IntegerField(min_value=1, required=False, default=1)
    per_page = serializers.IntegerField(
        min_value=1, max_value=MAX_PER_PAGE, required=False, default=DEFAULT_PER_PAGE
    )
    since = UnixTime(required=False)
    until = UnixTime(required=False)


def _survey(request: Request, data: dict[str, Any] | None = None) -> Survey | None:
    """The survey a request names with `survey` (ours) or `trend` (Delighted's
    segments, which here are surveys): None when it names none."""
    params = {**request.query_params.dict(), **(data or {})}
    reference = params.get("survey") or params.get("trend")
    if not reference:
        return None
    return selectors.survey_named(reference=str(reference))


def _pages(request: Request, items: list[Any], page: int, per_page: int) -> Response:
    """One page, with Delighted's `Link: <…>; rel="next"` when more follow."""
    response = Response(items[:per_page])
    if len(items) > per_page:
        response["Link"] = _next_link(request, page=str(page + 1))
    return response


def _next_link(request: Request, **changes: str) -> str:
    params = {**request.query_params.dict(), **changes}
    url = request.build_absolute_uri(request.path) + "?" + urlencode(params)
    return f'<{url}>; rel="next"'


# --- People ------------------------------------------------------------------------


class PersonInput(serializers.Serializer[Any]):
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone_number = serializers.CharField(required=False, allow_blank=True, default="")
    name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, allow_null=True, default=""
    )
    delay = serializers.IntegerField(
        min_value=0, max_value=MAX_DELAY_SECONDS, required=False, default=0
    )
    send = serializers.BooleanField(required=False, default=True)
    properties = serializers.DictField(required=False, default=dict)
    channel = serializers.ChoiceField(choices=["email", "sms"], required=False, default="email")

    def validate_phone_number(self, value: str) -> str:
        number = phone_number_normalized(value)
        if number and not PHONE.match(number):
            raise serializers.ValidationError("Write the number in E.164, e.g. +15551234567.")
        return number

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs["email"] and not attrs["phone_number"]:
            raise Invalid("email", "Give an email or a phone_number.")
        if attrs["send"] and (attrs["channel"] == "sms" or not attrs["email"]):
            raise Invalid(
                "channel",
                "Surveys are sent by email only; send=false stores a person without email.",
            )
        return attrs


class PersonPages(serializers.Serializer[Any]):
    per_page = serializers.IntegerField(
        min_value=1, max_value=MAX_PER_PAGE, required=False, default=DEFAULT_PER_PAGE
    )
    since = UnixTime(required=False)
    until = UnixTime(required=False)
    page_info = serializers.IntegerField(min_value=0, required=False, default=0)


def _language(properties: dict[str, Any]) -> str:
    # Delighted's `locale` property ("fr", "pt-BR") chooses the email's language.
    locale = str(properties.get("locale", "")).lower().replace("_", "-").split("-")[0]
    return locale if locale in LANGUAGE_NAMES else ""


class People(DelightedView):
    def get(self, request: Request) -> Response:
        params = _valid(PersonPages(data=request.query_params.dict()))
        people = selectors.people_page(
            since=params.get("since"),
            until=params.get("until"),
            after=params["page_info"],
            per_page=params["per_page"],
        )
        response = Response([representations.person(p) for p in people[: params["per_page"]]])
        if len(people) > params["per_page"]:
            # An opaque cursor in Delighted; here the last id seen.
            response["Link"] = _next_link(request, page_info=str(people[params["per_page"] - 1].pk))
        return response

    def post(self, request: Request) -> Response:
        body = body_of(request)
        data = _valid(PersonInput(data=body))
        send = data["send"]
        survey = (_survey(request, body) or selectors.survey_default()) if send else None
        properties = data["properties"]
        respondent, scheduled = services.person_upsert(
            organization=current_organization(),
            person=services.PersonInput(
                email=data["email"],
                phone_number=data["phone_number"],
                name=data["name"] or "",
                language=_language(properties),
                properties=properties,
            ),
            survey=survey,
            delay=data["delay"],
        )
        return Response(representations.person_created(respondent, scheduled))


class Person(DelightedView):
    def delete(self, request: Request, reference: str) -> Response:
        if not services.people_erase(people=selectors.people_matching(reference=reference)):
            raise Http404
        return Response(OK, status=status.HTTP_202_ACCEPTED)


class PendingSurveyRequests(DelightedView):
    def delete(self, request: Request, email: str) -> Response:
        if not Respondent.objects.filter(email__iexact=email).exists():
            raise Http404
        services.pending_requests_cancel(email=email)
        return Response(OK)


# --- Survey responses ----------------------------------------------------------------


class PersonReference(serializers.Field):  # type: ignore[type-arg]
    """A person id, or the person object itself (a retrieved response sent back)."""

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, dict):
            data = data.get("id")
        if isinstance(data, int) and not isinstance(data, bool):
            data = str(data)
        if not isinstance(data, str) or not data.strip():
            raise serializers.ValidationError("Give the person's id (or their email).")
        return data.strip()


def _respondent(reference: str) -> Respondent:
    if reference.isdecimal() and len(reference) < 19:
        found = Respondent.objects.filter(pk=int(reference)).first()
    else:
        found = Respondent.objects.filter(email__iexact=reference).order_by("pk").first()
    if found is None:
        raise Invalid("person", "No person of your organization has this id or email.")
    return found


class ResponseInput(serializers.Serializer[Any]):
    person = PersonReference(required=False)
    person_email = serializers.EmailField(required=False)
    score = serializers.IntegerField(min_value=0, max_value=10)
    comment = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=10_000
    )
    person_properties = serializers.DictField(required=False, allow_null=True)
    created_at = UnixTime(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        person = attrs.get("person")
        if not person and not attrs.get("person_email"):
            raise Invalid("person", "Give the person's id, or person_email.")
        if person and not person.isdecimal():
            try:
                validate_email(person)
            except DjangoValidationError as error:
                raise Invalid("person", "Give the person's id or email.") from error
        created_at = attrs.get("created_at")
        if created_at is not None and created_at > timezone.now() + timedelta(minutes=5):
            raise Invalid("created_at", "An answer cannot be given in the future.")
        return attrs


class ResponsePages(PageParams):
    updated_since = UnixTime(required=False)
    updated_until = UnixTime(required=False)
    order = serializers.ChoiceField(
        choices=list(selectors.ORDERINGS), required=False, default="asc"
    )
    person_id = serializers.IntegerField(min_value=1, required=False)
    person_email = serializers.EmailField(required=False, default="")


def _expand_people(request: Request) -> bool:
    wanted = request.query_params.getlist("expand[]") + request.query_params.getlist("expand")
    return "person" in wanted


def _people_of(responses: list[Any]) -> dict[int, Respondent]:
    ids = {r.respondent_id for r in responses if r.respondent_id is not None}
    return selectors.people_by_id(ids=ids)


class SurveyResponses(DelightedView):
    def get(self, request: Request) -> Response:
        params = _valid(ResponsePages(data=request.query_params.dict()))
        page, per_page = params["page"], params["per_page"]
        start = (page - 1) * per_page
        matching = selectors.responses_matching(
            survey=_survey(request),
            since=params.get("since"),
            until=params.get("until"),
            updated_since=params.get("updated_since"),
            updated_until=params.get("updated_until"),
            person_id=params.get("person_id"),
            person_email=params["person_email"],
            order=params["order"],
        )
        rows = list(matching[start : start + per_page + 1])
        people = _people_of(rows) if _expand_people(request) else None
        items = [representations.survey_response(row, people) for row in rows]
        return _pages(request, items, page, per_page)

    def post(self, request: Request) -> Response:
        body = body_of(request)
        data = _valid(ResponseInput(data=body))
        survey = _survey(request, body) or selectors.survey_default()
        reference = data.get("person") or data["person_email"]
        # A new address becomes a person, as in Delighted; an unknown id is an error.
        known = reference.isdecimal() or Respondent.objects.filter(email__iexact=reference).exists()
        response = services.survey_response_create(
            survey=survey,
            respondent=_respondent(reference) if known else None,
            email=reference,
            score=data["score"],
            comment=data.get("comment"),
            person_properties=data.get("person_properties"),
            created_at=data.get("created_at"),
        )
        found = selectors.response_by_id(response_id=str(response.pk))
        return Response(representations.survey_response(found), status=status.HTTP_201_CREATED)


class NoteInput(serializers.Field):  # type: ignore[type-arg]
    """A note sent back: those with an id already exist; new ones are text or {"text"}."""

    def to_internal_value(self, data: Any) -> str | None:
        if isinstance(data, str):
            return data
        if isinstance(data, dict) and data.get("id") not in (None, ""):
            return None
        if isinstance(data, dict) and isinstance(data.get("text"), str):
            return str(data["text"])
        raise serializers.ValidationError('A new note is a string or {"text": "…"}.')


class ResponseUpdate(serializers.Serializer[Any]):
    """A whole retrieved object may come back: fields we do not change are ignored."""

    person = PersonReference(required=False)
    score = serializers.IntegerField(min_value=0, max_value=10, required=False)
    comment = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=10_000
    )
    person_properties = serializers.DictField(required=False, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    notes = serializers.ListField(child=NoteInput(), required=False, allow_null=True)


class SurveyResponse(DelightedView):
    def get(self, request: Request, response_id: str) -> Response:
        found = selectors.response_by_id(response_id=response_id)
        people = _people_of([found]) if _expand_people(request) else None
        return Response(representations.survey_response(found, people))

    def put(self, request: Request, response_id: str) -> Response:
        found = selectors.response_by_id(response_id=response_id)
        data = _valid(ResponseUpdate(data=body_of(request)))
        person = data.get("person")
        changes = services.ResponseChanges(
            score=data.get("score"),
            comment=None if "comment" not in data else data["comment"] or "",
            respondent=_respondent(person) if person else None,
            person_properties=data.get("person_properties"),
            tags=data.get("tags"),
            new_notes=[note for note in data.get("notes") or [] if note is not None],
        )
        services.survey_response_update(response=found, changes=changes)
        updated = selectors.response_by_id(response_id=response_id)
        people = _people_of([updated]) if _expand_people(request) else None
        return Response(representations.survey_response(updated, people))


# --- Metrics, unsubscribes, bounces -------------------------------------------------------


class MetricsParams(serializers.Serializer[Any]):
    since = UnixTime(required=False)
    until = UnixTime(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "since" in attrs and "until" in attrs and attrs["until"] < attrs["since"]:
            raise Invalid("until", "The period ends before it starts.")
        return attrs


class Metrics(DelightedView):
    def get(self, request: Request) -> Response:
        params = _valid(MetricsParams(data=request.query_params.dict()))
        zone = ZoneInfo(current_organization().time_zone)
        # `until` is inclusive and to the second, as in Delighted.
        end = params["until"] + timedelta(seconds=1) if "until" in params else timezone.now()
        start = params.get("since", end - timedelta(days=METRICS_DEFAULT_DAYS))
        filters = Filters(
            start=start.astimezone(zone),
            end=end.astimezone(zone),
            range="custom",
            survey=_survey(request),
        )
        summary = dashboard_metrics.summary(filters=filters)
        return Response(representations.metrics(summary))


class UnsubscribeInput(serializers.Serializer[Any]):
    person_email = serializers.EmailField()


class Suppressions(DelightedView):
    reason = ""
    at = ""

    def get(self, request: Request) -> Response:
        params = _valid(PageParams(data=request.query_params.dict()))
        page, per_page = params["page"], params["per_page"]
        start = (page - 1) * per_page
        rows = selectors.suppressions(
            reason=self.reason, since=params.get("since"), until=params.get("until")
        )[start : start + per_page + 1]
        items = [representations.suppression(row, at=self.at) for row in rows]
        return _pages(request, items, page, per_page)


class Unsubscribes(Suppressions):
    reason = "unsubscribed"
    at = "unsubscribed_at"

    def post(self, request: Request) -> Response:
        data = _valid(UnsubscribeInput(data=body_of(request)))
        services.unsubscribe(organization=current_organization(), email=data["person_email"])
        return Response(OK)


class Bounces(Suppressions):
    reason = "bounced"
    at = "bounced_at"


class NotFound(DelightedView):
    """Any other path under the prefix: a 404 in Delighted's shape, after auth."""

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise Http404

    post = put = patch = delete = get
