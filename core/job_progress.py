"""Progress and outcome of a background `core.Job` (payroll builds, household imports …).

    progress, close = job_progress_writer(job)
    try:
        work(progress=progress)          # progress(done, total, message)
    finally:
        close()
    job_finish(job.pk, status=Job.Status.DONE, message=..., result=...)

The page polls the Job (HTMX, templates/core/_job_progress.html) while the work's own
transaction is still open, so progress is written on a separate autocommit connection.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, connections
from django.utils import timezone

from .models import Job

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]


def job_progress_writer(job: Job) -> tuple[Progress, Callable[[], None]]:
    """A progress callback that writes on its own autocommit connection, so the page polling the
    Job sees it while the work's transaction is still open; and a function closing it.

    Failures to write progress never fail the work (a missing row, e.g. in a test whose job
    is not committed, just updates nothing)."""
    side = connections.create_connection("default")
    table = Job._meta.db_table
    fresh = True

    def progress(done: int, total: int, message: str) -> None:
        nonlocal fresh
        try:
            with side.cursor() as cur:
                if fresh:  # best effort: the work never waits for this commit's disk flush
                    cur.execute("SET synchronous_commit TO off")
                    fresh = False
                cur.execute(
                    f"UPDATE {table} SET progress_done = %s, progress_total = %s, message = %s, "  # noqa: S608
                    "updated_at = %s WHERE id = %s",  # updated_at: the heartbeat (core.jobs)
                    [done, total, message[:1000], timezone.now(), job.pk],
                )
        except DatabaseError:  # pragma: no cover - progress is best effort
            log.warning("job %s: progress not written", job.pk, exc_info=True)

    return progress, side.close


def job_finish(
    job_id: int, *, status: str, message: str, result: dict[str, Any] | None = None
) -> None:
    """Mark a job done or failed (a done job's bar is full)."""
    fields: dict[str, Any] = {
        "status": status,
        "message": message[:1000],
        "finished_at": timezone.now(),
    }
    if status == Job.Status.DONE:
        job = Job.objects.get(pk=job_id)
        fields["progress_done"] = fields["progress_total"] = job.progress_total or 1
    if result is not None:
        fields["result"] = result
    Job.objects.filter(pk=job_id).update(**fields)
