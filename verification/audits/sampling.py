"""The sampling frame and the stratified draw, set-based (one SQL statement each).

Frames (as they stand when the sample is drawn):

- recipient / dibao: households whose dibao case is confirmed, active or under review;
- recipient / tekun: households with an approved or paid tekun case and no such dibao case;
- excluded / refused, excluded / exited: households whose dibao case was refused, or ended
  (terminated), in the plan's period and who receive neither now — to estimate wrongful
  exclusion and wrongful exit (domain.md §4: "samples also draw households outside the lists").

Strata are frame × town × category (the town is the township-level region above the
household's village: the first 9 digits of its code). Allocation: proportional — n_h =
min(N_h, max(fewest, ⌈N_h × rate⌉)) — or fixed — n_h = min(N_h, n). Within each stratum the
households are ordered by md5(seed ':' household id) (ties, which md5 makes practically
impossible, by id) and the first n_h drawn: the same seed on the same frame draws the same
sample, another seed another one, with no state outside the database and no Python loop over
households. Each sample keeps its stratum, its rank and its design weight N_h / n_h.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection

from ..models import AuditPlan, AuditStratum

RECIPIENT_STATUSES = ("confirmed", "active", "under_review")
TEKUN_STATUSES = ("approved", "paid")
TOWN_CODE_LENGTH = 9


def _frame_sql(plan: AuditPlan, *, until: dt.date) -> tuple[str, dict[str, Any]]:
    """SELECT household_id, town_id, frame, category, dibao_case_id, programme_case_id."""
    sql = f"""
        WITH dibao AS (
            SELECT c.household_id, c.id AS dibao_case_id, NULL::bigint AS programme_case_id,
                   'recipient' AS frame, 'dibao' AS category
            FROM assistance_dibaocase c
            WHERE c.status = ANY(%(recipient)s)
        ), tekun AS (
            SELECT DISTINCT ON (p.household_id)
                   p.household_id, NULL::bigint, p.id, 'recipient', 'tekun'
            FROM assistance_programmecase p
            WHERE p.programme = 'tekun' AND p.status = ANY(%(tekun)s)
              AND NOT EXISTS (SELECT 1 FROM dibao d WHERE d.household_id = p.household_id)
            ORDER BY p.household_id, p.id DESC
        ), excluded AS (
            SELECT DISTINCT ON (c.household_id)
                   c.household_id, c.id, NULL::bigint, 'excluded',
                   CASE t.to_status WHEN 'refused' THEN 'refused' ELSE 'exited' END
            FROM assistance_casetransition t
            JOIN assistance_dibaocase c ON c.id = t.case_id AND c.status = t.to_status
            WHERE t.to_status IN ('refused', 'terminated')
              AND (t.at AT TIME ZONE %(tz)s)::date BETWEEN %(start)s AND %(until)s
              AND NOT EXISTS (SELECT 1 FROM dibao d WHERE d.household_id = c.household_id)
              AND NOT EXISTS (SELECT 1 FROM tekun k WHERE k.household_id = c.household_id)
            ORDER BY c.household_id, t.at DESC, t.id DESC
        ), unioned AS (
            SELECT * FROM dibao UNION ALL SELECT * FROM tekun UNION ALL SELECT * FROM excluded
        )
        SELECT u.household_id, town.id AS town_id, u.frame, u.category,
               u.dibao_case_id, u.programme_case_id
        FROM unioned u
        JOIN households_household h ON h.id = u.household_id
        JOIN core_region v ON v.id = h.village_id
        JOIN core_region town ON town.code = substr(v.code, 1, {TOWN_CODE_LENGTH})
        WHERE v.path LIKE %(path)s
    """  # noqa: S608 - only a constant is formatted in; values are parameters
    return sql, {
        "recipient": list(RECIPIENT_STATUSES),
        "tekun": list(TEKUN_STATUSES),
        "tz": settings.TIME_ZONE,
        "start": plan.period_from,
        "until": until,
        "path": plan.region.path + "%",
    }


def _size_sql() -> str:
    """n_h from N (= count(*)) and the allocation parameters, in SQL."""
    return """
        LEAST(count(*), CASE WHEN %(fixed)s THEN %(per_stratum)s
              ELSE GREATEST(%(fewest)s, CEIL(count(*) * %(rate)s / 100.0))::int END)
    """


def _size_params(plan: AuditPlan, rate: Decimal) -> dict[str, Any]:
    fixed = plan.allocation == AuditPlan.Allocation.FIXED
    return {
        "fixed": fixed,
        "per_stratum": plan.per_stratum or 0,
        "fewest": plan.min_per_stratum,
        "rate": rate,
    }


@dataclass(frozen=True)
class StratumPreview:
    frame: str
    town_id: int
    category: str
    population: int
    sample_size: int


def preview(plan: AuditPlan, *, rate: Decimal, until: dt.date) -> list[StratumPreview]:
    """The strata the draw would make now, with N_h and n_h (the confirmation page): one query."""
    frame, params = _frame_sql(plan, until=until)
    sql = f"""
        WITH frame AS ({frame})
        SELECT frame, town_id, category, count(*), {_size_sql()}
        FROM frame GROUP BY frame, town_id, category ORDER BY frame DESC, town_id, category
    """  # noqa: S608
    with connection.cursor() as cur:
        cur.execute(sql, {**params, **_size_params(plan, rate)})
        return [StratumPreview(*row) for row in cur.fetchall()]


def draw(plan: AuditPlan, *, rate: Decimal, until: dt.date) -> int:
    """Insert the plan's strata and samples in one statement (one snapshot of the frame: the
    strata and the samples cannot disagree). Returns the number of households drawn."""
    frame, params = _frame_sql(plan, until=until)
    strata = AuditStratum._meta.db_table
    sql = f"""
        WITH frame AS ({frame}),
        strata AS (
            INSERT INTO {strata} (plan_id, frame, town_id, category, population, sample_size)
            SELECT %(plan)s, frame, town_id, category, count(*), {_size_sql()}
            FROM frame GROUP BY frame, town_id, category
            RETURNING id, frame, town_id, category, population, sample_size
        ),
        ranked AS (
            SELECT f.*, row_number() OVER (
                PARTITION BY f.frame, f.town_id, f.category
                ORDER BY md5(%(seed)s || ':' || f.household_id::text), f.household_id
            ) AS rank
            FROM frame f
        )
        INSERT INTO verification_auditsample (
            plan_id, stratum_id, household_id, dibao_case_id, programme_case_id, rank, weight,
            result, discrepancy_kind, details, version
        )
        SELECT %(plan)s, s.id, r.household_id, r.dibao_case_id, r.programme_case_id, r.rank,
               round(s.population::numeric / s.sample_size, 4), 'pending', '', '', 0
        FROM ranked r
        JOIN strata s ON s.frame = r.frame AND s.town_id = r.town_id AND s.category = r.category
        WHERE r.rank <= s.sample_size
    """  # noqa: S608 - identifiers from model metadata, values are parameters
    with connection.cursor() as cur:
        cur.execute(
            sql, {**params, **_size_params(plan, rate), "plan": plan.pk, "seed": str(plan.seed)}
        )
        return cur.rowcount
