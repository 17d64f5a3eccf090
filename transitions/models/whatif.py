"""What-if scenarios (issue 10): a proposed change of the dibao standard, a supplement rate or
the price-linkage trigger, simulated over the register (transitions.supervision.whatif). The
proposal is stored as entered; the policy rows are never written by it."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Job, Region, TransitionBase

AMOUNT: dict[str, Any] = {"max_digits": 16, "decimal_places": 2}


class WhatIfScenario(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    title = models.CharField(_("title"), max_length=200)
    # The creator's region: who may see the scenario (core.scope), and which districts it covers.
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    effective_month = models.DateField(_("effective month"))
    # {"standards": {"440703": {"urban": "950.00", "rural": null}}, "supplements":
    #  {"aged_70": "25.00"}, "price_trigger_pct": "3.0000" | null}: decimals as strings.
    changes = models.JSONField(_("proposed changes"))
    # The policy in force that the proposal was compared with (the same shape, every value).
    baseline = models.JSONField(_("policy in force"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    job = models.ForeignKey(Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    seconds = models.FloatField(_("seconds"), null=True, blank=True)

    class Meta:
        verbose_name = _("what-if scenario")
        verbose_name_plural = _("what-if scenarios")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.effective_month:%Y-%m})"


class WhatIfDistrict(models.Model):
    """One district's figures of a scenario: households whose amount changes, who become
    eligible or ineligible, the monthly cost now and as proposed (yuan)."""

    scenario = models.ForeignKey(WhatIfScenario, on_delete=models.CASCADE, related_name="districts")
    county = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    households = models.PositiveIntegerField(_("households"))
    active = models.PositiveIntegerField(_("active cases"))
    pending = models.PositiveIntegerField(_("pending applications"))
    changed = models.PositiveIntegerField(_("amount changes"))
    became_eligible = models.PositiveIntegerField(_("become eligible"))
    became_ineligible = models.PositiveIntegerField(_("become ineligible"))
    current_monthly = models.DecimalField(_("monthly cost now"), **AMOUNT)
    proposed_monthly = models.DecimalField(_("monthly cost as proposed"), **AMOUNT)
    monthly_difference = models.DecimalField(_("monthly difference"), **AMOUNT)
    yearly_difference = models.DecimalField(_("yearly difference"), **AMOUNT)

    class Meta:
        verbose_name = _("what-if district result")
        verbose_name_plural = _("what-if district results")
        ordering = ["scenario_id", "county__code"]
        constraints = [
            models.UniqueConstraint(fields=["scenario", "county"], name="whatif_district_once")
        ]

    def __str__(self) -> str:
        return f"{self.scenario_id} {self.county_id}"


class WhatIfTransition(TransitionBase):
    scenario = models.ForeignKey(
        WhatIfScenario, on_delete=models.CASCADE, related_name="transitions"
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("what-if transition")
        verbose_name_plural = _("what-if transitions")

    def __str__(self) -> str:
        return f"{self.scenario_id} {self.from_status}→{self.to_status}"
