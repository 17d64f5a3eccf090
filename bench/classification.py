"""Benchmark of the nightly classification (poverty.classification.classification_recompute)
against a naive per-household loop.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xianjie .venv/bin/python bench/classification.py

DATABASE_URL only names the server and credentials: the benchmark (re)creates its own database
(`xianjie_bench_classification` by default), migrates it, and drops it at the end unless --keep.

Data (made fast, bypassing the services): 300,000 households with their members from
`households.demo.seed_copy` (COPY; ≈ 2.75 members a household, ages 0–95, assessed labour
capacities, disabilities, students, a few unwilling), and one dibao case per household written
with INSERT … SELECT (98 % active, 1 % confirmed, 1 % under review): every household is a
classification subject (transitions.links.dibao_households). The bench date is 2026-12-01.

Timed, interleaved, median of --repeat runs each, every run from the same starting state:

- `recompute, first run`: the real service with no classification yet (the table truncated
  before each run): one statement writes a row for every household, one committed transaction;
- `recompute, 1 % of persons changed`: after a first run, 1 % of the persons (every 100th)
  changed by SQL — a third willingness toggled, a third full-time study toggled, a third the
  assessed labour capacity changed — then the service again: it must write a new row for exactly
  the households of those persons (checked) and nothing else; the receivers of
  `classification_changed` (transitions: a classification-change hand-off per household whose
  class flipped, through `handoff_open`) run inside it, as they do at night;
- `recompute, nothing changed`: the service once more: no row written (idempotent; checked);
- `naive loop`: the same two cases, household by household in one committed transaction: the
  members read with one query, the rule applied in Python (`Person.labour_capacity`, the
  rule's ages, capacities and students flag; the same reasons in words), the current row read
  and compared, the old row closed and a new one created with the ORM; the same signal sent at
  the end. A full naive run over 300,000 households would take several minutes a run, so it is
  run on a **sample of 3,000 households** (every 100th, `--sample`) and extrapolated linearly
  to all of them (the output and the JSON say so). Its rows are checked equal to the real
  service's for the sample (class, rule class, inputs, reasons; and which households change).

Between runs: the classification table truncated (or the naive run's rows deleted and the rows
it closed made current again), the persons put back, hand-offs and notifications of the run
deleted, VACUUM ANALYZE, CHECKPOINT. Figures to bench/results/classification-<timestamp>.json;
the last line printed is the figure.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed_demo import ROOT, drop_database, migrate, recreate_database, with_database

RESULTS = ROOT / "bench" / "results"
ON = dt.date(2026, 12, 1)
TARGET_S = 10.0


class QueryTimer:
    """execute_wrapper keeping each statement's time and when it ended."""

    def __init__(self) -> None:
        self.rows: list[tuple[float, float, str]] = []  # (seconds, ended at, sql)

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            end = time.perf_counter()
            self.rows.append((end - t, end, " ".join(sql.split())[:90]))


def _cost(plan_line: str) -> float:
    """The total cost of a plan line ("(cost=0.00..991327014.00 rows=…")."""
    try:
        return float(plan_line.split("..", 1)[1].split(" ", 1)[0])
    except (IndexError, ValueError):
        return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=300_000)
    parser.add_argument("--small", action="store_true", help="20,000 households (development)")
    parser.add_argument("--sample", type=int, default=3_000, help="households of the naive loop")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--naive-repeat", type=int, default=None, help="default: --repeat")
    parser.add_argument(
        "--timeout", type=float, default=60, help="statement_timeout of a real run (s)"
    )
    parser.add_argument("--work-mem", default="", help="SET work_mem, e.g. 32MB (diagnosis)")
    parser.add_argument("--db-name", default="xianjie_bench_classification")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()
    if args.small:
        args.households = 20_000
    args.sample = min(args.sample, args.households)
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
    # The nightly job runs in a Celery worker with DEBUG off: no query log in the naive loop.
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


def naive_loop(household_ids: list[int], on: dt.date) -> tuple[float, list[Any], int]:
    """The straightforward implementation, household by household (see the module docstring).
    Returns the seconds, the changes (as the service returns them) and the queries made."""
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone, translation
    from django.utils.translation import gettext as _

    from households.ages import age_bands
    from households.models import LabourCapacity, Membership
    from poverty import signals
    from poverty.classification import Change, rule_in_force, subjects
    from poverty.models import HouseholdClass, HouseholdClassification

    queries = [0]

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        queries[0] += 1
        return execute(sql, params, many, context)

    t0 = time.perf_counter()
    changes: list[Change] = []
    with connection.execute_wrapper(count), transaction.atomic():
        rule = rule_in_force(on)
        bands = age_bands(on)
        caps = set(rule.capacities)
        with translation.override(settings.LANGUAGE_CODE):
            cap_label = {
                LabourCapacity.FULL: _("full capacity"),
                LabourCapacity.PARTIAL: _("partial capacity"),
                LabourCapacity.NONE: _("no labour capacity"),
            }
            words = {
                "willing": _("willing"),
                "unwilling": _("unwilling"),
                "student": _("full-time student"),
                "key": _("key target"),
                "age": _("not aged %(min)s–%(max)s") % {"min": rule.min_age, "max": rule.max_age},
                "capacity": _("labour capacity not counted"),
                "not_willing": _("not willing to accept help"),
                "in_school": _("students do not count"),
                "no_members": _("no active members → safety net"),
            }
        subject_ids = subjects(household_ids)
        assert subject_ids is not None
        for household_id in subject_ids.order_by("id").values_list("id", flat=True):
            members = (
                Membership.objects.filter(
                    household_id=household_id, end_date__isnull=True, start_date__lte=on
                )
                .select_related("person")
                .order_by("person_id")
            )
            inputs, reasons, key = [], [], False
            for m in members:
                p = m.person
                age = p.age_on(on)
                capacity = p.labour_capacity(on, bands)
                age_ok = rule.min_age <= age <= rule.max_age
                counts = (
                    age_ok
                    and capacity in caps
                    and p.willing_to_accept_help
                    and (rule.students_count or not p.in_school)
                )
                key |= counts
                inputs.append(
                    {
                        "person": p.pk,
                        "name": p.name,
                        "age": age,
                        "capacity": capacity,
                        "willing": p.willing_to_accept_help,
                        "in_school": p.in_school,
                        "counts": counts,
                    }
                )
                said = [p.name, str(age), cap_label.get(capacity, cap_label["none"])]
                said.append(words["willing"] if p.willing_to_accept_help else words["unwilling"])
                if p.in_school:
                    said.append(words["student"])
                verdict = (
                    words["key"]
                    if counts
                    else words["age"]
                    if not age_ok
                    else words["capacity"]
                    if capacity not in caps
                    else words["not_willing"]
                    if not p.willing_to_accept_help
                    else words["in_school"]
                )
                reasons.append(", ".join(str(s) for s in said) + " → " + str(verdict))
            if not inputs:
                reasons = [str(words["no_members"])]
            rule_class = HouseholdClass.KEY_TARGET if key else HouseholdClass.SAFETY_NET
            current = (
                HouseholdClassification.objects.select_for_update()
                .filter(household_id=household_id, current=True)
                .first()
            )
            if (
                current is not None
                and current.rule_class == rule_class
                and current.rule_id == rule.pk
                and current.inputs == inputs
            ):
                continue
            overridden = current is not None and current.overridden
            klass = current.klass if overridden else rule_class  # type: ignore[union-attr]
            if current is not None:
                HouseholdClassification.objects.filter(pk=current.pk).update(current=False)
            HouseholdClassification.objects.create(
                household_id=household_id,
                klass=klass,
                rule_class=rule_class,
                rule=rule,
                computed_on=on,
                inputs=inputs,
                reasons=reasons,
                computed_at=timezone.now(),
                overridden=overridden,
                override_by_id=current.override_by_id if overridden else None,  # type: ignore[union-attr]
                override_reason=current.override_reason if overridden else "",  # type: ignore[union-attr]
                current=True,
                by=None,
            )
            old = current.klass if current is not None else None
            if old != klass:
                changes.append(Change(household_id, old, klass))
        if changes:
            signals.classification_changed.send(sender=Change, changes=changes, by=None)
    return time.perf_counter() - t0, changes, queries[0]


def run(args: argparse.Namespace, naive_repeat: int) -> int:
    import psycopg
    from django.db import DatabaseError, OperationalError, connection, transaction

    from core.models import Region, User
    from core.notifications.models import Notification
    from core.roles import Role
    from households import demo
    from poverty import signals
    from poverty.classification import classification_recompute
    from poverty.models import HouseholdClassification
    from transitions.models import Handoff, HandoffTransition

    n = args.households
    t0 = time.perf_counter()
    print(f"Seeding {n:,} households with their members (COPY)…", flush=True)
    result = demo.seed_copy(n, seed=1)
    seeded_households = time.perf_counter() - t0
    user = User.objects.create(
        username="bench_ca",
        role=Role.CIVIL_AFFAIRS_REVIEWER,
        region=Region.objects.get(code="440703"),
    )
    t1 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO assistance_dibaocase (household_id, unit, status, applicant_id,
                agent_name, applied_on, accepted_on, extension_reason, relative_of_staff,
                relative_note, computation, refusal_reasons, confirmed_on, confirmed_by_id,
                payment_start_month, review_interval_months, created_by_id, created_at,
                updated_at)
            SELECT h.id, 'household',
                CASE WHEN h.id %% 100 = 0 THEN 'confirmed' WHEN h.id %% 100 = 1
                     THEN 'under_review' ELSE 'active' END,
                m.person_id, '', DATE '2025-11-03', DATE '2025-11-04', '', false, '', '{}', '',
                DATE '2025-12-10', %(user)s, DATE '2026-01-01', 12, %(user)s, now(), now()
            FROM households_household h
            JOIN households_membership m
              ON m.household_id = h.id AND m.relation = 'head' AND m.end_date IS NULL
            """,
            {"user": user.pk},
        )
        cur.execute("ANALYZE assistance_dibaocase")
        # The persons that change between the first and the second run: every 100th, with
        # what they were (to put them back).
        cur.execute(
            """
            CREATE TABLE bench_person_orig AS
            SELECT id, willing_to_accept_help, in_school, labour_capacity_assessed
            FROM households_person WHERE id %% 100 = 7
            """,
            [],
        )
        cur.execute("SELECT count(*) FROM assistance_dibaocase")
        cases = cur.fetchone()[0]
        cur.execute(
            """SELECT count(DISTINCT m.household_id) FROM households_membership m
               JOIN bench_person_orig o ON o.id = m.person_id
               WHERE m.end_date IS NULL AND m.start_date <= %s""",
            [ON],
        )
        changed_households = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM bench_person_orig")
        changed_persons = cur.fetchone()[0]
    seeded_cases = time.perf_counter() - t1
    data = {
        "households": result.households,
        "persons": result.persons,
        "memberships": result.memberships,
        "dibao_cases": cases,
        "changed_persons": changed_persons,
        "households_of_changed_persons": changed_households,
        "seed_households_seconds": round(seeded_households, 1),
        "seed_cases_seconds": round(seeded_cases, 1),
    }
    print(
        f"  {result.households:,} households, {result.persons:,} persons "
        f"{seeded_households:.1f} s; {cases:,} dibao cases {seeded_cases:.1f} s",
        flush=True,
    )
    with connection.cursor() as cur:
        cur.execute("SELECT household_id FROM assistance_dibaocase ORDER BY household_id")
        all_ids = [r[0] for r in cur.fetchall()]
    step = max(1, len(all_ids) // args.sample)
    sample = all_ids[::step][: args.sample]
    scale = len(all_ids) / len(sample)

    table = HouseholdClassification._meta.db_table
    others = [
        HandoffTransition._meta.db_table,
        Handoff._meta.db_table,
        Notification._meta.db_table,
    ]

    def marks(what: str = "max(id)") -> dict[str, int]:
        """The last id of each table (what to undo), or with "count(*)" the rows (what a run
        wrote: the sequences move on past the rows an undo deleted)."""
        out = {}
        with connection.cursor() as cur:
            for t in [table, *others]:
                cur.execute(f"SELECT COALESCE({what}, 0) FROM {t}")
                out[t] = cur.fetchone()[0]
        return out

    def tidy(*tables: str) -> None:
        with connection.cursor() as cur:
            for t in tables:
                cur.execute(f"VACUUM ANALYZE {t}")
            with contextlib.suppress(DatabaseError):
                cur.execute("CHECKPOINT")

    def undo(since: dict[str, int]) -> None:
        """Back to the state of `since` (only current rows then): the rows written since
        deleted, the rows closed since current again."""
        with connection.cursor() as cur:
            for t in others:
                cur.execute(f"DELETE FROM {t} WHERE id > %s", [since[t]])
            cur.execute(f"DELETE FROM {table} WHERE id > %s", [since[table]])
            cur.execute(f"UPDATE {table} SET current = true WHERE NOT current")
        tidy(table, *others)

    def persons(changed: bool) -> None:
        with connection.cursor() as cur:
            if changed:
                cur.execute(
                    """
                    UPDATE households_person p SET
                        willing_to_accept_help = CASE WHEN (o.id / 100) %% 3 = 0
                            THEN NOT o.willing_to_accept_help ELSE o.willing_to_accept_help END,
                        in_school = CASE WHEN (o.id / 100) %% 3 = 1
                            THEN NOT o.in_school ELSE o.in_school END,
                        labour_capacity_assessed = CASE WHEN (o.id / 100) %% 3 = 2
                            THEN CASE o.labour_capacity_assessed WHEN 'partial' THEN 'none'
                                 ELSE 'partial' END
                            ELSE o.labour_capacity_assessed END,
                        updated_at = now()
                    FROM bench_person_orig o WHERE o.id = p.id
                    """,
                    [],
                )
            else:
                cur.execute(
                    """
                    UPDATE households_person p SET
                        willing_to_accept_help = o.willing_to_accept_help,
                        in_school = o.in_school,
                        labour_capacity_assessed = o.labour_capacity_assessed
                    FROM bench_person_orig o WHERE o.id = p.id
                      AND (p.willing_to_accept_help, p.in_school, p.labour_capacity_assessed)
                          IS DISTINCT FROM (o.willing_to_accept_help, o.in_school,
                                            o.labour_capacity_assessed)
                    """
                )
        tidy("households_person")

    def rows_of(household_ids: list[int], since: int = 0) -> dict[int, tuple]:
        """The current rows of these households (written after id `since`), comparable."""
        return {
            r["household_id"]: (
                r["klass"],
                r["rule_class"],
                r["rule_id"],
                r["inputs"],
                r["reasons"],
            )
            for r in HouseholdClassification.objects.filter(
                household_id__in=household_ids, current=True, id__gt=since
            ).values("household_id", "klass", "rule_class", "rule_id", "inputs", "reasons")
        }

    seeded = marks()

    class Stop(Exception):
        pass

    def explain() -> list[str]:
        """EXPLAIN (no ANALYZE) of the service's statement in the current state."""
        plan: list[str] = []

        def wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
            if f"INSERT INTO {table}" in sql:
                execute("EXPLAIN " + sql, params, many, context)
                plan.extend(r[0] for r in context["cursor"].fetchall())
                raise Stop
            return execute(sql, params, many, context)

        with contextlib.suppress(Stop), transaction.atomic(), connection.execute_wrapper(wrapper):
            classification_recompute(household_ids=None, on=ON, by=None)
        return plan

    if args.work_mem:
        with connection.cursor() as cur:
            cur.execute(f"SET work_mem = '{args.work_mem}'")
    signal_end = [0.0]

    def last_receiver(**kwargs: Any) -> None:  # connected after transitions' receiver
        signal_end[0] = time.perf_counter()

    signals.classification_changed.connect(last_receiver, dispatch_uid="bench.last")

    timed_out: dict[str, float] = {}
    plans: dict[str, list[str]] = {}

    def real(key: str, label: str) -> dict[str, Any] | None:
        """One run of the service; None if it hit --timeout (then its plan is printed)."""
        before = marks("count(*)")
        timer = QueryTimer()
        signal_end[0] = 0.0
        t = time.perf_counter()
        try:
            with connection.cursor() as cur:
                cur.execute(f"SET statement_timeout = '{int(args.timeout)}s'")
            with connection.execute_wrapper(timer):
                changes = classification_recompute(household_ids=None, on=ON, by=None)
        except OperationalError as e:
            if not isinstance(e.__cause__, psycopg.errors.QueryCanceled):
                raise
            timed_out[key] = time.perf_counter() - t
            print(
                f"  {label:<36} TIMED OUT after {timed_out[key]:.0f} s (--timeout); "
                "the statement's plan:",
                flush=True,
            )
            plans[key] = explain()
            # Its top line and its most expensive CTE (the whole plan goes to the JSON).
            ctes = [i for i, line in enumerate(plans[key]) if line.lstrip().startswith("CTE ")]
            costs = {i: _cost(plans[key][i + 1]) for i in ctes if i + 1 < len(plans[key])}
            worst = max(costs, key=costs.__getitem__) if costs else len(plans[key])
            following = [i for i in ctes if i > worst]
            end = following[0] if following else len(plans[key])
            for line in [plans[key][0], *plans[key][worst:end]]:
                print(f"    {line}")
            return None
        finally:
            with connection.cursor() as cur:
                cur.execute("SET statement_timeout = 0")
        seconds = time.perf_counter() - t
        after = marks("count(*)")
        big = max(timer.rows, key=lambda r: r[0])
        signal_s = signal_end[0] - big[1] if signal_end[0] else 0.0
        out = {
            "seconds": seconds,
            "statement_s": big[0],
            "signal_s": signal_s,
            "queries": len(timer.rows),
            "rows_written": after[table] - before[table],
            "changes": len(changes),
            "flips": sum(1 for c in changes if c.old is not None),
            "handoffs_opened": after[Handoff._meta.db_table] - before[Handoff._meta.db_table],
        }
        print(
            f"  {label:<36} {seconds:7.2f} s  (statement {big[0]:.2f} s, receivers "
            f"{signal_s:.2f} s, {out['queries']:,} queries) {out['rows_written']:,} rows, "
            f"{out['changes']:,} class changes, {out['handoffs_opened']:,} hand-offs",
            flush=True,
        )
        return out

    def naive(label: str) -> tuple[dict[str, Any], list[Any]]:
        before = marks("count(*)")
        seconds, changes, queries = naive_loop(sample, ON)
        after = marks("count(*)")
        out = {
            "seconds": seconds,
            "extrapolated_s": seconds * scale,
            "queries": queries,
            "rows_written": after[table] - before[table],
            "changes": len(changes),
        }
        print(
            f"  {label:<36} {seconds:7.2f} s  on {len(sample):,} households "
            f"({queries:,} queries, {out['rows_written']:,} rows) → {seconds * scale:.0f} s "
            f"for {len(all_ids):,} (extrapolated)",
            flush=True,
        )
        return out, changes

    runs: dict[str, list[dict[str, Any]]] = {
        "fresh": [],
        "changed": [],
        "unchanged": [],
        "naive_fresh": [],
        "naive_changed": [],
    }
    checks: dict[str, bool] = {
        "fresh_writes_every_household": True,
        "changed_writes_only_the_changes": True,
        "unchanged_writes_nothing": True,
        "naive_rows_equal_real_rows": True,
        "naive_changes_equal_real_changes": True,
    }
    print(
        f"Timing, {args.repeat} runs each (naive: {naive_repeat}, on {len(sample):,} households), "
        "interleaved…",
        flush=True,
    )
    for i in range(max(args.repeat, naive_repeat)):
        print(f"Run {i + 1}", flush=True)
        # The seeded state: no classification, the persons as seeded, no hand-off of a
        # classification change (their source keys name classification ids, which restart).
        with connection.cursor() as cur:
            cur.execute(f"TRUNCATE {table} RESTART IDENTITY")
        undo(seeded)
        persons(changed=False)
        naive_rows: dict[int, tuple] = {}
        if i < naive_repeat:
            out, _changes = naive("naive loop, first run")
            runs["naive_fresh"].append(out)
            naive_rows = rows_of(sample)
            with connection.cursor() as cur:
                cur.execute(f"TRUNCATE {table} RESTART IDENTITY")
            tidy(table)
        out = real("fresh", "recompute, first run")
        if out is None:
            continue
        runs["fresh"].append(out)
        checks["fresh_writes_every_household"] &= out["rows_written"] == len(all_ids)
        if naive_rows:
            checks["naive_rows_equal_real_rows"] &= naive_rows == rows_of(sample)
        tidy(table)
        persons(changed=True)
        start = marks()
        naive_changes: list[Any] | None = None
        if i < naive_repeat:
            out, naive_changes = naive("naive loop, 1 % changed")
            runs["naive_changed"].append(out)
            naive_rows = rows_of(sample, since=start[table])
            undo(start)
        # After a time-out, that case (and the unchanged one, which starts from its result) is
        # not run again: a run costs --timeout seconds and measures nothing.
        out = (
            None if "changed" in timed_out else real("changed", "recompute, 1 % of persons changed")
        )
        if out is None:
            continue
        runs["changed"].append(out)
        checks["changed_writes_only_the_changes"] &= out["rows_written"] == changed_households
        if naive_changes is not None:
            real_rows = rows_of(sample, since=start[table])
            checks["naive_rows_equal_real_rows"] &= naive_rows == real_rows
            with connection.cursor() as cur:
                cur.execute(
                    f"""SELECT n.household_id, o.klass, n.klass FROM {table} n
                        JOIN {table} o ON o.household_id = n.household_id AND NOT o.current
                        WHERE n.id > %s AND n.household_id = ANY(%s)
                          AND o.klass <> n.klass""",
                    [start[table], sample],
                )
                real_flips = sorted(cur.fetchall())
            naive_flips = sorted((c.household_id, c.old, c.new) for c in naive_changes)
            checks["naive_changes_equal_real_changes"] &= real_flips == naive_flips
        out = None if "unchanged" in timed_out else real("unchanged", "recompute, nothing changed")
        if out is None:
            continue
        runs["unchanged"].append(out)
        checks["unchanged_writes_nothing"] &= out["rows_written"] == 0 and out["changes"] == 0
    # A check whose runs never finished was not made.
    made = {
        "fresh_writes_every_household": runs["fresh"],
        "changed_writes_only_the_changes": runs["changed"],
        "unchanged_writes_nothing": runs["unchanged"],
        "naive_changes_equal_real_changes": runs["changed"],
    }
    result_checks: dict[str, bool | None] = {
        k: (v if made.get(k, True) else None) for k, v in checks.items()
    }
    ok = all(v is not False for v in result_checks.values()) and not timed_out
    print(f"  checks: {result_checks}; timed out: {timed_out or 'none'}")

    def med(key: str, field: str = "seconds") -> float | None:
        values = [r[field] for r in runs[key]]
        return statistics.median(values) if values else None

    def fmt(x: float | None, spec: str = ".2f", unit: str = "") -> str:
        return "—" if x is None else f"{x:{spec}}{unit}"

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        server_version = cur.fetchone()[0]
        cur.execute("SHOW work_mem")
        work_mem = cur.fetchone()[0]

    def ratio(naive_key: str, key: str) -> float | None:
        a, b = med(naive_key, "extrapolated_s"), med(key)
        return None if a is None or b is None else a / b

    ratios = {"fresh": ratio("naive_fresh", "fresh"), "changed": ratio("naive_changed", "changed")}
    print()
    print(
        f"{'method':<44} {'households':>10} {'median s':>9} {'hh/s':>9} {'rows':>8} "
        f"{'queries':>8}  runs"
    )
    for key, label, households in (
        ("fresh", "recompute, first run", len(all_ids)),
        ("changed", "recompute, 1 % of persons changed", len(all_ids)),
        ("unchanged", "recompute, nothing changed", len(all_ids)),
        ("naive_fresh", "naive loop, first run (sample)", len(sample)),
        ("naive_changed", "naive loop, 1 % changed (sample)", len(sample)),
    ):
        m = med(key)
        if m is None:
            what = f"timed out after {timed_out[key]:.0f} s" if key in timed_out else "not run"
            print(f"{label:<44} {households:>10,} {what}")
            continue
        print(
            f"{label:<44} {households:>10,} {m:>9.2f} {households / m:>9,.0f} "
            f"{runs[key][0]['rows_written']:>8,} {runs[key][0]['queries']:>8,}  "
            + ", ".join(f"{r['seconds']:.2f}" for r in runs[key])
        )
    print(
        f"naive loop extrapolated linearly to {len(all_ids):,} households (× {scale:.0f}): "
        f"first run {fmt(med('naive_fresh', 'extrapolated_s'), '.0f', ' s')}, 1 % changed "
        f"{fmt(med('naive_changed', 'extrapolated_s'), '.0f', ' s')}"
    )
    for key in ("fresh", "changed"):
        if runs[key]:
            print(
                f"of the {key} run: statement {fmt(med(key, 'statement_s'))} s, "
                f"classification_changed receivers {fmt(med(key, 'signal_s'))} s "
                f"({runs[key][0]['flips']:,} class flips → "
                f"{runs[key][0]['handoffs_opened']:,} hand-offs), the rest (commit, Python) "
                f"{fmt(med(key) - med(key, 'statement_s') - med(key, 'signal_s'))} s"  # type: ignore[operator]
            )
    # The target is the nightly run's: a register already classified, some persons changed (or
    # none). The very first classification of a register (every row new) is a one-off.
    measured = [m for m in (med("changed"), med("unchanged")) if m is not None]
    under = bool(measured) and max(measured) < TARGET_S and not timed_out

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out_path = RESULTS / f"classification-{stamp}.json"
    out_path.write_text(
        json.dumps(
            {
                "benchmark": "classification",
                "when": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "postgresql": server_version,
                    "work_mem": work_mem,
                    "platform": platform.platform(),
                    "load_average": os.getloadavg(),
                },
                "on": ON.isoformat(),
                "data": {**data, "naive_sample": len(sample), "naive_scale": scale},
                "naive_extrapolated_linearly": True,
                "statement_timeout_s": args.timeout,
                "timed_out_after_s": timed_out,
                "plans_of_timed_out_runs": plans,
                "runs": runs,
                "median_seconds": {k: med(k) for k in runs},
                "naive_extrapolated_median_seconds": {
                    "fresh": med("naive_fresh", "extrapolated_s"),
                    "changed": med("naive_changed", "extrapolated_s"),
                },
                "ratio_naive_over_recompute": ratios,
                "checks": result_checks,
                "under_target": under,
            },
            indent=2,
            ensure_ascii=False,
            default=str,
        )
        + "\n"
    )
    print(f"Results written to {out_path.relative_to(ROOT)}")

    def x(r: float | None) -> str:
        return "—" if r is None else f"{r:.0f}x"

    print(
        f"nightly classification_recompute of {len(all_ids):,} households (work_mem "
        f"{work_mem}): 1 % changed "
        f"{fmt(med('changed'), '.1f', ' s') if 'changed' not in timed_out else 'TIMED OUT'}, "
        f"unchanged "
        f"{fmt(med('unchanged'), '.1f', ' s') if not timed_out else 'not run/TIMED OUT'} "
        f"(medians; {'under' if under else 'NOT under'} the {TARGET_S:.0f} s target); one-off "
        f"first classification {fmt(med('fresh'), '.1f', ' s')}; naive loop "
        f"extrapolated from {len(sample):,}: "
        f"{fmt(med('naive_fresh', 'extrapolated_s'), '.0f', ' s')} / "
        f"{fmt(med('naive_changed', 'extrapolated_s'), '.0f', ' s')}, ratio "
        f"{x(ratios['fresh'])} / {x(ratios['changed'])}; checks {'passed' if ok else 'FAILED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
