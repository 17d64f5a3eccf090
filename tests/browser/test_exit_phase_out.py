"""The exit from poverty reaches civil affairs, end to end in headless Debian chromium (issue: "a
poverty-office reviewer confirms an exit, a civil-affairs reviewer sees the notice in the inbox and
starts the phase-out; the caseworker gets the notification").

Set up through the services, each step on its own day (November 2026): a confirmed dibao case of
白沙, its household registered in the poverty register (the referral accepted), a measure, the exit
proposed by the poverty office. Then in the browser, on today's date: a second poverty-office
reviewer records the government's confirmation; the district civil-affairs reviewer finds the
notice of exit in the hand-offs inbox, acknowledges it and decides to lower the dibao (a six-month
phase-out); the town's caseworker finds the phase-out in the notifications. The inbox and the
hand-off page are looked at again 390 px wide: nothing wider than the screen, the buttons on it.
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from playwright.sync_api import Locator, Page, expect

from assistance.models import DibaoCase
from core.months import add_months
from core.notifications.models import Notification
from core.roles import Role
from poverty import services as poverty
from poverty.models import PovertyRecord
from transitions import services as handoffs
from transitions.models import Handoff, PhaseOut

from ..assistance.conftest import build_confirmed, on_day
from ..factories import UserFactory, region

pytestmark = pytest.mark.browser

PASSWORD = "pw-Xianjie-1"
DESKTOP = {"width": 1280, "height": 1000}
PHONE = {"width": 390, "height": 844}
DOCUMENT_NO = "蓬府〔2026〕12号"


def log_in(page: Page, username: str, expect_name: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    expect(page.get_by_test_id("whoami")).to_contain_text(expect_name)


def log_out(page: Page) -> None:
    with page.expect_navigation():
        page.locator("header form[action='/logout/'] button").click()


def fits(page: Page) -> None:
    """Nothing is wider than the screen (no horizontal scrolling)."""
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], (page.url, width)


def on_screen(page: Page, target: Locator) -> None:
    """`target` is shown, usable, and once scrolled to lies within the screen's width."""
    expect(target).to_be_visible()
    expect(target).to_be_enabled()
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    width = page.viewport_size["width"]  # type: ignore[index]
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box


def at_phone_width(page: Page, check) -> None:  # type: ignore[no-untyped-def]
    """The current page again 390 px wide (`check` runs there), then back to the desktop."""
    page.set_viewport_size(PHONE)
    page.reload()
    fits(page)
    check()
    page.set_viewport_size(DESKTOP)
    page.reload()


@pytest.fixture
def exit_proposed(reference_data, cw_baisha, ca_pengjiang, village_a) -> DibaoCase:  # type: ignore[no-untyped-def]
    """A confirmed case of 白沙 (2026-11-13) whose household's exit from poverty the poverty
    office proposed on 2026-11-20 (the calls of tests/transitions/test_phaseout_story.py)."""
    cw_baisha_2 = UserFactory(
        username="cw_baisha_2", role=Role.CASEWORKER, region=region("440703002")
    )
    po_pengjiang = UserFactory(
        username="po_pengjiang",
        role=Role.POVERTY_OFFICE_REVIEWER,
        region=region("440703"),
        last_name="扶贫审核员甲",
    )
    UserFactory(
        username="po_pengjiang_2",
        role=Role.POVERTY_OFFICE_REVIEWER,
        region=region("440703"),
        last_name="扶贫审核员乙",
    )
    case = build_confirmed(village_a, maker=cw_baisha, second=cw_baisha_2, checker=ca_pengjiang)
    household = case.household
    # A key-target household: its referral to the poverty office opened by itself; accepted,
    # it registers the household.
    referral = Handoff.objects.get(kind="registration_referral", household=household)
    with on_day(dt.date(2026, 11, 16)):
        handoffs.handoff_acknowledge(handoff=referral, by=po_pengjiang)
        handoffs.handoff_approve(
            handoff=referral, by=po_pengjiang, reason="符合条件", details={"causes": ["illness"]}
        )
    record = PovertyRecord.objects.get(household=household)
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
    record.refresh_from_db()
    assert record.status == PovertyRecord.Status.EXIT_PROPOSED
    assert not Handoff.objects.filter(kind="exit_notice", household=household).exists()
    return case


def test_exit_confirmed_then_phase_out_started_and_notified(  # type: ignore[no-untyped-def]
    page: Page, exit_proposed, cw_baisha, ca_pengjiang
) -> None:
    case = exit_proposed
    record = PovertyRecord.objects.get(household=case.household)
    today = timezone.localdate()  # the browser's steps are recorded today (after 2026-11-20)

    # 1. A second poverty-office reviewer records the government's confirmation of the exit.
    log_in(page, "po_pengjiang_2", "扶贫审核员乙")
    page.goto(f"/poverty/{record.pk}/")
    stepper = page.get_by_test_id("stepper")
    expect(stepper.locator("li[data-status=exit_proposed]")).to_have_attribute(
        "aria-current", "step"
    )
    page.get_by_test_id("action-confirm_exit").click()
    expect(page).to_have_url(re.compile(rf"/poverty/{record.pk}/confirm-exit/$"))
    expect(page.locator("#id_confirmed_on")).to_have_value(today.isoformat())
    page.fill("#id_confirmed_on", today.isoformat())
    page.fill("#id_document_no", DOCUMENT_NO)
    page.select_option("#id_confirming_level", value="county")
    page.get_by_test_id("submit").click()
    expect(page).to_have_url(re.compile(rf"/poverty/{record.pk}/$"))
    expect(stepper.locator("li[data-status=exit_confirmed]")).to_have_attribute(
        "aria-current", "step"
    )
    with translation.override("zh-hans"):  # the pages' language (no language cookie)
        county = str(PovertyRecord.ConfirmingLevel.COUNTY.label)
    expect(page.get_by_test_id("record-summary")).to_contain_text(f"{today.isoformat()} · {county}")
    expect(page.get_by_test_id("record-summary")).to_contain_text(DOCUMENT_NO)
    expect(page.get_by_test_id("action-confirm_exit")).to_have_count(0)
    record.refresh_from_db()
    assert record.status == PovertyRecord.Status.EXIT_CONFIRMED
    assert (record.exit_confirmed_on, record.exit_document_no) == (today, DOCUMENT_NO)
    # The exit is passed on to civil affairs.
    notice = Handoff.objects.get(kind="exit_notice", household=case.household)
    assert notice.dibao_case == case and notice.status == Handoff.Status.OPEN
    assert Notification.objects.filter(recipient=ca_pengjiang, kind="handoff.open").exists()
    log_out(page)

    # 2. The district civil-affairs reviewer: the notice is waiting in the inbox.
    log_in(page, "ca_pengjiang", "ca_pengjiang")
    page.goto("/handoffs/")
    row = page.get_by_test_id("handoff-table").locator("tr[data-kind=exit_notice]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("脱贫通知")
    expect(row).to_contain_text(case.household.village.name)
    link = row.get_by_role("link", name=str(notice))

    at_phone_width(page, lambda: on_screen(page, link))
    link.click()
    expect(page).to_have_url(re.compile(rf"/handoffs/{notice.pk}/$"))
    expect(page.locator("h1")).to_contain_text("脱贫通知")
    expect(page.get_by_test_id("handoff-status")).to_have_text("待处理")
    expect(page.get_by_test_id("approve")).to_have_count(0)  # receipt first
    at_phone_width(page, lambda: on_screen(page, page.get_by_test_id("acknowledge")))

    page.get_by_test_id("acknowledge").click()
    expect(page).to_have_url(re.compile(rf"/handoffs/{notice.pk}/$"))
    expect(page.get_by_test_id("handoff-status")).to_contain_text("已签收")
    expect(page.get_by_test_id("acknowledge")).to_have_count(0)

    def decision_on_a_phone() -> None:
        for field in ("#id_outcome", "#id_decided_on"):
            on_screen(page, page.locator(field))
            expect(page.locator(field)).to_be_editable()
        on_screen(page, page.get_by_test_id("approve"))

    at_phone_width(page, decision_on_a_phone)

    # The decision: lower the dibao, a six-month phase-out.
    page.select_option("#id_outcome", value="lower")
    expect(page.locator("#id_outcome option:checked")).to_have_text("降低低保（6个月渐退）")
    page.fill("#id_decided_on", today.isoformat())
    page.get_by_test_id("approve").click()
    expect(page).to_have_url(re.compile(rf"/handoffs/{notice.pk}/$"))
    expect(page.get_by_test_id("handoff-status")).to_contain_text("已批准")
    expect(page.get_by_test_id("handoff-actions")).to_have_count(0)
    at_phone_width(page, lambda: expect(page.get_by_test_id("handoff-status")).to_be_visible())

    notice.refresh_from_db()
    assert (notice.status, notice.outcome) == (Handoff.Status.APPROVED, "lower")
    phase_out = PhaseOut.objects.get(case=case)
    start = add_months(today.replace(day=1), 1)  # from the month after the decision
    assert (phase_out.start_month, phase_out.kept_until, phase_out.due_on) == (
        start,
        add_months(start, 5),
        add_months(start, 6),
    )
    log_out(page)

    # 3. The town's caseworker: the bell counts it, the notifications page shows the phase-out.
    log_in(page, "cw_baisha", "白沙社工")
    unread = Notification.objects.filter(recipient=cw_baisha, read_at__isnull=True).count()
    assert unread >= 1
    bell = page.get_by_test_id("notifications-bell")
    expect(bell).to_have_attribute("data-unread", str(unread))
    bell.click()
    expect(page).to_have_url(re.compile(r"/notifications/$"))
    started = page.get_by_test_id("notifications").locator("[data-kind='phase_out.started']")
    expect(started).to_have_count(1)
    expect(started).to_contain_text(f"案件{case}进入渐退期")
    expect(started).to_contain_text(f"{add_months(start, 5):%Y-%m}")
    expect(started).to_contain_text(add_months(start, 6).isoformat())
    expect(started).to_have_attribute("data-read", "0")
    page.set_viewport_size(PHONE)
    page.reload()
    fits(page)
    expect(started.get_by_test_id("mark-read")).to_be_visible()
