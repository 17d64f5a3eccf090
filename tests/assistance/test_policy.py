"""Benefit scenarios with exact yuan amounts (domain.md §6), on the pure computation."""

import datetime as dt
from decimal import Decimal as D

import pytest

from assistance.policy.rules import (
    ExpenditureItem,
    IncomeItem,
    MemberFacts,
    Policy,
    PropertyItem,
    SupplementAges,
    compute_benefit,
    monthly_total,
    property_findings,
)

PERCENTS = {
    "aged_70": D("20"),
    "aged_60": D("10"),
    "severe_disability": D("30"),
    "minor": D("20"),
    "serious_illness": D("20"),
}


def policy(standard: str, *, cpi: str | None = None) -> Policy:
    return Policy(
        on=dt.date(2023, 6, 1),
        standard=D(standard),
        standard_id=1,
        standard_interpolated=False,
        supplement_percents=PERCENTS,
        supplement_ages=SupplementAges(aged_from=60, aged_high_from=70, adult_from=18),
        price_trigger_pct=D("3.5"),
        price_subsidy_pct=D("10"),
        cpi_yoy_pct=D(cpi) if cpi else None,
    )


def member(pid: int, age: int, **kw) -> MemberFacts:  # type: ignore[no-untyped-def]
    return MemberFacts(person_id=pid, name=f"m{pid}", age=age, **kw)


def income(pid: int, amount: str, *, counted: bool = True, code: str = "wages") -> IncomeItem:
    return IncomeItem(
        person_id=pid, type_code=code, type_name=code, counted=counted, monthly_amount=D(amount)
    )


@pytest.mark.parametrize(
    ("standard", "members", "incomes", "expected_base", "expected_total"),
    [
        # urban class 3, 2023: 914; two adults, 600 wages → pci 300 → (914−300)×2 = 1228
        ("914", [member(1, 45), member(2, 44)], [income(1, "600")], "1228.00", "1228"),
        # rural class 4, 2023: 600; three members with 900 → pci 300 → 300×3 = 900, child +20%
        (
            "600",
            [member(1, 40), member(2, 38), member(3, 10)],
            [income(1, "900")],
            "900.00",
            "1020",
        ),
        # income above the standard → 0 (refused)
        ("914", [member(1, 45)], [income(1, "1000")], "0.00", "0"),
    ],
)
def test_urban_and_rural_scenarios(standard, members, incomes, expected_base, expected_total):
    b = compute_benefit(members=members, incomes=incomes, expenditures=[], policy=policy(standard))
    assert b.base_amount == D(expected_base)
    assert b.total == D(expected_total)
    assert b.eligible is (D(expected_total) > 0)


def test_excluded_income_is_not_counted():
    # basic resident pension 180 is not income; wages 200 are.
    b = compute_benefit(
        members=[member(1, 66), member(2, 64)],
        incomes=[income(1, "180", counted=False, code="resident_basic_pension"), income(2, "200")],
        expenditures=[],
        policy=policy("914"),
    )
    assert b.counted_income == D("200.00") and b.excluded_income == D("180.00")
    assert b.per_capita_income == D("100.00")
    # (914 − 100) × 2 = 1628; both aged 60–69 → 10% each = 91.40 × 2 = 182.80 → 1810.80 → 1811
    assert b.base_amount == D("1628.00") and b.supplement_amount == D("182.80")
    assert b.total == D("1811")


def test_rigid_expenditure_is_deducted():
    b = compute_benefit(
        members=[member(1, 50), member(2, 48)],
        incomes=[income(1, "1200")],
        expenditures=[ExpenditureItem(1, "重病医疗", "rigid", True, D("400"))],
        policy=policy("914"),
    )
    assert b.net_income == D("800.00") and b.per_capita_income == D("400.00")
    assert b.total == D("1028")  # (914 − 400) × 2


def test_highest_supplement_only_and_rounding_once():
    # Standard 532: member aged 72 (20%) and grade-1 disabled (30%) → 30% only = 159.60.
    members = [member(1, 72, disability_grade=1), member(2, 70)]
    b = compute_benefit(
        members=members, incomes=[income(2, "300.40")], expenditures=[], policy=policy("532")
    )
    line1, line2 = b.member_lines
    assert line1.supplement_category == "severe_disability" and line1.supplement == D("159.60")
    assert line2.supplement_category == "aged_70" and line2.supplement == D("106.40")
    # pci 150.20 → top-up 381.80 × 2 = 763.60; + 266.00 = 1029.60 → 1030 (rounded once, up)
    assert b.base_amount == D("763.60") and b.total == D("1030")


def test_rounding_example_from_domain():
    assert monthly_total(D("764"), D("106.4") + D("53.2")) == D("924")


def test_single_person_unit_counts_only_that_person():
    # The unit is member 1; member 2's wages are outside it.
    b = compute_benefit(
        members=[member(1, 30, disability_grade=1, labour_capacity="none")],
        incomes=[income(2, "5000")],
        expenditures=[],
        policy=policy("914"),
    )
    assert b.members == 1 and b.counted_income == D("0.00")
    assert b.base_amount == D("914.00")
    assert b.total == D("1189")  # 914 + 30% 274.20 = 1188.20 → 1189


def test_member_without_income_capacity_or_supporter_gets_full_standard():
    b = compute_benefit(
        members=[member(1, 50), member(2, 80, labour_capacity="none", has_legal_supporter=False)],
        incomes=[income(1, "1000")],
        expenditures=[],
        policy=policy("914"),
    )
    # pci 500 → member 1 gets 414, member 2 the full 914; member 2 also aged 70+ → 182.80
    assert b.base_amount == D("1328.00") and b.total == D("1511")


def test_price_subsidy_when_cpi_above_trigger():
    b = compute_benefit(
        members=[member(1, 40)], incomes=[], expenditures=[], policy=policy("914", cpi="3.6")
    )
    assert b.price_subsidy == D("91.40") and b.total == D("1006")
    b = compute_benefit(
        members=[member(1, 40)], incomes=[], expenditures=[], policy=policy("914", cpi="3.5")
    )
    assert b.price_subsidy == D("0")


def test_property_findings():
    findings = property_findings(
        items=[
            PropertyItem("deposit", D("50000")),
            PropertyItem("vehicle", D("30000")),
            PropertyItem("vehicle", D("3000"), exempt_reason="残疾人代步车"),
        ],
        members=2,
        standard=D("914"),
        asset_months=D("24"),
    )
    assert len(findings) == 2  # deposits over 43,872 and one non-exempt vehicle
