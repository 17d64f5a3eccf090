"""Each supervision figure on constructed data; scope; a constant number of queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assistance.models import (
    BenefitAward,
    CaseReview,
    Payroll,
    PayrollLine,
    Programme,
    ProgrammeCase,
)
from core.calendar import add_working_days
from core.roles import Role
from transitions.models import (
    FundBudget,
    MonitoringCase,
    PhaseOut,
    Publication,
    PublicObjection,
)
from transitions.supervision import selectors
from verification.models import AuditPlan, AuditSample, AuditStratum

from ...factories import UserFactory, household_with_members, region
from .conftest import NOV, TZ, S, case, paying_case

pytestmark = pytest.mark.django_db


def _district(report, code):  # type: ignore[no-untyped-def]
    return next(d for d in report.districts if d.code == code)


@pytest.fixture
def procedures(cw_baisha, village_a, village_taicheng, cw_taicheng):  # type: ignore[no-untyped-def]
    """蓬江区: five confirmations in November after 1, 2, 3, 4 and 10 working days (median 3,
    90th percentile 7.6), the 10-day one after its limit; one procedure overdue, one not yet.
    台山市: one confirmation after 20 working days."""
    accepted = dt.date(2026, 11, 2)
    for n in (1, 2, 3, 4, 10):
        confirmed = add_working_days(accepted, n)
        case(
            household_with_members(village_a),
            cw_baisha,
            status=S.CONFIRMED,
            accepted_on=accepted,
            confirmed_on=confirmed,
            procedure_due=add_working_days(accepted, 5),
        )
    case(
        household_with_members(village_a),
        cw_baisha,
        status=S.INVESTIGATING,
        accepted_on=dt.date(2026, 10, 1),
        procedure_due=dt.date(2026, 11, 10),
    )
    case(
        household_with_members(village_a),
        cw_baisha,
        status=S.INVESTIGATING,
        accepted_on=dt.date(2026, 11, 20),
        procedure_due=dt.date(2026, 12, 20),
    )
    accepted_t = dt.date(2026, 10, 20)
    case(
        household_with_members(village_taicheng),
        cw_taicheng,
        status=S.CONFIRMED,
        accepted_on=accepted_t,
        confirmed_on=add_working_days(accepted_t, 20),
        procedure_due=add_working_days(accepted_t, 30),
    )


def test_procedure_times_median_p90_and_overdue(procedures, supervisor):  # type: ignore[no-untyped-def]
    report = selectors.supervision_month(user=supervisor, month=NOV)
    pj = _district(report, "440703")
    assert pj.confirmed == 5
    assert pj.median_wd == Decimal("3.0")
    assert pj.p90_wd == Decimal("7.6")
    assert pj.confirmed_late == 1
    assert pj.procedure_overdue == 1
    ts = _district(report, "440781")
    assert (ts.confirmed, ts.median_wd, ts.p90_wd) == (1, Decimal("20.0"), Decimal("20.0"))
    # The total is over all six cases, not a median of medians: 1 2 3 4 10 20 → 3.5, p90 15.
    assert report.total.confirmed == 6
    assert report.total.median_wd == Decimal("3.5")
    assert report.total.p90_wd == Decimal("15.0")
    assert report.total.procedure_overdue == 1
    assert report.as_of == dt.date(2026, 11, 28)


def test_a_past_month_counts_overdue_as_of_its_last_day(procedures, supervisor):  # type: ignore[no-untyped-def]
    october = selectors.supervision_month(user=supervisor, month=dt.date(2026, 10, 1))
    assert october.as_of == dt.date(2026, 10, 31)
    assert _district(october, "440703").procedure_overdue == 0  # due 10 Nov: not yet then
    assert _district(october, "440703").confirmed == 0


def test_overdue_reviews(cw_baisha, village_a, supervisor):  # type: ignore[no-untyped-def]
    def review(due, closed=None):  # type: ignore[no-untyped-def]
        c = paying_case(village_a, cw_baisha)
        CaseReview.objects.create(
            case=c,
            kind=CaseReview.Kind.PERIODIC,
            opened_on=dt.date(2026, 10, 1),
            due_on=due,
            closed_on=closed,
        )

    review(dt.date(2026, 11, 20))  # overdue
    review(dt.date(2026, 11, 27))  # overdue (due yesterday)
    review(dt.date(2026, 11, 28))  # due today: not yet
    review(dt.date(2026, 11, 10), closed=dt.date(2026, 11, 9))  # closed in time
    review(dt.date(2026, 11, 10), closed=dt.date(2026, 11, 25))  # closed late: not open now
    report = selectors.supervision_month(user=supervisor, month=NOV)
    assert _district(report, "440703").reviews_overdue == 2
    # At the end of October, the one due 10 November and closed late was not yet overdue.
    october = selectors.supervision_month(user=supervisor, month=dt.date(2026, 10, 1))
    assert _district(october, "440703").reviews_overdue == 0


def test_sampling_audit_results(cw_baisha, village_a, supervisor):  # type: ignore[no-untyped-def]
    plan = AuditPlan.objects.create(
        name="2026",
        region=region("440703"),
        period_from=dt.date(2026, 1, 1),
        period_to=dt.date(2026, 12, 31),
        sample_percent=Decimal("10"),
        seed=1,
        created_by=supervisor,
    )
    stratum = AuditStratum.objects.create(
        plan=plan,
        frame="recipient",
        town=region("440703002"),
        category="dibao",
        population=10,
        sample_size=4,
    )
    at = dt.datetime(2026, 11, 5, 9, 0, tzinfo=TZ)
    results = [
        ("conforms", ""),
        ("conforms", ""),
        ("discrepancy", "wrongly_included"),
        ("pending", ""),
    ]
    for rank, (result, kind) in enumerate(results):
        AuditSample.objects.create(
            plan=plan,
            stratum=stratum,
            household=household_with_members(village_a),
            rank=rank,
            weight=Decimal("2.5"),
            result=result,
            discrepancy_kind=kind,
            recorded_at=None if result == "pending" else at,
        )
    pj = _district(selectors.supervision_month(user=supervisor, month=NOV), "440703")
    assert (pj.audited, pj.audit_conforms, pj.audit_discrepancies) == (3, 2, 1)
    assert pj.wrongly_included == 1
    assert pj.discrepancy_percent == Decimal("33.33")


def test_objections_and_their_handling_time(baisha, supervisor):  # type: ignore[no-untyped-def]
    pub = Publication.objects.create(
        region=baisha, published_at=dt.datetime(2026, 10, 1, tzinfo=TZ)
    )

    def objection(received, answered=None, due=dt.date(2026, 11, 30)):  # type: ignore[no-untyped-def]
        PublicObjection.objects.create(
            publication=pub,
            text="x",
            received_at=received,
            due_on=due,
            answered_at=answered,
            status="answered" if answered else "open",
        )

    d = dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ)
    objection(d, d + dt.timedelta(days=2))
    objection(d, d + dt.timedelta(days=4))
    objection(d, d + dt.timedelta(days=9))
    objection(d, None, due=dt.date(2026, 11, 20))  # unanswered past due
    objection(dt.datetime(2026, 10, 5, tzinfo=TZ), None, due=dt.date(2026, 10, 25))  # older one
    pj = _district(selectors.supervision_month(user=supervisor, month=NOV), "440703")
    assert (pj.objections, pj.objections_answered) == (4, 3)
    assert pj.objections_overdue == 2
    assert pj.objection_median_days == Decimal("4.0")


def test_funds_paid_against_budget(cw_baisha, ca_pengjiang, village_a, supervisor):  # type: ignore[no-untyped-def]
    c = paying_case(village_a, cw_baisha)
    award = BenefitAward.objects.create(
        case=c,
        effective_month=dt.date(2026, 6, 1),
        base_amount=Decimal("700"),
        supplement_amount=Decimal("50"),
        total=Decimal("750"),
        members=2,
        reason="confirmation",
        decided_by=ca_pengjiang,
        decided_on=dt.date(2026, 5, 10),
    )
    payroll = Payroll.objects.create(county=region("440703"), month=NOV, status="approved")
    PayrollLine.objects.create(
        payroll=payroll,
        case=c,
        month=NOV,
        award=award,
        payee_name="张三",
        members=2,
        base_amount=Decimal("700"),
        supplement_amount=Decimal("50"),
        total=Decimal("750"),
    )
    # A draft payroll of 台山 is not paid.
    Payroll.objects.create(county=region("440781"), month=NOV, status="draft")
    for amount, paid_on in ((Decimal("300"), dt.date(2026, 11, 3)), (Decimal("99"), None)):
        ProgrammeCase.objects.create(
            programme=Programme.MEDICAL,
            household=c.household,
            status="paid" if paid_on else "approved",
            amount=amount,
            applied_on=dt.date(2026, 10, 20),
            paid_on=paid_on,
            created_by=cw_baisha,
        )
    for fund, amount in (("dibao", "1000"), ("medical", "600")):
        FundBudget.objects.create(
            county=region("440703"),
            fund=fund,
            monthly_amount=Decimal(amount),
            valid_from=dt.date(2026, 1, 1),
        )
    FundBudget.objects.create(  # ended before November
        county=region("440703"),
        fund="tekun",
        monthly_amount=Decimal("5"),
        valid_from=dt.date(2025, 1, 1),
        valid_to=dt.date(2026, 10, 31),
    )
    report = selectors.supervision_month(user=supervisor, month=NOV)
    pj = _district(report, "440703")
    assert pj.funds["dibao"].paid == Decimal("750")
    assert pj.funds["dibao"].budget == Decimal("1000")
    assert pj.funds["dibao"].percent == Decimal("75.00")
    assert pj.funds["medical"].paid == Decimal("300")
    assert pj.funds["medical"].percent == Decimal("50.00")
    assert pj.funds["tekun"].budget is None
    assert _district(report, "440781").funds["dibao"].paid == 0
    assert report.total.funds["dibao"].paid == Decimal("750")
    assert report.total.funds["dibao"].budget == Decimal("1000")


def test_recipients_per_caseworker_per_town(  # type: ignore[no-untyped-def]
    cw_baisha, cw_baisha_2, village_a, village_b, village_taicheng, supervisor
):
    for village in (village_a, village_a, village_b):
        paying_case(village, cw_baisha)
    paying_case(village_a, cw_baisha, start=dt.date(2026, 12, 1))  # not yet paid
    paying_case(village_taicheng, cw_baisha)  # 台城: recipients, no caseworker
    UserFactory(username="gone", role=Role.CASEWORKER, region=region("440703002"), is_active=False)
    report = selectors.supervision_month(user=supervisor, month=NOV)
    pj = _district(report, "440703")
    baisha = next(t for t in pj.towns if t.region.code == "440703002")
    assert (baisha.recipients, baisha.caseworkers) == (3, 2)
    assert baisha.per_caseworker == Decimal("1.5")
    ts = _district(report, "440781")
    assert ts.towns_without_caseworker == 1
    taicheng = next(t for t in ts.towns if t.region.code == "440781001")
    assert taicheng.per_caseworker is None


def test_monitoring_cases_counted(cw_baisha, village_a, supervisor):  # type: ignore[no-untyped-def]
    def mcase(opened, due, closed=None):  # type: ignore[no-untyped-def]
        h = household_with_members(village_a)
        MonitoringCase.objects.create(
            household=h,
            village=village_a,
            rule="income",
            opened_on=opened,
            due_on=due,
            closed_on=closed,
            status="closed" if closed else "open",
        )

    mcase(dt.date(2026, 11, 2), dt.date(2026, 11, 27))  # opened, open, overdue
    mcase(dt.date(2026, 11, 20), dt.date(2026, 12, 18))  # opened, open
    mcase(dt.date(2026, 10, 2), dt.date(2026, 10, 30), closed=dt.date(2026, 11, 3))  # closed
    pj = _district(selectors.supervision_month(user=supervisor, month=NOV), "440703")
    assert (pj.monitoring_opened, pj.monitoring_open, pj.monitoring_overdue) == (2, 2, 1)


# ----------------------------------------------------------------------------- scope


def test_a_district_reviewer_sees_only_their_district(procedures, ca_pengjiang, ca_taishan):  # type: ignore[no-untyped-def]
    mine = selectors.supervision_month(user=ca_pengjiang, month=NOV)
    assert [d.code for d in mine.districts] == ["440703"]
    assert [c.code for c in mine.columns] == ["440703"]
    assert mine.total.confirmed == 5  # the total is of what they see
    outsider = selectors.supervision_month(user=ca_taishan, month=NOV)
    assert [d.code for d in outsider.districts] == ["440781"]
    assert outsider.total.confirmed == 1


def test_city_roles_see_every_district_side_by_side(supervisor):  # type: ignore[no-untyped-def]
    report = selectors.supervision_month(user=supervisor, month=NOV)
    assert len(report.districts) == 7
    assert report.columns[-1].region is None  # the total's column last


def test_other_roles_are_refused(cw_baisha, va_baisha, data_admin):  # type: ignore[no-untyped-def]
    for user in (cw_baisha, va_baisha, data_admin):
        with pytest.raises(PermissionDenied):
            selectors.supervision_month(user=user, month=NOV)


def test_the_number_of_queries_does_not_grow(
    procedures, supervisor, ca_pengjiang, cw_baisha, village_b
):  # type: ignore[no-untyped-def]
    def count(user):  # type: ignore[no-untyped-def]
        with CaptureQueriesContext(connection) as ctx:
            selectors.supervision_month(user=user, month=NOV)
        return len(ctx.captured_queries)

    one = count(ca_pengjiang)
    seven = count(supervisor)
    for _i in range(5):
        paying_case(village_b, cw_baisha)
    assert one == seven == count(supervisor)
    assert seven <= 12


def test_overdue_phase_outs(cw_baisha, ca_pengjiang, village_a, supervisor):  # type: ignore[no-untyped-def]
    def phase_out(due, closed=None, status="overdue"):  # type: ignore[no-untyped-def]
        c = paying_case(village_a, cw_baisha)
        award = BenefitAward.objects.create(
            case=c,
            effective_month=dt.date(2026, 4, 1),
            base_amount=Decimal("500"),
            supplement_amount=Decimal("0"),
            total=Decimal("500"),
            members=2,
            reason="phase_out",
            kept_until=dt.date(2026, 9, 1),
            decided_by=ca_pengjiang,
            decided_on=dt.date(2026, 3, 20),
        )
        PhaseOut.objects.create(
            case=c,
            household=c.household,
            county=region("440703"),
            region=village_a,
            decision="lower",
            decided_on=dt.date(2026, 3, 20),
            start_month=dt.date(2026, 4, 1),
            kept_until=dt.date(2026, 9, 1),
            due_on=due,
            award=award,
            status=status,
            closed_on=closed,
            created_by=ca_pengjiang,
        )

    phase_out(dt.date(2026, 10, 1))  # overdue now and at the end of October
    phase_out(dt.date(2026, 11, 1), closed=dt.date(2026, 11, 20), status="decided")  # late
    phase_out(dt.date(2026, 12, 1), status="running")  # not yet due
    report = selectors.supervision_month(user=supervisor, month=NOV)
    assert _district(report, "440703").phase_outs_overdue == 1
    assert report.total.phase_outs_overdue == 1
    october = selectors.supervision_month(user=supervisor, month=dt.date(2026, 10, 1))
    assert _district(october, "440703").phase_outs_overdue == 1  # the late one was not yet due


def test_the_page_makes_the_same_number_of_queries_for_one_or_seven_districts(  # type: ignore[no-untyped-def]
    procedures, supervisor, ca_pengjiang, client
):
    from django.urls import reverse

    from ...conftest import login

    def count(user):  # type: ignore[no-untyped-def]
        login(client, user)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("transitions:supervision")).status_code == 200
        return len(ctx.captured_queries)

    assert count(ca_pengjiang) == count(supervisor)
