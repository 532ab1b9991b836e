from typing import Any

from django.contrib import admin
from django.db.models import ForeignKey, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest

from .models import ApiKey, Invitation, Membership, Organization, TenantModel


class TenantAdmin(admin.ModelAdmin):
    """Django admin is the operators' cross-tenant tool: it reads unscoped."""

    list_filter = ("organization",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.model.objects.unscoped().select_related("organization")

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        related = db_field.related_model
        if isinstance(related, type) and issubclass(related, TenantModel):
            kwargs.setdefault("queryset", related.objects.unscoped())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "time_zone", "created_at")
    search_fields = ("name", "slug")
    inlines = [MembershipInline]


@admin.register(ApiKey)
class ApiKeyAdmin(TenantAdmin):
    list_display = ("name", "organization", "masked", "read_only", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "hashed_key", "created_at", "last_used_at")


@admin.register(Invitation)
class InvitationAdmin(TenantAdmin):
    list_display = ("email", "organization", "role", "created_at", "expires_at", "accepted_at")
    readonly_fields = ("token_hash",)
