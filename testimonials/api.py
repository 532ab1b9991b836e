"""`/api/v1/testimonials`: approved testimonials for a marketing site, and the
moderation (approve, reject, typo fixes) for the team's tools."""

from typing import Any, ClassVar

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response as ApiResponse

from tenants.api import TenantViewSetMixin
from tenants.api_docs import error_responses, page_example
from tenants.models import ApiKey

from . import selectors, services
from .models import Edit, Status, Testimonial

STATUS_FILTERS = [*Status.values, "all"]


class EditSerializer(serializers.ModelSerializer[Edit]):
    editor = serializers.SerializerMethodField()

    class Meta:
        model = Edit
        fields = ["field", "before", "after", "editor", "created_at"]
        read_only_fields = fields

    def get_editor(self, edit: Edit) -> str:
        return edit.editor.email if edit.editor else edit.editor_label


class TestimonialSerializer(serializers.ModelSerializer[Testimonial]):
    survey = serializers.CharField(source="response.survey.public_key", read_only=True)
    score = serializers.IntegerField(source="response.score", read_only=True)
    withdraw_url = serializers.SerializerMethodField(
        help_text="The respondent's own link to take the consent back."
    )

    class Meta:
        model = Testimonial
        fields = [
            "id",
            "status",
            "quote",
            "name",
            "title",
            "company",
            "language",
            "survey",
            "response_id",
            "score",
            "consent_text",
            "consented_at",
            "withdraw_url",
            "withdrawn_at",
            "reviewed_at",
        ]
        read_only_fields = fields

    def get_withdraw_url(self, testimonial: Testimonial) -> str:
        path = selectors.withdraw_path(testimonial)
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class TestimonialDetailSerializer(TestimonialSerializer):
    edits = EditSerializer(many=True, read_only=True)

    class Meta(TestimonialSerializer.Meta):
        fields = [*TestimonialSerializer.Meta.fields, "edits"]
        read_only_fields = fields


class TestimonialEditSerializer(serializers.Serializer[Any]):
    quote = serializers.CharField(required=False, trim_whitespace=False)
    name = serializers.CharField(required=False, max_length=100)
    title = serializers.CharField(required=False, max_length=100, allow_blank=True)
    company = serializers.CharField(required=False, max_length=100, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError({key: ["Unknown field."] for key in sorted(unknown)})
        return attrs


class TestimonialPages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "per_page"
    max_page_size = 200


EXAMPLE = {
    "id": 17,
    "status": "approved",
    "quote": "Support answered in minutes, impressive.",
    "name": "Ada Lovelace",
    "title": "CTO",
    "company": "Analytical Engines",
    "language": "en",
    "survey": "o5Qm3pX1VQq0Xn7rQ2aJ8w",
    "response_id": 981,
    "score": 10,
    "consent_text": "“Support answered in minutes, impressive.”\n— Ada Lovelace, CTO, "
    "Analytical Engines\n\nI agree that Example Inc may publish my comment above…",
    "consented_at": "2026-03-02T14:05:00Z",
    "withdraw_url": "https://nps.example.com/t/withdraw/3vJ…",
    "withdrawn_at": None,
    "reviewed_at": "2026-03-02T15:00:00Z",
}


EDIT_EXAMPLE = {
    "field": "name",
    "before": "Ada Lovlace",
    "after": "Ada Lovelace",
    "editor": "API key CRM",
    "created_at": "2026-03-02T15:10:00Z",
}


class TestimonialList(TenantViewSetMixin, generics.ListAPIView):  # type: ignore[type-arg]
    serializer_class = TestimonialSerializer
    pagination_class = TestimonialPages

    def safely_get_queryset(self) -> QuerySet[Testimonial]:
        chosen = self.request.query_params.get("status", Status.APPROVED)
        if chosen not in STATUS_FILTERS:
            raise exceptions.ValidationError(
                {"status": [f"Use one of {', '.join(STATUS_FILTERS)}."]}
            )
        return selectors.testimonials_listed(status="" if chosen == "all" else chosen)

    @extend_schema(
        summary="List testimonials",
        description="Approved ones by default, newest consent first, 50 a page "
        "(`per_page` up to 200). `status` picks another state, or `all`. A withdrawn "
        "testimonial is never approved: it leaves this list on the request after the withdrawal.",
        parameters=[
            OpenApiParameter("status", str, enum=STATUS_FILTERS, required=False),
        ],
        examples=[OpenApiExample("Approved", value=page_example(EXAMPLE), response_only=True)],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> ApiResponse:
        return super().get(request, *args, **kwargs)


class TestimonialDetail(TenantViewSetMixin, generics.GenericAPIView):  # type: ignore[type-arg]
    serializer_class = TestimonialDetailSerializer
    http_method_names: ClassVar[list[str]] = ["get", "patch", "options"]  # type: ignore[misc]

    def safely_get_queryset(self) -> QuerySet[Testimonial]:
        return selectors.testimonials_listed().prefetch_related("edits__editor")

    def _shown(self, pk: int) -> ApiResponse:
        fresh = generics.get_object_or_404(self.get_queryset(), pk=pk)
        return ApiResponse(self.get_serializer(fresh).data)

    @extend_schema(
        summary="One testimonial",
        description="With its consent and the log of every edit.",
        responses={200: TestimonialDetailSerializer, **error_responses(404)},
        examples=[OpenApiExample("One", value={**EXAMPLE, "edits": []}, response_only=True)],
    )
    def get(self, request: Request, pk: int) -> ApiResponse:
        return self._shown(pk)

    @extend_schema(
        summary="Correct a typo",
        description="Changes `quote`, `name`, `title` or `company` by a few characters "
        "(10 % of the field, at least 3); larger changes answer 422. Each change is "
        "logged with before, after, the key's name and the time. A withdrawn testimonial "
        "cannot be edited.",
        request=TestimonialEditSerializer,
        responses={200: TestimonialDetailSerializer, **error_responses(404, 422)},
        examples=[
            OpenApiExample("A typo", value={"name": "Ada Lovelace"}, request_only=True),
            OpenApiExample(
                "Corrected", value={**EXAMPLE, "edits": [EDIT_EXAMPLE]}, response_only=True
            ),
        ],
    )
    def patch(self, request: Request, pk: int) -> ApiResponse:
        testimonial = self.get_object()
        incoming = TestimonialEditSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        services.testimonial_edit(
            testimonial=testimonial,
            changes=dict(incoming.validated_data),
            editor=None,
            editor_label=_key_label(request),
        )
        return self._shown(pk)


def _key_label(request: Request) -> str:
    # A key acts for the organization: the log names the key, not a person.
    key = request.auth
    return f"API key {key.name}" if isinstance(key, ApiKey) else "API"


class _Review(TenantViewSetMixin, generics.GenericAPIView):  # type: ignore[type-arg]
    serializer_class = TestimonialDetailSerializer
    status_to: ClassVar[str]

    def safely_get_queryset(self) -> QuerySet[Testimonial]:
        return selectors.testimonials_listed().prefetch_related("edits__editor")

    def post(self, request: Request, pk: int) -> ApiResponse:
        testimonial = self.get_object()
        if not services.testimonial_review(
            testimonial=testimonial, status=self.status_to, reviewer=None
        ):
            raise Conflict(f"A {testimonial.status} testimonial cannot become {self.status_to}.")
        fresh = generics.get_object_or_404(self.get_queryset(), pk=pk)
        return ApiResponse(self.get_serializer(fresh).data)


class Conflict(exceptions.APIException):
    status_code = 409
    default_code = "conflict"
    default_detail = "Conflict."


class TestimonialApprove(_Review):
    status_to = Status.APPROVED

    @extend_schema(
        summary="Approve a testimonial",
        description="It appears on the wall and in the approved list. A withdrawn or "
        "already approved one answers 409.",
        request=None,
        responses={200: TestimonialDetailSerializer, **error_responses(404, 409)},
        examples=[OpenApiExample("Approved", value={**EXAMPLE, "edits": []}, response_only=True)],
    )
    def post(self, request: Request, pk: int) -> ApiResponse:
        return super().post(request, pk)


class TestimonialReject(_Review):
    status_to = Status.REJECTED

    @extend_schema(
        summary="Reject a testimonial",
        description="Never shown (an approved one is taken off the wall). A withdrawn or "
        "already rejected one answers 409.",
        request=None,
        responses={200: TestimonialDetailSerializer, **error_responses(404, 409)},
        examples=[
            OpenApiExample(
                "Rejected", value={**EXAMPLE, "status": "rejected", "edits": []}, response_only=True
            )
        ],
    )
    def post(self, request: Request, pk: int) -> ApiResponse:
        return super().post(request, pk)
