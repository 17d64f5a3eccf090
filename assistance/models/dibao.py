"""Dibao cases: declarations, investigation, notice, objections, the benefit ledger, reviews.
Every money figure is Decimal to the fen; the monthly total is rounded once."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from assistance.models.policy import DibaoStandard, ExpenditureType, IncomeType
from core.models import TransitionBase
from core.money import MONEY, NON_NEGATIVE
from core.uploads import sniffed_upload_to
from households.models import Household, Person


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
    # The household's Household.member_names, copied by the database (migration 0017) like the
    # village: the case list's name search reads the case row alone. Read-only here.
    member_names = models.TextField(editable=False, default="", db_default="")
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
    # Set on application (policy accept_wd): the deadline a pending application is listed by.
    acceptance_due = models.DateField(_("acceptance due"), null=True, blank=True)
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
            ("export_dibaocase", _("Can export dibao case lists")),
        ]

    def __str__(self) -> str:
        return f"DB{self.pk:06d}" if self.pk else "DB—"


class CaseTransition(TransitionBase):
    """Every action on a dibao case (assistance.dibao.workflow): who, when, from/to and why."""

    case = models.ForeignKey(DibaoCase, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=16, choices=DibaoCase.Status.choices)
    to_status = models.CharField(max_length=16, choices=DibaoCase.Status.choices)

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
    """Home visit by at least two named investigators, neighbour interviews, evidence requests.

    An investigator is a system user (`investigators`: they took part, so separation of duties
    keeps them from deciding the case) or a person who is not a user — a village cadre, a group
    leader — named with unit and role (`named_investigators`, NamedInvestigator)."""

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


class NamedInvestigator(models.Model):
    """An investigator on a home visit who is not a system user: name, unit and role."""

    class Role(models.TextChoices):
        VILLAGE_CADRE = "village_cadre", _("Village cadre")
        GROUP_LEADER = "group_leader", _("Villagers' group leader")
        STATIONED_CADRE = "stationed_cadre", _("Cadre stationed in the village")
        GRID_WORKER = "grid_worker", _("Grid worker")
        TOWNSHIP_STAFF = "township_staff", _("Township staff")
        OTHER = "other", _("Other")

    investigation = models.ForeignKey(
        Investigation, on_delete=models.CASCADE, related_name="named_investigators"
    )
    name = models.CharField(_("full name"), max_length=50)
    unit = models.CharField(_("unit"), max_length=100, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = _("named investigator")
        verbose_name_plural = _("named investigators")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="named_investigator_has_a_name")
        ]

    def __str__(self) -> str:
        return self.name


class CaseSubmission(models.Model):
    """The one-time token of a submitted case form, stored in the transaction of the write it
    made: the same form posted again (a double click, the back button) finds it and writes
    nothing; a concurrent second post waits on the unique key until the first one commits."""

    token = models.UUIDField(primary_key=True)
    case = models.ForeignKey(
        DibaoCase, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=32)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("case form submission")
        verbose_name_plural = _("case form submissions")

    def __str__(self) -> str:
        return f"{self.action} {self.token}"


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
    # Why the notice starts before the day it was recorded (else empty): a backdated notice
    # shortens the wait before confirmation, so it needs a written reason (issue 6 defect 6).
    backdate_reason = models.TextField(_("reason for starting before today"), blank=True)

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
