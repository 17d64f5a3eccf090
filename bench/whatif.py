"""Benchmark of the what-if of a standard change (transitions.supervision.whatif) against a naive
per-household loop.

    python -m config.stack exec python bench/whatif.py [--households 300000] [--keep]

DATABASE_URL only names the server and credentials: the benchmark (re)creates its own database
(`xianjie_bench_whatif` by default), migrates it, and drops it at the end unless --keep.

Data (made fast, bypassing the services): --households households from
`households.demo.seed_copy` (COPY) over the whole city; one dibao case per household written
with INSERT … SELECT — 90 % active, confirmed or under review, 10 % pending applications
(applied, investigating, in notice); counted wages for two households in three (some just
around the standard), a non-counted pension for one in five, a rigid expenditure for one in
eleven, the head without a legal supporter for one in fifty. CPI of the effective month above
the trigger (the price subsidy is computed).

The proposal: every district's urban and rural standard raised by 5 %, the aged-70 supplement
20 → 25 %, the minor supplement 20 → 15 %.

Timed, median of --repeat runs each (the naive loop --naive-repeat times):

- `what-if, set-based`: `engine.resolve` + `engine.simulate` — the policy read, one statement
  over the register, the per-district rows returned (what the Celery task runs, without the
  write of the seven result rows);
- `naive loop`: the same facts loaded with a few bulk queries (favouring the baseline: a
  truly naive loop would query per household), then `compute_benefit` under the current and
  the proposed policy per household, summed per district in Python.

Both must give the same per-district figures (checked). Prints a table and the ratio naive ÷
set-based; writes its section "What-if of a standard change" of bench/results.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed_demo import ROOT, drop_database, migrate, recreate_database, with_database

RESULTS_MD = ROOT / "bench" / "results.md"
SECTION = "What-if of a standard change"
MONTH = dt.date(2027, 3, 1)


def write_results(section_title: str, markdown: str, path: Path = RESULTS_MD) -> None:
    """Replace the section `## section_title` of bench/results.md (up to the next `## `) with
    `markdown`, or append it; other sections (other benches) are kept as they are."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    block = f"## {section_title}\n\n{markdown.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(section_title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block + "\n", text, count=1).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + block
    path.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--naive-repeat", type=int, default=1)
    parser.add_argument("--db-name", default="xianjie_bench_whatif")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--no-results", action="store_true", help="do not write results.md")
    args = parser.parse_args()

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
        return run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(url, args.db_name)


def seed(n: int) -> dict[str, float]:
    from django.db import connection, transaction

    from assistance.models import CpiReading, ExpenditureType, IncomeType
    from core.models import Region, User
    from core.roles import Role
    from households import demo

    started = time.perf_counter()
    print(f"Seeding {n:,} households (COPY)…", flush=True)
    demo.seed_copy(n, seed=1)
    households = time.perf_counter() - started
    user = User.objects.create(
        username="bench_cw", role=Role.CASEWORKER, region=Region.objects.get(code="440703002")
    )
    wages = IncomeType.objects.get(code="wages").pk
    pension = IncomeType.objects.get(code="resident_basic_pension").pk
    rehab = ExpenditureType.objects.get(code="disability_rehab").pk
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO assistance_dibaocase (household_id, unit, status, applicant_id,
                agent_name, applied_on, accepted_on, extension_reason, relative_of_staff,
                relative_note, computation, refusal_reasons, review_interval_months,
                created_by_id, created_at, updated_at)
            SELECT h.id, 'household',
                CASE h.id %% 20 WHEN 0 THEN 'applied' WHEN 1 THEN 'investigating'
                     WHEN 2 THEN 'confirmed' WHEN 3 THEN 'under_review' WHEN 4 THEN 'in_notice'
                     ELSE 'active' END,
                m.person_id, '', DATE '2026-10-03', DATE '2026-10-04', '', false, '', '{}', '',
                12, %(user)s, now(), now()
            FROM households_household h
            JOIN households_membership m
              ON m.household_id = h.id AND m.relation = 'head' AND m.end_date IS NULL
            """,
            {"user": user.pk},
        )
        # Declarations of the head: wages for two in three households (around the standard for
        # some), a non-counted pension for one in five, a rigid cost for one in eleven.
        cur.execute(
            """
            INSERT INTO assistance_incomedeclaration (case_id, person_id, income_type_id,
                monthly_amount, note)
            SELECT c.id, c.applicant_id, %(wages)s,
                   ((c.id * 37) %% 1900 + (c.id %% 100) / 100.0)::numeric(12,2), ''
            FROM assistance_dibaocase c WHERE c.id %% 3 <> 0
            UNION ALL
            SELECT c.id, c.applicant_id, %(pension)s, 180.00, ''
            FROM assistance_dibaocase c WHERE c.id %% 5 = 0
            """,
            {"wages": wages, "pension": pension},
        )
        cur.execute(
            """
            INSERT INTO assistance_expendituredeclaration (case_id, person_id,
                expenditure_type_id, monthly_amount, note)
            SELECT c.id, c.applicant_id, %(rehab)s, 150.50, ''
            FROM assistance_dibaocase c WHERE c.id %% 11 = 0
            """,
            {"rehab": rehab},
        )
        cur.execute(
            """
            INSERT INTO assistance_dibaocase_persons_without_supporter (dibaocase_id, person_id)
            SELECT c.id, c.applicant_id FROM assistance_dibaocase c WHERE c.id %% 50 = 0
            """,
            {},
        )
        for table in (
            "households_household",
            "households_membership",
            "households_person",
            "assistance_dibaocase",
            "assistance_incomedeclaration",
            "assistance_expendituredeclaration",
            "assistance_dibaocase_persons_without_supporter",
        ):
            cur.execute(f"ANALYZE {table}")
    CpiReading.objects.create(month=MONTH, yoy_percent="4.20")
    return {"households": households, "cases": time.perf_counter() - t0}


def run(args: argparse.Namespace) -> int:
    from decimal import Decimal

    from django.db import connection

    from assistance.models import DibaoCase
    from core.models import Region
    from transitions.supervision.whatif import engine
    from transitions.supervision.whatif.naive import simulate_naive

    seeded = seed(args.households)
    cases = DibaoCase.objects.count()
    print(
        f"  households {seeded['households']:.1f} s; {cases:,} cases and declarations "
        f"{seeded['cases']:.1f} s",
        flush=True,
    )
    counties = list(Region.objects.filter(level=Region.Level.COUNTY).order_by("code"))
    current = engine.resolve(engine.Proposal(month=MONTH), counties=counties).current
    proposal = engine.Proposal(
        month=MONTH,
        standards={
            k: ((u * Decimal("1.05")).quantize(Decimal("1")), (r * Decimal("1.05")).quantize(1))
            for k, (u, r) in current.standards.items()
        },
        supplements={"aged_70": Decimal(25), "minor": Decimal(15)},
    )

    def set_based() -> tuple[float, list[engine.DistrictResult]]:
        t = time.perf_counter()
        pair = engine.resolve(proposal, counties=counties)
        results = engine.simulate(pair)
        return time.perf_counter() - t, results

    def naive() -> tuple[float, list[engine.DistrictResult]]:
        t = time.perf_counter()
        pair = engine.resolve(proposal, counties=counties)
        results = simulate_naive(pair)
        return time.perf_counter() - t, results

    print(f"Timing, {args.repeat} runs (naive: {args.naive_repeat}), interleaved…", flush=True)
    runs: dict[str, list[float]] = {"set": [], "naive": []}
    got: dict[str, list[engine.DistrictResult]] = {}
    for i in range(max(args.repeat, args.naive_repeat)):
        if i < args.repeat:
            s, got["set"] = set_based()
            runs["set"].append(s)
            print(f"  what-if, set-based  {s:7.2f} s", flush=True)
        if i < args.naive_repeat:
            s, got["naive"] = naive()
            runs["naive"].append(s)
            print(f"  naive loop          {s:7.2f} s", flush=True)
    same = got["set"] == got["naive"]
    households = sum(r.households for r in got["set"])
    diff = sum((r.monthly_difference for r in got["set"]), Decimal(0))
    print(f"  same figures both ways: {same} ({households:,} households, {diff:+,.2f} yuan/month)")

    med = {k: statistics.median(v) for k, v in runs.items()}
    ratio = med["naive"] / med["set"]
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        server_version = cur.fetchone()[0]
    names = {c.pk: c.name for c in counties}
    print()
    print(
        f"{'district':<8} {'households':>10} {'changed':>8} {'+elig':>6} {'-elig':>6} "
        f"{'monthly now':>14} {'proposed':>14} {'difference':>12}"
    )
    for r in got["set"]:
        print(
            f"{names[r.county_id]:<8} {r.households:>10,} {r.changed:>8,} "
            f"{r.became_eligible:>6,} {r.became_ineligible:>6,} {r.current_monthly:>14,} "
            f"{r.proposed_monthly:>14,} {r.monthly_difference:>12,}"
        )
    print()
    target = med["set"] < 10
    table = "\n".join(
        [
            "| method | households | median s | runs |",
            "|---|---:|---:|---|",
            f"| what-if, set-based (resolve + one statement) | {households:,} | "
            f"{med['set']:.2f} | {', '.join(f'{s:.2f}' for s in runs['set'])} |",
            f"| naive loop, compute_benefit × 2 per household (bulk-loaded facts) | "
            f"{households:,} | {med['naive']:.2f} | "
            f"{', '.join(f'{s:.2f}' for s in runs['naive'])} |",
        ]
    )
    figure = (
        f"what-if over {households:,} households: {med['set']:.2f} s set-based, "
        f"{ratio:.1f}× faster than the naive loop ({med['naive']:.2f} s); "
        f"{'under' if target else 'NOT under'} the 10 s target; same figures: {same}"
    )
    if not args.no_results:
        write_results(
            SECTION,
            f"Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, PostgreSQL "
            f"{server_version}, {dt.date.today().isoformat()}; `bench/whatif.py --households "
            f"{args.households}` ({cases:,} cases: 90 % active, 10 % pending).\n\n"
            f"{table}\n\n"
            f"Monthly cost difference of the proposal (+5 % on every standard, aged-70 25 %, "
            f"minor 15 %): {diff:+,.2f} yuan. Same per-district figures both ways: {same}.\n\n"
            f"**{figure}.**",
        )
    print(figure)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
