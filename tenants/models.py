from __future__ import annotations

import secrets
from typing import Any, ClassVar, Generic, TypeVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .context import current_organization, current_organization_or_none


def new_identity_secret() -> str:
    return secrets.token_urlsafe(32)


class Organization(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    created_at = models.DateTimeField(auto_now_add=True)
    # Org-wide cap on survey fatigue: no respondent is prompted by any survey
    # more than once in this many days.
    fatigue_days = models.PositiveSmallIntegerField(default=7)
    # Signs respondents' user ids (HMAC-SHA256) so the widget can trust them.
    identity_secret = models.CharField(max_length=64, default=new_identity_secret)
    require_identity_verification = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    VIEWER = "viewer", _("Viewer")


ROLE_RANK = {Role.VIEWER: 0, Role.ADMIN: 1, Role.OWNER: 2}


def role_at_least(role: str, minimum: str) -> bool:
    return ROLE_RANK[Role(role)] >= ROLE_RANK[Role(minimum)]


class Membership(models.Model):
    # Access control itself: read across organizations (a user's org list),
    # so it keeps a plain manager and every query names the user or the org.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="uniq_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"


M = TypeVar("M", bound=models.Model)


class TenantManager(models.Manager[M], Generic[M]):
    """Fails closed: no organization in context means an error, not all rows."""

    def get_queryset(self) -> models.QuerySet[M]:
        return super().get_queryset().filter(organization=current_organization())

    def unscoped(self) -> models.QuerySet[M]:
        """Cross-tenant access, spelled out so it stands out in review."""
        return super().get_queryset()


class TenantModel(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")

    objects: ClassVar[TenantManager[Any]] = TenantManager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        active = current_organization_or_none()
        if active is not None and self.organization_id != active.pk:
            raise ValueError(
                f"Refusing to save a {type(self).__name__} of organization "
                f"{self.organization_id} inside the context of organization {active.pk}."
            )
        super().save(*args, **kwargs)


class Invitation(TenantModel):
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "email"])]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.organization_id}"


class ApiKey(TenantModel):
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=16, unique=True)
    hashed_key = models.CharField(max_length=64)
    read_only = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} (nps_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def masked(self) -> str:
        return f"nps_{self.prefix}_••••"


class UserPreference(models.Model):
    """A person's own settings, the same in every organization they belong to."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference"
    )
    # Empty means "follow the browser" (Accept-Language).
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, blank=True)

    def __str__(self) -> str:
        return f"Preferences of {self.user}"


__all__ = [
    "ApiKey",
    "Invitation",
    "Membership",
    "Organization",
    "Role",
    "TenantManager",
    "TenantModel",
    "UserPreference",
    "current_organization",
    "role_at_least",
]
