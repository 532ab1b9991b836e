from django.contrib import admin

from tenants.admin import TenantAdmin

from .models import Suppression, SurveyRequest


@admin.register(SurveyRequest)
class SurveyRequestAdmin(TenantAdmin):
    list_display = ("email", "survey", "status", "scheduled_at", "attempts", "organization")
    list_filter = ("organization", "status", "source")  # type: ignore[assignment]
    search_fields = ("email", "name")
    raw_id_fields = ("respondent",)
    list_select_related = ("survey", "organization")


@admin.register(Suppression)
class SuppressionAdmin(TenantAdmin):
    """Operators record bounces here; unsubscribes arrive by the email links."""

    list_display = ("email", "reason", "organization", "created_at")
    list_filter = ("organization", "reason")  # type: ignore[assignment]
    search_fields = ("email",)
