"""The district report: figures on a small built dataset, scoping, and the xlsx export."""

import datetime as dt
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from assistance.dibao import services
from assistance.models import BenefitAward, Payroll, PayrollLine
from assistance.oversight import report
from core.calendar import working_days_between
from core.models import AccessLog
from core.roles import Role

from ..conftest import login
from ..factories import UserFactory, region
from .conftest import DEC, S, build_case, poor_household

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():  # type: ignore[no-untyped-def]
    moment = dt.datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with translation.override("en"), time_machine.travel(moment, tick=False):
        yield


@pytest.fixture
def supervisor(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="supervisor", role=Role.SUPERVISOR, region=region("440700"))


@pytest.fixture
def data(  # type: ignore[no-untyped-def]
    cw_baisha,
    cw_baisha_2,
    ca_pengjiang,
    village_a,
    village_b,
    village_taicheng,
    cw_taicheng,
    ca_taishan,
):
    """蓬江区: one urban and one rural recipient (confirmed 13 Nov 2026, paid from December),
    one case stuck in investigation; 台山市: one urban recipient."""
    urban = build_case(
        poor_household(village_a),
        to=S.CONFIRMED,
        maker=cw_baisha,
        second=cw_baisha_2,
        checker=ca_pengjiang,
    )
    rural = build_case(
        poor_household(village_b, hukou="rural"),
        to=S.CONFIRMED,
        maker=cw_baisha,
        second=cw_baisha_2,
        checker=ca_pengjiang,
        wages=Decimal("600"),
    )
    stuck = build_case(
        poor_household(village_a), to=S.INVESTIGATING, maker=cw_baisha, second=cw_baisha_2
    )
    t2 = UserFactory(username="cw_taicheng_2", role=Role.CASEWORKER, region=region("440781001"))
    taishan = build_case(
        poor_household(village_taicheng),
        to=S.CONFIRMED,
        maker=cw_taicheng,
        second=t2,
        checker=ca_taishan,
    )
    return {"urban": urban, "rural": rural, "stuck": stuck, "taishan": taishan}


def test_figures_from_the_cases_paying_that_month(data, ca_pengjiang):
    r = report.district_report(user=ca_pengjiang, county=region("440703"), month=DEC)
    assert r.source == "cases" and r.payroll is None
    # (914 − 300/2) × 2 + 20% × 914 for the minor = 1710.80 → 1711; rural (914 − 600/2) × 2 +
    # 182.80 = 1410.80 → 1411. 蓬江区's 2023 standard (914, urban = rural) is in force.
    assert (r.urban.households, r.urban.persons, r.urban.paid) == (1, 2, Decimal("1711"))
    assert (r.rural.households, r.rural.persons, r.rural.paid) == (1, 2, Decimal("1411"))
    assert r.urban.standard == r.rural.standard == Decimal("914")
    # Top-up level = paid ÷ persons ÷ standard: 1711 / 2 / 914 = 0.93599… ; 1411 / 2 / 914 = 0.77188…
    assert r.urban.topup_level == Decimal("0.9360")
    assert r.rural.topup_level == Decimal("0.7719")
    assert r.urban.target == Decimal("0.75") and r.rural.target == Decimal("0.50")
    assert r.urban.meets_target and r.rural.meets_target
    assert (r.households, r.persons, r.paid) == (2, 4, Decimal("3122"))  # 台山 not counted
    # Nothing is paid in November yet.
    nov = report.district_report(
        user=ca_pengjiang, county=region("440703"), month=dt.date(2026, 11, 1)
    )
    assert nov.persons == 0 and nov.urban.topup_level is None


def test_applications_and_procedure_times(data, ca_pengjiang):
    county = region("440703")
    nov = report.district_report(
        user=ca_pengjiang, county=county, month=dt.date(2026, 11, 1), today=dt.date(2026, 11, 28)
    )
    statuses = {code: n for code, _label, n in nov.by_status}
    assert statuses["confirmed"] == 2 and statuses["investigating"] == 1
    assert sum(statuses.values()) == 3
    assert (nov.applied_in_month, nov.confirmed_in_month) == (3, 2)
    # Accepted Mon 2 Nov, confirmed Fri 13 Nov: 9 working days.
    wd = working_days_between(dt.date(2026, 11, 2), dt.date(2026, 11, 13))
    assert wd == 9 and nov.average_procedure_wd == Decimal("9.0")
    assert nov.confirmed_after_limit == 0 and nov.procedure_overdue == 0
    # After the 30-working-day limit the stuck case counts as overdue.
    later = report.district_report(
        user=ca_pengjiang,
        county=county,
        month=DEC,
        today=data["stuck"].procedure_due + dt.timedelta(days=1),
    )
    assert later.procedure_overdue == 1 and later.confirmed_in_month == 0
    assert later.average_procedure_wd is None


def draft_payroll(county, subsidies):  # type: ignore[no-untyped-def]
    """A December draft payroll of `county` with a line per case of `subsidies` (case → price
    subsidy), each paying the case's award."""
    payroll = Payroll.objects.create(county=county, month=DEC, status=Payroll.Status.DRAFT)
    for case, subsidy in subsidies.items():
        award = BenefitAward.objects.get(case=case)
        PayrollLine.objects.create(
            payroll=payroll,
            case=case,
            month=DEC,
            award=award,
            payee_name="x",
            members=award.members,
            base_amount=award.base_amount,
            supplement_amount=award.supplement_amount,
            price_subsidy=subsidy,
            total=award.total + subsidy,
        )
    return payroll


def test_figures_from_the_payroll_when_there_is_one(data, ca_pengjiang):
    county = region("440703")
    payroll = draft_payroll(county, {data["urban"]: Decimal("182.80"), data["rural"]: Decimal("0")})
    r = report.district_report(user=ca_pengjiang, county=county, month=DEC)
    assert r.source == "payroll" and r.payroll == payroll
    assert r.urban.paid == Decimal("1893.80") and r.urban.price_subsidy == Decimal("182.80")
    # The price subsidy is not dibao: the top-up level stays 1711 / 2 / 914.
    assert r.urban.topup_level == Decimal("0.9360")
    assert r.paid == Decimal("3304.80")


def test_scoping_of_the_service(data, ca_taishan, cw_baisha):
    with pytest.raises(PermissionDenied):
        report.district_report(user=ca_taishan, county=region("440703"), month=DEC)
    with pytest.raises(PermissionDenied):
        report.district_report(user=cw_baisha, county=region("440703"), month=DEC)
    own = report.district_report(user=ca_taishan, county=region("440781"), month=DEC)
    # 台山 class 4, urban 857: (857 − 150) × 2 + 171.40 = 1585.40 → 1586.
    assert (own.urban.persons, own.urban.paid, own.urban.standard) == (
        2,
        Decimal("1586"),
        Decimal("857"),
    )


def test_page_for_the_district_reviewer(data, client, ca_pengjiang):
    login(client, ca_pengjiang)
    resp = client.get(reverse("assistance_oversight:report"), {"month": "2026-12"})
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "蓬江区" in body and 'data-testid="level-urban"' in body
    assert "93.60%" in body and "77.19%" in body


def test_page_roles_and_other_districts(data, client, ca_taishan, cw_baisha, va_baisha, supervisor):
    url = reverse("assistance_oversight:report")
    export = reverse("assistance_oversight:report_export")
    assert client.get(url).status_code == 302
    login(client, va_baisha)
    assert client.get(url).status_code == 403
    assert client.get(export, {"county": "440703", "month": "2026-12"}).status_code == 403
    # A town caseworker sees their town only (broken down by village), never the district.
    login(client, cw_baisha)
    own = client.get(url, {"month": "2026-12"})
    assert own.status_code == 200 and own.context["region"].code == "440703002"
    assert {u.region.level for u in own.context["report"].units} == {"village"}
    for code in ("440703", "440781001", "440700"):
        assert client.get(url, {"region": code}).status_code == 404
        assert client.get(export, {"region": code, "month": "2026-12"}).status_code == 404
    login(client, ca_taishan)
    assert client.get(url, {"county": "440703", "month": "2026-12"}).status_code == 404
    assert client.get(export, {"county": "440703", "month": "2026-12"}).status_code == 404
    assert client.get(url, {"region": "440703002", "month": "2026-12"}).status_code == 404
    assert client.get(export, {"region": "440703002", "month": "2026-12"}).status_code == 404
    assert client.get(url, {"county": "999999"}).status_code == 404
    assert "台山市" in client.get(url, {"month": "2026-12"}).content.decode()
    # The city sees the districts side by side and may open one.
    login(client, supervisor)
    first = client.get(url)
    assert first.context["region"].code == "440700"
    assert len(first.context["report"].units) == 7
    chosen = client.get(url, {"county": "440781", "month": "2026-12"}).content.decode()
    assert 'data-testid="level-urban"' in chosen and "92.53%" in chosen  # 1586 / 2 / 857
    assert (
        "Enter the month"
        in client.get(url, {"county": "440781", "month": "12/2026"}).content.decode()
    )
    future = client.get(url, {"county": "440781", "month": "2027-01"})
    assert future.context["report"] is None and future.context["error"]


def test_city_dashboard_puts_the_seven_districts_side_by_side(data, supervisor):
    r = report.area_report(user=supervisor, region=region("440700"), month=DEC)
    assert [u.region.level for u in r.units] == ["county"] * 7
    by = {u.region.code: u for u in r.units}
    assert (by["440703"].urban.persons, by["440703"].rural.persons) == (2, 2)
    assert by["440703"].paid == Decimal("3122") and by["440781"].paid == Decimal("1586")
    assert by["440703"].urban.topup_level == Decimal("0.9360")
    assert by["440781"].urban.topup_level == Decimal("0.9253")
    assert by["440705"].persons == 0 and by["440705"].urban.topup_level is None
    assert r.paid == Decimal("4708") and r.persons == 6
    # Over districts with different standards the level weighs each person by their standard:
    # urban (1711 + 1586) / (2 × 914 + 2 × 857).
    assert r.urban.topup_level == (Decimal(3297) / Decimal(3542)).quantize(Decimal("0.0001"))
    assert r.urban.target == Decimal("0.75") and r.rural.target == Decimal("0.50")
    statuses = {code: n for code, _l, n in r.by_status}
    assert statuses["confirmed"] == 3 and statuses["investigating"] == 1


def test_district_breakdown_by_town(data, ca_pengjiang):
    r = report.district_report(user=ca_pengjiang, county=region("440703"), month=DEC)
    towns = {u.region.code: u for u in r.units}
    assert all(u.region.level == "township" for u in r.units)
    assert all(code.startswith("440703") for code in towns)
    baisha = towns["440703002"]
    assert (baisha.urban.persons, baisha.rural.persons, baisha.paid) == (2, 2, Decimal("3122"))
    assert baisha.urban.standard == Decimal("914") and baisha.status_counts["confirmed"] == 2
    others = [u for code, u in towns.items() if code != "440703002"]
    assert others and all(u.persons == 0 and u.cases == 0 for u in others)
    # The district's total is the sum of its towns.
    assert r.paid == sum((u.paid for u in r.units), Decimal("0"))
    sections = {s.key: s for s in report.report_sections(r)}
    row = dict((unit.code, values) for unit, values in sections["recipients"].rows)
    assert row["440703002"][:2] == [2, 2]
    chart = sections["topup"].chart()
    assert chart["percent"] and [t["value"] for t in chart["targets"]] == [75.0, 50.0]
    i = chart["categories"].index(region("440703002").name)
    assert chart["series"][0]["data"][i] == 93.6


def test_payroll_in_one_district_only_mixes_sources_at_city_level(data, supervisor):
    county = region("440703")
    draft_payroll(county, {data["urban"]: Decimal("10")})
    r = report.area_report(user=supervisor, region=region("440700"), month=DEC)
    by = {u.region.code: u for u in r.units}
    # 蓬江's payroll has only the urban line: the rural case is not paid by it.
    assert by["440703"].source == "payroll" and by["440703"].paid == Decimal("1721")
    assert by["440781"].source == "cases" and by["440781"].paid == Decimal("1586")
    assert r.source == "mixed"


def test_report_queries_do_not_grow_with_cases_or_units(
    data, supervisor, ca_pengjiang, django_assert_max_num_queries
):
    with django_assert_max_num_queries(14):
        report.area_report(user=supervisor, region=region("440700"), month=DEC)
    with django_assert_max_num_queries(14):
        report.area_report(user=ca_pengjiang, region=region("440703"), month=DEC)
    for _k in range(6):
        build_case(
            poor_household(data["stuck"].household.village),
            to=S.APPLIED,
            maker=data["stuck"].created_by,
            second=data["stuck"].created_by,
        )
    with django_assert_max_num_queries(14):
        report.area_report(user=supervisor, region=region("440700"), month=DEC)


def test_dashboard_pages_query_counts(
    data, client, supervisor, ca_pengjiang, cw_baisha, django_assert_max_num_queries
):
    url = reverse("assistance_oversight:report")
    for user in (supervisor, ca_pengjiang, cw_baisha):
        login(client, user)
        with django_assert_max_num_queries(24):
            resp = client.get(url, {"month": "2026-12"})
        body = resp.content.decode()
        assert resp.status_code == 200
        for key in ("recipients", "paid", "topup", "stages", "month", "overdue"):
            assert f'data-chart="chart-{key}"' in body and f'id="chart-{key}"' in body
        assert "echarts.min.js" in body and "js/charts.js" in body
        assert "<script>" not in body  # CSP: data in json_script only


def test_xlsx_export_opens_and_has_the_figures(data, client, ca_pengjiang, settings):
    login(client, ca_pengjiang)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    resp = client.get(
        reverse("assistance_oversight:report_export"), {"county": "440703", "month": "2026-12"}
    )
    assert resp.status_code == 200
    assert resp["Content-Type"] == report.XLSX
    assert "district-report-440703-2026-12.xlsx" in resp["Content-Disposition"]
    ws = openpyxl.load_workbook(BytesIO(resp.content)).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    # Headers in the request's language (Chinese here).
    with translation.override("zh-hans"):
        t = {m: gettext(m) for m in ("District", "Month", "Urban", "Rural", "Yes", "Confirmed")}
        t["avg"] = gettext("Average procedure time (working days)")
    assert rows[0][:4] == [t["District"], "蓬江区", t["Month"], "2026-12"]
    urban = next(r for r in rows if r and r[0] == t["Urban"])
    rural = next(r for r in rows if r and r[0] == t["Rural"])
    assert urban[1:7] == [1, 2, 1711, 0, 914, pytest.approx(0.936)]
    assert rural[1:4] == [1, 2, 1411] and rural[6] == pytest.approx(0.7719)
    assert urban[7] == pytest.approx(0.75) and urban[8] == t["Yes"]
    avg = next(r for r in rows if r and r[0] == t["avg"])
    assert avg[1] is None  # nothing confirmed in December
    confirmed = next(r for r in rows if r and r[0] == t["Confirmed"])
    assert confirmed[1] == 2
    # The second sheet has one row per town (the numbers behind the charts), the total last.
    towns = openpyxl.load_workbook(BytesIO(resp.content)).worksheets[1]
    trows = [list(r) for r in towns.iter_rows(values_only=True)]
    baisha = next(r for r in trows if r[0] == "440703002")
    assert baisha[2:7] == [1, 2, 1, 2, 1711 + 1411]
    assert baisha[7] == pytest.approx(0.936) and baisha[8] == pytest.approx(0.75)
    assert all(str(r[0]).startswith("440703") for r in trows[1:-1])
    assert trows[-1][2:7] == [1, 2, 1, 2, 3122]
    log = AccessLog.objects.get(user=ca_pengjiang, action=AccessLog.Action.EXPORT)
    assert log.object_id == str(region("440703").pk)


def test_reported_numbers_match_services(data, ca_pengjiang):
    """The report's recipients are exactly the cases the ledger says are paid."""
    dec_paying = [c for c in (data["urban"], data["rural"]) if c.payment_start_month <= DEC]
    expected = sum(services.current_award(c, month=DEC).total for c in dec_paying)
    r = report.district_report(user=ca_pengjiang, county=region("440703"), month=DEC)
    assert r.paid == expected


def test_reviews_overdue_and_not_opened_by_town(data, ca_pengjiang):
    from assistance.dibao import reviews as review_selectors
    from assistance.models import CaseReview, DibaoCase

    today = dt.date(2027, 3, 10)
    DibaoCase.objects.filter(pk=data["urban"].pk).update(next_review_due=dt.date(2027, 3, 1))
    CaseReview.objects.create(
        case=data["rural"],
        kind="periodic",
        opened_on=dt.date(2027, 1, 5),
        due_on=dt.date(2027, 2, 5),
    )
    r = report.district_report(user=ca_pengjiang, county=region("440703"), month=DEC, today=today)
    baisha = next(u for u in r.units if u.region.code == "440703002")
    assert (baisha.reviews_overdue, baisha.reviews_not_opened) == (1, 1)
    assert (r.reviews_overdue, r.reviews_not_opened) == (1, 1)
    # The same cases the inbox's selectors list.
    assert review_selectors.reviews_overdue(user=ca_pengjiang, on=today).count() == 1
    assert review_selectors.reviews_not_opened(user=ca_pengjiang, on=today).count() == 1
