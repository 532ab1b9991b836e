from django.contrib import admin

from tenants.admin import TenantAdmin

from .models import Survey


@admin.register(Survey)
class SurveyAdmin(TenantAdmin):
    list_display = ("name", "organization", "kind", "is_active", "public_key")
    readonly_fields = ("public_key",)
