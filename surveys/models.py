import secrets
from collections.abc import Collection
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenants.models import TenantModel

from . import validation
from .presets import LANGUAGE_NAMES


def new_public_key() -> str:
    # 128 random bits: unguessable, so a key cannot be enumerated to find surveys.
    key = secrets.token_urlsafe(16)
    # A leading "-" would read as an option on a command line (`--survey KEY`).
    return "k" + key[1:] if key.startswith("-") else key


class SurveyKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer NPS")
    EMPLOYEE = "employee", _("Employee NPS (eNPS)")
    PARTNER = "partner", _("Partner NPS")
    CUSTOM = "custom", _("Custom")


class Position(models.TextChoices):
    BOTTOM_RIGHT = "bottom-right", _("Bottom right")
    BOTTOM_LEFT = "bottom-left", _("Bottom left")
    INLINE = "inline", _("Inline (inside a container of the page)")


LANGUAGE_CHOICES = list(LANGUAGE_NAMES.items())
DEFAULT_ACCENT = "#2563eb"


class Survey(TenantModel):
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=SurveyKind.choices, default=SurveyKind.CUSTOMER)
    product_name = models.CharField(
        max_length=120, blank=True, help_text=_("Fills {product}; the organization name if empty.")
    )
    # {"en": {"question", "follow_up", "follow_up_<category>"?, "thank_you"}, "fr": …}
    texts = models.JSONField(default=dict, blank=True)
    default_language = models.CharField(max_length=8, choices=LANGUAGE_CHOICES, default="en")

    accent_color = models.CharField(max_length=7, default=DEFAULT_ACCENT)
    position = models.CharField(
        max_length=12, choices=Position.choices, default=Position.BOTTOM_RIGHT
    )
    logo_url = models.URLField(max_length=500, blank=True)
    # Exact origins (scheme://host[:port]) allowed to embed the widget.
    allowed_origins = models.JSONField(default=list, blank=True)

    first_prompt_after_days = models.SmallIntegerField(
        default=0, validators=validation.days_validators()
    )
    hide_after_answer_days = models.SmallIntegerField(
        default=90, validators=validation.days_validators()
    )
    hide_after_dismiss_days = models.SmallIntegerField(
        default=10, validators=validation.days_validators()
    )
    sampling_percent = models.SmallIntegerField(
        default=100, validators=validation.percent_validators()
    )

    # The widget's public handle: unguessable, stable, and not a secret. Not
    # editable, so no form can change it under live embeds.
    public_key = models.CharField(
        max_length=32, unique=True, default=new_public_key, editable=False
    )
    is_active = models.BooleanField(default=True)
    # Recurring relational survey: a new email request this many days after a
    # person's last answer to it. Null means no recurrence.
    recur_days = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sampling_percent__gte=0) & Q(sampling_percent__lte=100),
                name="survey_sampling_percent_0_100",
            ),
            models.CheckConstraint(
                condition=Q(first_prompt_after_days__gte=0)
                & Q(hide_after_answer_days__gte=0)
                & Q(hide_after_dismiss_days__gte=0),
                name="survey_policy_days_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    # The question was once a column of its own; code that reads or sets it
    # keeps working on the default language's text.
    @property
    def question(self) -> str:
        """The question in the default language, placeholders unfilled."""
        return str(self.texts.get(self.default_language, {}).get("question", ""))

    @question.setter
    def question(self, value: str) -> None:
        self.texts = {**self.texts}
        self.texts[self.default_language] = {
            **self.texts.get(self.default_language, {}),
            "question": value,
        }

    @property
    def languages(self) -> list[str]:
        return sorted(self.texts)

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        # Normalise first ("#ABCDEF " → "#abcdef"), so the field checks see the
        # clean value and an invalid one gets one clear message, not two.
        skip = set(exclude or ())
        errors: dict[str, Any] = {}
        for field, normalize in _NORMALIZERS.items():
            if field not in skip:
                self._normalize(field, normalize, errors)
        try:
            super().clean_fields(exclude=skip | set(errors))
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        self._normalize(
            "texts",
            lambda texts: validation.clean_texts(texts, default_language=self.default_language),
            errors,
        )
        if errors:
            raise ValidationError(errors)

    def _normalize(self, field: str, normalize: Any, errors: dict[str, Any]) -> None:
        try:
            setattr(self, field, normalize(getattr(self, field)))
        except ValidationError as error:
            errors[field] = error


_NORMALIZERS = {
    "name": validation.normalize_name,
    "product_name": lambda value: (value or "").strip(),
    "accent_color": validation.normalize_color,
    "default_language": validation.normalize_language,
    "allowed_origins": validation.normalize_origins,
    "logo_url": validation.normalize_logo_url,
}


class SurveyVariant(TenantModel):
    """A wording of a survey tried against others (an A/B test).

    `texts` override the survey's own, language by language and key by key;
    a variant without texts asks the survey's own words (the control).
    Respondents are split between a survey's active variants by weight.
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(max_length=80)
    weight = models.PositiveSmallIntegerField(default=50)
    texts = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "survey", "name"], name="uniq_variant_name_per_survey"
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=1) & Q(weight__lte=1000), name="variant_weight_1_1000"
            ),
        ]

    def __str__(self) -> str:
        return self.name
