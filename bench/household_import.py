"""Benchmark of the household spreadsheet import (households.importing), new path vs old.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xianjie .venv/bin/python bench/household_import.py

DATABASE_URL only names the server and credentials: the benchmark (re)creates its own database
(`xianjie_bench_import` by default), migrates it, and drops it at the end unless --keep.

Data: a valid xlsx of 20,000 rows (--rows; households of 1–5 persons in 蓬江区's demo villages,
every optional column filled on some rows, valid ID numbers), imported by a city data admin.

Timed, interleaved, median of --repeat runs each, the tables truncated before each run:

- `new`: `households_import` end to end — read the xlsx, check every row (a few IN queries),
  then bulk INSERTs of households, persons, memberships and their history rows in one
  transaction (what the background job runs);
- `old`: the same read and checks, then the per-household write of before this change
  (`households.services.household_create` for each household: a save and a history signal
  per row, 8–9 queries a row). Kept here only, for the comparison. It is measured on --old-rows
  (2,000) rows and extrapolated per row to --rows (20,000 rows would take about 2 minutes a run);
- `new, --old-rows`: the new path on the same small file, for a like-for-like figure.

Prints a table; the last line is the figure: rows/s of each and the ratio. The figures, with
versions and CPU count, go to bench/results/household_import-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed_demo import ROOT, drop_database, migrate, recreate_database, with_database

RESULTS = ROOT / "bench" / "results"
DISTRICT = "440703"  # 蓬江区
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(rng: random.Random, seq: int) -> str:
    birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 30_000))
    first17 = f"440703{birth:%Y%m%d}{seq % 1000:03d}"
    return (
        first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]
    )


def make_xlsx(n_rows: int, village_codes: list[str], seed: int = 1) -> bytes:
    import openpyxl

    from households.resources import COLUMNS

    rng = random.Random(seed)
    headers = [c.header for c in COLUMNS]
    wb = openpyxl.Workbook()  # not write_only: shared strings and dimensions, as Excel writes
    ws = wb.active
    ws.append(headers)
    seen: set[str] = set()
    rows = household = 0
    while rows < n_rows:
        household += 1
        size = min(rng.choice((1, 2, 3, 3, 4, 5)), n_rows - rows)
        village = rng.choice(village_codes)
        for m in range(size):
            number = id_number(rng, rows)
            while number in seen:
                number = id_number(rng, rows + rng.randrange(1000))
            seen.add(number)
            disabled = rng.random() < 0.05
            ws.append(
                [
                    str(household),
                    village if m == 0 else "",
                    f"幸福路{household}号" if m == 0 else "",
                    rng.choice(("城镇", "农村")) if m == 0 else "",
                    "户主" if m == 0 else rng.choice(("配偶", "子女", "父母", "孙子女")),
                    f"居民{rows}",
                    number,
                    f"138{rows:08d}" if rng.random() < 0.5 else "",
                    "肢体" if disabled else "",
                    "2级" if disabled else "",
                    "",
                    rng.choice(("是", "否", "")),
                    rng.choice(("务农", "就业", "不适用", "")),
                    "江门农商银行" if m == 0 else "",
                    f"6200{rows:015d}" if m == 0 else "",
                ]
            )
            rows += 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--old-rows", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db-name", default="xianjie_bench_import")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
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


class QueryCounter:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.n += 1
        return execute(sql, params, many, context)


def old_import(*, by: Any, content: bytes, filename: str) -> Any:
    """The per-row path this change replaced: the same checks, then household_create per
    household (one save and one history signal per household, person and membership)."""
    from django.db import transaction

    from households import importing
    from households.services import MemberInput, household_create

    report = importing.ImportReport()
    checked = importing.households_check(by=by, report=report, content=content, filename=filename)
    assert checked is not None, report.errors[:5]
    with transaction.atomic():
        for g in checked.groups:
            members = []
            for r in g.rows:
                person = {k: r.values[k] for k in importing.PERSON_KEYS if k in r.values}
                for k in ("in_school", "employment_status"):
                    if person.get(k) in ("", None):
                        person.pop(k, None)
                for k in ("phone", "disability_category", "bank_name", "bank_account"):
                    if person.get(k) is None:
                        person[k] = ""
                members.append(MemberInput(relation=r.values["relation"], person=person))
            household_create(
                village=checked.villages[g.household["village_code"][0]],
                address=g.household["address"][0],
                hukou_type=g.household["hukou_type"][0],
                members=members,
                by=by,
            )
    report.households, report.persons = len(checked.groups), report.rows
    return report


def run(args: argparse.Namespace) -> int:
    from django.db import connection

    from core.models import Region, User
    from core.roles import Role
    from households import demo, importing
    from households.models import Household, Membership, Person

    demo.ensure_villages()
    district = Region.objects.get(code=DISTRICT)
    codes = list(
        Region.objects.filter(level=Region.Level.VILLAGE, path__startswith=district.path)
        .order_by("code")
        .values_list("code", flat=True)[:40]
    )
    admin = User.objects.create(
        username="bench_data_admin", role=Role.DATA_ADMIN, region=Region.objects.get(code="440700")
    )
    print(f"Writing xlsx files of {args.rows:,} and {args.old_rows:,} rows…", flush=True)
    big = make_xlsx(args.rows, codes)
    small = make_xlsx(args.old_rows, codes, seed=2)
    tables = [
        m._meta.db_table
        for m in (Membership, Person, Household)
        for m in (m, m.history.model)  # type: ignore[attr-defined]
    ]

    def reset() -> None:
        with connection.cursor() as cur:
            cur.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")

    def timed(name: str, fn: Callable[..., Any], content: bytes) -> dict[str, Any]:
        reset()
        counter = QueryCounter()
        t0 = time.perf_counter()
        with connection.execute_wrapper(counter):
            report = fn(by=admin, content=content, filename="户籍.xlsx")
        seconds = time.perf_counter() - t0
        assert report.ok, report.errors[:5]
        assert Person.objects.count() == report.rows and Membership.objects.count() == report.rows
        assert Person.history.count() == report.rows  # one creation history row each
        print(
            f"  {name:<10} {report.rows:>7,} rows {seconds:>8.2f} s "
            f"{report.rows / seconds:>9,.0f} rows/s {counter.n:>5} queries",
            flush=True,
        )
        return {"rows": report.rows, "seconds": seconds, "queries": counter.n}

    runs: dict[str, list[dict[str, Any]]] = {"new": [], "new_small": [], "old_small": []}
    for i in range(args.repeat):
        print(f"Run {i + 1} of {args.repeat}", flush=True)
        runs["new"].append(timed("new", importing.households_import, big))
        runs["new_small"].append(timed("new", importing.households_import, small))
        runs["old_small"].append(timed("old", old_import, small))
    reset()

    def median(key: str) -> dict[str, Any]:
        seconds = statistics.median(r["seconds"] for r in runs[key])
        rows = runs[key][0]["rows"]
        return {
            "rows": rows,
            "median_s": seconds,
            "runs_s": [round(r["seconds"], 2) for r in runs[key]],
            "rows_per_s": rows / seconds,
            "queries_per_row": runs[key][0]["queries"] / rows,
        }

    new, new_small, old = median("new"), median("new_small"), median("old_small")
    old_extrapolated = args.rows / old["rows_per_s"]
    print()
    print(f"{'method':<44} {'rows':>7} {'median s':>9} {'rows/s':>9} {'queries/row':>12}")
    for label, m in (
        ("new: check + bulk INSERT with history", new),
        ("new, small file", new_small),
        ("old: household_create per household", old),
    ):
        print(
            f"{label:<44} {m['rows']:>7,} {m['median_s']:>9.2f} {m['rows_per_s']:>9,.0f} "
            f"{m['queries_per_row']:>12.2f}"
        )
    print(
        f"old path at {args.rows:,} rows, extrapolated per row: {old_extrapolated:.0f} s "
        f"(gunicorn's worker timeout is 30 s)"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"household_import-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "new": new,
                "new_small": new_small,
                "old_small": old,
                "old_extrapolated_s": old_extrapolated,
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "postgres": connection.cursor().connection.info.server_version,
            },
            indent=2,
        )
    )
    print(f"Results written to {out.relative_to(ROOT)}")
    print(
        f"household import of {args.rows:,} rows: new {new['rows_per_s']:,.0f} rows/s "
        f"({new['median_s']:.1f} s), old {old['rows_per_s']:,.0f} rows/s "
        f"(measured on {old['rows']:,} rows), ratio {new['rows_per_s'] / old['rows_per_s']:.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
