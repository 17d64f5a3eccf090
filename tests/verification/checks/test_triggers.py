"""The triggers: a merged snapshot re-checks pending applications and active cases (that kind's
rules only), an opened review re-checks its case, the beat tasks; all enqueued after the commit."""

from __future__ import annotations

import pytest

from assistance.models import DibaoCase
from verification import signals
from verification.checks import tasks
from verification.models import CrossCheckRun, Finding

from .conftest import ids_of, make_case, make_snapshot

S = DibaoCase.Status


@pytest.fixture
def eager():  # type: ignore[no-untyped-def]
    from config.celery import app

    old = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = old


@pytest.mark.django_db
def test_snapshot_merged_rechecks_with_that_kinds_rules(  # type: ignore[no-untyped-def]
    household_a, cw_baisha, data_admin, eager, django_capture_on_commit_callbacks
):
    make_case(household_a, by=cw_baisha, status=S.ACTIVE)
    with django_capture_on_commit_callbacks(execute=True):
        snap = make_snapshot(
            "motor_vehicle",
            [{"id_number": ids_of(household_a)[0], "plate": "粤J1", "vehicle_type": "轿车"}],
            by=data_admin,
        )
        signals.snapshot_merged.send(sender=None, snapshot=snap, by=data_admin)
    runs = list(CrossCheckRun.objects.order_by("id"))
    assert [r.scope for r in runs] == ["pending", "active"]
    assert all(r.trigger == "snapshot" and r.status == "done" for r in runs)
    assert {c for r in runs for c in r.rule_ids} == set(
        __import__("verification")
        .models.CrossCheckRule.objects.filter(kind="motor_vehicle")
        .values_list("pk", flat=True)
    )
    assert Finding.objects.get().last_run == runs[1]


@pytest.mark.django_db
def test_review_opened_rechecks_the_case(  # type: ignore[no-untyped-def]
    household_a, cw_baisha, eager, django_capture_on_commit_callbacks
):
    from assistance.dibao import services as dibao_services

    case = make_case(household_a, by=cw_baisha, status=S.ACTIVE)
    DibaoCase.objects.filter(pk=case.pk).update(confirmed_on="2026-10-01")
    with django_capture_on_commit_callbacks(execute=True):
        dibao_services.review_open(
            case=case, kind="reported_change", reason="收入变化", by=cw_baisha
        )
    run = CrossCheckRun.objects.get()
    assert run.trigger == "review" and run.status == "done" and run.persons == 3


@pytest.mark.django_db
def test_beat_tasks(household_a, household_b, cw_baisha, eager):  # type: ignore[no-untyped-def]
    make_case(household_a, by=cw_baisha, status=S.APPLIED)
    make_case(household_b, by=cw_baisha, status=S.ACTIVE)
    pending = CrossCheckRun.objects.get(pk=tasks.check_pending_applications.delay().get())
    active = CrossCheckRun.objects.get(pk=tasks.check_active_cases.delay().get())
    assert (pending.households, active.households) == (1, 1)
    assert pending.trigger == active.trigger == "schedule"
