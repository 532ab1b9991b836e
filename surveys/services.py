"""Writes to surveys. Every write goes through the model's validation, so a
survey saved here is always one the widget can render."""

from __future__ import annotations

from typing import Any, TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from tenants.models import Organization

from . import validation
from .models import Survey, SurveyKind, SurveyVariant
from .presets import preset_texts


class SurveyFields(TypedDict, total=False):
    product_name: str
    texts: dict[str, dict[str, str]]
    default_language: str
    accent_color: str
    position: str
    logo_url: str
    allowed_origins: list[str]
    first_prompt_after_days: int
    hide_after_answer_days: int
    hide_after_dismiss_days: int
    sampling_percent: int
    recur_days: int | None


class SurveyChanges(SurveyFields, total=False):
    name: str
    kind: str


EDITABLE = SurveyChanges.__optional_keys__


def survey_create(
    *, organization: Organization, kind: str, name: str, **fields: Unpack[SurveyFields]
) -> Survey:
    """A survey prefilled from its kind's preset in every language.

    Texts given here are merged over the preset, language by language and key
    by key, so a caller can reword one question and keep everything else.
    """
    if kind not in SurveyKind.values:
        message = _("Unknown kind “%(kind)s”: use %(kinds)s.")
        raise ValidationError(
            {"kind": message % {"kind": kind, "kinds": ", ".join(SurveyKind.values)}}
        )
    texts = _merge(preset_texts(kind), fields.pop("texts", None) or {})
    survey = Survey(organization=organization, kind=kind, name=name, texts=texts)
    _assign(survey, dict(fields))
    return _save(survey)


def survey_update(*, survey: Survey, **changes: Unpack[SurveyChanges]) -> Survey:
    """Changes only the fields given. `texts`, when given, replaces all texts
    (an edit form sends them all); the public key never changes."""
    _assign(survey, dict(changes))
    return _save(survey)


def survey_pause(*, survey: Survey) -> Survey:
    return _set_active(survey, active=False)


def survey_resume(*, survey: Survey) -> Survey:
    return _set_active(survey, active=True)


def survey_delete(*, survey: Survey) -> int:
    """Deletes the survey with everything collected by it: its responses,
    prompt events, survey requests and daily counts. Returns how many
    responses went with it."""
    responses: int = survey.responses.count()
    survey.delete()
    return responses


def _set_active(survey: Survey, *, active: bool) -> Survey:
    if survey.is_active != active:
        survey.is_active = active
        survey.save(update_fields=["is_active", "updated_at"])
    return survey


def _assign(survey: Survey, values: dict[str, Any]) -> None:
    unknown = set(values) - EDITABLE
    if unknown:
        raise TypeError(f"Not editable survey fields: {', '.join(sorted(unknown))}.")
    for field, value in values.items():
        setattr(survey, field, value)


def _save(survey: Survey) -> Survey:
    # Uniqueness is left to the database: the public key is random and 128 bits
    # long, and a lookup here would need a tenant context the caller may lack.
    survey.full_clean(validate_unique=False, validate_constraints=False)
    survey.save()
    return survey


def _merge(base: dict[str, dict[str, str]], overrides: Any) -> dict[str, Any]:
    if not isinstance(overrides, dict):
        return overrides  # let validation report the shape
    merged: dict[str, Any] = {language: dict(entry) for language, entry in base.items()}
    for language, entry in overrides.items():
        if isinstance(entry, dict) and isinstance(merged.get(language), dict):
            merged[language].update(entry)
        else:
            merged[language] = entry
    return merged


# Variants (A/B tests) ------------------------------------------------------------

MAX_VARIANT_NAME = 80
MIN_WEIGHT, MAX_WEIGHT = 1, 1000


def variant_create(
    *,
    survey: Survey,
    name: str,
    weight: int = 50,
    texts: dict[str, dict[str, str]] | None = None,
) -> SurveyVariant:
    """A new running variant; its people come from the survey's other variants."""
    variant = SurveyVariant(organization_id=survey.organization_id, survey=survey)
    return _variant_save(variant, name=name, weight=weight, texts=texts or {})


def variant_update(
    *,
    variant: SurveyVariant,
    name: str | None = None,
    weight: int | None = None,
    texts: dict[str, dict[str, str]] | None = None,
    is_active: bool | None = None,
) -> SurveyVariant:
    """Changes the fields given (None keeps one). `texts` replaces all texts.

    A changed weight moves some respondents to another variant from then on:
    the split is recomputed from the weights at every prompt.
    """
    if is_active is not None:
        variant.is_active = is_active
    return _variant_save(
        variant,
        name=variant.name if name is None else name,
        weight=variant.weight if weight is None else weight,
        texts=variant.texts if texts is None else texts,
    )


def _variant_save(
    variant: SurveyVariant, *, name: str, weight: int, texts: dict[str, dict[str, str]]
) -> SurveyVariant:
    errors: dict[str, Any] = {}
    variant.name = _variant_name(variant, name, errors)
    variant.weight = _weight(weight, errors)
    try:
        variant.texts = validation.clean_override_texts(texts)
    except ValidationError as error:
        errors["texts"] = error.messages
    if errors:
        raise ValidationError(errors)
    variant.save()
    return variant


def _variant_name(variant: SurveyVariant, name: str, errors: dict[str, Any]) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_VARIANT_NAME:
        errors["name"] = [
            _("Give the variant a name of at most %(max)s characters.") % {"max": MAX_VARIANT_NAME}
        ]
    elif (
        SurveyVariant.objects.filter(survey_id=variant.survey_id, name=name)
        .exclude(pk=variant.pk)
        .exists()
    ):
        errors["name"] = [_("This survey already has a variant named “%(name)s”.") % {"name": name}]
    return name


def _weight(weight: Any, errors: dict[str, Any]) -> int:
    if (
        isinstance(weight, bool)
        or not isinstance(weight, int)
        or not (MIN_WEIGHT <= weight <= MAX_WEIGHT)
    ):
        errors["weight"] = [
            _("Use a weight from %(low)s to %(high)s.") % {"low": MIN_WEIGHT, "high": MAX_WEIGHT}
        ]
        return MIN_WEIGHT
    return weight
