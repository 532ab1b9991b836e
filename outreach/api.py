"""`/api/v1/survey_requests`: schedule survey emails, and follow them."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from surveys.models import Survey
from surveys.presets import LANGUAGE_NAMES
from tenants.api import TenantViewSetMixin
from tenants.api_docs import EXAMPLE_SURVEY_KEY, error_responses

from . import selectors, services
from .models import Source, Status, SurveyRequest


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
    if found is None and reference.isdigit():
        found = surveys.filter(pk=int(reference)).first()
    if found is None:
        raise exceptions.NotFound("No survey of your organization has this key or id.")
    return found


REQUEST_EXAMPLE = OpenApiExample(
    "A scheduled request",
    value={
        "id": 42,
        "survey": EXAMPLE_SURVEY_KEY,
        "survey_id": 3,
        "email": "ada@example.com",
        "name": "Ada Lovelace",
        "language": "fr",
        "properties": {"plan": "pro"},
        "source": "api",
        "status": "pending",
        "skip_reason": "",
        "attempts": 0,
        "last_error": "",
        "scheduled_at": "2025-03-01T10:00:00Z",
        "sent_at": None,
        "answered_at": None,
        "created_at": "2025-03-01T09:00:00Z",
    },
    response_only=True,
)


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
        examples=[REQUEST_EXAMPLE],
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
            REQUEST_EXAMPLE,
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
