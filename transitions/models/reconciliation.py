"""Inbound batches and ledger reconciliation (台账比对, domain.md §8).

An *inbound batch* is a file an outside system or department sends us (the national register's
export, the social insurance agency's enrolment list): its sender, stream, period, sequence and
checksum; its rows streamed and COPYed by verification's import (`InboundRow`), its bad cells
and duplicate persons in `InboundRowError`, and the comparison with our register per row in
`InboundResult` (matched, new, changed, unmatched).

A *difference* is one finding of the reconciliation job over our register and the latest
inbound batches: category and key are its identity (a rerun updates it, never a second row);
it has an owner department and a state (open, explained, fixed) with its history."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Job, Region, TransitionBase
from households.models import Household, Person

from .handoffs import Department


def _inbound_upload_to(instance: InboundBatch, filename: str) -> str:
    import uuid

    ext = instance.file_format or "bin"
    return f"private/inbound/{uuid.uuid4().hex}.{ext}"


class InboundBatch(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        IMPORTED = "imported", _("Imported and compared")
        FAILED = "failed", _("Refused")

    # A key of transitions.reconciliation.streams.INBOUND (streams are code).
    stream = models.CharField(_("stream"), max_length=40)
    sender = models.CharField(_("sender"), max_length=40)
    kind = models.CharField(_("kind"), max_length=40)
    period = models.DateField(_("period (month)"))
    sequence = models.PositiveIntegerField(_("sequence number"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    file = models.FileField(upload_to=_inbound_upload_to, max_length=255)
    file_format = models.CharField(_("format"), max_length=8)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.BigIntegerField(_("size (bytes)"), default=0)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    columns = models.JSONField(_("columns"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_invalid = models.PositiveIntegerField(_("invalid rows"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicate persons"), default=0)
    matched = models.PositiveIntegerField(_("matched"), default=0)
    new = models.PositiveIntegerField(_("new"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    unmatched = models.PositiveIntegerField(_("unmatched"), default=0)
    # Reported, not refused: e.g. [{"code": "sequence_gap", "message": "..."}].
    problems = models.JSONField(_("problems"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    job = models.ForeignKey(Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("inbound batch")
        verbose_name_plural = _("inbound batches")
        ordering = ["-period", "stream", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["stream", "sha256"], name="inbound_file_once"),
            models.UniqueConstraint(fields=["stream", "sequence"], name="inbound_sequence_once"),
        ]

    def __str__(self) -> str:
        return f"{self.stream} {self.period:%Y-%m} #{self.sequence}"

    @property
    def kind_spec(self):  # type: ignore[no-untyped-def]
        """The verification import's Kind for this stream (what validate_rows reads)."""
        from ..reconciliation.streams import INBOUND

        return INBOUND[self.stream].kind_spec


class InboundBatchTransition(TransitionBase):
    batch = models.ForeignKey(InboundBatch, on_delete=models.CASCADE, related_name="transitions")

    class Meta(TransitionBase.Meta):
        verbose_name = _("inbound batch history")
        verbose_name_plural = _("inbound batch history")


class InboundRow(models.Model):
    """One person row of an inbound file as cleaned by the import (COPYed, never one by one)."""

    batch = models.ForeignKey(
        InboundBatch, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    row_no = models.PositiveIntegerField(_("row"))
    id_number = models.CharField(_("ID number"), max_length=18)
    name = models.CharField(_("name"), max_length=50, blank=True, db_default="")
    household_no = models.CharField(_("household no."), max_length=32, blank=True, db_default="")
    # A stream without the column leaves it empty (COPY names only the stream's columns).
    head_id_number = models.CharField(
        _("head's ID number"), max_length=18, blank=True, db_default=""
    )
    members = models.IntegerField(_("members"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, blank=True, db_default="")
    village_code = models.CharField(_("village code"), max_length=12, blank=True, db_default="")
    per_capita_income = models.DecimalField(
        _("per-capita monthly income"), max_digits=16, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("inbound row")
        verbose_name_plural = _("inbound rows")
        indexes = [models.Index(fields=["batch", "id_number"], name="inbound_row_person")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row_no}"


class InboundRowError(models.Model):
    batch = models.ForeignKey(
        InboundBatch, on_delete=models.CASCADE, related_name="row_errors", db_constraint=False
    )
    row_no = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=100, blank=True)
    value = models.CharField(_("value"), max_length=100, blank=True)
    message = models.CharField(_("message"), max_length=255)

    class Meta:
        verbose_name = _("inbound row error")
        verbose_name_plural = _("inbound row errors")
        ordering = ["batch", "row_no", "id"]
        indexes = [models.Index(fields=["batch", "row_no"], name="inbound_error_row")]

    def __str__(self) -> str:
        return f"{self.row_no} {self.column}: {self.message}"


class InboundResult(models.Model):
    """The comparison of one row with our register: matched, new (not in ours), changed (the
    fields that differ) or unmatched (ours, not in theirs: no row number)."""

    class Outcome(models.TextChoices):
        MATCHED = "matched", _("Matched")
        NEW = "new", _("New (not in ours)")
        CHANGED = "changed", _("Changed")
        UNMATCHED = "unmatched", _("Unmatched (ours, not in theirs)")

    batch = models.ForeignKey(InboundBatch, on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    id_number = models.CharField(_("ID number"), max_length=18)
    row_no = models.PositiveIntegerField(_("row"), null=True, blank=True)
    person_id = models.BigIntegerField(null=True, blank=True)
    fields = ArrayField(models.CharField(max_length=20), default=list, blank=True)

    class Meta:
        verbose_name = _("inbound comparison")
        verbose_name_plural = _("inbound comparisons")
        indexes = [models.Index(fields=["batch", "outcome"], name="inbound_result_outcome")]

    def __str__(self) -> str:
        return f"{self.batch_id} {self.outcome} {self.row_no or '—'}"


class ReconciliationRun(models.Model):
    """One run of the reconciliation job: the inbound batches it read and what it found."""

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    on = models.DateField(_("as of"))
    batches = models.JSONField(_("inbound batches read"), default=dict, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    job = models.ForeignKey(Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"R{self.pk}"


class Difference(models.Model):
    class Category(models.TextChoices):
        REGISTERED_NOT_DIBAO = (
            "registered_not_dibao",
            _("Registered household qualifying for dibao, not in it"),
        )
        DIBAO_NOT_REGISTERED = (
            "dibao_not_registered",
            _("Dibao household qualifying for registration, not registered"),
        )
        EXITED_FULL_DIBAO = (
            "exited_full_dibao",
            _("Exited household on full dibao past its phase-out"),
        )
        UNKNOWN_PERSON = "unknown_person", _("Person on one list unknown to the other")
        FIELD_MISMATCH = "field_mismatch", _("Field mismatch between registers")
        NO_INSURANCE = "no_insurance", _("Person missing social-insurance enrolment")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        EXPLAINED = "explained", _("Explained")
        FIXED = "fixed", _("Fixed")

    category = models.CharField(_("category"), max_length=24, choices=Category.choices)
    # Identity within the category: a household id, an ID number, "id:field"…
    key = models.CharField(_("key"), max_length=64)
    owner = models.CharField(_("owner department"), max_length=16, choices=Department.choices)
    status = models.CharField(_("state"), max_length=10, choices=State.choices, default="open")
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The village (scoping); NULL (a person known only to the other register, in no village
    # of ours): visible at city level only.
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    reason = models.TextField(_("explanation"), blank=True)
    first_run = models.ForeignKey(
        ReconciliationRun, on_delete=models.PROTECT, related_name="+", null=True
    )
    last_run = models.ForeignKey(
        ReconciliationRun, on_delete=models.PROTECT, related_name="+", null=True
    )
    found_at = models.DateTimeField(_("found at"))
    updated_at = models.DateTimeField(_("updated at"))
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("reconciliation difference")
        verbose_name_plural = _("reconciliation differences")
        ordering = ["category", "id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "key"], name="difference_identity")
        ]
        indexes = [models.Index(fields=["status", "owner", "category"], name="difference_list")]

    def __str__(self) -> str:
        return f"{self.category} {self.key}"


class DifferenceTransition(TransitionBase):
    difference = models.ForeignKey(Difference, on_delete=models.CASCADE, related_name="transitions")

    class Meta(TransitionBase.Meta):
        verbose_name = _("difference history")
        verbose_name_plural = _("difference history")
