from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from responses.models import Response

from . import services


@receiver(post_save, sender=Response, dispatch_uid="outreach.recurrence_after_answer")
def schedule_next_request(sender: Any, instance: Response, created: bool, **kwargs: Any) -> None:
    """A new answer, from any channel, sets when an enrolled person is asked again.

    Runs inside the answer's transaction: the answer and its next request are
    stored together or not at all. An edited answer (a changed score, a late
    comment) is not a new answer and moves nothing.
    """
    if created and not kwargs.get("raw"):
        services.recurrence_after_answer(response=instance)
