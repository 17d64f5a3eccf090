"""A killed worker does not leave jobs stuck (issue 6, defect 12): tasks are acknowledged late and
redelivered; a job queued or running without a sign of life past its limit is marked failed by the
beat sweep; the payroll page then shows the failure and "Build again"; approval says why it cannot
proceed; a restart is idempotent. The last test kills a real worker in the middle of a build."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from assistance.models import Payroll
from assistance.payroll import services as P
from assistance.payroll.tasks import build_payroll
from config.celery import app as celery_app
from core.jobs import jobs_fail_stale
from core.models import Job

from ..conftest import login
from .conftest import DEC, S, build_confirmed

ROOT = Path(__file__).resolve().parents[2]


def _start(district, by, callbacks):  # type: ignore[no-untyped-def]
    with callbacks(execute=False):
        job = P.payroll_build_start(county=district, month=DEC, by=by)
    return job, Payroll.objects.get(county=district, month=DEC)


def test_worker_settings_redeliver_a_lost_task():
    conf = celery_app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_time_limit == settings.JOB_TIME_LIMIT
    # Redis hands an unacknowledged task to another worker only after the visibility timeout:
    # it must outlast the longest job, or a slow build would run twice at once.
    assert conf.broker_transport_options["visibility_timeout"] > settings.JOB_TIME_LIMIT
    beat = settings.CELERY_BEAT_SCHEDULE["core-fail-stale-jobs"]
    assert beat["task"] == "core.fail_stale_jobs"


@pytest.mark.django_db
def test_sweep_fails_only_jobs_silent_past_the_limit(
    confirmed_case, ca_pengjiang, district, django_capture_on_commit_callbacks
):
    t0 = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
    limit = dt.timedelta(minutes=settings.JOB_STALE_AFTER_MINUTES)
    with time_machine.travel(t0, tick=False):
        stuck, _payroll = _start(district, ca_pengjiang, django_capture_on_commit_callbacks)
        done = Job.objects.create(kind="x", status=Job.Status.DONE)
    with time_machine.travel(t0 + limit - dt.timedelta(seconds=1), tick=False):
        assert jobs_fail_stale() == []
        fresh = Job.objects.create(kind="x", status=Job.Status.RUNNING)
    with time_machine.travel(t0 + limit + dt.timedelta(seconds=1), tick=False):
        assert jobs_fail_stale() == [stuck.pk]
        assert jobs_fail_stale() == []  # idempotent
    stuck.refresh_from_db()
    assert stuck.status == Job.Status.FAILED and stuck.finished_at is not None
    assert "no sign of life" in stuck.message
    assert Job.objects.get(pk=fresh.pk).status == Job.Status.RUNNING
    assert Job.objects.get(pk=done.pk).status == Job.Status.DONE


@pytest.mark.django_db
def test_failed_job_shows_on_the_page_with_build_again_and_approval_says_why(
    client, api, confirmed_case, ca_pengjiang, district, django_capture_on_commit_callbacks
):
    t0 = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(t0, tick=False):
        job, payroll = _start(district, ca_pengjiang, django_capture_on_commit_callbacks)
    with time_machine.travel(t0 + dt.timedelta(hours=2), tick=False):
        c = login(client, ca_pengjiang)
        detail = reverse("assistance_payroll:detail", args=[payroll.pk])
        page = c.get(detail).content.decode()
        assert "hx-get" in page and "Build again" not in page  # still "running"
        jobs_fail_stale()
        page = c.get(detail).content.decode()
        assert 'data-testid="job-failed"' in page and "no sign of life" in page
        assert "Build again" in page and "hx-get" not in page
        resp = c.post(reverse("assistance_payroll:approve", args=[payroll.pk]), follow=True)
        assert "The last build of this payroll failed" in resp.content.decode()
        api.force_authenticate(ca_pengjiang)
        r = api.post(f"/api/v1/payrolls/{payroll.pk}/approve/")
        assert r.status_code == 409
        assert "The last build of this payroll failed" in str(r.json())
        # Restart from the page: a new job, and the payroll is built.
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            c.post(reverse("assistance_payroll:build"), {"county": district.pk, "month": "2026-12"})
        assert len(callbacks) == 1
        new = Job.objects.exclude(pk=job.pk).get(kind=P.JOB_KIND)
        build_payroll.apply(args=(new.pk, district.pk, DEC.isoformat(), ca_pengjiang.pk))
        # The old task, redelivered late, is superseded by the restart: it builds nothing.
        assert (
            build_payroll.apply(args=(job.pk, district.pk, DEC.isoformat(), ca_pengjiang.pk)).result
            is None
        )
    payroll.refresh_from_db()
    assert (payroll.status, payroll.line_count, payroll.job_id) == (Payroll.Status.DRAFT, 1, new.pk)
    assert Job.objects.get(pk=new.pk).status == Job.Status.DONE
    assert Job.objects.get(pk=job.pk).status == Job.Status.FAILED


# ----------------------------------------------------------------------------- a real worker


def _worker(queue: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "CELERY_VISIBILITY_TIMEOUT": "2",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "PYTHONPATH": str(ROOT),
    }
    if os.environ.get("XIANJIE_TEST_NOW"):
        # The suite runs on a shifted clock (make test): the worker's clock must agree with this
        # process's, or its heartbeats look years old or in the future (see slow_worker).
        env["XIANJIE_WORKER_NOW"] = timezone.now().isoformat()
    cmd = [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo", "-Q", queue]
    cmd += ["-I", "tests.assistance.slow_worker", "-l", "warning"]
    cmd += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
    return subprocess.Popen(  # noqa: S603
        cmd, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL
    )


def _test_database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def _wait_for(check, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True)
def test_killed_worker_job_is_failed_then_redelivered_and_completed(
    client, village_a, cw_baisha, cw_baisha_2, ca_pengjiang, district
):
    case = build_confirmed(village_a, maker=cw_baisha, second=cw_baisha_2, checker=ca_pengjiang)
    assert case.status == S.CONFIRMED
    queue = f"test-killed-worker-{uuid.uuid4().hex[:8]}"
    routes = celery_app.conf.task_routes
    celery_app.conf.task_routes = {"assistance.build_payroll": {"queue": queue}}
    first = _worker(queue)
    second = None
    try:
        job = P.payroll_build_start(county=district, month=DEC, by=ca_pengjiang)  # enqueued
        payroll = Payroll.objects.get(county=district, month=DEC)

        def started() -> bool:
            return Job.objects.get(pk=job.pk).progress_done > 0

        assert _wait_for(started, 90), (
            "the worker never started the build"
        )  # a cold start on a busy CI machine
        _stop(first, signal.SIGKILL)  # mid-build: the task is neither acknowledged nor done
        killed_at = time.monotonic()
        job.refresh_from_db()
        assert job.status == Job.Status.RUNNING and 0 < job.percent < 100
        assert job.updated_at > job.created_at  # progress is the heartbeat

        assert jobs_fail_stale() == []  # it was heard from a moment ago
        stale = timezone.now() + dt.timedelta(minutes=settings.JOB_STALE_AFTER_MINUTES + 1)
        with time_machine.travel(stale):
            assert jobs_fail_stale() == [job.pk]
        job.refresh_from_db()
        assert job.status == Job.Status.FAILED
        page = login(client, ca_pengjiang).get(
            reverse("assistance_payroll:detail", args=[payroll.pk])
        )
        assert "Build again" in page.content.decode()  # restartable from its page

        # A new worker gets the unacknowledged task back once its visibility timeout has passed.
        time.sleep(max(0.0, killed_at + 2.5 - time.monotonic()))
        second = _worker(queue)

        def done() -> bool:
            return Job.objects.get(pk=job.pk).status == Job.Status.DONE

        assert _wait_for(done, 90), Job.objects.get(pk=job.pk).message
        payroll.refresh_from_db()
        assert (payroll.status, payroll.line_count) == (Payroll.Status.DRAFT, 1)
    finally:
        celery_app.conf.task_routes = routes
        _stop(first, signal.SIGKILL)
        if second is not None:
            _stop(second)
