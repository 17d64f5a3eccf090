"""Benchmark of the departments' dataset import (verification.datasets.importing).

    python -m config.stack exec python bench/verification_import.py [--rows 1000000] [--kinds all]

DATABASE_URL only names the server: the benchmark (re)creates its own database
(`xianjie_bench_verification`, --db-name), migrates it, and drops it at the end unless --keep.

Files (generated once, cached under var/bench/verification/): per kind a CSV of --rows rows
(UTF-8; a GBK variant of bank_deposit), and an XLSX of --xlsx-rows rows; about 1 % of rows carry
a wrong ID check character (reported, not staged). In one run:

- `ours`: the real validation task body (`snapshot_validate`: stream, map headers, clean every
  row, COPY the valid rows into the stage table and the bad cells into the error table, counts,
  limit, one transaction) on each kind's CSV; rows/s;
- `raw COPY`: the same bank CSV streamed with `COPY … FROM STDIN (FORMAT csv)` into a plain
  table of text columns (no validation at all): the ceiling;
- `django-import-export use_bulk`: a ModelResource with use_bulk on a --sample-rows sample;
- the bank CSV's raw COPY, ours on it and ours on its GBK twin are run --repeat times,
  interleaved (raw, ours, GBK, raw, …), and the medians reported: the ratio is of medians taken
  in the same minutes;
- peak memory: RSS high-water (ru_maxrss) of a spawned child that sets Django up and runs only
  our import of the 1M-row bank file (Django, polars and numpy included);
- XLSX: our validation of each kind's XLSX; rows/s.

Figures go to the "Dataset import" section of bench/results.md (`write_results`, which replaces
just its own section); the last line printed is the figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import re
import resource
import sys
import time
from multiprocessing import get_context
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed_demo import ROOT, drop_database, migrate, recreate_database, with_database

CACHE = ROOT / "var" / "bench" / "verification"
RESULTS_MD = ROOT / "bench" / "results.md"
SECTION = "Dataset import (verification)"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


# ----------------------------------------------------------------------------- results.md


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


# ----------------------------------------------------------------------------- files


def _id(rng: random.Random, bad: bool) -> str:
    birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 30_000))
    first17 = f"4407{rng.randrange(1, 99):02d}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    check = "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]
    if bad:
        check = "0" if check != "0" else "1"
    return first17 + check


def _value(f: Any, rng: random.Random, i: int) -> Any:
    from verification import kinds as K

    if f.clean is K._date:
        return (dt.date(2000, 1, 1) + dt.timedelta(days=i % 8000)).isoformat()
    if f.clean is K._amount:
        return f"{rng.randrange(0, 10_000_000) / 100:.2f}"
    if f.clean is K._area:
        return f"{rng.randrange(2000, 20000) / 100:.2f}"
    if f.clean is K._count:
        return str(2000 + i % 25) if f.name == "tax_year" else str(i % 7)
    if f.name == "name":
        return f"居民{i % 9973}"
    return f"{f.label}{i % 997}"


def rows_of(kind: Any, n: int, seed: int) -> Any:
    rng = random.Random(seed)
    for i in range(n):
        row = [_id(rng, rng.random() < 0.01)]
        row += [_value(f, rng, i) for f in kind.fields[1:]]
        yield row


def make_csv(kind: Any, n: int, encoding: str) -> Path:
    path = CACHE / f"{kind.code}-{n}-{encoding}.csv"
    if path.exists():
        return path
    import csv

    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding=encoding, newline="") as out:
        w = csv.writer(out)
        w.writerow([str(f.label) for f in kind.fields])
        w.writerows(rows_of(kind, n, seed=len(kind.code)))
    tmp.rename(path)
    return path


def make_xlsx(kind: Any, n: int) -> Path:
    path = CACHE / f"{kind.code}-{n}.xlsx"
    if path.exists():
        return path
    from openpyxl import Workbook  # a test fixture, not an export: core.exports is for users

    CACHE.mkdir(parents=True, exist_ok=True)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append([str(f.label) for f in kind.fields])
    for row in rows_of(kind, n, seed=len(kind.code) + 1):
        ws.append(row)
    tmp = path.with_suffix(".tmp")
    wb.save(tmp)
    tmp.rename(path)
    return path


# ----------------------------------------------------------------------------- runs


def ours(path: Path, kind: str, admin: Any) -> dict[str, Any]:
    """Our validation of one file, as the worker runs it; the stage emptied afterwards."""
    from django.db import connection

    from core.models import Job
    from verification.datasets.importing import snapshot_validate
    from verification.models import STAGE_MODELS, DatasetSnapshot, ImportRowError

    rel = path.relative_to(CACHE.parent)
    snap = DatasetSnapshot.objects.create(
        kind=kind,
        department="bench",
        as_of=dt.date(2026, 11, 30),
        file=str(rel),
        file_format=path.suffix.lstrip("."),
        original_name=path.name,
        sha256=f"{time.time_ns():064x}"[-64:],
        size=path.stat().st_size,
        uploaded_by=admin,
        job=Job.objects.create(kind="dataset_validate", created_by=admin),
    )
    t0 = time.perf_counter()
    status = snapshot_validate(snapshot_id=snap.pk)
    seconds = time.perf_counter() - t0
    snap.refresh_from_db()
    assert status == "validated", (status, snap.message)
    with connection.cursor() as cur:
        cur.execute(f"TRUNCATE {STAGE_MODELS[kind]._meta.db_table}")
    ImportRowError.objects.filter(snapshot=snap).delete()
    rows = snap.rows_total
    return {"rows": rows, "invalid": snap.rows_invalid, "seconds": seconds, "rate": rows / seconds}


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median rate (its own seconds and rows with it)."""
    return sorted(runs, key=lambda r: r["rate"])[len(runs) // 2]


def _rates(runs: list[dict[str, Any]]) -> str:
    return ", ".join(f"{r['rate']:,.0f}" for r in runs)


def raw_copy(path: Path, kind: Any) -> dict[str, Any]:
    from django.db import connection

    cols = [f.name for f in kind.fields]
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_raw_copy")
        cur.execute(f"CREATE TABLE bench_raw_copy ({', '.join(c + ' text' for c in cols)})")
    raw = connection.connection
    assert raw is not None
    t0 = time.perf_counter()
    with raw.cursor() as cur, open(path, "rb") as f:
        with cur.copy("COPY bench_raw_copy FROM STDIN (FORMAT csv, HEADER, ENCODING 'UTF8')") as c:
            while chunk := f.read(1 << 20):
                c.write(chunk)
        raw.commit()
    seconds = time.perf_counter() - t0
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM bench_raw_copy")
        (rows,) = cur.fetchone()
        cur.execute("DROP TABLE bench_raw_copy")
    return {"rows": rows, "seconds": seconds, "rate": rows / seconds}


def import_export(path: Path, kind: Any, n: int, admin: Any) -> dict[str, Any]:
    """django-import-export, use_bulk, on the first n rows of the same CSV (field-name headers)."""
    import csv

    import tablib
    from import_export import resources

    from verification.models import STAGE_MODELS, DatasetSnapshot

    model = STAGE_MODELS[kind.code]
    snap = DatasetSnapshot.objects.create(
        kind=kind.code,
        department="bench",
        as_of=dt.date(2026, 11, 30),
        file="x",
        file_format="csv",
        sha256="ie",
        uploaded_by=admin,
    )
    names = [f.name for f in kind.fields]
    data = tablib.Dataset(headers=["snapshot", "row_no", *names])
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for i, row in enumerate(reader):
            if i >= n:
                break
            data.append([snap.pk, i + 2, *row])

    class StageResource(resources.ModelResource):
        class Meta:
            model = STAGE_MODELS[kind.code]
            fields = ("snapshot", "row_no", *names)
            use_bulk = True
            batch_size = 5000
            skip_unchanged = False
            skip_diff = True
            force_init_instance = True
            import_id_fields: tuple[str, ...] = ()

    t0 = time.perf_counter()
    result = StageResource().import_data(data, dry_run=False, raise_errors=False)
    seconds = time.perf_counter() - t0
    staged = model.objects.filter(snapshot_id=snap.pk).count()
    model.objects.filter(snapshot_id=snap.pk).delete()
    return {
        "rows": len(data),
        "staged": staged,
        "errors": result.has_errors() or result.has_validation_errors(),
        "seconds": seconds,
        "rate": len(data) / seconds,
    }


def _child_peak(path: str, kind: str, admin_id: int, conn: Any) -> None:
    import django

    django.setup()  # a spawned child: a fresh interpreter (polars' threads do not survive fork)
    from core.models import User

    r = ours(Path(path), kind, User.objects.get(pk=admin_id))
    r["peak_mb"] = _high_water_mb()
    conn.send(r)
    conn.close()


def _high_water_mb() -> float:
    """This process's RSS high-water mark. On Linux VmHWM of /proc/self/status: ru_maxrss
    survives execve, so a spawned child would report its parent's peak (the fork before exec)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_memory(path: Path, kind: str, admin: Any) -> dict[str, Any]:
    """RSS high-water of a fresh process that sets Django up and imports the file (spawn, not
    fork: polars' thread pool, used by this process, must not be forked)."""
    ctx = get_context("spawn")
    parent, child = ctx.Pipe()
    p = ctx.Process(target=_child_peak, args=(str(path), kind, admin.pk, child))
    p.start()
    r = parent.recv()
    p.join()
    return r


# ----------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--sample-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the headline trio")
    parser.add_argument("--kinds", default="all", help="comma-separated kind codes, or all")
    parser.add_argument("--db-name", default="xianjie_bench_verification")
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
    os.environ["MEDIA_ROOT"] = str(CACHE.parent)
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
    from core.models import Region, User
    from core.roles import Role
    from verification import kinds as K

    codes = list(K.KINDS) if args.kinds == "all" else args.kinds.split(",")
    admin = User.objects.create(
        username="bench_data_admin", role=Role.DATA_ADMIN, region=Region.objects.get(code="440700")
    )
    bank = K.KINDS["bank_deposit"]
    print(f"Generating (or reusing) files under {CACHE}…", flush=True)
    t0 = time.perf_counter()
    csvs = {c: make_csv(K.KINDS[c], args.rows, "utf-8") for c in codes}
    bank_csv = csvs.get("bank_deposit") or make_csv(bank, args.rows, "utf-8")
    bank_gbk = make_csv(bank, args.rows, "gbk")
    xlsxs = {c: make_xlsx(K.KINDS[c], args.xlsx_rows) for c in codes}
    print(f"  files ready in {time.perf_counter() - t0:.0f} s", flush=True)

    lines = []
    trios: dict[str, list[dict[str, Any]]] = {"raw": [], "ours": [], "gbk": []}
    for i in range(args.repeat):
        trios["raw"].append(raw_copy(bank_csv, bank))
        trios["ours"].append(ours(bank_csv, "bank_deposit", admin))
        trios["gbk"].append(ours(bank_gbk, "bank_deposit", admin))
        print(
            f"  run {i + 1}: raw COPY {trios['raw'][-1]['rate']:,.0f}, ours "
            f"{trios['ours'][-1]['rate']:,.0f}, ours GBK {trios['gbk'][-1]['rate']:,.0f} rows/s",
            flush=True,
        )
    raw, ours_bank, ours_gbk = (_median(trios[k]) for k in ("raw", "ours", "gbk"))
    print(f"raw COPY bank_deposit: {raw['rate']:,.0f} rows/s (median)", flush=True)
    print(f"ours bank_deposit csv: {ours_bank['rate']:,.0f} rows/s (median)", flush=True)
    print(f"ours bank_deposit GBK csv: {ours_gbk['rate']:,.0f} rows/s (median)", flush=True)
    ie = import_export(bank_csv, bank, args.sample_rows, admin)
    print(f"import-export use_bulk: {ie['rate']:,.0f} rows/s", flush=True)
    peak = peak_memory(bank_csv, "bank_deposit", admin)
    print(f"peak RSS: {peak['peak_mb']:.0f} MB", flush=True)
    per_kind = []
    for c in codes:
        r_csv = ours_bank if c == "bank_deposit" else ours(csvs[c], c, admin)
        r_x = ours(xlsxs[c], c, admin)
        per_kind.append((c, r_csv, r_x))
        print(f"  {c}: csv {r_csv['rate']:,.0f} rows/s, xlsx {r_x['rate']:,.0f} rows/s", flush=True)

    share = ours_bank["rate"] / raw["rate"]
    xlsx_min = min(r_x["rate"] for _c, _r, r_x in per_kind)
    lines.append(
        f"Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{dt.date.today().isoformat()}; `bench/verification_import.py --rows {args.rows}`."
    )
    lines.append("")
    lines.append("| path | file | rows | seconds | rows/s |")
    lines.append("|---|---|---:|---:|---:|")
    lines.append(
        f"| raw COPY (no validation) | bank csv | {raw['rows']:,} | {raw['seconds']:.1f} "
        f"| {raw['rate']:,.0f} |"
    )
    lines.append(
        f"| ours (full validation) | bank csv UTF-8 | {ours_bank['rows']:,} "
        f"| {ours_bank['seconds']:.1f} | {ours_bank['rate']:,.0f} |"
    )
    lines.append(
        f"| ours (full validation) | bank csv GBK | {ours_gbk['rows']:,} "
        f"| {ours_gbk['seconds']:.1f} | {ours_gbk['rate']:,.0f} |"
    )
    lines.append(
        f"| django-import-export use_bulk | bank csv sample | {ie['rows']:,} "
        f"| {ie['seconds']:.1f} | {ie['rate']:,.0f} |"
    )
    lines.append("")
    lines.append("| kind | csv rows/s | xlsx rows/s |")
    lines.append("|---|---:|---:|")
    for c, r_csv, r_x in per_kind:
        lines.append(f"| {c} | {r_csv['rate']:,.0f} | {r_x['rate']:,.0f} |")
    lines.append("")
    lines.append(
        f"Ours ÷ raw COPY: **{share:.0%}** (target ≥ 50 %, stretch 80 %). XLSX slowest kind: "
        f"**{xlsx_min:,.0f} rows/s** (target ≥ 60,000). Peak RSS of the process importing the "
        f"{args.rows:,}-row file: **{peak['peak_mb']:.0f} MB** (target < 300 MB; a fresh "
        f"process, Django included). Medians of {args.repeat} interleaved runs for the bank "
        f"file: raw COPY {_rates(trios['raw'])}; ours {_rates(trios['ours'])}; GBK "
        f"{_rates(trios['gbk'])} rows/s."
    )
    if not args.no_results:
        write_results(SECTION, "\n".join(lines))
    print(
        f"import: ours {ours_bank['rate']:,.0f} rows/s = {share:.0%} of raw COPY "
        f"{raw['rate']:,.0f}; import-export {ie['rate']:,.0f}; xlsx min {xlsx_min:,.0f} rows/s; "
        f"peak {peak['peak_mb']:.0f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
