"""The themes computation, off the request: ids in, rows reloaded."""

from celery import shared_task

from tenants.context import tenant_task

from .services import themes_compute


@shared_task(name="themes.tasks.compute_themes")
@tenant_task
def compute_themes(*, snapshot_id: int) -> None:
    themes_compute(snapshot_id=snapshot_id)
