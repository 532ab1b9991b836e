"""Forms of the survey pages. They only shape input; the rules live in
validation.py and the model, reached through the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import validation
from .models import LANGUAGE_CHOICES, Position, Survey, SurveyKind
from .presets import LANGUAGE_NAMES, LANGUAGES, TEXT_KEYS
from .services import SurveyChanges

TEXT_LABELS = {
    "question": _("Question"),
    "follow_up": _("Follow-up question (everyone)"),
    "follow_up_detractor": _("Follow-up for detractors (0 to 6)"),
    "follow_up_passive": _("Follow-up for passives (7 or 8)"),
    "follow_up_promoter": _("Follow-up for promoters (9 or 10)"),
    "thank_you": _("Thank-you text"),
}
POLICY_FIELDS = (
    "first_prompt_after_days",
    "hide_after_answer_days",
    "hide_after_dismiss_days",
    "sampling_percent",
)


def text_field_name(language: str, key: str) -> str:
    return f"{language}_{key}"


class SurveyCreateForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Template"),
        choices=SurveyKind.choices,
        initial=SurveyKind.CUSTOMER,
        widget=forms.RadioSelect,
    )
    name = forms.CharField(label=_("Name"), max_length=120)
    product_name = forms.CharField(
        label=_("Product name"),
        max_length=120,
        required=False,
        help_text=_("Fills {product} in the questions; the organization name if empty."),
    )


class SurveyEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    product_name = forms.CharField(label=_("Product name"), max_length=120, required=False)
    default_language = forms.ChoiceField(label=_("Default language"), choices=LANGUAGE_CHOICES)

    accent_color = forms.CharField(
        label=_("Accent colour"), max_length=20, widget=forms.TextInput(attrs={"type": "color"})
    )
    position = forms.ChoiceField(
        label=_("Position"), choices=Position.choices, widget=forms.RadioSelect
    )
    logo_url = forms.CharField(
        label=_("Logo URL"),
        max_length=500,
        required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://…"}),
    )

    first_prompt_after_days = forms.IntegerField(
        label=_("First prompt after (days since first seen)"),
        validators=validation.days_validators(),
    )
    hide_after_answer_days = forms.IntegerField(
        label=_("Ask again after an answer (days)"), validators=validation.days_validators()
    )
    hide_after_dismiss_days = forms.IntegerField(
        label=_("Ask again after “Not now” (days)"), validators=validation.days_validators()
    )
    sampling_percent = forms.IntegerField(
        label=_("Sampling (% of eligible visitors)"), validators=validation.percent_validators()
    )

    allowed_origins = forms.CharField(
        label=_("Allowed origins"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "https://app.example.com"}),
        help_text=_("One per line: the pages' scheme, host and port, without a path."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for language in LANGUAGES:
            for key in TEXT_KEYS:
                self.fields[text_field_name(language, key)] = forms.CharField(
                    label=TEXT_LABELS[key],
                    required=False,
                    max_length=validation.MAX_TEXT,
                    widget=forms.Textarea(attrs={"rows": 3 if key == "question" else 2}),
                )

    @classmethod
    def initial_for(cls, survey: Survey) -> dict[str, Any]:
        initial: dict[str, Any] = {
            field: getattr(survey, field)
            for field in ("name", "product_name", "default_language", "accent_color")
        }
        initial.update({field: getattr(survey, field) for field in POLICY_FIELDS})
        initial["position"] = survey.position
        initial["logo_url"] = survey.logo_url
        initial["allowed_origins"] = "\n".join(survey.allowed_origins)
        for language, entry in survey.texts.items():
            for key, text in entry.items():
                initial[text_field_name(language, key)] = text
        return initial

    # The same checks as the services, run here too so that every problem is
    # reported at once, not only those of the fields the form let through.
    def clean_name(self) -> str:
        return validation.normalize_name(self.cleaned_data["name"])

    def clean_accent_color(self) -> str:
        return validation.normalize_color(self.cleaned_data["accent_color"])

    def clean_logo_url(self) -> str:
        return validation.normalize_logo_url(self.cleaned_data["logo_url"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            validation.clean_texts(
                self._texts(), default_language=cleaned.get("default_language", "")
            )
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned

    def clean_allowed_origins(self) -> list[str]:
        """One message per bad line, with its number, so each can be found and fixed."""
        lines = str(self.cleaned_data.get("allowed_origins") or "").splitlines()
        errors: list[str] = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                validation.normalize_origin(line)
            except ValidationError as error:
                errors.extend(
                    gettext("Line %(number)s: %(message)s") % {"number": number, "message": m}
                    for m in error.messages
                )
        if errors:
            raise ValidationError(errors)
        return [line.strip() for line in lines if line.strip()]

    def language_sections(self) -> list[dict[str, Any]]:
        """The text fields grouped by language, for the template."""
        return [
            {
                "code": language,
                "name": LANGUAGE_NAMES[language],
                "fields": [self[text_field_name(language, key)] for key in TEXT_KEYS],
            }
            for language in LANGUAGES
        ]

    def changes(self) -> SurveyChanges:
        data = self.cleaned_data
        changes = SurveyChanges(
            name=data["name"],
            product_name=data["product_name"],
            default_language=data["default_language"],
            texts=self._texts(),
            accent_color=data["accent_color"],
            position=data["position"],
            logo_url=data["logo_url"],
            allowed_origins=data["allowed_origins"],
        )
        for field in POLICY_FIELDS:
            changes[field] = data[field]  # type: ignore[literal-required]
        return changes

    def _texts(self) -> dict[str, dict[str, str]]:
        # A language left entirely empty is not offered to respondents.
        texts: dict[str, dict[str, str]] = {}
        for language in LANGUAGES:
            entry = {
                key: (self.cleaned_data.get(text_field_name(language, key)) or "").strip()
                for key in TEXT_KEYS
                if (self.cleaned_data.get(text_field_name(language, key)) or "").strip()
            }
            if entry:
                texts[language] = entry
        return texts

    def add_model_errors(self, error: ValidationError) -> None:
        """Files the services' errors under the fields they belong to."""
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class VariantForm(forms.Form):
    """A variant's name, weight and the texts it rewords; empty texts keep the survey's."""

    name = forms.CharField(label=_("Name"), max_length=80)
    weight = forms.IntegerField(
        label=_("Weight"),
        min_value=1,
        max_value=1000,
        initial=50,
        help_text=_("Respondents are split between running variants in proportion to weight."),
    )

    def __init__(self, *args: Any, survey: Survey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.survey = survey
        # Only the languages the survey speaks: a variant cannot add one.
        for language in survey.languages:
            for key in TEXT_KEYS:
                self.fields[text_field_name(language, key)] = forms.CharField(
                    label=TEXT_LABELS[key],
                    required=False,
                    max_length=validation.MAX_TEXT,
                    widget=forms.Textarea(
                        attrs={"rows": 2, "placeholder": survey.texts[language].get(key, "")}
                    ),
                )

    @classmethod
    def initial_for(cls, variant: Any) -> dict[str, Any]:
        initial: dict[str, Any] = {"name": variant.name, "weight": variant.weight}
        for language, entry in variant.texts.items():
            for key, text in entry.items():
                initial[text_field_name(language, key)] = text
        return initial

    def language_sections(self) -> list[dict[str, Any]]:
        return [
            {
                "code": language,
                "name": LANGUAGE_NAMES.get(language, language),
                "fields": [self[text_field_name(language, key)] for key in TEXT_KEYS],
            }
            for language in self.survey.languages
            if language in LANGUAGE_NAMES
        ]

    def texts(self) -> dict[str, dict[str, str]]:
        texts: dict[str, dict[str, str]] = {}
        for language in self.survey.languages:
            entry = {
                key: text
                for key in TEXT_KEYS
                if (text := (self.cleaned_data.get(text_field_name(language, key)) or "").strip())
            }
            if entry:
                texts[language] = entry
        return texts

    def add_model_errors(self, error: ValidationError) -> None:
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class VariantCreateForm(VariantForm):
    with_control = forms.BooleanField(
        label=_("Also create “Original”, a control variant with the survey's own texts"),
        required=False,
        initial=True,
    )
