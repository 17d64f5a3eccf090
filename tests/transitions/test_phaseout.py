"""The phase-out's rules: bad input refused with nothing written, the daily job idempotent and
crash-safe, a reported change ending it, early re-assessment only with a reason."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assistance.dibao import phaseout as ledger
from assistance.dibao.reviews import household_change_reported
from assistance.models import BenefitAward
from transitions import notify
from transitions.models import Handoff, HandoffTransition, PhaseOut, PhaseOutTransition
from transitions.phaseout import phase_out_reassess, phase_out_start, phase_outs_mark

from .conftest import on_day

DECIDED = dt.date(2026, 12, 10)
DUE = dt.date(2027, 7, 1)


@pytest.fixture
def phase_out(confirmed_case, ca_pengjiang_2) -> PhaseOut:  # type: ignore[no-untyped-def]
    with on_day(DECIDED):
        return phase_out_start(
            case=confirmed_case, decision="lower", decided_on=DECIDED, by=ca_pengjiang_2
        )


def test_terms_count_from_the_month_after_the_decision(phase_out):  # type: ignore[no-untyped-def]
    assert (phase_out.start_month, phase_out.kept_until, phase_out.due_on) == (
        dt.date(2027, 1, 1),
        dt.date(2027, 6, 1),
        DUE,
    )
    assert (
        Handoff.objects.filter(kind="phase_out_start", to_department="poverty_office").count() == 1
    )


@pytest.mark.parametrize("decision", ["continue", "raise", ""])
def test_a_phase_out_needs_a_decision_to_lower_or_stop(confirmed_case, ca_pengjiang_2, decision):
    with on_day(DECIDED), pytest.raises(ValidationError) as e:
        phase_out_start(
            case=confirmed_case, decision=decision, decided_on=DECIDED, by=ca_pengjiang_2
        )
    assert "decision" in e.value.message_dict
    assert not PhaseOut.objects.exists()
    assert not BenefitAward.objects.filter(reason="phase_out").exists()


def test_a_decision_in_the_future_is_refused(confirmed_case, ca_pengjiang_2):
    with on_day(DECIDED), pytest.raises(ValidationError) as e:
        phase_out_start(
            case=confirmed_case,
            decision="stop",
            decided_on=DECIDED + dt.timedelta(days=1),
            by=ca_pengjiang_2,
        )
    assert "decided_on" in e.value.message_dict
    assert not PhaseOut.objects.exists()


def test_the_wrong_department_cannot_start_it(confirmed_case, cw_baisha, po_pengjiang):
    for user in (cw_baisha, po_pengjiang):
        with on_day(DECIDED), pytest.raises(PermissionDenied):
            phase_out_start(case=confirmed_case, decision="lower", decided_on=DECIDED, by=user)
    assert not PhaseOut.objects.exists()


def test_another_district_cannot_start_it(confirmed_case, ca_taishan):
    with on_day(DECIDED), pytest.raises(PermissionDenied, match="outside your area"):
        phase_out_start(case=confirmed_case, decision="lower", decided_on=DECIDED, by=ca_taishan)


def test_a_second_phase_out_is_refused(phase_out, ca_pengjiang_2):  # type: ignore[no-untyped-def]
    with on_day(DECIDED), pytest.raises(ValidationError, match="no second phase-out"):
        phase_out_start(case=phase_out.case, decision="stop", decided_on=DECIDED, by=ca_pengjiang_2)


def test_the_daily_job_twice_gives_the_same_state(phase_out):  # type: ignore[no-untyped-def]
    with on_day(DUE):
        first = phase_outs_mark(on=DUE)
        second = phase_outs_mark(on=DUE)
    assert first == {"due": 1, "overdue": 0, "opened": 1}
    assert second == {"due": 0, "overdue": 0, "opened": 0}
    assert Handoff.objects.filter(kind="phase_out_reassessment").count() == 1
    assert PhaseOutTransition.objects.filter(action="mark_due").count() == 1


def test_a_crash_mid_run_leaves_nothing_and_the_next_run_does_it_all(phase_out, monkeypatch):  # type: ignore[no-untyped-def]
    def crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("worker killed")

    monkeypatch.setattr(notify, "reassessments_due", crash)
    with on_day(DUE), pytest.raises(RuntimeError):
        phase_outs_mark(on=DUE)
    phase_out.refresh_from_db()
    assert phase_out.status == PhaseOut.Status.RUNNING
    assert not Handoff.objects.filter(kind="phase_out_reassessment").exists()
    monkeypatch.undo()
    with on_day(DUE):
        assert phase_outs_mark(on=DUE) == {"due": 1, "overdue": 0, "opened": 1}
        phase_outs_mark(on=DUE)
    assert Handoff.objects.filter(kind="phase_out_reassessment").count() == 1
    assert (
        HandoffTransition.objects.filter(
            action="open_auto", handoff__kind="phase_out_reassessment"
        ).count()
        == 1
    )


def test_reassessment_before_due_needs_a_reason(phase_out, ca_pengjiang):  # type: ignore[no-untyped-def]
    early = dt.date(2027, 3, 10)
    with on_day(early), pytest.raises(ValidationError) as e:
        phase_out_reassess(phase_out=phase_out, outcome="unchanged", on=early, by=ca_pengjiang)
    assert "reason" in e.value.message_dict
    phase_out.refresh_from_db()
    assert phase_out.status == PhaseOut.Status.RUNNING
    with on_day(early):
        phase_out_reassess(
            phase_out=phase_out, outcome="unchanged", on=early, by=ca_pengjiang, reason="收入已稳定"
        )
    phase_out.refresh_from_db()
    assert phase_out.status == PhaseOut.Status.DECIDED


def test_once_due_it_is_decided_through_its_handoff(phase_out, ca_pengjiang):  # type: ignore[no-untyped-def]
    with on_day(DUE):
        phase_outs_mark(on=DUE)
        with pytest.raises(ValidationError, match="decide it there"):
            phase_out_reassess(phase_out=phase_out, outcome="unchanged", on=DUE, by=ca_pengjiang)


def test_termination_stops_payments_from_next_month(phase_out, ca_pengjiang):  # type: ignore[no-untyped-def]
    on = dt.date(2027, 3, 10)
    with on_day(on):
        phase_out_reassess(
            phase_out=phase_out, outcome="terminated", on=on, by=ca_pengjiang, reason="已稳定脱贫"
        )
    case = phase_out.case
    case.refresh_from_db()
    assert case.status == "terminated" and case.payment_stop_month == dt.date(2027, 4, 1)


def test_lowered_needs_a_lower_amount(phase_out, ca_pengjiang):  # type: ignore[no-untyped-def]
    on = dt.date(2027, 3, 10)
    with on_day(on), pytest.raises(ValidationError, match="not lower"):
        phase_out_reassess(
            phase_out=phase_out, outcome="lowered", on=on, by=ca_pengjiang, reason="x"
        )


def test_a_reported_change_ends_the_phase_out(phase_out, cw_baisha):  # type: ignore[no-untyped-def]
    with on_day(DUE):
        phase_outs_mark(on=DUE)
    with on_day(DUE + dt.timedelta(days=2)):
        household_change_reported(
            household=phase_out.household, description="务工收入中断", by=cw_baisha
        )
    phase_out.refresh_from_db()
    assert phase_out.status == PhaseOut.Status.ENDED
    assert Handoff.objects.get(kind="phase_out_reassessment").status == "withdrawn"
    assert phase_out.case.reviews.filter(closed_on__isnull=True).exists()


def test_the_ledger_service_refuses_without_the_workflow(confirmed_case, ca_pengjiang_2):
    with on_day(DECIDED):
        award = ledger.dibao_case_phase_out_start(
            case=confirmed_case, decision="lower", decided_on=DECIDED, by=ca_pengjiang_2
        )
    assert award.kept_until == dt.date(2027, 6, 1) and award.total > Decimal("0")
    assert confirmed_case.transitions.filter(action="phase_out_start").exists()


@pytest.mark.parametrize("on", [dt.date(2026, 12, 10), dt.date(2026, 12, 31)])
def test_a_reassessment_before_the_first_kept_month_is_refused(phase_out, ca_pengjiang, on):  # type: ignore[no-untyped-def]
    with on_day(on), pytest.raises(ValidationError) as e:
        phase_out_reassess(
            phase_out=phase_out, outcome="unchanged", on=on, by=ca_pengjiang, reason="提前"
        )
    assert "on" in e.value.message_dict
    phase_out.award.refresh_from_db()
    assert phase_out.award.kept_until == dt.date(2027, 6, 1)


def test_a_change_reported_through_the_review_page_ends_it(phase_out, cw_baisha):  # type: ignore[no-untyped-def]
    from assistance.dibao import services as dibao

    with on_day(dt.date(2027, 2, 3)):
        dibao.review_open(
            case=phase_out.case, kind="reported_change", reason="务工收入中断", by=cw_baisha
        )
    phase_out.refresh_from_db()
    assert phase_out.status == PhaseOut.Status.ENDED


def test_another_open_review_must_be_closed_first(phase_out, cw_baisha, ca_pengjiang):  # type: ignore[no-untyped-def]
    from assistance.dibao import services as dibao

    with on_day(dt.date(2027, 2, 3)):
        dibao.review_open(case=phase_out.case, kind="periodic", reason="定期复核", by=None)
        with pytest.raises(ValidationError, match="close it before"):
            phase_out_reassess(
                phase_out=phase_out,
                outcome="unchanged",
                on=dt.date(2027, 2, 3),
                by=ca_pengjiang,
                reason="x",
            )


def test_the_phase_out_review_is_not_closed_by_the_caseworker(phase_out, cw_baisha):  # type: ignore[no-untyped-def]
    from assistance.dibao import services as dibao

    day = dt.date(2027, 7, 2)
    with on_day(day):
        review = dibao.review_open(
            case=phase_out.case, kind="phase_out", reason="渐退期满", by=cw_baisha
        )
        with pytest.raises(ValidationError) as e:
            dibao.review_close(review=review, outcome="unchanged", on=day, by=cw_baisha)
    assert e.value.code == "phase_out_review"
