"""Celery tasks of the households app. Thin: the work is in households.importing.

`import_households` takes the job's id only, is late-acknowledged (a worker that dies mid-import
leaves the message to be redelivered) and idempotent (a finished job is not run again; the
import and the job's outcome are committed together). A lost database connection is retried.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import OperationalError

from . import importing


@shared_task(
    bind=True,
    name="households.import_households",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=10,
    retry_jitter=True,
    max_retries=3,
)
def import_households(self, job_id: int) -> dict[str, Any] | None:  # type: ignore[no-untyped-def]
    """Import the spreadsheet of household-import Job `job_id`, reporting progress on it."""
    final = self.request.retries >= (self.max_retries or 0)
    return importing.household_import_run(job_id=job_id, final_attempt=final)


@shared_task(name="households.compact_region_tallies")
def compact_region_tallies() -> int:
    """Sum the appended RegionTally rows into one per region (households.tally)."""
    from . import tally

    return tally.tally_compact()
