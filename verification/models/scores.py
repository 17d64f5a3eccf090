"""The household poverty score (综合评估, issue 9 point 6, domain.md §4): income, property and
rigid expenditure combined into one number shown to reviewers beside the decision.

`ScoreWeights` is policy data (effective-dated, one version in force on any day); every
`HouseholdScore` names the version it was computed with and keeps each factor's input, normalised
value, weight and contribution, so a score is explained and reproducible after the weights move.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.models import EffectiveDated, no_overlap

__all__ = ["HouseholdScore", "ScoreWeights"]

SHARE = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]
POSITIVE = [MinValueValidator(Decimal("0.01"))]


class ScoreWeights(EffectiveDated):
    """The weights (summing to 100) and scales of the three factors; each factor is normalised to
    0–1 (1 = poorest) and contributes weight × normalised points, so the score is 0–100.

    - income: 1 − (per-capita counted monthly income ÷ dibao standard) ÷ income_ratio_cap;
    - property: 1 − (financial assets per person ÷ standard) ÷ asset_months_cap
      − asset_item_penalty × (second homes, non-residential property, non-exempt vehicles,
      businesses);
    - rigid expenditure: (rigid expenditure per person ÷ standard) ÷ expenditure_ratio_cap
      + burdened_member_points × (members seriously ill or disabled);
    each clipped to 0–1.
    """

    version = models.CharField(_("version"), max_length=40, unique=True)
    income_weight = models.DecimalField(
        _("income weight"), max_digits=5, decimal_places=2, validators=SHARE
    )
    property_weight = models.DecimalField(
        _("property weight"), max_digits=5, decimal_places=2, validators=SHARE
    )
    expenditure_weight = models.DecimalField(
        _("rigid expenditure weight"), max_digits=5, decimal_places=2, validators=SHARE
    )
    income_ratio_cap = models.DecimalField(
        _("income ratio scoring nothing"),
        max_digits=6,
        decimal_places=2,
        validators=POSITIVE,
        help_text=_("Per-capita income at this multiple of the standard scores 0."),
    )
    asset_months_cap = models.DecimalField(
        _("months of the standard in assets scoring nothing"),
        max_digits=6,
        decimal_places=2,
        validators=POSITIVE,
    )
    asset_item_penalty = models.DecimalField(
        _("penalty per disqualifying asset"), max_digits=4, decimal_places=3, default=0
    )
    expenditure_ratio_cap = models.DecimalField(
        _("expenditure ratio scoring full"),
        max_digits=6,
        decimal_places=2,
        validators=POSITIVE,
        help_text=_("Rigid expenditure per person at this multiple of the standard scores 1."),
    )
    burdened_member_points = models.DecimalField(
        _("points per seriously ill or disabled member"),
        max_digits=4,
        decimal_places=3,
        default=0,
    )
    overlap_global = True

    class Meta:
        verbose_name = _("poverty score weights")
        verbose_name_plural = _("poverty score weights")
        ordering = ["-valid_from"]
        constraints = [
            no_overlap("verification_scoreweights_no_overlap"),
            models.CheckConstraint(
                condition=Q(income_weight__gte=0, property_weight__gte=0, expenditure_weight__gte=0)
                & Q(income_ratio_cap__gt=0, asset_months_cap__gt=0, expenditure_ratio_cap__gt=0)
                & Q(asset_item_penalty__gte=0, burdened_member_points__gte=0),
                name="scoreweights_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(
                    income_weight=Decimal("100") - F("property_weight") - F("expenditure_weight")
                ),
                name="scoreweights_sum_100",
                violation_error_message=_("The three weights must add up to 100."),
            ),
        ]

    def __str__(self) -> str:
        return self.version


class HouseholdScore(models.Model):
    """One computation of a household's poverty score (0–100, higher = poorer)."""

    household = models.ForeignKey(
        "households.Household", on_delete=models.CASCADE, related_name="+"
    )
    case = models.ForeignKey(
        "assistance.DibaoCase",
        verbose_name=_("dibao case"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    weights = models.ForeignKey(
        ScoreWeights, verbose_name=_("weights version"), on_delete=models.PROTECT, related_name="+"
    )
    on = models.DateField(_("as of"))
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2)
    # {"income": {"input": …, "normalised": …, "weight": …, "contribution": …, …}, …,
    #  "snapshots": {kind: snapshot id}} — Decimals as strings.
    factors = models.JSONField(_("factors"), default=dict)
    computed_at = models.DateTimeField(_("computed at"), auto_now_add=True)
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("household poverty score")
        verbose_name_plural = _("household poverty scores")
        ordering = ["-computed_at", "-id"]
        indexes = [models.Index(fields=["household", "-computed_at"], name="vscore_household")]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=100), name="householdscore_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.household_id}: {self.score}"
