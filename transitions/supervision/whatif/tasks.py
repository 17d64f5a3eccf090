"""What-if task: thin, runs a scenario once (a redelivered message finds it no longer queued)."""

from celery import shared_task

from .services import whatif_run


@shared_task(name="transitions.run_whatif", acks_late=True)
def run_whatif(job_id: int) -> int | None:
    return whatif_run(job_id=job_id)
