"""Benchmark of the daily phase-out job (transitions.phaseout.phase_outs_mark) against a naive loop.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xianjie .venv/bin/python bench/phase_out.py

DATABASE_URL only names the server and credentials: the benchmark (re)creates its own database
(`xianjie_bench_phase_out` by default), migrates it, and drops it at the end unless --keep.

Data (made fast with INSERT … SELECT, bypassing the services): 100,000 households in 40 bench
villages created under 白沙街道 (440703002, 蓬江区 440703), one active dibao case each with its
confirmation award and its phase-out award (`kept_until`), and one open phase-out per case
with its start history row and its phase-out-start hand-off. The bench date is 2026-12-01:

- 82 % running, due on the 1st of 2027-01 … 2027-05 (nothing to do);
- 10 % running and due on the bench date (→ due, and a re-assessment hand-off each);
- 5 % due since 2026-11-01 with their re-assessment hand-off open (→ overdue);
- 3 % overdue since 2026-10-01 with their hand-off acknowledged (nothing to do: the INSERT
  finds their hand-off by its source key).

Timed, interleaved, each from the same starting state (restored after every run: statuses put
back, the hand-offs, history rows and notifications of the run deleted, then VACUUM ANALYZE),
median of --repeat runs:

- `phase_outs_mark`: the real job — one UPDATE … RETURNING → history INSERT each for due and
  overdue, one INSERT … SELECT … ON CONFLICT DO NOTHING for the hand-offs and their history, a
  notification per district; one committed transaction;
- `phase_outs_mark`, second run: the same job again on its own result (must change nothing);
- `naive loop`: the open phase-outs read with one query (iterator), the dates checked in Python,
  `PHASE_OUT.move` (save + history row) per phase-out to move, then per due/overdue one a query
  for its hand-off by source key and, if none, `Handoff.objects.create` and its history row; the
  same notification per district; one committed transaction.

Both ways must reach the same counts and the same rows (statuses, hand-offs, history rows and
notifications, compared by fingerprint); the script exits non-zero otherwise. The figures go to
bench/results/phase_out-<timestamp>.json; the last line printed is the figure.
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
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed_demo import ROOT, drop_database, migrate, recreate_database, with_database

RESULTS = ROOT / "bench" / "results"
ON = dt.date(2026, 12, 1)  # the bench date: a phase-out's due day is the first of a month
COUNTY, TOWN = "440703", "440703002"  # 蓬江区, 白沙街道
TARGET_S = 5.0


class QueryTimer:
    """execute_wrapper that keeps each statement's time (the job's statements, one by one)."""

    def __init__(self) -> None:
        self.rows: list[tuple[float, str]] = []

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.rows.append((time.perf_counter() - t, " ".join(sql.split())[:90]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="open phase-outs")
    parser.add_argument("--small", action="store_true", help="10,000 phase-outs (development)")
    parser.add_argument("--villages", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--naive-repeat", type=int, default=None, help="default: --repeat")
    parser.add_argument("--db-name", default="xianjie_bench_phase_out")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()
    if args.small:
        args.cases = 10_000
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
    # The daily job runs in a Celery worker with DEBUG off: no query log in the naive loop.
    os.environ["DEBUG"] = "0"
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


def seed(n: int, n_villages: int) -> dict[str, Any]:
    """The households, cases, awards, phase-outs, their history and hand-offs (see the module
    docstring); returns the users and the counts."""
    from django.db import connection, transaction

    from core.models import Region, User
    from core.roles import Role
    from transitions.models import ApprovalPolicy

    county = Region.objects.get(code=COUNTY)
    town = Region.objects.get(code=TOWN)
    taken = set(Region.objects.filter(parent=town).values_list("code", flat=True))
    codes = [c for c in (f"{TOWN}{k:03d}" for k in range(999, 0, -1)) if c not in taken]
    villages = []
    for i, code in enumerate(sorted(codes[:n_villages])):
        v = Region(code=code, name=f"基准村{i + 1}", kind=Region.Kind.VILLAGE, parent=town)
        v.save()
        villages.append(v.pk)
    user = User.objects.create(username="bench_ca", role=Role.CIVIL_AFFAIRS_REVIEWER, region=county)
    # The district's reviewers: each run's notification goes to them.
    for name in ("bench_ca2", "bench_ca3"):
        User.objects.create(username=name, role=Role.CIVIL_AFFAIRS_REVIEWER, region=county)
    start_policy = ApprovalPolicy.objects.in_force(ON).get(kind="phase_out_start")
    re_policy = ApprovalPolicy.objects.in_force(ON).get(kind="phase_out_reassessment")
    p = {
        "n": n,
        "villages": villages,
        "nv": len(villages),
        "on": ON,
        "user": user.pk,
        "county": county.pk,
        "start_policy": start_policy.pk,
        "start_role": start_policy.stages[0]["role"],
        "start_level": start_policy.stages[0]["level"],
        "re_policy": re_policy.pk,
        "re_role": re_policy.stages[0]["role"],
        "re_level": re_policy.stages[0]["level"],
    }
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            """
            WITH v AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k
                       FROM core_region WHERE id = ANY(%(villages)s))
            INSERT INTO households_household (village_id, address, hukou_type, created_at,
                                              updated_at)
            SELECT v.id, '白沙街道基准路' || g || '号',
                   CASE WHEN g %% 3 = 0 THEN 'urban' ELSE 'rural' END, now(), now()
            FROM generate_series(1, %(n)s) g JOIN v ON v.k = g %% %(nv)s
            """,
            p,
        )
        cur.execute(
            """
            INSERT INTO assistance_dibaocase (household_id, unit, status, agent_name, applied_on,
                accepted_on, extension_reason, relative_of_staff, relative_note, computation,
                refusal_reasons, confirmed_on, confirmed_by_id, payment_start_month,
                review_interval_months, created_by_id, created_at, updated_at)
            SELECT id, 'household', 'active', '', DATE '2025-03-03', DATE '2025-03-04', '', false,
                   '', '{}', '', DATE '2025-04-10', %(user)s, DATE '2025-05-01', 12, %(user)s,
                   now(), now()
            FROM households_household ORDER BY id
            """,
            p,
        )
        # Each case's group by its rank: 0–9 due today, 10–14 due since last month, 15–17
        # overdue, the rest running (due in 1–5 months).
        cur.execute(
            """
            CREATE TEMPORARY TABLE bench_po ON COMMIT DROP AS
            SELECT c.id AS case_id, c.household_id, h.village_id, g.rn, g.status, g.due_on,
                   (g.due_on - interval '6 months')::date AS start_month,
                   (g.due_on - interval '1 month')::date AS kept_until,
                   ((g.due_on - interval '6 months')::date - (5 + g.rn %% 20)::int) AS decided_on
            FROM assistance_dibaocase c JOIN households_household h ON h.id = c.household_id
            JOIN LATERAL (
                SELECT r.rn,
                    CASE WHEN r.rn %% 100 < 10 THEN 'running' WHEN r.rn %% 100 < 15 THEN 'due'
                         WHEN r.rn %% 100 < 18 THEN 'overdue' ELSE 'running' END AS status,
                    CASE WHEN r.rn %% 100 < 10 THEN %(on)s::date
                         WHEN r.rn %% 100 < 15 THEN (%(on)s::date - interval '1 month')::date
                         WHEN r.rn %% 100 < 18 THEN (%(on)s::date - interval '2 months')::date
                         ELSE (%(on)s::date + (1 + r.rn %% 5) * interval '1 month')::date
                    END AS due_on
                FROM (SELECT c.id - (SELECT min(id) FROM assistance_dibaocase) AS rn) r
            ) g ON true
            """,
            p,
        )
        cur.execute(
            """
            INSERT INTO assistance_benefitaward (case_id, effective_month, base_amount,
                supplement_amount, total, members, computation, reason, note, decided_by_id,
                decided_on, created_at)
            SELECT case_id, DATE '2025-05-01', 600 + rn %% 400, 0, 600 + rn %% 400, 2, '{}',
                   'confirmation', '', %(user)s, DATE '2025-04-10', now()
            FROM bench_po
            """,
            p,
        )
        cur.execute(
            """
            WITH a AS (
                INSERT INTO assistance_benefitaward (case_id, effective_month, base_amount,
                    supplement_amount, total, members, computation, reason, kept_until, note,
                    decided_by_id, decided_on, created_at)
                SELECT case_id, start_month, 600 + rn %% 400, 0, 600 + rn %% 400, 2, '{}',
                       'phase_out', kept_until, '', %(user)s, decided_on, now()
                FROM bench_po
                RETURNING id, case_id
            )
            INSERT INTO transitions_phaseout (case_id, household_id, county_id, region_id,
                decision, decided_on, start_month, kept_until, due_on, award_id, status, outcome,
                created_by_id, created_at, updated_at)
            SELECT b.case_id, b.household_id, %(county)s, b.village_id,
                   CASE WHEN b.rn %% 4 = 0 THEN 'stop' ELSE 'lower' END, b.decided_on,
                   b.start_month, b.kept_until, b.due_on, a.id, b.status, '', %(user)s, now(),
                   now()
            FROM bench_po b JOIN a ON a.case_id = b.case_id
            ORDER BY b.case_id
            """,
            p,
        )
        # History: started; marked due (and overdue) by earlier runs of the job.
        cur.execute(
            """
            INSERT INTO transitions_phaseouttransition (phase_out_id, action, from_status,
                to_status, by_id, at, reason)
            SELECT id, 'start', '', 'running', %(user)s, decided_on + time '10:00', '基准'
            FROM transitions_phaseout
            UNION ALL
            SELECT id, 'mark_due', 'running', 'due', NULL, due_on + time '02:00', '基准'
            FROM transitions_phaseout WHERE status IN ('due', 'overdue')
            UNION ALL
            SELECT id, 'mark_overdue', 'due', 'overdue', NULL, due_on + interval '1 day 2 hours', '基准'
            FROM transitions_phaseout WHERE status = 'overdue'
            """,
            p,
        )
        # Hand-offs: the start (to the poverty office, acknowledged) of every phase-out; the
        # re-assessment of the due (open) and overdue (acknowledged) ones; one history row each.
        cur.execute(
            """
            WITH ins AS (
                INSERT INTO transitions_handoff (kind, household_id, region_id, county_id,
                    dibao_case_id, from_department, to_department, policy_id, status, stage,
                    stage_required, stage_role, stage_level, reason, details, basis_actors,
                    outcome, opened_on, acknowledge_due, decide_due, acknowledged_on,
                    source_key, created_at, updated_at)
                SELECT 'phase_out_start', household_id, region_id, county_id, case_id,
                       'civil_affairs', 'poverty_office', %(start_policy)s, 'acknowledged', 0, 1,
                       %(start_role)s, %(start_level)s, '基准', jsonb_build_object('phase_out',
                       id, 'due_on', due_on::text), ARRAY[]::integer[], '', decided_on,
                       decided_on + 7, decided_on + 14, decided_on + 2, 'phase_out:' || id,
                       now(), now()
                FROM transitions_phaseout
                UNION ALL
                SELECT 'phase_out_reassessment', household_id, region_id, county_id, case_id,
                       'civil_affairs', 'civil_affairs', %(re_policy)s,
                       CASE status WHEN 'due' THEN 'open' ELSE 'acknowledged' END, 0, 1,
                       %(re_role)s, %(re_level)s, '基准', jsonb_build_object('phase_out', id,
                       'due_on', due_on::text), ARRAY[]::integer[], '', due_on, due_on + 7,
                       due_on + 28, CASE WHEN status = 'overdue' THEN due_on + 3 END,
                       'phase_out:' || id, now(), now()
                FROM transitions_phaseout WHERE status IN ('due', 'overdue')
                RETURNING id, opened_on
            )
            INSERT INTO transitions_handofftransition (handoff_id, action, from_status,
                to_status, by_id, at, reason)
            SELECT id, 'open_auto', '', 'open', NULL, opened_on + time '02:00', '基准' FROM ins
            """,
            p,
        )
        for table in (
            "households_household",
            "assistance_dibaocase",
            "assistance_benefitaward",
            "transitions_phaseout",
            "transitions_phaseouttransition",
            "transitions_handoff",
            "transitions_handofftransition",
        ):
            cur.execute(f"ANALYZE {table}")
    with connection.cursor() as cur:
        cur.execute("SELECT status, count(*) FROM transitions_phaseout GROUP BY 1 ORDER BY 1")
        statuses = dict(cur.fetchall())
        cur.execute("SELECT count(*) FROM transitions_phaseout WHERE due_on = %s", [ON])
        due_today = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM transitions_handoff")
        handoffs = cur.fetchone()[0]
    return {
        "villages": len(villages),
        "phase_outs_by_status": statuses,
        "due_on_bench_date": due_today,
        "handoffs": handoffs,
    }


def run(args: argparse.Namespace, naive_repeat: int) -> int:
    from django.db import connection, transaction
    from django.utils.translation import gettext as _

    from core.calendar import add_working_days
    from core.models import Region
    from core.notifications.models import Notification
    from transitions import notify
    from transitions.models import (
        Handoff,
        HandoffKind,
        HandoffTransition,
        PhaseOut,
        PhaseOutTransition,
    )
    from transitions.phaseout import phase_outs_mark
    from transitions.policy import policy_in_force, stages_of
    from transitions.workflow import PHASE_OUT

    print(f"Seeding {args.cases:,} phase-outs (INSERT … SELECT)…", flush=True)
    t0 = time.perf_counter()
    data = seed(args.cases, args.villages)
    seeded = time.perf_counter() - t0
    print(f"  {seeded:.1f} s: {data}", flush=True)

    tables = {
        "po": PhaseOut._meta.db_table,
        "pot": PhaseOutTransition._meta.db_table,
        "h": Handoff._meta.db_table,
        "ht": HandoffTransition._meta.db_table,
        "n": Notification._meta.db_table,
    }
    with connection.cursor() as cur:
        cur.execute(
            f"CREATE TABLE bench_phaseout_state AS SELECT id, status, updated_at FROM {tables['po']}"
        )
        last: dict[str, int] = {}
        for key in ("pot", "h", "ht", "n"):
            cur.execute(f"SELECT COALESCE(max(id), 0) FROM {tables[key]}")
            last[key] = cur.fetchone()[0]

    def reset() -> None:
        """Back to the seeded state: statuses put back, the run's rows deleted, then vacuumed
        so every run starts on the same tables."""
        with connection.cursor() as cur:
            cur.execute(
                f"""UPDATE {tables["po"]} p SET status = s.status, updated_at = s.updated_at
                    FROM bench_phaseout_state s WHERE s.id = p.id AND p.status <> s.status"""
            )
            for key in ("ht", "h", "pot", "n"):
                cur.execute(f"DELETE FROM {tables[key]} WHERE id > %s", [last[key]])
            for key in ("po", "pot", "h", "ht", "n"):
                cur.execute(f"VACUUM ANALYZE {tables[key]}")

    def fingerprint() -> dict[str, Any]:
        """What a run changed, in comparable form (no ids or timestamps)."""
        out: dict[str, Any] = {}
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT md5(string_agg(id || ':' || status, ',' ORDER BY id)) FROM {tables['po']}"
            )
            out["statuses"] = cur.fetchone()[0]
            queries = {
                "handoffs": f"""SELECT count(*), md5(string_agg(concat_ws('|', kind,
                    household_id, region_id, county_id, dibao_case_id, from_department,
                    to_department, policy_id, status, stage, stage_required, stage_role,
                    stage_level, reason, details::text, basis_actors::text, outcome, opened_on,
                    acknowledge_due, decide_due, source_key, created_by_id), ','
                    ORDER BY kind, source_key)) FROM {tables["h"]} WHERE id > %s""",
                "handoff_history": f"""SELECT count(*), md5(string_agg(concat_ws('|',
                    h.source_key, t.action, t.from_status, t.to_status, t.by_id, t.reason), ','
                    ORDER BY h.source_key)) FROM {tables["ht"]} t
                    JOIN {tables["h"]} h ON h.id = t.handoff_id WHERE t.id > %s""",
                "phase_out_history": f"""SELECT count(*), md5(string_agg(concat_ws('|',
                    phase_out_id, action, from_status, to_status, by_id, reason), ','
                    ORDER BY phase_out_id, action)) FROM {tables["pot"]} WHERE id > %s""",
                "notifications": f"""SELECT count(*), md5(string_agg(concat_ws('|',
                    recipient_id, kind, title, target_url, region_id), ','
                    ORDER BY recipient_id, kind)) FROM {tables["n"]} WHERE id > %s""",
            }
            keys = {"handoffs": "h", "handoff_history": "ht", "phase_out_history": "pot"}
            for name, sql in queries.items():
                cur.execute(sql, [last[keys.get(name, "n")]])
                out[name] = list(cur.fetchone())
        return out

    expected = {
        "due": sum(1 for rn in range(args.cases) if rn % 100 < 10),
        "overdue": sum(1 for rn in range(args.cases) if 10 <= rn % 100 < 15),
    }
    expected["opened"] = expected["due"]

    def real() -> tuple[float, dict[str, int], QueryTimer]:
        timer = QueryTimer()
        t = time.perf_counter()
        with connection.execute_wrapper(timer):
            counts = phase_outs_mark(on=ON)
        return time.perf_counter() - t, counts, timer

    def naive() -> tuple[float, dict[str, int], int]:
        """The straightforward implementation: every open phase-out loaded, dates checked in
        Python, one save + history row per move, one look-up and one create (+ history) per
        re-assessment hand-off."""
        queries = [0]

        def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
            queries[0] += 1
            return execute(sql, params, many, context)

        t = time.perf_counter()
        kind = HandoffKind.PHASE_OUT_REASSESSMENT
        with connection.execute_wrapper(count), transaction.atomic():
            policy = policy_in_force(kind, ON)
            stage = stages_of(policy)[0]
            ack_due = add_working_days(ON, policy.acknowledge_days)
            decide_due = add_working_days(ON, policy.decide_days)
            reason = _("Phase-out re-assessment due")
            due = overdue = 0
            opened: Counter[int] = Counter()
            open_ones = PhaseOut.objects.filter(status__in=PhaseOut.OPEN).order_by("id")
            for po in open_ones.iterator(chunk_size=2000):
                if po.status == PhaseOut.Status.RUNNING and po.due_on <= ON:
                    PHASE_OUT.move(po, "mark_due", None, _("The re-assessment is due"))
                    due += 1
                if po.status == PhaseOut.Status.DUE and po.due_on < ON:
                    PHASE_OUT.move(
                        po,
                        "mark_overdue",
                        None,
                        _("The re-assessment is overdue: the original amount is still paid"),
                    )
                    overdue += 1
                if po.status in (PhaseOut.Status.DUE, PhaseOut.Status.OVERDUE):
                    key = f"phase_out:{po.pk}"
                    if Handoff.objects.filter(kind=kind, source_key=key).exists():
                        continue
                    handoff = Handoff.objects.create(
                        kind=kind,
                        household_id=po.household_id,
                        region_id=po.region_id,
                        county_id=po.county_id,
                        dibao_case_id=po.case_id,
                        from_department="civil_affairs",
                        to_department="civil_affairs",
                        policy=policy,
                        status=Handoff.Status.OPEN,
                        stage=0,
                        stage_required=1,
                        stage_role=stage.role,
                        stage_level=stage.level,
                        reason=reason,
                        details={"phase_out": po.pk, "due_on": po.due_on.isoformat()},
                        basis_actors=[],
                        opened_on=ON,
                        acknowledge_due=ack_due,
                        decide_due=decide_due,
                        source_key=key,
                    )
                    HandoffTransition.objects.create(
                        handoff=handoff,
                        action="open_auto",
                        from_status="",
                        to_status=Handoff.Status.OPEN,
                        by=None,
                        reason=reason,
                    )
                    opened[po.county_id] += 1
            for county_id, n in opened.items():
                notify.reassessments_due(Region.objects.get(pk=county_id), n)
        seconds = time.perf_counter() - t
        return seconds, {"due": due, "overdue": overdue, "opened": sum(opened.values())}, queries[0]

    print(f"Timing, {args.repeat} runs each (naive: {naive_repeat}), interleaved…", flush=True)
    runs: dict[str, list[float]] = {"job": [], "second": [], "naive": []}
    counts: dict[str, dict[str, int]] = {}
    prints: dict[str, dict[str, Any]] = {}
    timers: list[list[tuple[float, str]]] = []
    naive_queries = 0
    idempotent_all = True
    for i in range(max(args.repeat, naive_repeat)):
        if i < args.repeat:
            reset()
            seconds, counts["job"], timer = real()
            runs["job"].append(seconds)
            timers.append(timer.rows)
            prints["job"] = fingerprint()
            print(f"  phase_outs_mark            {seconds:7.2f} s  {counts['job']}", flush=True)
            seconds, counts["second"], _timer = real()
            runs["second"].append(seconds)
            again = fingerprint()
            idempotent = counts["second"] == {"due": 0, "overdue": 0, "opened": 0} and (
                again == prints["job"]
            )
            idempotent_all &= idempotent
            print(
                f"  phase_outs_mark, 2nd run   {seconds:7.2f} s  {counts['second']}"
                f"{'' if idempotent else '  NOT IDEMPOTENT'}",
                flush=True,
            )
        if i < naive_repeat:
            reset()
            seconds, counts["naive"], naive_queries = naive()
            runs["naive"].append(seconds)
            prints["naive"] = fingerprint()
            print(
                f"  naive loop                 {seconds:7.2f} s  {counts['naive']} "
                f"({naive_queries:,} queries)",
                flush=True,
            )
    reset()

    same_counts = counts["job"] == counts["naive"] == expected
    same_rows = prints["job"] == prints["naive"]
    ok = idempotent_all and same_counts and same_rows
    print(f"  expected {expected}; same counts both ways: {same_counts}; same rows: {same_rows}")
    if not same_rows:
        print(f"    job:   {prints['job']}\n    naive: {prints['naive']}")

    med = {k: statistics.median(v) for k, v in runs.items()}
    ratio = med["naive"] / med["job"]
    # The statements of the real job's median run (the lower middle one for an even count).
    median_run = sorted(range(len(runs["job"])), key=runs["job"].__getitem__)[
        (len(runs["job"]) - 1) // 2
    ]
    statements = timers[median_run]
    median_run_s = runs["job"][median_run]
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        server_version = cur.fetchone()[0]
    print()
    print(f"Statements of the real job (its median run, {median_run_s:.2f} s), ms:")
    for seconds, sql in statements:
        if seconds >= 0.005:
            print(f"  {seconds * 1000:8.1f}  {sql}")
    rest = median_run_s - sum(s for s, _sql in statements)
    print(f"  {len(statements)} statements in all; the rest (commit, Python): ≈ {rest:.2f} s")
    print()
    n = args.cases
    print(f"{'method':<44} {'phase-outs':>10} {'median s':>9} {'per s':>10}  runs")
    labels = {
        "job": "phase_outs_mark (set-based)",
        "second": "phase_outs_mark, second run (no change)",
        "naive": "naive loop (ORM, per phase-out)",
    }
    for key, label in labels.items():
        print(
            f"{label:<44} {n:>10,} {med[key]:>9.2f} {n / med[key]:>10,.0f}  "
            + ", ".join(f"{s:.2f}" for s in runs[key])
        )

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"phase_out-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "phase_out",
                "when": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "postgresql": server_version,
                    "platform": platform.platform(),
                    "load_average": os.getloadavg(),
                },
                "on": ON.isoformat(),
                "data": {**data, "phase_outs": n, "seed_seconds": round(seeded, 2)},
                "counts": counts,
                "expected": expected,
                "runs_seconds": {k: [round(s, 3) for s in v] for k, v in runs.items()},
                "median_seconds": {k: round(v, 3) for k, v in med.items()},
                "ratio_naive_over_job": round(ratio, 1),
                "naive_queries": naive_queries,
                "job_statements_ms": [[round(s * 1000, 1), sql] for s, sql in statements],
                "same_counts": same_counts,
                "same_rows": same_rows,
                "idempotent": idempotent_all,
                "under_target": med["job"] < TARGET_S,
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    print(f"Results written to {out.relative_to(ROOT)}")
    target = "under" if med["job"] < TARGET_S else "NOT under"
    print(
        f"phase_outs_mark over {n:,} phase-outs: {med['job']:.2f} s median "
        f"({target} the {TARGET_S:.0f} s target), naive loop {med['naive']:.1f} s, "
        f"ratio {ratio:.1f}x; second run changes nothing: {idempotent_all}; same result: "
        f"{same_counts and same_rows}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
