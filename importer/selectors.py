from django.db.models import QuerySet

from surveys.models import Survey

from .models import ImportJob


def import_jobs_of_survey(*, survey: Survey) -> QuerySet[ImportJob]:
    # The stored file can be large: pages never load it.
    return ImportJob.objects.filter(survey=survey).defer("content")


def import_job_of_survey(*, survey: Survey, import_id: int) -> ImportJob | None:
    return import_jobs_of_survey(survey=survey).filter(pk=import_id).first()
