"""Third-party sampling audits (domain.md §4, issue 9 point 7).

A city supervisor plans an audit of a region (the city or one county) for a period: the
population is stratified by town × category, in two frames — the *recipient* frame (households
receiving dibao or tekun support: to estimate wrongful inclusion) and the *excluded* frame
(households whose dibao case was refused or ended in the period: to estimate wrongful exclusion
and wrongful exit). The draw is reproducible from the plan's seed; each sampled household keeps
its stratum and design weight N_h / n_h, and the auditors assigned to the plan — and only they —
see those households and record "conforms" or "discrepancy".
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import EffectiveDated, Region, TransitionBase, no_overlap

__all__ = [
    "AuditPlan",
    "AuditPlanTransition",
    "AuditPolicy",
    "AuditSample",
    "AuditStratum",
]


class AuditPolicy(EffectiveDated):
    """Policy data of the sampling audit: the default sampling rate (domain.md §4: 5 % of the
    recipient households a half-year), the fewest households drawn from a non-empty stratum,
    and the national targets of third-party assessment the report compares with (三率一度:
    wrongful exclusion and wrongful exit each ≤ 2 %; wrongful inclusion held to the same)."""

    sample_percent = models.DecimalField(
        _("sampling rate %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("5"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
    )
    min_per_stratum = models.PositiveSmallIntegerField(_("fewest per stratum"), default=2)
    max_inclusion_percent = models.DecimalField(
        _("target: wrongful inclusion at most %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("2"),
    )
    max_exclusion_percent = models.DecimalField(
        _("target: wrongful exclusion at most %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("2"),
    )
    max_exit_percent = models.DecimalField(
        _("target: wrongful exit at most %"), max_digits=5, decimal_places=2, default=Decimal("2")
    )

    overlap_global = True

    class Meta:
        verbose_name = _("audit policy")
        verbose_name_plural = _("audit policies")
        ordering = ["-valid_from"]
        constraints = [no_overlap("verification_auditpolicy_no_overlap")]

    def __str__(self) -> str:
        return f"{self.sample_percent}% {self.valid_from}"


class AuditPlan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("audit status", "Draft")
        DRAWN = "drawn", pgettext_lazy("audit status", "Sample drawn")
        IN_PROGRESS = "in_progress", pgettext_lazy("audit status", "In progress")
        CLOSED = "closed", pgettext_lazy("audit status", "Closed")
        # Called off by the supervision before it was closed: its results count for nothing
        # (no report), its auditors no longer see its households; the reviews it opened stay.
        CANCELLED = "cancelled", pgettext_lazy("audit status", "Cancelled")

    class Allocation(models.TextChoices):
        PROPORTIONAL = "proportional", _("Proportional (a rate of each stratum)")
        FIXED = "fixed", _("Fixed (the same number per stratum)")

    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level__in": (Region.Level.CITY, Region.Level.COUNTY)},
    )
    period_from = models.DateField(_("period from"))
    period_to = models.DateField(_("period to"))
    allocation = models.CharField(
        _("allocation"), max_length=16, choices=Allocation.choices, default=Allocation.PROPORTIONAL
    )
    sample_percent = models.DecimalField(
        _("sampling rate %"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Proportional allocation; empty: the rate in force (policy data)."),
    )
    min_per_stratum = models.PositiveSmallIntegerField(_("fewest per stratum"), default=2)
    per_stratum = models.PositiveIntegerField(
        _("households per stratum"), null=True, blank=True, help_text=_("Fixed allocation.")
    )
    seed = models.BigIntegerField(_("random seed"))
    auditors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("auditors"), related_name="audit_plans"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    drawn_at = models.DateTimeField(_("drawn at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit plan")
        verbose_name_plural = _("audit plans")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_to__gte=models.F("period_from")),
                name="audit_plan_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(allocation="proportional") | Q(per_stratum__gte=1),
                name="audit_plan_fixed_has_size",
            ),
        ]

    def __str__(self) -> str:
        return f"AU{self.pk:05d}" if self.pk else "AU—"


class AuditPlanTransition(TransitionBase):
    """Every action on a plan (verification.audits.workflow AUDIT), a result recorded or
    corrected on one of its households included (`sample`): who, when, from/to and why (a
    correction: the old and the new result and the auditor's reason)."""

    plan = models.ForeignKey(AuditPlan, on_delete=models.CASCADE, related_name="transitions")
    sample = models.ForeignKey(
        "AuditSample", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta(TransitionBase.Meta):
        verbose_name = _("audit plan history")
        verbose_name_plural = _("audit plan history")


class Frame(models.TextChoices):
    RECIPIENT = "recipient", _("Recipients")
    EXCLUDED = "excluded", _("Refused or exited")


class Category(models.TextChoices):
    DIBAO = "dibao", _("Dibao recipient")
    TEKUN = "tekun", _("Tekun (extreme poverty) recipient")
    REFUSED = "refused", _("Dibao refused in the period")
    EXITED = "exited", _("Dibao ended in the period")


class AuditStratum(models.Model):
    """One stratum (frame × town × category) of a drawn plan: its population N_h and sample n_h."""

    Frame = Frame
    Category = Category

    plan = models.ForeignKey(AuditPlan, on_delete=models.CASCADE, related_name="strata")
    frame = models.CharField(_("frame"), max_length=10, choices=Frame.choices)
    town = models.ForeignKey(
        Region, verbose_name=_("town"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    population = models.PositiveIntegerField(_("households in the stratum (N)"))
    sample_size = models.PositiveIntegerField(_("households drawn (n)"))

    class Meta:
        verbose_name = _("audit stratum")
        verbose_name_plural = _("audit strata")
        ordering = ["plan", "frame", "town__code", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "frame", "town", "category"], name="one_stratum_per_plan_key"
            ),
            models.CheckConstraint(
                condition=Q(sample_size__lte=models.F("population")),
                name="stratum_sample_within_population",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.town.name} {self.get_category_display()}"

    @property
    def weight(self) -> Decimal:
        return Decimal(self.population) / Decimal(self.sample_size or 1)


class AuditSample(models.Model):
    """One sampled household of a plan, with the result its auditor recorded."""

    class Result(models.TextChoices):
        PENDING = "pending", pgettext_lazy("audit result", "Not yet audited")
        CONFORMS = "conforms", pgettext_lazy("audit result", "Conforms")
        DISCREPANCY = "discrepancy", pgettext_lazy("audit result", "Discrepancy")

    class Discrepancy(models.TextChoices):
        WRONGLY_INCLUDED = "wrongly_included", _("Wrongly included (not eligible)")
        WRONGLY_EXCLUDED = "wrongly_excluded", _("Wrongly excluded or exited (eligible)")
        WRONG_AMOUNT = "wrong_amount", _("Wrong amount")
        OTHER = "other", _("Other")

    # Which kinds an auditor may record in each frame: a recipient cannot have been wrongly
    # excluded, a refused or exited household cannot be wrongly included or wrongly paid.
    KINDS_BY_FRAME = {
        Frame.RECIPIENT: (
            Discrepancy.WRONGLY_INCLUDED,
            Discrepancy.WRONG_AMOUNT,
            Discrepancy.OTHER,
        ),
        Frame.EXCLUDED: (Discrepancy.WRONGLY_EXCLUDED, Discrepancy.OTHER),
    }

    plan = models.ForeignKey(AuditPlan, on_delete=models.CASCADE, related_name="samples")
    stratum = models.ForeignKey(AuditStratum, on_delete=models.CASCADE, related_name="samples")
    household = models.ForeignKey(
        "households.Household", on_delete=models.PROTECT, related_name="+"
    )
    # The case that put the household in its frame (dibao: the recipient's or the refused or
    # ended one; tekun: none, see programme_case).
    dibao_case = models.ForeignKey(
        "assistance.DibaoCase", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    programme_case = models.ForeignKey(
        "assistance.ProgrammeCase",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rank = models.PositiveIntegerField(_("draw order in the stratum"))
    weight = models.DecimalField(_("design weight (N/n)"), max_digits=12, decimal_places=4)
    result = models.CharField(
        _("result"), max_length=12, choices=Result.choices, default=Result.PENDING, db_index=True
    )
    discrepancy_kind = models.CharField(
        _("kind of discrepancy"), max_length=20, choices=Discrepancy.choices, blank=True
    )
    details = models.TextField(_("details"), blank=True)
    visited_on = models.DateField(_("examined on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    # Bumped by the record and each correction: a correction names the version it corrects, so
    # of two made at once on the same result one wins and the other is told (optimistic
    # concurrency; timestamps would not do: two writes can share one).
    version = models.PositiveIntegerField(_("version"), default=0, db_default=0)
    # The review the discrepancy opened on the dibao case, if one could be opened.
    review = models.ForeignKey(
        "assistance.CaseReview", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("audit sample")
        verbose_name_plural = _("audit samples")
        ordering = ["plan", "stratum", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "household"], name="one_sample_per_household"),
            models.CheckConstraint(
                condition=Q(result="discrepancy", discrepancy_kind__gt="")
                | (~Q(result="discrepancy") & Q(discrepancy_kind="")),
                name="sample_discrepancy_has_kind",
            ),
        ]
        indexes = [models.Index(fields=["household", "-recorded_at"], name="audit_sample_hh")]

    def __str__(self) -> str:
        return f"{self.plan} #{self.rank} {self.household_id}"
