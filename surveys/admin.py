from typing import Any

from django.contrib import admin
from django.db.models import URLField
from django.http import HttpRequest

from tenants.admin import TenantAdmin

from .models import Survey, SurveyKind
from .presets import preset_texts
from .services import survey_pause, survey_resume


@admin.register(Survey)
class SurveyAdmin(TenantAdmin):
    list_display = ("name", "organization", "kind", "default_language", "is_active", "public_key")
    search_fields = ("name", "public_key", "organization__name")
    readonly_fields = ("public_key", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("organization", "name", "kind", "is_active", "public_key")}),
        ("Texts", {"fields": ("product_name", "default_language", "texts")}),
        ("Branding", {"fields": ("accent_color", "position", "logo_url")}),
        ("Embedding", {"fields": ("allowed_origins",)}),
        (
            "Prompt policy",
            {
                "fields": (
                    "first_prompt_after_days",
                    "hide_after_answer_days",
                    "hide_after_dismiss_days",
                    "sampling_percent",
                )
            },
        ),
        (None, {"fields": ("created_at", "updated_at")}),
    )
    actions = ("pause", "resume")
    formfield_overrides = {URLField: {"assume_scheme": "https"}}

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        # A new survey starts from the customer preset in every language.
        initial: dict[str, Any] = dict(super().get_changeform_initial_data(request))
        initial.setdefault("texts", preset_texts(str(initial.get("kind", SurveyKind.CUSTOMER))))
        return initial

    @admin.action(description="Pause the selected surveys")
    def pause(self, request: HttpRequest, queryset: Any) -> None:
        for survey in queryset:
            survey_pause(survey=survey)

    @admin.action(description="Resume the selected surveys")
    def resume(self, request: HttpRequest, queryset: Any) -> None:
        for survey in queryset:
            survey_resume(survey=survey)
