"""Pure rules of the programmes (no database): eligibility and amounts from plain numbers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from assistance.policy.rules import monthly_total
from assistance.programmes.workflow import MAX_AMOUNT
from core.money import HUNDRED, YUAN, ZERO, fen
from households.ages import AgeBands
from households.models import LabourCapacity


def tekun_findings(
    *,
    age: int,
    labour_capacity: str,
    severely_disabled: bool,
    has_income: bool,
    has_legal_supporter: bool,
    bands: AgeBands,
) -> list[str]:
    """Why a person does NOT qualify as tekun (empty list = qualifies).

    The three "no"s: no labour capacity, no income, no legal supporter; and the person is
    elderly (60 or over), below working age (16), or severely disabled (domain.md §1, §2).
    """
    problems = []
    if bands.working_age(age) and not severely_disabled:
        problems.append(
            _(
                "Tekun is for persons aged %(elderly)s or over, under %(young)s, or with a "
                "severe disability."
            )
            % {"elderly": bands.elderly_from, "young": bands.working_from}
        )
    if labour_capacity != LabourCapacity.NONE:
        problems.append(_("The person has labour capacity."))
    if has_income:
        problems.append(_("The person has income."))
    if has_legal_supporter:
        problems.append(_("The person has a legal supporter able to support them."))
    return problems


def tekun_floor(*, standard: Decimal, multiple: Decimal) -> Decimal:
    """The minimum monthly tekun support: multiple × standard, a monthly total, so rounded once
    up to the whole yuan as dibao's (1.6 × 914 = 1462.4 → 1463)."""
    return monthly_total(standard * multiple, ZERO)


@dataclass(frozen=True)
class LowIncomeBand:
    band: str  # "dibao" (below the standard), "low_income", or "above"
    standard: Decimal
    threshold: Decimal
    per_capita_income: Decimal

    @property
    def qualifies(self) -> bool:
        return self.band == "low_income"


def low_income_band(
    *, per_capita_income: Decimal, standard: Decimal, multiple: Decimal
) -> LowIncomeBand:
    """standard ≤ income < multiple × standard → low-income; below the standard it is a dibao
    case; at or above the threshold, neither."""
    threshold = fen(standard * multiple)
    if per_capita_income < standard:
        band = "dibao"
    elif per_capita_income < threshold:
        band = "low_income"
    else:
        band = "above"
    return LowIncomeBand(band, standard, threshold, per_capita_income)


def temporary_cap(*, standard: Decimal, multiple: Decimal, members: int) -> Decimal:
    """Cap of one temporary-assistance award: multiple × monthly standard × members, rounded
    once up to the whole yuan like every programme amount (awards are decided in whole yuan)."""
    return monthly_total(multiple * standard * members, ZERO)


@dataclass(frozen=True)
class MedicalAid:
    out_of_pocket: Decimal
    annual_income: Decimal
    capacity: Decimal
    rate_pct: Decimal
    formula_amount: Decimal
    annual_cap: Decimal
    already_awarded: Decimal
    remaining_cap: Decimal
    aid: Decimal

    def as_json(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.__dict__.items()}


def medical_aid(
    *,
    out_of_pocket: Decimal,
    annual_income: Decimal,
    rate_pct: Decimal,
    capacity_pct: Decimal,
    annual_cap: Decimal,
    already_awarded: Decimal = ZERO,
) -> MedicalAid:
    """aid = (compliant out-of-pocket − capacity) × rate, capacity = capacity% × annual income,
    never below 0 and never above the annual cap minus what was already awarded this year.
    The capacity is a component kept to the fen; the formula's amount is rounded once, up to
    the whole yuan, as every programme amount."""
    capacity = fen(annual_income * capacity_pct / HUNDRED)
    formula = monthly_total(max(ZERO, out_of_pocket - capacity) * rate_pct / HUNDRED, ZERO)
    remaining = fen(max(ZERO, annual_cap - already_awarded))
    return MedicalAid(
        out_of_pocket=out_of_pocket,
        annual_income=annual_income,
        capacity=capacity,
        rate_pct=rate_pct,
        formula_amount=formula,
        annual_cap=annual_cap,
        already_awarded=already_awarded,
        remaining_cap=remaining,
        aid=min(formula, remaining),
    )


def check_decided_amount(
    amount: Any, *, field: str = "amount", allow_zero: bool = False, whole_yuan: bool = True
) -> Decimal:
    """A reviewer's amount: a number, not negative, not absurd (> 1,000,000 is refused), and in
    whole yuan — refused with a message rather than rounded behind the reviewer's back, as every
    programme amount is whole yuan (dibao's monthly total is rounded up to the yuan).
    `whole_yuan=False` for figures that are not decisions (an applicant's requested amount)."""
    if amount is None or amount == "":
        raise ValidationError({field: [_("Enter the amount.")]})
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: [_("Enter a number.")]}) from None
    if not value.is_finite():
        raise ValidationError({field: [_("Enter a number.")]})
    if value < 0:
        raise ValidationError({field: [_("An amount cannot be negative.")]})
    if value == 0 and not allow_zero:
        raise ValidationError({field: [_("An approved amount must be more than 0.")]})
    if value > MAX_AMOUNT:
        raise ValidationError({field: [_("This amount is implausibly large; please check it.")]})
    if value != fen(value):
        raise ValidationError({field: [_("Amounts are kept to the fen (0.01 yuan).")]})
    if whole_yuan and value != value.quantize(YUAN):
        raise ValidationError(
            {
                field: [
                    _("Decided amounts are in whole yuan: enter %(a)s without fen.") % {"a": value}
                ]
            }
        )
    return value
