"""Dibao and the other assistance programmes: policy data, declarations, cases, the benefit
ledger and payroll. Every money figure is Decimal to the fen; the monthly total is rounded once."""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import EffectiveDated, Region
from core.uploads import sniffed_upload_to
from households.models import Household, Person

MONEY: dict[str, Any] = {"max_digits": 12, "decimal_places": 2}
NON_NEGATIVE = [MinValueValidator(Decimal("0"))]


# ----------------------------------------------------------------------------- policy data


class DibaoStandard(EffectiveDated):
    """Yuan per person per month, per county-level unit, urban and rural (domain.md §6)."""

    county = models.ForeignKey(
        Region,
        verbose_name=_("district / county-level city"),
        on_delete=models.PROTECT,
        limit_choices_to={"level": Region.Level.COUNTY},
        related_name="dibao_standards",
    )
    urban = models.DecimalField(_("urban standard"), **MONEY, validators=NON_NEGATIVE)
    rural = models.DecimalField(_("rural standard"), **MONEY, validators=NON_NEGATIVE)
    interpolated = models.BooleanField(
        _("interpolated"), default=False, help_text=_("Not from a source document: estimated.")
    )
    overlap_fields = ("county",)

    class Meta:
        verbose_name = _("dibao standard")
        verbose_name_plural = _("dibao standards")
        ordering = ["county__code", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "valid_from"], name="standard_once_per_start"
            ),
            models.CheckConstraint(
                condition=Q(urban__gte=0) & Q(rural__gte=0), name="standard_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.county} {self.valid_from}: {self.urban}/{self.rural}"

    def amount_for(self, hukou_type: str) -> Decimal:
        return self.urban if hukou_type == Household.Hukou.URBAN else self.rural


class SupplementCategory(models.TextChoices):
    AGED_70 = "aged_70", _("Aged 70 and over")
    AGED_60 = "aged_60", _("Aged 60–69")
    SEVERE_DISABILITY = "severe_disability", _("Disability grade 1–2")
    MINOR = "minor", _("Minor (under 18)")
    SERIOUS_ILLNESS = "serious_illness", _("Serious illness")


class CategorySupplement(EffectiveDated):
    """分类施保: a percentage of the standard per person; only the highest applies."""

    category = models.CharField(_("category"), max_length=24, choices=SupplementCategory.choices)
    percent = models.DecimalField(_("percent of the standard"), max_digits=5, decimal_places=2)
    overlap_fields = ("category",)

    class Meta:
        verbose_name = _("category supplement")
        verbose_name_plural = _("category supplements")
        ordering = ["category", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "valid_from"], name="supplement_once_per_start"
            ),
            models.CheckConstraint(
                condition=Q(percent__gte=0) & Q(percent__lte=100), name="supplement_percent_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.percent}%"


class IncomeType(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    counted = models.BooleanField(_("counted as income"), default=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("income type")
        verbose_name_plural = _("income types")
        ordering = ["-counted", "code"]

    def __str__(self) -> str:
        return self.name


class ExpenditureType(models.Model):
    """Rigid expenditure (disability, serious illness) and necessary employment costs."""

    class Kind(models.TextChoices):
        RIGID = "rigid", _("Rigid expenditure")
        EMPLOYMENT = "employment", _("Necessary employment cost")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    deductible = models.BooleanField(_("deductible"), default=True)

    class Meta:
        verbose_name = _("expenditure type")
        verbose_name_plural = _("expenditure types")
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.name


class PolicyParameter(EffectiveDated):
    """Procedure and programme numbers (notice days, working-day limits, multiples, caps…)."""

    class Key(models.TextChoices):
        NOTICE_DAYS = "notice_days", _("Public notice length (days)")
        PROCEDURE_LIMIT_WD = "procedure_limit_wd", _("Procedure limit (working days)")
        PROCEDURE_LIMIT_EXTENDED_WD = (
            "procedure_limit_extended_wd",
            _("Extended procedure limit (working days)"),
        )
        START_INVESTIGATION_WD = (
            "start_investigation_wd",
            _("Start investigating within (working days)"),
        )
        REFUSAL_NOTICE_WD = "refusal_notice_wd", _("Written refusal within (working days)")
        REVIEW_MONTHS_STABLE = "review_months_stable", _("Review interval, stable (months)")
        REVIEW_MONTHS_UNSTABLE = "review_months_unstable", _("Review interval, unstable (months)")
        PRICE_TRIGGER_PCT = "price_trigger_pct", _("Price linkage trigger (CPI % y/y)")
        PRICE_SUBSIDY_PCT = "price_subsidy_pct", _("Price subsidy (% of standard)")
        TEKUN_MULTIPLE = "tekun_multiple", _("Tekun support (× standard)")
        LOW_INCOME_MULTIPLE = "low_income_multiple", _("Low-income threshold (× standard)")
        ASSET_MONTHS = "asset_months", _("Financial assets limit (× monthly standard per person)")
        MEDICAL_RATE_PCT = "medical_rate_pct", _("Medical aid rate (%)")
        MEDICAL_CAPACITY_PCT = (
            "medical_capacity_pct",
            _("Medical: household capacity (% of annual income)"),
        )
        MEDICAL_ANNUAL_CAP = "medical_annual_cap", _("Medical aid annual cap (yuan)")
        TEMPORARY_CAP_MULTIPLE = (
            "temporary_cap_multiple",
            _("Temporary assistance cap (× standard × members)"),
        )
        TEMPORARY_DOCUMENT_WD = (
            "temporary_document_wd",
            _("Emergency aid: document within (working days)"),
        )
        PHASE_OUT_MONTHS = "phase_out_months", _("Phase-out (months)")
        TOPUP_TARGET_URBAN_PCT = "topup_target_urban_pct", _("Top-up level target, urban (%)")
        TOPUP_TARGET_RURAL_PCT = "topup_target_rural_pct", _("Top-up level target, rural (%)")

    key = models.CharField(_("parameter"), max_length=40, choices=Key.choices)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4)
    overlap_fields = ("key",)

    class Meta:
        verbose_name = _("policy parameter")
        verbose_name_plural = _("policy parameters")
        ordering = ["key", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["key", "valid_from"], name="parameter_once_per_start"),
        ]

    def __str__(self) -> str:
        return f"{self.get_key_display()} = {self.value}"


class CpiReading(models.Model):
    """Monthly CPI, year on year, for the price-linkage subsidy."""

    month = models.DateField(_("month"), unique=True, help_text=_("First day of the month."))
    yoy_percent = models.DecimalField(_("CPI year on year (%)"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("CPI reading")
        verbose_name_plural = _("CPI readings")
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}: {self.yoy_percent}%"


class DistrictSetting(models.Model):
    """Per-district choices, e.g. whether confirmation is delegated to the townships."""

    county = models.OneToOneField(
        Region,
        on_delete=models.PROTECT,
        limit_choices_to={"level": Region.Level.COUNTY},
        related_name="assistance_setting",
    )
    confirmation_delegated = models.BooleanField(
        _("confirmation delegated to townships"), default=False
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("district setting")
        verbose_name_plural = _("district settings")

    def __str__(self) -> str:
        return str(self.county)


# ----------------------------------------------------------------------------- dibao cases


class DibaoCase(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPLIED = "applied", _("Applied")
        ACCEPTED = "accepted", _("Accepted")
        INVESTIGATING = "investigating", _("Investigating")
        PROPOSED = "proposed", _("Proposed by township")
        IN_NOTICE = "in_notice", _("In public notice")
        CONFIRMED = "confirmed", _("Confirmed")
        REFUSED = "refused", _("Refused")
        ACTIVE = "active", _("Active")
        UNDER_REVIEW = "under_review", _("Under review")
        SUSPENDED = "suspended", _("Suspended")
        TERMINATED = "terminated", _("Terminated")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    CLOSED = (Status.REFUSED, Status.TERMINATED, Status.WITHDRAWN)

    class Unit(models.TextChoices):
        HOUSEHOLD = "household", _("Whole household")
        SINGLE_PERSON = "single_person", _("Single-person unit (severely disabled adult)")

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="dibao_cases")
    unit = models.CharField(
        _("dibao unit"), max_length=16, choices=Unit.choices, default=Unit.HOUSEHOLD
    )
    single_person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    applicant = models.ForeignKey(
        Person,
        verbose_name=_("applicant"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    agent_name = models.CharField(
        _("agent (if applying for the household)"), max_length=100, blank=True
    )
    applied_on = models.DateField(_("applied on"), null=True, blank=True)
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    investigation_due = models.DateField(_("investigation must start by"), null=True, blank=True)
    procedure_due = models.DateField(_("procedure due"), null=True, blank=True)
    extension_reason = models.CharField(
        _("reason for the extended limit"), max_length=255, blank=True
    )
    relative_of_staff = models.BooleanField(_("relative of staff or village cadre"), default=False)
    relative_note = models.CharField(_("relationship"), max_length=255, blank=True)
    persons_without_supporter = models.ManyToManyField(
        Person,
        verbose_name=_("members without income, work capacity or legal supporter"),
        blank=True,
        related_name="+",
        help_text=_("Established by the investigation; each gets the full standard."),
    )
    authorization_signed_on = models.DateField(
        _("data-check authorisation signed on"), null=True, blank=True
    )
    good_faith_signed_on = models.DateField(
        _("good-faith declaration signed on"), null=True, blank=True
    )
    proposed_amount = models.DecimalField(
        _("proposed monthly amount"), **MONEY, null=True, blank=True
    )
    proposed_on = models.DateField(null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    computation = models.JSONField(_("computation"), default=dict, blank=True)
    standard = models.ForeignKey(
        DibaoStandard, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_on = models.DateField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refused_on = models.DateField(null=True, blank=True)
    refusal_reasons = models.TextField(_("refusal reasons"), blank=True)
    payment_start_month = models.DateField(null=True, blank=True)
    # First month NOT paid after a suspension or termination (payroll stops from this month).
    payment_stop_month = models.DateField(null=True, blank=True)
    review_interval_months = models.PositiveSmallIntegerField(null=True, blank=True)
    next_review_due = models.DateField(_("next review due"), null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("dibao case")
        verbose_name_plural = _("dibao cases")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=~Q(status__in=["refused", "terminated", "withdrawn"]),
                name="one_open_dibao_case_per_household",
                violation_error_message=_("This household already has an open dibao case."),
            ),
            models.CheckConstraint(
                condition=Q(unit="household", single_person__isnull=True)
                | Q(unit="single_person", single_person__isnull=False),
                name="single_person_unit_names_the_person",
            ),
            models.CheckConstraint(
                condition=Q(proposed_amount__isnull=True) | Q(proposed_amount__gte=0),
                name="proposed_amount_non_negative",
            ),
        ]
        permissions = [
            ("confirm_dibaocase", _("Can confirm or refuse a dibao case")),
            ("propose_dibaocase", _("Can make the township proposal")),
        ]

    def __str__(self) -> str:
        return f"DB{self.pk:06d}" if self.pk else "DB—"


class CaseTransition(models.Model):
    """Every status change of a dibao case: who, when, from/to and why."""

    case = models.ForeignKey(DibaoCase, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=16, choices=DibaoCase.Status.choices)
    to_status = models.CharField(max_length=16, choices=DibaoCase.Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("case transition")
        verbose_name_plural = _("case transitions")

    def __str__(self) -> str:
        return f"{self.case} {self.from_status}→{self.to_status}"


class IncomeDeclaration(models.Model):
    case = models.ForeignKey(DibaoCase, on_delete=models.CASCADE, related_name="incomes")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    income_type = models.ForeignKey(IncomeType, on_delete=models.PROTECT)
    monthly_amount = models.DecimalField(_("monthly amount"), **MONEY, validators=NON_NEGATIVE)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("income declaration")
        verbose_name_plural = _("income declarations")
        constraints = [
            models.CheckConstraint(condition=Q(monthly_amount__gte=0), name="income_non_negative")
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.income_type} {self.monthly_amount}"


class ExpenditureDeclaration(models.Model):
    case = models.ForeignKey(DibaoCase, on_delete=models.CASCADE, related_name="expenditures")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    expenditure_type = models.ForeignKey(ExpenditureType, on_delete=models.PROTECT)
    monthly_amount = models.DecimalField(_("monthly amount"), **MONEY, validators=NON_NEGATIVE)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("expenditure declaration")
        verbose_name_plural = _("expenditure declarations")
        constraints = [
            models.CheckConstraint(
                condition=Q(monthly_amount__gte=0), name="expenditure_non_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.expenditure_type} {self.monthly_amount}"


class PropertyDeclaration(models.Model):
    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Bank deposits")
        SECURITIES = "securities", _("Securities")
        COMMERCIAL_INSURANCE = "commercial_insurance", _("Commercial insurance (cash value)")
        VEHICLE = "vehicle", _("Motor vehicle")
        HOUSE = "house", _("Residential property")
        NON_RESIDENTIAL = "non_residential", _("Non-residential property")
        BUSINESS = "business", _("Registered business")

    case = models.ForeignKey(DibaoCase, on_delete=models.CASCADE, related_name="properties")
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    value = models.DecimalField(_("value (yuan)"), **MONEY, validators=NON_NEGATIVE, default=0)
    description = models.CharField(_("description"), max_length=255, blank=True)
    exempt_reason = models.CharField(
        _("reason it is allowed (e.g. disability carriage, livelihood vehicle)"),
        max_length=255,
        blank=True,
    )

    class Meta:
        verbose_name = _("property declaration")
        verbose_name_plural = _("property declarations")
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="property_non_negative")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"


class Investigation(models.Model):
    """Home visit by at least two named investigators, neighbour interviews, evidence requests."""

    case = models.ForeignKey(DibaoCase, on_delete=models.CASCADE, related_name="investigations")
    home_visit_on = models.DateField(_("home visit on"))
    investigators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("investigators"), related_name="+"
    )
    neighbour_interviews = models.TextField(_("neighbour interviews"), blank=True)
    evidence_requests = models.TextField(_("written evidence requests"), blank=True)
    findings = models.TextField(_("findings"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("investigation")
        verbose_name_plural = _("investigations")
        ordering = ["-home_visit_on", "-id"]

    def __str__(self) -> str:
        return f"{self.case} {self.home_visit_on}"


class Attachment(models.Model):
    case = models.ForeignKey(DibaoCase, on_delete=models.CASCADE, related_name="attachments")
    investigation = models.ForeignKey(
        Investigation, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    # Random name + the sniffed type's extension; served only by the scoped download view.
    file = models.FileField(_("file"), upload_to=sniffed_upload_to)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    description = models.CharField(_("description"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class PublicNotice(models.Model):
    """7-day village notice of a proposed award: masked name, members, amount."""

    case = models.ForeignKey(DibaoCase, on_delete=models.CASCADE, related_name="notices")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on (inclusive)"))
    masked_name = models.CharField(_("name (masked)"), max_length=50)
    member_count = models.PositiveSmallIntegerField(_("members"))
    amount = models.DecimalField(_("proposed monthly amount"), **MONEY)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    objected = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("public notice")
        verbose_name_plural = _("public notices")
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return f"{self.case} {self.starts_on}–{self.ends_on}"


class Objection(models.Model):
    notice = models.ForeignKey(PublicNotice, on_delete=models.CASCADE, related_name="objections")
    received_on = models.DateField(_("received on"))
    objector = models.CharField(_("objector (optional)"), max_length=100, blank=True)
    content = models.TextField(_("content"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")

    def __str__(self) -> str:
        return f"{self.notice} {self.received_on}"


class BenefitAward(models.Model):
    """The benefit ledger: the monthly amount in force for a case from a month on, and why.

    Payroll reads the latest award whose effective month is ≤ the payroll month. A phase-out is an
    award whose `kept_until` month records that the original amount is kept (domain.md §7).
    """

    class Reason(models.TextChoices):
        CONFIRMATION = "confirmation", _("Confirmation")
        REVIEW = "review", _("Periodic or change review")
        PHASE_OUT = "phase_out", _("Phase-out after exit from poverty")
        SUSPENSION = "suspension", _("Suspension")
        TERMINATION = "termination", _("Termination")
        RESUMPTION = "resumption", _("Resumption")

    case = models.ForeignKey(DibaoCase, on_delete=models.PROTECT, related_name="awards")
    effective_month = models.DateField(_("from month"))
    base_amount = models.DecimalField(_("top-up"), **MONEY, validators=NON_NEGATIVE)
    supplement_amount = models.DecimalField(
        _("category supplements"), **MONEY, validators=NON_NEGATIVE
    )
    total = models.DecimalField(_("monthly total"), **MONEY, validators=NON_NEGATIVE)
    members = models.PositiveSmallIntegerField(_("persons in the unit"))
    standard = models.ForeignKey(
        DibaoStandard, on_delete=models.PROTECT, null=True, related_name="+"
    )
    computation = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    kept_until = models.DateField(_("original amount kept until (month)"), null=True, blank=True)
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("benefit award")
        verbose_name_plural = _("benefit awards")
        ordering = ["case_id", "-effective_month", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "effective_month"], name="one_award_per_case_month"
            ),
            models.CheckConstraint(
                condition=Q(total__gte=0) & Q(base_amount__gte=0) & Q(supplement_amount__gte=0),
                name="award_non_negative",
            ),
        ]
        indexes = [models.Index(fields=["case", "-effective_month"], name="award_case_month")]

    def __str__(self) -> str:
        return f"{self.case} {self.effective_month:%Y-%m} {self.total}"


class CaseReview(models.Model):
    class Kind(models.TextChoices):
        PERIODIC = "periodic", _("Periodic review")
        REPORTED_CHANGE = "reported_change", _("Reported change")
        OBJECTION = "objection", _("Objection or complaint")
        PHASE_OUT = "phase_out", _("Phase-out re-assessment")

    class Outcome(models.TextChoices):
        UNCHANGED = "unchanged", _("Unchanged")
        RAISED = "raised", _("Raised")
        LOWERED = "lowered", _("Lowered")
        SUSPENDED = "suspended", _("Suspended")
        TERMINATED = "terminated", _("Terminated")

    case = models.ForeignKey(DibaoCase, on_delete=models.PROTECT, related_name="reviews")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    opened_on = models.DateField(_("opened on"))
    due_on = models.DateField(_("due on"))
    reason = models.TextField(_("reason"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    award = models.ForeignKey(
        BenefitAward, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("case review")
        verbose_name_plural = _("case reviews")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(closed_on__isnull=True),
                name="one_open_review_per_case",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.kind} {self.opened_on}"


# ----------------------------------------------------------------------------- payroll


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
        permissions = [("decide_programmecase", _("Can approve or refuse programme applications"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="programme_amount_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_programme_display()} #{self.pk}"


class ProgrammeTransition(models.Model):
    case = models.ForeignKey(ProgrammeCase, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=10)
    to_status = models.CharField(max_length=10)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)

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
