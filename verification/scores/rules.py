"""The poverty score as a pure function of a household's facts and the weights in force (no
database here: `selectors.score_inputs` reads the facts for one or many households in one query).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

ZERO = Decimal("0")
ONE = Decimal("1")
FOUR = Decimal("0.0001")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Weights:
    income_weight: Decimal
    property_weight: Decimal
    expenditure_weight: Decimal
    income_ratio_cap: Decimal
    asset_months_cap: Decimal
    asset_item_penalty: Decimal
    expenditure_ratio_cap: Decimal
    burdened_member_points: Decimal

    @classmethod
    def of(cls, row: Any) -> Weights:
        return cls(**{f: getattr(row, f) for f in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Inputs:
    """A household's facts on one day. Declared figures come from its dibao case's declarations,
    recorded ones from the departments' current dataset snapshots (0 when none is loaded)."""

    members: int
    standard: Decimal
    counted_income: Decimal = ZERO
    declared_deposits: Decimal = ZERO
    recorded_deposits: Decimal = ZERO
    declared_securities: Decimal = ZERO
    recorded_securities: Decimal = ZERO
    declared_insurance: Decimal = ZERO
    homes: int = 0
    non_residential: int = 0
    vehicles: int = 0
    businesses: int = 0
    rigid_expenditure: Decimal = ZERO
    burdened_members: int = 0
    snapshots: dict[str, int] = field(default_factory=dict)


def _clip(x: Decimal) -> Decimal:
    return min(ONE, max(ZERO, x)).quantize(FOUR, ROUND_HALF_UP)


def _s(x: Decimal | int) -> str:
    return str(x)


def compute(inputs: Inputs, w: Weights) -> tuple[Decimal, dict[str, Any]]:
    """(score 0–100 to the cent, factors JSON). Higher = poorer."""
    n = Decimal(max(1, inputs.members))
    std = inputs.standard
    if std <= 0:
        raise ValueError("the dibao standard must be positive")

    per_capita = (inputs.counted_income / n).quantize(CENT, ROUND_HALF_UP)
    income_ratio = (per_capita / std).quantize(FOUR, ROUND_HALF_UP)
    income_norm = _clip(ONE - income_ratio / w.income_ratio_cap)

    # A department's record confirms or exceeds a declaration of the same asset: the larger counts.
    deposits = max(inputs.declared_deposits, inputs.recorded_deposits)
    securities = max(inputs.declared_securities, inputs.recorded_securities)
    financial = deposits + securities + inputs.declared_insurance
    asset_months = (financial / n / std).quantize(FOUR, ROUND_HALF_UP)
    items = max(0, inputs.homes - 1) + inputs.non_residential + inputs.vehicles + inputs.businesses
    property_norm = _clip(ONE - asset_months / w.asset_months_cap - w.asset_item_penalty * items)

    rigid_per_capita = (inputs.rigid_expenditure / n).quantize(CENT, ROUND_HALF_UP)
    rigid_ratio = (rigid_per_capita / std).quantize(FOUR, ROUND_HALF_UP)
    expenditure_norm = _clip(
        rigid_ratio / w.expenditure_ratio_cap + w.burdened_member_points * inputs.burdened_members
    )

    def line(norm: Decimal, weight: Decimal, **facts: Any) -> dict[str, Any]:
        return {
            **{k: _s(v) for k, v in facts.items()},
            "normalised": _s(norm),
            "weight": _s(weight),
            "contribution": _s((norm * weight).quantize(CENT, ROUND_HALF_UP)),
        }

    factors: dict[str, Any] = {
        "income": line(
            income_norm,
            w.income_weight,
            input=income_ratio,
            per_capita_income=per_capita,
            standard=std,
            members=inputs.members,
        ),
        "property": line(
            property_norm,
            w.property_weight,
            input=asset_months,
            financial_assets=financial,
            deposits=deposits,
            securities=securities,
            insurance=inputs.declared_insurance,
            disqualifying_items=items,
        ),
        "expenditure": line(
            expenditure_norm,
            w.expenditure_weight,
            input=rigid_ratio,
            rigid_per_capita=rigid_per_capita,
            burdened_members=inputs.burdened_members,
        ),
        "snapshots": dict(inputs.snapshots),
    }
    score = sum(
        (Decimal(factors[k]["contribution"]) for k in ("income", "property", "expenditure")), ZERO
    )
    return min(Decimal("100"), score).quantize(CENT), factors


FACTORS = ("income", "property", "expenditure")
