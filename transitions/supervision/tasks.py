"""Supervision tasks: thin and idempotent (the monitoring run opens no case twice; a workbook
job is built once)."""

from celery import shared_task
from django.utils import timezone


@shared_task(name="transitions.build_supervision_workbook", acks_late=True)
def build_supervision_workbook(job_id: int) -> str | None:
    from .services import supervision_workbook_run

    return supervision_workbook_run(job_id=job_id)


@shared_task(name="transitions.run_monitoring", acks_late=True)
def run_monitoring() -> dict[str, int]:
    from .monitoring.services import monitoring_run

    return monitoring_run(on=timezone.localdate())
