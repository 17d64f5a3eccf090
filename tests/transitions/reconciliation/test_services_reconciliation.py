"""Ledger reconciliation: every category found on constructed data, fixed automatically (with
a history row) once the data is put right; a rerun adds nothing; explained by the owner
department only."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assistance.models import BenefitAward
from poverty.models import PovertyLine, PovertyRecord
from transitions.models import Difference, InsuranceEnrolment, PhaseOut
from transitions.reconciliation.services import difference_explain, reconciliation_run

from ...assistance.conftest import on_day
from ..conftest import build_confirmed
from .conftest import DAY, imported, register, register_rows

pytestmark = pytest.mark.django_db
C = Difference.Category


def run():  # type: ignore[no-untyped-def]
    with on_day(DAY):
        return reconciliation_run()


def diffs(category: str, status: str = "open") -> list[Difference]:
    return list(Difference.objects.filter(category=category, status=status))


@pytest.fixture
def case(cw_baisha, cw_baisha_2, ca_pengjiang, village_a):  # type: ignore[no-untyped-def]
    with on_day(dt.date(2026, 11, 13)):
        return build_confirmed(village_a, maker=cw_baisha, second=cw_baisha_2, checker=ca_pengjiang)


def _income(case, value: str) -> None:  # type: ignore[no-untyped-def]
    for award in BenefitAward.objects.filter(case=case):
        award.computation = {**award.computation, "per_capita_income": value}
        award.save(update_fields=["computation"])


def test_registered_household_qualifying_for_dibao(household_a, data_admin):
    register(household_a)
    imported("national_register", register_rows(household_a, income="100"), by=data_admin)
    first = run()
    [d] = diffs(C.REGISTERED_NOT_DIBAO)
    assert d.household_id == household_a.pk and d.owner == "civil_affairs"
    assert d.transitions.get().action == "find"
    assert first.counts[C.REGISTERED_NOT_DIBAO]["new"] == 1

    # The next batch reports an income above the standard: fixed, with its history row.
    imported(
        "national_register", register_rows(household_a, income="5000"), by=data_admin, sequence=2
    )
    run()
    d.refresh_from_db()
    assert d.status == "fixed"
    assert list(d.transitions.values_list("action", flat=True)) == ["find", "fix"]


def test_dibao_household_qualifying_for_registration(case):
    line = PovertyLine.objects.in_force(DAY).order_by("-valid_from").first()
    _income(case, str(line.monthly - Decimal("1")))
    run()
    [d] = diffs(C.DIBAO_NOT_REGISTERED)
    assert d.household_id == case.household_id and d.owner == "poverty_office"
    register(case.household)
    run()
    d.refresh_from_db()
    assert d.status == "fixed"


def test_exited_household_on_full_dibao_past_its_phase_out(case, ca_pengjiang):
    award = BenefitAward.objects.filter(case=case).latest("id")
    PhaseOut.objects.create(
        case=case,
        household=case.household,
        county=case.village.parent.parent,
        region=case.village,
        decision="lower",
        decided_on=dt.date(2026, 5, 20),
        start_month=dt.date(2026, 6, 1),
        kept_until=dt.date(2026, 11, 1),
        due_on=dt.date(2026, 12, 1),
        award=award,
        status="overdue",
        created_by=ca_pengjiang,
    )
    run()
    [d] = diffs(C.EXITED_FULL_DIBAO)
    assert d.household_id == case.household_id
    # The lower amount is recorded: fixed.
    BenefitAward.objects.create(
        case=case,
        effective_month=dt.date(2027, 1, 1),
        base_amount=Decimal("10"),
        supplement_amount=0,
        total=Decimal("10"),
        members=award.members,
        reason=award.reason,
        decided_by=ca_pengjiang,
        decided_on=DAY,
    )
    run()
    d.refresh_from_db()
    assert d.status == "fixed"


def test_persons_unknown_to_the_other_and_field_mismatch(household_a, household_b, data_admin):
    register(household_a)
    register(household_b)
    rows = register_rows(household_a)
    head_id = rows[0][1]
    rows[0][0] = "错名"
    imported("national_register", rows, by=data_admin)
    run()
    # household_b's persons are unknown to theirs.
    unknown = diffs(C.UNKNOWN_PERSON)
    assert {d.household_id for d in unknown} == {household_b.pk}
    [m] = diffs(C.FIELD_MISMATCH)
    assert m.person.id_number == head_id and m.detail["fields"] == ["name"]

    # The next batch is right and complete: both fixed.
    imported(
        "national_register",
        register_rows(household_a) + register_rows(household_b),
        by=data_admin,
        sequence=2,
    )
    run()
    assert not diffs(C.UNKNOWN_PERSON) and not diffs(C.FIELD_MISMATCH)
    assert len(diffs(C.UNKNOWN_PERSON, "fixed")) == 2


def test_person_known_only_to_theirs(household_a, data_admin):
    from ...factories import unique_id_number

    register(household_a)
    stranger = unique_id_number()
    rows = [
        *register_rows(household_a),
        ["陌生人", stranger, "N9", stranger, "1", "在册", "440703002201", "50"],
    ]
    imported("national_register", rows, by=data_admin)
    run()
    [d] = diffs(C.UNKNOWN_PERSON)
    assert d.key == f"t{stranger}" and d.region.code == "440703002201"


def test_missing_social_insurance(case, ss_city):
    run()
    missing = diffs(C.NO_INSURANCE)
    persons = {d.person_id for d in missing}
    assert persons == set(case.household.memberships.values_list("person_id", flat=True))
    rows = [[d.person.name, d.person.id_number, "已参保"] for d in missing]
    batch = imported("insurance_enrolments", rows, by=ss_city)
    assert batch.status == "imported", batch.message
    run()
    assert not diffs(C.NO_INSURANCE)
    assert len(diffs(C.NO_INSURANCE, "fixed")) == len(rows)


def test_recorded_enrolment_counts_too(case):
    # Confirming the case opened pending enrolments (transitions.links); reported back:
    assert InsuranceEnrolment.objects.filter(household=case.household).exists()
    InsuranceEnrolment.objects.filter(household=case.household).update(status="enrolled")
    run()
    assert not diffs(C.NO_INSURANCE)


def test_rerun_adds_nothing_and_fixed_reopens(household_a, data_admin):
    register(household_a)
    imported("national_register", register_rows(household_a, income="100"), by=data_admin)
    run()
    before = list(Difference.objects.values_list("id", "status", "version"))
    history = sum(d.transitions.count() for d in Difference.objects.all())
    second = run()
    assert list(Difference.objects.values_list("id", "status", "version")) == before
    assert sum(d.transitions.count() for d in Difference.objects.all()) == history
    assert all(c is None or (c["new"] == 0 and c["fixed"] == 0) for c in second.counts.values())

    d = Difference.objects.get(category=C.REGISTERED_NOT_DIBAO)
    PovertyRecord.objects.filter(household=household_a).delete()
    run()
    d.refresh_from_db()
    assert d.status == "fixed"
    register(household_a)
    run()
    d.refresh_from_db()
    assert d.status == "open" and d.transitions.last().action == "reopen"
    assert Difference.objects.filter(category=C.REGISTERED_NOT_DIBAO).count() == 1


def test_no_inbound_list_no_evaluation(household_a):
    register(household_a)
    result = run()
    assert result.counts[C.UNKNOWN_PERSON] is None
    assert not Difference.objects.filter(category=C.UNKNOWN_PERSON).exists()


def test_explained_by_the_owner_department_only(
    household_a, data_admin, ca_pengjiang, po_pengjiang, ca_taishan
):
    register(household_a)
    imported("national_register", register_rows(household_a, income="100"), by=data_admin)
    run()
    d = Difference.objects.get(category=C.REGISTERED_NOT_DIBAO)  # owner: civil affairs
    with pytest.raises(PermissionDenied):
        difference_explain(difference=d, reason="x", by=po_pengjiang)
    with pytest.raises(PermissionDenied):
        difference_explain(difference=d, reason="x", by=ca_taishan)  # another district
    with pytest.raises(ValidationError):
        difference_explain(difference=d, reason=" ", by=ca_pengjiang)
    with on_day(DAY):
        done = difference_explain(difference=d, reason="申请在办", by=ca_pengjiang)
    assert done.status == "explained" and done.reason == "申请在办"
    t = done.transitions.last()
    assert (t.action, t.from_status, t.to_status, t.by) == (
        "explain",
        "open",
        "explained",
        ca_pengjiang,
    )
    # Stale: the second explanation gets a clear message.
    with pytest.raises(ValidationError) as e:
        difference_explain(difference=d, reason="again", by=ca_pengjiang)
    assert e.value.code == "wrong_status"
    # An explained difference no longer found is fixed too.
    imported(
        "national_register", register_rows(household_a, income="5000"), by=data_admin, sequence=2
    )
    run()
    d.refresh_from_db()
    assert d.status == "fixed"


def test_the_job_reports_progress_and_outcome(
    household_a, data_admin, django_capture_on_commit_callbacks
):
    from core.models import Job
    from transitions.reconciliation.services import (
        reconciliation_run_job,
        reconciliation_run_start,
    )

    register(household_a)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = reconciliation_run_start(by=data_admin)
    assert len(callbacks) == 1 and job.status == Job.Status.QUEUED
    with on_day(DAY):
        run_id = reconciliation_run_job(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.result == {"run": run_id}
    assert "differences found" in job.message
    # Delivered twice: the second does nothing.
    assert reconciliation_run_job(job_id=job.pk) is None


def test_only_data_admins_start_a_run(ca_pengjiang):
    from transitions.reconciliation.services import reconciliation_run_start

    with pytest.raises(PermissionDenied):
        reconciliation_run_start(by=ca_pengjiang)
