import secrets

from django.db import models

from tenants.models import TenantModel


def new_public_key() -> str:
    return secrets.token_urlsafe(16)


class SurveyKind(models.TextChoices):
    CUSTOMER = "customer", "Customer NPS"
    EMPLOYEE = "employee", "Employee NPS (eNPS)"
    PARTNER = "partner", "Partner NPS"
    CUSTOM = "custom", "Custom"


DEFAULT_QUESTIONS = {
    SurveyKind.CUSTOMER: "How likely are you to recommend {product} to a friend or colleague?",
    SurveyKind.EMPLOYEE: "How likely are you to recommend {company} as a place to work?",
    SurveyKind.PARTNER: "How likely are you to recommend partnering with {company}?",
    SurveyKind.CUSTOM: "How likely are you to recommend {product} to a friend or colleague?",
}


class Survey(TenantModel):
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=SurveyKind.choices, default=SurveyKind.CUSTOMER)
    question = models.CharField(max_length=300)
    default_language = models.CharField(max_length=8, default="en")
    # The widget's public handle: unguessable, stable, and not a secret.
    public_key = models.CharField(max_length=32, unique=True, default=new_public_key)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
