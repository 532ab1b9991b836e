"""Webhook tasks: ids in, rows loaded, services called; safe to run twice."""

from celery import shared_task

from tenants.context import tenant_task

from . import services


@shared_task(name="integrations.tasks.deliver")
@tenant_task
def deliver(*, delivery_id: int) -> str:
    """The first attempt of a new delivery (and short retries), straight away."""
    return services.delivery_attempt(delivery_id=delivery_id)


@shared_task(name="integrations.tasks.deliver_due")
def deliver_due() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE): retries that are due, and first
    attempts whose task was lost."""
    return services.deliveries_send_due()
