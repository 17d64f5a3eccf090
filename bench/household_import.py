"""Benchmark of the household spreadsheet import (households.importing): streaming vs before.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xianjie .venv/bin/python bench/household_import.py

DATABASE_URL only names the server and credentials: the benchmark (re)creates its own database
(`xianjie_bench_import` by default), migrates it, and drops it at the end unless --keep.

Data: a valid file of --rows persons (100,000 by default; households of 1–5 persons in 蓬江区's
demo villages, optional columns filled on some rows, valid ID numbers), as csv (default) or xlsx
(--format), imported by a city data admin.

- `after`: `households_import` as it is now — the file streamed into a temporary staging table
  (COPY), the whole-file checks in SQL, INSERT … SELECT of households, persons, memberships and
  their history rows;
- `before`: the import as it was before the streaming change (the file read whole into a tablib
  Dataset, every row kept as Python objects, bulk_create_with_history), loaded from git
  (`--before`, default the commit before the change) with its 20,000-row cap lifted for the run.

Each is timed (median of --repeat, tables truncated before each run), then run once more under
tracemalloc for the peak of Python memory. The last line is the figure: rows/s and peak MB of
each. The figures, with versions, go to bench/results/household_import-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import io
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed_demo import ROOT, drop_database, migrate, recreate_database, with_database

RESULTS = ROOT / "bench" / "results"
DISTRICT = "440703"  # 蓬江区
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
BEFORE = "d59fd6e"  # the last commit with the whole-file import


def id_number(seq: int) -> str:
    birth = dt.date(1940, 1, 1) + dt.timedelta(days=seq // 1000)
    first17 = f"440703{birth:%Y%m%d}{seq % 1000:03d}"
    return (
        first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]
    )


def make_rows(n_rows: int, village_codes: list[str], seed: int = 1) -> list[list[str]]:
    rng = random.Random(seed)
    rows: list[list[str]] = []
    household = 0
    while len(rows) < n_rows:
        household += 1
        size = min(rng.choice((1, 2, 3, 3, 4, 5)), n_rows - len(rows))
        village = rng.choice(village_codes)
        for m in range(size):
            i = len(rows)
            disabled = rng.random() < 0.05
            rows.append(
                [
                    str(household),
                    village if m == 0 else "",
                    f"幸福路{household}号" if m == 0 else "",
                    rng.choice(("城镇", "农村")) if m == 0 else "",
                    "户主" if m == 0 else rng.choice(("配偶", "子女", "父母", "孙子女")),
                    f"居民{i}",
                    id_number(i),
                    f"138{i:08d}" if rng.random() < 0.5 else "",
                    "肢体" if disabled else "",
                    "2级" if disabled else "",
                    "",
                    rng.choice(("是", "否", "")),
                    rng.choice(("务农", "就业", "不适用", "")),
                    "江门农商银行" if m == 0 else "",
                    f"6200{i:015d}" if m == 0 else "",
                ]
            )
    return rows


def make_file(rows: list[list[str]], fmt: str) -> bytes:
    from households.resources import COLUMNS

    headers = [c.header for c in COLUMNS]
    if fmt == "csv":
        import csv

        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(headers)
        writer.writerows(rows)
        return out.getvalue().encode("utf-8-sig")
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def load_before(commit: str) -> Any:
    """The importing module as of `commit`, as households._importing_before."""
    source = subprocess.run(
        ["git", "show", f"{commit}:households/importing.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "_importing_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("households._importing_before", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    module.MAX_ROWS = 10**9  # type: ignore[attr-defined]  # the cap lifted, to measure it
    module.MAX_BYTES = 10**12  # type: ignore[attr-defined]
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", default=BEFORE, help="git commit of the 'before' import")
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


def run(args: argparse.Namespace) -> int:
    from django.db import connection

    from core.models import Region, User
    from core.roles import Role
    from households import demo, importing
    from households.models import Household, Membership, Person

    before = load_before(args.before)
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
    print(f"Writing a {args.format} file of {args.rows:,} rows…", flush=True)
    content = make_file(make_rows(args.rows, codes), args.format)
    filename = f"户籍.{args.format}"
    tables = [
        m._meta.db_table
        for m in (Membership, Person, Household)
        for m in (m, m.history.model)  # type: ignore[attr-defined]
    ]

    def reset() -> None:
        with connection.cursor() as cur:
            cur.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")

    def once(fn: Callable[..., Any]) -> float:
        reset()
        t0 = time.perf_counter()
        report = fn(by=admin, content=content, filename=filename)
        seconds = time.perf_counter() - t0
        assert report.ok, report.errors[:5]
        assert Person.objects.count() == report.rows == args.rows
        assert Person.history.count() == report.rows  # one creation history row each
        return seconds

    def after(**kw: Any) -> Any:  # what the job does: the file as a stream
        return importing.households_import(
            by=kw["by"], stream=io.BytesIO(kw["content"]), filename=kw["filename"]
        )

    methods: dict[str, Callable[..., Any]] = {
        "after": after,
        "before": before.households_import,
    }
    runs: dict[str, list[float]] = {name: [] for name in methods}
    for i in range(args.repeat):
        for name, fn in methods.items():
            seconds = once(fn)
            runs[name].append(seconds)
            print(f"  run {i + 1} {name:<7} {seconds:>8.2f} s", flush=True)
    peaks: dict[str, float] = {}
    for name, fn in methods.items():
        tracemalloc.start()
        once(fn)
        peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        print(f"  peak Python memory {name:<7} {peaks[name]:>8.1f} MB", flush=True)
    reset()

    figures = {
        name: {
            "median_s": statistics.median(runs[name]),
            "runs_s": [round(s, 2) for s in runs[name]],
            "rows_per_s": args.rows / statistics.median(runs[name]),
            "peak_mb": peaks[name],
        }
        for name in methods
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"household_import-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "rows": args.rows,
                "format": args.format,
                "file_mb": len(content) / 2**20,
                "before_commit": args.before,
                **figures,
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "postgres": connection.cursor().connection.info.server_version,
            },
            indent=2,
        )
    )
    print(f"Results written to {out.relative_to(ROOT)}")
    a, b = figures["after"], figures["before"]
    print(
        f"household import of {args.rows:,} {args.format} rows: after {a['rows_per_s']:,.0f} "
        f"rows/s, peak {a['peak_mb']:.0f} MB; before {b['rows_per_s']:,.0f} rows/s, "
        f"peak {b['peak_mb']:.0f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
