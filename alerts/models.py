from urllib.parse import urlsplit

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from responses.models import Response
from surveys.models import Survey
from tenants.models import TenantModel


class Kind(models.TextChoices):
    SLACK = "slack", _("Slack")
    TEAMS = "teams", _("Microsoft Teams")


class Scope(models.TextChoices):
    DETRACTORS = "detractors", _("Detractors only (0 to 6)")
    ALL = "all", _("Every response")


WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class Destination(TenantModel):
    """A chat channel that hears about answers, through its incoming-webhook URL."""

    name = models.CharField(_("name"), max_length=120, help_text=_("e.g. #customer-feedback"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SLACK)
    # The URL carries the channel's secret token: shown in full only to editors.
    url = models.URLField(_("incoming-webhook URL"), max_length=1000)
    scope = models.CharField(
        _("send"), max_length=12, choices=Scope.choices, default=Scope.DETRACTORS
    )
    survey = models.ForeignKey(
        Survey,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("survey"),
        help_text=_("Empty: every survey."),
    )
    active = models.BooleanField(_("active"), default=True)
    digest_enabled = models.BooleanField(_("weekly digest"), default=True)
    # In the organization's time zone.
    digest_weekday = models.PositiveSmallIntegerField(_("digest day"), choices=WEEKDAYS, default=0)
    digest_hour = models.PositiveSmallIntegerField(
        _("digest hour"), choices=[(h, f"{h:02d}:00") for h in range(24)], default=9
    )
    # ISO week ("2026-W07", local) of the last digest: claimed with a
    # conditional update so two beat runs never both send one.
    last_digest_week = models.CharField(max_length=10, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=1000, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["organization", "active"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(digest_weekday__lte=6) & Q(digest_hour__lte=23),
                name="alert_destination_digest_time",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_url(self) -> str:
        """Enough to recognise the URL, not enough to post to it."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname}/…{self.url[-4:]}"


class DeliveryKind(models.TextChoices):
    ALERT = "alert", _("Alert")
    DIGEST = "digest", _("Weekly digest")
    TEST = "test", _("Test message")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Delivery(TenantModel):
    """One message to one destination, with its tries: the send log.

    The unique alert row per (destination, response) is also the record that a
    response was announced, so a resent or edited answer never alerts twice.
    """

    destination = models.ForeignKey(
        Destination, on_delete=models.CASCADE, related_name="deliveries"
    )
    kind = models.CharField(max_length=10, choices=DeliveryKind.choices)
    # Erasing an answer erases what was said about it.
    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=1000, blank=True)
    elapsed_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # While pending: when the next try is due, or when a try a stopped worker
    # left unfinished may be taken up again.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "destination", "created_at"]),
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["finished_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "destination", "response"],
                condition=Q(kind="alert"),
                name="uniq_alert_per_response",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.destination_id} ({self.status})"
