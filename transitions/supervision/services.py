"""Supervision's writes: the annual workbook as a background job (core.Job): requested by a
user, built by a Celery task as that user (their districts only), kept in the private storage
and downloaded by the user who asked for it."""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.job_progress import job_finish, job_progress_writer
from core.models import Job, User

from .selectors import supervision_allowed
from .workbook import supervision_workbook, year_months

JOB_KIND = "supervision_workbook"
FIRST_YEAR = 2017  # the plan's first year (domain.md §10)


@transaction.atomic
def supervision_workbook_request(*, year: int, by: User) -> Job:
    if not supervision_allowed(by):
        raise PermissionDenied(_("Your role cannot see the supervision report."))
    today = timezone.localdate()
    if not FIRST_YEAR <= year <= today.year:
        raise ValidationError(
            {"year": [_("Choose a year from %(a)s to %(b)s.") % {"a": FIRST_YEAR, "b": today.year}]}
        )
    job = Job.objects.create(kind=JOB_KIND, created_by=by, region=by.region, result={"year": year})
    from .tasks import build_supervision_workbook

    transaction.on_commit(lambda: build_supervision_workbook.delay(job.pk))
    return job


def supervision_workbook_run(*, job_id: int) -> str | None:
    """The task's body: the workbook of the job's year for its creator's districts."""
    job = Job.objects.select_related("created_by__region").filter(pk=job_id).first()
    if job is None or job.kind != JOB_KIND or job.created_by is None:
        return None
    if not Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING
    ):
        return None  # delivered twice: another worker has it
    progress, close = job_progress_writer(job)
    try:
        body = supervision_workbook(
            user=job.created_by, months=year_months(int(job.result["year"])), progress=progress
        )
        name = default_storage.save(f"supervision/{uuid.uuid4().hex}.xlsx", ContentFile(body))
    except PermissionDenied as e:
        job_finish(job_id, status=Job.Status.FAILED, message=str(e))
        return None
    except Exception:
        job_finish(job_id, status=Job.Status.FAILED, message=_("The workbook failed."))
        raise
    finally:
        close()
    job_finish(
        job_id,
        status=Job.Status.DONE,
        message=_("Workbook ready."),
        result={**job.result, "file": name},
    )
    return name
