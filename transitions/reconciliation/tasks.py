"""Reconciliation tasks: thin, idempotent (an imported batch is left alone; a rerun of the
reconciliation on the same data changes nothing)."""

from celery import shared_task

from .inbound import inbound_batch_import
from .services import reconciliation_run_job


@shared_task(name="transitions.import_inbound_batch", acks_late=True)
def import_inbound_batch(batch_id: int) -> str | None:
    return inbound_batch_import(batch_id=batch_id)


@shared_task(name="transitions.run_reconciliation", acks_late=True)
def run_reconciliation(job_id: int | None = None) -> int | None:
    return reconciliation_run_job(job_id=job_id)
