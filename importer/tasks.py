"""Import tasks: ids in, the stored upload read from the database."""

from celery import shared_task

from tenants.context import tenant_task

from .services import import_job_run


# Hundreds of thousands of rows take well under a minute; the limits leave room
# for a slow database without letting a stuck import hold a worker for ever.
@shared_task(name="importer.tasks.run_import", soft_time_limit=1800, time_limit=1860)
@tenant_task
def run_import(*, job_id: int) -> None:
    import_job_run(job_id=job_id)
