"""Hand-offs between departments (domain.md §3, §7, §8), their approval policies as
effective-dated data, the 6-month phase-out's workflow and social-insurance enrolment.

The money of a phase-out is not here: the benefit ledger (`assistance.BenefitAward.kept_until`)
records it through an assistance service; a `PhaseOut` row is only the workflow around it (when
the re-assessment is due, whether it is overdue, how it ended).
"""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from assistance.models import BenefitAward, DibaoCase
from core.models import EffectiveDated, Region, TransitionBase, no_overlap
from households.models import Household, Person
from poverty.models import PovertyRecord


class Department(models.TextChoices):
    CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs")
    POVERTY_OFFICE = "poverty_office", _("Poverty office")
    SOCIAL_SECURITY = "social_security", _("Social security")


class HandoffKind(models.TextChoices):
    REGISTRATION_REFERRAL = "registration_referral", _("Referral for poverty registration")
    DIBAO_REFERRAL = "dibao_referral", _("Referral for dibao")
    EXIT_NOTICE = "exit_notice", _("Notice of exit from poverty")
    CANNOT_EXIT = "cannot_exit", _("Cannot leave poverty through industry or employment")
    CLASSIFICATION_CHANGE = "classification_change", _("Change of classification")
    RETURN_TO_POVERTY = "return_to_poverty", _("Return to poverty")
    PHASE_OUT_START = "phase_out_start", _("Phase-out started")
    PHASE_OUT_REASSESSMENT = "phase_out_reassessment", _("Phase-out re-assessment")
    INSURANCE_ENROLMENT = "insurance_enrolment", _("Social-insurance enrolment")


class ApprovalPolicy(EffectiveDated):
    """Who approves a kind of hand-off, in what order and how many (policy data).

    `stages` is a list, in order, of {"role": a core.roles.Role value, "level": a region level,
    "approvals": "any" | "all" | N}; "all" counts the users of that role and level covering the
    hand-off's region when the stage begins. `incompatible_roles` lists pairs of roles that may
    not both act on one hand-off. Whatever the policy says, nobody decides a hand-off they
    opened, whose basis they made (e.g. proposed the exit) or that they decided at an earlier
    stage; the acknowledger may decide unless `acknowledger_may_decide` is false. A hand-off
    keeps the policy row it was opened under: rows in use are never edited, a new period is
    added instead.
    """

    kind = models.CharField(_("kind"), max_length=32, choices=HandoffKind.choices)
    stages = models.JSONField(_("approval stages"))
    incompatible_roles = models.JSONField(_("incompatible roles"), default=list, blank=True)
    acknowledger_may_decide = models.BooleanField(_("the acknowledger may decide"), default=True)
    acknowledge_days = models.PositiveSmallIntegerField(_("acknowledge within (working days)"))
    decide_days = models.PositiveSmallIntegerField(_("decide within (working days)"))
    overlap_fields = ("kind",)

    class Meta:
        verbose_name = _("approval policy")
        verbose_name_plural = _("approval policies")
        ordering = ["kind", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "valid_from"], name="policy_once_per_start"),
            no_overlap("approval_policy_no_overlap", text=("kind",)),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.valid_from}"


class Handoff(models.Model):
    """One hand-off of a household's matter from one department to another."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    CLOSED = (Status.APPROVED, Status.REJECTED, Status.WITHDRAWN)

    kind = models.CharField(_("kind"), max_length=32, choices=HandoffKind.choices)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="handoffs")
    # The household's village when opened (scope), and its county (inboxes, escalation).
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    dibao_case = models.ForeignKey(
        DibaoCase, on_delete=models.PROTECT, null=True, blank=True, related_name="handoffs"
    )
    poverty_record = models.ForeignKey(
        PovertyRecord, on_delete=models.PROTECT, null=True, blank=True, related_name="handoffs"
    )
    from_department = models.CharField(
        _("from department"), max_length=16, choices=Department.choices
    )
    to_department = models.CharField(_("to department"), max_length=16, choices=Department.choices)
    policy = models.ForeignKey(ApprovalPolicy, on_delete=models.PROTECT, related_name="handoffs")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    # The approval stage under way (0-based) and how many approvals it needs.
    stage = models.PositiveSmallIntegerField(default=0)
    stage_required = models.PositiveSmallIntegerField(default=1)
    # The current stage's role and level, copied from the policy (inbox queries).
    stage_role = models.CharField(max_length=32, blank=True)
    stage_level = models.CharField(max_length=10, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    # Users who made the decision's basis (the exit's proposer, the case's confirmer…): never
    # deciders of this hand-off (separation of duties against the whole history).
    basis_actors = ArrayField(models.IntegerField(), default=list, blank=True)
    # The outcome the decision chose, where the kind has outcomes (continue / lower / stop…).
    outcome = models.CharField(_("outcome"), max_length=16, blank=True)
    opened_on = models.DateField(_("opened on"))
    acknowledge_due = models.DateField(_("acknowledge by"))
    decide_due = models.DateField(_("decide by"))
    acknowledged_on = models.DateField(_("acknowledged on"), null=True, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    escalated_on = models.DateField(_("escalated on"), null=True, blank=True)
    # What opened it when the system did (e.g. "phase_out:17"): a job run twice finds it.
    source_key = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("hand-off")
        verbose_name_plural = _("hand-offs")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "source_key"],
                condition=~Q(source_key=""),
                name="handoff_once_per_source",
            ),
        ]
        indexes = [
            models.Index(fields=["to_department", "status", "county"], name="handoff_inbox"),
            models.Index(
                fields=["acknowledge_due"],
                condition=Q(status="open", escalated_on__isnull=True),
                name="handoff_to_escalate",
            ),
        ]

    def __str__(self) -> str:
        return f"HO{self.pk:06d}" if self.pk else "HO—"


class HandoffDecision(models.Model):
    """One approval or rejection at one stage."""

    class Decision(models.TextChoices):
        APPROVE = "approve", _("Approve")
        REJECT = "reject", _("Reject")

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="decisions")
    stage = models.PositiveSmallIntegerField()
    decision = models.CharField(max_length=8, choices=Decision.choices)
    role = models.CharField(max_length=32)
    # The outcome this approver chose (kinds with outcomes): the votes of a stage must agree.
    outcome = models.CharField(max_length=16, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            # One vote per person per hand-off: an approver counts once, whatever they click.
            models.UniqueConstraint(fields=["handoff", "by"], name="one_decision_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.handoff} {self.stage} {self.decision}"


class HandoffTransition(TransitionBase):
    """Every action on a hand-off (transitions.workflow): who, when, from/to and why."""

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="transitions")

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("hand-off transition")
        verbose_name_plural = _("hand-off transitions")

    def __str__(self) -> str:
        return f"{self.handoff} {self.from_status}→{self.to_status}"


class PhaseOut(models.Model):
    """The 6-month phase-out of a case whose dibao civil affairs decided to lower or stop after
    the household's confirmed exit (domain.md §7). The original amount stays in the payroll from
    `start_month` to `kept_until` (6 months, the ledger's award); the re-assessment is due on
    `due_on`, the first day of month 7, and the case stays paid and visibly overdue until it is
    decided."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DUE = "due", _("Re-assessment due")
        OVERDUE = "overdue", _("Re-assessment overdue")
        DECIDED = "decided", _("Re-assessed")
        ENDED = "ended", _("Ended by a reported change")

    class Decision(models.TextChoices):
        LOWER = "lower", _("Lower")
        STOP = "stop", _("Stop")

    OPEN = (Status.RUNNING, Status.DUE, Status.OVERDUE)

    case = models.ForeignKey(DibaoCase, on_delete=models.PROTECT, related_name="phase_outs")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    decided_on = models.DateField(_("decided on"))
    start_month = models.DateField(_("first month"))
    kept_until = models.DateField(_("original amount kept until (month)"))
    due_on = models.DateField(_("re-assessment due on"))
    award = models.ForeignKey(BenefitAward, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.RUNNING
    )
    notice = models.ForeignKey(
        Handoff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=12, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("phase-out")
        verbose_name_plural = _("phase-outs")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status__in=["running", "due", "overdue"]),
                name="one_open_phase_out_per_case",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="phase_out_due")]

    def __str__(self) -> str:
        return f"PO{self.pk:06d}" if self.pk else "PO—"


class PhaseOutTransition(TransitionBase):
    phase_out = models.ForeignKey(PhaseOut, on_delete=models.CASCADE, related_name="transitions")

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("phase-out transition")
        verbose_name_plural = _("phase-out transitions")

    def __str__(self) -> str:
        return f"{self.phase_out} {self.from_status}→{self.to_status}"


class InsuranceEnrolment(models.Model):
    """A dibao or tekun person's social-insurance enrolment as social security reports it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ENROLLED = "enrolled", _("Enrolled, premium subsidised")
        EXEMPT = "exempt", _("Exempt")
        REFUSED = "refused", _("Refused")

    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    status_on = models.DateField(_("status since"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("insurance enrolment")
        verbose_name_plural = _("insurance enrolments")
        ordering = ["county_id", "region_id", "id"]
        indexes = [models.Index(fields=["county", "status"], name="enrolment_worklist")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.status}"


class TwoLineRule(EffectiveDated):
    """两线合一 (domain.md §6): from its start (the end of 2018) every district's dibao standard
    is at least the poverty line and the urban standard equals the rural one. Policy data: the
    date and the two conditions are rows, not code."""

    standard_at_least_line = models.BooleanField(_("dibao standard ≥ poverty line"), default=True)
    urban_equals_rural = models.BooleanField(_("urban standard = rural standard"), default=True)

    overlap_global = True

    class Meta:
        verbose_name = _("two-line rule")
        verbose_name_plural = _("two-line rules")
        ordering = ["-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["valid_from"], name="two_line_once"),
            no_overlap("two_line_no_overlap"),
        ]

    def __str__(self) -> str:
        return f"{self.valid_from}"


def _answer_upload_to(instance: "EnrolmentImport", filename: str) -> str:
    """A random name: the file holds ID numbers; it is deleted once read."""
    return f"private/enrolment-imports/{uuid.uuid4().hex}.xlsx"


class EnrolmentImport(models.Model):
    """The social insurance agency's answer (xlsx) waiting for, or read by, its import job."""

    job = models.OneToOneField(
        "core.Job", on_delete=models.CASCADE, related_name="enrolment_import"
    )
    file = models.FileField(upload_to=_answer_upload_to, max_length=200, blank=True)
    filename = models.CharField(_("file name"), max_length=255)

    class Meta:
        verbose_name = _("insurance answer import")
        verbose_name_plural = _("insurance answer imports")

    def __str__(self) -> str:
        return self.filename
