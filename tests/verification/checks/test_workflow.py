"""The finding workflow: the matrix generated from the declaration (the users' actions through
the services, the system's through the cross-check's SQL), separation of duties on the whole
history, waivable rules only, concurrent resolution (one wins), scoping."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from verification.checks import services
from verification.checks.workflow import FINDING
from verification.models import CrossCheckRun, Finding

from .conftest import ids_of, make_case, make_snapshot

Scope = CrossCheckRun.Scope
St = Finding.State


@pytest.fixture
def finding(household_a, cw_baisha, data_admin):  # type: ignore[no-untyped-def]
    make_snapshot(
        "motor_vehicle",
        [{"id_number": ids_of(household_a)[0], "plate": "粤J1", "vehicle_type": "轿车"}],
        by=data_admin,
    )
    case = make_case(household_a, by=cw_baisha)
    services.cross_check_run_execute(
        services.cross_check_run_create(scope=Scope.CASES, cases=[case], by=None)
    )
    return Finding.objects.get()


def _act(action, finding, user):  # type: ignore[no-untyped-def]
    return services.RESOLVE[action](finding=finding, by=user, reason="理由")


USER_ACTIONS = [a for a in FINDING.actions_list if not a.system]
MATRIX = [(a.name, s) for a in USER_ACTIONS for s in St.values]


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "state"), MATRIX, ids=[f"{a}-{s}" for a, s in MATRIX])
def test_matrix(action, state, finding, cw_baisha, ca_pengjiang):  # type: ignore[no-untyped-def]
    Finding.objects.filter(pk=finding.pk).update(state=state)
    finding.refresh_from_db()
    user = ca_pengjiang if action == "waive" else cw_baisha
    allowed = state in FINDING[action].sources
    if allowed:
        done = _act(action, finding, user)
        assert done.state == FINDING[action].target
        row = done.transitions.order_by("-id").first()
        assert (row.action, row.from_status, row.to_status, row.by) == (
            action,
            state,
            done.state,
            user,
        )
        assert row.reason == "理由" and done.resolved_by == user
    else:
        with pytest.raises(ValidationError) as e:
            _act(action, finding, user)
        assert e.value.code == "wrong_status"


# The system's steps with a source state (`recur`, `clear`) are taken by the run's SQL, not by a
# service: the matrix checks the SQL keeps to the declaration, from every state.
SYSTEM_MATRIX = [
    (a.name, s) for a in FINDING.actions_list if a.system and a.sources for s in St.values
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "state"), SYSTEM_MATRIX, ids=[f"{a}-{s}" for a, s in SYSTEM_MATRIX]
)
def test_system_matrix(action, state, finding, household_a, data_admin):  # type: ignore[no-untyped-def]
    Finding.objects.filter(pk=finding.pk).update(state=state)
    before = finding.transitions.count()
    # recur: the car in a newer snapshot again; clear: a newer snapshot without it
    cars = [{"id_number": ids_of(household_a)[0], "plate": "粤J1", "vehicle_type": "轿车"}]
    make_snapshot("motor_vehicle", cars if action == "recur" else [], by=data_admin)
    run = services.cross_check_run_execute(
        services.cross_check_run_create(scope=Scope.CASES, cases=[finding.case], by=None)
    )
    finding.refresh_from_db()
    if state in FINDING[action].sources:
        assert finding.state == FINDING[action].target
        row = finding.transitions.order_by("-id").first()
        assert (row.action, row.from_status, row.to_status, row.by) == (
            action,
            state,
            finding.state,
            None,
        )
        assert f"#{run.pk}" in row.reason
    else:
        assert finding.state == state
        if action == "clear":
            assert finding.transitions.count() == before


@pytest.mark.django_db
def test_roles_and_levels(finding, cw_baisha, ca_pengjiang, data_admin):  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        _act("waive", finding, cw_baisha)  # not a reviewer
    with pytest.raises(PermissionDenied):
        _act("confirm", finding, ca_pengjiang)  # not the town's caseworker
    with pytest.raises(PermissionDenied):
        _act("dismiss", finding, data_admin)
    assert FINDING.allowed(finding, cw_baisha) == ["confirm", "dismiss"]
    assert FINDING.allowed(finding, ca_pengjiang) == ["waive"]


@pytest.mark.django_db
def test_dismiss_needs_a_reason(finding, cw_baisha):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as e:
        services.finding_dismiss(finding=finding, by=cw_baisha, reason="  ")
    assert "reason" in e.value.message_dict
    finding.refresh_from_db()
    assert finding.state == "new" and finding.transitions.count() == 1


@pytest.mark.django_db
def test_separation_of_duties_on_the_whole_history(finding, cw_baisha, ca_pengjiang, data_admin):  # type: ignore[no-untyped-def]
    """A superuser-like actor holding both permissions: who confirmed never waives."""
    from django.contrib.auth.models import Permission

    both = ca_pengjiang
    both.user_permissions.add(Permission.objects.get(codename="change_finding"))
    both = type(both).objects.get(pk=both.pk)
    # the reviewer's county level may not confirm (level), so simulate a confirmation by him
    finding.transitions.create(action="confirm", from_status="new", to_status="confirmed", by=both)
    Finding.objects.filter(pk=finding.pk).update(state="confirmed")
    finding.refresh_from_db()
    with pytest.raises(PermissionDenied) as e:
        _act("waive", finding, both)
    assert "separation of duties" in str(e.value)


@pytest.mark.django_db
def test_a_rule_not_waivable(household_a, cw_baisha, ca_pengjiang, data_admin, std):  # type: ignore[no-untyped-def]
    make_snapshot(
        "employment",
        [{"id_number": ids_of(household_a)[0], "employer": "厂", "monthly_salary": std * 3}],
        by=data_admin,
    )
    case = make_case(household_a, by=cw_baisha)
    services.cross_check_run_execute(
        services.cross_check_run_create(scope=Scope.CASES, cases=[case], by=None)
    )
    f = Finding.objects.get(rule_code="salary_above_standard")
    with pytest.raises(PermissionDenied) as e:
        _act("waive", f, ca_pengjiang)
    assert "cannot be waived" in str(e.value)


@pytest.mark.django_db
def test_outsider_cannot_resolve(finding, cw_taicheng, ca_taishan):  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        _act("confirm", finding, cw_taicheng)
    with pytest.raises(PermissionDenied):
        _act("waive", finding, ca_taishan)


@pytest.mark.django_db
def test_confirm_opens_a_review_for_an_active_case(finding, cw_baisha):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as e:  # the case is still an application
        services.finding_confirm(finding=finding, by=cw_baisha, open_review=True)
    assert "open_review" in e.value.message_dict
    from assistance.models import DibaoCase

    DibaoCase.objects.filter(pk=finding.case_id).update(
        status=DibaoCase.Status.ACTIVE, confirmed_on="2026-10-01"
    )
    done = services.finding_confirm(finding=finding, by=cw_baisha, open_review=True)
    assert done.review is not None and done.review.kind == "reported_change"
    assert done.review.case.status == DibaoCase.Status.UNDER_REVIEW


@pytest.mark.django_db(transaction=True)
def test_concurrent_resolution_one_wins(finding, cw_baisha, cw_baisha_2):  # type: ignore[no-untyped-def]
    results: list[str] = []
    barrier = threading.Barrier(2)

    def work(action, user):  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            _act(action, Finding.objects.get(pk=finding.pk), user)
            results.append("ok")
        except ValidationError as e:
            results.append(e.code or "")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=work, args=("confirm", cw_baisha)),
        threading.Thread(target=work, args=("dismiss", cw_baisha_2)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok", "wrong_status"]
    assert Finding.objects.get(pk=finding.pk).transitions.count() == 2
