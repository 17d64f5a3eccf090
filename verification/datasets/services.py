"""Every write of datasets: upload, approve, refuse and the merge (the validation itself is in
importing.py). Atomic, row-locked, guarded by verification.datasets.workflow.DATASET, a history
row in the same transaction; the long work is enqueued after the commit."""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import partial
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Job, User

from .. import kinds as K
from ..models import RECORD_MODELS, STAGE_MODELS, DatasetSnapshot
from ..signals import snapshot_merged
from .importing import SPREADSHEETS, delete_stage, stage_columns
from .workflow import DATASET

S = DatasetSnapshot.Status
JOB_KIND = "dataset_validate"
FORMATS = ("csv", *SPREADSHEETS)
# Snapshots that still count as "this file was received" for re-upload detection.
DUPLICATE_STATUSES = (S.UPLOADED, S.VALIDATING, S.VALIDATED, S.APPROVED, S.MERGED)


def file_digest(upload: Any) -> tuple[str, int]:
    """SHA-256 and size of an uploaded file, read in chunks (never whole in memory)."""
    h = hashlib.sha256()
    size = 0
    upload.seek(0)
    for chunk in (
        upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(1 << 20), b"")
    ):
        h.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return h.hexdigest(), size


def dataset_upload(*, kind: str, as_of: dt.date, file: Any, by: User) -> DatasetSnapshot:
    """Receive a department's file: checksum, snapshot (uploaded) with its history row and Job,
    and the validation enqueued after the commit."""
    from .tasks import validate_snapshot

    DATASET.check(DatasetSnapshot(status=S.UPLOADED), "upload", by)
    errors: dict[str, list[str]] = {}
    if kind not in K.KINDS:
        errors["kind"] = [_("Choose one of the twelve datasets.")]
    if as_of is None:
        errors["as_of"] = [_("Give the date the data is as of.")]
    elif as_of > timezone.localdate():
        errors["as_of"] = [_("The data cannot be as of a date in the future.")]
    name = PurePath(getattr(file, "name", "") or "").name[-255:]
    ext = PurePath(name).suffix.lower().lstrip(".")
    if ext not in FORMATS:
        errors["file"] = [_("Upload a .csv, .xlsx, .xls or .ods file.")]
    elif not getattr(file, "size", 0):
        errors["file"] = [_("The file is empty.")]
    elif file.size > settings.DATASET_UPLOAD_MAX_BYTES:
        errors["file"] = [
            _("The file is larger than %(mb)s MB: split it, or ask the administrator.")
            % {"mb": settings.DATASET_UPLOAD_MAX_BYTES // (1024 * 1024)}
        ]
    if errors:
        raise ValidationError(errors)
    digest, size = file_digest(file)
    with transaction.atomic():
        # Two uploads of one file at once: the second waits here, then sees the first.
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"dataset:{kind}:{digest}"])
        earlier = (
            DatasetSnapshot.objects.filter(kind=kind, sha256=digest, status__in=DUPLICATE_STATUSES)
            .order_by("id")
            .first()
        )
        if earlier is not None:
            raise ValidationError(
                _(
                    "This file was already uploaded: snapshot #%(id)s of %(kind)s as of %(as_of)s "
                    "(%(status)s, uploaded %(at)s). The same file is not imported twice."
                )
                % {
                    "id": earlier.pk,
                    "kind": earlier.get_kind_display(),
                    "as_of": earlier.as_of.isoformat(),
                    "status": earlier.get_status_display(),
                    "at": timezone.localtime(earlier.uploaded_at).strftime("%Y-%m-%d %H:%M"),
                },
                code="conflict",
            )
        spec = K.KINDS[kind]
        job = Job.objects.create(
            kind=JOB_KIND, region=by.region, created_by=by, message=_("Queued")
        )
        snapshot = DatasetSnapshot(
            kind=kind,
            department=str(spec.department),
            as_of=as_of,
            file_format=ext,
            original_name=name,
            sha256=digest,
            size=size,
            uploaded_by=by,
            job=job,
        )
        snapshot.file.save(name, file, save=False)
        DATASET.move(snapshot, "upload", by, "")
        transaction.on_commit(partial(validate_snapshot.delay, snapshot.pk))
    return snapshot


@transaction.atomic
def dataset_approve(*, snapshot: DatasetSnapshot, by: User, reason: str = "") -> DatasetSnapshot:
    """A data administrator other than the uploader approves a validated snapshot; the merge
    runs in the background."""
    from .tasks import merge_snapshot

    snapshot = DATASET.lock(snapshot, by)
    DATASET.check(snapshot, "approve", by)
    DATASET.move(snapshot, "approve", by, reason.strip(), decided_by=by, decided_at=timezone.now())
    transaction.on_commit(partial(merge_snapshot.delay, snapshot.pk))
    return snapshot


@transaction.atomic
def dataset_refuse(*, snapshot: DatasetSnapshot, reason: str, by: User) -> DatasetSnapshot:
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why the dataset is refused.")]})
    snapshot = DATASET.lock(snapshot, by)
    DATASET.check(snapshot, "refuse", by)
    delete_stage(snapshot)
    DATASET.move(
        snapshot,
        "refuse",
        by,
        reason.strip(),
        decided_by=by,
        decided_at=timezone.now(),
        message=reason.strip(),
    )
    return snapshot


MERGE_LOCK = 0x5644534D  # "VDSM": pg_advisory_xact_lock(MERGE_LOCK, hashtext(kind))


def _restage(snapshot_id: int, *, found: int) -> None:
    from .tasks import validate_snapshot

    with transaction.atomic():
        snapshot = DatasetSnapshot.objects.select_for_update().get(pk=snapshot_id)
        delete_stage(snapshot)
        DATASET.move(
            snapshot,
            "restage",
            None,
            _(
                "%(found)s of %(valid)s validated rows were still staged (the database restarted "
                "since the validation): the file is validated again and needs a new approval."
            )
            % {"found": found, "valid": snapshot.rows_valid},
            decided_by=None,
            decided_at=None,
        )
        transaction.on_commit(partial(validate_snapshot.delay, snapshot.pk))


def dataset_merge(*, snapshot_id: int) -> str | None:
    """The merge task's body, one transaction: the staged rows become the kind's record rows,
    the stage is emptied, the snapshot(s) it replaces are superseded, status merged; checks are
    told after the commit. Idempotent: anything but an approved snapshot is left alone."""
    with transaction.atomic():
        snapshot = DatasetSnapshot.objects.select_for_update().filter(pk=snapshot_id).first()
        if snapshot is None or snapshot.status != S.APPROVED:
            return None
        kind = snapshot.kind_spec
        cols = ", ".join(stage_columns(kind))
        record = RECORD_MODELS[kind.code]._meta.db_table
        stage = STAGE_MODELS[kind.code]._meta.db_table
        with connection.cursor() as cur:
            # Serialise merges of one kind, also the first one (which one is current must not
            # race; the row locks below see only snapshots merged already).
            cur.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [MERGE_LOCK, kind.code])
            cur.execute(
                f"INSERT INTO {record} ({cols}) SELECT {cols} FROM {stage} "  # noqa: S608
                "WHERE snapshot_id = %s ORDER BY row_no",
                [snapshot.pk],
            )
            merged_rows = cur.rowcount
        if merged_rows != snapshot.rows_valid:
            # The unlogged stage lost rows (a database crash since validation): nothing is
            # merged (this transaction is rolled back), the file is validated again.
            transaction.set_rollback(True)
            lost = True
        else:
            lost = False
            delete_stage(snapshot)
            others = DatasetSnapshot.objects.select_for_update().filter(
                kind=snapshot.kind, status=S.MERGED, superseded_by__isnull=True
            )
            newer = [o for o in others if o.as_of > snapshot.as_of]
            superseded_by = min(newer, key=lambda o: (o.as_of, o.pk)) if newer else None
            if superseded_by is None:
                others.exclude(pk=snapshot.pk).update(superseded_by=snapshot)
            DATASET.move(
                snapshot,
                "merge",
                None,
                "",
                merged_at=timezone.now(),
                superseded_by=superseded_by,
            )
            by = snapshot.decided_by
            transaction.on_commit(
                partial(snapshot_merged.send, sender=DatasetSnapshot, snapshot=snapshot, by=by)
            )
    if lost:
        _restage(snapshot_id, found=merged_rows)
        return str(S.UPLOADED)
    return str(S.MERGED)
