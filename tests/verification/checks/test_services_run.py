"""Runs: idempotent, recurring in a newer snapshot, no authorisation no check, concurrent runs,
the Celery chord (eager), the triggers and the proposal checks."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from assistance.models import DibaoCase
from verification.checks import services
from verification.checks.hooks import cross_check_completed, findings_block_proposal
from verification.models import CaseCheck, CrossCheckRun, Finding, FindingTransition

from .conftest import ids_of, make_case, make_snapshot

Scope = CrossCheckRun.Scope
S = DibaoCase.Status


def _car(household, by, plate="粤J12345"):  # type: ignore[no-untyped-def]
    return make_snapshot(
        "motor_vehicle",
        [{"id_number": ids_of(household)[0], "plate": plate, "vehicle_type": "小型轿车"}],
        by=by,
    )


def _run(**kw):  # type: ignore[no-untyped-def]
    return services.cross_check_run_execute(services.cross_check_run_create(by=None, **kw))


@pytest.mark.django_db
def test_rerun_on_the_same_snapshots_adds_nothing(household_a, cw_baisha, data_admin):  # type: ignore[no-untyped-def]
    _car(household_a, data_admin)
    case = make_case(household_a, by=cw_baisha)
    first = _run(scope=Scope.CASES, cases=[case])
    second = _run(scope=Scope.CASES, cases=[case])
    assert (first.findings_new, second.findings_new, second.findings_recurring) == (1, 0, 0)
    assert second.findings_seen == 1
    f = Finding.objects.get(household=household_a)
    assert f.state == "new" and f.first_run == first and f.last_run == second
    assert f.times_seen == 2
    assert FindingTransition.objects.filter(finding=f).count() == 1


@pytest.mark.django_db
def test_seen_again_in_a_newer_snapshot_is_recurring(household_a, cw_baisha, data_admin):  # type: ignore[no-untyped-def]
    old = _car(household_a, data_admin)
    case = make_case(household_a, by=cw_baisha)
    _run(scope=Scope.CASES, cases=[case])
    f = Finding.objects.get(household=household_a)
    services.finding_dismiss(finding=f, by=cw_baisha, reason="车辆已过户")
    new = _car(household_a, data_admin)
    run = _run(scope=Scope.CASES, cases=[case])
    assert (run.findings_new, run.findings_recurring) == (0, 1)
    f.refresh_from_db()
    assert Finding.objects.filter(household=household_a).count() == 1
    assert f.state == "recurring" and f.snapshot == new and f.first_snapshot == old
    assert f.recurred_run == run and f.resolution_reason == "车辆已过户"
    last = f.transitions.order_by("-id").first()
    assert (last.action, last.from_status, last.to_status) == ("recur", "dismissed", "recurring")
    # another plate is another finding
    make_snapshot(
        "motor_vehicle",
        [
            {"id_number": ids_of(household_a)[0], "plate": p, "vehicle_type": "小型轿车"}
            for p in ("粤J12345", "粤J99999")
        ],
        by=data_admin,
    )
    run = _run(scope=Scope.CASES, cases=[case])
    assert (run.findings_new, run.findings_recurring) == (1, 1)


@pytest.mark.django_db
def test_no_authorisation_no_check(household_a, cw_baisha):  # type: ignore[no-untyped-def]
    case = make_case(household_a, by=cw_baisha, signed=False)
    with pytest.raises(ValidationError) as e:
        services.cross_check_run_create(scope=Scope.CASES, cases=[case], by=cw_baisha)
    assert e.value.code == "unauthorised"
    with pytest.raises(ValidationError):
        services.cross_check_run_create(scope=Scope.HOUSEHOLD, household=household_a, by=cw_baisha)
    assert not CrossCheckRun.objects.exists()


@pytest.mark.django_db
def test_bulk_scopes_skip_unsigned_and_cover_their_statuses(  # type: ignore[no-untyped-def]
    household_a, household_b, household_taicheng, cw_baisha, data_admin
):
    from tests.factories import region

    for h in (household_a, household_b, household_taicheng):
        _car(h, data_admin, plate=f"粤J{h.pk}")
    # a newer snapshot holding all three cars
    make_snapshot(
        "motor_vehicle",
        [
            {"id_number": ids_of(h)[0], "plate": f"粤J{h.pk}", "vehicle_type": "轿车"}
            for h in (household_a, household_b, household_taicheng)
        ],
        by=data_admin,
    )
    make_case(household_a, by=cw_baisha, status=S.APPLIED)
    make_case(household_b, by=cw_baisha, status=S.ACTIVE)
    make_case(household_taicheng, by=cw_baisha, status=S.ACCEPTED, signed=False)
    city = region("440700")
    pending = _run(scope=Scope.PENDING, region=city)
    assert pending.districts == 7 and pending.households == 1
    active = _run(scope=Scope.ACTIVE, region=city)
    assert active.households == 1
    assert set(Finding.objects.values_list("household", flat=True)) == {
        household_a.pk,
        household_b.pk,
    }


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_write_no_duplicates(household_a, household_b, cw_baisha, data_admin):  # type: ignore[no-untyped-def]
    from tests.factories import region

    for h in (household_a, household_b):
        make_case(h, by=cw_baisha, status=S.APPLIED)
    make_snapshot(
        "motor_vehicle",
        [
            {"id_number": i, "plate": f"粤J{n}", "vehicle_type": "轿车"}
            for n, i in enumerate(ids_of(household_a) + ids_of(household_b))
        ],
        by=data_admin,
    )
    runs = [
        services.cross_check_run_create(scope=Scope.DISTRICT, region=region("440703"), by=None)
        for _ in range(2)
    ]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def work(run):  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            services.cross_check_run_execute(run)
        except BaseException as e:  # pragma: no cover
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(r,)) for r in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert Finding.objects.count() == 5
    done = [CrossCheckRun.objects.get(pk=r.pk) for r in runs]
    assert all(r.status == "done" for r in done)
    assert sorted(r.findings_new for r in done) == [0, 5]
    assert FindingTransition.objects.count() == 5


@pytest.mark.django_db
def test_celery_chord_one_task_per_district(household_a, cw_baisha, data_admin, settings):  # type: ignore[no-untyped-def]
    from config.celery import app
    from tests.factories import region
    from verification.checks import tasks

    _car(household_a, data_admin)
    make_case(household_a, by=cw_baisha, status=S.APPLIED)
    old = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        run = services.cross_check_run_create(scope=Scope.PENDING, region=region("440700"), by=None)
        tasks.cross_check_run.delay(run.pk)
    finally:
        app.conf.task_always_eager = old
    run.refresh_from_db()
    assert run.status == "done" and run.districts == run.districts_done == 7
    assert run.findings_new == 1 and run.duration is not None
    run.job.refresh_from_db()
    assert run.job.status == "done" and run.job.progress_done == 7


@pytest.mark.django_db
def test_unresolved_disqualifying_findings_block_the_proposal(  # type: ignore[no-untyped-def]
    household_a, cw_baisha, data_admin
):
    _car(household_a, data_admin)
    case = make_case(household_a, by=cw_baisha)
    _run(scope=Scope.CASES, cases=[case])
    problems = findings_block_proposal(case)
    assert len(problems) == 1 and "Unresolved disqualifying" in problems[0]
    services.finding_dismiss(finding=Finding.objects.get(), by=cw_baisha, reason="已出售")
    assert findings_block_proposal(case) == []


@pytest.mark.django_db
def test_investigation_runs_the_check_and_the_proposal_waits_for_it(  # type: ignore[no-untyped-def]
    cw_baisha, cw_baisha_2, village_a, data_admin
):
    from tests.assistance.conftest import build_case, head_of, poor_household

    household = poor_household(village_a)
    make_snapshot(
        "motor_vehicle",
        [{"id_number": head_of(household).id_number, "plate": "粤J1", "vehicle_type": "轿车"}],
        by=data_admin,
    )
    case = build_case(household, to=S.INVESTIGATING, maker=cw_baisha, second=cw_baisha_2)
    run = CrossCheckRun.objects.get(case=case)
    assert run.trigger == "investigation" and run.status == "done"
    assert run.authorization_signed_on == case.authorization_signed_on
    assert CaseCheck.objects.filter(case=case, run=run).exists()
    assert cross_check_completed(case) == []
    from assistance.dibao import services as dibao_services

    with pytest.raises(ValidationError) as e:
        dibao_services.dibao_case_propose(case=case, on=case.accepted_on, by=cw_baisha)
    assert any("cross-check finding" in m for m in e.value.messages)
    CaseCheck.objects.all().delete()
    assert "has not completed" in cross_check_completed(case)[0]


@pytest.mark.django_db
def test_a_case_without_active_members_is_still_checked(household_a, cw_baisha, data_admin):  # type: ignore[no-untyped-def]
    """Nothing to compare, but the check ran: the proposal is not held up waiting for it."""
    _car(household_a, data_admin)
    case = make_case(household_a, by=cw_baisha)
    household_a.memberships.update(end_date=case.created_at.date())
    run = _run(scope=Scope.CASES, cases=[case])
    run.refresh_from_db()
    assert run.persons == 0 and not Finding.objects.exists()
    assert CaseCheck.objects.filter(case=case, run=run).exists()
