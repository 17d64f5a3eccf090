"""Celery tasks of scores: take ids, call the service, report progress on a core.Job."""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext as _

__all__ = ["household_scores_compute_task"]


@shared_task(
    name="verification.household_scores_compute",
    autoretry_for=(DatabaseError,),
    retry_backoff=60,
    retry_jitter=True,
    max_retries=5,
    acks_late=True,
)
def household_scores_compute_task(
    household_ids: list[int] | None = None,
    on: str | None = None,
    by_id: int | None = None,
    job_id: int | None = None,
) -> dict[str, Any]:
    """Score the given households (all when None) on `on` (ISO date; today when None)."""
    from core.job_progress import job_finish, job_progress_writer
    from core.models import Job, User
    from verification.scores.services import household_scores_compute

    day = dt.date.fromisoformat(on) if on else timezone.localdate()
    by = User.objects.filter(pk=by_id).first() if by_id else None
    job = Job.objects.filter(pk=job_id).first() if job_id else None
    if job is None:
        written = household_scores_compute(household_ids=household_ids, on=day, by=by)
        return {"scored": written}
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, updated_at=timezone.now())
    progress, close = job_progress_writer(job)
    try:
        written = household_scores_compute(
            household_ids=household_ids, on=day, by=by, progress=progress
        )
    except Exception as e:
        job_finish(job.pk, status=Job.Status.FAILED, message=str(e))
        raise
    finally:
        close()
    job_finish(
        job.pk,
        status=Job.Status.DONE,
        message=_("%(n)s households scored") % {"n": written},
        result={"scored": written},
    )
    return {"scored": written}
