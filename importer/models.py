from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from surveys.models import Survey
from tenants.models import TenantModel


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    CHECKING = "checking", _("Checking")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Done")
    INVALID = "invalid", _("Invalid file")
    FAILED = "failed", _("Failed")


FINISHED = (ImportStatus.DONE, ImportStatus.INVALID, ImportStatus.FAILED)


class ImportJob(TenantModel):
    """One uploaded Delighted export, from upload to report.

    The file lives in the database until the import ends, so whichever worker
    machine picks the task up can read it; it is emptied once done.
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="import_jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    filename = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    content = models.BinaryField(default=b"")
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(default=0)
    done_rows = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    # [{"line": 12, "message": "…"}], the first few; error_count has them all.
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "survey", "created_at"])]

    def __str__(self) -> str:
        return f"Import of {self.filename} into {self.survey_id}"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        return self.done_rows * 100 // self.total_rows if self.total_rows else 0
