"""The set-based what-if equals the payroll computed by the existing Python code under the
current and under the proposed policy, to the fen (the proposal is enacted on the real policy
rows only here, inside the test's transaction, to compute the second payroll)."""

from decimal import Decimal

import pytest

from assistance.dibao.services import case_breakdown
from assistance.models import CategorySupplement, DibaoCase, DibaoStandard, PolicyParameter
from assistance.payroll.services import _price_subsidy_rule
from assistance.policy import selectors as policy_data
from assistance.policy.rules import monthly_total
from core.models import Region
from households.models import Household
from transitions.supervision.whatif import engine
from transitions.supervision.whatif.naive import simulate_naive

from ...factories import region
from .conftest import MONTH, S, case

U, R = Household.Hukou.URBAN, Household.Hukou.RURAL
PENGJIANG, TAISHAN, XINHUI = "440703", "440781", "440705"
# In force from 2023 (seed): 蓬江区 and 新会区 914 urban and rural; 台山市 857 urban, 600 rural.

# name -> (district, case keyword arguments)
HOUSEHOLDS: dict[str, tuple[str, dict]] = {
    "at_the_standard": (TAISHAN, {"hukou": R, "members": [{"age": 40}], "wages": [(0, "600")]}),
    "just_below": (TAISHAN, {"hukou": R, "members": [{"age": 40}], "wages": [(0, "599.99")]}),
    "just_above": (TAISHAN, {"hukou": R, "members": [{"age": 40}], "wages": [(0, "600.01")]}),
    "per_capita_rounds_up_to_the_standard": (
        TAISHAN,
        {"hukou": R, "members": [{"age": 40}, {"age": 38}], "wages": [(0, "1199.99")]},
    ),
    "urban_just_below": (TAISHAN, {"members": [{"age": 30}], "wages": [(0, "856.99")]}),
    "zero_income": (PENGJIANG, {"members": [{"age": 45}, {"age": 44}]}),
    "aged_70": (PENGJIANG, {"members": [{"age": 70}], "wages": [(0, "300")]}),
    "aged_60": (PENGJIANG, {"members": [{"age": 65}], "wages": [(0, "300")]}),
    "aged_69_and_59": (TAISHAN, {"hukou": R, "members": [{"age": 69}, {"age": 59}]}),
    "severe_disability": (
        PENGJIANG,
        {"members": [{"age": 40, "disability_grade": 2, "disability_category": "physical"}]},
    ),
    "grade_3_disability_no_supplement": (
        PENGJIANG,
        {"members": [{"age": 40, "disability_grade": 3, "disability_category": "physical"}]},
    ),
    "minor": (XINHUI, {"members": [{"age": 40}, {"age": 17}, {"age": 18}], "wages": [(0, "900")]}),
    "serious_illness": (XINHUI, {"members": [{"age": 50, "ill": True}], "wages": [(0, "100")]}),
    "highest_supplement_only": (
        XINHUI,
        {
            "members": [
                {"age": 75, "ill": True, "disability_grade": 1, "disability_category": "physical"}
            ]
        },
    ),
    "supplements_only_when_eligible": (
        PENGJIANG,
        {"members": [{"age": 72}, {"age": 10}], "wages": [(0, "1828")]},
    ),
    "full_standard_member": (
        TAISHAN,
        {
            "hukou": R,
            "members": [{"age": 80}, {"age": 40}],
            "wages": [(1, "1500")],
            "no_supporter": [0],
        },
    ),
    "no_supporter_but_earning": (
        TAISHAN,
        {"hukou": R, "members": [{"age": 80}], "wages": [(0, "50")], "no_supporter": [0]},
    ),
    "assessed_no_capacity": (
        PENGJIANG,
        {
            "members": [{"age": 40, "labour_capacity_assessed": "none"}, {"age": 41}],
            "wages": [(1, "2000")],
            "no_supporter": [0],
        },
    ),
    "rigid_deduction_and_excluded_income": (
        XINHUI,
        {
            "members": [{"age": 40}, {"age": 12}],
            "wages": [(0, "1500")],
            "excluded": [(0, "200")],
            "rigid": [(1, "400.50")],
        },
    ),
    "deductions_above_income": (
        XINHUI,
        {"members": [{"age": 40}], "wages": [(0, "100")], "rigid": [(0, "900")]},
    ),
    "single_person_unit": (
        PENGJIANG,
        {
            "members": [
                {"age": 50},
                {"age": 30, "disability_grade": 1, "disability_category": "mental"},
            ],
            "wages": [(0, "5000")],
            "single": 1,
        },
    ),
    "pending_application": (
        TAISHAN,
        {
            "hukou": R,
            "members": [{"age": 40}, {"age": 5}],
            "wages": [(0, "1150")],
            "status": S.IN_NOTICE,
        },
    ),
    "applied_only": (PENGJIANG, {"members": [{"age": 33}], "status": S.APPLIED}),
}

# name -> (standards {district: (urban, rural)}, supplements, trigger)
PROPOSALS = {
    "raise": (
        {TAISHAN: ("900", "650"), PENGJIANG: ("950.55", None)},
        {"aged_70": "25", "minor": "15"},
        None,
    ),
    "lower_and_trigger": ({TAISHAN: (None, "590"), XINHUI: ("900", "880.50")}, {}, "5.0"),
    "supplement_only": ({}, {"severe_disability": "35.5", "aged_60": "0"}, "2.0"),
}


def proposal(name: str) -> engine.Proposal:
    standards, supplements, trigger = PROPOSALS[name]
    return engine.Proposal(
        month=MONTH,
        standards={
            region(code).pk: (
                Decimal(u) if u is not None else None,
                Decimal(r) if r is not None else None,
            )
            for code, (u, r) in standards.items()
        },
        supplements={k: Decimal(v) for k, v in supplements.items()},
        price_trigger_pct=Decimal(trigger) if trigger else None,
    )


def counties() -> list[Region]:
    return list(Region.objects.filter(level=Region.Level.COUNTY).order_by("code"))


def payroll_amounts(cases: list[DibaoCase]) -> dict[int, Decimal]:
    """Each case's payroll line under the policy rows in force, by the existing code: the award
    (`case_breakdown`), then the payroll's price subsidy and its one rounding."""
    out = {}
    for c in cases:
        c = DibaoCase.objects.select_related("household__village").get(pk=c.pk)
        b = case_breakdown(c, on=MONTH)
        if not b.eligible:  # no award above zero: not on the payroll
            out[c.pk] = Decimal(0)
            continue
        county = policy_data.county_of(c.household.village)
        ps = _price_subsidy_rule(county, MONTH)(c.household.hukou_type, b.members)
        out[c.pk] = monthly_total(b.base_amount, b.supplement_amount, ps)
    return out


def enact(p: engine.Proposal) -> None:
    """The proposal written into the real policy rows (tests only: the what-if never does)."""
    for county_id, (urban, rural) in p.standards.items():
        row = DibaoStandard.objects.in_force(MONTH).get(county_id=county_id)
        DibaoStandard.objects.filter(pk=row.pk).update(
            urban=row.urban if urban is None else urban,
            rural=row.rural if rural is None else rural,
        )
    for cat, pct in p.supplements.items():
        CategorySupplement.objects.in_force(MONTH).filter(category=cat).update(percent=pct)
    if p.price_trigger_pct is not None:
        PolicyParameter.objects.in_force(MONTH).filter(key="price_trigger_pct").update(
            value=p.price_trigger_pct
        )


def _village(code: str, villages: dict[str, Region]) -> Region:
    return villages[code]


@pytest.fixture
def villages(village_a, village_taicheng, village_xinhui) -> dict[str, Region]:  # type: ignore[no-untyped-def]
    return {PENGJIANG: village_a, TAISHAN: village_taicheng, XINHUI: village_xinhui}


@pytest.mark.parametrize("proposal_name", list(PROPOSALS))
@pytest.mark.parametrize("kind", list(HOUSEHOLDS))
def test_each_case_equals_the_payroll_by_compute_benefit(  # type: ignore[no-untyped-def]
    kind, proposal_name, villages, cw_baisha, cpi_high
):
    district, kwargs = HOUSEHOLDS[kind]
    c = case(villages[district], by=cw_baisha, **kwargs)
    p = proposal(proposal_name)
    pair = engine.resolve(p, counties=counties())
    got = engine.simulate_cases(pair)
    before = payroll_amounts([c])
    enact(p)
    after = payroll_amounts([c])
    assert got == {c.pk: (before[c.pk], after[c.pk])}


@pytest.mark.parametrize("proposal_name", list(PROPOSALS))
def test_the_cost_difference_is_the_difference_of_the_payrolls(  # type: ignore[no-untyped-def]
    proposal_name, villages, cw_baisha, cpi_high
):
    cases = [case(villages[d], by=cw_baisha, **kw) for d, kw in HOUSEHOLDS.values()]
    # Neither active nor pending: left out by both.
    case(villages[TAISHAN], by=cw_baisha, members=[{"age": 40}], status=S.TERMINATED)
    case(villages[PENGJIANG], by=cw_baisha, members=[{"age": 40}], status=S.DRAFT)
    p = proposal(proposal_name)
    pair = engine.resolve(p, counties=counties())
    results = {r.county_id: r for r in engine.simulate(pair)}
    naive = {r.county_id: r for r in simulate_naive(pair)}
    before = payroll_amounts(cases)
    enact(p)
    after = payroll_amounts(cases)

    by_county: dict[int, list[DibaoCase]] = {}
    for c in cases:
        county = policy_data.county_of(c.household.village)
        by_county.setdefault(county.pk, []).append(c)
    assert set(by_county) <= set(results)
    for county_id, result in results.items():
        mine = by_county.get(county_id, [])
        cur = sum((before[c.pk] for c in mine), Decimal(0))
        new = sum((after[c.pk] for c in mine), Decimal(0))
        assert result.households == len(mine)
        assert result.pending == sum(c.status in engine.PENDING_STATUSES for c in mine)
        assert result.current_monthly == cur
        assert result.proposed_monthly == new
        assert result.monthly_difference == new - cur
        assert result.yearly_difference == (new - cur) * 12
        assert result.changed == sum(before[c.pk] != after[c.pk] for c in mine)
        assert result.became_eligible == sum(before[c.pk] == 0 < after[c.pk] for c in mine)
        assert result.became_ineligible == sum(after[c.pk] == 0 < before[c.pk] for c in mine)
        assert naive[county_id] == result  # the per-household loop agrees
    total_diff = sum((r.monthly_difference for r in results.values()), Decimal(0))
    assert total_diff == sum(after.values()) - sum(before.values())
    assert total_diff != 0  # the proposals do change the cost


def test_the_simulation_leaves_the_policy_rows_alone(villages, cw_baisha, cpi_high):  # type: ignore[no-untyped-def]
    case(villages[TAISHAN], by=cw_baisha, hukou=R, members=[{"age": 40}])
    rows = list(DibaoStandard.objects.values_list("pk", "urban", "rural").order_by("pk"))
    supp = list(CategorySupplement.objects.values_list("pk", "percent").order_by("pk"))
    params = list(PolicyParameter.objects.values_list("pk", "value").order_by("pk"))
    engine.simulate(engine.resolve(proposal("raise"), counties=counties()))
    assert list(DibaoStandard.objects.values_list("pk", "urban", "rural").order_by("pk")) == rows
    assert list(CategorySupplement.objects.values_list("pk", "percent").order_by("pk")) == supp
    assert list(PolicyParameter.objects.values_list("pk", "value").order_by("pk")) == params


def test_no_cpi_reading_no_subsidy_and_the_latest_reading_counts(villages, cw_baisha):  # type: ignore[no-untyped-def]
    from assistance.models import CpiReading

    c = case(villages[TAISHAN], by=cw_baisha, hukou=R, members=[{"age": 40}])
    pair = engine.resolve(proposal("supplement_only"), counties=counties())
    assert pair.cpi_yoy_pct is None
    assert engine.simulate_cases(pair)[c.pk] == (Decimal(600), Decimal(600))
    CpiReading.objects.create(month=MONTH.replace(month=1), yoy_percent=Decimal("3.00"))
    pair = engine.resolve(proposal("supplement_only"), counties=counties())  # trigger 2.0
    assert engine.simulate_cases(pair)[c.pk] == (Decimal(600), Decimal(660))
