"""Comment themes: computed per survey and period, and the admins' decisions on them.

A `ThemeSnapshot` is the cache of one computation: the themes of one survey
(or every survey) over one period of local days. `ThemeMention` rows say which
response is in which theme, so the responses list can show a theme's comments
and the tag action can reach them. `ThemeDecision`s (renames and merges) are
kept apart and applied when themes are read, so a recompute never loses them.
"""

from typing import TypedDict, cast

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from responses.models import Response
from surveys.models import Survey
from tenants.models import TenantModel

KEY_LENGTH = 120
LABEL_LENGTH = 80


class StoredTheme(TypedDict):
    """One computed theme as `ThemeSnapshot.themes` keeps it."""

    key: str
    label: str
    aliases: list[str]
    related: list[str]
    count: int
    detractors: int
    passives: int
    promoters: int
    sample_ids: list[int]


class ThemeSnapshot(TenantModel):
    # Null: every survey of the organization.
    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    first = models.DateField()
    last = models.DateField()
    # What the comments looked like when the last run read them; a different
    # one now means the result is stale.
    fingerprint = models.CharField(max_length=100, blank=True)
    computing = models.BooleanField(default=False)
    requested_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    comment_count = models.PositiveIntegerField(default=0)
    detractor_comments = models.PositiveIntegerField(default=0)
    passive_comments = models.PositiveIntegerField(default=0)
    promoter_comments = models.PositiveIntegerField(default=0)
    unthemed = models.PositiveIntegerField(default=0)
    # StoredTheme dicts, most comments first. Words and counts only: comment
    # texts stay in their responses (an erasure removes them there).
    themes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "survey", "first", "last"],
                condition=Q(survey__isnull=False),
                name="uniq_theme_snapshot_survey",
            ),
            models.UniqueConstraint(
                fields=["organization", "first", "last"],
                condition=Q(survey__isnull=True),
                name="uniq_theme_snapshot_all_surveys",
            ),
        ]

    def __str__(self) -> str:
        return f"Themes of {self.survey_id or 'all surveys'} {self.first}…{self.last}"

    @property
    def has_result(self) -> bool:
        return self.computed_at is not None


def stored_themes(snapshot: ThemeSnapshot) -> list[StoredTheme]:
    return cast(list[StoredTheme], snapshot.themes)


class ThemeMention(TenantModel):
    snapshot = models.ForeignKey(ThemeSnapshot, on_delete=models.CASCADE, related_name="mentions")
    key = models.CharField(max_length=KEY_LENGTH)
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "snapshot", "key", "response"], name="uniq_theme_mention"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.response_id} in {self.key}"


class ThemeDecision(TenantModel):
    """An admin's rename or merge of a theme, for the whole organization.

    Keyed by the theme's stem key ("facil utilis"), never by a snapshot, so it
    applies to every survey and period, and to every recompute.
    """

    key = models.CharField(max_length=KEY_LENGTH)
    label = models.CharField(max_length=LABEL_LENGTH, blank=True)
    merge_into = models.CharField(max_length=KEY_LENGTH, blank=True)
    # The label of the theme it joined, as it was then: a period where that
    # theme has no comments still shows the merged one under its name.
    merge_label = models.CharField(max_length=LABEL_LENGTH, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="uniq_theme_decision"),
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.label or self.merge_into}"
