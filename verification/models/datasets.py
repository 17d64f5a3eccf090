"""The departments' datasets (domain.md §4): one snapshot per file received, and per kind a typed
record table keyed by resident ID number, plus its staging twin.

A file is streamed, validated and COPYed into the kind's *stage* table (unlogged, no index, no
foreign key: the fastest COPY target) with its bad rows in `ImportRowError`; only an approved
snapshot is *merged* — one INSERT … SELECT into the record table, in one transaction with the
status change — so a killed worker leaves either the old state or the new one, never half.
Checks read the record rows of each kind's current snapshot (the newest merged one by as-of
date); superseded snapshots stay for the record, and every finding names its snapshot and row.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import EffectiveDated, Job, TransitionBase, no_overlap

from .. import kinds as K

__all__ = [
    "RECORD_MODELS",
    "STAGE_MODELS",
    "DatasetSnapshot",
    "ImportLimit",
    "ImportRowError",
    "KindChoices",
    "RecordBase",
    "SnapshotTransition",
]

KindChoices = models.TextChoices(  # type: ignore[misc,call-overload]
    "KindChoices", [(code, (code, kind.label)) for code, kind in K.KINDS.items()]
)


def dataset_upload_to(instance: Any, filename: str) -> str:
    """datasets/YYYY/MM/<uuid4 hex>.<csv|xlsx|xls|ods>: never the uploader's name on disk."""
    ext = instance.file_format if getattr(instance, "file_format", "") else "bin"
    return timezone.localdate().strftime("datasets/%Y/%m/") + uuid.uuid4().hex + "." + ext


class DatasetSnapshot(models.Model):
    """One department's file of one kind as of a date: its checksum, counts and fate."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", pgettext_lazy("snapshot status", "Uploaded")
        VALIDATING = "validating", pgettext_lazy("snapshot status", "Validating")
        VALIDATED = "validated", pgettext_lazy("snapshot status", "Validated")
        APPROVED = "approved", pgettext_lazy("snapshot status", "Approved")
        MERGED = "merged", pgettext_lazy("snapshot status", "Merged")
        REFUSED = "refused", pgettext_lazy("snapshot status", "Refused")
        FAILED = "failed", pgettext_lazy("snapshot status", "Failed")

    kind = models.CharField(_("dataset"), max_length=32, choices=KindChoices.choices)
    department = models.CharField(_("department"), max_length=100)
    as_of = models.DateField(_("data as of"))
    file = models.FileField(_("file"), upload_to=dataset_upload_to, max_length=255)
    file_format = models.CharField(_("format"), max_length=8)  # csv xlsx xls ods
    original_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.BigIntegerField(_("size (bytes)"), default=0)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    # Header → field as read from the file (what the row report's columns refer to).
    columns = models.JSONField(_("columns"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.UPLOADED
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_valid = models.PositiveIntegerField(_("valid rows"), default=0)
    rows_invalid = models.PositiveIntegerField(_("invalid rows"), default=0)
    invalid_percent = models.DecimalField(
        _("invalid %"), max_digits=6, decimal_places=2, default=Decimal("0")
    )
    message = models.TextField(_("message"), blank=True)
    job = models.ForeignKey(Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    validated_at = models.DateTimeField(_("validated at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    merged_at = models.DateTimeField(_("merged at"), null=True, blank=True)
    # Set on the older snapshot of the same kind when a newer one is merged.
    superseded_by = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("dataset snapshot")
        verbose_name_plural = _("dataset snapshots")
        ordering = ["-uploaded_at", "-id"]
        permissions = [("approve_datasetsnapshot", _("Can approve or refuse a dataset snapshot"))]
        indexes = [models.Index(fields=["kind", "status", "-as_of"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.as_of} #{self.pk}"

    @property
    def kind_spec(self) -> K.Kind:
        return K.KINDS[self.kind]


class SnapshotTransition(TransitionBase):
    snapshot = models.ForeignKey(
        DatasetSnapshot, on_delete=models.CASCADE, related_name="transitions"
    )

    class Meta(TransitionBase.Meta):
        verbose_name = _("snapshot history")
        verbose_name_plural = _("snapshot history")


class ImportRowError(models.Model):
    """One bad cell (or a whole bad row) of a snapshot's file, as the row report shows it:
    spreadsheet row (the header is row 1), column, value and what is wrong."""

    snapshot = models.ForeignKey(
        DatasetSnapshot, on_delete=models.CASCADE, related_name="row_errors", db_constraint=False
    )
    row_no = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=100, blank=True)
    value = models.CharField(_("value"), max_length=100, blank=True)
    message = models.CharField(_("message"), max_length=255)

    class Meta:
        verbose_name = _("import row error")
        verbose_name_plural = _("import row errors")
        ordering = ["snapshot", "row_no", "id"]
        indexes = [models.Index(fields=["snapshot", "row_no"])]

    def __str__(self) -> str:
        return f"{self.row_no} {self.column}: {self.message}"


class ImportLimit(EffectiveDated):
    """Policy data: above this share of invalid rows a snapshot is refused automatically."""

    max_invalid_percent = models.DecimalField(
        _("max invalid %"), max_digits=5, decimal_places=2, default=Decimal("5")
    )

    overlap_global = True  # one limit in force on any day

    class Meta:
        verbose_name = _("import limit")
        verbose_name_plural = _("import limits")
        ordering = ["-valid_from"]
        constraints = [no_overlap("verification_importlimit_no_overlap")]


class RecordBase(models.Model):
    """Columns every dataset record has: the snapshot and spreadsheet row it came from, and the
    resident ID number (normalised, upper-case X) it is keyed by."""

    # Indexed by (snapshot, id_number) on each record table, so no index of its own.
    snapshot = models.ForeignKey(
        DatasetSnapshot, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    row_no = models.PositiveIntegerField(_("row"))
    id_number = models.CharField(_("ID number"), max_length=18)
    name = models.CharField(_("name"), max_length=50, blank=True)

    class Meta:
        abstract = True


def _column(f: K.Field) -> models.Field[Any, Any]:
    """The record column for a declared field (kinds.py's cleaner says the type)."""
    label = f.label
    if f.clean is K._date:
        return models.DateField(label, null=True, blank=True)
    if f.clean is K._amount:
        return models.DecimalField(label, max_digits=16, decimal_places=2, null=True, blank=True)
    if f.clean is K._area:
        return models.DecimalField(label, max_digits=10, decimal_places=2, null=True, blank=True)
    if f.clean is K._count:
        return models.IntegerField(label, null=True, blank=True)
    return models.CharField(label, max_length=f.clean.max_length, blank=True)  # type: ignore[attr-defined]


def _camel(code: str) -> str:
    return "".join(part.capitalize() for part in code.split("_"))


RECORD_MODELS: dict[str, type[RecordBase]] = {}
STAGE_MODELS: dict[str, type[RecordBase]] = {}

for _code, _kind in K.KINDS.items():
    assert len(_code) <= 22, _code  # index names are at most 30 characters
    _extra = {f.name: _column(f) for f in _kind.fields if f.name not in ("id_number", "name")}
    _record_meta = type(
        "Meta",
        (),
        {
            "db_table": f"verification_record_{_code}",
            "verbose_name": _kind.label,
            "verbose_name_plural": _kind.label,
            # Checks join on (current snapshot, ID number); a household's report looks one up.
            "indexes": [models.Index(fields=["snapshot", "id_number"], name=f"vr_{_code}_snap")],
        },
    )
    RECORD_MODELS[_code] = type(
        f"{_camel(_code)}Record",
        (RecordBase,),
        {"__module__": __name__, "Meta": _record_meta, **_extra},
    )
    # The staging twin: same columns, no index, no foreign-key check (made unlogged by the
    # migration); rows live here only between validation and merge or refusal.
    _stage_extra = {f.name: _column(f) for f in _kind.fields if f.name not in ("id_number", "name")}
    STAGE_MODELS[_code] = type(
        f"{_camel(_code)}Stage",
        (RecordBase,),
        {
            "__module__": __name__,
            "Meta": type("Meta", (), {"db_table": f"verification_stage_{_code}"}),
            "snapshot": models.ForeignKey(
                DatasetSnapshot,
                on_delete=models.DO_NOTHING,
                db_constraint=False,
                db_index=False,
                related_name="+",
            ),
            **_stage_extra,
        },
    )
    globals()[RECORD_MODELS[_code].__name__] = RECORD_MODELS[_code]
    globals()[STAGE_MODELS[_code].__name__] = STAGE_MODELS[_code]
