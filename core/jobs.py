"""Background jobs that die: the sweep that marks them failed so they can be started again.

A worker killed mid-task (OOM, deploy, power) leaves its Job "running" for ever. Celery is set to
acknowledge late and reject on worker loss (config/settings.py), so the broker hands the task to
another worker; but until then, and if it never comes back, the page must not show "0 %" for ever.
Every status or progress write of a job is its heartbeat (`Job.updated_at`); a job queued or
running that has given no sign of life for JOB_STALE_AFTER_MINUTES is marked failed by the beat
task `core.fail_stale_jobs`, and its page offers to start it again. A task that does turn up later
may still finish it (the tasks check whether a newer job has replaced theirs).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Job

ACTIVE = (Job.Status.QUEUED, Job.Status.RUNNING)


def stale_before(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(minutes=settings.JOB_STALE_AFTER_MINUTES)


def jobs_fail_stale(*, now: dt.datetime | None = None) -> list[int]:
    """Mark failed every queued or running job silent past the limit; returns their ids.
    One UPDATE (the condition is repeated in it, so a job heard from meanwhile is spared)."""
    now = now or timezone.now()
    stale = Job.objects.filter(status__in=ACTIVE, updated_at__lt=stale_before(now))
    ids = sorted(stale.values_list("pk", flat=True))
    if ids:
        message = _(
            "The job stopped: no sign of life for %(minutes)s minutes (the worker may have been "
            "stopped). Start it again."
        ) % {"minutes": settings.JOB_STALE_AFTER_MINUTES}
        stale.filter(pk__in=ids).update(
            status=Job.Status.FAILED, message=message, finished_at=now, updated_at=now
        )
    return ids
