"""The whole story with frozen time (issue 8): dibao active → referral accepted → registered →
measures → exit proposed → confirmed by the government → civil affairs decides to lower →
six payroll months at the original amount from the month after the decision → re-assessment
due on day 1 of month 7, that month still paid at the original amount but overdue → decided →
the next payroll pays the new amount. Decisions on the 1st, the 15th and the last day of a
month, in December and in February."""

import datetime as dt
from decimal import Decimal

import pytest

from assistance.dibao import services as dibao
from assistance.models import BenefitAward, CaseReview, IncomeType, PayrollLine
from assistance.payroll import services as payroll
from core.months import add_months
from core.notifications.models import Notification
from poverty import services as poverty
from poverty.models import PovertyRecord
from transitions import services
from transitions.models import Handoff, PhaseOut
from transitions.phaseout import phase_outs_mark

from ..factories import region
from .conftest import on_day

DECISIONS = [
    dt.date(2026, 12, 1),
    dt.date(2026, 12, 15),
    dt.date(2026, 12, 31),
    dt.date(2027, 2, 1),
    dt.date(2027, 2, 15),
    dt.date(2027, 2, 28),
]


def paid(case, month):  # type: ignore[no-untyped-def]
    """Build the district's payroll for `month` (on the 25th before it) and read the case's line."""
    with on_day(add_months(month, -1).replace(day=25)):
        payroll.payroll_build(county=region("440703"), month=month, by=None)
    return PayrollLine.objects.get(case=case, month=month).total


@pytest.mark.parametrize("decided_on", DECISIONS, ids=lambda d: d.isoformat())
def test_the_whole_story(
    decided_on,
    confirmed_case,
    cw_baisha,
    ca_pengjiang,
    ca_pengjiang_2,
    po_pengjiang,
    po_pengjiang_2,
):
    case = confirmed_case
    household = case.household
    original = case.awards.get().total

    # Confirmed on 2026-11-13: a key-target household (the head, 45, full capacity, willing),
    # so the referral to the poverty office opened by itself.
    ref = Handoff.objects.get(kind="registration_referral", household=household)
    assert ref.created_by is None and ref.to_department == "poverty_office"
    with on_day(dt.date(2026, 11, 16)):
        services.handoff_acknowledge(handoff=ref, by=po_pengjiang)
        services.handoff_approve(
            handoff=ref, by=po_pengjiang, reason="符合条件", details={"causes": ["illness"]}
        )
    record = PovertyRecord.objects.get(household=household)
    assert record.status == PovertyRecord.Status.REGISTERED
    with on_day(dt.date(2026, 11, 17)):
        poverty.assistance_measure_record(
            household=household,
            kind="employment",
            started_on=dt.date(2026, 11, 17),
            department="蓬江区人社局",
            responsible_person="李四",
            funds=Decimal("3000"),
            by=po_pengjiang,
        )
    with on_day(dt.date(2026, 11, 20)):
        poverty.poverty_record_propose_exit(
            record=record,
            on=dt.date(2026, 11, 20),
            income_per_capita=Decimal("2500"),
            evidence="务工收入稳定",
            by=po_pengjiang,
        )
    with on_day(dt.date(2026, 11, 25)):
        poverty.poverty_record_confirm_exit(
            record=record,
            confirmed_on=dt.date(2026, 11, 25),
            document_no="蓬府〔2026〕12号",
            confirming_level="county",
            by=po_pengjiang_2,
        )
    notice = Handoff.objects.get(kind="exit_notice", household=household)
    assert notice.dibao_case == case and notice.to_department == "civil_affairs"
    assert Notification.objects.filter(recipient=ca_pengjiang, kind="handoff.open").exists()

    with on_day(decided_on):
        services.handoff_acknowledge(handoff=notice, by=ca_pengjiang)
        services.handoff_approve(
            handoff=notice, by=ca_pengjiang, outcome="lower", decided_on=decided_on
        )
    phase_out = PhaseOut.objects.get(case=case)
    start = add_months(decided_on.replace(day=1), 1)
    assert (phase_out.start_month, phase_out.kept_until, phase_out.due_on) == (
        start,
        add_months(start, 5),
        add_months(start, 6),
    )
    assert Notification.objects.filter(recipient=cw_baisha, kind="phase_out.started").exists()
    award = BenefitAward.objects.get(case=case, reason="phase_out")
    assert award.total == original and award.kept_until == add_months(start, 5)

    for i in range(6):
        assert paid(case, add_months(start, i)) == original

    due = phase_out.due_on
    assert due.day == 1
    with on_day(add_months(due, -1).replace(day=20)):
        assert phase_outs_mark(on=add_months(due, -1).replace(day=20))["due"] == 0
    with on_day(due):
        assert phase_outs_mark(on=due) == {"due": 1, "overdue": 0, "opened": 1}
    with on_day(due + dt.timedelta(days=1)):
        assert phase_outs_mark(on=due + dt.timedelta(days=1))["overdue"] == 1
    phase_out.refresh_from_db()
    assert phase_out.status == PhaseOut.Status.OVERDUE
    # Month 7: still the original amount, the case visibly overdue, never cut silently.
    assert paid(case, due) == original

    reassessment = Handoff.objects.get(kind="phase_out_reassessment", household=household)
    decided = due + dt.timedelta(days=3)
    with on_day(decided - dt.timedelta(days=1)):
        dibao.review_open(
            case=case, kind=CaseReview.Kind.PHASE_OUT, reason="渐退期满", by=cw_baisha
        )
        dibao.declarations_replace(
            case=case,
            incomes=[
                {
                    "person": case.applicant,
                    "income_type": IncomeType.objects.get(code="wages"),
                    "monthly_amount": Decimal("900"),
                }
            ],
            expenditures=[],
            properties=[],
            by=cw_baisha,
        )
    with on_day(decided):
        services.handoff_acknowledge(handoff=reassessment, by=ca_pengjiang_2)
        services.handoff_approve(
            handoff=reassessment, by=ca_pengjiang_2, outcome="lowered", decided_on=decided
        )
    phase_out.refresh_from_db()
    assert phase_out.status == PhaseOut.Status.DECIDED and phase_out.outcome == "lowered"
    new = BenefitAward.objects.filter(case=case).order_by("-effective_month").first()
    assert new is not None and new.effective_month == add_months(due, 1)
    assert new.total < original
    assert paid(case, add_months(due, 1)) == new.total
