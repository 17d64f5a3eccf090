"""Imported by the Celery worker that tests/assistance/test_payroll_jobs.py starts (`-I`): every
progress report of the payroll build then takes a second, so the test can kill the worker while a
build is under way. Never imported by the application."""

import datetime as dt
import os
import time

import time_machine

from assistance.payroll import services as payroll

# On a shifted test clock, the worker travels to the test's "now" too (from its start, ticking).
if os.environ.get("XIANJIE_WORKER_NOW"):
    time_machine.travel(
        dt.datetime.fromisoformat(os.environ["XIANJIE_WORKER_NOW"]), tick=True
    ).start()

_real_writer = payroll.job_progress_writer


def _slow_writer(job):  # type: ignore[no-untyped-def]
    progress, close = _real_writer(job)

    def slow(done: int, total: int, message: str) -> None:
        progress(done, total, message)
        time.sleep(1)

    return slow, close


payroll.job_progress_writer = _slow_writer
