"""Inbound batches: receive a file from a known sender (checked at once: sender, stream,
period, sequence, checksum, format, headers; a refusal writes nothing), then import it in the
background through verification's streaming import (encoding detection, header aliases, cell
cleaners, row report, COPY) into InboundRow, report the duplicate persons, and compare it with
our register set-based: matched, new, changed and unmatched per row."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
from functools import partial
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.job_progress import job_finish, job_progress_writer
from core.models import Job, User
from households.models import Person
from households.tabular import (
    SNIFF_BYTES,
    CellError,
    csv_rows,
    detect_encoding,
    map_headers,
    workbook_rows,
)
from verification.datasets.importing import SPREADSHEETS, FileRefused, StageTarget, validate_rows

from ..exchange.services import exchange_period
from ..models import (
    InboundBatch,
    InboundBatchTransition,
    InboundResult,
    InboundRow,
    InboundRowError,
    InsuranceEnrolment,
)
from . import rules as R
from .streams import INBOUND, SENDERS, Inbound

logger = logging.getLogger(__name__)
JOB_KIND = "inbound_import"
FORMATS = ("csv", "xlsx", "xls", "ods")
S = InboundBatch.Status


def _error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _sha256(f: IO[bytes]) -> str:
    f.seek(0)
    digest = hashlib.file_digest(f, "sha256").hexdigest()  # type: ignore[arg-type]
    f.seek(0)
    return digest


def _header(f: IO[bytes], fmt: str) -> list[Any]:
    """The file's first non-empty row (read from its start only)."""
    f.seek(0)
    try:
        if fmt in SPREADSHEETS:
            _height, rows = workbook_rows(f)
        else:
            # The first block only (a wrapper around the upload would close it when collected).
            head = f.read(SNIFF_BYTES)
            rows = csv_rows(io.BytesIO(head), encoding=detect_encoding(head))
        for row in rows:
            if any(c is not None and str(c).strip() for c in row):
                return row
    except (CellError, UnicodeDecodeError, ValueError) as e:
        raise _error("file", _("The file cannot be read: %(e)s") % {"e": e}, "unreadable") from e
    finally:
        f.seek(0)
    raise _error("file", _("The file is empty."), "empty")


def check_headers(spec: Inbound, header: list[Any]) -> None:
    """The stream's required columns, or a refusal naming the stream whose headers these are."""
    mapped = map_headers(header, spec.kind_spec.aliases, required=spec.kind_spec.required)
    if not mapped.errors:
        return
    for other in INBOUND.values():
        if other.key == spec.key:
            continue
        theirs = map_headers(header, other.kind_spec.aliases, required=other.kind_spec.required)
        if not theirs.errors and len(theirs.columns) > len(mapped.columns):
            raise _error(
                "file",
                _("These are the headers of “%(other)s”, not of “%(stream)s”.")
                % {"other": other.label, "stream": spec.label},
                "other_stream",
            )
    raise _error("file", " ".join(mapped.errors), "bad_headers")


def inbound_batch_receive(
    *,
    stream: str,
    sender: str,
    period: str | dt.date,
    sequence: int,
    upload: UploadedFile,
    by: User,
    declared_sha256: str = "",
) -> InboundBatch:
    """Take a file (every check first: a refusal writes nothing), then import it in the
    background. Returns the received batch (its Job to follow)."""
    from .tasks import import_inbound_batch

    if sender not in SENDERS:
        raise _error(
            "sender",
            _("Unknown sender “%(sender)s”: files are taken only from %(known)s.")
            % {"sender": str(sender)[:40], "known": "、".join(str(v) for v in SENDERS.values())},
            "unknown_sender",
        )
    spec = INBOUND.get(stream)
    if spec is None:
        raise _error(
            "stream", _("Unknown stream “%(key)s”.") % {"key": str(stream)[:40]}, "unknown_stream"
        )
    if sender not in spec.senders:
        raise _error(
            "sender",
            _("“%(stream)s” is not sent by %(sender)s.")
            % {"stream": spec.label, "sender": SENDERS[sender]},
            "wrong_sender",
        )
    month = exchange_period(period)
    if not isinstance(sequence, int) or sequence < 1:
        raise _error("sequence", _("The sequence number is a whole number from 1."), "bad_sequence")
    name = upload.name or ""
    fmt = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if fmt not in FORMATS:
        raise _error("file", _("Send a CSV or a spreadsheet (xlsx, xls, ods)."), "bad_format")
    f: IO[bytes] = upload.file  # type: ignore[assignment]
    digest = _sha256(f)
    if declared_sha256 and declared_sha256.strip().lower() != digest:
        raise _error(
            "sha256",
            _("The file's checksum does not match the one declared: damaged or not this file."),
            "checksum_mismatch",
        )
    check_headers(spec, _header(f, fmt))
    with transaction.atomic():
        # One receipt of a stream at a time: the sequence follows the latest.
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"inbound:{stream}"])
        same = InboundBatch.objects.filter(stream=stream, sha256=digest).first()
        if same is not None:
            raise _error(
                "file",
                _("This file was received already (batch %(batch)s).") % {"batch": same},
                "duplicate_file",
            )
        latest = InboundBatch.objects.filter(stream=stream).order_by("-sequence").first()
        last = latest.sequence if latest else 0
        if sequence <= last:
            raise _error(
                "sequence",
                _("Sequence %(n)s was received already (the latest is %(last)s).")
                % {"n": sequence, "last": last},
                "sequence_used",
            )
        problems = []
        if sequence > last + 1:
            problems.append(
                {
                    "code": "sequence_gap",
                    "message": _("Gap in the sequence: batches %(a)s–%(b)s were never received.")
                    % {"a": last + 1, "b": sequence - 1},
                }
            )
        job = Job.objects.create(
            kind=JOB_KIND, region=by.region, created_by=by, message=_("Queued")
        )
        batch = InboundBatch(
            stream=stream,
            sender=sender,
            kind=spec.kind,
            period=month,
            sequence=sequence,
            sha256=digest,
            file_format=fmt,
            original_name=name[:255],
            size=upload.size or 0,
            problems=problems,
            received_by=by,
            job=job,
        )
        f.seek(0)
        batch.file.save(name, upload, save=False)
        try:
            with transaction.atomic():
                batch.save()
        except IntegrityError:
            raise _error(
                "file", _("This file or sequence was received already."), "duplicate_file"
            ) from None
        job.result = {"batch": batch.pk}
        job.save(update_fields=["result"])
        InboundBatchTransition.objects.create(
            batch=batch,
            action="receive",
            from_status="",
            to_status=S.RECEIVED,
            by=by,
            reason="; ".join(p["message"] for p in problems),
        )
        transaction.on_commit(partial(import_inbound_batch.delay, batch.pk))
    return batch


# -- import ------------------------------------------------------------------------------------


def _target(spec: Inbound) -> StageTarget:
    return StageTarget(
        InboundRow._meta.db_table,
        ("batch_id", "row_no", *(f.name for f in spec.kind_spec.fields)),
        InboundRowError._meta.db_table,
        ("batch_id", "row_no", '"column"', "value", "message"),
    )


def _duplicates(batch: InboundBatch) -> int:
    """Every later row of a person already in the file, in the row report; the persons."""
    r, e = InboundRow._meta.db_table, InboundRowError._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"""
            WITH d AS (
                SELECT row_no, id_number,
                    min(row_no) OVER (PARTITION BY id_number) AS first_row,
                    count(*) OVER (PARTITION BY id_number) AS n
                FROM {r} WHERE batch_id = %(b)s
            ), ins AS (
                INSERT INTO {e} (batch_id, row_no, "column", value, message)
                SELECT %(b)s, row_no, %(col)s, '', replace(%(msg)s, %(token)s, first_row::text)
                FROM d WHERE n > 1 AND row_no > first_row
                RETURNING 1
            )
            SELECT count(DISTINCT id_number) FROM d WHERE n > 1
            """,  # noqa: S608
            {
                "b": batch.pk,
                "col": str(batch.kind_spec.fields[0].label),
                "msg": _("Duplicate person: the same ID number as row %(row)s."),
                "token": "%(row)s",
            },
        )
        return int(cur.fetchone()[0])


def _ours_for(spec: Inbound) -> str:
    """Our side of a stream's comparison: (person_id, id_number, name, head_id_number,
    members, status) — rc_ours must exist."""
    if spec.key == "national_register":
        return f"""SELECT person_id, id_number, name, head_id_number, members,
            reg_status AS status FROM {R.OURS} WHERE reg_status IS NOT NULL"""  # noqa: S608
    e, p = InsuranceEnrolment._meta.db_table, Person._meta.db_table
    return f"""SELECT en.person_id, p.id_number, p.name, NULL::varchar AS head_id_number,
        NULL::bigint AS members, en.status FROM {e} en JOIN {p} p ON p.id = en.person_id"""  # noqa: S608


def compare(batch: InboundBatch) -> dict[str, int]:
    """The batch against our register, one INSERT … SELECT: its counts by outcome."""
    spec = INBOUND[batch.stream]
    params = {**R.base_params(), "batch": batch.pk}
    theirs, extra = R.theirs_sql("rc_cmp_theirs", spec.statuses)
    params.update(extra)
    res = InboundResult._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {R.OURS}; DROP TABLE IF EXISTS rc_cmp_theirs")
        cur.execute(R.ours_sql(), params)
        cur.execute(theirs, params)
        cur.execute(f"DELETE FROM {res} WHERE batch_id = %s", [batch.pk])  # noqa: S608
        cur.execute(
            f"""
            WITH j AS (
                SELECT t.id_number AS t_id, o.id_number AS o_id, t.row_no, o.person_id,
                    CASE WHEN t.id_number IS NOT NULL AND o.id_number IS NOT NULL
                        THEN {R._differs("t", "o")} END AS f
                FROM rc_cmp_theirs t FULL JOIN ({_ours_for(spec)}) o ON o.id_number = t.id_number
            ), ins AS (
                INSERT INTO {res} (batch_id, outcome, id_number, row_no, person_id, fields)
                SELECT %(batch)s,
                    CASE WHEN o_id IS NULL THEN 'new' WHEN t_id IS NULL THEN 'unmatched'
                         WHEN cardinality(f) = 0 THEN 'matched' ELSE 'changed' END,
                    COALESCE(t_id, o_id), row_no, person_id, COALESCE(f, '{{}}')
                FROM j
                RETURNING outcome
            )
            SELECT outcome, count(*) FROM ins GROUP BY outcome
            """,  # noqa: S608
            params,
        )
        counts = dict(cur.fetchall())
        cur.execute(f"DROP TABLE {R.OURS}; DROP TABLE rc_cmp_theirs")
    return {o: int(counts.get(o, 0)) for o in InboundResult.Outcome.values}


def inbound_batch_import(*, batch_id: int) -> str | None:
    """The task's body: import and compare in one transaction (a killed worker leaves the batch
    "received" with nothing kept; the redelivered task starts over). A file that cannot be
    taken is refused with the reason and nothing of it is kept."""
    batch = InboundBatch.objects.select_related("job").filter(pk=batch_id).first()
    if batch is None or batch.status != S.RECEIVED:
        return None
    job = batch.job
    progress, close = job_progress_writer(job) if job else (lambda *a: None, lambda: None)
    spec = INBOUND[batch.stream]
    try:
        with transaction.atomic():
            locked = InboundBatch.objects.select_for_update().get(pk=batch_id)
            if locked.status != S.RECEIVED:
                return None
            InboundRow.objects.filter(batch=locked).delete()
            InboundRowError.objects.filter(batch=locked).delete()
            with locked.file.open("rb") as f:
                total, invalid = validate_rows(
                    locked,  # type: ignore[arg-type]  # the fields validate_rows reads
                    f,
                    today=timezone.localdate(),
                    progress=progress,
                    target=_target(spec),
                )
            locked.duplicates = _duplicates(locked)
            counts = compare(locked)
            problems = list(locked.problems)
            if locked.duplicates:
                problems.append(
                    {
                        "code": "duplicate_persons",
                        "message": _(
                            "%(n)s persons appear more than once in the file (first row used)."
                        )
                        % {"n": locked.duplicates},
                    }
                )
            message = _(
                "%(rows)s rows, %(invalid)s invalid; matched %(matched)s, new %(new)s, "
                "changed %(changed)s, unmatched %(unmatched)s."
            ) % {"rows": total, "invalid": invalid, **counts}
            for k, v in counts.items():
                setattr(locked, k, v)
            locked.rows_total, locked.rows_invalid = total, invalid
            locked.problems, locked.message, locked.status = problems, message, S.IMPORTED
            locked.save()
            InboundBatchTransition.objects.create(
                batch=locked,
                action="import",
                from_status=S.RECEIVED,
                to_status=S.IMPORTED,
                reason=message,
            )
            if job:
                job_finish(
                    job.pk, status=Job.Status.DONE, message=message, result={"batch": batch_id}
                )
            transaction.on_commit(_rerun)
        return str(S.IMPORTED)
    except FileRefused as e:
        return _fail(batch_id, str(e))
    except Exception:
        logger.exception("inbound batch %s: import failed", batch_id)
        return _fail(batch_id, _("The import failed unexpectedly; nothing was kept."))
    finally:
        close()


def _rerun() -> None:
    """The differences are re-checked against the new batch automatically."""
    from .tasks import run_reconciliation

    run_reconciliation.delay(None)


def _fail(batch_id: int, message: str) -> str | None:
    with transaction.atomic():
        batch = InboundBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None or batch.status != S.RECEIVED:
            return None
        InboundRow.objects.filter(batch=batch).delete()
        InboundRowError.objects.filter(batch=batch).delete()
        batch.status, batch.message = S.FAILED, message
        batch.save(update_fields=["status", "message"])
        InboundBatchTransition.objects.create(
            batch=batch,
            action="refuse",
            from_status=S.RECEIVED,
            to_status=S.FAILED,
            reason=message,
        )
        if batch.job_id:
            job_finish(batch.job_id, status=Job.Status.FAILED, message=message)
    return str(S.FAILED)
