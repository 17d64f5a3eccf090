"""Deliveries of registry notifications to subscribers' callback URLs: one attempt per run,
recorded (RegistryDelivery); a failure is retried with a growing delay until
REGISTRY_NOTIFY_MAX_ATTEMPTS, then the notification is marked failed. Idempotent: a delivered
notification is not sent again."""

from typing import Any

from celery import shared_task

from .services import notification_deliver


@shared_task(
    name="transitions.deliver_registry_notification", bind=True, acks_late=True, max_retries=None
)
def deliver_registry_notification(self: Any, notification_id: str) -> bool | None:
    ok = notification_deliver(notification_id=notification_id)
    if ok is False:
        from transitions.models import RegistryNotification

        n = (
            RegistryNotification.objects.filter(pk=notification_id)
            .only("status", "attempts")
            .first()
        )
        if n is not None and n.status == RegistryNotification.Status.QUEUED:
            raise self.retry(countdown=min(3600, 60 * 2 ** (n.attempts - 1)))
    return ok
