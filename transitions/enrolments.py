"""Social-insurance enrolment of dibao and tekun persons (domain.md §7): social security records
each person's status; the agency's answer can be imported as a spreadsheet."""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial
from typing import Any

import python_calamine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from core.job_progress import Progress, job_finish, job_progress_writer
from core.models import Job, User
from core.scope import region_in_scope

from . import selectors
from .models import EnrolmentImport, InsuranceEnrolment
from .permissions import RECORD_ENROLMENT

logger = logging.getLogger(__name__)


@transaction.atomic
def enrolment_record(
    *, enrolment: InsuranceEnrolment, status: str, status_on: dt.date, note: str = "", by: User
) -> InsuranceEnrolment:
    if not by.has_perm(RECORD_ENROLMENT):
        raise PermissionDenied(_("Your role does not allow this action."))
    enrolment = (
        InsuranceEnrolment.objects.select_for_update().select_related("region").get(pk=enrolment.pk)
    )
    if not region_in_scope(by, enrolment.region):
        raise PermissionDenied(_("This region is outside your area of responsibility."))
    errors: dict[str, list[str]] = {}
    if status not in InsuranceEnrolment.Status.values:
        errors["status"] = [_("Choose the enrolment status.")]
    if status_on > timezone.localdate():
        errors["status_on"] = [_("The date cannot be in the future.")]
    if status == InsuranceEnrolment.Status.REFUSED and not note.strip():
        errors["note"] = [_("Note why the person refused.")]
    if errors:
        raise ValidationError(errors)
    enrolment.status, enrolment.status_on, enrolment.note = status, status_on, note.strip()
    enrolment.recorded_by = by
    enrolment.save()
    return enrolment


# ----------------------------------------------------------------------------- the agency's answer

JOB_KIND = "enrolment_import"
MAX_BYTES = 20 * 1024 * 1024
MAX_ERRORS = 1000
# Header aliases (the agency's own export, Chinese first) → field.
HEADERS = {
    "身份证号": "id_number",
    "公民身份号码": "id_number",
    "id number": "id_number",
    "参保状态": "status",
    "状态": "status",
    "status": "status",
    "日期": "status_on",
    "参保日期": "status_on",
    "date": "status_on",
    "备注": "note",
    "note": "note",
}
# The empty template's headers (what the import reads first).
TEMPLATE_HEADERS = ["身份证号", "参保状态", "日期", "备注"]
STATUS_WORDS = {
    "已参保": InsuranceEnrolment.Status.ENROLLED,
    "参保": InsuranceEnrolment.Status.ENROLLED,
    "enrolled": InsuranceEnrolment.Status.ENROLLED,
    "免缴": InsuranceEnrolment.Status.EXEMPT,
    "exempt": InsuranceEnrolment.Status.EXEMPT,
    "拒绝": InsuranceEnrolment.Status.REFUSED,
    "拒绝参保": InsuranceEnrolment.Status.REFUSED,
    "refused": InsuranceEnrolment.Status.REFUSED,
    "待办理": InsuranceEnrolment.Status.PENDING,
    "pending": InsuranceEnrolment.Status.PENDING,
}


def enrolment_import_start(*, upload: Any, by: User) -> Job:
    """Save the answer privately, create its Job and enqueue the import after commit."""
    from .tasks import import_enrolments

    if not by.has_perm(RECORD_ENROLMENT):
        raise PermissionDenied(_("Your role does not allow this action."))
    name = (upload.name or "")[-255:]
    if not name.lower().endswith(".xlsx"):
        raise ValidationError({"file": [_("Upload the agency's answer as an .xlsx file.")]})
    if upload.size and upload.size > MAX_BYTES:
        raise ValidationError({"file": [_("The file is larger than 20 MB; split it.")]})
    with transaction.atomic():
        job = Job.objects.create(
            kind=JOB_KIND,
            region=by.region,
            created_by=by,
            message=_("Queued"),
            result={"filename": name},
        )
        EnrolmentImport.objects.create(job=job, file=upload, filename=name)
        transaction.on_commit(partial(import_enrolments.delay, job.pk))
    return job


def _cell_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def enrolments_import(
    *, rows: list[list[Any]], by: User, progress: Progress | None = None
) -> dict[str, Any]:
    """Check every row, then — only if none is wrong — update every enrolment in one statement
    (all or nothing). Rows are (spreadsheet row 1 = headers). Returns counts and the row report
    [(row, column, value, message)]."""
    say = progress or (lambda done, total, message: None)
    if not rows:
        return {"updated": 0, "errors": [(1, "", "", _("The file is empty."))]}
    header = [HEADERS.get(str(h).strip().lower(), HEADERS.get(str(h).strip(), "")) for h in rows[0]]
    missing = {"id_number", "status", "status_on"} - set(header)
    if missing:
        return {
            "updated": 0,
            "errors": [
                (1, "", "", _("Missing columns: %(c)s.") % {"c": "、".join(sorted(missing))})
            ],
        }
    col: dict[str, int] = {
        name: header.index(name)
        for name in ("id_number", "status", "status_on", "note")
        if name in header
    }
    today = timezone.localdate()
    parsed: list[tuple[int, str, str, dt.date, str]] = []
    errors: list[tuple[int, str, str, str]] = []
    total = len(rows) - 1
    for i, row in enumerate(rows[1:], start=2):

        def cell(name: str, row: list[Any] = row) -> Any:
            j = col.get(name)
            return row[j] if j is not None and j < len(row) else ""

        id_number = str(cell("id_number")).strip().upper()
        status = STATUS_WORDS.get(str(cell("status")).strip().lower()) or STATUS_WORDS.get(
            str(cell("status")).strip()
        )
        day = _cell_date(cell("status_on"))
        note = str(cell("note") or "").strip()[:255]
        if not id_number:
            errors.append((i, "身份证号", "", _("Give the ID number.")))
        if status is None:
            errors.append(
                (
                    i,
                    "参保状态",
                    str(cell("status")),
                    _("Unknown status: use 已参保, 免缴, 拒绝 or 待办理."),
                )
            )
        if day is None or day > today:
            errors.append(
                (
                    i,
                    "日期",
                    str(cell("status_on")),
                    _("Give a date (YYYY-MM-DD) that is not in the future."),
                )
            )
        if status == InsuranceEnrolment.Status.REFUSED and not note:
            errors.append((i, "备注", "", _("Note why the person refused.")))
        if id_number and status and day:
            parsed.append((i, id_number, status, day, note))
        if i % 5000 == 0:
            say(i, total, _("Checking the rows"))
    known = dict(
        selectors.enrolment_list(user=by)
        .filter(person__id_number__in=[p[1] for p in parsed])
        .values_list("person__id_number", "id")
    )
    seen: set[str] = set()
    for i, id_number, *_rest in parsed:
        if id_number not in known:
            errors.append(
                (
                    i,
                    "身份证号",
                    id_number,
                    _("Not on your worklist (unknown, or outside your area)."),
                )
            )
        if id_number in seen:
            errors.append((i, "身份证号", id_number, _("This person is listed twice.")))
        seen.add(id_number)
    if errors:
        return {"updated": 0, "errors": sorted(errors)[:MAX_ERRORS], "error_count": len(errors)}
    say(total, total, _("Saving"))
    with transaction.atomic():
        ids = [known[p[1]] for p in parsed]
        rows_by_id = {known[p[1]]: p for p in parsed}
        enrolments = list(InsuranceEnrolment.objects.select_for_update().filter(pk__in=ids))
        for e in enrolments:
            _i, _id, e.status, e.status_on, e.note = rows_by_id[e.pk]
            e.recorded_by = by
        # bulk_update plus the history rows in bulk (simple_history), who and why.
        bulk_update_with_history(
            enrolments,
            InsuranceEnrolment,
            ["status", "status_on", "note", "recorded_by"],
            batch_size=2000,
            default_user=by,
            default_change_reason="insurance agency's answer",
        )
    return {"updated": len(enrolments), "errors": []}


def enrolment_import_run(*, job_id: int) -> dict[str, Any] | None:
    """The task's body: import the job's file as its uploader; the job records the outcome.
    A redelivered message finds the job no longer queued and does nothing; the file (ID
    numbers) is deleted whatever the outcome."""
    job = Job.objects.select_related("created_by__region").filter(pk=job_id).first()
    if job is None or job.kind != JOB_KIND:
        return None
    # Claim the job: one worker only, even if the message is delivered twice.
    if not Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING
    ):
        return None
    record = EnrolmentImport.objects.filter(job=job).first()
    progress, close = job_progress_writer(job)
    result: dict[str, Any] | None = None
    try:
        by = job.created_by
        if by is None or not by.is_active or record is None or not by.has_perm(RECORD_ENROLMENT):
            raise PermissionDenied(_("Your role does not allow this action."))
        with record.file.open("rb") as f:
            rows = (
                python_calamine.CalamineWorkbook.from_filelike(f).get_sheet_by_index(0).to_python()
            )
        result = enrolments_import(rows=rows, by=by, progress=progress)
    except (PermissionDenied, ValueError, OSError, python_calamine.CalamineError) as e:
        job_finish(job_id, status=Job.Status.FAILED, message=str(e)[:500])
    except Exception:
        logger.exception("enrolment import %s failed", job_id)
        job_finish(
            job_id, status=Job.Status.FAILED, message=_("The import failed; nothing was saved.")
        )
        raise
    finally:
        close()
        if record is not None and record.file:
            record.file.delete(save=True)
    if result is None:
        return None
    message = (
        _("%(n)s enrolments updated.") % {"n": result["updated"]}
        if not result["errors"]
        else _("Nothing was saved: %(n)s rows have errors.")
        % {"n": result.get("error_count", len(result["errors"]))}
    )
    job_finish(job_id, status=Job.Status.DONE, message=message, result={**job.result, **result})
    return result
