"""`/api/v1/surveys`: create, read, change, pause, resume and delete surveys,
and `/api/v1/surveys/<survey>/variants`: their wording variants (A/B tests).

Input is checked twice, as in the back office: the serializer checks the
shape (types, choices), then the services run the model's validation (names,
colours, origins, texts and their placeholders), whose messages come back as
a 422 keyed by field.
"""

from typing import Any, ClassVar

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import exceptions, generics, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from tenants.api import TenantViewSetMixin
from tenants.api_docs import error_responses, page_example
from tenants.context import current_organization

from . import install, selectors, services, validation
from .models import LANGUAGE_CHOICES, Position, Survey, SurveyKind, SurveyVariant

RECUR_MIN_DAYS, RECUR_MAX_DAYS = 1, 365  # the back office's recurrence form allows the same

InstallSerializer = inline_serializer(
    name="SurveyInstall",
    fields={
        "script_url": serializers.URLField(),
        "snippet": serializers.CharField(help_text="Embed code for anonymous visitors."),
        "snippet_identified": serializers.CharField(
            help_text="Embed code for signed-in users (id, hash, email, name)."
        ),
        "link_url": serializers.URLField(help_text="The survey's shareable page."),
        "qr_svg_url": serializers.URLField(),
        "qr_png_url": serializers.URLField(),
    },
)


class SurveySerializer(serializers.ModelSerializer[Survey]):
    install = serializers.SerializerMethodField()

    class Meta:
        model = Survey
        fields = [
            "id",
            "public_key",
            "name",
            "kind",
            "product_name",
            "texts",
            "default_language",
            "accent_color",
            "position",
            "logo_url",
            "allowed_origins",
            "first_prompt_after_days",
            "hide_after_answer_days",
            "hide_after_dismiss_days",
            "sampling_percent",
            "recur_days",
            "is_active",
            "install",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(InstallSerializer)
    def get_install(self, survey: Survey) -> dict[str, str]:
        request = self.context["request"]
        key = survey.public_key
        script_url = request.build_absolute_uri(reverse("widget_js"))
        return {
            "script_url": script_url,
            "snippet": install.snippet(script_url=script_url, public_key=key, identified=False),
            "snippet_identified": install.snippet(
                script_url=script_url, public_key=key, identified=True
            ),
            "link_url": request.build_absolute_uri(reverse("link_page", args=[key])),
            "qr_svg_url": request.build_absolute_uri(reverse("link_qr_svg", args=[key])),
            "qr_png_url": request.build_absolute_uri(reverse("link_qr_png", args=[key])),
        }


TEXT_HELP = (
    "Keyed by language (en, fr, de), then by question, follow_up, follow_up_detractor, "
    "follow_up_passive, follow_up_promoter, thank_you. Placeholders: {product}, {company}."
)


class SurveyChangeSerializer(serializers.Serializer[Any]):
    """The fields of a change; every one optional."""

    name = serializers.CharField(max_length=120, required=False)
    product_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    texts = serializers.DictField(
        child=serializers.DictField(
            child=serializers.CharField(allow_blank=True, allow_null=True, max_length=1000),
            allow_null=True,
        ),
        required=False,
        help_text=TEXT_HELP
        + " On PATCH the texts are merged into the current ones; null removes a text or a "
        "whole language.",
    )
    default_language = serializers.ChoiceField(choices=LANGUAGE_CHOICES, required=False)
    accent_color = serializers.CharField(
        max_length=20, required=False, help_text="# and six hex digits."
    )
    position = serializers.ChoiceField(choices=Position.choices, required=False)
    logo_url = serializers.CharField(max_length=500, required=False, allow_blank=True)
    allowed_origins = serializers.ListField(
        child=serializers.CharField(max_length=300),
        required=False,
        help_text="Origins allowed to embed the widget, like https://app.example.com.",
    )
    first_prompt_after_days = serializers.IntegerField(
        required=False, validators=validation.days_validators()
    )
    hide_after_answer_days = serializers.IntegerField(
        required=False, validators=validation.days_validators()
    )
    hide_after_dismiss_days = serializers.IntegerField(
        required=False, validators=validation.days_validators()
    )
    sampling_percent = serializers.IntegerField(
        required=False, validators=validation.percent_validators()
    )
    recur_days = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=RECUR_MIN_DAYS,
        max_value=RECUR_MAX_DAYS,
        help_text="Email each person again this many days after their last answer; "
        "null for no recurrence.",
    )


class SurveyCreateSerializer(SurveyChangeSerializer):
    kind = serializers.ChoiceField(
        choices=SurveyKind.choices,
        help_text="The template: its texts prefill every language, and texts given here "
        "are merged over them.",
    )
    name = serializers.CharField(max_length=120)


class SurveyPages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "per_page"
    max_page_size = 200


SURVEY_EXAMPLE = {
    "id": 12,
    "public_key": "o5Qm3pX1VQq0Xn7rQ2aJ8w",
    "name": "Product NPS",
    "kind": "customer",
    "product_name": "Acme",
    "texts": {
        "en": {
            "question": "How likely are you to recommend {product} to a friend or colleague?",
            "follow_up": "What is the main reason for your score?",
            "thank_you": "Thank you for your feedback!",
        }
    },
    "default_language": "en",
    "accent_color": "#2563eb",
    "position": "bottom-right",
    "logo_url": "",
    "allowed_origins": ["https://app.example.com"],
    "first_prompt_after_days": 0,
    "hide_after_answer_days": 90,
    "hide_after_dismiss_days": 10,
    "sampling_percent": 100,
    "recur_days": None,
    "is_active": True,
    "install": {
        "script_url": "https://nps.example.com/widget.js",
        "snippet": (
            '<script async src="https://nps.example.com/widget.js" crossorigin="anonymous" '
            'data-survey="…">'
        ),
        "snippet_identified": "…",
        "link_url": "https://nps.example.com/s/o5Qm3pX1VQq0Xn7rQ2aJ8w",
        "qr_svg_url": "https://nps.example.com/s/o5Qm3pX1VQq0Xn7rQ2aJ8w/qr.svg",
        "qr_png_url": "https://nps.example.com/s/o5Qm3pX1VQq0Xn7rQ2aJ8w/qr.png",
    },
    "created_at": "2026-03-01T09:30:00Z",
    "updated_at": "2026-03-01T09:30:00Z",
}
SURVEY_RESPONSE = [OpenApiExample("A survey", value=SURVEY_EXAMPLE, response_only=True)]
REFERENCE = OpenApiParameter(
    "survey", str, OpenApiParameter.PATH, description="The survey's id or public key."
)


def _merge_patch(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """JSON merge patch (RFC 7396) of texts: null removes, objects merge."""
    merged = {language: dict(entry) for language, entry in current.items()}
    for language, entry in patch.items():
        if entry is None:
            merged.pop(language, None)
            continue
        target = merged.setdefault(language, {})
        for key, text in entry.items():
            if text is None:
                target.pop(key, None)
            else:
                target[key] = text
    return merged


class SurveyObjectMixin(TenantViewSetMixin, generics.GenericAPIView):  # type: ignore[type-arg]
    def safely_get_queryset(self) -> QuerySet[Survey]:
        return selectors.surveys_of_organization().select_related("organization")

    def survey(self) -> Survey:
        # Scoped by the key's organization: another tenant's survey is simply not found.
        reference = str(self.kwargs["survey"])
        surveys = self.get_queryset()
        found = surveys.filter(public_key=reference).first()
        if found is None and reference.isdecimal() and len(reference) < 19:
            found = surveys.filter(pk=int(reference)).first()
        if found is None:
            raise exceptions.NotFound("No survey of your organization has this id or key.")
        return found

    def answer(self, survey: Survey, code: int = status.HTTP_200_OK) -> Response:
        data = SurveySerializer(survey, context={"request": self.request}).data
        return Response(data, status=code)


class SurveyList(SurveyObjectMixin, generics.ListAPIView):  # type: ignore[type-arg]
    serializer_class = SurveySerializer
    pagination_class = SurveyPages

    @extend_schema(
        summary="List surveys",
        description="Every survey of the key's organization, by name, a page at a time "
        "(`page`, `per_page` up to 200).",
        responses={200: SurveySerializer(many=True), **error_responses(401, 404, 429)},
        examples=[
            OpenApiExample(
                "A page of surveys",
                value=page_example(SURVEY_EXAMPLE),
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create a survey",
        description="Creates a running survey from a template (`kind`): customer, employee "
        "(eNPS), partner or custom. The template's texts fill every language; texts given "
        "here are merged over them, language by language and key by key. The answer "
        "carries the survey's `public_key` and the code to install it.",
        request=SurveyCreateSerializer,
        responses={201: SurveySerializer, **error_responses(401, 403, 422, 429)},
        examples=[
            OpenApiExample(
                "An employee survey in French",
                value={
                    "kind": "employee",
                    "name": "eNPS Q3",
                    "default_language": "fr",
                    "allowed_origins": ["https://intranet.example.com"],
                },
                request_only=True,
            ),
            *SURVEY_RESPONSE,
        ],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = SurveyCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        created = services.survey_create(
            organization=current_organization(),
            kind=data.pop("kind"),
            name=data.pop("name"),
            **data,
        )
        return self.answer(created, status.HTTP_201_CREATED)


class SurveyDetail(SurveyObjectMixin, generics.GenericAPIView):  # type: ignore[type-arg]
    serializer_class = SurveySerializer
    http_method_names: ClassVar[list[str]] = ["get", "patch", "delete", "options"]  # type: ignore[misc]

    @extend_schema(
        summary="Read a survey",
        description="One survey by id or public key, with its install code.",
        parameters=[REFERENCE],
        responses={200: SurveySerializer, **error_responses(401, 404, 429)},
        examples=SURVEY_RESPONSE,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.answer(self.survey())

    @extend_schema(
        summary="Change a survey",
        description="Changes only the fields sent. `texts` are merged into the current "
        "texts (null removes one text, or a whole language). The public key never changes. "
        "Nothing is saved unless every field is valid.",
        parameters=[REFERENCE],
        request=SurveyChangeSerializer,
        responses={200: SurveySerializer, **error_responses(401, 403, 404, 422, 429)},
        examples=[
            OpenApiExample(
                "Reword the French question, drop German, sample half",
                value={
                    "texts": {
                        "fr": {"question": "Recommanderiez-vous {product} à un collègue ?"},
                        "de": None,
                    },
                    "sampling_percent": 50,
                },
                request_only=True,
            ),
            *SURVEY_RESPONSE,
        ],
    )
    def patch(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        survey = self.survey()
        incoming = SurveyChangeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        changes = dict(incoming.validated_data)
        if "texts" in changes:
            changes["texts"] = _merge_patch(survey.texts, changes["texts"])
        return self.answer(services.survey_update(survey=survey, **changes))

    @extend_schema(
        summary="Delete a survey and its responses",
        description="Deletes the survey **and everything it collected**: its responses, "
        "displays and dismissals, survey requests and daily counts. There is no undo and "
        "no confirmation step; pause a survey instead to stop asking and keep its data.",
        parameters=[REFERENCE],
        responses={204: None, **error_responses(401, 403, 404, 429)},
    )
    def delete(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.survey_delete(survey=self.survey())
        return Response(status=status.HTTP_204_NO_CONTENT)


class SurveyPause(SurveyObjectMixin, generics.GenericAPIView):  # type: ignore[type-arg]
    serializer_class = SurveySerializer

    @extend_schema(
        summary="Pause a survey",
        description="Nobody is asked while a survey is paused (widget, links and scheduled "
        "emails); its data stays. Pausing a paused survey changes nothing.",
        parameters=[REFERENCE],
        request=None,
        responses={200: SurveySerializer, **error_responses(401, 403, 404, 429)},
        examples=SURVEY_RESPONSE,
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.answer(services.survey_pause(survey=self.survey()))


class SurveyResume(SurveyObjectMixin, generics.GenericAPIView):  # type: ignore[type-arg]
    serializer_class = SurveySerializer

    @extend_schema(
        summary="Resume a survey",
        description="Runs a paused survey again. Resuming a running survey changes nothing.",
        parameters=[REFERENCE],
        request=None,
        responses={200: SurveySerializer, **error_responses(401, 403, 404, 429)},
        examples=SURVEY_RESPONSE,
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.answer(services.survey_resume(survey=self.survey()))


# Variants (A/B tests) ------------------------------------------------------------


class VariantSerializer(serializers.ModelSerializer[SurveyVariant]):
    survey = serializers.IntegerField(source="survey_id", help_text="The survey's id.")

    class Meta:
        model = SurveyVariant
        fields = [
            "id",
            "survey",
            "name",
            "weight",
            "texts",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


VARIANT_TEXTS = serializers.DictField(
    child=serializers.DictField(
        child=serializers.CharField(allow_blank=True, allow_null=True, max_length=1000),
        allow_null=True,
    ),
    required=False,
    help_text="The texts this variant rewords, shaped like a survey's (language, then "
    "question, follow_up, …); what it leaves out is the survey's own. On PATCH they are "
    "merged into the current ones; null removes a text or a whole language.",
)


class VariantChangeSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=80, required=False)
    weight = serializers.IntegerField(
        min_value=services.MIN_WEIGHT,
        max_value=services.MAX_WEIGHT,
        required=False,
        help_text="Share of respondents, relative to the other running variants' weights.",
    )
    texts = VARIANT_TEXTS
    is_active = serializers.BooleanField(
        required=False, help_text="false stops the variant: its respondents go to the others."
    )


class VariantCreateSerializer(VariantChangeSerializer):
    name = serializers.CharField(max_length=80)


VARIANT_EXAMPLE = {
    "id": 4,
    "survey": 12,
    "name": "Short question",
    "weight": 50,
    "texts": {"en": {"question": "Would you recommend {product}?"}},
    "is_active": True,
    "created_at": "2026-03-01T09:30:00Z",
    "updated_at": "2026-03-01T09:30:00Z",
}
VARIANT_RESPONSE = [OpenApiExample("A variant", value=VARIANT_EXAMPLE, response_only=True)]
VARIANT_ID = OpenApiParameter("variant_id", int, OpenApiParameter.PATH)


class VariantList(SurveyObjectMixin):
    serializer_class = VariantSerializer

    @extend_schema(
        summary="List a survey's variants",
        description="Every wording variant of the survey, running or stopped, oldest first "
        "(the first is the baseline the comparisons use). Not paginated: a survey has few.",
        parameters=[REFERENCE],
        responses={200: VariantSerializer(many=True), **error_responses(401, 404, 429)},
        examples=[OpenApiExample("Variants", value=[VARIANT_EXAMPLE], response_only=True)],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        variants = selectors.variants_of_survey(survey=self.survey())
        return Response(VariantSerializer(variants, many=True).data)

    @extend_schema(
        summary="Add a variant",
        description="Adds a running variant: from now on respondents are split between the "
        "running variants in proportion to their weights, each always seeing the same one. "
        "A variant without texts asks the survey's own words: create one as the control.",
        parameters=[REFERENCE],
        request=VariantCreateSerializer,
        responses={201: VariantSerializer, **error_responses(401, 403, 404, 422, 429)},
        examples=[
            OpenApiExample(
                "A shorter question",
                value={"name": "Short question", "texts": {"en": {"question": "Recommend us?"}}},
                request_only=True,
            ),
            *VARIANT_RESPONSE,
        ],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        survey = self.survey()
        incoming = VariantCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        is_active = data.pop("is_active", True)
        variant = services.variant_create(survey=survey, **data)
        if not is_active:
            variant = services.variant_update(variant=variant, is_active=False)
        return Response(VariantSerializer(variant).data, status=status.HTTP_201_CREATED)


class VariantDetail(SurveyObjectMixin):
    serializer_class = VariantSerializer
    http_method_names: ClassVar[list[str]] = ["get", "patch", "options"]  # type: ignore[misc]

    def variant(self) -> SurveyVariant:
        found = (
            selectors.variants_of_survey(survey=self.survey())
            .filter(pk=self.kwargs["variant_id"])
            .first()
        )
        if found is None:
            raise exceptions.NotFound("This survey has no variant with this id.")
        return found

    @extend_schema(
        summary="Read a variant",
        parameters=[REFERENCE, VARIANT_ID],
        responses={200: VariantSerializer, **error_responses(401, 404, 429)},
        examples=VARIANT_RESPONSE,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(VariantSerializer(self.variant()).data)

    @extend_schema(
        summary="Change, stop or restart a variant",
        description="Changes only the fields sent; `is_active: false` stops the variant "
        "(its data stays, its respondents go to the other running variants). There is no "
        "delete: a variant's answers keep naming it.",
        parameters=[REFERENCE, VARIANT_ID],
        request=VariantChangeSerializer,
        responses={200: VariantSerializer, **error_responses(401, 403, 404, 422, 429)},
        examples=[
            OpenApiExample("Stop it", value={"is_active": False}, request_only=True),
            *VARIANT_RESPONSE,
        ],
    )
    def patch(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        variant = self.variant()
        incoming = VariantChangeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        changes = dict(incoming.validated_data)
        if "texts" in changes:
            changes["texts"] = _merge_patch(variant.texts, changes["texts"])
        return Response(VariantSerializer(services.variant_update(variant=variant, **changes)).data)
