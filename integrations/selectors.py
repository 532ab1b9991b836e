"""Reads of webhook subscriptions and their delivery log."""

from django.db.models import Prefetch, QuerySet

from .models import Delivery, DeliveryAttempt, Webhook


def webhooks_of_organization() -> QuerySet[Webhook]:
    return Webhook.objects.select_related("survey")


def subscribers(*, organization_id: int, event_type: str, survey_id: int | None) -> list[Webhook]:
    """Active subscriptions of one organization that want this event.

    Called from the write path of answers, with or without a tenant context,
    so it names the organization itself; the event filter runs in Python to
    stay the same on every database.
    """
    return wanting(
        active_webhooks(organization_id=organization_id), event_type=event_type, survey_id=survey_id
    )


def active_webhooks(*, organization_id: int) -> list[Webhook]:
    return list(Webhook.objects.unscoped().filter(organization_id=organization_id, is_active=True))


def wanting(hooks: list[Webhook], *, event_type: str, survey_id: int | None) -> list[Webhook]:
    return [hook for hook in hooks if hook.wants(event_type=event_type, survey_id=survey_id)]


def deliveries_of_webhook(*, webhook: Webhook, status: str = "") -> QuerySet[Delivery]:
    deliveries = Delivery.objects.filter(webhook=webhook).prefetch_related(
        Prefetch("attempt_log", queryset=DeliveryAttempt.objects.order_by("number"))
    )
    return deliveries.filter(status=status) if status else deliveries
