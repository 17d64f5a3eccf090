"""Effective-dated policy data: standards, supplements, income and expenditure types,
parameters, price readings, district settings."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import EffectiveDated, Region, no_overlap
from core.money import MONEY, NON_NEGATIVE
from households.models import Household

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
            no_overlap("standard_no_overlap", integer=("county",)),
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
            no_overlap("supplement_no_overlap", text=("category",)),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.percent}%"


class IncomeType(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    counted = models.BooleanField(_("counted as income"), default=True)
    # Unstable income (wages, business) with a member able to work: the shorter review interval.
    unstable = models.BooleanField(
        _("unstable income"),
        default=False,
        help_text=_(
            "Households with this income and a member able to work are reviewed more often."
        ),
    )
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
        ACCEPT_WD = "accept_wd", _("Accept or return an application within (working days)")
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
        # Age bands (domain.md §2, §6): working age is [working_age_from, elderly_age_from).
        WORKING_AGE_FROM = "working_age_from", _("Working age from (years)")
        ELDERLY_AGE_FROM = "elderly_age_from", _("Elderly from (years; working age ends)")
        ADULT_AGE = "adult_age", _("Adult from (years; younger is a minor)")
        SUPPLEMENT_AGED_FROM = "supplement_aged_from", _("Aged supplement from (years)")
        SUPPLEMENT_AGED_HIGH_FROM = (
            "supplement_aged_high_from",
            _("Higher aged supplement from (years)"),
        )
        NOTICE_START_HORIZON_DAYS = (
            "notice_start_horizon_days",
            _("A public notice starts at most this many days ahead"),
        )
        # Review intervals (domain.md §5.8): full capacity always counts as able to work;
        # partial capacity does while this is 1.
        REVIEW_PARTIAL_CAPACITY_COUNTS = (
            "review_partial_capacity_counts",
            _("Review every 6 months: partial labour capacity counts as able to work (1 = yes)"),
        )

        OBJECTION_ANSWER_WD = (
            "objection_answer_wd",
            _("Public objection to a disclosure list: answer within (working days)"),
        )
        EXCHANGE_RECEIPT_DAYS = (
            "exchange_receipt_days",
            _("Exchange batch: the receiver acknowledges within (days)"),
        )

    key = models.CharField(_("parameter"), max_length=40, choices=Key.choices)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4)
    overlap_fields = ("key",)

    class Meta:
        verbose_name = _("policy parameter")
        verbose_name_plural = _("policy parameters")
        ordering = ["key", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["key", "valid_from"], name="parameter_once_per_start"),
            no_overlap("parameter_no_overlap", text=("key",)),
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


class TownNoticeContact(EffectiveDated):
    """The supervision phone (监督电话) and the letters-and-visits address (来信来访地址) a town
    prints on its public notices. Effective-dated: a change starts a new period and the old one
    stays as history (a notice prints the contact in force on its first day)."""

    township = models.ForeignKey(
        Region,
        verbose_name=_("town / street"),
        on_delete=models.PROTECT,
        limit_choices_to={"level": Region.Level.TOWNSHIP},
        related_name="notice_contacts",
    )
    supervision_phone = models.CharField(_("supervision phone"), max_length=40)
    letters_address = models.CharField(_("letters and visits address"), max_length=200)
    overlap_fields = ("township",)

    class Meta:
        verbose_name = _("public notice contact")
        verbose_name_plural = _("public notice contacts")
        ordering = ["township__code", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["township", "valid_from"], name="notice_contact_once_per_start"
            ),
            no_overlap("notice_contact_no_overlap", integer=("township",)),
        ]

    def __str__(self) -> str:
        return f"{self.township} {self.valid_from}: {self.supervision_phone}"

    def clean(self) -> None:
        if self.township_id is None:
            return  # the form reports the missing town; no period to compare yet
        super().clean()
        if self.township.level != Region.Level.TOWNSHIP:
            raise ValidationError({"township": _("Choose a town or street.")})


# ----------------------------------------------------------------------------- dibao cases
