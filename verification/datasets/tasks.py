"""Celery tasks of datasets. Thin: the work is in importing.py (validation) and services.py
(merge). Both take the snapshot's id only, are late-acknowledged (a worker that dies mid-task
leaves the message to be redelivered) and idempotent (a snapshot past the step is left alone;
each step commits its writes and its status together). A lost database connection is retried."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

__all__ = ["merge_snapshot", "validate_snapshot"]


@shared_task(
    bind=True,
    name="verification.validate_snapshot",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=10,
    retry_jitter=True,
    max_retries=3,
)
def validate_snapshot(self, snapshot_id: int) -> str | None:  # type: ignore[no-untyped-def]
    from .importing import snapshot_validate

    final = self.request.retries >= (self.max_retries or 0)
    return snapshot_validate(snapshot_id=snapshot_id, final_attempt=final)


@shared_task(
    name="verification.merge_snapshot",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=10,
    retry_jitter=True,
    max_retries=5,
)
def merge_snapshot(snapshot_id: int) -> str | None:
    from .services import dataset_merge

    return dataset_merge(snapshot_id=snapshot_id)
