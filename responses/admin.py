from django.contrib import admin

from tenants.admin import TenantAdmin

from .models import PromptEvent, Respondent, Response


@admin.register(Respondent)
class RespondentAdmin(TenantAdmin):
    list_display = ("name", "email", "external_id", "organization", "first_seen_at")
    search_fields = ("name", "email", "external_id", "anonymous_id")


@admin.register(Response)
class ResponseAdmin(TenantAdmin):
    list_display = ("score", "survey", "channel", "organization", "created_at")
    raw_id_fields = ("respondent",)
    list_select_related = ("survey", "organization")


@admin.register(PromptEvent)
class PromptEventAdmin(TenantAdmin):
    list_display = ("kind", "survey", "respondent", "channel", "organization", "created_at")
    raw_id_fields = ("respondent",)
    list_select_related = ("survey", "respondent", "organization")
