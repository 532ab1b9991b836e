"""Answers and unsubscribes become webhook events, after they commit.

A broken webhook must never slow or fail an answer: nothing here touches the
network, and the work done after commit is `robust` (an error is logged, the
answer stays stored and acknowledged). Rows written by `bulk_create` (imports)
send no signal, hence no event.
"""

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from outreach.models import Suppression
from responses.models import Response

from . import services
from .models import Event


@receiver(post_save, sender=Response, dispatch_uid="integrations.response_saved")
def response_saved(
    sender: Any, instance: Response, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if raw:
        return
    event_type = Event.RESPONSE_CREATED if created else Event.RESPONSE_UPDATED
    organization_id, response_id = instance.organization_id, instance.pk
    transaction.on_commit(
        lambda: services.response_event_committed(
            organization_id=organization_id, event_type=event_type, response_id=response_id
        ),
        robust=True,
    )


@receiver(post_delete, sender=Response, dispatch_uid="integrations.response_deleted")
def response_deleted(sender: Any, instance: Response, **kwargs: Any) -> None:
    services.response_deleted(response=instance)


@receiver(post_save, sender=Suppression, dispatch_uid="integrations.unsubscribe_created")
def suppression_saved(
    sender: Any, instance: Suppression, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if raw or not created or instance.reason != Suppression.Reason.UNSUBSCRIBED:
        return
    organization_id, suppression_id = instance.organization_id, instance.pk
    transaction.on_commit(
        lambda: services.unsubscribe_event_committed(
            organization_id=organization_id, suppression_id=suppression_id
        ),
        robust=True,
    )
