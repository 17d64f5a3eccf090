"""Celery tasks of payroll. Thin: the work is in assistance.payroll.services.

`build_payroll` is idempotent (the build itself is: running it twice gives the same lines, and a
finished job is not run again), retried on database errors (deadlock, lost connection) and
enqueued with `transaction.on_commit` by `assistance.payroll.services.payroll_build_start`.
Beat entries: CELERY_BEAT_SCHEDULE in config/settings.py (the one place).
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial

from celery import shared_task
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance.models import DibaoCase, Payroll
from assistance.payroll import services as payroll_services
from core.models import Job, Region, User
from core.months import first_of_next_month

log = logging.getLogger(__name__)


def _finish(job_id: int, *, status: str, message: str, result: dict | None = None) -> None:
    now = timezone.now()
    fields = {"status": status, "message": message[:1000], "finished_at": now, "updated_at": now}
    if status == Job.Status.DONE:
        job = Job.objects.get(pk=job_id)
        fields["progress_done"] = fields["progress_total"] = job.progress_total or 1
    if result is not None:
        fields["result"] = result
    Job.objects.filter(pk=job_id).update(**fields)


@shared_task(
    bind=True,
    name="assistance.build_payroll",
    autoretry_for=(DatabaseError,),
    retry_backoff=30,
    retry_jitter=True,
    max_retries=5,
    acks_late=True,
)
def build_payroll(self, job_id: int, county_id: int, month_iso: str, user_id: int | None):  # type: ignore[no-untyped-def]
    """Build the payroll of a district for a month, reporting progress on Job `job_id`."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.status == Job.Status.DONE:
        return None  # unknown, or already done (a redelivered message): nothing to do
    month = dt.date.fromisoformat(month_iso)
    if Payroll.objects.filter(county_id=county_id, month=month, job_id__gt=job_id).exists():
        return None  # redelivered after a restart (core.jobs) started a newer build: that one runs
    # A job the sweep marked failed may still be run by its redelivered task: it then finishes.
    # One state at a time: the status says "running", the message is the step (none yet).
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.RUNNING, message="", finished_at=None, updated_at=timezone.now()
    )
    county = Region.objects.get(pk=county_id)
    by = User.objects.get(pk=user_id) if user_id else None
    progress, close = payroll_services.job_progress_writer(job)
    try:
        result = payroll_services.payroll_build(
            county=county,
            month=month,
            by=by,
            job=job,
            progress=progress,
        )
    except (ValidationError, PermissionDenied) as exc:  # a refusal, not a fault: no retry
        message = "; ".join(getattr(exc, "messages", None) or [str(exc)])
        _finish(job_id, status=Job.Status.FAILED, message=message)
        return None
    except DatabaseError as exc:
        if self.request.retries >= self.max_retries:
            _finish(job_id, status=Job.Status.FAILED, message=str(exc))
        raise
    finally:
        close()
    data = result.as_json()
    _finish(
        job_id,
        status=Job.Status.DONE,
        message=_("%(n)s lines, %(total)s yuan") % {"n": data["lines"], "total": data["total"]},
        result={**job.result, **data},
    )
    return data


@shared_task(name="assistance.build_next_month_payrolls", acks_late=True)
def build_next_month_payrolls(on: str | None = None) -> list[int]:
    """Beat, on the 25th: a draft payroll of next month for every district with paid cases.
    Districts whose payroll for that month is already approved are skipped; returns the jobs."""
    day = dt.date.fromisoformat(on) if on else timezone.localdate()
    month = first_of_next_month(day)
    paying = DibaoCase.objects.filter(
        household__village__path__startswith=OuterRef("path"),
        status__in=[*payroll_services.PAID_STATUSES, *payroll_services.STOPPED_STATUSES],
        payment_start_month__lte=month,
    )
    approved = Payroll.objects.filter(
        county=OuterRef("pk"), month=month, status=Payroll.Status.APPROVED
    )
    counties = (
        Region.objects.filter(level=Region.Level.COUNTY)
        .filter(Exists(paying))
        .exclude(Exists(approved))
        .order_by("code")
    )
    jobs = []
    for county in counties:
        with transaction.atomic():
            payroll, _created = Payroll.objects.get_or_create(
                county=county, month=month, defaults={"status": Payroll.Status.BUILDING}
            )
            job = Job.objects.create(
                kind=payroll_services.JOB_KIND,
                region=county,
                progress_total=4,
                result={"payroll": payroll.pk, "month": month.isoformat(), "scheduled": True},
            )
            # The page shows its progress and refuses approval until it is done.
            Payroll.objects.filter(pk=payroll.pk).update(job=job)
            args = (job.pk, county.pk, month.isoformat(), None)
            transaction.on_commit(partial(build_payroll.delay, *args))
        jobs.append(job.pk)
    log.info("payroll drafts for %s enqueued: %s districts", month, len(jobs))
    return jobs


@shared_task(name="assistance.purge_orphan_attachments", acks_late=True)
def purge_orphan_attachments() -> int:
    from assistance.housekeeping import attachments_purge_orphans

    removed = attachments_purge_orphans()
    log.info("orphan attachment files removed: %s", len(removed))
    return len(removed)
