"""Writes of testimonials: consent, review, light edits, withdrawal, the wall."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from responses.models import Response
from responses.scoring import category
from surveys.models import Survey
from surveys.validation import normalize_color, normalize_origins
from tenants.models import Organization

from . import selectors, texts
from .models import ConsentAsk, Edit, Status, Testimonial, Wall

MAX_ATTRIBUTION = 100
EDITABLE = ("quote", "name", "company", "title")
# Typos only: an edit may change this share of the characters, or a few at least.
EDIT_SHARE = 0.1
EDIT_MIN_CHARACTERS = 3
REVIEWABLE = {
    Status.APPROVED: (Status.PENDING, Status.REJECTED),
    Status.REJECTED: (Status.PENDING, Status.APPROVED),
}


class NotEligible(Exception):
    """This answer cannot become a testimonial (not a promoter, no comment, not asked)."""


class AlreadyConsented(Exception):
    pass


@dataclass(frozen=True)
class Attribution:
    name: str
    company: str = ""
    title: str = ""


def consent_ask_set(*, survey: Survey, enabled: bool) -> None:
    if enabled:
        ConsentAsk.objects.get_or_create(organization_id=survey.organization_id, survey=survey)
    else:
        ConsentAsk.objects.filter(survey=survey).delete()


def eligible(*, response: Response) -> bool:
    """Promoters who wrote a comment, on a survey that asks."""
    return (
        category(response.score) == "promoter"
        and bool(response.comment.strip())
        and selectors.consent_asked(survey=response.survey)
    )


def clean_attribution(*, name: Any, company: Any = "", title: Any = "") -> Attribution:
    """Trimmed text of at most 100 characters each; a name is required."""
    values = {"name": name, "company": company, "title": title}
    cleaned: dict[str, str] = {}
    for field, value in values.items():
        if value is None:
            value = ""
        if not isinstance(value, str) or "\x00" in value or len(value) > MAX_ATTRIBUTION:
            raise ValidationError({field: _("Enter at most 100 characters of text.")})
        cleaned[field] = " ".join(value.split())
    if not cleaned["name"]:
        raise ValidationError({"name": _("Enter your name.")})
    return Attribution(**cleaned)


def testimonial_consent(
    *, response: Response, attribution: Attribution, language: str
) -> Testimonial:
    """Records the consent, word for word; the team reviews it before it is shown."""
    if not eligible(response=response):
        raise NotEligible
    quote = response.comment.strip()
    statement_text = texts.statement(company=response.survey.organization.name, language=language)
    testimonial = Testimonial(
        organization_id=response.organization_id,
        response=response,
        quote=quote,
        name=attribution.name,
        company=attribution.company,
        title=attribution.title,
        language=response.language or language,
        consent_text=texts.consent_record(
            statement_text=statement_text,
            quote=quote,
            name=attribution.name,
            company=attribution.company,
            title=attribution.title,
        ),
    )
    try:
        with transaction.atomic():
            testimonial.save()
    except IntegrityError:
        raise AlreadyConsented from None
    return testimonial


def testimonial_review(
    *, testimonial: Testimonial, status: str, reviewer: AbstractBaseUser | None
) -> bool:
    """Approve or reject; False when its state forbids it (e.g. withdrawn meanwhile).

    Conditional on the old state, so a withdrawal racing an approval always wins.
    """
    changed = Testimonial.objects.filter(
        pk=testimonial.pk, status__in=REVIEWABLE[Status(status)]
    ).update(status=status, reviewed_by=reviewer, reviewed_at=timezone.now())
    return changed == 1


def changed_characters(before: str, after: str) -> int:
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    same = sum(block.size for block in matcher.get_matching_blocks())
    return max(len(before), len(after)) - same


def edit_allowance(before: str) -> int:
    return max(EDIT_MIN_CHARACTERS, int(len(before) * EDIT_SHARE))


def _check_light(field: str, before: str, after: str) -> None:
    allowed = edit_allowance(before)
    # The length gap alone may already say no, before the costlier comparison.
    if abs(len(before) - len(after)) > allowed or changed_characters(before, after) > allowed:
        raise ValidationError(
            {
                field: _(
                    "Only small corrections are allowed (at most %(count)d characters "
                    "here): the words must stay the respondent's."
                )
                % {"count": allowed}
            }
        )


def testimonial_edit(
    *,
    testimonial: Testimonial,
    changes: dict[str, str],
    editor: AbstractBaseUser | None,
    editor_label: str,
) -> list[Edit]:
    """Typo fixes, each logged with before and after; all or nothing."""
    if testimonial.status == Status.WITHDRAWN:
        raise ValidationError(_("A withdrawn testimonial cannot be edited."))
    cleaned = _cleaned_changes(testimonial, changes)
    edits = []
    with transaction.atomic():
        for field, after in cleaned.items():
            before = getattr(testimonial, field)
            edits.append(
                Edit.objects.create(
                    organization_id=testimonial.organization_id,
                    testimonial=testimonial,
                    field=field,
                    before=before,
                    after=after,
                    editor=editor,
                    editor_label=editor_label,
                )
            )
            setattr(testimonial, field, after)
        if cleaned:
            testimonial.save(update_fields=list(cleaned))
    return edits


def _cleaned_changes(testimonial: Testimonial, changes: dict[str, str]) -> dict[str, str]:
    cleaned = {}
    for field, raw in changes.items():
        if field not in EDITABLE:
            raise ValidationError({field: _("This field cannot be edited.")})
        after = raw.strip() if isinstance(raw, str) else raw
        if not isinstance(after, str) or "\x00" in after:
            raise ValidationError({field: _("Enter text.")})
        if field == "quote" and not after:
            raise ValidationError({field: _("The quote cannot be empty.")})
        if field == "name" and not after:
            raise ValidationError({field: _("Enter a name.")})
        if field != "quote" and len(after) > MAX_ATTRIBUTION:
            raise ValidationError({field: _("Enter at most 100 characters of text.")})
        before = getattr(testimonial, field)
        if after != before:
            _check_light(field, before, after)
            cleaned[field] = after
    return cleaned


def testimonial_withdraw(*, testimonial: Testimonial) -> bool:
    """The respondent takes their consent back: never shown again, by anyone.

    True the first time; a second click changes nothing.
    """
    return (
        Testimonial.objects.filter(pk=testimonial.pk)
        .exclude(status=Status.WITHDRAWN)
        .update(status=Status.WITHDRAWN, withdrawn_at=timezone.now())
        == 1
    )


def wall_of(*, organization: Organization) -> Wall:
    """The organization's wall, created on first use with its surveys' origins."""
    wall = Wall.objects.filter(organization=organization).first()
    if wall is not None:
        return wall
    origins = selectors.survey_origins()
    try:
        with transaction.atomic():
            return Wall.objects.create(organization=organization, allowed_origins=origins)
    except IntegrityError:  # created by a concurrent request
        return Wall.objects.get(organization=organization)


def wall_save(
    *, organization: Organization, heading: str, accent_color: str, allowed_origins: list[str]
) -> Wall:
    """The settings page's save: the first one creates the wall, all or nothing."""
    with transaction.atomic():
        return wall_update(
            wall=wall_of(organization=organization),
            heading=heading,
            accent_color=accent_color,
            allowed_origins=allowed_origins,
        )


def wall_update(*, wall: Wall, heading: str, accent_color: str, allowed_origins: list[str]) -> Wall:
    wall.heading = heading.strip()[:120]
    wall.accent_color = normalize_color(accent_color)
    wall.allowed_origins = normalize_origins(allowed_origins)
    wall.save(update_fields=["heading", "accent_color", "allowed_origins"])
    return wall
