"""The dashboards in headless Debian chromium: the city supervisor's (seven districts side by
side) and a district reviewer's (its towns) draw every chart (an svg inside each chart container)
and the numbers in each chart's table are the report selector's; at 390 px the charts shrink to
the screen."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from assistance.oversight import report
from core.models import User
from core.roles import Role

from ..assistance.conftest import S, build_case, poor_household
from ..factories import UserFactory, region

pytestmark = pytest.mark.browser

PASSWORD = "pw-Xianjie-1"
MONTH = "2026-12"  # the first month the cases below are paid
DEC = dt.date(2026, 12, 1)
SECTIONS = ("recipients", "paid", "topup", "stages", "month", "overdue")


@pytest.fixture
def dataset(reference_data, cw_baisha, ca_pengjiang, village_a, village_b):  # type: ignore[no-untyped-def]
    cw_baisha_2 = UserFactory(
        username="cw_baisha_2", role=Role.CASEWORKER, region=region("440703002")
    )
    build_case(
        poor_household(village_a),
        to=S.CONFIRMED,
        maker=cw_baisha,
        second=cw_baisha_2,
        checker=ca_pengjiang,
    )
    build_case(
        poor_household(village_b, hukou="rural"),
        to=S.CONFIRMED,
        maker=cw_baisha,
        second=cw_baisha_2,
        checker=ca_pengjiang,
        wages=Decimal("600"),
    )
    build_case(poor_household(village_a), to=S.INVESTIGATING, maker=cw_baisha, second=cw_baisha_2)
    return UserFactory(username="supervisor", role=Role.SUPERVISOR, region=region("440700"))


def log_in(page: Page, username: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    expect(page.get_by_test_id("whoami")).to_be_visible()


def as_number(text: str) -> Decimal | None:
    text = text.strip().replace(",", "")
    return None if text == "—" else Decimal(text)


def check_dashboard(page: Page, user: User, region_code: str) -> None:
    page.goto(f"{reverse('assistance_oversight:report')}?month={MONTH}")
    expect(page.get_by_test_id("dashboard")).to_be_visible()
    expected = report.area_report(user=user, region=region(region_code), month=DEC)
    sections = {s.key: s for s in report.report_sections(expected)}
    assert set(sections) == set(SECTIONS)
    for key in SECTIONS:
        chart = page.get_by_test_id(f"chart-{key}")
        expect(chart.locator("svg").first).to_be_attached()
        assert chart.get_attribute("data-rendered") == "1"
        table = page.get_by_test_id(f"table-{key}")
        s = sections[key]
        assert table.locator("tbody tr").count() == len(s.rows)
        for unit, values in s.rows:
            cells = table.locator(f'tr[data-unit="{unit.code}"] td')
            shown = [as_number(t) for t in cells.all_inner_texts()]
            assert shown == [None if v is None else Decimal(v) for v in values], (key, unit.code)
        total = [as_number(t) for t in table.locator('tr[data-unit="total"] td').all_inner_texts()]
        assert total == [None if v is None else Decimal(v) for v in s.total], key


def test_supervisor_sees_the_seven_districts_as_charts(page: Page, dataset):  # type: ignore[no-untyped-def]
    log_in(page, "supervisor")
    check_dashboard(page, dataset, "440700")
    rows = page.get_by_test_id("table-recipients").locator("tbody tr")
    assert rows.count() == 7
    pengjiang = page.get_by_test_id("table-recipients").locator('tr[data-unit="440703"] td')
    assert pengjiang.all_inner_texts()[:2] == ["2", "2"]  # urban and rural persons
    # At a phone's width the charts fit the screen (they follow their container).
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    width = page.evaluate(
        "() => document.querySelector('[data-testid=chart-topup] svg').getBoundingClientRect().width"
    )
    assert 0 < width <= 390
    # Drill down to a district.
    page.get_by_test_id("table-recipients").get_by_role("link", name="蓬江区").click()
    expect(page.get_by_test_id("report-region")).to_have_text("蓬江区")


def test_district_reviewer_sees_its_towns_as_charts(page: Page, dataset, ca_pengjiang):  # type: ignore[no-untyped-def]
    log_in(page, "ca_pengjiang")
    check_dashboard(page, ca_pengjiang, "440703")
    codes = (
        page.get_by_test_id("table-recipients")
        .locator("tbody tr")
        .evaluate_all("rows => rows.map(r => r.dataset.unit)")
    )
    assert codes and all(c.startswith("440703") and len(c) == 9 for c in codes)
    baisha = page.get_by_test_id("table-recipients").locator('tr[data-unit="440703002"] td')
    assert baisha.all_inner_texts()[:2] == ["2", "2"]
