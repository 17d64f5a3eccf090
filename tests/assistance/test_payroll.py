"""Monthly payroll: who is paid which month, idempotent rebuilds, the approval lock, the bank file,
the Celery task and the build's query count."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assistance.dibao import services
from assistance.models import (
    BenefitAward,
    CaseTransition,
    CpiReading,
    DibaoCase,
    Payroll,
    PayrollLine,
)
from assistance.payroll import services as P
from assistance.payroll.tasks import build_next_month_payrolls, build_payroll
from config.celery import app as celery_app
from core.models import Job
from core.months import parse_month

from ..factories import region
from .conftest import S, build_case, head_of, poor_household

pytestmark = pytest.mark.django_db

DEC, JAN, FEB, MAR = (
    dt.date(2026, 12, 1),
    dt.date(2027, 1, 1),
    dt.date(2027, 2, 1),
    dt.date(2027, 3, 1),
)


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def eager():  # type: ignore[no-untyped-def]
    """Run .delay() in-process (CELERY_TASK_ALWAYS_EAGER) for this test."""
    old = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = old


@pytest.fixture
def confirmed(cw_baisha, cw_baisha_2, ca_pengjiang, village_a):  # type: ignore[no-untyped-def]
    """A 2-person urban household of 白沙 confirmed on 2026-11-13: 1711 a month from 2026-12
    (base 1528 + supplement 182.80, rounded up once)."""
    h = poor_household(village_a)
    head = head_of(h)
    head.bank_name, head.bank_account = "江门农商银行", "6228480000012345678"
    head.save()
    return build_case(h, to=S.CONFIRMED, maker=cw_baisha, second=cw_baisha_2, checker=ca_pengjiang)


def more_cases(n, village, users):  # type: ignore[no-untyped-def]
    cw, cw2, ca = users
    return [
        build_case(poor_household(village), to=S.CONFIRMED, maker=cw, second=cw2, checker=ca)
        for _ in range(n)
    ]


def lines(payroll):  # type: ignore[no-untyped-def]
    return list(
        PayrollLine.objects.filter(payroll=payroll)
        .order_by("case_id")
        .values_list(
            "id", "case_id", "month", "base_amount", "supplement_amount", "price_subsidy", "total"
        )
    )


def test_first_month_is_the_month_after_confirmation(confirmed, ca_pengjiang, district):
    nov = P.payroll_build(county=district, month=dt.date(2026, 11, 1), by=ca_pengjiang)
    assert nov.payroll.line_count == 0 and nov.payroll.status == Payroll.Status.DRAFT
    dec = P.payroll_build(county=district, month=DEC, by=ca_pengjiang).payroll
    line = PayrollLine.objects.get(payroll=dec)
    assert (line.case_id, line.month) == (confirmed.pk, DEC)
    assert (line.base_amount, line.supplement_amount, line.price_subsidy, line.total) == (
        Decimal("1528.00"),
        Decimal("182.80"),
        Decimal("0.00"),
        Decimal("1711.00"),
    )
    assert (line.members, line.award_id) == (2, BenefitAward.objects.get(case=confirmed).pk)
    assert line.payee_name == head_of(confirmed.household).name
    assert (line.bank_name, line.bank_account) == ("江门农商银行", "6228480000012345678")
    assert (dec.line_count, dec.total, dec.built_by) == (1, Decimal("1711.00"), ca_pengjiang)


def test_build_twice_gives_the_same_lines(confirmed, ca_pengjiang, district):
    first = P.payroll_build(county=district, month=DEC, by=ca_pengjiang)
    before = lines(first.payroll)
    again = P.payroll_build(county=district, month=DEC, by=ca_pengjiang)
    assert again.payroll.pk == first.payroll.pk
    assert lines(again.payroll) == before
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 1)
    assert Payroll.objects.count() == 1 and PayrollLine.objects.count() == 1


def test_rebuilding_a_draft_follows_the_ledger(confirmed, ca_pengjiang, district):
    P.payroll_build(county=district, month=JAN, by=ca_pengjiang)
    award = BenefitAward.objects.get(case=confirmed)
    BenefitAward.objects.create(
        case=confirmed,
        effective_month=JAN,
        base_amount=Decimal("1000.00"),
        supplement_amount=Decimal("182.80"),
        total=Decimal("1183"),
        members=2,
        reason=BenefitAward.Reason.REVIEW,
        decided_by=ca_pengjiang,
        decided_on=dt.date(2026, 12, 20),
    )
    rebuilt = P.payroll_build(county=district, month=JAN, by=ca_pengjiang)
    assert (rebuilt.added, rebuilt.updated, rebuilt.removed) == (0, 1, 0)
    line = PayrollLine.objects.get(payroll=rebuilt.payroll)
    assert line.total == Decimal("1183.00") and line.award_id != award.pk
    # December still reads the confirmation award: the latest with effective month <= month.
    dec = P.payroll_build(county=district, month=DEC, by=ca_pengjiang).payroll
    assert PayrollLine.objects.get(payroll=dec).total == Decimal("1711.00")


def test_newly_confirmed_case_is_added_on_rebuild(
    confirmed, cw_baisha, cw_baisha_2, ca_pengjiang, village_b, district
):
    P.payroll_build(county=district, month=DEC, by=ca_pengjiang)
    (other,) = more_cases(1, village_b, (cw_baisha, cw_baisha_2, ca_pengjiang))
    rebuilt = P.payroll_build(county=district, month=DEC, by=ca_pengjiang)
    assert (rebuilt.added, rebuilt.unchanged) == (1, 1)
    assert sorted(PayrollLine.objects.values_list("case_id", flat=True)) == sorted(
        [confirmed.pk, other.pk]
    )


def test_approved_payroll_is_locked_and_its_lines_never_change(
    ca_pengjiang_2, confirmed, ca_pengjiang, district
):
    payroll = P.payroll_build(county=district, month=DEC, by=ca_pengjiang).payroll
    approved = P.payroll_approve(payroll=payroll, by=ca_pengjiang_2)
    assert approved.status == Payroll.Status.APPROVED
    assert approved.approved_by == ca_pengjiang_2 and approved.approved_at is not None
    before = lines(payroll)
    # The award changes afterwards (a correction of the ledger), and a rebuild is attempted.
    BenefitAward.objects.filter(case=confirmed).update(base_amount=Decimal("1.00"), total=184)
    with pytest.raises(ValidationError, match=r"approved .* locked"):
        P.payroll_build(county=district, month=DEC, by=ca_pengjiang)
    assert lines(payroll) == before
    payroll.refresh_from_db()
    assert (payroll.status, payroll.total) == (Payroll.Status.APPROVED, Decimal("1711.00"))
    with pytest.raises(ValidationError, match="already approved"):
        P.payroll_approve(payroll=payroll, by=ca_pengjiang_2)


def test_approval_activates_confirmed_cases_once(ca_pengjiang_2, confirmed, ca_pengjiang, district):
    payroll = P.payroll_build(county=district, month=DEC, by=ca_pengjiang).payroll
    confirmed.refresh_from_db()
    assert confirmed.status == S.CONFIRMED  # a draft pays nothing yet
    P.payroll_approve(payroll=payroll, by=ca_pengjiang_2)
    confirmed.refresh_from_db()
    assert confirmed.status == S.ACTIVE
    t = CaseTransition.objects.filter(case=confirmed).last()
    # Moved by the approval, in the approver's name.
    assert (t.action, t.from_status, t.to_status, t.by) == (
        "activate",
        S.CONFIRMED,
        S.ACTIVE,
        ca_pengjiang_2,
    )
    assert "2026-12" in t.reason
    jan = P.payroll_build(county=district, month=JAN, by=ca_pengjiang).payroll
    P.payroll_approve(payroll=jan, by=ca_pengjiang_2)
    assert CaseTransition.objects.filter(case=confirmed, to_status=S.ACTIVE).count() == 1


def test_suspended_case_drops_out_from_the_stop_month(confirmed, cw_baisha, ca_pengjiang, district):
    draft_feb = P.payroll_build(county=district, month=FEB, by=ca_pengjiang).payroll
    assert draft_feb.line_count == 1
    with time_machine.travel(dt.datetime(2027, 1, 15, 10, 0), tick=False):
        services.dibao_case_suspend(case=confirmed, reason="外出务工，收入待核", by=cw_baisha)
    confirmed.refresh_from_db()
    assert confirmed.payment_stop_month == FEB
    assert P.payroll_build(county=district, month=JAN, by=ca_pengjiang).payroll.line_count == 1
    rebuilt = P.payroll_build(county=district, month=FEB, by=ca_pengjiang)
    assert (rebuilt.removed, rebuilt.payroll.line_count) == (1, 0)
    assert P.payroll_build(county=district, month=MAR, by=ca_pengjiang).payroll.line_count == 0
    # Resumed: paid again.
    with time_machine.travel(dt.datetime(2027, 2, 10, 10, 0), tick=False):  # paid from March
        services.dibao_case_resume(case=confirmed, reason="复核后恢复", by=cw_baisha)
    assert P.payroll_build(county=district, month=MAR, by=ca_pengjiang).payroll.line_count == 1


def test_terminated_case_drops_out_from_the_stop_month(
    confirmed, cw_baisha, ca_pengjiang, district
):
    with time_machine.travel(dt.datetime(2027, 2, 3, 10, 0), tick=False):
        services.dibao_case_terminate(case=confirmed, reason="收入超过标准", by=cw_baisha)
    confirmed.refresh_from_db()
    assert (confirmed.status, confirmed.payment_stop_month) == (S.TERMINATED, MAR)
    assert P.payroll_build(county=district, month=FEB, by=ca_pengjiang).payroll.line_count == 1
    assert P.payroll_build(county=district, month=MAR, by=ca_pengjiang).payroll.line_count == 0


def test_suspended_without_stop_month_is_not_paid(confirmed, ca_pengjiang, district):
    DibaoCase.objects.filter(pk=confirmed.pk).update(status=S.SUSPENDED, payment_stop_month=None)
    assert P.payroll_build(county=district, month=DEC, by=ca_pengjiang).payroll.line_count == 0


def test_under_review_is_still_paid(confirmed, cw_baisha, ca_pengjiang, district):
    services.review_open(
        case=confirmed, kind="reported_change", reason="家庭收入变化", by=cw_baisha
    )
    assert P.payroll_build(county=district, month=DEC, by=ca_pengjiang).payroll.line_count == 1


def test_price_subsidy_only_in_a_month_whose_cpi_is_above_the_trigger(
    confirmed, ca_pengjiang, district
):
    CpiReading.objects.create(month=JAN, yoy_percent=Decimal("4.10"))  # > 3.5 %
    CpiReading.objects.create(month=FEB, yoy_percent=Decimal("3.50"))  # not above
    jan = PayrollLine.objects.get(
        payroll=P.payroll_build(county=district, month=JAN, by=ca_pengjiang).payroll
    )
    # 10 % of the 914 urban standard × 2 members = 182.80; 1528 + 182.80 + 182.80 = 1893.60 → 1894.
    assert (jan.price_subsidy, jan.total) == (Decimal("182.80"), Decimal("1894.00"))
    feb = PayrollLine.objects.get(
        payroll=P.payroll_build(county=district, month=FEB, by=ca_pengjiang).payroll
    )
    assert (feb.price_subsidy, feb.total) == (Decimal("0.00"), Decimal("1711.00"))


def test_cases_of_another_district_are_not_in_the_payroll(
    confirmed, cw_taicheng, ca_taishan, village_taicheng, district
):
    from ..factories import UserFactory

    cw2 = UserFactory(username="cw_taicheng_2", role="caseworker", region=region("440781001"))
    (taicheng,) = more_cases(1, village_taicheng, (cw_taicheng, cw2, ca_taishan))
    pengjiang = P.payroll_build(county=district, month=DEC, by=None).payroll
    taishan = P.payroll_build(county=region("440781"), month=DEC, by=ca_taishan).payroll
    assert list(pengjiang.lines.values_list("case_id", flat=True)) == [confirmed.pk]
    assert list(taishan.lines.values_list("case_id", flat=True)) == [taicheng.pk]


def test_build_and_approve_need_the_role_and_the_district(
    confirmed, cw_baisha, ca_pengjiang, ca_taishan, district
):
    with pytest.raises(PermissionDenied):
        P.payroll_build(county=district, month=DEC, by=cw_baisha)
    with pytest.raises(PermissionDenied):
        P.payroll_build(county=district, month=DEC, by=ca_taishan)
    with pytest.raises(ValidationError):
        P.payroll_build(county=region("440703002"), month=DEC, by=ca_pengjiang)  # a township
    payroll = P.payroll_build(county=district, month=DEC, by=ca_pengjiang).payroll
    for outsider in (cw_baisha, ca_taishan):
        with pytest.raises(PermissionDenied):
            P.payroll_approve(payroll=payroll, by=outsider)
    payroll.refresh_from_db()
    assert payroll.status == Payroll.Status.DRAFT and payroll.approved_by is None


def test_export_bank_file_csv_and_xlsx(ca_pengjiang_2, confirmed, ca_pengjiang, district):
    payroll = P.payroll_build(county=district, month=DEC, by=ca_pengjiang).payroll
    with pytest.raises(ValidationError, match="approved"):
        P.payroll_export(payroll, "csv")
    P.payroll_approve(payroll=payroll, by=ca_pengjiang_2)
    payroll.refresh_from_db()
    body, ctype, name = P.payroll_export(payroll, "csv")
    assert body.startswith("\ufeff".encode()) and ctype.startswith("text/csv")
    assert name == "payroll-440703-2026-12.csv"
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    payee = head_of(confirmed.household).name
    assert rows == [
        ["序号", "案件编号", "收款人姓名", "开户银行", "银行账号", "金额（元）"],
        ["1", f"DB{confirmed.pk:06d}", payee, "江门农商银行", "6228480000012345678", "1711.00"],
    ]
    body, ctype, name = P.payroll_export(payroll, "xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(body)).active
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    assert values[0][2:6] == ["收款人姓名", "开户银行", "银行账号", "金额（元）"]
    assert values[1][2:5] == [payee, "江门农商银行", "6228480000012345678"]
    assert Decimal(str(values[1][5])) == Decimal("1711")
    with pytest.raises(ValidationError):
        P.payroll_export(payroll, "pdf")


def test_build_query_count_does_not_grow_with_cases(
    confirmed, cw_baisha, cw_baisha_2, ca_pengjiang, village_a, district
):
    CpiReading.objects.create(month=DEC, yoy_percent=Decimal("5"))
    P.payroll_build(county=district, month=DEC, by=ca_pengjiang)  # the payroll row exists
    with CaptureQueriesContext(connection) as one:
        P.payroll_build(county=district, month=DEC, by=ca_pengjiang)
    more_cases(4, village_a, (cw_baisha, cw_baisha_2, ca_pengjiang))
    with CaptureQueriesContext(connection) as five:
        result = P.payroll_build(county=district, month=DEC, by=ca_pengjiang)
    assert result.payroll.line_count == 5
    assert len(five.captured_queries) == len(one.captured_queries) <= 25


def test_task_builds_and_reports_progress_on_the_job(confirmed, ca_pengjiang, district):
    job = Job.objects.create(kind=P.JOB_KIND, region=district, created_by=ca_pengjiang)
    out = build_payroll.apply(args=(job.pk, district.pk, DEC.isoformat(), ca_pengjiang.pk)).get()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.percent == 100 and job.finished_at
    assert out["lines"] == 1 and job.result["lines"] == 1 and job.result["total"] == "1711.00"
    payroll = Payroll.objects.get(county=district, month=DEC)
    assert payroll.job == job and payroll.status == Payroll.Status.DRAFT
    # A redelivered message for a finished job does nothing.
    assert (
        build_payroll.apply(args=(job.pk, district.pk, DEC.isoformat(), ca_pengjiang.pk)).get()
        is None
    )


def test_task_on_a_locked_payroll_fails_the_job_with_the_message(
    ca_pengjiang_2, confirmed, ca_pengjiang, district
):
    payroll = P.payroll_build(county=district, month=DEC, by=ca_pengjiang).payroll
    P.payroll_approve(payroll=payroll, by=ca_pengjiang_2)
    job = Job.objects.create(kind=P.JOB_KIND, region=district, created_by=ca_pengjiang)
    build_payroll.apply(args=(job.pk, district.pk, DEC.isoformat(), ca_pengjiang.pk))
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "locked" in job.message


def test_start_enqueues_after_commit_and_runs_eagerly(
    confirmed, ca_pengjiang, district, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = P.payroll_build_start(county=district, month=DEC, by=ca_pengjiang)
        assert Payroll.objects.get(county=district, month=DEC).status == Payroll.Status.BUILDING
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.percent == 100
    assert Payroll.objects.get(county=district, month=DEC).line_count == 1


def test_start_refuses_a_locked_payroll_at_once(
    ca_pengjiang_2, confirmed, ca_pengjiang, district, cw_baisha
):
    payroll = P.payroll_build(county=district, month=DEC, by=ca_pengjiang).payroll
    P.payroll_approve(payroll=payroll, by=ca_pengjiang_2)
    with pytest.raises(ValidationError, match="locked"):
        P.payroll_build_start(county=district, month=DEC, by=ca_pengjiang)
    with pytest.raises(PermissionDenied):
        P.payroll_build_start(county=district, month=JAN, by=cw_baisha)
    assert not Job.objects.exists()


def test_beat_builds_next_months_drafts(
    confirmed, district, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        jobs = build_next_month_payrolls(on="2026-11-25")
    assert len(jobs) == 1  # only 蓬江区 has cases
    payroll = Payroll.objects.get(month=DEC)
    assert (payroll.county, payroll.status, payroll.line_count) == (district, "draft", 1)
    assert payroll.built_by is None
    P.payroll_approve(payroll=payroll, by=confirmed.confirmed_by)
    with django_capture_on_commit_callbacks(execute=True):
        assert build_next_month_payrolls(on="2026-11-25") == []  # approved: skipped


def test_parse_month():
    assert parse_month("2026-12") == DEC
    assert parse_month("2026-12-17") == DEC
    with pytest.raises(ValidationError):
        parse_month("12/2026")


def test_months_of_a_suspension_stay_unpaid_after_resumption(
    cw_baisha, cw_baisha_2, ca_pengjiang, village_a
):
    """Suspended in December, resumed in January: a December draft built afterwards leaves it out."""
    from assistance.models import PayrollLine

    from ..factories import region
    from .conftest import S, build_case, poor_household

    case = build_case(
        poor_household(village_a),
        to=S.CONFIRMED,
        maker=cw_baisha,
        second=cw_baisha_2,
        checker=ca_pengjiang,
    )
    with time_machine.travel(dt.datetime(2026, 11, 25, 10, 0), tick=False):
        services.dibao_case_suspend(case=case, reason="外出务工", by=cw_baisha)
    with time_machine.travel(dt.datetime(2027, 1, 10, 10, 0), tick=False):
        services.dibao_case_resume(case=case, reason="返乡", by=cw_baisha)
    county = region("440703")
    P.payroll_build(county=county, month=dt.date(2026, 12, 1), by=ca_pengjiang)
    P.payroll_build(county=county, month=dt.date(2027, 2, 1), by=ca_pengjiang)
    months = set(PayrollLine.objects.filter(case=case).values_list("month", flat=True))
    assert months == {dt.date(2027, 2, 1)}
