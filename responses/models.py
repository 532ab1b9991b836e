from django.db import models
from django.db.models import Q
from django.utils import timezone

from surveys.models import Survey
from tenants.models import TenantModel


class Channel(models.TextChoices):
    WIDGET = "widget", "Widget"
    LINK = "link", "Link"
    EMAIL = "email", "Email"
    API = "api", "API"
    IMPORT = "import", "Import"


class Respondent(TenantModel):
    external_id = models.CharField(max_length=255, blank=True)
    email = models.EmailField(blank=True)
    name = models.CharField(max_length=200, blank=True)
    profile_url = models.URLField(max_length=500, blank=True)
    traits = models.JSONField(default=dict, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"],
                condition=~Q(external_id=""),
                name="uniq_respondent_external_id",
            ),
        ]
        indexes = [models.Index(fields=["organization", "email"])]

    def __str__(self) -> str:
        return self.name or self.email or self.external_id or f"Respondent {self.pk}"


class Response(TenantModel):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    respondent = models.ForeignKey(
        Respondent, on_delete=models.CASCADE, null=True, blank=True, related_name="responses"
    )
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WIDGET)
    language = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=10), name="response_score_0_10"
            ),
        ]
        indexes = [models.Index(fields=["organization", "survey", "created_at"])]

    def __str__(self) -> str:
        return f"{self.score} on {self.survey_id}"
