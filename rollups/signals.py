"""Queue the keys that timestamps cannot reveal: deletes and moves.

A deleted row leaves no timestamp behind, and a response moved to another
survey, day or channel leaves its old key stale; both are written to
`DirtyKey` in the same transaction as the change, so the queue entry commits
(or rolls back) with it.
"""

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from responses.models import PromptEvent, Response

from .models import DirtyKey
from .services import COUNTED_EVENTS, overlap

KEY_FIELDS = {"survey", "survey_id", "created_at", "channel"}


def _queue(row: Response | PromptEvent) -> None:
    DirtyKey.objects.create(
        organization_id=row.organization_id,
        survey_id=row.survey_id,
        channel=row.channel,
        created_at=row.created_at,
    )


@receiver(post_delete, sender=Response)
def response_deleted(sender: Any, instance: Response, **kwargs: Any) -> None:
    _queue(instance)


@receiver(pre_save, sender=Response)
def response_moving(
    sender: Any, instance: Response, update_fields: Any = None, raw: bool = False, **kwargs: Any
) -> None:
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not KEY_FIELDS & set(update_fields):
        return  # a score or a comment: the key is unchanged and updated_at shows it
    old = Response.objects.unscoped().filter(pk=instance.pk).first()
    if old is not None and (old.survey_id, old.created_at, old.channel) != (
        instance.survey_id,
        instance.created_at,
        instance.channel,
    ):
        _queue(old)


@receiver(post_delete, sender=PromptEvent)
def event_deleted(sender: Any, instance: PromptEvent, **kwargs: Any) -> None:
    if instance.kind in COUNTED_EVENTS:
        _queue(instance)


@receiver(post_save, sender=PromptEvent)
def event_backdated(sender: Any, instance: PromptEvent, created: bool, **kwargs: Any) -> None:
    # Events are found by created_at; one written with an older time is not.
    late = instance.created_at < timezone.now() - overlap()
    if created and late and instance.kind in COUNTED_EVENTS:
        _queue(instance)
