"""Page and API-list response times at 300,000 households, served the way `make run` serves.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xianjie REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/pages.py [--reuse] [--keep]

DATABASE_URL only names the server and credentials: the benchmark (re)creates its own database
(`xianjie_bench_pages`), migrates it, seeds it with `manage.py seed_demo --households 300000`
(households/demo.py, COPY), `demo_users` and `seed_demo_cases` (assistance/demo.py), adds dibao
cases for 3 % of the households (bulk, bypassing the services), ANALYZEs, then serves it with
gunicorn exactly as `make run` does (config.stack.web_command / serve_env: DEBUG off, 3 workers)
and drives every main page and API list as a town caseworker (白沙街道), a district reviewer
(蓬江区) and a city user, first with 1 client, then with 20 concurrent clients.

`--reuse`: keep using an existing, fully seeded benchmark database (only migrate + ANALYZE);
`--keep`: do not drop the database at the end (so the next run can `--reuse` it). Seeding takes
about 1–2 minutes, the measurements 6–10 minutes on a 2-core machine.

A yardstick (a static file through gunicorn and WhiteNoise) is measured first and last: these
machines' speed moves by up to 2× between runs, so the table also gives each page's p95 as a
multiple of the yardstick's in the same run, which compares across runs.

A markdown table goes to bench/results/pages-<date>.md (git-ignored); the last line printed is
`pages: worst p95 <N> ms at 1 client, <M> ms at 20 clients (<page>)`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from seed_demo import ROOT, drop_database, migrate, with_database

RESULTS = ROOT / "bench" / "results"
PASSWORD = "bench-pages-demo"
DISTRICT, TOWN = "440703", "440703002"  # 蓬江区, 白沙街道
USERS = {  # role label → demo user (core/management/commands/demo_users.py)
    "T": "cw_baisha",  # 白沙街道 caseworker
    "D": "ca_pengjiang",  # 蓬江区 civil-affairs reviewer
    "C": "data_admin",  # city data administrator (sees every district, may search by ID)
}
YARDSTICK = "yardstick: a static file"
CASE_SHARE = 33  # one household in 33 has a dibao case (≈ 3 %, Jiangmen's order of magnitude)


# ------------------------------------------------------------------------------------------
# The database
# ------------------------------------------------------------------------------------------


def database_state(url: str, name: str) -> tuple[int, int] | None:
    """(households, dibao cases) of an existing benchmark database, or None."""
    import psycopg

    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return None
    try:
        with psycopg.connect(with_database(url, name)) as conn:
            h = conn.execute("SELECT count(*) FROM households_household").fetchone()
            c = conn.execute("SELECT count(*) FROM assistance_dibaocase").fetchone()
            return (h[0] if h else 0, c[0] if c else 0)
    except psycopg.Error:
        return None


def recreate(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], check=True, cwd=ROOT, env=env)


def seed_cases() -> int:
    """Dibao cases for one household in CASE_SHARE, in every stage (most active, with an award),
    written with bulk_create (fields added later get their defaults). Made by the town's demo
    caseworker where it is 白沙街道, else by the city data administrator."""
    from django.db import connection, transaction

    from assistance.models import BenefitAward, DibaoCase
    from core.models import User

    S = DibaoCase.Status
    stages = [S.APPLIED, S.ACCEPTED, S.INVESTIGATING, S.PROPOSED, S.IN_NOTICE, S.CONFIRMED]
    stages += [S.UNDER_REVIEW, S.SUSPENDED, S.REFUSED] + [S.ACTIVE] * 21
    maker = User.objects.get(username="data_admin")
    today = dt.date.today()
    start = today - dt.timedelta(days=400)
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT m.household_id, m.person_id FROM households_membership m
            WHERE m.relation = 'head' AND m.end_date IS NULL AND m.household_id %% %s = 0
              AND NOT EXISTS (SELECT 1 FROM assistance_dibaocase c
                              WHERE c.household_id = m.household_id)
            ORDER BY m.household_id
            """,
            [CASE_SHARE],
        )
        heads = cur.fetchall()
    cases = []
    for i, (household_id, person_id) in enumerate(heads):
        status = stages[i % len(stages)]
        applied = today - dt.timedelta(days=3 + i % 60) if status in stages[:6] else start
        paid = status in (S.ACTIVE, S.UNDER_REVIEW, S.SUSPENDED, S.CONFIRMED)
        cases.append(
            DibaoCase(
                household_id=household_id,
                applicant_id=person_id,
                status=status,
                applied_on=applied,
                accepted_on=applied + dt.timedelta(days=1) if status != S.APPLIED else None,
                investigation_due=applied + dt.timedelta(days=10),
                procedure_due=applied + dt.timedelta(days=30),
                confirmed_on=applied + dt.timedelta(days=25) if paid else None,
                confirmed_by=maker if paid else None,
                payment_start_month=dt.date(start.year, start.month, 1) if paid else None,
                review_interval_months=12 if paid else None,
                next_review_due=today + dt.timedelta(days=i % 365) if paid else None,
                refused_on=applied + dt.timedelta(days=25) if status == S.REFUSED else None,
                refusal_reasons="收入高于标准" if status == S.REFUSED else "",
                created_by=maker,
            )
        )
    with transaction.atomic():
        made = DibaoCase.objects.bulk_create(cases, batch_size=2_000)
        awards = [
            BenefitAward(
                case=c,
                effective_month=c.payment_start_month,
                base_amount=300 + (c.pk * 37) % 700,
                supplement_amount=0,
                total=300 + (c.pk * 37) % 700,
                members=2,
                reason="confirmation",
                decided_by=maker,
                decided_on=c.confirmed_on,
            )
            for c in made
            if c.payment_start_month
        ]
        BenefitAward.objects.bulk_create(awards, batch_size=2_000)
    return len(made)


def analyze(url: str, *, vacuum: bool) -> None:
    """Planner statistics for every table. After a fresh seed also VACUUM: a database in use has
    had autovacuum set its visibility maps (index-only scans); a bulk load has not."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")


# ------------------------------------------------------------------------------------------
# The server
# ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    from config.stack import serve_env, web_command

    env = {**env, **serve_env(dev=False), "WEB_CONCURRENCY": str(workers)}
    os.environ["WEB_CONCURRENCY"] = str(workers)  # web_command reads it from here
    log = open(RESULTS / "pages-gunicorn.log", "wb")  # noqa: SIM115 (closed with the process)
    proc = subprocess.Popen(
        web_command(dev=False, port=str(port)), cwd=ROOT, env=env, stdout=log, stderr=log
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn exited ({proc.returncode}); see {log.name}") from None
            time.sleep(0.3)
    raise SystemExit("gunicorn did not start in 60 s")


# ------------------------------------------------------------------------------------------
# The pages
# ------------------------------------------------------------------------------------------


@dataclass
class Target:
    role: str  # T / D / C
    page: str  # a short name
    url: str


@dataclass
class Row:
    page: str
    role: str
    url: str
    one: list[float] = field(default_factory=list)  # ms
    many: list[float] = field(default_factory=list)
    status: int = 0
    errors: int = 0


def pick_values() -> dict[str, dict[str, str]]:
    """For each role, search values that exist in its area: a full name and an ID-number
    suffix of an active head of household there."""
    from django.db import connection

    where = {"T": f"{TOWN}%", "D": f"{DISTRICT}%", "C": "%"}
    values: dict[str, dict[str, str]] = {}
    with connection.cursor() as cur:
        for role, code in where.items():
            cur.execute(
                """
                SELECT p.name, p.id_number FROM households_person p
                JOIN core_region r ON r.id = p.region_id
                WHERE r.code LIKE %s AND p.name NOT LIKE '陈%%'
                ORDER BY p.id LIMIT 1 OFFSET 57
                """,
                [code],
            )
            name, number = cur.fetchone()  # type: ignore[misc]
            cur.execute(
                """
                SELECT count(*) FROM households_household h
                JOIN core_region r ON r.id = h.village_id WHERE r.code LIKE %s
                """,
                [code],
            )
            pages = (cur.fetchone()[0] + 49) // 50  # type: ignore[index]
            cur.execute(
                "SELECT id FROM core_region WHERE code IN (%s, %s) ORDER BY code", [DISTRICT, TOWN]
            )
            district, town = (r[0] for r in cur.fetchall())
            values[role] = {
                "name": name,
                "suffix": number[-6:],
                "id": number,
                # Page 500, or the last page where there are fewer (the API answers 404 past it).
                "deep": str(min(500, pages)),
                "district": str(district),
                "town": str(town),
            }
    return values


def targets(values: dict[str, dict[str, str]]) -> list[Target]:
    q = quote
    out: list[Target] = []
    for role in USERS:
        v = values[role]
        county = "" if role != "C" else f"?county={DISTRICT}"
        deep = v["deep"]
        place = {"C": f"district={v['district']}", "D": f"town={v['town']}", "T": ""}[role]
        pages = [
            ("home", "/"),
            ("households", "/households/"),
            ("households q=陈", f"/households/?q={q('陈')}"),
            ("households q=<full name>", f"/households/?q={q(v['name'])}"),
            ("households q=<ID suffix 6>", f"/households/?q={v['suffix']}"),
            ("households q=<ID number>", f"/households/?q={v['id']}"),
            (f"households page {deep}", f"/households/?page={deep}"),
            *([("households " + place.split("=")[0], f"/households/?{place}")] if place else []),
            *(
                [
                    (
                        "households " + place.split("=")[0] + " q=陈",
                        f"/households/?{place}&q={q('陈')}",
                    )
                ]
                if place
                else []
            ),
            ("dibao cases", "/dibao/"),
            ("dibao cases q=陈", f"/dibao/?q={q('陈')}"),
            ("programme cases", "/programmes/"),
            ("inbox", "/work/inbox/"),
            ("payrolls", "/payroll/"),
            ("report", f"/work/report/{county}"),
            ("api households", "/api/v1/households/"),
            ("api households q=陈", f"/api/v1/households/?q={q('陈')}"),
            ("api households q=<ID suffix 6>", f"/api/v1/households/?q={v['suffix']}"),
            (f"api households page {deep}", f"/api/v1/households/?page={deep}"),
            ("api persons", "/api/v1/persons/"),
            ("api persons name=陈", f"/api/v1/persons/?name={q('陈')}"),
            ("api persons name=<full name>", f"/api/v1/persons/?name={q(v['name'])}"),
            ("api dibao-cases", "/api/v1/dibao-cases/"),
            ("api programme-cases", "/api/v1/programme-cases/"),
            ("api payrolls", "/api/v1/payrolls/"),
            ("api regions", "/api/v1/regions/"),
        ]
        out += [Target(role, page, url) for page, url in pages]
    return out


def login(base: str, username: str):  # type: ignore[no-untyped-def]
    import requests

    s = requests.Session()
    r = s.get(f"{base}/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', r.text)
    assert token, "no CSRF token on the login page"
    r = s.post(
        f"{base}/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": f"{base}/login/"},
        timeout=30,
        allow_redirects=False,
    )
    assert r.status_code == 302, f"login of {username} failed ({r.status_code})"
    return s


def fetch(session, url: str) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    r = session.get(url, timeout=120, allow_redirects=False)
    _ = r.content
    return (time.perf_counter() - started) * 1000, r.status_code


def p95(samples: list[float]) -> float:
    """The nearest-rank 95th percentile: the smallest sample that at least 95 % of the samples
    do not exceed (of 40: the 38th). An earlier version rounded 0.95·n + 0.5 half-to-even, which
    for 20 samples took the 20th — the maximum, so one stall decided a page's figure."""
    if not samples:
        return 0.0
    s = sorted(samples)
    return s[max(0, math.ceil(0.95 * len(s)) - 1)]


def median(samples: list[float]) -> float:
    s = sorted(samples)
    return s[len(s) // 2] if s else 0.0


def measure(
    base: str, rows: list[Row], sessions: dict[str, object], n_one: int, n_many: int, clients: int
) -> None:
    import requests

    for row in rows:  # 1 client: sequential requests after one warm-up per worker
        s = sessions[row.role]
        for _ in range(3):
            fetch(s, base + row.url)
        for _ in range(n_one):
            ms, status = fetch(s, base + row.url)
            row.one.append(ms)
            row.status = status
            row.errors += status != 200
        print(
            f"  1 client   {row.role} {row.page:<32} p95 {p95(row.one):7.0f} ms  "
            f"(median {median(row.one):.0f}, HTTP {row.status})",
            flush=True,
        )
    # 20 clients: each its own connection and session cookie (the same user's), all hitting one
    # page at once, n_many requests in all.
    for row in rows:
        if row.status == 403:  # not this role's page
            continue
        cookies = sessions[row.role].cookies  # type: ignore[attr-defined]
        lock = threading.Lock()
        remaining = [n_many]
        barrier = threading.Barrier(clients)

        def client(row: Row = row, cookies=cookies, lock=lock, remaining=remaining,  # type: ignore[no-untyped-def]
                   barrier=barrier) -> None:  # fmt: skip
            s = requests.Session()
            s.cookies.update(cookies)
            fetch(s, base + "/static/css/app.css")  # open the connection
            barrier.wait()
            while True:
                with lock:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                ms, status = fetch(s, base + row.url)
                with lock:
                    row.many.append(ms)
                    row.errors += status != 200

        threads = [threading.Thread(target=client) for _ in range(clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rate = len(row.many) / (time.perf_counter() - started)
        print(
            f"  {clients} clients {row.role} {row.page:<32} p95 {p95(row.many):7.0f} ms  "
            f"(median {median(row.many):.0f}, {rate:.1f} req/s)",
            flush=True,
        )


def report(rows: list[Row], args: argparse.Namespace, state: tuple[int, int], load: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M")
    path = RESULTS / f"pages-{stamp}.md"
    lines = [
        f"# Pages at {state[0]:,} households ({state[1]:,} dibao cases) — {stamp}",
        "",
        f"gunicorn {args.workers} workers, DEBUG off; {platform.python_version()}, "
        f"{os.cpu_count()} CPUs; load before: {load}; after: {os.getloadavg()}.",
        f"1 client: {args.requests} sequential requests a page (after 3 warm-ups); "
        f"{args.clients} clients: {args.concurrent_requests} requests a page, all at once.",
        "T = 白沙街道 caseworker, D = 蓬江区 reviewer, C = city data administrator.",
        "",
        f"| page | user | HTTP | median 1 (ms) | p95 1 (ms) | median {args.clients} (ms) "
        f"| p95 {args.clients} (ms) | non-200 | p95 1 ÷ yardstick | p95 {args.clients} ÷ yardstick |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    sticks = [r for r in rows if r.page.startswith(YARDSTICK)]
    stick_one = median([p95(r.one) for r in sticks]) if sticks else 0.0
    stick_many = median([p95(r.many) for r in sticks]) if sticks else 0.0
    lines.insert(
        4,
        f"Yardstick (median of its two rows): p95 {stick_one:.0f} ms at 1 client, "
        f"{stick_many:.0f} ms at {args.clients} clients.",
    )
    for r in rows:
        if r.status == 403:
            lines.append(f"| {r.page} | {r.role} | 403 | not for this role | | | | |")
            continue
        ratio_one = p95(r.one) / stick_one if stick_one else 0.0
        ratio_many = p95(r.many) / stick_many if stick_many else 0.0
        lines.append(
            f"| {r.page} | {r.role} | {r.status} | {median(r.one):.0f} | {p95(r.one):.0f} | "
            f"{median(r.many):.0f} | {p95(r.many):.0f} | {r.errors} | {ratio_one:.1f} | "
            f"{ratio_many:.1f} |"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=300_000)
    parser.add_argument("--db-name", default="xianjie_bench_pages")
    parser.add_argument("--reuse", action="store_true", help="reuse a seeded benchmark database")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--seed-only", action="store_true", help="seed, then stop (implies --keep)")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--requests", type=int, default=40, help="per page, 1 client")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--concurrent-requests", type=int, default=60, help="per page, N clients")
    parser.add_argument("--only", default="", help="regex: only pages whose name matches")
    parser.add_argument("--roles", default="TDC", help="which users (T, D, C)")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL")
    if not url:
        print("Set DATABASE_URL=postgres://user@host:5432/any (the server to benchmark on).")
        return 2
    bench_url = with_database(url, args.db_name)
    env = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DEMO_MODE": "1",
        "DEMO_PASSWORD": PASSWORD,
        # 20 clients of one user exceed the API's per-user rate on purpose: measured, not refused.
        "API_RATE_USER": "1000000/min",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench"),
    }
    os.environ.update({k: env[k] for k in ("REDIS_URL", "SECRET_KEY", "DEMO_MODE")})
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    state = database_state(url, args.db_name) if args.reuse else None
    fresh = not (state and state[0] >= args.households and state[1] > 0)
    if fresh:
        print(f"Creating database {args.db_name}, seeding {args.households:,} households…")
        recreate(url, args.db_name)
        migrate(bench_url)
        started = time.perf_counter()
        manage(env, "seed_demo", "--households", str(args.households), "-v0")
        manage(env, "demo_users", "-v0")
        manage(env, "seed_demo_cases", "-v0")
    else:
        print(f"Reusing {args.db_name} ({state[0]:,} households); migrating…")  # type: ignore[index]
        migrate(bench_url)
        manage(env, "demo_users", "-v0")  # the password of this run
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connections

    if fresh:
        made = seed_cases()
        print(f"  seeded in {time.perf_counter() - started:.0f} s ({made:,} bulk dibao cases)")
    print("VACUUM ANALYZE…" if fresh else "ANALYZE…", flush=True)
    analyze(bench_url, vacuum=fresh)
    state = database_state(url, args.db_name) or (0, 0)
    values = pick_values()
    connections.close_all()
    if args.seed_only:
        return 0

    RESULTS.mkdir(parents=True, exist_ok=True)
    # As `make run` serves: WhiteNoise serves the collected files (and the yardstick is one).
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    port = free_port()
    server = start_server(env, port, args.workers)
    base = f"http://127.0.0.1:{port}"
    try:
        sessions = {role: login(base, USERS[role]) for role in args.roles}
        only = re.compile(args.only) if args.only else None
        rows = [
            Row(t.page, t.role, t.url)
            for t in targets(values)
            if t.role in args.roles and (only is None or only.search(t.page))
        ]
        # The machine's yardstick, first and last: a static file through gunicorn, WhiteNoise
        # and nothing else of Django. These machines' speed moves between runs (2× seen);
        # the table's last columns divide each page's p95 by the yardstick's of the same run.
        rows = [Row(YARDSTICK, "C", "/static/css/app.css"), *rows]
        rows.append(Row(YARDSTICK + " (again)", "C", "/static/css/app.css"))
        print(f"{len(rows)} page × user combinations on {base} (load {load})", flush=True)
        measure(base, rows, sessions, args.requests, args.concurrent_requests, args.clients)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        if not args.keep and not args.reuse:
            drop_database(url, args.db_name)
    path = report(rows, args, state, load)
    print(f"Table: {path.relative_to(ROOT)}")
    for r in rows:
        if r.errors and r.status != 403:
            print(f"  warning: {r.role} {r.page}: {r.errors} non-200 answers (HTTP {r.status})")
    # A page the role may not open (the town caseworker and the district report) is left out.
    counted = [r for r in rows if r.status != 403 and not r.page.startswith(YARDSTICK)] or rows
    worst_one = max(counted, key=lambda r: p95(r.one))
    worst_many = max(counted, key=lambda r: p95(r.many))
    where = f"{worst_one.page} {worst_one.role}"
    if worst_many is not worst_one:
        where += f"; {worst_many.page} {worst_many.role}"
    print(
        f"pages: worst p95 {p95(worst_one.one):.0f} ms at 1 client, "
        f"{p95(worst_many.many):.0f} ms at {args.clients} clients ({where})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
