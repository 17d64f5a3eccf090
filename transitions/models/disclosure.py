"""Standing public disclosure (公示, domain.md §5.9): published versions of a village's or a
town's list of current dibao and tekun recipients and key-target households, and the
objections the public files against them.

A version keeps its rows as a snapshot of the public fields only (masked name, members,
amount), so "what was public when" survives later changes; the case each row came from is kept
apart (`row_sources`), never rendered on the public page.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Region, TransitionBase


def new_token() -> str:
    # 128 random bits: a list's address cannot be guessed or enumerated.
    return secrets.token_urlsafe(16)


class Publication(models.Model):
    class Status(models.TextChoices):
        PUBLISHED = "published", _("Published")
        TAKEN_DOWN = "taken_down", _("Taken down")

    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PUBLISHED
    )
    published_at = models.DateTimeField(_("published at"))
    # Null: published by the monthly job.
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # [{"ref", "kind", "village", "name", "members", "amount"}]: the public fields only.
    rows = models.JSONField(default=list)
    # {ref: {"kind", "id"}}: which case or household a row came from, for the staff only.
    row_sources = models.JSONField(default=dict)
    takedown_reason = models.TextField(_("reason for the takedown"), blank=True)
    taken_down_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    taken_down_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("public disclosure")
        verbose_name_plural = _("public disclosures")
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["region", "-published_at"], name="publication_latest")]

    def __str__(self) -> str:
        return f"{self.region} {self.published_at:%Y-%m-%d}"


class PublicationTransition(TransitionBase):
    publication = models.ForeignKey(
        Publication, on_delete=models.CASCADE, related_name="transitions"
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.publication} {self.from_status}→{self.to_status}"


class PublicObjection(models.Model):
    """An objection from the public to a published list (or one row of it), answered by the
    caseworkers of the town."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ANSWERED = "answered", _("Answered")

    publication = models.ForeignKey(
        Publication, on_delete=models.PROTECT, related_name="objections"
    )
    # The row's random reference in the snapshot (empty: about the list as a whole).
    row_ref = models.CharField(max_length=16, blank=True)
    text = models.TextField(_("what is wrong"))
    contact = models.CharField(_("contact (optional)"), max_length=100, blank=True)
    received_at = models.DateTimeField(_("received at"))
    due_on = models.DateField(_("answer due"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    outcome = models.TextField(_("outcome"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("public objection")
        verbose_name_plural = _("public objections")
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return f"{self.publication} #{self.pk}"

    @property
    def row(self) -> dict | None:
        return next((r for r in self.publication.rows if r.get("ref") == self.row_ref), None)


class PublicObjectionTransition(TransitionBase):
    objection = models.ForeignKey(
        PublicObjection, on_delete=models.CASCADE, related_name="transitions"
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.objection} {self.from_status}→{self.to_status}"
