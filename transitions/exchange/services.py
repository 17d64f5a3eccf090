"""Writes of exchange batches: build (idempotent per stream and month, chained to the stream's
previous batch), acknowledge receipt, tell receivers of overdue receipts; and the verification
of a stored batch against its manifest and its chain."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assistance.models import PolicyParameter
from assistance.policy.selectors import parameter
from core.exports import write_csv, write_xlsx
from core.models import Job, Region, User
from core.months import add_months, month_start, parse_month
from core.notifications.services import Target, notification_send
from core.roles import Role

from ..kinds import DEPARTMENT_REVIEWER
from ..models import ExchangeBatch, ExchangeBatchFile
from .streams import STREAMS, Stream
from .workflow import BATCH

Progress = Callable[[int, int, str], None]
JOB_KIND = "exchange_build"
NOTIFY_KIND = "exchange.overdue"


def _field_error(field: str, message: str, code: str) -> ValidationError:
    # A field error with its code (a dict of lists would drop it): pages show it by the field,
    # the API as {"field": [message]}, tests check the code.
    return ValidationError({field: ValidationError(message, code=code)})


def canonical(data: Any) -> bytes:
    """The one byte form hashed: sorted keys, no spaces, UTF-8."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _json_value(v: Any) -> Any:
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


# -- input -------------------------------------------------------------------------------------


def exchange_stream(key: str) -> Stream:
    try:
        return STREAMS[key]
    except KeyError:
        raise _field_error(
            "stream", _("Unknown stream “%(key)s”.") % {"key": str(key)[:40]}, "unknown_stream"
        ) from None


def exchange_period(value: str | dt.date, *, today: dt.date | None = None) -> dt.date:
    """A month that has ended (a batch reports a whole month): '2026-11' or a date."""
    if isinstance(value, dt.date):
        period = month_start(value)
    else:
        try:
            period = parse_month(str(value))
        except ValidationError:
            raise _field_error("period", _("Give the period as YYYY-MM."), "bad_period") from None
    this_month = month_start(today or timezone.localdate())
    if period >= this_month:
        raise _field_error(
            "period",
            _("The period must be a month that has ended (before %(month)s).")
            % {"month": f"{this_month:%Y-%m}"},
            "future_period",
        )
    return period


# -- build -------------------------------------------------------------------------------------


def _labelled(spec: Stream, rows: list[tuple[Any, ...]]) -> list[list[Any]]:
    labels = {i: dict(choices.choices) for i, choices in spec.labels}
    out = []
    for row in rows:
        values = list(row)
        for i, names in labels.items():
            if values[i] in names:
                values[i] = str(names[values[i]])
        out.append(values)
    return out


def _check_build(spec: Stream, by: User | None) -> None:
    if by is not None:  # None: the monthly beat job (the system)
        BATCH.check(ExchangeBatch(sender=spec.sender, receiver=spec.receiver), "build", by)


def exchange_batch_build(
    *, stream: str, period: str | dt.date, by: User | None, progress: Progress | None = None
) -> ExchangeBatch:
    """The stream's batch for the month: built once, then always the same batch. A month is
    built after the stream's latest (the chain runs forward); every file is written and the
    manifest hashed in one transaction with the rows."""
    spec = exchange_stream(stream)
    month = exchange_period(period)
    _check_build(spec, by)
    try:
        return _build(spec, month, by, progress or (lambda d, t, m: None))
    except IntegrityError:
        # Another build of the same month won the race: its batch is the batch.
        return ExchangeBatch.objects.get(stream=spec.key, period=month)


@transaction.atomic
def _build(spec: Stream, month: dt.date, by: User | None, progress: Progress) -> ExchangeBatch:
    # One build of a stream at a time: the sequence and the chain follow the latest batch.
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"exchange:{spec.key}"])
    existing = ExchangeBatch.objects.filter(stream=spec.key, period=month).first()
    if existing is not None:
        return existing
    latest = ExchangeBatch.objects.filter(stream=spec.key).order_by("-period").first()
    if latest is not None and latest.period > month:
        raise _field_error(
            "period",
            _("This stream's batches are built in order: %(month)s is built already.")
            % {"month": f"{latest.period:%Y-%m}"},
            "out_of_order",
        )
    progress(0, 4, _("Selecting the rows"))
    with translation.override("zh-hans"):  # the receiver's format: Chinese headers and labels
        headers = [str(h) for h in spec.headers]
        rows = _labelled(spec, list(spec.rows(month)))
    content = canonical({"headers": headers, "rows": [[_json_value(v) for v in r] for r in rows]})
    base = f"{spec.key}_{month:%Y%m}"
    files = {
        f"{base}.json": content,
        f"{base}.csv": write_csv(rows, headers=headers),
        f"{base}.xlsx": write_xlsx(rows, headers=headers, sheet_title=f"{month:%Y-%m}"),
    }
    sequence = latest.sequence + 1 if latest else 1
    content_sha256 = sha256(content)
    manifest: dict[str, Any] = {
        "stream": spec.key,
        "kind": spec.kind,
        "sender": spec.sender,
        "receiver": spec.receiver,
        "period": f"{month:%Y-%m}",
        "sequence": sequence,
        "previous_manifest_sha256": latest.manifest_sha256 if latest else "",
        "rows": len(rows),
        "content_sha256": content_sha256,
        "files": {
            name: {"sha256": sha256(body), "rows": len(rows)} for name, body in files.items()
        },
    }
    batch = ExchangeBatch(
        stream=spec.key,
        sender=spec.sender,
        receiver=spec.receiver,
        kind=spec.kind,
        period=month,
        sequence=sequence,
        row_count=len(rows),
        content_sha256=content_sha256,
        manifest=manifest,
        manifest_sha256=sha256(canonical(manifest)),
        previous=latest,
        built_by=by,
    )
    BATCH.move(batch, "build", by, _("Built for %(month)s") % {"month": manifest["period"]})
    written: list[Any] = []
    try:
        for i, (name, body) in enumerate(files.items(), start=1):
            progress(i, 4, _("Writing %(name)s") % {"name": name})
            record = ExchangeBatchFile(
                batch=batch, name=name, sha256=sha256(body), rows=len(rows), size=len(body)
            )
            record.file.save(name, ContentFile(body), save=False)
            written.append(record.file)
            record.save()
    except BaseException:
        # The rows roll back: the files written so far go too (no orphans holding ID numbers).
        for f in written:
            f.storage.delete(f.name)
        raise
    return batch


def exchange_batch_build_start(
    *, stream: str, period: str | dt.date, by: User
) -> Job | ExchangeBatch:
    """Check the input now (400 at once), then build in the background: the Job to poll, or the
    batch itself when the month is built already."""
    from .tasks import build_exchange_batch

    spec = exchange_stream(stream)
    month = exchange_period(period)
    _check_build(spec, by)
    existing = ExchangeBatch.objects.filter(stream=spec.key, period=month).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        job = Job.objects.create(
            kind=JOB_KIND,
            region=by.region,
            created_by=by,
            message=_("Queued"),
            result={"stream": spec.key, "period": f"{month:%Y-%m}"},
        )
        transaction.on_commit(partial(build_exchange_batch.delay, job.pk))
    return job


def exchange_batch_build_run(*, job_id: int) -> int | None:
    """The task's body: build the job's batch as its creator; the job records the outcome."""
    from django.core.exceptions import PermissionDenied

    from core.job_progress import job_finish, job_progress_writer

    job = Job.objects.select_related("created_by__region").filter(pk=job_id).first()
    if job is None or job.kind != JOB_KIND:
        return None
    if not Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING
    ):
        return None  # delivered twice: another worker has it
    progress, close = job_progress_writer(job)
    try:
        batch = exchange_batch_build(
            stream=job.result["stream"],
            period=job.result["period"],
            by=job.created_by,
            progress=progress,
        )
    except (ValidationError, PermissionDenied) as e:
        message = "; ".join(getattr(e, "messages", [str(e)]))
        job_finish(job_id, status=Job.Status.FAILED, message=message[:500])
        return None
    except Exception:
        job_finish(
            job_id, status=Job.Status.FAILED, message=_("The build failed; nothing was saved.")
        )
        raise
    finally:
        close()
    job_finish(
        job_id,
        status=Job.Status.DONE,
        message=_("Batch built: %(n)s rows.") % {"n": batch.row_count},
        result={**job.result, "batch": batch.pk},
    )
    return batch.pk


def exchange_batches_build_month(*, on: dt.date) -> dict[str, int]:
    """The monthly job: every stream's batch of the month before `on` (safe to run twice)."""
    period = add_months(month_start(on), -1)
    return {key: exchange_batch_build(stream=key, period=period, by=None).pk for key in STREAMS}


# -- receipt -----------------------------------------------------------------------------------


@transaction.atomic
def exchange_batch_acknowledge(
    *, batch: ExchangeBatch, by: User, reason: str = ""
) -> ExchangeBatch:
    locked = ExchangeBatch.objects.select_for_update().get(pk=batch.pk)
    BATCH.check(locked, "acknowledge", by)
    return BATCH.move(
        locked,
        "acknowledge",
        by,
        reason,
        acknowledged_by=by,
        acknowledged_at=timezone.now(),
    )


def overdue_before(on: dt.date) -> dt.datetime:
    """Batches built before this moment and still unacknowledged are overdue on `on`."""
    days = int(parameter(PolicyParameter.Key.EXCHANGE_RECEIPT_DAYS, on))  # policy data
    start = dt.datetime.combine(on - dt.timedelta(days=days), dt.time.min)
    return timezone.make_aware(start)


def overdue_q(on: dt.date) -> Q:
    return Q(status=ExchangeBatch.Status.BUILT, built_at__lt=overdue_before(on))


def _receivers(department: str) -> QuerySet[User]:
    return User.objects.filter(
        Q(role=DEPARTMENT_REVIEWER[department]) | Q(role=Role.DATA_ADMIN),
        is_active=True,
        region__level=Region.Level.CITY,
    )


@transaction.atomic
def exchange_batches_notify_overdue(*, on: dt.date) -> int:
    """The daily job: tell the receiving department (and the city's data administrators) once of
    each batch whose receipt is overdue. Returns the batches told of."""
    from django.urls import reverse

    batches = list(
        ExchangeBatch.objects.select_for_update(skip_locked=True)
        .filter(overdue_q(on), overdue_notified_on__isnull=True)
        .order_by("pk")
    )
    for batch in batches:
        notification_send(
            recipients=_receivers(batch.receiver),
            kind=NOTIFY_KIND,
            title=gettext_lazy("Exchange batch %(batch)s not acknowledged in time"),
            params={"batch": str(batch)},
            target=Target(
                url=reverse("transitions:exchange_detail", args=[batch.pk]),
                label=str(batch),
                obj=batch,
            ),
            by=None,
        )
    ExchangeBatch.objects.filter(pk__in=[b.pk for b in batches]).update(overdue_notified_on=on)
    return len(batches)


# -- verification ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


def exchange_batch_verify(batch: ExchangeBatch) -> list[Problem]:
    """What is wrong with a stored batch: a missing or altered file, a manifest that no longer
    hashes to its recorded value, a broken chain to the previous batch, a gap in the sequence.
    Empty: the batch is intact."""
    problems: list[Problem] = []
    manifest = batch.manifest or {}
    if sha256(canonical(manifest)) != batch.manifest_sha256:
        problems.append(Problem("manifest_altered", _("The manifest was altered.")))
    stored = {f.name: f for f in batch.files.all()}
    for name, entry in sorted((manifest.get("files") or {}).items()):
        record = stored.get(name)
        if (
            record is None
            or not record.file
            or not record.file.storage.exists(record.file.name or "")
        ):
            problems.append(
                Problem("missing_file", _("File %(name)s is missing.") % {"name": name})
            )
            continue
        with record.file.open("rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
        if digest != entry.get("sha256"):
            problems.append(
                Problem("altered_file", _("File %(name)s was altered (checksum).") % {"name": name})
            )
    previous = batch.previous
    if batch.sequence > 1 and (previous is None or previous.sequence != batch.sequence - 1):
        problems.append(
            Problem(
                "sequence_gap",
                _("Gap in the sequence: no batch %(n)s before this one.")
                % {"n": batch.sequence - 1},
            )
        )
    expected = sha256(canonical(previous.manifest)) if previous is not None else ""
    if manifest.get("previous_manifest_sha256", "") != expected or (
        previous is not None and previous.manifest_sha256 != expected
    ):
        problems.append(
            Problem(
                "broken_chain", _("Broken chain: the previous batch's manifest does not match.")
            )
        )
    return problems
