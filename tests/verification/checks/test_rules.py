"""Every default rule at, below and above its threshold (one household, one run each)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from verification.checks import services
from verification.models import CrossCheckRun, Finding

from .conftest import ids_of, make_case, make_snapshot

pytestmark = pytest.mark.django_db
Scope = CrossCheckRun.Scope


def _run(case: Any) -> CrossCheckRun:
    run = services.cross_check_run_create(scope=Scope.CASES, cases=[case], by=None)
    return services.cross_check_run_execute(run)


def _codes(household: Any) -> set[str]:
    return set(Finding.objects.filter(household=household).values_list("rule_code", flat=True))


# (rule, kind, records builder(ids, std, delta) -> list) — delta: -1 below, 0 at, +1 above.
def _financial(ids: list[str], std: Decimal, d: int) -> dict[str, list[dict[str, Any]]]:
    # 3 persons × 24 × standard, split over deposits and securities
    total = 3 * 24 * std + d
    return {
        "bank_deposit": [{"id_number": ids[0], "bank": "工行", "balance": total - 1000}],
        "securities": [{"id_number": ids[1], "institution": "券商", "market_value": 1000}],
    }


def _homes(ids: list[str], std: Decimal, d: int) -> dict[str, list[dict[str, Any]]]:
    n = {-1: 0, 0: 1, 1: 2}[d]
    return {
        "housing": [
            {"id_number": ids[0], "property_address": f"幸福路{i}号", "use": "住宅", "area": 80}
            for i in range(n)
        ]
        # a shop is not a home (it is its own rule): never counted here
        + ([{"id_number": ids[1], "property_address": "x", "use": "商业", "area": 1}] * 0)
    }


def _non_residential(ids: list[str], std: Decimal, d: int) -> dict[str, list[dict[str, Any]]]:
    use = {-1: "住宅", 0: "住宅", 1: "商业"}[d]
    return {
        "housing": [{"id_number": ids[0], "property_address": "商铺1号", "use": use, "area": 30}]
    }


def _vehicle(ids: list[str], std: Decimal, d: int) -> dict[str, list[dict[str, Any]]]:
    vt = {-1: "普通二轮摩托车", 0: "残疾人专用车", 1: "小型轿车"}[d]
    return {"motor_vehicle": [{"id_number": ids[0], "plate": "粤J12345", "vehicle_type": vt}]}


def _business(ids: list[str], std: Decimal, d: int) -> dict[str, list[dict[str, Any]]]:
    return {
        "business": [
            {
                "id_number": ids[0],
                "registration_no": "9244",
                "employees": max(d, 0) if d <= 0 else 3,
            }
        ]
    }


def _salary_unemployed(ids: list[str], std: Decimal, d: int) -> dict[str, list[dict[str, Any]]]:
    return {
        "employment": [{"id_number": ids[2], "employer": "厂", "monthly_salary": max(d, 0) * 100}]
    }


def _salary(ids: list[str], std: Decimal, d: int) -> dict[str, list[dict[str, Any]]]:
    return {"employment": [{"id_number": ids[0], "employer": "厂", "monthly_salary": std + d}]}


def _provident(ids: list[str], std: Decimal, d: int) -> dict[str, list[dict[str, Any]]]:
    # implied salary = deposit / 0.24
    return {
        "provident_fund": [
            {"id_number": ids[0], "monthly_contribution": std * Decimal("0.24") + d, "balance": 1}
        ]
    }


def _social(ids: list[str], std: Decimal, d: int) -> dict[str, list[dict[str, Any]]]:
    return {
        "social_insurance": [
            {
                "id_number": ids[0],
                "insurance": "职工养老",
                "monthly_contribution": std * Decimal("0.08") + d,
            }
        ]
    }


def _tax(ids: list[str], std: Decimal, d: int) -> dict[str, list[dict[str, Any]]]:
    return {"tax": [{"id_number": ids[0], "tax_year": 2025, "tax_paid": max(d, 0) * 10}]}


def _machinery(ids: list[str], std: Decimal, d: int) -> dict[str, list[dict[str, Any]]]:
    return {
        "agricultural_machinery": [
            {"id_number": ids[0], "machine_type": "拖拉机", "value": 12 * std + d}
        ]
    }


def _subsidy(ids: list[str], std: Decimal, d: int) -> dict[str, list[dict[str, Any]]]:
    return {
        "agricultural_subsidy": [
            {"id_number": ids[0], "subsidy_type": "种粮", "amount": 6 * std + d}
        ]
    }


def _registration(ids: list[str], std: Decimal, d: int) -> dict[str, list[dict[str, Any]]]:
    present = ids if d <= 0 else ids[:-1]  # "above": one member missing
    return {"household_registration": [{"id_number": i, "address": "a"} for i in present]}


CASES = [
    ("financial_assets", _financial),
    ("housing_second_home", _homes),
    ("housing_non_residential", _non_residential),
    ("motor_vehicle", _vehicle),
    ("business_employees", _business),
    ("salary_declared_unemployed", _salary_unemployed),
    ("salary_above_standard", _salary),
    ("provident_fund_salary", _provident),
    ("social_insurance_salary", _social),
    ("tax_paid", _tax),
    ("agricultural_machinery", _machinery),
    ("agricultural_subsidy", _subsidy),
    ("registration_absent", _registration),
]


@pytest.mark.parametrize("delta", [-1, 0, 1], ids=["below", "at", "above"])
@pytest.mark.parametrize(("code", "build"), CASES, ids=[c for c, _ in CASES])
def test_rule_threshold(code, build, delta, household_a, cw_baisha, data_admin, std):  # type: ignore[no-untyped-def]
    ids = ids_of(household_a)
    member = household_a.memberships.order_by("id")[2].person
    member.employment_status = "unemployed"
    member.save()
    for kind, records in build(ids, std, delta).items():
        make_snapshot(kind, records, by=data_admin)
    case = make_case(household_a, by=cw_baisha)
    run = _run(case)
    assert run.status == CrossCheckRun.Status.DONE, run.message
    assert run.persons == 3 and run.households == 1
    found = code in _codes(household_a)
    assert found is (delta == 1), (code, delta, _codes(household_a))
    if found:
        f = Finding.objects.get(household=household_a, rule_code=code)
        assert f.state == Finding.State.NEW
        assert f.county.code == "440703" and f.village == household_a.village
        assert f.transitions.get().action == "find"
        if f.threshold is not None and f.value is not None:
            assert f.value > f.threshold
