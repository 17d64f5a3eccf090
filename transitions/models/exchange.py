"""Exchange batches (domain.md §8): a dated, versioned set of files one department sends
another each month, with a manifest (per file its SHA-256 and rows; the sequence number; the
SHA-256 of the previous batch's manifest of the same stream: a hash chain). Which streams exist
and how they select their rows is transitions.exchange.streams (code, declared once)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TransitionBase

from .handoffs import Department


class ExchangeBatch(models.Model):
    class Status(models.TextChoices):
        BUILT = "built", _("Sent, awaiting receipt")
        ACKNOWLEDGED = "acknowledged", _("Receipt acknowledged")

    # A key of transitions.exchange.streams.STREAMS (validated there: streams are code).
    stream = models.CharField(_("stream"), max_length=40)
    sender = models.CharField(_("sender"), max_length=16, choices=Department.choices)
    receiver = models.CharField(_("receiver"), max_length=16, choices=Department.choices)
    kind = models.CharField(_("kind"), max_length=40)
    period = models.DateField(_("period (month)"))
    sequence = models.PositiveIntegerField(_("sequence number"))
    row_count = models.PositiveIntegerField(_("rows"))
    # The rows' own hash (canonical JSON): the same data gives the same hash, whereas an xlsx's
    # bytes carry the time it was written.
    content_sha256 = models.CharField(_("content SHA-256"), max_length=64)
    manifest = models.JSONField(_("manifest"))
    manifest_sha256 = models.CharField(_("manifest SHA-256"), max_length=64)
    previous = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="next"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.BUILT
    )
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    built_at = models.DateTimeField(_("built at"), auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    # The daily job tells the receiver once that the receipt is overdue.
    overdue_notified_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("exchange batch")
        verbose_name_plural = _("exchange batches")
        ordering = ["-period", "stream"]
        constraints = [
            models.UniqueConstraint(fields=["stream", "period"], name="exchange_once_per_period"),
            models.UniqueConstraint(fields=["stream", "sequence"], name="exchange_sequence_once"),
        ]
        indexes = [models.Index(fields=["status", "built_at"], name="exchange_awaiting")]

    def __str__(self) -> str:
        return f"{self.stream} {self.period:%Y-%m} #{self.sequence}"


def _batch_file_upload_to(instance: "ExchangeBatchFile", filename: str) -> str:
    """A random folder: the files hold ID numbers and are served only by the scoped view."""
    return f"private/exchange/{uuid.uuid4().hex}/{filename}"


class ExchangeBatchFile(models.Model):
    batch = models.ForeignKey(ExchangeBatch, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(_("file name"), max_length=120)
    file = models.FileField(upload_to=_batch_file_upload_to, max_length=255)
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField(_("rows"))
    size = models.PositiveBigIntegerField(_("bytes"))

    class Meta:
        verbose_name = _("exchange file")
        verbose_name_plural = _("exchange files")
        ordering = ["batch_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "name"], name="exchange_file_name_once")
        ]

    def __str__(self) -> str:
        return self.name


class ExchangeBatchTransition(TransitionBase):
    batch = models.ForeignKey(ExchangeBatch, on_delete=models.CASCADE, related_name="transitions")

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("exchange batch transition")
        verbose_name_plural = _("exchange batch transitions")

    def __str__(self) -> str:
        return f"{self.batch} {self.from_status}→{self.to_status}"
