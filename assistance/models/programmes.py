"""Other programmes (tekun, low-income, temporary, medical, education, disaster, housing) and
outreach reports."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from assistance.models.dibao import DibaoCase
from core.models import Region, TransitionBase
from core.money import MONEY, NON_NEGATIVE
from households.models import Household, Person


class Programme(models.TextChoices):
    TEKUN = "tekun", _("Extreme poverty support (tekun)")
    LOW_INCOME = "low_income", _("Low-income household recognition")
    TEMPORARY = "temporary", _("Temporary assistance")
    MEDICAL = "medical", _("Medical aid")
    EDUCATION = "education", _("Education aid")
    DISASTER = "disaster", _("Disaster aid")
    HOUSING = "housing", _("Housing aid")


class ProgrammeCase(models.Model):
    """One application to a programme other than dibao, from application to decision to payment."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")
        PAID = "paid", _("Paid")
        CLOSED = "closed", _("Closed")

    programme = models.CharField(_("programme"), max_length=12, choices=Programme.choices)
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="programme_cases"
    )
    # The household's village, copied by the database (triggers of migration 0014: on insert, on
    # a change of household, and when the household moves), so that the lists scope and filter
    # by an indexed column of the case instead of joining 300,000 households. Read-only here.
    village = models.ForeignKey(
        "core.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        db_index=True,
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.APPLIED)
    cause = models.CharField(_("cause / event type"), max_length=40, blank=True)
    event_date = models.DateField(_("event date"), null=True, blank=True)
    emergency = models.BooleanField(_("emergency: pay first, document after"), default=False)
    documentation_due = models.DateField(null=True, blank=True)
    documented_on = models.DateField(null=True, blank=True)
    requested_amount = models.DecimalField(**MONEY, null=True, blank=True, validators=NON_NEGATIVE)
    amount = models.DecimalField(
        _("amount"), **MONEY, null=True, blank=True, validators=NON_NEGATIVE
    )
    details = models.JSONField(default=dict, blank=True)
    computation = models.JSONField(default=dict, blank=True)
    applied_on = models.DateField()
    decided_on = models.DateField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    paid_on = models.DateField(null=True, blank=True)
    reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("programme case")
        verbose_name_plural = _("programme cases")
        ordering = ["-id"]
        permissions = [
            ("decide_programmecase", _("Can approve or refuse programme applications")),
            ("export_programmecase", _("Can export programme case lists")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="programme_amount_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_programme_display()} #{self.pk}"


class ProgrammeTransition(TransitionBase):
    """Every action on a programme case (assistance.programmes.workflow)."""

    case = models.ForeignKey(ProgrammeCase, on_delete=models.CASCADE, related_name="transitions")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case} {self.from_status}→{self.to_status}"


class OutreachReport(models.Model):
    """主动发现: a village assistant, social worker or volunteer reports a household in need."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CONVERTED = "converted", _("Became an application")
        CLOSED = "closed", _("Closed")

    village = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        limit_choices_to={"level": Region.Level.VILLAGE},
        related_name="+",
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subject_name = models.CharField(_("name of the person in need"), max_length=50)
    description = models.TextField(_("situation"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    closed_reason = models.TextField(blank=True)
    dibao_case = models.ForeignKey(
        DibaoCase, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    programme_case = models.ForeignKey(
        ProgrammeCase, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(auto_now_add=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outreach report")
        verbose_name_plural = _("outreach reports")
        ordering = ["-reported_at"]

    def __str__(self) -> str:
        return f"{self.subject_name} ({self.get_status_display()})"
