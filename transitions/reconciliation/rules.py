"""Ledger reconciliation (台账比对) as SQL: one set-based statement per category.

A run first writes our register into the temporary table `rc_ours` (one row per active member
of a household that is in the poverty register or on dibao: ID number, name, household, head's
ID number, members, register status, dibao case, village, county, hukou) and the latest
inbound batches' persons into `rc_theirs` (national register) and `rc_insured` (social
insurance), one row per ID number (a duplicate person's first row). Then each category is ONE
`INSERT … SELECT … ON CONFLICT (category, key)` that also writes the history rows, and marks
fixed (with their history rows) the open or explained differences of the category it no longer
finds. A category whose inbound list is missing is not evaluated (nothing is marked fixed on
data we do not have). Never one query per household.

Identifiers come from model metadata; every value is a parameter.
"""

from __future__ import annotations

from typing import Any

from assistance.models import BenefitAward, DibaoCase, DibaoStandard
from core.models import Region
from households.models import Household, Membership, Person, Relation
from poverty.models import PovertyRecord

from ..links import DIBAO_STATUSES
from ..models import (
    Department,
    Difference,
    DifferenceTransition,
    InboundRow,
    InsuranceEnrolment,
    PhaseOut,
)

OURS, THEIRS, INSURED = "rc_ours", "rc_theirs", "rc_insured"
C = Difference.Category
D = Department
IN_REGISTER = [
    PovertyRecord.Status.REGISTERED,
    PovertyRecord.Status.ASSISTED,
    PovertyRecord.Status.EXIT_PROPOSED,
    PovertyRecord.Status.RETURNED,
]
COUNTY_CODE = Region.CODE_LENGTH[Region.Level.COUNTY]


def _t(model: Any) -> str:
    return str(model._meta.db_table)


def ours_sql() -> str:
    """Our register, one row per person (the statement fills `rc_ours`)."""
    m, p, h = _t(Membership), _t(Person), _t(Household)
    r, c, reg = _t(PovertyRecord), _t(DibaoCase), _t(Region)
    return f"""
        CREATE TEMP TABLE {OURS} ON COMMIT DROP AS
        WITH hh AS (
            SELECT h.id AS household_id, h.village_id, h.hukou_type,
                CASE WHEN pr.status = ANY(%(in_register)s) THEN 'in'
                     WHEN pr.status = 'exit_confirmed' THEN 'exited' END AS reg_status,
                dc.id AS case_id
            FROM {h} h
            LEFT JOIN {r} pr ON pr.household_id = h.id
            LEFT JOIN (
                SELECT DISTINCT ON (c.household_id) c.household_id, c.id FROM {c} c
                WHERE c.status = ANY(%(dibao)s) ORDER BY c.household_id, c.id DESC
            ) dc ON dc.household_id = h.id
            WHERE pr.id IS NOT NULL OR dc.id IS NOT NULL
        )
        SELECT ms.person_id, p.id_number, p.name, hh.household_id, hh.village_id,
            county.id AS county_id, hh.hukou_type, hh.reg_status, hh.case_id,
            max(CASE WHEN ms.relation = %(head)s THEN p.id_number END)
                OVER (PARTITION BY hh.household_id) AS head_id_number,
            count(*) OVER (PARTITION BY hh.household_id) AS members
        FROM hh
        JOIN {m} ms ON ms.household_id = hh.household_id AND ms.end_date IS NULL
        JOIN {p} p ON p.id = ms.person_id
        JOIN {reg} v ON v.id = hh.village_id
        LEFT JOIN {reg} county ON county.code = substr(v.code, 1, {COUNTY_CODE})
            AND county.level = 'county';
        CREATE INDEX ON {OURS} (id_number);
        ANALYZE {OURS};
    """  # noqa: S608 - identifiers from model metadata


def theirs_sql(table: str, mapping: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """The batch's persons, one row per ID number, the status read through the stream's map."""
    sql = f"""
        CREATE TEMP TABLE {table} ON COMMIT DROP AS
        SELECT DISTINCT ON (r.id_number) r.id_number, r.row_no, r.name, r.household_no,
            r.head_id_number, r.members, COALESCE(m.code, r.status) AS status, r.village_code,
            r.per_capita_income
        FROM {_t(InboundRow)} r
        LEFT JOIN unnest(%(words)s::text[], %(codes)s::text[]) m(word, code)
            ON m.word = lower(r.status)
        WHERE r.batch_id = %(batch)s
        ORDER BY r.id_number, r.row_no;
        CREATE UNIQUE INDEX ON {table} (id_number);
        ANALYZE {table};
    """  # noqa: S608
    return sql, {"words": list(mapping), "codes": list(mapping.values())}


def _differs(t: str, o: str) -> str:
    """The fields that differ between their row t and our row o, as a text array."""
    return f"""array_remove(ARRAY[
        CASE WHEN {t}.name <> '' AND {t}.name <> {o}.name THEN 'name' END,
        CASE WHEN {t}.head_id_number <> '' AND {t}.head_id_number
            IS DISTINCT FROM {o}.head_id_number THEN 'id' END,
        CASE WHEN {t}.members IS NOT NULL AND {t}.members <> {o}.members THEN 'members' END,
        CASE WHEN {t}.status IS DISTINCT FROM {o}.status THEN 'status' END
    ]::text[], NULL)"""


# -- the six categories: each a SELECT of (key, owner, household_id, person_id, region_id,
#    detail) over the temp tables ----------------------------------------------------------


def _standards() -> str:
    return f"""
        SELECT DISTINCT ON (county_id) county_id, urban, rural
        FROM {_t(DibaoStandard)}
        WHERE valid_from <= %(on)s AND (valid_to IS NULL OR valid_to >= %(on)s)
        ORDER BY county_id, valid_from DESC
    """  # noqa: S608


def registered_not_dibao() -> str:
    # Their per-capita income (the national register's) below our dibao standard in force.
    return f"""
        SELECT 'h' || o.household_id AS key, %(civil)s AS owner, o.household_id,
            NULL::bigint AS person_id, min(o.village_id) AS region_id,
            jsonb_build_object('income', min(t.per_capita_income),
                'standard', min(CASE WHEN o.hukou_type = 'urban' THEN s.urban ELSE s.rural END))
                AS detail
        FROM {OURS} o
        JOIN {THEIRS} t ON t.id_number = o.id_number
        JOIN ({_standards()}) s ON s.county_id = o.county_id
        WHERE o.reg_status = 'in' AND o.case_id IS NULL AND t.per_capita_income IS NOT NULL
        GROUP BY o.household_id
        HAVING min(t.per_capita_income)
            < min(CASE WHEN o.hukou_type = 'urban' THEN s.urban ELSE s.rural END)
    """  # noqa: S608


def dibao_not_registered() -> str:
    # The latest award's per-capita income below the monthly poverty line in force.
    return f"""
        SELECT 'h' || o.household_id AS key, %(poverty)s AS owner, o.household_id,
            NULL::bigint AS person_id, o.village_id AS region_id,
            jsonb_build_object('income', a.income, 'line', %(line)s::numeric) AS detail
        FROM (SELECT DISTINCT household_id, village_id, case_id FROM {OURS}
              WHERE case_id IS NOT NULL AND reg_status IS NULL) o
        JOIN LATERAL (
            SELECT (a.computation ->> 'per_capita_income')::numeric AS income
            FROM {_t(BenefitAward)} a
            WHERE a.case_id = o.case_id AND a.effective_month <= %(on)s
            ORDER BY a.effective_month DESC, a.id DESC LIMIT 1
        ) a ON true
        WHERE %(line)s::numeric IS NOT NULL AND a.income < %(line)s::numeric
    """  # noqa: S608


def exited_full_dibao() -> str:
    # The phase-out's months are over, and the case is still paid its original amount.
    po, a, c = _t(PhaseOut), _t(BenefitAward), _t(DibaoCase)
    return f"""
        SELECT 'h' || po.household_id AS key, %(civil)s AS owner, po.household_id,
            NULL::bigint AS person_id, po.region_id,
            jsonb_build_object('kept_until', po.kept_until, 'total', cur.total,
                'original', orig.total) AS detail
        FROM (SELECT DISTINCT ON (case_id) * FROM {po} ORDER BY case_id, id DESC) po
        JOIN {c} c ON c.id = po.case_id AND c.status = ANY(%(dibao)s)
        JOIN {a} orig ON orig.id = po.award_id
        JOIN LATERAL (
            SELECT x.total FROM {a} x WHERE x.case_id = po.case_id
                AND x.effective_month <= %(month)s
            ORDER BY x.effective_month DESC, x.id DESC LIMIT 1
        ) cur ON true
        WHERE po.kept_until < %(month)s AND po.status <> 'ended'
            AND po.outcome <> 'unchanged' AND cur.total >= orig.total
    """  # noqa: S608


def unknown_person() -> str:
    reg = _t(Region)
    return f"""
        SELECT 't' || t.id_number AS key, %(poverty)s AS owner, NULL::bigint AS household_id,
            NULL::bigint AS person_id, v.id AS region_id,
            jsonb_build_object('side', 'theirs', 'row_no', t.row_no,
                'household_no', t.household_no) AS detail
        FROM {THEIRS} t
        LEFT JOIN {reg} v ON v.code = t.village_code AND t.village_code <> ''
        WHERE NOT EXISTS (SELECT 1 FROM {OURS} o WHERE o.id_number = t.id_number
                          AND o.reg_status IS NOT NULL)
        UNION ALL
        SELECT 'o' || o.person_id, %(poverty)s, o.household_id, o.person_id, o.village_id,
            jsonb_build_object('side', 'ours')
        FROM {OURS} o
        WHERE o.reg_status = 'in'
            AND NOT EXISTS (SELECT 1 FROM {THEIRS} t WHERE t.id_number = o.id_number)
    """  # noqa: S608


def field_mismatch() -> str:
    return f"""
        SELECT 'p' || o.person_id AS key, %(poverty)s AS owner, o.household_id, o.person_id,
            o.village_id AS region_id,
            jsonb_build_object('fields', to_jsonb(x.f), 'row_no', t.row_no) AS detail
        FROM {THEIRS} t
        JOIN (SELECT *, reg_status AS status FROM {OURS}) o
            ON o.id_number = t.id_number AND o.reg_status IS NOT NULL
        CROSS JOIN LATERAL (SELECT {_differs("t", "o")} AS f) x
        WHERE cardinality(x.f) > 0
    """  # noqa: S608


def no_insurance(with_batch: bool) -> str:
    e = _t(InsuranceEnrolment)
    batch = (
        f"AND NOT EXISTS (SELECT 1 FROM {INSURED} i WHERE i.id_number = o.id_number "  # noqa: S608
        "AND i.status IN ('enrolled', 'exempt'))"
        if with_batch
        else ""
    )
    return f"""
        SELECT 'p' || o.person_id AS key, %(social)s AS owner, o.household_id, o.person_id,
            o.village_id AS region_id, '{{}}'::jsonb AS detail
        FROM {OURS} o
        WHERE (o.case_id IS NOT NULL OR o.reg_status = 'in')
            AND NOT EXISTS (SELECT 1 FROM {e} en WHERE en.person_id = o.person_id
                            AND en.status IN ('enrolled', 'exempt'))
            {batch}
    """  # noqa: S608


HITS = "rc_hits"


def hits_sql(select: str) -> str:
    """The category's hits into an analysed temporary table first: a CTE has no statistics,
    and estimated at one row the "no longer found" anti-join became a nested loop (measured:
    27 s of a 29 s rerun at 20,000 persons). Indexed on the key: the anti-join is an index
    probe even when the differences table's statistics are stale (analysed once a run)."""
    return f"""
        DROP TABLE IF EXISTS {HITS};
        CREATE TEMP TABLE {HITS} ON COMMIT DROP AS {select};
        CREATE INDEX ON {HITS} (key);
        ANALYZE {HITS};
    """


def wrap() -> str:
    """hits → upsert (a fixed difference found again is open again) → history rows; the
    category's open and explained differences not found → fixed → history rows. Answers
    (found, new, reopened, fixed). Reads the hits from `rc_hits` (hits_sql)."""
    d, t = _t(Difference), _t(DifferenceTransition)
    return f"""
        WITH old AS (
            SELECT d.id, d.status FROM {d} d
            WHERE d.category = %(category)s AND d.key IN (SELECT key FROM {HITS})
        ),
        up AS (
            INSERT INTO {d} AS d (category, key, owner, status, household_id, person_id,
                region_id, detail, reason, first_run_id, last_run_id, found_at, updated_at,
                version)
            SELECT %(category)s, key, owner, 'open', household_id, person_id, region_id, detail,
                '', %(run)s, %(run)s, %(now)s, %(now)s, 1
            FROM {HITS} hits
            ON CONFLICT ON CONSTRAINT difference_identity DO UPDATE SET
                detail = EXCLUDED.detail, last_run_id = EXCLUDED.last_run_id,
                region_id = EXCLUDED.region_id, household_id = EXCLUDED.household_id,
                person_id = EXCLUDED.person_id,
                status = CASE WHEN d.status = 'fixed' THEN 'open' ELSE d.status END,
                version = d.version + (d.status = 'fixed')::int,
                updated_at = CASE WHEN d.status = 'fixed' OR d.detail <> EXCLUDED.detail
                    THEN EXCLUDED.updated_at ELSE d.updated_at END
            RETURNING d.id, (xmax = 0) AS inserted
        ),
        hist AS (
            INSERT INTO {t} (difference_id, action, from_status, to_status, by_id, at, reason)
            SELECT up.id, CASE WHEN up.inserted THEN 'find' ELSE 'reopen' END,
                COALESCE(old.status, ''), 'open', NULL, %(now)s, %(why)s
            FROM up LEFT JOIN old ON old.id = up.id
            WHERE up.inserted OR old.status = 'fixed'
            RETURNING action
        ),
        gone AS (
            SELECT d.id, d.status FROM {d} d
            WHERE d.category = %(category)s AND d.status IN ('open', 'explained')
                AND NOT EXISTS (SELECT 1 FROM {HITS} hits WHERE hits.key = d.key)
        ),
        fixed AS (
            -- the status again: an explanation given meanwhile is fixed all the same
            UPDATE {d} d SET status = 'fixed', updated_at = %(now)s, version = d.version + 1,
                last_run_id = %(run)s
            FROM gone WHERE d.id = gone.id AND d.status IN ('open', 'explained')
            RETURNING d.id, gone.status AS old_status
        ),
        hist_fixed AS (
            INSERT INTO {t} (difference_id, action, from_status, to_status, by_id, at, reason)
            SELECT id, 'fix', old_status, 'fixed', NULL, %(now)s, %(why_fixed)s FROM fixed
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM up),
            (SELECT count(*) FROM hist WHERE action = 'find'),
            (SELECT count(*) FROM hist WHERE action = 'reopen'),
            (SELECT count(*) FROM hist_fixed)
    """  # noqa: S608 - identifiers from model metadata


# category -> (statement builder, the inbound lists it needs)
CATEGORIES: dict[str, tuple[Any, tuple[str, ...]]] = {
    C.REGISTERED_NOT_DIBAO: (registered_not_dibao, ("national_register",)),
    C.DIBAO_NOT_REGISTERED: (dibao_not_registered, ()),
    C.EXITED_FULL_DIBAO: (exited_full_dibao, ()),
    C.UNKNOWN_PERSON: (unknown_person, ("national_register",)),
    C.FIELD_MISMATCH: (field_mismatch, ("national_register",)),
    C.NO_INSURANCE: (no_insurance, ()),
}
OWNERS = {
    C.REGISTERED_NOT_DIBAO: D.CIVIL_AFFAIRS,
    C.DIBAO_NOT_REGISTERED: D.POVERTY_OFFICE,
    C.EXITED_FULL_DIBAO: D.CIVIL_AFFAIRS,
    C.UNKNOWN_PERSON: D.POVERTY_OFFICE,
    C.FIELD_MISMATCH: D.POVERTY_OFFICE,
    C.NO_INSURANCE: D.SOCIAL_SECURITY,
}


def base_params() -> dict[str, Any]:
    return {
        "in_register": list(IN_REGISTER),
        "dibao": list(DIBAO_STATUSES),
        "head": Relation.HEAD,
        "civil": D.CIVIL_AFFAIRS,
        "poverty": D.POVERTY_OFFICE,
        "social": D.SOCIAL_SECURITY,
    }
