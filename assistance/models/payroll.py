"""Monthly payroll and its lines (read from the benefit ledger)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from assistance.models.dibao import BenefitAward, DibaoCase
from core.models import Region, TransitionBase
from core.money import MONEY


class Payroll(models.Model):
    class Status(models.TextChoices):
        BUILDING = "building", _("Building")
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved (locked)")

    county = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        limit_choices_to={"level": Region.Level.COUNTY},
        related_name="payrolls",
    )
    month = models.DateField(_("month"), help_text=_("First day of the month."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BUILDING)
    line_count = models.PositiveIntegerField(default=0)
    total = models.DecimalField(**MONEY, default=0)
    built_at = models.DateTimeField(null=True, blank=True)
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    job = models.ForeignKey(
        "core.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("payroll")
        verbose_name_plural = _("payrolls")
        ordering = ["-month", "county__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "month"], name="one_payroll_per_county_month"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="payroll_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.county} {self.month:%Y-%m}"


class PayrollLine(models.Model):
    payroll = models.ForeignKey(Payroll, on_delete=models.PROTECT, related_name="lines")
    case = models.ForeignKey(DibaoCase, on_delete=models.PROTECT, related_name="payroll_lines")
    month = models.DateField()
    award = models.ForeignKey(BenefitAward, on_delete=models.PROTECT, related_name="+")
    payee_name = models.CharField(max_length=50)
    bank_name = models.CharField(max_length=100, blank=True)
    bank_account = models.CharField(max_length=32, blank=True)
    members = models.PositiveSmallIntegerField()
    base_amount = models.DecimalField(**MONEY)
    supplement_amount = models.DecimalField(**MONEY)
    price_subsidy = models.DecimalField(**MONEY, default=0)
    total = models.DecimalField(**MONEY)

    class Meta:
        verbose_name = _("payroll line")
        verbose_name_plural = _("payroll lines")
        ordering = ["payroll_id", "case_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "month"], name="one_payroll_line_per_case_month"
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="payroll_line_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.month:%Y-%m} {self.total}"


# ----------------------------------------------------------------------------- other programmes


class PayrollTransition(TransitionBase):
    """Every action on a payroll (build, rebuild, approve): separation of duties reads it, so the
    user who built a payroll, even once, can never approve it."""

    payroll = models.ForeignKey(Payroll, on_delete=models.CASCADE, related_name="transitions")

    class Meta(TransitionBase.Meta):
        verbose_name = _("payroll transition")
        verbose_name_plural = _("payroll transitions")
