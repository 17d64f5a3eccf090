"""Exchange tasks: thin, idempotent (a month's batch is built once; a batch's overdue receipt is
told once)."""

from celery import shared_task
from django.utils import timezone

from .services import (
    exchange_batch_build_run,
    exchange_batches_build_month,
    exchange_batches_notify_overdue,
)


@shared_task(name="transitions.build_exchange_batch", acks_late=True)
def build_exchange_batch(job_id: int) -> int | None:
    return exchange_batch_build_run(job_id=job_id)


@shared_task(name="transitions.build_monthly_exchange_batches", acks_late=True)
def build_monthly_exchange_batches() -> dict[str, int]:
    return exchange_batches_build_month(on=timezone.localdate())


@shared_task(name="transitions.notify_overdue_exchange_batches", acks_late=True)
def notify_overdue_exchange_batches() -> int:
    return exchange_batches_notify_overdue(on=timezone.localdate())
