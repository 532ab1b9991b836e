"""`/api/v1/survey_requests`: schedule survey emails, follow and cancel them;
`/api/v1/unsubscribes` and `/api/v1/bounces`: the addresses never emailed."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from surveys.models import Survey
from surveys.presets import LANGUAGE_NAMES
from tenants.api import TenantViewSetMixin
from tenants.api_docs import EXAMPLE_SURVEY_KEY, error_responses, page_example
from tenants.context import current_organization

from . import selectors, services
from .models import Source, Status, Suppression, SurveyRequest


class SurveyRequestSerializer(serializers.ModelSerializer[SurveyRequest]):
    survey = serializers.CharField(source="survey.public_key", read_only=True)

    class Meta:
        model = SurveyRequest
        fields = [
            "id",
            "survey",
            "survey_id",
            "email",
            "name",
            "language",
            "properties",
            "source",
            "status",
            "skip_reason",
            "attempts",
            "last_error",
            "scheduled_at",
            "sent_at",
            "answered_at",
            "created_at",
        ]
        read_only_fields = fields


class SurveyRequestCreateSerializer(serializers.Serializer[Any]):
    survey = serializers.CharField(max_length=32, help_text="The survey's public key or id.")
    email = serializers.EmailField()
    name = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    properties = serializers.DictField(required=False, default=dict)
    delay = serializers.IntegerField(
        min_value=0,
        max_value=services.MAX_DELAY_SECONDS,
        required=False,
        default=0,
        help_text="Seconds to wait before sending.",
    )
    language = serializers.ChoiceField(choices=[*LANGUAGE_NAMES, ""], required=False, default="")


class RequestPages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "per_page"
    max_page_size = 200


def _survey(reference: str) -> Survey:
    # Scoped by the key's organization: another tenant's survey is simply not found.
    surveys = Survey.objects.select_related("organization")
    found = surveys.filter(public_key=reference).first()
    if found is None and reference.isdecimal() and len(reference) < 19:
        found = surveys.filter(pk=int(reference)).first()
    if found is None:
        raise exceptions.NotFound("No survey of your organization has this key or id.")
    return found


REQUEST_EXAMPLE = {
    "id": 41,
    "survey": EXAMPLE_SURVEY_KEY,
    "survey_id": 12,
    "email": "ada@example.com",
    "name": "Ada",
    "language": "en",
    "properties": {"plan": "pro"},
    "source": "api",
    "status": "pending",
    "skip_reason": "",
    "attempts": 0,
    "last_error": "",
    "scheduled_at": "2026-03-02T09:00:00Z",
    "sent_at": None,
    "answered_at": None,
    "created_at": "2026-03-01T09:00:00Z",
}


class SurveyRequestList(TenantViewSetMixin, generics.ListCreateAPIView):  # type: ignore[type-arg]
    """Survey emails of your organization: scheduled, sent, skipped or failed."""

    serializer_class = SurveyRequestSerializer
    pagination_class = RequestPages

    def safely_get_queryset(self) -> QuerySet[SurveyRequest]:
        chosen = self.request.query_params.get("status", "")
        if chosen and chosen not in Status.values:
            raise exceptions.ValidationError(
                {"status": [f"Use one of {', '.join(Status.values)}."]}
            )
        return selectors.requests_of_organization(status=chosen)

    @extend_schema(
        summary="List survey requests",
        description="Newest first, 50 a page (`per_page` up to 200); `status` keeps one state.",
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=Status.values,
                required=False,
                description="Only requests in this state.",
            )
        ],
        examples=[OpenApiExample("A pending request", value=REQUEST_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Schedule a survey email to one person",
        description="Sends the survey's email to this address after `delay` seconds. "
        "At send time, a person who unsubscribed or was asked too recently is `skipped` "
        "instead, with a `skip_reason`. An unknown survey answers 404.",
        request=SurveyRequestCreateSerializer,
        responses={201: SurveyRequestSerializer, **error_responses(404)},
        examples=[
            OpenApiExample(
                "In an hour, in French",
                value={
                    "survey": EXAMPLE_SURVEY_KEY,
                    "email": "ada@example.com",
                    "name": "Ada Lovelace",
                    "properties": {"plan": "pro"},
                    "delay": 3600,
                    "language": "fr",
                },
                request_only=True,
            ),
            OpenApiExample("Scheduled", value=REQUEST_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = SurveyRequestCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        recipient = services.Recipient(
            email=data["email"],
            name=data["name"],
            language=data["language"],
            properties=data["properties"],
        )
        created = services.request_schedule(
            survey=_survey(data["survey"]),
            recipient=recipient,
            delay=data["delay"],
            source=Source.API,
        )
        return Response(SurveyRequestSerializer(created).data, status=status.HTTP_201_CREATED)


class NotPending(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "not_pending"
    default_detail = "Only a pending request can be cancelled: this one is already {status}."

    def __init__(self, request: SurveyRequest) -> None:
        super().__init__(self.default_detail.format(status=request.status))


class SurveyRequestDetail(TenantViewSetMixin, generics.RetrieveAPIView):  # type: ignore[type-arg]
    serializer_class = SurveyRequestSerializer

    def safely_get_queryset(self) -> QuerySet[SurveyRequest]:
        return selectors.requests_of_organization()

    @extend_schema(
        summary="Read a survey request",
        description="One scheduled survey email: when it is due, whether it was sent, "
        "skipped (and why) or answered.",
        responses={200: SurveyRequestSerializer, **error_responses(401, 404, 429)},
        examples=[OpenApiExample("A pending request", value=REQUEST_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class SurveyRequestCancel(TenantViewSetMixin, generics.GenericAPIView):  # type: ignore[type-arg]
    serializer_class = SurveyRequestSerializer

    def safely_get_queryset(self) -> QuerySet[SurveyRequest]:
        return selectors.requests_of_organization()

    @extend_schema(
        summary="Cancel a survey request",
        description="Withdraws a request not sent yet: it becomes `skipped` with "
        "`skip_reason` `cancelled`. A request already sending, sent, skipped or failed "
        "answers 409 with code `not_pending` and is left as it is.",
        request=None,
        responses={
            200: SurveyRequestSerializer,
            **error_responses(401, 403, 404, 409, 429, s409="not_pending"),
        },
        examples=[
            OpenApiExample(
                "Cancelled",
                value={**REQUEST_EXAMPLE, "status": "skipped", "skip_reason": "cancelled"},
                response_only=True,
            )
        ],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        survey_request = self.get_object()
        # The conditional update decides, not the status read above: a worker
        # may claim the request in between.
        cancelled = services.requests_cancel_pending(
            requests=SurveyRequest.objects.filter(pk=survey_request.pk)
        )
        survey_request.refresh_from_db()
        if not cancelled:
            raise NotPending(survey_request)
        return Response(SurveyRequestSerializer(survey_request).data)


# Unsubscribes and bounces ------------------------------------------------------


class SuppressionSerializer(serializers.ModelSerializer[Suppression]):
    class Meta:
        model = Suppression
        fields = ["email", "reason", "created_at"]
        read_only_fields = fields


class UnsubscribeCreateSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField()


class SinceSerializer(serializers.Serializer[Any]):
    since = serializers.DateTimeField(required=False, help_text="ISO 8601, e.g. 2026-03-01T00:00Z.")


SINCE = OpenApiParameter(
    "since", OpenApiTypes.DATETIME, description="Only those recorded at or after this time."
)
UNSUBSCRIBE_EXAMPLE = {
    "email": "ada@example.com",
    "reason": "unsubscribed",
    "created_at": "2026-03-01T09:00:00Z",
}


class SuppressionList(TenantViewSetMixin, generics.ListAPIView):  # type: ignore[type-arg]
    serializer_class = SuppressionSerializer
    pagination_class = RequestPages
    reason = ""

    def safely_get_queryset(self) -> QuerySet[Suppression]:
        incoming = SinceSerializer(data=self.request.query_params)
        incoming.is_valid(raise_exception=True)
        since = incoming.validated_data.get("since")
        return selectors.suppressions_of_organization(reason=self.reason, since=since)


class UnsubscribeList(SuppressionList):
    reason = Suppression.Reason.UNSUBSCRIBED

    @extend_schema(
        summary="List unsubscribed addresses",
        description="Addresses that asked not to be emailed (through an email's unsubscribe "
        "link or this API), newest first, a page at a time (`page`, `per_page`).",
        parameters=[SINCE],
        responses={200: SuppressionSerializer(many=True), **error_responses(401, 422, 429)},
        examples=[
            OpenApiExample(
                "A page",
                value=page_example(UNSUBSCRIBE_EXAMPLE),
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Unsubscribe an address",
        description="No survey email goes to this address again (pending requests are "
        "skipped when due). Idempotent: 201 when the address is new, 200 with the existing "
        "entry when it was already suppressed (unsubscribed or bounced).",
        request=UnsubscribeCreateSerializer,
        responses={
            201: SuppressionSerializer,
            200: SuppressionSerializer,
            **error_responses(401, 403, 422, 429),
        },
        examples=[
            OpenApiExample("An address", value={"email": "ada@example.com"}, request_only=True),
            OpenApiExample("Unsubscribed", value=UNSUBSCRIBE_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = UnsubscribeCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        email = incoming.validated_data["email"]
        existed = selectors.suppression_of(email=email) is not None
        suppression = services.suppression_add(
            organization=current_organization(),
            email=email,
            reason=Suppression.Reason.UNSUBSCRIBED,
        )
        code = status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        return Response(SuppressionSerializer(suppression).data, status=code)


class UnsubscribeDetail(TenantViewSetMixin, generics.GenericAPIView):  # type: ignore[type-arg]
    serializer_class = SuppressionSerializer

    def safely_get_queryset(self) -> QuerySet[Suppression]:
        return selectors.suppressions_of_organization(reason=Suppression.Reason.UNSUBSCRIBED)

    @extend_schema(
        summary="Re-subscribe an address",
        description="Lifts an unsubscribe: survey emails may go to this address again. "
        "A bounced address is not lifted here (404), nor is one never unsubscribed.",
        parameters=[OpenApiParameter("email", str, OpenApiParameter.PATH)],
        responses={204: None, **error_responses(401, 403, 404, 429)},
    )
    def delete(self, request: Request, email: str) -> Response:
        if not services.suppression_remove(email=email, reason=Suppression.Reason.UNSUBSCRIBED):
            raise exceptions.NotFound("This address is not unsubscribed.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class BounceList(SuppressionList):
    reason = Suppression.Reason.BOUNCED

    @extend_schema(
        summary="List bounced addresses",
        description="Addresses whose mail server refused a survey email; none is emailed "
        "again. Newest first, a page at a time (`page`, `per_page`). Read-only.",
        parameters=[SINCE],
        responses={200: SuppressionSerializer(many=True), **error_responses(401, 422, 429)},
        examples=[
            OpenApiExample(
                "A page",
                value=page_example({**UNSUBSCRIBE_EXAMPLE, "reason": "bounced"}),
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
