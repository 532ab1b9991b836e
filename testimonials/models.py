"""Promoters' comments published with their consent: the consent itself, the
team's light edits, and the wall that shows the approved ones on other sites."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from responses.models import Response
from surveys.models import Survey
from tenants.models import TenantModel

DEFAULT_ACCENT = "#2563eb"


def new_wall_key() -> str:
    return f"tw_{secrets.token_hex(8)}"


def new_withdraw_token() -> str:
    return secrets.token_urlsafe(24)


class Status(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ConsentAsk(TenantModel):
    """The survey asks its promoters who commented whether their words may be
    published. A row of its own, so surveys' own table is left alone."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "survey"], name="uniq_consent_ask"),
        ]

    def __str__(self) -> str:
        return f"Testimonials asked on {self.survey_id}"


class Testimonial(TenantModel):
    # One per answer; erasing the respondent or the answer takes it along.
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # What the wall shows: the comment as given, with the team's typo fixes.
    quote = models.TextField()
    name = models.CharField(max_length=100)
    company = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=100, blank=True)
    language = models.CharField(max_length=8, blank=True)
    # Proof of consent: the statement the respondent agreed to, word for word,
    # with the comment and the name it covers, and when.
    consent_text = models.TextField()
    consented_at = models.DateTimeField(default=timezone.now)
    # The respondent's withdrawal link; the only way to it is this random token.
    withdraw_token = models.CharField(max_length=64, unique=True, default=new_withdraw_token)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-consented_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "response"], name="uniq_testimonial_response"
            ),
        ]
        indexes = [
            # The wall: one organization's approved ones, newest first.
            models.Index(fields=["organization", "status", "consented_at"]),
        ]

    def __str__(self) -> str:
        return f"Testimonial of {self.name} ({self.status})"


class Edit(TenantModel):
    """One correction by the team: before, after, who and when, never rewritten."""

    testimonial = models.ForeignKey(Testimonial, on_delete=models.CASCADE, related_name="edits")
    field = models.CharField(max_length=10)
    before = models.TextField(blank=True)
    after = models.TextField(blank=True)
    # Null for an API key: a key acts for the organization, not for a person.
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    editor_label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Edit of {self.field} on {self.testimonial_id}"


class Wall(TenantModel):
    """The embeddable page of approved testimonials; one per organization."""

    public_key = models.CharField(max_length=32, unique=True, default=new_wall_key, editable=False)
    heading = models.CharField(max_length=120, blank=True)
    accent_color = models.CharField(max_length=7, default=DEFAULT_ACCENT)
    # Exact origins (scheme://host[:port]) whose pages may fetch and frame it.
    allowed_origins = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="uniq_wall_per_organization"),
            models.CheckConstraint(
                condition=Q(accent_color__regex=r"^#[0-9a-fA-F]{6}$"), name="wall_accent_hex"
            ),
        ]

    def __str__(self) -> str:
        return f"Wall {self.public_key}"
