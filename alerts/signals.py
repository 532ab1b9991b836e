"""Answers reach the chat through here: the capture path never imports alerts."""

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from responses.models import Response

from . import services


@receiver(post_save, sender=Response, dispatch_uid="alerts.response_saved")
def response_saved(
    sender: Any,
    instance: Response,
    created: bool,
    update_fields: Any = None,
    raw: bool = False,
    **kwargs: Any,
) -> None:
    """A new answer, or a score changed to a detractor's, may call for an alert.

    Queued after the commit, so a worker reads the stored answer, and a broken
    chat (or broker) can neither slow the answer down nor roll it back.
    """
    if raw:
        return
    if not created:
        score_changed = update_fields is None or "score" in update_fields
        if not score_changed or instance.score > 6:
            return
    organization_id, response_id = instance.organization_id, instance.pk
    transaction.on_commit(
        lambda: services.alert_queue(organization_id=organization_id, response_id=response_id)
    )
