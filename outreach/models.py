from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from responses.models import Respondent
from surveys.models import Survey
from tenants.models import TenantModel


class Status(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")


class Source(models.TextChoices):
    API = "api", _("API")
    CSV = "csv", _("CSV upload")
    FORM = "form", _("Back office")
    RECURRING = "recurring", _("Recurring")


class SurveyRequest(TenantModel):
    """One person to survey by email, now or later: the schedule lives here,
    never as a far-future task on the broker."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="requests")
    respondent = models.ForeignKey(Respondent, on_delete=models.CASCADE, related_name="requests")
    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=8, blank=True)
    properties = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.API)
    scheduled_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    skip_reason = models.CharField(max_length=20, blank=True)
    # When the current send began: a request left 'sending' too long is recovered.
    sending_started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-scheduled_at", "-id"]
        indexes = [
            # The beat task's "what is due", across organizations.
            models.Index(
                fields=["scheduled_at"], name="outreach_due", condition=Q(status="pending")
            ),
            # The beat task's "which sends did a stopped worker leave behind".
            models.Index(
                fields=["sending_started_at"],
                name="outreach_sending",
                condition=Q(status="sending"),
            ),
            models.Index(fields=["organization", "survey", "scheduled_at"]),
            models.Index(fields=["organization", "status", "scheduled_at"]),
        ]

    def __str__(self) -> str:
        return f"Request of {self.survey_id} to {self.email} ({self.status})"

    @property
    def client_id(self) -> str:
        # Deterministic, so a retried answer updates instead of counting twice.
        return f"email-request-{self.pk}"


class Suppression(TenantModel):
    """An address the organization must never email again."""

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        BOUNCED = "bounced", _("Bounced")

    email = models.EmailField()
    reason = models.CharField(max_length=12, choices=Reason.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "email"], name="uniq_suppression_email")
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.reason})"
