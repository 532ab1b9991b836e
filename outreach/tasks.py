from celery import shared_task

from . import services


@shared_task
def send_due() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE): the due survey requests, sent once."""
    return services.requests_send_due()
