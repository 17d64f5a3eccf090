"""Imported by the Celery worker that tests/assistance/test_payroll_jobs.py starts (`-I`): every
progress report of the payroll build then takes a second, so the test can kill the worker while a
build is under way. Never imported by the application."""

import time

from assistance.payroll import services as payroll

_real_writer = payroll.job_progress_writer


def _slow_writer(job):  # type: ignore[no-untyped-def]
    progress, close = _real_writer(job)

    def slow(done: int, total: int, message: str) -> None:
        progress(done, total, message)
        time.sleep(1)

    return slow, close


payroll.job_progress_writer = _slow_writer
