"""Benchmark of `manage.py seed_demo` (households.demo), run against a throw-away database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xianjie .venv/bin/python bench/seed_demo.py

DATABASE_URL only names the server and credentials: the benchmark (re)creates its own database
(`xianjie_bench` by default), migrates it with `manage.py migrate`, and drops it at the end unless
--keep. It reports

(a) the COPY seeder for 300,000 households (one run): wall time and rows/s;
(b) for a smaller N (20,000): the same generator written with Django `bulk_create` (batches of
    5,000) against the COPY path, median of 3 runs each, and the ratio.

The table goes to stdout, the figures as JSON to bench/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def recreate_database(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def migrate(bench_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": bench_url}
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v0"],
        check=True,
        cwd=ROOT,
        env=env,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=300_000, help="(a) size")
    parser.add_argument("--small", type=int, default=20_000, help="(b) size")
    parser.add_argument("--repeat", type=int, default=3, help="(b) runs per method")
    parser.add_argument("--batch-size", type=int, default=5_000, help="bulk_create batch")
    parser.add_argument("--db-name", default="xianjie_bench")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL")
    if not url:
        print("Set DATABASE_URL=postgres://user@host:5432/any (the server to benchmark on).")
        return 2
    bench_url = with_database(url, args.db_name)
    # Settings insist on these; the benchmark never talks to Redis.
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
    from django.db import DatabaseError, connection

    from households import demo
    from households.models import Household, Membership, Person

    def reset() -> None:
        tables = ", ".join(m._meta.db_table for m in (Membership, Person, Household))
        with connection.cursor() as cur:
            cur.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            # Start each run with the same WAL state (needs privileges; it only reduces noise).
            with contextlib.suppress(DatabaseError):
                cur.execute("CHECKPOINT")

    def run(method: str, n: int) -> dict[str, float | int | str]:
        reset()
        started = time.perf_counter()
        if method == "copy":
            result = demo.seed_copy(n, seed=1)
        elif method == "copy (indexes kept)":
            result = demo.seed_copy(n, seed=1, rebuild_indexes=False)
        else:
            result = demo.seed_bulk_create(n, seed=1, batch_size=args.batch_size)
        seconds = time.perf_counter() - started
        row = {
            "method": method,
            "households": result.households,
            "persons": result.persons,
            "memberships": result.memberships,
            "rows": result.rows,
            "seconds": round(seconds, 2),
            "rows_per_second": round(result.rows / seconds),
        }
        print(
            f"  {method:<20} {n:>8,} households  {seconds:7.1f} s  "
            f"{row['rows_per_second']:>9,} rows/s",
            flush=True,
        )
        return row

    print(f"(a) COPY seeder, {args.households:,} households", flush=True)
    large = run("copy", args.households)

    print(f"(b) {args.small:,} households, {args.repeat} runs each", flush=True)
    methods = ["bulk_create", "copy", "copy (indexes kept)"]
    runs: dict[str, list[dict[str, float | int | str]]] = {m: [] for m in methods}
    for _ in range(args.repeat):
        for method in methods:  # interleaved, so drift in machine load hits all methods alike
            runs[method].append(run(method, args.small))
    small = {
        method: {
            "median_seconds": statistics.median(float(r["seconds"]) for r in rows),
            "runs_seconds": [r["seconds"] for r in rows],
            "rows": rows[0]["rows"],
        }
        for method, rows in runs.items()
    }
    for summary in small.values():
        summary["median_rows_per_second"] = round(
            int(summary["rows"]) / float(summary["median_seconds"])
        )
    ratio = small["bulk_create"]["median_seconds"] / small["copy"]["median_seconds"]

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        server_version = cur.fetchone()[0]
    print()
    print(f"{'case':<38} {'households':>10} {'rows':>10} {'seconds':>8} {'rows/s':>10}")
    print(
        f"{'(a) COPY':<38} {args.households:>10,} {large['rows']:>10,} "
        f"{large['seconds']:>8.1f} {large['rows_per_second']:>10,}"
    )
    for method, summary in small.items():
        label = f"(b) {method} (median of {args.repeat})"
        print(
            f"{label:<38} {args.small:>10,} {summary['rows']:>10,} "
            f"{summary['median_seconds']:>8.1f} {summary['median_rows_per_second']:>10,}"
        )
    print(
        f"COPY is {ratio:.1f}× faster than bulk_create (batch {args.batch_size:,}) at "
        f"{args.small:,} households."
    )

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"seed_demo-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "seed_demo",
                "when": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "postgresql": server_version,
                    "platform": platform.platform(),
                },
                "large": large,
                "small": {
                    "households": args.small,
                    "repeat": args.repeat,
                    "bulk_create_batch_size": args.batch_size,
                    "methods": small,
                    "runs": runs,
                    "bulk_create_over_copy": round(ratio, 2),
                },
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    print(f"Results written to {out.relative_to(ROOT)}")
    connection.close()
    if not args.keep:
        drop_database(url, args.db_name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
