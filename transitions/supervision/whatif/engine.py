"""The set-based what-if: `compute_benefit`'s amounts for every case under the current and the
proposed policy, in one SQL statement, summed per district.

`resolve` reads the policy in force on the effective month (a handful of queries) and applies the
proposal to a copy of it (the real policy rows are never written); `simulate` runs one statement
over the whole register. The statement mirrors `assistance.policy.rules.compute_benefit` field by
field (the equivalence is tested against it, to the fen):

- the unit: the household's open memberships, or the single person;
- counted income of the unit's members, minus their deductible rigid and employment costs, not
  below zero, divided by the members and rounded to the fen: the per-capita income;
- per member, the full standard (no counted income, no labour capacity, no legal supporter) or
  the top-up max(0, standard − per-capita income);
- eligible when that base is above zero; then per member the highest applicable category
  supplement, fen(standard × percent ÷ 100);
- the price subsidy as the payroll adds it: fen(standard × subsidy % ÷ 100 × members) when the
  month's CPI (else the latest reading before it) is above the trigger;
- the household's total rounded once, up to the yuan.

Ages and the default labour capacity are taken on the first day of the effective month, as
`case_breakdown(case, on=month)` does.

Shape (for the planner): the cases and their unit's members are read once (`units`); income,
deductions and full-standard members are aggregated per case beside them and joined to the
per-case member aggregate; the village → district map and the supplement amounts (per district,
hukou and mask of applicable categories) are parameters computed here; after the declarations
every amount is an integer number of fen, so the arithmetic is exact and cheap.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from assistance.models import (
    CategorySupplement,
    CpiReading,
    DibaoCase,
    DibaoStandard,
    PolicyParameter,
)
from assistance.models.policy import SupplementCategory
from assistance.policy import selectors as policy_data
from assistance.policy.rules import SupplementAges
from core.models import Region
from core.money import HUNDRED, ZERO, fen
from core.months import month_start
from households.ages import AgeBands

S = DibaoCase.Status
ACTIVE_STATUSES = (S.CONFIRMED, S.ACTIVE, S.UNDER_REVIEW)
PENDING_STATUSES = (S.APPLIED, S.ACCEPTED, S.INVESTIGATING, S.PROPOSED, S.IN_NOTICE)
CATEGORIES = tuple(SupplementCategory.values)
MONTHS_A_YEAR = 12


@dataclass(frozen=True)
class Proposal:
    """What the data administrator proposes; anything left out stays as in force."""

    month: dt.date
    # county id -> (urban, rural); None keeps the standard in force
    standards: dict[int, tuple[Decimal | None, Decimal | None]] = field(default_factory=dict)
    supplements: dict[str, Decimal] = field(default_factory=dict)  # category -> percent
    price_trigger_pct: Decimal | None = None


@dataclass(frozen=True)
class Side:
    """One policy (the current or the proposed) as the statement needs it."""

    standards: dict[int, tuple[Decimal, Decimal]]  # county id -> (urban, rural)
    percents: dict[str, Decimal]  # categories in force
    price_trigger_pct: Decimal


@dataclass(frozen=True)
class Pair:
    month: dt.date
    counties: dict[int, Region]  # the districts simulated
    current: Side
    proposed: Side
    ages: SupplementAges
    bands: AgeBands
    price_subsidy_pct: Decimal
    cpi_yoy_pct: Decimal | None
    villages: list[tuple[int, int]] = field(default_factory=list)  # (village id, county id)


@dataclass
class DistrictResult:
    county_id: int
    households: int = 0
    active: int = 0
    pending: int = 0
    changed: int = 0
    became_eligible: int = 0
    became_ineligible: int = 0
    current_monthly: Decimal = ZERO
    proposed_monthly: Decimal = ZERO

    @property
    def monthly_difference(self) -> Decimal:
        return self.proposed_monthly - self.current_monthly

    @property
    def yearly_difference(self) -> Decimal:
        return self.monthly_difference * MONTHS_A_YEAR


def cpi_for(month: dt.date) -> Decimal | None:
    """The month's CPI reading, else the latest one before it (a future month has none yet)."""
    row = CpiReading.objects.filter(month__lte=month).order_by("-month").first()
    return row.yoy_percent if row else None


def resolve(proposal: Proposal, *, counties: list[Region]) -> Pair:
    """The policy in force on the proposal's month and the proposed one beside it. Raises a
    field error when something the simulation needs is not in force."""
    month = month_start(proposal.month)
    by_id = {c.pk: c for c in counties}
    standards: dict[int, tuple[Decimal, Decimal]] = {}
    for row in DibaoStandard.objects.in_force(month).filter(county__in=counties):
        standards[row.county_id] = (row.urban, row.rural)
    missing = [by_id[k] for k in proposal.standards if k in by_id and k not in standards]
    if missing:
        raise ValidationError(
            {
                "effective_month": [
                    _("No dibao standard of %(county)s is in force in %(month)s.")
                    % {"county": missing[0].name, "month": f"{month:%Y-%m}"}
                ]
            }
        )
    percents: dict[str, Decimal] = {}
    for srow in CategorySupplement.objects.in_force(month).order_by("category", "-valid_from"):
        percents.setdefault(srow.category, srow.percent)
    try:
        trigger = policy_data.parameter(PolicyParameter.Key.PRICE_TRIGGER_PCT, month)
        subsidy = policy_data.parameter(PolicyParameter.Key.PRICE_SUBSIDY_PCT, month)
        ages = policy_data.supplement_ages(month)
        bands = policy_data.age_bands(month)
    except ValidationError as e:
        raise ValidationError({"effective_month": e.messages}) from None
    current = Side(standards=standards, percents=percents, price_trigger_pct=trigger)
    new_standards = dict(standards)
    for county_id, (urban, rural) in proposal.standards.items():
        if county_id in new_standards:
            old_u, old_r = new_standards[county_id]
            new_standards[county_id] = (
                old_u if urban is None else urban,
                old_r if rural is None else rural,
            )
    proposed = replace(
        current,
        standards=new_standards,
        percents={**percents, **proposal.supplements},
        price_trigger_pct=(
            trigger if proposal.price_trigger_pct is None else proposal.price_trigger_pct
        ),
    )
    simulated = {k: v for k, v in by_id.items() if k in standards}
    county_of_code = {c.code: k for k, c in simulated.items()}
    villages = [
        (pk, county_of_code[path.split(".")[1]])
        for pk, path in Region.objects.filter(level=Region.Level.VILLAGE).values_list("pk", "path")
        if path.split(".")[1] in county_of_code
    ]
    return Pair(
        month=month,
        counties=simulated,
        villages=villages,
        current=current,
        proposed=proposed,
        ages=ages,
        bands=bands,
        price_subsidy_pct=subsidy,
        cpi_yoy_pct=cpi_for(month),
    )


def subsidy_applies(pair: Pair, side: Side) -> bool:
    return pair.cpi_yoy_pct is not None and pair.cpi_yoy_pct > side.price_trigger_pct


# A member's applicable supplement categories as bits (the statement computes the mask; the
# amount of each mask is computed here, once per district, hukou and policy).
FLAGS = {
    "aged_70": ("(a.age >= %(aged_high_from)s)", 1),
    "aged_60": ("(a.age >= %(aged_from)s AND a.age < %(aged_high_from)s)", 2),
    "severe_disability": ("(COALESCE(p.disability_grade IN (1, 2), false))", 4),
    "minor": ("(a.age < %(adult_from)s)", 8),
    "serious_illness": ("(p.serious_illness_id IS NOT NULL)", 16),
}
MASKS = 32
MASK_SQL = " | ".join(f"({cond})::int * {bit}" for cond, bit in FLAGS.values())


def _supplement(standard: Decimal, mask: int, percents: dict[str, Decimal]) -> Decimal:
    """As rules.supplement_category: the highest applicable percent, fen(standard × % ÷ 100)."""
    applicable = [percents[c] for c, (_cond, bit) in FLAGS.items() if mask & bit and c in percents]
    if not applicable:
        return ZERO
    return fen(standard * max(applicable) / HUNDRED)


# Table names are the models' (fixed); every value is a parameter.
AGE_SQL = "date_part('year', age(%(on)s::date, p.birth_date))::int"

SIMULATION_SQL = f"""
WITH vc AS (
    -- Each village with its district's ordinal (1-based) in `county_of`.
    SELECT * FROM unnest(%(villages)s::int[], %(village_counties)s::int[]) AS x(village_id, idx)
),
uc AS NOT MATERIALIZED (
    -- The cases simulated, with the index of their standard (district ordinal × 2 + hukou).
    SELECT c.id, c.household_id, c.unit, c.single_person_id,
           c.status = ANY(%(pending)s) AS pending,
           vc.idx * 2 + (h.hukou_type <> 'urban')::int AS std_idx
    FROM assistance_dibaocase c
    JOIN households_household h ON h.id = c.household_id
    JOIN vc ON vc.village_id = h.village_id
    WHERE c.status = ANY(%(statuses)s)
),
units AS (
    -- The unit: the household's open memberships, or the single person (an open member).
    SELECT uc.id, uc.std_idx, uc.pending, mb.person_id
    FROM uc
    JOIN households_membership mb ON mb.household_id = uc.household_id AND mb.end_date IS NULL
    WHERE uc.unit = 'household'
    UNION ALL
    SELECT uc.id, uc.std_idx, uc.pending, mb.person_id
    FROM uc
    JOIN households_membership mb ON mb.household_id = uc.household_id AND mb.end_date IS NULL
         AND mb.person_id = uc.single_person_id
    WHERE uc.unit = 'single_person'
),
mem AS (
    -- Members, and the sum of their category supplements in fen (looked up by the mask).
    SELECT u.id, min(u.std_idx) AS std_idx, bool_and(u.pending) AS pending, count(*) AS n,
           sum((%(sup_c)s::bigint[])[u.std_idx * {MASKS} + m.mask - {2 * MASKS - 1}])::bigint AS sup_c,
           sum((%(sup_n)s::bigint[])[u.std_idx * {MASKS} + m.mask - {2 * MASKS - 1}])::bigint AS sup_n
    FROM units u
    JOIN households_person p ON p.id = u.person_id
    CROSS JOIN LATERAL (SELECT {AGE_SQL} AS age) a
    CROSS JOIN LATERAL (SELECT {MASK_SQL} AS mask) m
    GROUP BY u.id
),
inc AS (
    -- Counted income of the unit's members.
    SELECT u.id, sum((d.monthly_amount * 100)::bigint)::bigint AS amount
    FROM units u
    JOIN assistance_incomedeclaration d ON d.case_id = u.id AND d.person_id = u.person_id
    JOIN assistance_incometype t ON t.id = d.income_type_id AND t.counted
    GROUP BY u.id
),
ded AS (
    -- Deductible rigid and employment costs of the unit's members.
    SELECT u.id, sum((d.monthly_amount * 100)::bigint)::bigint AS amount
    FROM units u
    JOIN assistance_expendituredeclaration d ON d.case_id = u.id AND d.person_id = u.person_id
    JOIN assistance_expendituretype t ON t.id = d.expenditure_type_id
         AND t.deductible AND t.kind IN ('rigid', 'employment')
    GROUP BY u.id
),
fs AS (
    -- Members with the full standard: no counted income above zero, no labour capacity, no
    -- legal supporter.
    SELECT u.id, count(*) AS k
    FROM units u
    JOIN assistance_dibaocase_persons_without_supporter w
         ON w.dibaocase_id = u.id AND w.person_id = u.person_id
    JOIN households_person p ON p.id = w.person_id
    CROSS JOIN LATERAL (SELECT {AGE_SQL} AS age) a
    WHERE COALESCE(NULLIF(p.labour_capacity_assessed, ''),
                   CASE WHEN a.age < %(working_from)s OR a.age >= %(elderly_from)s
                             OR p.in_school OR p.disability_grade <= 2
                             OR (p.disability_grade = 3
                                 AND p.disability_category IN ('intellectual', 'mental'))
                        THEN 'none' ELSE 'full' END) = 'none'
      AND NOT EXISTS (
          SELECT 1 FROM assistance_incomedeclaration d
          JOIN assistance_incometype t ON t.id = d.income_type_id AND t.counted
          WHERE d.case_id = u.id AND d.person_id = w.person_id AND d.monthly_amount > 0)
    GROUP BY u.id
),
pc AS (
    -- From here on every amount is in fen (bigint): exact, and cheaper than numeric.
    -- Half up for x >= 0: (2x + d) / (2d); up to the yuan: (x + 99) / 100.
    SELECT mem.id, mem.pending, mem.n, COALESCE(fs.k, 0) AS k, mem.sup_c, mem.sup_n,
           (2 * GREATEST(0, COALESCE(inc.amount, 0) - COALESCE(ded.amount, 0)) + mem.n)
               / (2 * mem.n) AS per_capita,
           (%(county_of)s::int[])[mem.std_idx / 2] AS county_id,
           (%(std_c)s::bigint[])[mem.std_idx - 1] AS sc,
           (%(std_n)s::bigint[])[mem.std_idx - 1] AS sn
    FROM mem
    LEFT JOIN inc ON inc.id = mem.id
    LEFT JOIN ded ON ded.id = mem.id
    LEFT JOIN fs ON fs.id = mem.id
),
b AS (
    SELECT pc.*,
           pc.k * pc.sc + (pc.n - pc.k) * GREATEST(0, pc.sc - pc.per_capita) AS base_c,
           pc.k * pc.sn + (pc.n - pc.k) * GREATEST(0, pc.sn - pc.per_capita) AS base_n
    FROM pc
),
t AS (
    -- The price subsidy fen(standard × pct ÷ 100 × members), pct in ten-thousandths.
    SELECT b.id, b.county_id, b.pending, b.base_c > 0 AS elig_c, b.base_n > 0 AS elig_n,
           (CASE WHEN b.base_c > 0 THEN (b.base_c + b.sup_c
                + CASE WHEN %(subsidy_c)s
                       THEN (2 * b.sc * %(subsidy_pct4)s * b.n + 1000000) / 2000000
                       ELSE 0 END + 99) / 100 ELSE 0 END)::numeric AS total_c,
           (CASE WHEN b.base_n > 0 THEN (b.base_n + b.sup_n
                + CASE WHEN %(subsidy_n)s
                       THEN (2 * b.sn * %(subsidy_pct4)s * b.n + 1000000) / 2000000
                       ELSE 0 END + 99) / 100 ELSE 0 END)::numeric AS total_n
    FROM b
)
"""  # noqa: S608

DISTRICT_SQL = (
    SIMULATION_SQL
    + """
SELECT county_id, count(*), count(*) FILTER (WHERE NOT pending), count(*) FILTER (WHERE pending),
       count(*) FILTER (WHERE total_c <> total_n),
       count(*) FILTER (WHERE elig_n AND NOT elig_c),
       count(*) FILTER (WHERE elig_c AND NOT elig_n),
       COALESCE(sum(total_c), 0), COALESCE(sum(total_n), 0)
FROM t GROUP BY county_id ORDER BY county_id
"""
)

CASE_SQL = SIMULATION_SQL + "SELECT id, total_c, total_n FROM t ORDER BY id"  # noqa: S608


def _exact_int(x: Decimal) -> int:
    if x != x.to_integral_value():
        raise ValueError(f"{x} is not whole")  # amounts have 2 places, percents 4
    return int(x)


def _fen_int(yuan: Decimal) -> int:
    return _exact_int(yuan * 100)


def _params(pair: Pair) -> dict[str, Any]:
    """Indices: a district's ordinal i (1-based) and the hukou (0 urban, 1 rural) give the
    standard's index 2i + hukou (2-based: the arrays are 1-based, so std_idx − 1); a member's
    supplement is at std_idx × 32 + mask − 63."""
    ids = sorted(pair.counties)
    ordinal = {county_id: i for i, county_id in enumerate(ids, start=1)}
    std: dict[str, list[int]] = {"c": [], "n": []}  # in fen
    sup: dict[str, list[int]] = {"c": [], "n": []}  # in fen
    for key, side in (("c", pair.current), ("n", pair.proposed)):
        for county_id in ids:
            for standard in side.standards[county_id]:  # urban, rural
                std[key].append(_fen_int(standard))
                sup[key].extend(
                    _fen_int(_supplement(standard, m, side.percents)) for m in range(MASKS)
                )
    return {
        "county_of": ids,
        "villages": [v for v, _c in pair.villages],
        "village_counties": [ordinal[c] for _v, c in pair.villages],
        "std_c": std["c"],
        "std_n": std["n"],
        "sup_c": sup["c"],
        "sup_n": sup["n"],
        "statuses": [*ACTIVE_STATUSES, *PENDING_STATUSES],
        "pending": list(PENDING_STATUSES),
        "on": pair.month,
        "working_from": pair.bands.working_from,
        "elderly_from": pair.bands.elderly_from,
        "aged_from": pair.ages.aged_from,
        "aged_high_from": pair.ages.aged_high_from,
        "adult_from": pair.ages.adult_from,
        "subsidy_pct4": _exact_int(pair.price_subsidy_pct * 10_000),
        "subsidy_c": subsidy_applies(pair, pair.current),
        "subsidy_n": subsidy_applies(pair, pair.proposed),
    }


def simulate(pair: Pair) -> list[DistrictResult]:
    """One statement over the register: per district, the counts and the monthly costs."""
    out = {k: DistrictResult(county_id=k) for k in sorted(pair.counties)}
    if not pair.counties:
        return []
    with transaction.atomic(), connection.cursor() as cur:
        # The case aggregate of 300,000 households fits in memory (no spill to disk).
        cur.execute("SET LOCAL work_mem = '256MB'")
        cur.execute(DISTRICT_SQL, _params(pair))
        for row in cur.fetchall():
            out[row[0]] = DistrictResult(*row)
    return list(out.values())


def simulate_cases(pair: Pair) -> dict[int, tuple[Decimal, Decimal]]:
    """Per case (current total, proposed total): for checks and tests."""
    if not pair.counties:
        return {}
    with connection.cursor() as cur:
        cur.execute(CASE_SQL, _params(pair))
        return {r[0]: (r[1], r[2]) for r in cur.fetchall()}
