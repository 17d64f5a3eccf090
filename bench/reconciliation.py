"""Benchmark of the ledger reconciliation (transitions.reconciliation): three registers of
--persons persons each — ours (households, poverty register, dibao) and two inbound batches
(the national register's export and the social insurance agency's enrolments) — beside a
naive per-household loop on a sample, extrapolated.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xianjie .venv/bin/python \\
        bench/reconciliation.py [--persons 1000000] [--repeat 3] [--sample 2000] [--keep]

DATABASE_URL only names the server and credentials: the benchmark (re)creates its own database
(`xianjie_bench_recon`, --db-name), migrates it and drops it at the end unless --keep.

Data (made fast, bypassing the services):

- households and members from `households.demo.seed_copy` (COPY) until there are --persons
  persons (≈ 2.75 a household);
- 90 % of households in the poverty register, 80 % on dibao (overlapping: every household is
  in ours), with an award whose per-capita income is spread around the dibao standard and the
  poverty line; 1 % of the dibao cases with a phase-out whose months are over;
- the national register's batch: a row per person of a registered household, 1 % with another
  name, 0.5 % left out, plus 0.5 % strangers we do not know, incomes spread around the
  standard (≈ 0.9 × --persons rows);
- the insurance batch: every person enrolled but 2 %, plus 2 % strangers (≈ --persons rows).
  Both written with INSERT … SELECT into InboundRow (the import itself is bench/
  verification_import.py's).

Timed (median of --repeat):

1. `first run`: `reconciliation_run` with no difference yet (every category's statement, the
   differences and their history rows written);
2. `rerun, nothing changed`: the same again (must add and fix nothing: checked);
3. `naive loop`: per household of a sample (every n-th, --sample households), its members,
   record, case, award, phase-out, each person's rows in both batches and enrolment, one
   query each, the same categories decided in Python (not written); extrapolated linearly.

Target < 30 s for the first run at 1,000,000 persons. Figures to bench/results.md (section
"## Reconciliation", replaced); the last line printed is the figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed_demo import ROOT, drop_database, migrate, recreate_database, with_database
from verification_import import write_results

TARGET_S = 30.0
ON = dt.date(2027, 1, 5)
MONTH = dt.date(2027, 1, 1)
SECTION = "Reconciliation"


def _load(persons: int) -> dict[str, Any]:
    from django.db import connection, transaction

    from core.models import Region, User
    from core.roles import Role
    from households import demo
    from transitions.models import InboundBatch

    households = -(-persons * 100 // 275)
    t0 = time.perf_counter()
    print(f"Seeding {households:,} households (COPY)…", flush=True)
    demo.seed_copy(households, seed=1)
    user = User.objects.create(
        username="bench_admin", role=Role.DATA_ADMIN, region=Region.objects.get(code="440700")
    )
    batches = {}
    for stream, sender, kind in (
        ("national_register", "national_register", "registered_persons"),
        ("insurance_enrolments", "social_security", "insurance_enrolments"),
    ):
        batches[stream] = InboundBatch.objects.create(
            stream=stream,
            sender=sender,
            kind=kind,
            period=dt.date(2026, 12, 1),
            sequence=1,
            sha256=stream,
            file_format="csv",
            original_name=f"{stream}.csv",
            status=InboundBatch.Status.IMPORTED,
            received_by=user,
        ).pk
    p = {
        "user": user.pk,
        "nat": batches["national_register"],
        "ins": batches["insurance_enrolments"],
        "persons": persons,
    }
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO poverty_povertyrecord (household_id, status, registered_on, causes,
                cause_note, exit_evidence, exit_document_no, exit_confirming_level,
                created_at, updated_at)
            SELECT id, 'registered', DATE '2020-01-01', '{}', '', '', '', '', now(), now()
            FROM households_household WHERE id %% 10 < 9
            """,
            p,
        )
        cur.execute(
            """
            INSERT INTO assistance_dibaocase (household_id, village_id, unit, status,
                applicant_id, agent_name, applied_on, accepted_on, extension_reason,
                relative_of_staff, relative_note, computation, refusal_reasons,
                payment_start_month, created_by_id, created_at, updated_at)
            SELECT h.id, h.village_id, 'household', 'active', m.person_id, '',
                DATE '2026-01-08', DATE '2026-01-09', '', false, '', '{}', '',
                DATE '2026-02-01', %(user)s, now(), now()
            FROM households_household h
            JOIN households_membership m
              ON m.household_id = h.id AND m.relation = 'head' AND m.end_date IS NULL
            WHERE h.id %% 10 >= 2
            """,
            p,
        )
        cur.execute(
            """
            INSERT INTO assistance_benefitaward (case_id, effective_month, base_amount,
                supplement_amount, total, members, computation, reason, note, decided_on,
                decided_by_id, created_at)
            SELECT c.id, DATE '2026-02-01', 500, 0, 500, 2,
                jsonb_build_object('per_capita_income', ((c.id * 37) %% 900)::text),
                'confirmation', '', DATE '2026-01-20', %(user)s, now()
            FROM assistance_dibaocase c
            """,
            p,
        )
        cur.execute(
            """
            INSERT INTO transitions_phaseout (case_id, household_id, county_id, region_id,
                decision, decided_on, start_month, kept_until, due_on, award_id, status,
                outcome, created_by_id, created_at, updated_at)
            SELECT c.id, c.household_id, county.id, c.village_id, 'lower', DATE '2026-01-20',
                DATE '2026-02-01', DATE '2026-07-01', DATE '2026-08-01', a.id, 'overdue', '',
                %(user)s, now(), now()
            FROM assistance_dibaocase c
            JOIN assistance_benefitaward a ON a.case_id = c.id
            JOIN core_region v ON v.id = c.village_id
            JOIN core_region county ON county.code = substr(v.code, 1, 6)
                AND county.level = 'county'
            WHERE c.id %% 100 = 0
            """,
            p,
        )
        # The national register: the persons of registered households (some renamed, some
        # left out) and strangers.
        cur.execute(
            """
            INSERT INTO transitions_inboundrow (batch_id, row_no, id_number, name, household_no,
                head_id_number, members, status, village_code, per_capita_income)
            SELECT %(nat)s, row_number() OVER (ORDER BY p.id) + 1, p.id_number,
                CASE WHEN p.id %% 100 = 7 THEN p.name || '甲' ELSE p.name END,
                'N' || m.household_id, '', NULL, '在册', v.code,
                ((m.household_id * 53) %% 1200)
            FROM households_membership m
            JOIN households_person p ON p.id = m.person_id
            JOIN households_household h ON h.id = m.household_id
            JOIN core_region v ON v.id = h.village_id
            WHERE m.end_date IS NULL AND h.id %% 10 < 9 AND p.id %% 200 <> 3
            """,
            p,
        )
        cur.execute(
            """
            INSERT INTO transitions_inboundrow (batch_id, row_no, id_number, name, household_no,
                head_id_number, members, status, village_code, per_capita_income)
            SELECT %(nat)s, 10000000 + g, '999999' || lpad(g::text, 11, '0') || 'X', '外人',
                'X' || g, '', NULL, '在册', '', 100
            FROM generate_series(1, %(persons)s / 200) g
            """,
            p,
        )
        # The insurance list: every person of a dibao or registered household but 2 %.
        cur.execute(
            """
            INSERT INTO transitions_inboundrow (batch_id, row_no, id_number, name, household_no,
                head_id_number, members, status, village_code)
            SELECT %(ins)s, row_number() OVER (ORDER BY p.id) + 1, p.id_number, p.name, '', '',
                NULL, '已参保', ''
            FROM households_membership m
            JOIN households_person p ON p.id = m.person_id
            WHERE m.end_date IS NULL AND p.id %% 50 <> 1
            """,
            p,
        )
        cur.execute(
            """
            INSERT INTO transitions_inboundrow (batch_id, row_no, id_number, name, household_no,
                head_id_number, members, status, village_code)
            SELECT %(ins)s, 10000000 + g, '888888' || lpad(g::text, 11, '0') || 'X', '外人',
                '', '', NULL, '已参保', ''
            FROM generate_series(1, %(persons)s / 50) g
            """,
            p,
        )
        for t in (
            "poverty_povertyrecord",
            "assistance_dibaocase",
            "assistance_benefitaward",
            "transitions_phaseout",
            "transitions_inboundrow",
        ):
            cur.execute(f"ANALYZE {t}")
        cur.execute("SELECT count(*) FROM households_membership WHERE end_date IS NULL")
        ours = cur.fetchone()[0]  # type: ignore[index]
        cur.execute("SELECT batch_id, count(*) FROM transitions_inboundrow GROUP BY 1")
        rows = dict(cur.fetchall())
    print(f"  loaded in {time.perf_counter() - t0:.1f} s", flush=True)
    return {
        "households": households,
        "ours": ours,
        "national": rows[batches["national_register"]],
        "insurance": rows[batches["insurance_enrolments"]],
        "batches": batches,
    }


def _reset() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE transitions_differencetransition, transitions_difference, "
            "transitions_reconciliationrun CASCADE"
        )
        cur.execute("VACUUM ANALYZE transitions_difference")


def _timed_run() -> tuple[float, dict[str, Any]]:
    from transitions.reconciliation.services import reconciliation_run

    t0 = time.perf_counter()
    run = reconciliation_run(on=ON)
    return time.perf_counter() - t0, run.counts


def naive(sample: int, batches: dict[str, int]) -> tuple[float, int, int]:
    """The categories for every n-th household and n-th inbound row, one query per thing
    looked up, decided in Python (nothing written). Returns (seconds, households, found)."""
    from assistance.models import BenefitAward, DibaoCase, DibaoStandard
    from households.models import Household, Membership, Person
    from poverty.models import PovertyLine, PovertyRecord
    from transitions.links import DIBAO_STATUSES
    from transitions.models import InboundRow, InsuranceEnrolment, PhaseOut
    from transitions.reconciliation.rules import IN_REGISTER

    total = Household.objects.count()
    step = max(total // sample, 1)
    ids = list(Household.objects.order_by("id").values_list("id", flat=True)[::step])
    line = PovertyLine.objects.in_force(ON).order_by("-valid_from").first()  # type: ignore[attr-defined]
    nat, ins = batches["national_register"], batches["insurance_enrolments"]
    found = 0
    t0 = time.perf_counter()
    for hid in ids:
        household = Household.objects.select_related("village").get(pk=hid)
        members = list(
            Membership.objects.filter(household_id=hid, end_date__isnull=True).select_related(
                "person"
            )
        )
        record = PovertyRecord.objects.filter(household_id=hid).first()
        case = (
            DibaoCase.objects.filter(household_id=hid, status__in=DIBAO_STATUSES)
            .order_by("-id")
            .first()
        )
        if record is None and case is None:
            continue
        registered = record is not None and record.status in IN_REGISTER
        award = (
            BenefitAward.objects.filter(case=case, effective_month__lte=MONTH)
            .order_by("-effective_month", "-id")
            .first()
            if case
            else None
        )
        standard = (
            DibaoStandard.objects.in_force(ON)  # type: ignore[attr-defined]
            .filter(county__code=household.village.code[:6])
            .order_by("-valid_from")
            .first()
        )
        incomes = []
        for m in members:
            theirs = (
                InboundRow.objects.filter(batch_id=nat, id_number=m.person.id_number)
                .order_by("row_no")
                .first()
            )
            if theirs is None:
                found += registered
            else:
                found += theirs.name != m.person.name
                if theirs.per_capita_income is not None:
                    incomes.append(theirs.per_capita_income)
            insured = InboundRow.objects.filter(
                batch_id=ins, id_number=m.person.id_number, status__in=["已参保", "enrolled"]
            ).exists()
            enrolled = InsuranceEnrolment.objects.filter(
                person_id=m.person_id, status__in=["enrolled", "exempt"]
            ).exists()
            found += not insured and not enrolled
        if registered and case is None and incomes and standard:
            found += min(incomes) < standard.amount_for(household.hukou_type)
        if case and not record and award and line:
            income = award.computation.get("per_capita_income")
            found += income is not None and float(income) < float(line.monthly)
        if case:
            po = PhaseOut.objects.filter(case=case).order_by("-id").first()
            if po and po.kept_until < MONTH and award and award.total >= po.award.total:
                found += 1
    # Their rows unknown to us: every n-th row of the national batch, one lookup each.
    rows = InboundRow.objects.filter(batch_id=nat).count()
    row_step = max(rows // max(sample, 1), 1)
    for id_number in (
        InboundRow.objects.filter(batch_id=nat)
        .order_by("row_no")
        .values_list("id_number", flat=True)[::row_step]
    ):
        found += not Person.objects.filter(id_number=id_number).exists()
    return time.perf_counter() - t0, len(ids), found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000, help="per register")
    parser.add_argument("--repeat", type=int, default=3, help="runs per arm (median)")
    parser.add_argument("--sample", type=int, default=2000, help="naive loop's households")
    parser.add_argument("--db-name", default="xianjie_bench_recon")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        print("Set DATABASE_URL=postgres://user@host:5432/any (the server to benchmark on).")
        return 2
    bench_url = with_database(url, args.db_name)
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/12")
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
        info = _load(args.persons)
        firsts, reruns, naives = [], [], []
        counts: dict[str, Any] = {}
        for rep in range(args.repeat):
            _reset()
            s, counts = _timed_run()
            firsts.append(s)
            s2, again = _timed_run()
            reruns.append(s2)
            assert all(
                c is None or (c["new"] == 0 and c["fixed"] == 0 and c["reopened"] == 0)
                for c in again.values()
            ), again
            ns, sampled, _found = naive(args.sample, info["batches"])
            naives.append(ns)
            print(
                f"  [{rep + 1}/{args.repeat}] first run {s:.2f} s, rerun {s2:.2f} s, "
                f"naive {ns:.2f} s for {sampled:,} households",
                flush=True,
            )
        first, rerun = statistics.median(firsts), statistics.median(reruns)
        naive_s = statistics.median(naives) * info["households"] / max(sampled, 1)
        found = {k: (v or {}).get("found", 0) for k, v in counts.items()}
        lines = [
            f"Three registers: ours {info['ours']:,} persons in {info['households']:,} "
            f"households, the national register's batch {info['national']:,} rows, the "
            f"insurance batch {info['insurance']:,} rows (`bench/reconciliation.py --persons "
            f"{args.persons}`, {os.cpu_count()} CPUs, {dt.date.today()}).",
            "",
            "| method | median s | runs (s) |",
            "|---|---:|---|",
            f"| reconciliation_run, first run (differences written) | {first:.2f} | "
            + ", ".join(f"{x:.2f}" for x in firsts)
            + " |",
            f"| reconciliation_run, rerun (nothing changed) | {rerun:.2f} | "
            + ", ".join(f"{x:.2f}" for x in reruns)
            + " |",
            f"| naive loop, {sampled:,} households sampled, extrapolated | {naive_s:.1f} | "
            + ", ".join(f"{x:.2f}" for x in naives)
            + " (sample) |",
            "",
            "Differences found: " + ", ".join(f"{k} {v:,}" for k, v in found.items()) + ".",
            f"Set-based is {naive_s / first:.0f}× the naive loop; target < {TARGET_S:.0f} s.",
        ]
        write_results(SECTION, "\n".join(lines))
        print(
            f"reconciliation: {first:.2f} s first run, {rerun:.2f} s rerun, for 3 registers of "
            f"{args.persons:,} persons (naive ≈ {naive_s:.0f} s, {naive_s / first:.0f}×; "
            f"target {TARGET_S:.0f} s)"
        )
        return 0
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(url, args.db_name)


if __name__ == "__main__":
    raise SystemExit(main())
