"""The dibao case list in headless Debian chromium: a district reviewer picks a town and the village
select is filled for it by HTMX (never the city's thousand villages), filters, sorts by a column,
and the page fits a phone's 390 px."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from assistance.models import DibaoCase
from core.roles import Role
from households.models import Membership

from ..factories import HouseholdFactory, PersonFactory, UserFactory, VillageFactory, region

pytestmark = pytest.mark.browser
PASSWORD = "pw-Xianjie-1"


def _case(village, by, name: str, applied_on: dt.date, due: dt.date) -> DibaoCase:  # type: ignore[no-untyped-def]
    household = HouseholdFactory(village=village)
    person = PersonFactory(region=village, name=name)
    Membership.objects.create(
        household=household, person=person, relation="head", start_date=dt.date(2020, 1, 1)
    )
    return DibaoCase.objects.create(
        household=household,
        applicant=person,
        status=DibaoCase.Status.APPLIED,
        applied_on=applied_on,
        acceptance_due=due,
        created_by=by,
    )


def test_district_reviewer_filters_by_town_and_village_and_sorts(
    page: Page, reference_data
) -> None:  # type: ignore[no-untyped-def]
    baisha, chaolian = region("440703002"), region("440703005")
    a = VillageFactory(parent=baisha, code="440703002201", name="白沙甲社区")
    b = VillageFactory(parent=baisha, code="440703002202", name="白沙乙社区")
    c = VillageFactory(parent=chaolian, code="440703005201", name="潮连丙村")
    user = UserFactory(
        username="ca_browser", role=Role.CIVIL_AFFAIRS_REVIEWER, region=region("440703")
    )
    # The server's today (Asia/Shanghai), not the machine's: they differ from 00:00 to 08:00.
    today = timezone.localdate()
    late = _case(a, user, "陈甲", today - dt.timedelta(days=20), today - dt.timedelta(days=4))
    _case(b, user, "李乙", today - dt.timedelta(days=2), today + dt.timedelta(days=3))
    _case(c, user, "王丙", today - dt.timedelta(days=1), today + dt.timedelta(days=5))

    page.goto("/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.goto("/dibao/")
    rows = page.get_by_test_id("case-row")
    expect(rows).to_have_count(3)
    # Most overdue first, marked in red with the days.
    expect(rows.first).to_contain_text("陈甲")
    expect(rows.first.get_by_test_id("overdue")).to_contain_text("逾期 4 天")
    # No village list until a town is chosen; choosing one loads its villages only.
    expect(page.locator("#id_village option")).to_have_count(1)
    page.select_option("[data-testid=filter-town]", value=str(baisha.pk))
    expect(page.locator("#id_village option")).to_have_count(3)
    expect(page.locator("#id_village")).not_to_contain_text("潮连丙村")
    page.select_option("#id_village", value=str(b.pk))
    page.get_by_test_id("filter-submit").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("李乙")
    # Sort by the application date, newest first, over the whole district.
    page.goto("/dibao/?sort=-applied_on")
    expect(rows.first).to_contain_text("王丙")
    page.get_by_test_id("sort-applied_on").click()  # toggles to oldest first
    expect(rows.first).to_contain_text("陈甲")
    # A phone: nothing wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/dibao/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # …and only the search box until the other filters are asked for.
    expect(page.get_by_test_id("filter-town")).to_be_hidden()
    page.get_by_test_id("more-filters").click()
    expect(page.get_by_test_id("filter-town")).to_be_visible()
    assert late.pk
