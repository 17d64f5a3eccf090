"""Pure functions of policy data: the dibao benefit computation and eligibility checks.

No database access here: `assistance.policy.selectors` loads a `Policy` snapshot for a county, hukou
and date; these functions turn (members, declarations, policy) into a breakdown. Every amount is
kept to the fen; only the household's monthly total is rounded, once, up to the whole yuan
(domain.md §6: 764 + 106.4 + 53.2 = 923.6 → 924).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from core.money import HUNDRED, ZERO, ceil_yuan, fen

# Highest applicable supplement only; order is irrelevant (max is taken).
SUPPLEMENT_LABELS = {
    "aged_70": "年满70周岁",
    "aged_60": "60至69周岁",
    "severe_disability": "一、二级残疾",
    "minor": "未成年人",
    "serious_illness": "重病患者",
}


@dataclass(frozen=True)
class MemberFacts:
    person_id: int
    name: str
    age: int
    disability_grade: int | None = None
    seriously_ill: bool = False
    labour_capacity: str = "full"  # full | partial | none
    has_legal_supporter: bool = True


@dataclass(frozen=True)
class IncomeItem:
    person_id: int
    type_code: str
    type_name: str
    counted: bool
    monthly_amount: Decimal


@dataclass(frozen=True)
class ExpenditureItem:
    person_id: int
    type_name: str
    kind: str  # rigid | employment
    deductible: bool
    monthly_amount: Decimal


@dataclass(frozen=True)
class SupplementAges:
    """The ages of the category supplements (policy parameters)."""

    aged_from: int  # "aged_60"
    aged_high_from: int  # "aged_70"
    adult_from: int  # younger: "minor"


@dataclass(frozen=True)
class Policy:
    """The policy in force on `on` for one county and hukou type."""

    on: dt.date
    standard: Decimal
    standard_id: int | None
    standard_interpolated: bool
    supplement_percents: dict[str, Decimal]
    supplement_ages: SupplementAges
    price_trigger_pct: Decimal
    price_subsidy_pct: Decimal
    cpi_yoy_pct: Decimal | None = None


@dataclass
class MemberLine:
    person_id: int
    name: str
    supplement_category: str = ""
    supplement_label: str = ""
    supplement_percent: Decimal = ZERO
    supplement: Decimal = ZERO
    full_standard: bool = False


@dataclass
class Breakdown:
    on: dt.date
    members: int
    standard: Decimal
    standard_id: int | None
    standard_interpolated: bool
    counted_income: Decimal
    excluded_income: Decimal
    excluded_items: list[tuple[str, Decimal]]
    rigid_deductions: Decimal
    employment_deductions: Decimal
    net_income: Decimal
    per_capita_income: Decimal
    top_up_per_person: Decimal
    base_amount: Decimal
    supplement_amount: Decimal
    price_subsidy: Decimal
    unrounded_total: Decimal
    total: Decimal
    eligible: bool
    member_lines: list[MemberLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        """JSON-safe snapshot stored with a decision (Decimals as strings)."""

        def conv(v):  # type: ignore[no-untyped-def]
            if isinstance(v, Decimal):
                return str(v)
            if isinstance(v, dt.date):
                return v.isoformat()
            if isinstance(v, list):
                return [conv(i) for i in v]
            if isinstance(v, tuple):
                return [conv(i) for i in v]
            if isinstance(v, dict):
                return {k: conv(i) for k, i in v.items()}
            return v

        return conv(asdict(self))  # type: ignore[no-any-return]


def supplement_category(m: MemberFacts, percents: dict[str, Decimal], ages: SupplementAges) -> str:
    """The applicable category with the highest percentage ("highest only")."""
    applicable = []
    if m.age >= ages.aged_high_from:
        applicable.append("aged_70")
    elif m.age >= ages.aged_from:
        applicable.append("aged_60")
    if m.disability_grade in (1, 2):
        applicable.append("severe_disability")
    if m.age < ages.adult_from:
        applicable.append("minor")
    if m.seriously_ill:
        applicable.append("serious_illness")
    applicable = [c for c in applicable if c in percents]
    if not applicable:
        return ""
    return max(applicable, key=lambda c: (percents[c], c))


def compute_benefit(
    *,
    members: list[MemberFacts],
    incomes: list[IncomeItem],
    expenditures: list[ExpenditureItem],
    policy: Policy,
    price_subsidy_applies: bool | None = None,
) -> Breakdown:
    """The dibao benefit for one unit (household, or a single-person unit's one member).

    benefit = max(0, standard − per-capita income) × members, plus the highest category supplement
    per member; a member with no income, no work capacity and no legal supporter gets the full
    standard. Income of persons outside the unit and non-counted income types are ignored.
    """
    if not members:
        raise ValueError("a dibao unit has at least one member")
    unit_ids = {m.person_id for m in members}
    n = Decimal(len(members))
    in_unit_income = [i for i in incomes if i.person_id in unit_ids]
    counted = sum((i.monthly_amount for i in in_unit_income if i.counted), ZERO)
    excluded_items = [(i.type_name, i.monthly_amount) for i in in_unit_income if not i.counted]
    excluded = sum((a for _, a in excluded_items), ZERO)
    in_unit_exp = [e for e in expenditures if e.person_id in unit_ids and e.deductible]
    rigid = sum((e.monthly_amount for e in in_unit_exp if e.kind == "rigid"), ZERO)
    employment = sum((e.monthly_amount for e in in_unit_exp if e.kind == "employment"), ZERO)
    net = max(ZERO, counted - rigid - employment)
    per_capita = fen(net / n)
    standard = policy.standard
    top_up = max(ZERO, standard - per_capita)

    earners = {i.person_id for i in in_unit_income if i.counted and i.monthly_amount > 0}
    lines: list[MemberLine] = []
    base = ZERO
    for m in members:
        line = MemberLine(person_id=m.person_id, name=m.name)
        if m.person_id not in earners and m.labour_capacity == "none" and not m.has_legal_supporter:
            line.full_standard = True
            base += standard
        else:
            base += top_up
        lines.append(line)
    base = fen(base)
    eligible = base > 0
    supplements = ZERO
    if eligible:
        for m, line in zip(members, lines, strict=True):
            cat = supplement_category(m, policy.supplement_percents, policy.supplement_ages)
            if cat:
                pct = policy.supplement_percents[cat]
                line.supplement_category = cat
                line.supplement_label = SUPPLEMENT_LABELS.get(cat, cat)
                line.supplement_percent = pct
                line.supplement = fen(standard * pct / HUNDRED)
                supplements += line.supplement
    if price_subsidy_applies is None:
        price_subsidy_applies = (
            policy.cpi_yoy_pct is not None and policy.cpi_yoy_pct > policy.price_trigger_pct
        )
    subsidy = (
        fen(standard * policy.price_subsidy_pct / HUNDRED * n)
        if (eligible and price_subsidy_applies)
        else ZERO
    )
    unrounded = base + supplements + subsidy
    notes = []
    if not eligible:
        notes.append("人均收入不低于低保标准，不符合低保条件。")
    if policy.standard_interpolated:
        notes.append("该年度低保标准为插值估算数据。")
    return Breakdown(
        on=policy.on,
        members=len(members),
        standard=standard,
        standard_id=policy.standard_id,
        standard_interpolated=policy.standard_interpolated,
        counted_income=fen(counted),
        excluded_income=fen(excluded),
        excluded_items=excluded_items,
        rigid_deductions=fen(rigid),
        employment_deductions=fen(employment),
        net_income=fen(net),
        per_capita_income=per_capita,
        top_up_per_person=fen(top_up),
        base_amount=base,
        supplement_amount=fen(supplements),
        price_subsidy=subsidy,
        unrounded_total=fen(unrounded),
        total=ceil_yuan(unrounded) if eligible else ZERO,
        eligible=eligible,
        member_lines=lines,
        notes=notes,
    )


def monthly_total(base: Decimal, supplements: Decimal, price_subsidy: Decimal = ZERO) -> Decimal:
    """The one rounding: a household's monthly total up to the whole yuan."""
    return ceil_yuan(base + supplements + price_subsidy)


@dataclass(frozen=True)
class PropertyItem:
    kind: str
    value: Decimal
    exempt_reason: str = ""


def property_findings(
    *, items: list[PropertyItem], members: int, standard: Decimal, asset_months: Decimal
) -> list[str]:
    """Default property limits (domain.md §4); each finding can be waived by a reviewer."""
    findings = []
    financial = sum(
        (i.value for i in items if i.kind in ("deposit", "securities", "commercial_insurance")),
        ZERO,
    )
    limit = standard * asset_months * members
    if financial > limit:
        findings.append(
            f"金融资产 {fen(financial)} 元超过上限 {fen(limit)} 元（人均 {asset_months} 个月标准）。"
        )
    houses = [i for i in items if i.kind == "house" and not i.exempt_reason]
    if len(houses) > 1:
        findings.append(f"拥有 {len(houses)} 套住宅，超过 1 套。")
    if any(i.kind == "non_residential" and not i.exempt_reason for i in items):
        findings.append("拥有非住宅类房产。")
    if any(i.kind == "vehicle" and not i.exempt_reason for i in items):
        findings.append("拥有机动车（残疾人代步车、摩托车、电动车或生计用车可说明理由豁免）。")
    if any(i.kind == "business" and not i.exempt_reason for i in items):
        findings.append("登记有雇工的经营实体。")
    return findings
