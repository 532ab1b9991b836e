"""Webhook subscriptions and the log of what was delivered to them."""

import base64
import json
import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from surveys.models import Survey
from tenants.models import TenantModel


class Event(models.TextChoices):
    RESPONSE_CREATED = "response.created", _("A response is created")
    RESPONSE_UPDATED = "response.updated", _("A response is updated")
    RESPONSE_DELETED = "response.deleted", _("A response is deleted")
    UNSUBSCRIBE_CREATED = "unsubscribe.created", _("Someone unsubscribes from survey emails")


# Sent by "Send test event" only; nobody subscribes to it.
TEST_EVENT = "webhook.test"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret


def new_secret() -> str:
    """24 random bytes in base64: the part of `whsec_…` that keys the HMAC."""
    return base64.b64encode(secrets.token_bytes(24)).decode()


class Webhook(TenantModel):
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list)
    # Only responses of this survey, when set; unsubscribes are never filtered.
    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # Kept in clear because every delivery is signed with it; shown to the user once.
    secret = models.CharField(max_length=64, default=new_secret)
    is_active = models.BooleanField(default=True)
    # Deliveries given up in a row, and when the current run of failures began.
    consecutive_failures = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "is_active"])]

    def __str__(self) -> str:
        return self.url

    @property
    def signing_secret(self) -> str:
        return SECRET_PREFIX + self.secret

    def wants(self, *, event_type: str, survey_id: int | None) -> bool:
        if event_type not in self.events:
            return False
        return self.survey_id is None or survey_id is None or self.survey_id == survey_id


class Delivery(TenantModel):
    """One event for one subscription: tried until it succeeds or is given up,
    always under the same `webhook-id` so receivers can de-duplicate."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        RETRYING = "retrying", _("Failed, will retry")
        SUCCEEDED = "succeeded", _("Succeeded")
        GIVEN_UP = "given_up", _("Given up")

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=40)
    message_id = models.CharField(max_length=40, unique=True)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    # When the current attempt began: an attempt left 'sending' too long is recovered.
    sending_started_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response = models.TextField(blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            # The beat task's "what is due", across organizations.
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=Q(status__in=["pending", "retrying"]),
            ),
            models.Index(
                fields=["sending_started_at"],
                name="webhook_delivery_sending",
                condition=Q(status="sending"),
            ),
            models.Index(fields=["organization", "webhook", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id} ({self.status})"

    @property
    def is_test(self) -> bool:
        return self.event_type == TEST_EVENT

    @property
    def payload_pretty(self) -> str:
        return json.dumps(self.payload, indent=2, ensure_ascii=False)


class DeliveryAttempt(TenantModel):
    """One POST of a delivery: its answer and how long it took."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    duration_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.TextField(blank=True)

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"Attempt {self.number} of {self.delivery_id}"
