"""Benchmark of the monthly payroll build (assistance.payroll.services.payroll_build) against a naive loop.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xianjie .venv/bin/python bench/payroll.py

DATABASE_URL only names the server and credentials: the benchmark (re)creates its own database
(`xianjie_bench_payroll` by default), migrates it, and drops it at the end unless --keep.

Data (made fast, bypassing the services): households from `households.demo.seed_copy` (COPY),
moved into one district (蓬江区); one dibao case per household written with INSERT … SELECT:
100,000 paid cases in 蓬江区 (98 % active, 1 % confirmed, 1 % under review) with 1–3 awards each
(from 2026-01, a change from 2026-07 for a third of them, and a future one from 2027-01 for a
seventh that must be ignored), plus noise the build must leave out: 5,000 cases suspended since
2026-10 in 蓬江区 and 10,000 active cases in 台山市. The payroll month is 2026-12, whose CPI is
set above the trigger so the price subsidy is computed for every line.

Timed, interleaved, median of --repeat runs each:

- `payroll_build`, fresh: the real service on an empty payroll (lines and payroll truncated
  before each run) — select, compute, COPY, INSERT, in one committed transaction;
- `payroll_build`, rebuild: the same on the existing draft (nothing changed: the idempotent path);
- `naive loop`: the cases listed with one query, then one query per case (`current_award`) and
  the same line computed with the same policy functions, **not written** (so the baseline is
  favoured: writing would add an INSERT per case).

Both ways must give the same lines (checked). Prints a table and the ratio naive ÷ fresh build;
the figures, with versions and CPU count, go to bench/results/payroll-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed_demo import ROOT, drop_database, migrate, recreate_database, with_database

RESULTS = ROOT / "bench" / "results"
MONTH = dt.date(2026, 12, 1)
DISTRICT, OTHER = "440703", "440781"  # 蓬江区, 台山市


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="paid cases in the district")
    parser.add_argument("--suspended", type=int, default=5_000)
    parser.add_argument("--other", type=int, default=10_000, help="cases in another district")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--naive-repeat", type=int, default=None, help="default: --repeat")
    parser.add_argument("--db-name", default="xianjie_bench_payroll")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()
    naive_repeat = args.naive_repeat or args.repeat

    url = os.environ.get("DATABASE_URL")
    if not url:
        print("Set DATABASE_URL=postgres://user@host:5432/any (the server to benchmark on).")
        return 2
    bench_url = with_database(url, args.db_name)
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ.setdefault("SECRET_KEY", "bench")
    print(f"Creating and migrating database {args.db_name}…", flush=True)
    recreate_database(url, args.db_name)
    migrate(bench_url)
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    try:
        return run(args, naive_repeat)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(url, args.db_name)


def run(args: argparse.Namespace, naive_repeat: int) -> int:
    from django.db import connection, transaction
    from django.db.models import Q

    from assistance.dibao.services import current_award
    from assistance.models import CpiReading, DibaoCase, Payroll, PayrollLine
    from assistance.payroll import services as P
    from assistance.policy.rules import monthly_total
    from core.models import Region, User
    from core.roles import Role
    from households import demo
    from households.models import Membership

    n_households = args.cases + args.suspended + args.other
    started = time.perf_counter()
    print(f"Seeding {n_households:,} households (COPY)…", flush=True)
    demo.seed_copy(n_households, seed=1)
    seeded_households = time.perf_counter() - started
    district = Region.objects.get(code=DISTRICT)
    other = Region.objects.get(code=OTHER)
    user = User.objects.create(
        username="bench_ca", role=Role.CIVIL_AFFAIRS_REVIEWER, region=district
    )

    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        # Households 1..cases+suspended → 蓬江区's villages, the rest → 台山市's (round robin).
        cur.execute(
            """
            WITH hh AS (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM households_household),
            vd AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM core_region
                   WHERE level = 'village' AND path LIKE %(d)s),
            vo AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM core_region
                   WHERE level = 'village' AND path LIKE %(o)s)
            UPDATE households_household h SET village_id = CASE
                WHEN hh.rn <= %(inside)s
                THEN (SELECT id FROM vd WHERE k = hh.rn %% (SELECT count(*) FROM vd))
                ELSE (SELECT id FROM vo WHERE k = hh.rn %% (SELECT count(*) FROM vo)) END
            FROM hh WHERE hh.id = h.id
            """,
            {
                "d": district.path + "%",
                "o": other.path + "%",
                "inside": args.cases + args.suspended,
            },
        )
        # One case per household; the head is the applicant (the payee).
        cur.execute(
            """
            INSERT INTO assistance_dibaocase (household_id, unit, status, applicant_id,
                agent_name, applied_on, accepted_on, extension_reason, relative_of_staff,
                relative_note, computation, refusal_reasons, confirmed_on, confirmed_by_id,
                payment_start_month, payment_stop_month, review_interval_months,
                created_by_id, created_at, updated_at)
            SELECT h.id, 'household',
                CASE WHEN hh.rn > %(cases)s AND hh.rn <= %(inside)s THEN 'suspended'
                     WHEN hh.rn %% 100 = 0 THEN 'confirmed'
                     WHEN hh.rn %% 100 = 1 THEN 'under_review'
                     ELSE 'active' END,
                m.person_id, '', DATE '2025-11-03', DATE '2025-11-04', '', false, '', '{}', '',
                DATE '2025-12-10', %(user)s, DATE '2026-01-01',
                CASE WHEN hh.rn > %(cases)s AND hh.rn <= %(inside)s THEN DATE '2026-10-01' END,
                12, %(user)s, now(), now()
            FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM households_household) hh
            JOIN households_household h ON h.id = hh.id
            JOIN households_membership m
              ON m.household_id = h.id AND m.relation = 'head' AND m.end_date IS NULL
            """,
            {"cases": args.cases, "inside": args.cases + args.suspended, "user": user.pk},
        )
        # The ledger: a confirmation award from 2026-01, a review from 2026-07 for a third, and
        # a future award from 2027-01 for a seventh (ignored by the 2026-12 payroll).
        cur.execute(
            """
            WITH c AS (
                SELECT c.id, LEAST(6, (SELECT count(*) FROM households_membership m
                        WHERE m.household_id = c.household_id AND m.end_date IS NULL)) AS n
                FROM assistance_dibaocase c),
            a AS (
                SELECT id, n, DATE '2026-01-01' AS month, 'confirmation' AS reason,
                       ((id * 37) %% 700 + 100 + 0.40 * n)::numeric(12,2) AS base,
                       ((id %% 4) * 91.40)::numeric(12,2) AS supp FROM c
                UNION ALL
                SELECT id, n, DATE '2026-07-01', 'review',
                       ((id * 37) %% 700 + 150 + 0.40 * n)::numeric(12,2),
                       ((id %% 4) * 91.40)::numeric(12,2) FROM c WHERE id %% 3 = 0
                UNION ALL
                SELECT id, n, DATE '2027-01-01', 'review', 1.00, 0.00 FROM c WHERE id %% 7 = 0)
            INSERT INTO assistance_benefitaward (case_id, effective_month, base_amount,
                supplement_amount, total, members, computation, reason, note, decided_by_id,
                decided_on, created_at)
            SELECT id, month, base, supp, ceil(base + supp), n, '{}', reason, '', %(user)s,
                   month - 20, now()
            FROM a
            """,
            {"user": user.pk},
        )
        for table in ("households_household", "assistance_dibaocase", "assistance_benefitaward"):
            cur.execute(f"ANALYZE {table}")
    CpiReading.objects.create(month=MONTH, yoy_percent="4.20")
    seeded_cases = time.perf_counter() - t0
    counts = {
        "households": n_households,
        "cases": DibaoCase.objects.count(),
        "awards": connection.cursor()
        .execute("SELECT count(*) FROM assistance_benefitaward")
        .fetchone()[0],  # type: ignore[union-attr]
    }
    print(
        f"  households {seeded_households:.1f} s; {counts['cases']:,} cases and "
        f"{counts['awards']:,} awards {seeded_cases:.1f} s",
        flush=True,
    )

    def reset() -> None:
        with connection.cursor() as cur:
            cur.execute("TRUNCATE assistance_payrollline, assistance_payroll RESTART IDENTITY")

    def set_based(fresh: bool) -> float:
        if fresh:
            reset()
        t = time.perf_counter()
        result = P.payroll_build(county=district, month=MONTH, by=user)
        seconds = time.perf_counter() - t
        assert result.payroll.line_count == args.cases, result.as_json()
        if not fresh:
            assert (result.added, result.updated, result.removed) == (0, 0, 0), result.as_json()
        return seconds

    def naive() -> tuple[float, dict[int, tuple]]:
        t = time.perf_counter()
        subsidy = P._price_subsidy_rule(district, MONTH)
        paid = Q(status__in=P.PAID_STATUSES) & (
            Q(payment_stop_month__isnull=True) | Q(payment_stop_month__gt=MONTH)
        )
        stopped = Q(status__in=P.STOPPED_STATUSES, payment_stop_month__gt=MONTH)
        cases = (
            DibaoCase.objects.filter(
                household__village__path__startswith=district.path,
                payment_start_month__lte=MONTH,
            )
            .filter(paid | stopped)
            .select_related("household", "applicant", "single_person")
            .order_by("id")
        )
        lines: dict[int, tuple] = {}
        with transaction.atomic():
            for case in cases.iterator(chunk_size=2000):
                award = current_award(case, month=MONTH)  # the one query per case
                if award is None or award.total <= 0:
                    continue
                payee = case.single_person or case.applicant
                if payee is None:
                    head = Membership.objects.filter(
                        household=case.household, relation="head", end_date__isnull=True
                    ).first()
                    payee = head.person if head else None
                ps = subsidy(case.household.hukou_type, award.members)
                total = monthly_total(award.base_amount, award.supplement_amount, ps)
                lines[case.pk] = (award.pk, payee.name if payee else "", ps, total)
        return time.perf_counter() - t, lines

    print(f"Timing, {args.repeat} runs each (naive: {naive_repeat}), interleaved…", flush=True)
    runs: dict[str, list[float]] = {"fresh": [], "rebuild": [], "naive": []}
    naive_lines: dict[int, tuple] = {}
    for i in range(max(args.repeat, naive_repeat)):
        if i < args.repeat:
            runs["fresh"].append(set_based(fresh=True))
            print(f"  payroll_build (fresh)   {runs['fresh'][-1]:7.2f} s", flush=True)
            runs["rebuild"].append(set_based(fresh=False))
            print(f"  payroll_build (rebuild) {runs['rebuild'][-1]:7.2f} s", flush=True)
        if i < naive_repeat:
            seconds, naive_lines = naive()
            runs["naive"].append(seconds)
            print(f"  naive loop              {seconds:7.2f} s", flush=True)

    payroll = Payroll.objects.get(county=district, month=MONTH)
    built = {
        case_id: (award_id, payee, ps, total)
        for case_id, award_id, payee, ps, total in PayrollLine.objects.filter(
            payroll=payroll
        ).values_list("case_id", "award_id", "payee_name", "price_subsidy", "total")
    }
    same = built == naive_lines
    print(f"  same lines both ways: {same} ({len(built):,} lines, total {payroll.total:,})")

    med = {k: statistics.median(v) for k, v in runs.items()}
    ratio = med["naive"] / med["fresh"]
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        server_version = cur.fetchone()[0]
    print()
    print(f"{'method':<40} {'cases':>9} {'median s':>9} {'cases/s':>10}  runs")
    labels = {
        "fresh": "payroll_build, fresh (written)",
        "rebuild": "payroll_build, rebuild of the draft",
        "naive": "naive loop, 1 query/case (not written)",
    }
    for key, label in labels.items():
        print(
            f"{label:<40} {args.cases:>9,} {med[key]:>9.2f} {args.cases / med[key]:>10,.0f}  "
            + ", ".join(f"{s:.2f}" for s in runs[key])
        )
    target = med["fresh"] < 10
    print(
        f"payroll_build is {ratio:.1f}× faster than the naive loop; "
        f"{'under' if target else 'NOT under'} the 10 s target for {args.cases:,} cases."
    )

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"payroll-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "payroll",
                "when": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "postgresql": server_version,
                    "platform": platform.platform(),
                },
                "month": MONTH.isoformat(),
                "data": {
                    **counts,
                    "paid_cases_in_district": args.cases,
                    "suspended_in_district": args.suspended,
                    "cases_in_other_district": args.other,
                    "seed_households_seconds": round(seeded_households, 2),
                    "seed_cases_and_awards_seconds": round(seeded_cases, 2),
                },
                "runs_seconds": {k: [round(s, 3) for s in v] for k, v in runs.items()},
                "median_seconds": {k: round(v, 3) for k, v in med.items()},
                "ratio_naive_over_build": round(ratio, 1),
                "naive_writes_lines": False,
                "same_lines": same,
                "under_10_s": target,
                "lines": len(built),
                "payroll_total": str(payroll.total),
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    print(f"Figures written to {out.relative_to(ROOT)}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
