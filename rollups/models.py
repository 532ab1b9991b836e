"""Daily score counts per (organization, survey, local day, channel).

A rollup row holds absolute counts recomputed from raw rows, never increments,
so writing it twice, concurrently or after a redelivered task gives the same
row. See `rollups.services` for how rows are kept fresh and
`rollups.selectors` for when the dashboards may trust them.
"""

from django.db import models
from django.utils import timezone

from surveys.models import Survey
from tenants.models import TenantModel

SCORE_FIELDS = tuple(f"s{score}" for score in range(11))


class RollupDay(TenantModel):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    # The organization's local day, in the time zone recorded on its Watermark.
    day = models.DateField()
    channel = models.CharField(max_length=10)
    s0 = models.PositiveIntegerField(default=0)
    s1 = models.PositiveIntegerField(default=0)
    s2 = models.PositiveIntegerField(default=0)
    s3 = models.PositiveIntegerField(default=0)
    s4 = models.PositiveIntegerField(default=0)
    s5 = models.PositiveIntegerField(default=0)
    s6 = models.PositiveIntegerField(default=0)
    s7 = models.PositiveIntegerField(default=0)
    s8 = models.PositiveIntegerField(default=0)
    s9 = models.PositiveIntegerField(default=0)
    s10 = models.PositiveIntegerField(default=0)
    displays = models.PositiveIntegerField(default=0)
    # "Not now" and "don't ask again" together.
    dismissals = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "survey", "day", "channel"], name="uniq_rollup_day"
            ),
        ]
        indexes = [models.Index(fields=["organization", "day"])]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.day} {self.channel}"


class Watermark(TenantModel):
    """How far the incremental rollup has read one organization's rows.

    `through` is None until the first complete recompute; `time_zone` is the
    zone its days were cut in, so a changed zone is noticed and rebuilt.
    """

    through = models.DateTimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="uniq_rollup_watermark"),
        ]

    def __str__(self) -> str:
        return f"Rollups of {self.organization_id} through {self.through}"


class DirtyKey(models.Model):
    """A key whose rows changed in a way timestamps cannot show: a deleted
    response, or one moved to another survey, day or channel.

    Written in the same transaction as the change and consumed (deleted by id)
    by the run that recomputes it, so it is a queue with no race. Plain ids, no
    foreign keys: it is written while a survey or organization is being
    deleted, and must not block that delete.
    """

    organization_id = models.BigIntegerField()
    survey_id = models.BigIntegerField()
    channel = models.CharField(max_length=10)
    # The row's time, cut into a local day by whoever reads it.
    created_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["organization_id", "created_at"])]

    def __str__(self) -> str:
        return f"{self.organization_id}/{self.survey_id}/{self.channel} at {self.created_at}"
