"""The per-household what-if: the baseline of the benchmark and a check of the statement.

The facts are loaded in a few bulk queries (which favours the baseline); then, household by
household, `compute_benefit` is called under the current and the proposed policy and the totals
summed per district, as `engine.simulate` does in SQL.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from assistance.models import DibaoCase, ExpenditureDeclaration, IncomeDeclaration
from assistance.policy.rules import (
    ExpenditureItem,
    IncomeItem,
    MemberFacts,
    Policy,
    compute_benefit,
)
from households.models import Membership, Person

from .engine import ACTIVE_STATUSES, PENDING_STATUSES, DistrictResult, Pair, Side, subsidy_applies


def _policy(pair: Pair, side: Side, county_id: int, hukou: str) -> Policy:
    urban, rural = side.standards[county_id]
    return Policy(
        on=pair.month,
        standard=urban if hukou == "urban" else rural,
        standard_id=None,
        standard_interpolated=False,
        supplement_percents=side.percents,
        supplement_ages=pair.ages,
        price_trigger_pct=side.price_trigger_pct,
        price_subsidy_pct=pair.price_subsidy_pct,
        cpi_yoy_pct=pair.cpi_yoy_pct,
    )


def simulate_naive_cases(pair: Pair) -> dict[int, tuple[int, bool, Decimal, Decimal]]:
    """Per case: (county id, pending, current total, proposed total)."""
    county_of_code = {c.code: pk for pk, c in pair.counties.items()}
    cases = list(
        DibaoCase.objects.filter(status__in=[*ACTIVE_STATUSES, *PENDING_STATUSES])
        .values_list(
            "id",
            "household_id",
            "unit",
            "single_person_id",
            "status",
            "household__hukou_type",
            "household__village__path",
        )
        .order_by("id")
    )
    members: dict[int, list[int]] = defaultdict(list)
    for hh, person in (
        Membership.objects.filter(end_date__isnull=True)
        .values_list("household_id", "person_id")
        .order_by("person_id")
        .iterator(chunk_size=20_000)
    ):
        members[hh].append(person)
    persons = {p.pk: p for p in Person.objects.all().iterator(chunk_size=20_000)}
    incomes: dict[int, list[IncomeItem]] = defaultdict(list)
    for case_id, person_id, code, name, counted, amount in IncomeDeclaration.objects.values_list(
        "case_id",
        "person_id",
        "income_type__code",
        "income_type__name",
        "income_type__counted",
        "monthly_amount",
    ).iterator(chunk_size=20_000):
        incomes[case_id].append(IncomeItem(person_id, code, name, counted, amount))
    expenditures: dict[int, list[ExpenditureItem]] = defaultdict(list)
    for (
        case_id,
        person_id,
        name,
        kind,
        deductible,
        amount,
    ) in ExpenditureDeclaration.objects.values_list(
        "case_id",
        "person_id",
        "expenditure_type__name",
        "expenditure_type__kind",
        "expenditure_type__deductible",
        "monthly_amount",
    ).iterator(chunk_size=20_000):
        expenditures[case_id].append(ExpenditureItem(person_id, name, kind, deductible, amount))
    no_supporter: set[tuple[int, int]] = set(
        DibaoCase.persons_without_supporter.through.objects.values_list("dibaocase_id", "person_id")
    )
    subsidy = {"c": subsidy_applies(pair, pair.current), "n": subsidy_applies(pair, pair.proposed)}
    out: dict[int, tuple[int, bool, Decimal, Decimal]] = {}
    for case_id, household_id, unit, single, status, hukou, path in cases:
        county_id = county_of_code.get(path.split(".")[1])
        if county_id is None:
            continue
        ids = [single] if unit == DibaoCase.Unit.SINGLE_PERSON else members[household_id]
        if not ids or None in ids:
            continue
        facts = [
            MemberFacts(
                person_id=pid,
                name="",
                age=persons[pid].age_on(pair.month),
                disability_grade=persons[pid].disability_grade,
                seriously_ill=bool(persons[pid].serious_illness_id),
                labour_capacity=persons[pid].labour_capacity(pair.month, pair.bands),
                has_legal_supporter=(case_id, pid) not in no_supporter,
            )
            for pid in ids
        ]
        totals = []
        for key, side in (("c", pair.current), ("n", pair.proposed)):
            b = compute_benefit(
                members=facts,
                incomes=incomes.get(case_id, []),
                expenditures=expenditures.get(case_id, []),
                policy=_policy(pair, side, county_id, hukou),
                price_subsidy_applies=subsidy[key],
            )
            totals.append(b.total)
        out[case_id] = (county_id, status in PENDING_STATUSES, totals[0], totals[1])
    return out


def simulate_naive(pair: Pair) -> list[DistrictResult]:
    out = {k: DistrictResult(county_id=k) for k in sorted(pair.counties)}
    for county_id, pending, cur, new in simulate_naive_cases(pair).values():
        r = out[county_id]
        r.households += 1
        r.pending += pending
        r.active += not pending
        r.changed += cur != new
        r.became_eligible += cur == 0 and new > 0
        r.became_ineligible += cur > 0 and new == 0
        r.current_monthly += cur
        r.proposed_monthly += new
    return list(out.values())
