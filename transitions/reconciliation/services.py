"""Writes of the reconciliation: the run (rerunnable, set-based, one statement per category;
serialised by an advisory lock), started in the background with a core Job; a difference
explained by its owner department with a reason (row-locked, version-checked)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Job, User
from core.months import month_start
from poverty.models import PovertyLine

from ..models import Difference, InboundBatch, ReconciliationRun
from . import rules as R
from .permissions import RUN
from .streams import INBOUND
from .workflow import DIFFERENCE

Progress = Callable[[int, int, str], None]
JOB_KIND = "reconciliation_run"
RUN_WORK_MEM = "64MB"


def latest_batches() -> dict[str, InboundBatch]:
    """The newest imported batch of each inbound stream."""
    out = {}
    for key in INBOUND:
        b = (
            InboundBatch.objects.filter(stream=key, status=InboundBatch.Status.IMPORTED)
            .order_by("-period", "-sequence")
            .first()
        )
        if b is not None:
            out[key] = b
    return out


def reconciliation_run(
    *,
    on: dt.date | None = None,
    by: User | None = None,
    progress: Progress | None = None,
    job: Job | None = None,
) -> ReconciliationRun:
    """Compare the three registers: ours and the latest national-register and insurance
    batches. Idempotent: a rerun on the same data adds no difference and fixes none."""
    on = on or timezone.localdate()
    tick = progress or (lambda d, t, m: None)
    batches = latest_batches()
    now = timezone.now()
    line = PovertyLine.objects.in_force(on).order_by("-valid_from").first()  # type: ignore[attr-defined]
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('reconciliation'))")
            # Whole-register statements: sorts and hashes of a million rows in memory, and no
            # JIT compilation (seconds on such plans, for nothing: each runs once).
            cur.execute(
                "SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true)",
                [RUN_WORK_MEM],
            )
        run = ReconciliationRun.objects.create(
            on=on, batches={k: b.pk for k, b in batches.items()}, started_by=by, job=job
        )
        params: dict[str, Any] = {
            **R.base_params(),
            "on": on,
            "month": month_start(on),
            "now": now,
            "run": run.pk,
            "line": line.monthly if line else None,
            "why": _("Found by reconciliation run %(run)s") % {"run": run.pk},
            "why_fixed": _("No longer found by reconciliation run %(run)s") % {"run": run.pk},
        }
        steps = len(R.CATEGORIES) + 1
        tick(0, steps, _("Reading the registers"))
        with connection.cursor() as cur:
            for table in (R.OURS, R.THEIRS, R.INSURED):
                cur.execute(f"DROP TABLE IF EXISTS {table}")
            cur.execute(f"ANALYZE {Difference._meta.db_table}")
            cur.execute(R.ours_sql(), params)
            for key, table in (
                ("national_register", R.THEIRS),
                ("insurance_enrolments", R.INSURED),
            ):
                if key in batches:
                    sql, extra = R.theirs_sql(table, INBOUND[key].statuses)
                    cur.execute(sql, {**params, **extra, "batch": batches[key].pk})
            counts: dict[str, Any] = {}
            for i, (category, (build, needs)) in enumerate(R.CATEGORIES.items(), start=1):
                if any(n not in batches for n in needs):
                    counts[category] = None  # not evaluated: no list to compare with
                    continue
                if category == Difference.Category.NO_INSURANCE:
                    sql = build("insurance_enrolments" in batches)
                else:
                    sql = build()
                cur.execute(R.hits_sql(sql), params)
                cur.execute(R.wrap(), {**params, "category": category})
                found, new, reopened, fixed = cur.fetchone()
                counts[category] = {
                    "found": found,
                    "new": new,
                    "reopened": reopened,
                    "fixed": fixed,
                }
                tick(i, steps, str(Difference.Category(category).label))
            for table in (R.OURS, R.THEIRS, R.INSURED, R.HITS):
                cur.execute(f"DROP TABLE IF EXISTS {table}")
        run.counts = counts
        run.finished_at = timezone.now()
        run.save(update_fields=["counts", "finished_at"])
    return run


def reconciliation_run_start(*, by: User) -> Job:
    """The run in the background: the Job to poll."""
    from .tasks import run_reconciliation

    if not by.has_perm(RUN):
        raise PermissionDenied(_("Your role does not allow this action."))
    with transaction.atomic():
        job = Job.objects.create(
            kind=JOB_KIND, region=by.region, created_by=by, message=_("Queued")
        )
        transaction.on_commit(partial(run_reconciliation.delay, job.pk))
    return job


def reconciliation_run_job(*, job_id: int | None) -> int | None:
    """The task's body (job_id None: the automatic rerun after an inbound batch)."""
    from core.job_progress import job_finish, job_progress_writer

    if job_id is None:
        return reconciliation_run().pk
    job = Job.objects.select_related("created_by").filter(pk=job_id, kind=JOB_KIND).first()
    if job is None:
        return None
    if not Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING
    ):
        return None
    progress, close = job_progress_writer(job)
    try:
        run = reconciliation_run(by=job.created_by, progress=progress, job=job)
    except Exception:
        job_finish(job_id, status=Job.Status.FAILED, message=_("The run failed; nothing changed."))
        raise
    finally:
        close()
    found = sum((c or {}).get("found", 0) for c in run.counts.values())
    job_finish(
        job_id,
        status=Job.Status.DONE,
        message=_("%(n)s differences found.") % {"n": found},
        result={"run": run.pk},
    )
    return run.pk


@transaction.atomic
def difference_explain(
    *, difference: Difference, reason: str, by: User, version: int | None = None
) -> Difference:
    """The owner department explains why the difference stands (a reason is required)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError(_("Give the reason."), code="required")})
    locked = DIFFERENCE.lock(difference, by)
    if version is not None and locked.version != version:
        raise ValidationError(
            _("Someone changed this difference meanwhile; reload the page."), code="wrong_status"
        )
    DIFFERENCE.check(locked, "explain", by)
    return DIFFERENCE.move(
        locked,
        "explain",
        by,
        reason,
        reason=reason,
        version=locked.version + 1,
        updated_at=timezone.now(),
    )
