"""The payroll page in headless Debian chromium on a phone (390×844): while a rebuild is queued,
one state and a Bootstrap bar drawn by the script (no inline style under the CSP), approval
disabled; the polling reloads the page once the build is done. Then the approver's notification:
the header badge, marked read with HTMX, the badge gone."""

import datetime as dt

import pytest
from playwright.sync_api import Browser, Page, expect

from assistance.models import DibaoCase, Payroll
from assistance.payroll import services as P
from core.models import Job, Notification
from core.roles import Role

from ..assistance.conftest import build_case, poor_household
from ..factories import UserFactory, VillageFactory, region

pytestmark = pytest.mark.browser
PASSWORD = "pw-Xianjie-1"
PHONE = {"width": 390, "height": 844}


def _no_overflow(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_payroll_while_building_and_the_notification(browser: Browser, live_server, reference_data):  # type: ignore[no-untyped-def]
    baisha = region("440703002")
    village = VillageFactory(parent=baisha, code="440703002201", name="白沙甲社区")
    cw_a = UserFactory(username="cw_a", role=Role.CASEWORKER, region=baisha)
    cw_b = UserFactory(username="cw_b", role=Role.CASEWORKER, region=baisha)
    builder = UserFactory(
        username="ca_a", role=Role.CIVIL_AFFAIRS_REVIEWER, region=region("440703")
    )
    approver = UserFactory(
        username="ca_b", role=Role.CIVIL_AFFAIRS_REVIEWER, region=region("440703")
    )
    build_case(
        poor_household(village),
        to=DibaoCase.Status.CONFIRMED,
        maker=cw_a,
        second=cw_b,
        checker=builder,
    )
    draft = P.payroll_build(county=region("440703"), month=dt.date(2026, 12, 1), by=builder).payroll
    assert Notification.objects.filter(recipient=approver, kind="payroll.built").count() == 1
    # A rebuild queued (its worker has not started it).
    job = Job.objects.create(
        kind=P.JOB_KIND,
        region=draft.county,
        created_by=builder,
        progress_total=4,
        result={"payroll": draft.pk, "month": "2026-12-01"},
    )
    Payroll.objects.filter(pk=draft.pk).update(job=job)

    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/login/")
    page.fill("input[name=username]", "ca_b")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)

    page.goto(f"/payroll/{draft.pk}/")
    state = page.get_by_test_id("job-state")
    expect(state).to_have_text("排队中")
    expect(page.get_by_test_id("job-progress")).not_to_contain_text("运行中")
    bar = page.locator("#job-progress .progress-bar")
    expect(bar).to_have_attribute("data-percent", "100")
    # The width is set by static/js/job_progress.js (a style="" attribute would break the CSP).
    assert page.evaluate("document.querySelector('#job-progress .progress-bar').style.width") == (
        "100%"
    )
    expect(page.get_by_test_id("approve-disabled")).to_be_disabled()
    expect(page.get_by_test_id("approve-link")).to_have_count(0)
    _no_overflow(page)

    # The worker finishes: the polling sees it and the page reloads with the approval offered.
    Job.objects.filter(pk=job.pk).update(status=Job.Status.DONE, progress_done=4)
    expect(page.get_by_test_id("job-progress")).to_have_count(0, timeout=8_000)
    expect(page.get_by_test_id("approve-link")).to_be_visible()

    # The notifications: a badge in the header (the payroll built, and the case proposed by
    # the township before), marked read in place one by one, then all.
    expect(page.get_by_test_id("notifications-bell")).to_have_attribute("data-unread", "2")
    page.goto("/notifications/")
    row = page.locator("[data-kind='payroll.built']")
    expect(row).to_contain_text("发放花名册已生成")
    row.get_by_test_id("mark-read").click()
    expect(page.locator("[data-kind='payroll.built']")).to_have_attribute("data-read", "1")
    expect(page.get_by_test_id("notifications-bell")).to_have_attribute("data-unread", "1")
    page.get_by_test_id("mark-all-read").click()
    expect(page.get_by_test_id("notifications-bell")).to_have_attribute("data-unread", "0")
    expect(page.get_by_test_id("notifications-unread")).to_have_count(0)
    _no_overflow(page)
    assert not Notification.objects.filter(recipient=approver, read_at__isnull=True).exists()
    assert errors == []
    context.close()
