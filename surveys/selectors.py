"""Reads of surveys, including the widget's one cross-tenant lookup."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from tenants.row_security import find_in_any_organization

from .models import Survey, SurveyVariant
from .presets import CATEGORY_KEYS, LABELS, LANGUAGES, preset_text
from .validation import normalize_origin

MAX_PUBLIC_KEY = 32
_LANGUAGE_TAG = re.compile(r"[a-zA-Z]{2,3}")


def survey_by_public_key(*, public_key: str) -> Survey | None:
    """Any organization's survey by its public key, active or paused.

    The widget's endpoints learn the organization from this key, so this is the
    one read that cannot be scoped beforehand.
    """
    if not public_key or len(public_key) > MAX_PUBLIC_KEY or "\x00" in public_key:
        return None  # NUL: Postgres cannot even compare such a string
    return find_in_any_organization(Survey, field="public_key", value=public_key)


# The widget's survey lookups, per worker process: public key → (expiry, survey).
_WIDGET_SURVEYS: dict[str, tuple[float, Survey]] = {}
_WIDGET_SURVEYS_MAX = 10_000


def widget_survey(*, public_key: str) -> Survey | None:
    """`survey_by_public_key`, remembered for WIDGET_SURVEY_CACHE_SECONDS by this
    process: every widget request starts with this lookup, and a survey (with
    its organization) changes rarely.

    Saving or deleting a survey or an organization forgets what this process
    remembered at once (surveys.signals); other processes see the change when
    their entry expires, a few seconds later. Unknown keys are not remembered,
    so requests with random keys cannot fill the memory.
    """
    seconds = settings.WIDGET_SURVEY_CACHE_SECONDS
    if seconds <= 0:
        return survey_by_public_key(public_key=public_key)
    now = time.monotonic()
    known = _WIDGET_SURVEYS.get(public_key)
    if known is not None and known[0] > now:
        return known[1]
    survey = survey_by_public_key(public_key=public_key)
    if survey is not None:
        if len(_WIDGET_SURVEYS) >= _WIDGET_SURVEYS_MAX:
            _WIDGET_SURVEYS.clear()
        _WIDGET_SURVEYS[public_key] = (now + seconds, survey)
    else:
        _WIDGET_SURVEYS.pop(public_key, None)
    return survey


def widget_surveys_forget(*, public_key: str | None = None) -> None:
    """Forgets one survey, or every one (None); and every survey's variants."""
    if public_key is None:
        _WIDGET_SURVEYS.clear()
    else:
        _WIDGET_SURVEYS.pop(public_key, None)
    _RUNNING_VARIANTS.clear()


# The running variants of each survey, per worker process: survey id → (expiry, variants).
_RUNNING_VARIANTS: dict[int, tuple[float, list[SurveyVariant]]] = {}


def surveys_of_organization() -> QuerySet[Survey]:
    """The current organization's surveys, by name."""
    return Survey.objects.order_by("name")


def origin_allowed(*, survey: Survey, origin: str | None) -> bool:
    """Whether a browser's `Origin` header names one of the survey's allowed origins."""
    if not origin:
        return False
    try:
        return normalize_origin(origin) in survey.allowed_origins
    except ValidationError:
        return False


def pick_language(*, requested: str | None, available: list[str], default: str) -> str:
    """The respondent's language among `available`, else the survey default.

    `requested` is a tag ("fr-CA", "de_AT") or an Accept-Language header
    ("fr-CA,fr;q=0.9,en;q=0.8"); a regional tag falls back to its language.
    """
    for tag in _preferences(requested or ""):
        base = tag.split("-")[0]
        if _LANGUAGE_TAG.fullmatch(base) and base.lower() in available:
            return base.lower()
    return default if default in available else (available[0] if available else "en")


def _preferences(header: str) -> list[str]:
    weighted = []
    for position, item in enumerate(header.replace("_", "-").split(",")):
        tag, _, params = item.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        if tag and weight > 0:
            weighted.append((-weight, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def variants_of_survey(*, survey: Survey) -> QuerySet[SurveyVariant]:
    """Every variant of the survey, running or stopped, oldest first."""
    return SurveyVariant.objects.filter(survey=survey).order_by("created_at", "id")


def pick_variant(
    *, survey_id: int, subject: str, variants: Sequence[SurveyVariant]
) -> SurveyVariant | None:
    """The variant `subject` (a respondent, or one link visit) is shown, by weight.

    A hash of the survey and the subject, not a random draw: the same person
    sees the same wording on every visit and device, with nothing stored, and
    each survey splits people independently of the others.
    """
    if not variants:
        return None
    digest = hashlib.sha256(f"{survey_id}:{subject}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") / 2**64 * sum(v.weight for v in variants)
    for variant in variants:
        point -= variant.weight
        if point < 0:
            return variant
    return variants[-1]  # float rounding at the very top of the range


def variant_for(*, survey: Survey, subject: str) -> SurveyVariant | None:
    """The running variant for `subject`; None when the survey runs no A/B test."""
    return pick_variant(
        survey_id=survey.pk, subject=subject, variants=running_variants(survey=survey)
    )


def running_variants(*, survey: Survey) -> list[SurveyVariant]:
    """The variants shown now, remembered like the widget's survey (every widget
    request asks) and forgotten by this process when one is saved or deleted."""
    seconds = settings.WIDGET_SURVEY_CACHE_SECONDS
    now = time.monotonic()
    known = _RUNNING_VARIANTS.get(survey.pk)
    if seconds > 0 and known is not None and known[0] > now:
        return known[1]
    running = list(variants_of_survey(survey=survey).filter(is_active=True))
    if seconds > 0:
        if len(_RUNNING_VARIANTS) >= _WIDGET_SURVEYS_MAX:
            _RUNNING_VARIANTS.clear()
        _RUNNING_VARIANTS[survey.pk] = (now + seconds, running)
    return running


def widget_texts(
    *, survey: Survey, language: str | None, variant: SurveyVariant | None = None
) -> dict[str, Any]:
    """Everything the widget says, in the respondent's language, placeholders filled.

    {"language", "question", "follow_up": {"detractor", "passive", "promoter"},
     "thank_you", "labels": {"scale_low", "scale_high", "not_now", "never",
     "send", "skip", "close"}}
    """
    available = [code for code in LANGUAGES if code in survey.texts]
    chosen = pick_language(requested=language, available=available, default=survey.default_language)
    text = _text_getter(survey, chosen, variant)
    generic = text("follow_up")
    return {
        "language": chosen,
        "question": text("question"),
        "follow_up": {category: text(key) or generic for category, key in CATEGORY_KEYS.items()},
        "thank_you": text("thank_you"),
        "labels": dict(LABELS.get(chosen, LABELS["en"])),
    }


def _text_getter(survey: Survey, language: str, variant: SurveyVariant | None) -> Any:
    own = {**(survey.texts.get(language) or {})}
    if variant is not None:
        # A variant rewords some texts; the rest stay the survey's.
        own.update(variant.texts.get(language) or {})
    # A survey saved outside the services may lack some texts: the kind's
    # preset fills the gaps, so the widget never shows an empty line.
    values = {
        "{product}": survey.product_name or survey.organization.name,
        "{company}": survey.organization.name,
    }

    def text(key: str) -> str:
        raw = own.get(key) or (
            "" if key in CATEGORY_KEYS.values() else preset_text(survey.kind, language, key)
        )
        for placeholder, value in values.items():
            raw = raw.replace(placeholder, value)
        return str(raw)

    return text
