"""The poverty-alleviation register (建档立卡, domain.md §3, §7): a household's record, its causes
and its status through to the exit certification; every action's history row."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TransitionBase
from core.money import MONEY, NON_NEGATIVE
from households.models import Household


class PovertyCause(models.TextChoices):
    ILLNESS = "illness", _("Illness")
    SCHOOLING = "schooling", _("Schooling")
    DISABILITY = "disability", _("Disability")
    DISASTER = "disaster", _("Disaster")
    LACK_OF_LABOUR = "lack_of_labour", _("Lack of labour")
    LACK_OF_SKILLS = "lack_of_skills", _("Lack of skills")
    LACK_OF_FUNDS = "lack_of_funds", _("Lack of funds")
    OTHER = "other", _("Other")


class PovertyRecord(models.Model):
    """One household's file in the register. One per household: a household that falls back
    after its exit is re-registered on the same record (status "returned"), so its story stays
    in one place."""

    class Status(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        ASSISTED = "assisted", _("Assisted")
        EXIT_PROPOSED = "exit_proposed", _("Exit proposed")
        EXIT_CONFIRMED = "exit_confirmed", _("Exit confirmed")
        RETURNED = "returned", _("Returned to poverty")

    class ConfirmingLevel(models.TextChoices):
        COUNTY = "county", _("District / county-level city government")
        CITY = "city", _("City government")

    household = models.OneToOneField(
        Household, on_delete=models.PROTECT, related_name="poverty_record"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.REGISTERED
    )
    registered_on = models.DateField(_("registered on"))
    causes = ArrayField(
        models.CharField(max_length=16, choices=PovertyCause.choices),
        verbose_name=_("poverty causes"),
        default=list,
    )
    cause_note = models.CharField(_("note on the causes"), max_length=255, blank=True)
    # The exit proposal's evidence (the poverty office's).
    exit_proposed_on = models.DateField(_("exit proposed on"), null=True, blank=True)
    exit_income_per_capita = models.DecimalField(
        _("per-capita monthly income now"), **MONEY, validators=NON_NEGATIVE, null=True, blank=True
    )
    exit_evidence = models.TextField(_("evidence for the exit"), blank=True)
    # The government's confirmation, recorded by a poverty-office reviewer of the district.
    exit_confirmed_on = models.DateField(_("exit confirmed on"), null=True, blank=True)
    exit_document_no = models.CharField(_("confirmation document no."), max_length=100, blank=True)
    exit_confirming_level = models.CharField(
        _("confirmed by"), max_length=8, choices=ConfirmingLevel.choices, blank=True
    )
    returned_on = models.DateField(_("returned to poverty on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("poverty record")
        verbose_name_plural = _("poverty records")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="exit_confirmed")
                | (Q(exit_confirmed_on__isnull=False) & ~Q(exit_document_no="")),
                name="poverty_exit_confirmed_has_document",
            ),
        ]
        indexes = [models.Index(fields=["status"], name="poverty_record_status")]

    def __str__(self) -> str:
        return f"PR{self.pk:06d}" if self.pk else "PR—"


class PovertyRecordTransition(TransitionBase):
    """Every action on a poverty record (poverty.workflow): who, when, from/to and why."""

    record = models.ForeignKey(PovertyRecord, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=16, choices=PovertyRecord.Status.choices)
    to_status = models.CharField(max_length=16, choices=PovertyRecord.Status.choices)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("poverty record transition")
        verbose_name_plural = _("poverty record transitions")

    def __str__(self) -> str:
        return f"{self.record} {self.from_status}→{self.to_status}"
