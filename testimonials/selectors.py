"""Reads of testimonials: the back office's lists, and the public wall's."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.urls import reverse

from responses.models import Response
from surveys.models import Survey
from tenants.models import Organization
from tenants.row_security import find_in_any_organization

from .models import ConsentAsk, Status, Testimonial, Wall

MAX_KEY = 64
WALL_LIMIT_DEFAULT = 12
WALL_LIMIT_MAX = 50


def _usable_key(value: str) -> bool:
    return bool(value) and len(value) <= MAX_KEY and "\x00" not in value


def wall_by_public_key(*, public_key: str) -> Wall | None:
    """Any organization's wall: the public pages learn the organization from it."""
    if not _usable_key(public_key):
        return None
    return find_in_any_organization(Wall, field="public_key", value=public_key)


def wall_or_default(*, organization: Organization) -> Wall:
    """The organization's wall, or an unsaved one with the defaults its first
    save will store: opening the settings page writes nothing."""
    wall = Wall.objects.filter(organization=organization).first()
    if wall is None:
        wall = Wall(organization=organization, allowed_origins=survey_origins())
    return wall


def survey_origins() -> list[str]:
    """Every origin the organization's surveys allow: a new wall's default."""
    return sorted({o for s in Survey.objects.all() for o in s.allowed_origins or []})


def testimonial_by_withdraw_token(*, token: str) -> Testimonial | None:
    if not _usable_key(token):
        return None
    return find_in_any_organization(Testimonial, field="withdraw_token", value=token)


def consent_asked(*, survey: Survey) -> bool:
    return ConsentAsk.objects.filter(survey=survey).exists()


def quoted(*, response: Response) -> bool:
    """Whether this answer already has a testimonial, in any state."""
    return Testimonial.objects.filter(response=response).exists()


def asking_survey_ids() -> set[int]:
    return set(ConsentAsk.objects.values_list("survey_id", flat=True))


def testimonials_listed(*, status: str = "") -> QuerySet[Testimonial]:
    """Newest consent first; `status` keeps one state, empty keeps all."""
    rows = Testimonial.objects.select_related("response__survey", "reviewed_by")
    return rows.filter(status=status) if status else rows


def testimonial_detail(*, testimonial_id: int) -> Testimonial | None:
    return testimonials_listed().prefetch_related("edits__editor").filter(pk=testimonial_id).first()


def status_counts() -> dict[str, int]:
    counts = dict(Testimonial.objects.values_list("status").annotate(n=Count("id")))
    return {status: counts.get(status, 0) for status in Status.values}


def wall_testimonials(*, language: str = "", limit: int = WALL_LIMIT_DEFAULT) -> list[Testimonial]:
    """What the wall shows, read at request time: a withdrawn or rejected one is
    gone from the very next request."""
    rows = Testimonial.objects.filter(status=Status.APPROVED)
    if language:
        rows = rows.filter(language=language)
    return list(rows.order_by("-consented_at", "-id")[: max(1, min(limit, WALL_LIMIT_MAX))])


def withdraw_path(testimonial: Testimonial) -> str:
    return reverse("testimonial_withdraw", args=[testimonial.withdraw_token])
