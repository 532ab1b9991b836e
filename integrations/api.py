"""`/api/v1/webhooks`: subscriptions, their delivery log, test events."""

from typing import Any, ClassVar

from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import exceptions, generics, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from surveys.models import Survey
from tenants.api import TenantViewSetMixin
from tenants.api_docs import ErrorSerializer, page_example
from tenants.context import current_organization

from . import selectors, services
from .models import Delivery, DeliveryAttempt, Event, Webhook

ERROR = ErrorSerializer  # the API's one error shape
ERRORS: dict[int, Any] = {
    401: OpenApiResponse(ERROR, description="No API key, or an unknown or revoked one."),
    429: OpenApiResponse(ERROR, description="Too many requests; see Retry-After."),
}
WRITE_ERRORS: dict[int, Any] = {
    **ERRORS,
    403: OpenApiResponse(ERROR, description="The API key is read-only."),
}
NOT_FOUND = OpenApiResponse(ERROR, description="No webhook of your organization has this id.")
INVALID = OpenApiResponse(
    ERROR, description="Invalid input, e.g. a URL on a private network or an unknown event."
)

WEBHOOK_EXAMPLE = {
    "id": 7,
    "url": "https://hooks.example.com/nps",
    "description": "CRM sync",
    "events": ["response.created", "response.updated"],
    "survey": None,
    "survey_id": None,
    "is_active": True,
    "consecutive_failures": 0,
    "failing_since": None,
    "disabled_at": None,
    "disabled_reason": "",
    "created_at": "2026-07-01T09:30:00Z",
    "updated_at": "2026-07-01T09:30:00Z",
}
DELIVERY_EXAMPLE: dict[str, Any] = {
    "id": 42,
    "webhook_id": 7,
    "event_type": "response.created",
    "message_id": "msg_6f1c2a0e9b7d4c3fa5e8d1b2c3a4f5e6",
    "status": "succeeded",
    "attempts": 2,
    "next_attempt_at": None,
    "last_status_code": 200,
    "last_response": "ok",
    "last_duration_ms": 84,
    "created_at": "2026-07-01T09:31:00Z",
    "delivered_at": "2026-07-01T09:31:05Z",
    "payload": {
        "type": "response.created",
        "timestamp": "2026-07-01T09:31:00+00:00",
        "data": {"id": 1001, "score": 9, "category": "promoter"},
    },
    "attempt_log": [
        {
            "number": 1,
            "started_at": "2026-07-01T09:31:00Z",
            "status_code": 503,
            "succeeded": False,
            "duration_ms": 120,
            "response_excerpt": "Service Unavailable",
        },
        {
            "number": 2,
            "started_at": "2026-07-01T09:31:05Z",
            "status_code": 200,
            "succeeded": True,
            "duration_ms": 84,
            "response_excerpt": "ok",
        },
    ],
}


class WebhookSerializer(serializers.ModelSerializer[Webhook]):
    survey = serializers.SerializerMethodField(help_text="The survey's public key, or null: all.")
    events = serializers.ListField(child=serializers.ChoiceField(choices=Event.values))

    class Meta:
        model = Webhook
        fields = [
            "id",
            "url",
            "description",
            "events",
            "survey",
            "survey_id",
            "is_active",
            "consecutive_failures",
            "failing_since",
            "disabled_at",
            "disabled_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_survey(self, webhook: Webhook) -> str | None:
        return webhook.survey.public_key if webhook.survey else None


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(
        source="signing_secret", help_text="Shown in this answer only: keep it to verify."
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookWriteSerializer(serializers.Serializer[Any]):
    url = serializers.URLField(max_length=500, help_text="Public http(s) URL of your endpoint.")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.values), min_length=1, max_length=10
    )
    survey = serializers.CharField(
        max_length=32,
        required=False,
        allow_null=True,
        help_text="A survey's public key or id: only its responses. Null or absent: all.",
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)


class WebhookPatchSerializer(WebhookWriteSerializer):
    is_active = serializers.BooleanField(
        required=False, help_text="false stops deliveries; true resumes and forgets failures."
    )


class AttemptSerializer(serializers.ModelSerializer[DeliveryAttempt]):
    class Meta:
        model = DeliveryAttempt
        fields = [
            "number",
            "started_at",
            "status_code",
            "succeeded",
            "duration_ms",
            "response_excerpt",
        ]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer[Delivery]):
    message_id = serializers.CharField(help_text="The webhook-id header, the same on every try.")
    attempt_log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "webhook_id",
            "event_type",
            "message_id",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_response",
            "last_duration_ms",
            "created_at",
            "delivered_at",
            "payload",
            "attempt_log",
        ]
        read_only_fields = fields


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The delivery is still being tried; retry it once it has finished."
    default_code = "conflict"


class Pages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "per_page"
    max_page_size = 200


def _survey(reference: str | None) -> Survey | None:
    if reference is None or reference == "":
        return None
    # Scoped by the key's organization: another tenant's survey is not found.
    found = Survey.objects.filter(public_key=reference).first()
    if found is None and reference.isdecimal() and len(reference) < 19:
        found = Survey.objects.filter(pk=int(reference)).first()
    if found is None:
        raise exceptions.ValidationError(
            {"survey": ["No survey of your organization has this key or id."]}
        )
    return found


def _webhook(pk: int) -> Webhook:
    webhook = Webhook.objects.select_related("survey").filter(pk=pk).first()
    if webhook is None:
        raise exceptions.NotFound("No webhook of your organization has this id.")
    return webhook


class WebhookList(TenantViewSetMixin, generics.ListAPIView):  # type: ignore[type-arg]
    serializer_class = WebhookSerializer
    pagination_class = Pages

    def safely_get_queryset(self) -> QuerySet[Webhook]:
        return selectors.webhooks_of_organization()

    @extend_schema(
        summary="List webhook subscriptions",
        description="Every subscription of your organization, newest first. "
        "Secrets are never listed.",
        responses={200: WebhookSerializer(many=True), **ERRORS},
        examples=[
            OpenApiExample(
                "A page of webhooks",
                value=page_example(WEBHOOK_EXAMPLE),
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Subscribe a URL to events",
        description="Creates a subscription. The answer carries the signing secret "
        "(`whsec_…`) once; keep it to verify the `webhook-signature` header. URLs that "
        "resolve to private, loopback or link-local addresses are refused with 422.",
        request=WebhookWriteSerializer,
        responses={201: WebhookCreatedSerializer, 422: INVALID, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "Detractors to the CRM",
                value={
                    "url": "https://hooks.example.com/nps",
                    "events": ["response.created", "response.updated"],
                    "description": "CRM sync",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Created, with its secret",
                value={**WEBHOOK_EXAMPLE, "secret": "whsec_MfKQ9r8GKYqXTwjWPo/zBzGsCzYRl5Yn"},
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = WebhookWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        webhook = services.webhook_create(
            organization=current_organization(),
            url=data["url"],
            events=data["events"],
            survey=_survey(data.get("survey")),
            description=data.get("description", ""),
        )
        return Response(WebhookCreatedSerializer(webhook).data, status=status.HTTP_201_CREATED)


class WebhookDetail(APIView):
    http_method_names: ClassVar[list[str]] = ["get", "patch", "delete", "options"]  # type: ignore[misc]

    @extend_schema(
        summary="Read a webhook subscription",
        description="The subscription, its state and failure counters; not its secret.",
        responses={200: WebhookSerializer, 404: NOT_FOUND, **ERRORS},
        examples=[OpenApiExample("A webhook", value=WEBHOOK_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(WebhookSerializer(_webhook(pk)).data)

    @extend_schema(
        summary="Change a webhook subscription",
        description="Changes the fields sent. `is_active: false` stops deliveries (those "
        "waiting are given up); `is_active: true` resumes one that was disabled, also "
        "after automatic disabling, and resets its failure counters.",
        request=WebhookPatchSerializer,
        responses={200: WebhookSerializer, 404: NOT_FOUND, 422: INVALID, **WRITE_ERRORS},
        examples=[
            OpenApiExample("Switch back on", value={"is_active": True}, request_only=True),
            OpenApiExample("Updated", value=WEBHOOK_EXAMPLE, response_only=True),
        ],
    )
    def patch(self, request: Request, pk: int) -> Response:
        webhook = _webhook(pk)
        incoming = WebhookPatchSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        changes = dict(incoming.validated_data)
        if "survey" in changes:
            changes["survey"] = _survey(changes["survey"])
        webhook = services.webhook_update(webhook=webhook, **changes)
        return Response(WebhookSerializer(webhook).data)

    @extend_schema(
        summary="Delete a webhook subscription",
        description="Deletes the subscription and its delivery log; nothing more is sent.",
        responses={204: None, 404: NOT_FOUND, **WRITE_ERRORS},
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.webhook_delete(webhook=_webhook(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeliveryList(TenantViewSetMixin, generics.ListAPIView):  # type: ignore[type-arg]
    serializer_class = DeliverySerializer
    pagination_class = Pages

    def safely_get_queryset(self) -> QuerySet[Delivery]:
        chosen = self.request.query_params.get("status", "")
        if chosen and chosen not in Delivery.Status.values:
            raise exceptions.ValidationError(
                {"status": [f"Use one of {', '.join(Delivery.Status.values)}."]}
            )
        webhook = _webhook(self.kwargs["pk"])
        return selectors.deliveries_of_webhook(webhook=webhook, status=chosen)

    @extend_schema(
        summary="The delivery log of a webhook",
        description="Every event sent to the subscription, newest first, with each "
        "attempt's HTTP status code, answer excerpt and duration.",
        parameters=[
            OpenApiParameter("status", str, enum=Delivery.Status.values, required=False),
        ],
        responses={200: DeliverySerializer(many=True), 404: NOT_FOUND, 422: INVALID, **ERRORS},
        examples=[
            OpenApiExample(
                "A page of deliveries",
                value=page_example(DELIVERY_EXAMPLE),
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class WebhookTest(APIView):
    @extend_schema(
        summary="Send a test event",
        description="POSTs a signed `webhook.test` event to the URL now, once (no retries, "
        "not counted towards automatic disabling), and answers with the delivery: "
        "`succeeded` or `given_up`, with the status code and timing. Works on a disabled "
        "subscription, to check an endpoint before switching it on again.",
        request=None,
        responses={200: DeliverySerializer, 404: NOT_FOUND, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "Delivered",
                value={
                    **DELIVERY_EXAMPLE,
                    "event_type": "webhook.test",
                    "attempts": 1,
                    "attempt_log": DELIVERY_EXAMPLE["attempt_log"][1:],
                },
                response_only=True,
            )
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        delivery = services.webhook_send_test(webhook=_webhook(pk))
        return Response(DeliverySerializer(delivery).data)


class DeliveryRetry(APIView):
    @extend_schema(
        summary="Send a delivery again",
        description="Sends a finished delivery (succeeded or given up) once more, now, "
        "with the same `webhook-id` so your endpoint can recognise it. 409 while the "
        "delivery is still being retried.",
        request=None,
        responses={
            200: DeliverySerializer,
            404: OpenApiResponse(ERROR, description="No such webhook or delivery."),
            409: OpenApiResponse(ERROR, description="The delivery is still being tried."),
            **WRITE_ERRORS,
        },
        examples=[OpenApiExample("Sent again", value=DELIVERY_EXAMPLE, response_only=True)],
    )
    def post(self, request: Request, pk: int, delivery_id: int) -> Response:
        webhook = _webhook(pk)
        delivery = Delivery.objects.filter(webhook=webhook, pk=delivery_id).first()
        if delivery is None:
            raise exceptions.NotFound("This webhook has no delivery with this id.")
        try:
            delivery = services.delivery_redeliver(delivery=delivery)
        except services.DeliveryBusy:
            raise Conflict from None
        return Response(DeliverySerializer(delivery).data)
