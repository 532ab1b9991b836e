"""`/api/v1/respondents` and `/api/v1/responses`: people and their answers, from code.

This module sits above the apps it serves: it reads the back office's filters
(dashboards.filters) and writes follow-ups (followups.services), so a filter
or a tag means the same thing in the API as on the pages.
"""

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response as ApiResponse

from dashboards.filters import FilterError, Filters, parse_filters
from followups import selectors as followup_selectors
from followups import services as followup_services
from surveys.models import Survey
from tenants.api import TenantViewSetMixin
from tenants.context import current_organization
from tenants.models import Membership
from themes.selectors import theme_filter

from . import selectors, services
from .models import FollowUpStatus, Note, Respondent, Response
from .pagination import KeysetPagination, NewestIdFirst
from .payloads import MAX_COMMENT
from .scoring import category

# Clocks differ: an answer stamped a little ahead by the sender's clock is still "now".
CLOCK_SKEW = timedelta(minutes=5)
MAX_PROPERTIES = 50


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "This conflicts with an existing resource."


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    described = {
        401: "No API key, or an unknown or revoked one.",
        403: "The API key is read-only.",
        404: "No such object in your organization.",
        409: "Conflicts with an existing object.",
        422: "The request is not valid; `details` says which field and why.",
        429: "Too many requests for this key; retry after `Retry-After` seconds.",
    }
    return {code: OpenApiResponse(description=described[code]) for code in codes}


READ_ERRORS = (401, 404, 429)
WRITE_ERRORS = (401, 403, 404, 422, 429)


# --- Time and value parsing ------------------------------------------------------------


def parse_instant(raw: Any, *, zone: ZoneInfo) -> datetime:
    """ISO 8601 (a date alone is local midnight; no offset means local time) or
    Unix seconds, as a number or a string of digits."""
    if isinstance(raw, bool):
        raise ValueError
    if isinstance(raw, int | float):
        return datetime.fromtimestamp(raw, tz=UTC)
    if not isinstance(raw, str):
        raise ValueError
    text = raw.strip()
    if text.replace(".", "", 1).isdecimal():
        return datetime.fromtimestamp(float(text), tz=UTC)
    moment = parse_datetime(text)
    if moment is None:
        day = parse_date(text)
        if day is None:
            raise ValueError
        moment = datetime.combine(day, time.min)
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=zone)
    return moment


def _zone() -> ZoneInfo:
    return ZoneInfo(current_organization().time_zone)


@extend_schema_field(
    {
        "oneOf": [{"type": "string", "format": "date-time"}, {"type": "number"}],
        "description": "ISO 8601, or Unix seconds.",
    }
)
class InstantField(serializers.Field):  # type: ignore[type-arg]
    default_error_messages: ClassVar[dict[str, Any]] = {  # type: ignore[misc]
        "invalid": "Give an ISO 8601 date-time or Unix seconds.",
        "future": "This is in the future.",
    }

    def to_internal_value(self, data: Any) -> datetime:
        try:
            moment = parse_instant(data, zone=_zone())
        except (ValueError, OverflowError, OSError):
            self.fail("invalid")
        if moment > timezone.now() + CLOCK_SKEW:
            self.fail("future")
        return moment

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": 10})
class ScoreField(serializers.Field):  # type: ignore[type-arg]
    """0 to 10 as a JSON integer: "7" or 7.0 are refused, not guessed at."""

    default_error_messages: ClassVar[dict[str, Any]] = {  # type: ignore[misc]
        "invalid": "Give the score as an integer from 0 to 10.",
    }

    def to_internal_value(self, data: Any) -> int:
        if type(data) is not int or not 0 <= data <= 10:
            self.fail("invalid")
        return int(data)

    def to_representation(self, value: int) -> int:
        return value


class StrictSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Refuses fields it does not know, so a misspelt or read-only field is not
    silently ignored."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["This field cannot be written."] for name in unknown}
                )
        return super().to_internal_value(data)  # type: ignore[no-any-return]


def _traits_field() -> serializers.DictField:
    return serializers.DictField(
        required=False,
        help_text="Merged into the stored traits; a key set to null is removed.",
    )


# --- Serializers: what is shown ---------------------------------------------------------


class SurveyRefSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField(read_only=True)
    public_key = serializers.CharField(read_only=True)


class UserRefSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)


class RespondentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Respondent
        fields = ["id", "external_id", "email", "name", "profile_url", "traits", "first_seen_at"]
        read_only_fields = fields


class NoteSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    author = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Note
        fields = ["id", "body", "author", "created_at"]
        read_only_fields = fields


class ResponseSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    survey = SurveyRefSerializer(read_only=True)
    respondent = RespondentSerializer(read_only=True, allow_null=True)
    assignee = UserRefSerializer(read_only=True, allow_null=True)
    category = serializers.SerializerMethodField()
    variant = serializers.SerializerMethodField()

    class Meta:
        model = Response
        fields = [
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
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ChoiceField(choices=["promoter", "passive", "detractor"])  # type: ignore[arg-type]
    )
    def get_category(self, response: Response) -> str:
        return category(response.score)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_variant(self, response: Response) -> str | None:
        """The A/B wording the respondent saw, by the name the back office shows."""
        return response.variant.name if response.variant is not None else None


class ResponseDetailSerializer(ResponseSerializer):
    notes = NoteSerializer(many=True, read_only=True)

    class Meta(ResponseSerializer.Meta):
        fields = [*ResponseSerializer.Meta.fields, "notes"]
        read_only_fields = fields


# --- Serializers: what is written -------------------------------------------------------


class RespondentPatchSerializer(StrictSerializer):
    external_id = serializers.CharField(max_length=255, required=False, min_length=1)
    email = serializers.EmailField(required=False, allow_blank=True)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    profile_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    traits = _traits_field()

    def profile(self) -> services.Profile:
        return profile_of(self.validated_data)


def profile_of(data: dict[str, Any]) -> services.Profile:
    return services.Profile(
        external_id=data.get("external_id"),
        email=data.get("email"),
        name=data.get("name"),
        profile_url=data.get("profile_url"),
        traits=data.get("traits", {}),
    )


class RespondentUpsertSerializer(RespondentPatchSerializer):
    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("external_id") and not attrs.get("email"):
            raise serializers.ValidationError(
                {"external_id": ["Give an external_id or an email to name the respondent."]}
            )
        return attrs


class ResponseCreateSerializer(StrictSerializer):
    survey = serializers.CharField(max_length=32, help_text="The survey's public key or id.")
    score = ScoreField()
    comment = serializers.CharField(
        max_length=MAX_COMMENT, required=False, allow_blank=True, trim_whitespace=False
    )
    created_at = InstantField(
        required=False, help_text="When the answer was given (not in the future); default now."
    )
    language = serializers.CharField(max_length=8, required=False, allow_blank=True)
    properties = serializers.DictField(
        required=False, help_text="Segmentation; the respondent's traits when omitted."
    )
    respondent = RespondentUpsertSerializer(required=False, allow_null=True)
    client_id = serializers.CharField(
        max_length=64,
        required=False,
        help_text="Your id for this answer: sending it again updates the same answer.",
    )

    def validate_survey(self, value: str) -> Survey:
        # Scoped by the key's organization: another tenant's survey is simply unknown.
        surveys = Survey.objects.select_related("organization")
        found = surveys.filter(public_key=value).first()
        if found is None and value.isdecimal() and len(value) < 19:
            found = surveys.filter(pk=int(value)).first()
        if found is None:
            raise serializers.ValidationError("No survey of your organization has this key or id.")
        return found

    def validate_properties(self, value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > MAX_PROPERTIES:
            raise serializers.ValidationError(f"At most {MAX_PROPERTIES} properties.")
        return value


class ResponseUpdateSerializer(StrictSerializer):
    comment = serializers.CharField(
        max_length=MAX_COMMENT, required=False, allow_blank=True, trim_whitespace=False
    )
    tags = serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        required=False,
        help_text="Replaces the tags; trimmed, lower-cased and de-duplicated.",
    )
    follow_up_status = serializers.ChoiceField(choices=FollowUpStatus.choices, required=False)
    assignee = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=254,
        help_text="A member's user id or email; null to unassign.",
    )

    def validate_assignee(self, value: str | None) -> int | None:
        if value is None:
            return None
        members = Membership.objects.filter(organization=current_organization())
        if value.isdecimal() and len(value) < 19:
            member = members.filter(user_id=int(value)).first()
        else:
            member = members.filter(user__email__iexact=value).first()
        if member is None:
            raise serializers.ValidationError("That person is not a member of this organization.")
        return member.user_id

    def change(self) -> followup_services.FollowUpChange:
        data = self.validated_data
        return followup_services.FollowUpChange(
            comment=data.get("comment"),
            tags=data.get("tags"),
            status=data.get("follow_up_status"),
            assign="assignee" in data,
            assignee_id=data.get("assignee"),
        )


class NoteCreateSerializer(StrictSerializer):
    body = serializers.CharField(max_length=followup_services.MAX_NOTE_LENGTH)


# --- Respondents ---------------------------------------------------------------------

RESPONDENT_EXAMPLE = {
    "id": 42,
    "external_id": "user-1234",
    "email": "ada@example.com",
    "name": "Ada Lovelace",
    "profile_url": "https://crm.example.com/people/1234",
    "traits": {"plan": "pro", "seats": 12},
    "first_seen_at": "2026-03-01T09:30:00+00:00",
}
RESPONSE_EXAMPLE = {
    "id": 981,
    "survey": {"id": 3, "public_key": "pk_7f3a9c2e41b84d5d"},
    "variant": "Short question",
    "respondent": RESPONDENT_EXAMPLE,
    "score": 4,
    "category": "detractor",
    "comment": "Exports are too slow.",
    "channel": "api",
    "language": "en",
    "properties": {"plan": "pro"},
    "tags": ["performance"],
    "follow_up_status": "contacted",
    "assignee": {"id": 7, "email": "cx@example.com"},
    "created_at": "2026-03-02T14:05:00+00:00",
    "updated_at": "2026-03-03T08:00:00+00:00",
}


class RespondentList(TenantViewSetMixin, generics.GenericAPIView):  # type: ignore[type-arg]
    serializer_class = RespondentSerializer
    pagination_class = NewestIdFirst

    def safely_get_queryset(self) -> QuerySet[Respondent]:
        params = self.request.query_params
        return selectors.respondents_matching(
            email=params.get("email", "").strip(), external_id=params.get("external_id", "")
        )

    @extend_schema(
        summary="List respondents",
        description="Newest first, a page at a time (follow `next`). Filter by exact "
        "`external_id` or by `email` (case-insensitive).",
        parameters=[
            OpenApiParameter("email", str, required=False),
            OpenApiParameter("external_id", str, required=False),
        ],
        responses={200: RespondentSerializer(many=True), **_errors(401, 422, 429)},
        examples=[OpenApiExample("A page", value=RESPONDENT_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request) -> ApiResponse:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(RespondentSerializer(page, many=True).data)

    @extend_schema(
        summary="Create or update a respondent",
        description="Finds the person by `external_id`, else by `email` (a person known "
        "only by that email takes the external id), and updates the fields given; traits "
        "are merged. 201 when the person is new, 200 when updated.",
        request=RespondentUpsertSerializer,
        responses={
            201: RespondentSerializer,
            200: RespondentSerializer,
            **_errors(401, 403, 409, 422, 429),
        },
        examples=[
            OpenApiExample(
                "A person from the CRM",
                value={
                    "external_id": "user-1234",
                    "email": "ada@example.com",
                    "name": "Ada Lovelace",
                    "traits": {"plan": "pro"},
                },
                request_only=True,
            ),
            OpenApiExample("The person", value=RESPONDENT_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request: Request) -> ApiResponse:
        incoming = RespondentUpsertSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        respondent, created = services.respondent_upsert(
            organization=current_organization(), profile=incoming.profile()
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return ApiResponse(RespondentSerializer(respondent).data, status=code)


class RespondentDetail(TenantViewSetMixin, generics.GenericAPIView):  # type: ignore[type-arg]
    serializer_class = RespondentSerializer

    def safely_get_queryset(self) -> QuerySet[Respondent]:
        return Respondent.objects.all()

    @extend_schema(
        summary="Get a respondent",
        responses={200: RespondentSerializer, **_errors(*READ_ERRORS)},
        examples=[OpenApiExample("The person", value=RESPONDENT_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, pk: int) -> ApiResponse:
        return ApiResponse(RespondentSerializer(self.get_object()).data)

    @extend_schema(
        summary="Update a respondent",
        description="Changes the fields given; traits are merged (null removes a key). An "
        "external_id already used by another respondent answers 409.",
        request=RespondentPatchSerializer,
        responses={200: RespondentSerializer, **_errors(401, 403, 404, 409, 422, 429)},
        examples=[
            OpenApiExample("Upgraded", value={"traits": {"plan": "enterprise"}}, request_only=True),
            OpenApiExample("The person", value=RESPONDENT_EXAMPLE, response_only=True),
        ],
    )
    def patch(self, request: Request, pk: int) -> ApiResponse:
        respondent = self.get_object()
        incoming = RespondentPatchSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            services.respondent_update(respondent=respondent, profile=incoming.profile())
        except services.RespondentConflict:
            raise Conflict("Another respondent has this external_id.") from None
        return ApiResponse(RespondentSerializer(respondent).data)

    @extend_schema(
        summary="Erase a respondent (GDPR)",
        description="Deletes the person and everything recorded about them — answers with "
        "their notes, prompt history, survey requests — in one transaction; scores "
        "no longer count those answers. An unsubscribe of their email is kept, so they "
        "are never emailed again.",
        responses={204: None, **_errors(401, 403, 404, 429)},
    )
    def delete(self, request: Request, pk: int) -> ApiResponse:
        services.respondent_erase(respondent=self.get_object())
        return ApiResponse(status=status.HTTP_204_NO_CONTENT)


class RespondentResponses(TenantViewSetMixin, generics.GenericAPIView):  # type: ignore[type-arg]
    serializer_class = ResponseSerializer
    pagination_class = KeysetPagination

    def safely_get_queryset(self) -> QuerySet[Respondent]:
        return Respondent.objects.all()

    @extend_schema(
        summary="List one respondent's responses",
        description="Newest first, with the same cursor pages as the responses list.",
        responses={200: ResponseSerializer(many=True), **_errors(401, 404, 422, 429)},
        examples=[OpenApiExample("A page", value=RESPONSE_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, pk: int) -> ApiResponse:
        respondent = self.get_object()
        rows = selectors.responses_listed().filter(respondent=respondent)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ResponseSerializer(page, many=True).data)


# --- Responses -----------------------------------------------------------------------

FILTER_PARAMETERS = [
    OpenApiParameter(
        "range",
        str,
        enum=["30", "90", "365", "custom"],
        required=False,
        description="A period of local days as in the back office (custom needs from/to). "
        "Without range, from, to: every period.",
    ),
    OpenApiParameter("from", OpenApiTypes.DATE, required=False),
    OpenApiParameter("to", OpenApiTypes.DATE, required=False, description="Included."),
    OpenApiParameter("survey", str, required=False, description="A survey id or public key."),
    OpenApiParameter("channel", str, required=False),
    OpenApiParameter("category", str, enum=["promoter", "passive", "detractor"], required=False),
    OpenApiParameter("score", int, required=False, description="0 to 10."),
    OpenApiParameter("language", str, required=False),
    OpenApiParameter("trait", str, many=True, required=False, description="key:value, repeatable."),
    OpenApiParameter("q", str, required=False, description="Words in the comment."),
    OpenApiParameter(
        "since", str, required=False, description="created_at ≥ this (ISO 8601 or Unix s)."
    ),
    OpenApiParameter(
        "until", str, required=False, description="created_at < this (ISO 8601 or Unix s)."
    ),
    OpenApiParameter(
        "updated_since",
        str,
        required=False,
        description="updated_at ≥ this: what changed since your last sync.",
    ),
    OpenApiParameter("respondent", int, required=False),
    OpenApiParameter(
        "theme",
        str,
        required=False,
        description="A theme's key (as GET /api/v1/themes answers it) in the survey and "
        "period given (90 days without range, from, to): that theme's responses only. "
        "A key the period's computed themes do not have answers 422.",
    ),
]
DATED = ("range", "from", "to")


def _filter_params(params: QueryDict) -> QueryDict:
    """The back office names surveys by id; the API also takes the public key."""
    survey = params.get("survey", "")
    if not survey or survey.isdecimal():
        return params
    found = Survey.objects.filter(public_key=survey).values_list("pk", flat=True).first()
    copied = params.copy()
    copied["survey"] = str(found) if found is not None else survey
    return copied


def _instant_param(params: QueryDict, name: str, errors: dict[str, list[str]]) -> datetime | None:
    raw = params.get(name, "")
    if not raw:
        return None
    try:
        return parse_instant(raw, zone=_zone())
    except (ValueError, OverflowError, OSError):
        errors[name] = ["Give an ISO 8601 date-time or Unix seconds."]
        return None


def _respondent_param(params: QueryDict, errors: dict[str, list[str]]) -> int | None:
    raw = params.get("respondent", "")
    if not raw:
        return None
    if not raw.isdecimal() or len(raw) > 18:
        errors["respondent"] = ["Give a respondent id."]
        return None
    return int(raw)


def responses_query(params: QueryDict) -> QuerySet[Response]:
    """The list's rows for these query parameters; 422 naming every bad one."""
    errors: dict[str, list[str]] = {}
    window = followup_selectors.ApiWindow(
        since=_instant_param(params, "since", errors),
        until=_instant_param(params, "until", errors),
        updated_since=_instant_param(params, "updated_since", errors),
        respondent_id=_respondent_param(params, errors),
        dated=any(params.get(name) for name in DATED),
    )
    of_theme = None
    try:
        filters = parse_filters(_filter_params(params), tz=current_organization().time_zone)
    except FilterError as error:
        errors.update(error.errors)
    else:
        of_theme = _theme_param(params, filters, errors)
    if errors:
        raise exceptions.ValidationError(errors)
    rows = followup_selectors.responses_for_api(filters=filters, window=window)
    return rows if of_theme is None else rows.filter(pk__in=of_theme)


def _theme_param(
    params: QueryDict, filters: Filters, errors: dict[str, list[str]]
) -> QuerySet[Response] | None:
    """`theme=<key>`, as the back office's responses list reads it: a theme of the
    filters' survey and period (their default 90 days when no period is given)."""
    key = params.get("theme", "")
    if not key:
        return None
    found = theme_filter(filters=filters, key=key)
    if found is None:
        errors["theme"] = ["No such theme was found in this survey and period."]
        return None
    return found[1]


class ResponseList(TenantViewSetMixin, generics.GenericAPIView):  # type: ignore[type-arg]
    serializer_class = ResponseSerializer
    pagination_class = KeysetPagination

    def safely_get_queryset(self) -> QuerySet[Response]:
        return responses_query(self.request.query_params)

    @extend_schema(
        summary="List responses",
        description="Newest first (created_at, then id), a page at a time: follow `next` "
        "until it is null. Pages are keyset cursors, so answers arriving meanwhile never "
        "repeat or skip a row. Takes the back office's filters under the same names, "
        "plus since/until and updated_since.",
        parameters=FILTER_PARAMETERS,
        responses={200: ResponseSerializer(many=True), **_errors(401, 422, 429)},
        examples=[OpenApiExample("A page", value=RESPONSE_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request) -> ApiResponse:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ResponseSerializer(page, many=True).data)

    @extend_schema(
        summary="Record a response",
        description="Server-side capture and imports: the answer is stored with channel "
        "`api`, its respondent created or updated. Sending the same `client_id` again "
        "answers 200 with the same response (score and comment updated if they changed) "
        "instead of counting twice; a `client_id` of another survey or respondent answers "
        "409.",
        request=ResponseCreateSerializer,
        responses={
            201: ResponseDetailSerializer,
            200: ResponseDetailSerializer,
            **_errors(401, 403, 409, 422, 429),
        },
        examples=[
            OpenApiExample(
                "An answer from a support ticket",
                value={
                    "survey": "pk_7f3a9c2e41b84d5d",
                    "score": 4,
                    "comment": "Exports are too slow.",
                    "created_at": "2026-03-02T14:05:00Z",
                    "respondent": {"external_id": "user-1234", "email": "ada@example.com"},
                    "properties": {"plan": "pro"},
                    "client_id": "ticket-5521",
                },
                request_only=True,
            ),
            OpenApiExample("The response", value=RESPONSE_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request: Request) -> ApiResponse:
        incoming = ResponseCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        who = data.get("respondent")
        try:
            response, created = services.answer_capture(
                survey=data["survey"],
                profile=profile_of(who) if who is not None else None,
                client_id=data.get("client_id") or f"api-{uuid.uuid4().hex}",
                score=data["score"],
                comment=data.get("comment"),
                language=data.get("language", "").strip().lower(),
                properties=data.get("properties"),
                created_at=data.get("created_at"),
            )
        except services.AnswerConflict:
            raise Conflict(
                "This client_id is already an answer of another survey or respondent."
            ) from None
        shown = selectors.response_with_notes(response_id=response.pk)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return ApiResponse(ResponseDetailSerializer(shown).data, status=code)


class ResponseDetail(TenantViewSetMixin, generics.GenericAPIView):  # type: ignore[type-arg]
    serializer_class = ResponseDetailSerializer

    def safely_get_queryset(self) -> QuerySet[Response]:
        return selectors.responses_listed()

    def _shown(self, pk: int) -> ApiResponse:
        return ApiResponse(
            ResponseDetailSerializer(selectors.response_with_notes(response_id=pk)).data
        )

    @extend_schema(
        summary="Get a response",
        description="With its internal notes.",
        responses={200: ResponseDetailSerializer, **_errors(*READ_ERRORS)},
        examples=[OpenApiExample("The response", value=RESPONSE_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, pk: int) -> ApiResponse:
        return self._shown(self.get_object().pk)

    @extend_schema(
        summary="Update a response's follow-up",
        description="Changes the fields given, all or nothing: comment, tags (replaced), "
        "follow_up_status, assignee (a member's id or email, null for nobody).",
        request=ResponseUpdateSerializer,
        responses={200: ResponseDetailSerializer, **_errors(*WRITE_ERRORS)},
        examples=[
            OpenApiExample(
                "Taken in hand",
                value={
                    "follow_up_status": "contacted",
                    "assignee": "cx@example.com",
                    "tags": ["performance", "exports"],
                },
                request_only=True,
            ),
            OpenApiExample("The response", value=RESPONSE_EXAMPLE, response_only=True),
        ],
    )
    def patch(self, request: Request, pk: int) -> ApiResponse:
        response = self.get_object()
        incoming = ResponseUpdateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        followup_services.follow_up_update(response=response, change=incoming.change())
        return self._shown(response.pk)

    @extend_schema(
        summary="Delete a response",
        description="With its notes; scores no longer count it.",
        responses={204: None, **_errors(401, 403, 404, 429)},
    )
    def delete(self, request: Request, pk: int) -> ApiResponse:
        services.response_delete(response=self.get_object())
        return ApiResponse(status=status.HTTP_204_NO_CONTENT)


class NoteList(TenantViewSetMixin, generics.GenericAPIView):  # type: ignore[type-arg]
    serializer_class = NoteSerializer

    def safely_get_queryset(self) -> QuerySet[Response]:
        return Response.objects.all()

    @extend_schema(
        summary="List a response's notes",
        description="Internal notes, oldest first; never shown to the respondent.",
        responses={200: NoteSerializer(many=True), **_errors(*READ_ERRORS)},
        examples=[
            OpenApiExample(
                "Notes",
                value=[
                    {
                        "id": 5,
                        "body": "Called back, a fix ships Friday.",
                        "author": None,
                        "created_at": "2026-03-03T08:00:00+00:00",
                    }
                ],
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, pk: int) -> ApiResponse:
        response = self.get_object()
        notes = Note.objects.filter(response=response).select_related("author")
        return ApiResponse(NoteSerializer(notes, many=True).data)

    @extend_schema(
        summary="Add a note to a response",
        description="Notes written with an API key have no author (`author` is null).",
        request=NoteCreateSerializer,
        responses={201: NoteSerializer, **_errors(*WRITE_ERRORS)},
        examples=[
            OpenApiExample(
                "From the support desk",
                value={"body": "Ticket #5521 reopened."},
                request_only=True,
            ),
            OpenApiExample(
                "The note",
                value={
                    "id": 6,
                    "body": "Ticket #5521 reopened.",
                    "author": None,
                    "created_at": "2026-03-03T08:00:00+00:00",
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request, pk: int) -> ApiResponse:
        response = self.get_object()
        incoming = NoteCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        note = followup_services.note_add(
            response=response, author=None, body=incoming.validated_data["body"]
        )
        return ApiResponse(NoteSerializer(note).data, status=status.HTTP_201_CREATED)


class NoteDetail(TenantViewSetMixin, generics.GenericAPIView):  # type: ignore[type-arg]
    serializer_class = NoteSerializer

    def safely_get_queryset(self) -> QuerySet[Note]:
        return Note.objects.all()

    @extend_schema(
        summary="Delete a note",
        description="An API key acts for the organization: it may delete any note.",
        responses={204: None, **_errors(401, 403, 404, 429)},
    )
    def delete(self, request: Request, pk: int, note_id: int) -> ApiResponse:
        note = generics.get_object_or_404(Note.objects.all(), pk=note_id, response_id=pk)
        followup_services.note_remove(note=note)
        return ApiResponse(status=status.HTTP_204_NO_CONTENT)
