"""The economic cross-check (经济核对, domain.md §4): rules as effective-dated policy data, runs
(what was checked, against which snapshots and rule versions, on whose authorisation) and the
findings they yield, each resolved by a caseworker or waived by a reviewer.

The check reports, it does not decide (只核对、不认定): a finding never changes a case by itself.
A finding is identified by its fingerprint (household, person, rule code, evidence key such as a
plate, a property address or a bank), so a run on the same snapshots adds nothing twice and a
finding seen again in a newer snapshot is the same row, marked recurring. An unresolved finding
a run checks again against newer data and no longer finds (the car was sold) is cleared.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import EffectiveDated, Job, Region, TransitionBase, no_overlap
from households.models import Household, Person

from .datasets import DatasetSnapshot, KindChoices

__all__ = [
    "CaseCheck",
    "Category",
    "CrossCheckRule",
    "CrossCheckRun",
    "Finding",
    "FindingTransition",
]


class Category(models.TextChoices):
    DISQUALIFYING = "disqualifying", pgettext_lazy("finding category", "Disqualifying")
    INCOME = "income", pgettext_lazy("finding category", "Income to count")
    INFORMATIONAL = "informational", pgettext_lazy("finding category", "Informational")


class CrossCheckRule(EffectiveDated):
    """One rule of the cross-check in force for a period. `evaluator` names the set-based SQL
    shape (verification.checks.rules), `parameters` its thresholds — amounts as multiples of the
    dibao standard in force (`{"multiple": 24}`) or absolute (`{"amount": 0}`), exempt lists,
    the fields compared. A finding keeps the rule version it was found by."""

    code = models.SlugField(_("code"), max_length=40)
    kind = models.CharField(_("dataset"), max_length=32, choices=KindChoices.choices)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    evaluator = models.CharField(_("evaluator"), max_length=24)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    waivable = models.BooleanField(_("a reviewer may waive it"), default=True)
    label = models.CharField(_("label"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    overlap_fields = ("code",)

    class Meta:
        verbose_name = _("cross-check rule")
        verbose_name_plural = _("cross-check rules")
        ordering = ["code", "-valid_from"]
        constraints = [no_overlap("verification_crosscheckrule_no_overlap", text=("code",))]

    def __str__(self) -> str:
        return f"{self.label} ({self.valid_from})"

    def clean(self) -> None:
        """A rule the checks cannot evaluate would fail every run: its statement is built
        here, against placeholder snapshots, so the admin's form names the problem."""
        super().clean()
        from verification.checks import rules
        from verification.kinds import KINDS

        spec = rules.RuleSpec(
            self.pk or 0, self.code, self.kind, self.category, self.evaluator, self.parameters
        )
        try:
            rules.statement(spec, dict.fromkeys(KINDS, 0), {"run": 0, "now": None, "why": ""})
        except (KeyError, ValueError, TypeError, AttributeError) as e:
            raise ValidationError(
                {"parameters": [_("The checks cannot use this rule: %(e)s") % {"e": e}]}
            ) from e


class CrossCheckRun(models.Model):
    """One cross-check: its scope, the snapshots and rule versions it used (so it can be
    reproduced), the authorisation it relied on, its progress and counts."""

    class Scope(models.TextChoices):
        CASES = "cases", pgettext_lazy("check scope", "Given cases")
        HOUSEHOLD = "household", pgettext_lazy("check scope", "One household")
        PENDING = "pending", pgettext_lazy("check scope", "Pending applications")
        ACTIVE = "active", pgettext_lazy("check scope", "Active cases")
        DISTRICT = "district", pgettext_lazy("check scope", "A district's applications and cases")

    class Trigger(models.TextChoices):
        MANUAL = "manual", pgettext_lazy("check trigger", "Started by hand")
        INVESTIGATION = "investigation", pgettext_lazy("check trigger", "Investigation started")
        REVIEW = "review", pgettext_lazy("check trigger", "Review opened")
        SNAPSHOT = "snapshot", pgettext_lazy("check trigger", "New dataset merged")
        SCHEDULE = "schedule", pgettext_lazy("check trigger", "Schedule")

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("run status", "Queued")
        RUNNING = "running", pgettext_lazy("run status", "Running")
        DONE = "done", pgettext_lazy("run status", "Done")
        FAILED = "failed", pgettext_lazy("run status", "Failed")

    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices)
    # Case ids (scope "cases"), household id, kinds re-checked after a merge …
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    # The region the run covers (a district, or the city for the beat's runs); scope of the page.
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    trigger = models.CharField(
        _("trigger"), max_length=16, choices=Trigger.choices, default=Trigger.MANUAL
    )
    # The authorisation a case run relied on (无委托、不核对).
    case = models.ForeignKey(
        "assistance.DibaoCase", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    authorization_signed_on = models.DateField(_("authorisation signed on"), null=True, blank=True)
    # The date whose dibao standard the thresholds are multiples of.
    as_of = models.DateField(_("standard as of"))
    # {kind: snapshot id} and the rule version ids: what makes the run reproducible.
    snapshot_ids = models.JSONField(_("snapshots"), default=dict, blank=True)
    rule_ids = models.JSONField(_("rule versions"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    job = models.ForeignKey(Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    districts = models.PositiveIntegerField(_("districts"), default=0)
    districts_done = models.PositiveIntegerField(_("districts done"), default=0)
    # The counties whose task has counted (a redelivered task after its commit counts nothing).
    counties_done = ArrayField(models.BigIntegerField(), default=list, blank=True)
    persons = models.PositiveIntegerField(_("persons"), default=0)
    households = models.PositiveIntegerField(_("households"), default=0)
    findings_new = models.PositiveIntegerField(_("new findings"), default=0)
    findings_recurring = models.PositiveIntegerField(_("recurring findings"), default=0)
    findings_seen = models.PositiveIntegerField(_("findings seen"), default=0)
    # Unresolved findings of the run's scope no longer found in its newer snapshots.
    findings_cleared = models.PositiveIntegerField(_("findings no longer found"), default=0)
    message = models.TextField(_("message"), blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration = models.FloatField(_("duration (s)"), null=True, blank=True)

    class Meta:
        verbose_name = _("cross-check run")
        verbose_name_plural = _("cross-check runs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["case", "status"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_scope_display()}"


class CaseCheck(models.Model):
    """The latest cross-check that covered a case (one row per case, upserted set-based by each
    district's part of a run): the proposal check asks whether one finished after the
    investigation started; the report names it."""

    case = models.OneToOneField(
        "assistance.DibaoCase", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(CrossCheckRun, on_delete=models.CASCADE, related_name="+")
    checked_at = models.DateTimeField(_("checked at"))

    class Meta:
        verbose_name = _("case cross-check")
        verbose_name_plural = _("case cross-checks")

    def __str__(self) -> str:
        return f"{self.case_id} {self.checked_at}"


class Finding(models.Model):
    """What a rule found for a household (or one of its members) in a department's data."""

    class State(models.TextChoices):
        NEW = "new", pgettext_lazy("finding state", "New")
        RECURRING = "recurring", pgettext_lazy("finding state", "Recurring")
        CONFIRMED = "confirmed", pgettext_lazy("finding state", "Confirmed")
        DISMISSED = "dismissed", pgettext_lazy("finding state", "Dismissed")
        WAIVED = "waived", pgettext_lazy("finding state", "Waived")
        # Not found again in a newer snapshot of its dataset (system): no longer blocks anything.
        CLEARED = "cleared", pgettext_lazy("finding state", "No longer found")

    UNRESOLVED = (State.NEW, State.RECURRING)

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    # NULL for a finding about the whole unit (financial assets per person, homes).
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The household's village and county when found: scope (core.scope) and partition key.
    village = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        "assistance.DibaoCase", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rule_code = models.SlugField(_("rule"), max_length=40)
    rule = models.ForeignKey(CrossCheckRule, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("dataset"), max_length=32, choices=KindChoices.choices)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    # The record's plate, address, bank … ('' for a unit-wide finding): part of the fingerprint.
    evidence_key = models.CharField(_("evidence"), max_length=255, default="", blank=True)
    # The newest snapshot and row it was seen in, and the first.
    snapshot = models.ForeignKey(DatasetSnapshot, on_delete=models.PROTECT, related_name="+")
    row_no = models.PositiveIntegerField(_("row"), null=True, blank=True)
    first_snapshot = models.ForeignKey(DatasetSnapshot, on_delete=models.PROTECT, related_name="+")
    evidence = models.JSONField(_("evidence records"), default=dict, blank=True)
    value = models.DecimalField(_("value"), max_digits=16, decimal_places=2, null=True)
    threshold = models.DecimalField(_("threshold"), max_digits=16, decimal_places=2, null=True)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.NEW, db_index=True
    )
    first_run = models.ForeignKey(CrossCheckRun, on_delete=models.PROTECT, related_name="+")
    last_run = models.ForeignKey(CrossCheckRun, on_delete=models.PROTECT, related_name="+")
    # The run that saw it again in a newer snapshot (counts the run's recurring findings).
    recurred_run = models.ForeignKey(
        CrossCheckRun, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The state it was in when it last recurred (the history row's "from").
    previous_state = models.CharField(max_length=12, blank=True, editable=False)
    times_seen = models.PositiveIntegerField(_("times seen"), default=1)
    created_at = models.DateTimeField(_("found at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution_reason = models.TextField(_("reason"), blank=True)
    review = models.ForeignKey(
        "assistance.CaseReview",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["-id"]
        permissions = [("waive_finding", _("Can waive a cross-check finding"))]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "person", "rule_code", "evidence_key"],
                name="finding_fingerprint",
                nulls_distinct=False,
            )
        ]
        indexes = [
            models.Index(fields=["village", "state", "id"], name="finding_village_state"),
            models.Index(fields=["household", "state"], name="finding_household_state"),
            models.Index(
                fields=["household"],
                name="finding_unresolved_disq",
                condition=Q(state__in=["new", "recurring"], category="disqualifying"),
            ),
            # What each district's run reads to clear a rule's findings no longer found.
            models.Index(
                fields=["rule_code", "household"],
                name="finding_unresolved_rule",
                condition=Q(state__in=["new", "recurring"]),
            ),
        ]

    def __str__(self) -> str:
        return f"F{self.pk:06d}" if self.pk else "F—"

    @property
    def status(self) -> str:
        """core.workflow reads `status`: a finding's is its state."""
        return self.state

    @status.setter
    def status(self, value: str) -> None:
        self.state = value


class FindingTransition(TransitionBase):
    """Every resolution of a finding (verification.checks.workflow): who, when, from/to, why."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="transitions")

    class Meta(TransitionBase.Meta):
        verbose_name = _("finding history")
        verbose_name_plural = _("finding history")
