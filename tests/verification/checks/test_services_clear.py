"""Findings gone from newer data are cleared: the car sold (no longer in the newer snapshot), the
salary no longer above the threshold, a unit's assets no longer above it; seen again later they
recur; a person's decision stands; the run's scope bounds what it clears; idempotent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assistance.models import DibaoCase
from verification.checks import services
from verification.checks.hooks import findings_block_proposal
from verification.models import CrossCheckRule, CrossCheckRun, Finding, FindingTransition

from .conftest import ids_of, make_case, make_snapshot

pytestmark = pytest.mark.django_db
Scope = CrossCheckRun.Scope


def _cars(*owners, by):  # type: ignore[no-untyped-def]
    """A motor-vehicle snapshot listing one car for each (household, plate)."""
    return make_snapshot(
        "motor_vehicle",
        [
            {"id_number": ids_of(h)[0], "plate": plate, "vehicle_type": "小型轿车"}
            for h, plate in owners
        ],
        by=by,
    )


def _run(**kw):  # type: ignore[no-untyped-def]
    run = services.cross_check_run_execute(services.cross_check_run_create(by=None, **kw))
    assert run.status == "done", run.message
    return run


def _history(finding):  # type: ignore[no-untyped-def]
    return list(
        finding.transitions.order_by("id").values_list("action", "from_status", "to_status")
    )


def test_the_car_sold_is_cleared_and_comes_back_as_recurring(  # type: ignore[no-untyped-def]
    household_a, household_b, cw_baisha, data_admin
):
    first = _cars((household_a, "粤J12345"), by=data_admin)
    case = make_case(household_a, by=cw_baisha)
    found = _run(scope=Scope.CASES, cases=[case])
    f = Finding.objects.get(household=household_a)
    assert f.state == "new" and found.findings_new == 1 and found.findings_cleared == 0
    assert findings_block_proposal(case)

    # the car was sold: the newer snapshot lists someone else's car, not this one
    second = _cars((household_b, "粤J77777"), by=data_admin)
    run = _run(scope=Scope.CASES, cases=[case])
    f.refresh_from_db()
    assert f.state == "cleared" and run.findings_cleared == 1
    assert (run.findings_new, run.findings_recurring, run.findings_seen) == (0, 0, 0)
    # what it was last seen in is kept; the history says where it was not found
    assert f.snapshot == first and f.last_run == found
    row = f.transitions.order_by("-id").first()
    assert (row.action, row.from_status, row.to_status, row.by) == (
        "clear",
        "new",
        "cleared",
        None,
    )
    assert row.reason == f"Not found in snapshot #{second.pk} (cross-check run #{run.pk})"
    assert "1 no longer found" in run.message
    run.refresh_from_db()
    assert run.findings_cleared == 1
    # no longer found, no longer blocking the township proposal
    assert findings_block_proposal(case) == []

    # a third snapshot lists the car again: back on the worklist, from cleared
    third = _cars((household_a, "粤J12345"), by=data_admin)
    again = _run(scope=Scope.CASES, cases=[case])
    f.refresh_from_db()
    assert f.state == "recurring" and f.snapshot == third and f.recurred_run == again
    assert (again.findings_recurring, again.findings_cleared) == (1, 0)
    assert _history(f) == [
        ("find", "", "new"),
        ("clear", "new", "cleared"),
        ("recur", "cleared", "recurring"),
    ]
    assert findings_block_proposal(case)
    assert Finding.objects.filter(household=household_a).count() == 1


def test_rerun_on_the_same_snapshots_clears_nothing_more(household_a, cw_baisha, data_admin):  # type: ignore[no-untyped-def]
    _cars((household_a, "粤J12345"), by=data_admin)
    case = make_case(household_a, by=cw_baisha)
    _run(scope=Scope.CASES, cases=[case])
    make_snapshot("motor_vehicle", [], by=data_admin)
    assert _run(scope=Scope.CASES, cases=[case]).findings_cleared == 1
    history = FindingTransition.objects.count()
    for _ in range(2):
        run = _run(scope=Scope.CASES, cases=[case])
        assert (run.findings_new, run.findings_recurring, run.findings_cleared) == (0, 0, 0)
    assert FindingTransition.objects.count() == history
    assert Finding.objects.get().state == "cleared"


@pytest.mark.parametrize("state", ["confirmed", "dismissed", "waived"])
def test_a_decision_stands_when_the_record_is_gone(  # type: ignore[no-untyped-def]
    state, household_a, cw_baisha, ca_pengjiang, data_admin
):
    _cars((household_a, "粤J12345"), by=data_admin)
    case = make_case(household_a, by=cw_baisha)
    _run(scope=Scope.CASES, cases=[case])
    f = Finding.objects.get()
    action = {"confirmed": "confirm", "dismissed": "dismiss", "waived": "waive"}[state]
    by = ca_pengjiang if action == "waive" else cw_baisha
    services.RESOLVE[action](finding=f, by=by, reason="入户核实")
    before = _history(f)
    make_snapshot("motor_vehicle", [], by=data_admin)
    run = _run(scope=Scope.CASES, cases=[case])
    f.refresh_from_db()
    assert f.state == state and run.findings_cleared == 0
    assert _history(f) == before


def test_a_household_run_clears_only_that_household(  # type: ignore[no-untyped-def]
    household_a, household_b, cw_baisha, data_admin
):
    from tests.factories import region

    _cars((household_a, "粤J1"), (household_b, "粤J2"), by=data_admin)
    make_case(household_a, by=cw_baisha)
    make_case(household_b, by=cw_baisha)
    _run(scope=Scope.DISTRICT, region=region("440703"))
    assert Finding.objects.filter(state="new").count() == 2
    make_snapshot("motor_vehicle", [], by=data_admin)  # both cars gone
    run = _run(scope=Scope.HOUSEHOLD, household=household_a)
    assert run.findings_cleared == 1
    assert Finding.objects.get(household=household_a).state == "cleared"
    other = Finding.objects.get(household=household_b)
    assert other.state == "new" and _history(other) == [("find", "", "new")]
    # the district's run reaches it
    assert _run(scope=Scope.DISTRICT, region=region("440703")).findings_cleared == 1
    assert Finding.objects.get(household=household_b).state == "cleared"


def test_a_scope_of_other_statuses_leaves_the_findings_alone(  # type: ignore[no-untyped-def]
    household_a, cw_baisha, data_admin
):
    """A run over pending applications does not look at an active case's findings."""
    from tests.factories import region

    _cars((household_a, "粤J1"), by=data_admin)
    case = make_case(household_a, by=cw_baisha, status=DibaoCase.Status.ACTIVE)
    _run(scope=Scope.CASES, cases=[case])
    make_snapshot("motor_vehicle", [], by=data_admin)
    assert _run(scope=Scope.PENDING, region=region("440703")).findings_cleared == 0
    assert Finding.objects.get().state == "new"
    assert _run(scope=Scope.ACTIVE, region=region("440703")).findings_cleared == 1


def test_a_member_who_left_is_not_checked_so_not_cleared(  # type: ignore[no-untyped-def]
    household_a, cw_baisha, data_admin
):
    member = household_a.memberships.filter(end_date__isnull=True).order_by("id")[1]
    make_snapshot(
        "motor_vehicle",
        [{"id_number": member.person.id_number, "plate": "粤J5", "vehicle_type": "轿车"}],
        by=data_admin,
    )
    case = make_case(household_a, by=cw_baisha)
    _run(scope=Scope.CASES, cases=[case])
    f = Finding.objects.get()
    assert f.person_id == member.person_id
    household_a.memberships.filter(pk=member.pk).update(end_date=case.created_at.date())
    make_snapshot("motor_vehicle", [], by=data_admin)
    assert _run(scope=Scope.CASES, cases=[case]).findings_cleared == 0
    f.refresh_from_db()
    assert f.state == "new"


def test_a_salary_no_longer_above_the_standard_is_cleared(  # type: ignore[no-untyped-def]
    household_a, cw_baisha, data_admin, std
):
    person = ids_of(household_a)[0]
    make_snapshot(
        "employment",
        [{"id_number": person, "employer": "厂", "monthly_salary": std + 1}],
        by=data_admin,
    )
    case = make_case(household_a, by=cw_baisha)
    _run(scope=Scope.CASES, cases=[case])
    f = Finding.objects.get(rule_code="salary_above_standard")
    assert f.state == "new"
    # still employed, but paid at the standard now: the record is there, the finding is not
    make_snapshot(
        "employment",
        [{"id_number": person, "employer": "厂", "monthly_salary": std}],
        by=data_admin,
    )
    run = _run(scope=Scope.CASES, cases=[case])
    f.refresh_from_db()
    assert f.state == "cleared" and run.findings_cleared == 1


def test_unit_assets_below_the_threshold_in_newer_data_are_cleared(  # type: ignore[no-untyped-def]
    household_a, cw_baisha, data_admin, std
):
    """A unit sum reads several datasets: only newer data of one of them clears it — a run on
    the same snapshots under a changed threshold does not."""
    ids = ids_of(household_a)
    total = 3 * 24 * std + 1
    make_snapshot(
        "bank_deposit", [{"id_number": ids[0], "bank": "工行", "balance": total}], by=data_admin
    )
    make_snapshot("securities", [], by=data_admin)  # newer than the deposits, nothing in it
    case = make_case(household_a, by=cw_baisha)
    _run(scope=Scope.CASES, cases=[case])
    f = Finding.objects.get(rule_code="financial_assets")
    assert f.state == "new"
    rule = CrossCheckRule.objects.get(pk=f.rule_id)
    CrossCheckRule.objects.filter(pk=rule.pk).update(
        parameters={**rule.parameters, "threshold": {"multiple": "1000"}}
    )
    # the same snapshots: not found any more (the threshold), but nothing newer says it is gone
    assert _run(scope=Scope.CASES, cases=[case]).findings_cleared == 0
    CrossCheckRule.objects.filter(pk=rule.pk).update(parameters=rule.parameters)
    make_snapshot(
        "bank_deposit",
        [{"id_number": ids[0], "bank": "工行", "balance": total - Decimal("1000")}],
        by=data_admin,
    )
    run = _run(scope=Scope.CASES, cases=[case])
    f.refresh_from_db()
    assert f.state == "cleared" and run.findings_cleared == 1


def test_clearing_is_set_based(household_a, household_b, cw_baisha, data_admin):  # type: ignore[no-untyped-def]
    """One statement per rule and district, whatever the number of findings it clears."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import region

    _cars((household_a, "粤J1"), by=data_admin)
    make_case(household_a, by=cw_baisha)
    _run(scope=Scope.DISTRICT, region=region("440703"))
    make_snapshot("motor_vehicle", [], by=data_admin)
    with CaptureQueriesContext(connection) as one:
        _run(scope=Scope.DISTRICT, region=region("440703"))

    # three findings to clear (household_b has two cars) on the same district and rules
    Finding.objects.all().delete()
    FindingTransition.objects.all().delete()
    _cars((household_a, "粤J1"), (household_b, "粤J2"), (household_b, "粤J3"), by=data_admin)
    make_case(household_b, by=cw_baisha)
    _run(scope=Scope.DISTRICT, region=region("440703"))
    make_snapshot("motor_vehicle", [], by=data_admin)
    with CaptureQueriesContext(connection) as many:
        run = _run(scope=Scope.DISTRICT, region=region("440703"))
    assert run.findings_cleared == 3
    assert len(many) == len(one)


@pytest.mark.django_db(transaction=True)
def test_a_resolution_under_way_wins_over_the_clearing(household_a, cw_baisha, data_admin):  # type: ignore[no-untyped-def]
    """The caseworker holds the finding's lock while the run clears: the run waits, sees it
    dismissed, and leaves it so."""
    import threading
    import time

    from django.db import connection, transaction

    _cars((household_a, "粤J12345"), by=data_admin)
    case = make_case(household_a, by=cw_baisha)
    _run(scope=Scope.CASES, cases=[case])
    f = Finding.objects.get()
    make_snapshot("motor_vehicle", [], by=data_admin)
    locked = threading.Event()
    errors: list[BaseException] = []

    def caseworker() -> None:
        try:
            with transaction.atomic():
                services.finding_dismiss(finding=f, by=cw_baisha, reason="已过户")
                locked.set()
                time.sleep(1.5)  # the run reaches the row meanwhile and waits for it
        except BaseException as e:  # pragma: no cover
            errors.append(e)
            locked.set()
        finally:
            connection.close()

    t = threading.Thread(target=caseworker)
    t.start()
    locked.wait(10)
    run = _run(scope=Scope.CASES, cases=[case])
    t.join()
    assert not errors
    f.refresh_from_db()
    assert f.state == "dismissed" and run.findings_cleared == 0
    assert _history(f) == [("find", "", "new"), ("dismiss", "new", "dismissed")]
