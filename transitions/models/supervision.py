"""Supervision and targets (domain.md §10) and return-to-poverty monitoring (§7, 防返贫).

- `FundBudget`: the monthly budget of a fund (dibao, tekun, temporary, medical …) in a district,
  effective-dated policy data the supervision report sets the month's payments against.
- `MonitoringRule`: one trigger of the monthly monitoring run, with its thresholds and the
  working days the caseworker has to assess (effective-dated; one rule per kind in force).
- `MonitoringCase`: a household that tripped a rule, open until the town's caseworker closes it
  with an outcome and a reason; `MonitoringCaseTransition` its history.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import EffectiveDated, Region, TransitionBase, no_overlap
from core.money import MONEY, NON_NEGATIVE
from households.models import Household


class Fund(models.TextChoices):
    DIBAO = "dibao", _("Dibao")
    TEKUN = "tekun", _("Extreme poverty support (tekun)")
    LOW_INCOME = "low_income", _("Low-income household recognition")
    TEMPORARY = "temporary", _("Temporary assistance")
    MEDICAL = "medical", _("Medical aid")
    EDUCATION = "education", _("Education aid")
    DISASTER = "disaster", _("Disaster aid")
    HOUSING = "housing", _("Housing aid")


class FundBudget(EffectiveDated):
    """A district's budget for one fund, per month, for the months it is in force."""

    county = models.ForeignKey(
        Region,
        verbose_name=_("district / county-level city"),
        on_delete=models.PROTECT,
        limit_choices_to={"level": Region.Level.COUNTY},
        related_name="+",
    )
    fund = models.CharField(_("fund"), max_length=12, choices=Fund.choices)
    monthly_amount = models.DecimalField(
        _("budget per month (yuan)"), **MONEY, validators=NON_NEGATIVE
    )
    overlap_fields = ("county", "fund")

    class Meta:
        verbose_name = _("fund budget")
        verbose_name_plural = _("fund budgets")
        ordering = ["county__code", "fund", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "fund", "valid_from"], name="fund_budget_once_per_start"
            ),
            models.CheckConstraint(
                condition=Q(monthly_amount__gte=0), name="fund_budget_non_negative"
            ),
            no_overlap("fund_budget_no_overlap", integer=("county",), text=("fund",)),
        ]

    def __str__(self) -> str:
        return f"{self.county} {self.get_fund_display()} {self.valid_from}"


class MonitoringRule(EffectiveDated):
    """One trigger of the monitoring run. What `threshold` means depends on the kind:

    - income below the line: the monitoring line as a multiple of the poverty line (1.5);
    - medical cost: yuan a year for an exited household; `threshold_other` for the others;
    - sudden hardship (disaster, sudden serious illness): unused.

    `lookback_days`: how far back the run looks (medical costs, events)."""

    class Kind(models.TextChoices):
        INCOME = "income", _("Per-capita income below the monitoring line")
        MEDICAL = "medical", _("Medical out-of-pocket cost above the threshold")
        HARDSHIP = "hardship", _("Disaster or sudden serious illness reported")

    kind = models.CharField(_("rule"), max_length=12, choices=Kind.choices)
    threshold = models.DecimalField(
        _("threshold"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    threshold_other = models.DecimalField(
        _("threshold for households not exited"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    lookback_days = models.PositiveIntegerField(
        _("looks back (days)"), default=365, validators=[MinValueValidator(1)]
    )
    deadline_working_days = models.PositiveSmallIntegerField(
        _("assessment within (working days)"), default=20, validators=[MinValueValidator(1)]
    )
    overlap_fields = ("kind",)

    class Meta:
        verbose_name = _("monitoring rule")
        verbose_name_plural = _("monitoring rules")
        ordering = ["kind", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "valid_from"], name="monitoring_rule_once"),
            no_overlap("monitoring_rule_no_overlap", text=("kind",)),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.valid_from}"


class MonitoringCase(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Outcome(models.TextChoices):
        RISK_CLEARED = "risk_cleared", _("Risk cleared")
        ASSISTED = "assisted", _("Assistance measures taken")
        RETURNED = "returned", _("Returned to poverty: re-registered")
        NO_RISK = "no_risk", _("No risk found")

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    # The household's village when the case opened: the inbox and the lists scope by it.
    village = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    rule = models.CharField(_("rule"), max_length=12, choices=MonitoringRule.Kind.choices)
    # What tripped it (an event: "programme:123"; empty for a figure such as income), so one
    # event never opens a second case, even after the first is closed.
    trigger = models.CharField(max_length=40, blank=True)
    detail = models.JSONField(_("what was found"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    opened_on = models.DateField(_("opened on"))
    due_on = models.DateField(_("assessment due"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("monitoring case")
        verbose_name_plural = _("monitoring cases")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "rule"],
                condition=Q(status="open"),
                name="one_open_monitoring_case_per_rule",
            ),
            models.UniqueConstraint(
                fields=["household", "rule", "trigger"],
                condition=~Q(trigger=""),
                name="one_monitoring_case_per_trigger",
            ),
        ]
        indexes = [models.Index(fields=["village", "status"], name="monitoring_case_village")]

    def __str__(self) -> str:
        return f"{self.household} {self.get_rule_display()} {self.opened_on}"


class MonitoringCaseTransition(TransitionBase):
    case = models.ForeignKey(MonitoringCase, on_delete=models.CASCADE, related_name="transitions")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case} {self.from_status}→{self.to_status}"
