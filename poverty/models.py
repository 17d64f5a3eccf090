"""The poverty-alleviation register (建档立卡, domain.md §3, §7): a household's record, its causes
and its status through to the exit certification; every action's history row."""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import EffectiveDated, Region, TransitionBase, no_overlap
from core.money import MONEY, NON_NEGATIVE
from households.models import Household, LabourCapacity


class PovertyCause(models.TextChoices):
    ILLNESS = "illness", pgettext_lazy("poverty cause", "Illness")
    SCHOOLING = "schooling", pgettext_lazy("poverty cause", "Schooling")
    DISABILITY = "disability", pgettext_lazy("poverty cause", "Disability")
    DISASTER = "disaster", pgettext_lazy("poverty cause", "Disaster")
    LACK_OF_LABOUR = "lack_of_labour", pgettext_lazy("poverty cause", "Lack of labour")
    LACK_OF_SKILLS = "lack_of_skills", pgettext_lazy("poverty cause", "Lack of skills")
    LACK_OF_FUNDS = "lack_of_funds", pgettext_lazy("poverty cause", "Lack of funds")
    OTHER = "other", pgettext_lazy("poverty cause", "Other")


class PovertyRecord(models.Model):
    """One household's file in the register. One per household: a household that falls back
    after its exit is re-registered on the same record (status "returned"), so its story stays
    in one place."""

    class Status(models.TextChoices):
        REGISTERED = "registered", pgettext_lazy("poverty record status", "Registered")
        ASSISTED = "assisted", pgettext_lazy("poverty record status", "Assisted")
        EXIT_PROPOSED = "exit_proposed", pgettext_lazy("poverty record status", "Exit proposed")
        EXIT_CONFIRMED = "exit_confirmed", pgettext_lazy("poverty record status", "Exit confirmed")
        RETURNED = "returned", pgettext_lazy("poverty record status", "Returned to poverty")

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
        permissions = [
            ("confirm_exit", _("Can record the government's confirmation of an exit")),
        ]
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

    @property
    def cause_labels(self) -> list[str]:
        return [str(PovertyCause(c).label) for c in self.causes if c in PovertyCause.values]


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


# ----------------------------------------------------------------------------- measures


class MeasureKind(models.TextChoices):
    INDUSTRY = "industry", pgettext_lazy("poverty measure", "Industry support")
    EMPLOYMENT = "employment", pgettext_lazy("poverty measure", "Employment")
    RELOCATION = "relocation", pgettext_lazy("poverty measure", "Relocation")
    ECOLOGICAL = "ecological", pgettext_lazy("poverty measure", "Ecological compensation")
    EDUCATION = "education", pgettext_lazy("poverty measure", "Education")
    MEDICAL = "medical", pgettext_lazy("poverty measure", "Medical")
    ASSET_INCOME = "asset_income", pgettext_lazy("poverty measure", "Asset income")
    SOCIAL_ASSISTANCE = "social_assistance", pgettext_lazy("poverty measure", "Social assistance")


class AssistanceMeasure(models.Model):
    """A poverty-alleviation measure for a household (domain.md §3): recorded on the household,
    so dibao, tekun and low-income households outside the register can have them too; linked to
    the household's poverty record when it has one."""

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="poverty_measures"
    )
    record = models.ForeignKey(
        PovertyRecord, on_delete=models.PROTECT, null=True, blank=True, related_name="measures"
    )
    kind = models.CharField(_("measure"), max_length=20, choices=MeasureKind.choices)
    started_on = models.DateField(_("started on"))
    department = models.CharField(_("responsible department"), max_length=100)
    responsible_person = models.CharField(_("responsible person"), max_length=50)
    funds = models.DecimalField(_("funds (yuan)"), **MONEY, validators=NON_NEGATIVE, default=0)
    outcome = models.TextField(_("results achieved"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("assistance measure")
        verbose_name_plural = _("assistance measures")
        ordering = ["-started_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(funds__gte=0), name="poverty_measure_funds_gte_0")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_on}"


# ----------------------------------------------------------------------------- certificates


class ExitCertificate(models.Model):
    """Issued when the government's confirmation of an exit is recorded. `content` is what the
    printed certificate says; `content_hash` the SHA-256 of its canonical JSON (sorted keys, no
    spaces, UTF-8), printed on it: the public verification page recomputes it."""

    record = models.ForeignKey(PovertyRecord, on_delete=models.PROTECT, related_name="certificates")
    number = models.CharField(_("certificate no."), max_length=32, unique=True)
    verification_code = models.CharField(_("verification code"), max_length=16, unique=True)
    content = models.JSONField(_("content"))
    content_hash = models.CharField(_("SHA-256 of the content"), max_length=64)
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("exit certificate")
        verbose_name_plural = _("exit certificates")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.number


# ----------------------------------------------------------------------------- classification


class HouseholdClass(models.TextChoices):
    KEY_TARGET = "key_target", _("Key assistance target")
    SAFETY_NET = "safety_net", _("Safety-net household")


class ClassificationRule(EffectiveDated):
    """The parameters of the classification (domain.md §7), effective-dated: a member aged
    min_age–max_age (both included) whose labour capacity is one of `capacities` and who is
    willing to accept help makes the household a key assistance target. `students_count`: a
    full-time student can count (their default capacity is none, so only an assessed capacity
    makes them count)."""

    min_age = models.PositiveSmallIntegerField(_("minimum age"))
    max_age = models.PositiveSmallIntegerField(_("maximum age"))
    capacities = ArrayField(
        models.CharField(max_length=8, choices=LabourCapacity.choices),
        verbose_name=_("labour capacities counted"),
    )
    students_count = models.BooleanField(_("full-time students count"), default=False)

    overlap_global = True

    class Meta:
        verbose_name = _("classification rule")
        verbose_name_plural = _("classification rules")
        ordering = ["-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["valid_from"], name="classification_rule_once"),
            models.CheckConstraint(
                condition=Q(max_age__gte=models.F("min_age")), name="classification_rule_ages"
            ),
            no_overlap("classification_rule_no_overlap"),
        ]

    def __str__(self) -> str:
        return f"{self.valid_from}: {self.min_age}–{self.max_age}"


class HouseholdClassification(models.Model):
    """One classification of a household; a new row whenever it changes (history kept: rows are
    never updated in place except `current`). `rule_class` is what the rule says; `klass` the
    class in force — the override's while one stands (recomputing keeps it and records what the
    rule says)."""

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="poverty_classifications"
    )
    klass = models.CharField(_("class"), max_length=12, choices=HouseholdClass.choices)
    rule_class = models.CharField(
        _("class by the rule"), max_length=12, choices=HouseholdClass.choices
    )
    rule = models.ForeignKey(
        ClassificationRule, on_delete=models.PROTECT, related_name="classifications"
    )
    computed_on = models.DateField(_("computed for"))
    inputs = models.JSONField(_("inputs"), default=list)
    reasons = ArrayField(models.TextField(), verbose_name=_("reasons"), default=list)
    computed_at = models.DateTimeField(_("computed at"))
    overridden = models.BooleanField(_("overridden"), default=False)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    override_reason = models.TextField(_("reason for the override"), blank=True)
    current = models.BooleanField(_("current"), default=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("household classification")
        verbose_name_plural = _("household classifications")
        ordering = ["-computed_at", "-id"]
        permissions = [
            ("override_householdclassification", _("Can override a household's classification")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(current=True),
                name="classification_one_current",
            ),
            models.CheckConstraint(
                condition=Q(overridden=False) | ~Q(override_reason=""),
                name="classification_override_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["household", "-computed_at"], name="classification_hh")]

    def __str__(self) -> str:
        return f"{self.household_id}: {self.klass}"


# ----------------------------------------------------------------------------- lines and targets


class PovertyLine(EffectiveDated):
    """The poverty line in yuan per person per **year** (how the national and Guangdong lines
    are published, e.g. 4,000 yuan in 2016); `monthly` divides by 12 for a comparison with the
    dibao standard (yuan per person per month)."""

    yuan_per_year = models.DecimalField(_("yuan per person per year"), **MONEY)

    overlap_global = True

    class Meta:
        verbose_name = _("poverty line")
        verbose_name_plural = _("poverty lines")
        ordering = ["-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["valid_from"], name="poverty_line_once"),
            no_overlap("poverty_line_no_overlap"),
        ]

    def __str__(self) -> str:
        return f"{self.valid_from}: {self.yuan_per_year}"

    @property
    def monthly(self) -> Decimal:
        return (self.yuan_per_year / 12).quantize(Decimal("0.01"))


class ExitTarget(models.Model):
    """How many key assistance targets of a region (the city or a district) are to exit poverty
    in a year (domain.md §10). `all_remaining`: the target is every household still in the
    register (2018); `households` is then not used."""

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    households = models.PositiveIntegerField(_("households"), null=True, blank=True)
    all_remaining = models.BooleanField(_("all remaining"), default=False)
    source_document = models.CharField(_("source document"), max_length=255, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("exit target")
        verbose_name_plural = _("exit targets")
        ordering = ["year", "region__code"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="exit_target_once"),
            models.CheckConstraint(
                condition=Q(all_remaining=True) | Q(households__isnull=False),
                name="exit_target_has_number",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.year}"
