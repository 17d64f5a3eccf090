"""Celery redelivers a task whose worker died after its commit (acks_late): a district counts
once, a closed run starts nothing, a district failing for good fails the run."""

from verification.checks import services, tasks
from verification.models import CrossCheckRun, Finding

from .conftest import ids_of, make_case, make_snapshot

Scope = CrossCheckRun.Scope


def _run(household_a, cw_baisha, data_admin):  # type: ignore[no-untyped-def]
    make_snapshot(
        "motor_vehicle",
        [{"id_number": ids_of(household_a)[0], "plate": "粤J1", "vehicle_type": "轿车"}],
        by=data_admin,
    )
    case = make_case(household_a, by=cw_baisha)
    return services.cross_check_run_create(scope=Scope.CASES, cases=[case], by=None)


def test_a_redelivered_district_counts_once(household_a, cw_baisha, data_admin):  # type: ignore[no-untyped-def]
    run = _run(household_a, cw_baisha, data_admin)
    (county,) = services.cross_check_run_begin(run.pk)
    first = services.cross_check_district(run.pk, county)
    again = services.cross_check_district(run.pk, county)
    run.refresh_from_db()
    assert first["new"] == 1 and again["new"] == 0
    assert run.districts_done == 1 and run.findings_new == 1 and run.counties_done == [county]
    assert Finding.objects.filter(household=household_a).count() == 1


def test_a_closed_run_starts_nothing_again(household_a, cw_baisha, data_admin):  # type: ignore[no-untyped-def]
    run = _run(household_a, cw_baisha, data_admin)
    services.cross_check_run_execute(run)
    run.refresh_from_db()
    assert run.status == CrossCheckRun.Status.DONE
    assert services.cross_check_run_begin(run.pk) == []


def test_the_chord_error_callback_fails_the_run(household_a, cw_baisha, data_admin):  # type: ignore[no-untyped-def]
    run = _run(household_a, cw_baisha, data_admin)
    services.cross_check_run_begin(run.pk)
    tasks.cross_check_failed(run.pk, object(), RuntimeError("database gone"), None)
    run.refresh_from_db()
    assert run.status == CrossCheckRun.Status.FAILED


def test_a_rule_the_checks_cannot_evaluate_is_refused_by_its_form(db):  # type: ignore[no-untyped-def]
    import datetime as dt

    import pytest
    from django.core.exceptions import ValidationError

    from verification.models import CrossCheckRule

    good = CrossCheckRule.objects.filter(code="motor_vehicle").first()
    assert good is not None
    good.full_clean()  # the seeded rules are usable
    bad = CrossCheckRule(
        code="broken",
        kind="motor_vehicle",
        category=good.category,
        evaluator="no_such_shape",
        parameters={},
        label="x",
        valid_from=dt.date(2026, 1, 1),
    )
    with pytest.raises(ValidationError) as e:
        bad.full_clean()
    assert "parameters" in e.value.message_dict
