"""End to end in headless Debian chromium: caseworker A takes a household's dibao application from
the household page through acceptance, signatures, declarations, a home visit by two
investigators, the township proposal and the public notice; a district reviewer (another user)
confirms it; the payroll of the first paid month then has the case's line."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import Page, expect

from assistance.models import BenefitAward, CaseTransition, DibaoCase, Investigation, PayrollLine
from core.models import Region
from core.months import first_of_next_month
from core.roles import Role
from households.panels import household_panels, register

from ..assistance.conftest import head_of, poor_household
from ..factories import UserFactory, VillageFactory, region

pytestmark = pytest.mark.browser

PASSWORD = "pw-Xianjie-1"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _dibao_panel_and_media(settings, tmp_path):  # type: ignore[no-untyped-def]
    """The household panel as AssistanceConfig.ready() registers it; uploads in a temp dir."""
    from assistance.dibao.panels import dibao_panel

    settings.MEDIA_ROOT = str(tmp_path)
    added = dibao_panel not in household_panels
    register(dibao_panel)
    yield
    if added:
        household_panels.remove(dibao_panel)


def log_in(page: Page, username: str, expect_name: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    expect(page.get_by_test_id("whoami")).to_contain_text(expect_name)


def take_step(page: Page, action: str, fields: dict[str, str] | None = None) -> None:
    """Click the case page's button for `action`, fill the form, submit, back on the case page."""
    page.get_by_test_id(f"action-{action}").click()
    for selector, value in (fields or {}).items():
        page.fill(selector, value)
    page.get_by_test_id("submit").click()
    expect(page).to_have_url(re.compile(r"/dibao/\d+/$"))
    expect(page.locator(".messages .msg-success")).to_be_visible()


def expect_status(page: Page, status: str) -> None:
    expect(page.get_by_test_id("case-status")).to_have_attribute("data-status", status)
    expect(page.get_by_test_id("stepper").locator(f"li[data-status={status}]")).to_have_attribute(
        "aria-current", "step"
    )


def test_dibao_application_to_payroll(page: Page, reference_data, results_dir) -> None:  # type: ignore[no-untyped-def]
    baisha = region("440703002")
    village = VillageFactory(
        parent=baisha, code="440703002201", name="白沙甲社区", kind=Region.Kind.COMMUNITY
    )
    cw_a = UserFactory(username="cw_a", role=Role.CASEWORKER, region=baisha, last_name="社工甲")
    cw_b = UserFactory(username="cw_b", role=Role.CASEWORKER, region=baisha, last_name="社工乙")
    reviewer = UserFactory(
        username="ca_pj",
        role=Role.CIVIL_AFFAIRS_REVIEWER,
        region=region("440703"),
        last_name="民政审核员",
    )
    household = poor_household(village)  # head 45 (wages declared below), child 15
    head = head_of(household)
    head.name = "陈志明"
    head.save()

    # Dates typed into the forms: a month ago, so none is in the future.
    base = timezone.localdate() - dt.timedelta(days=30)
    day = {n: (base + dt.timedelta(days=n)).isoformat() for n in range(12)}

    # Caseworker A opens the case from the household page.
    log_in(page, "cw_a", "社工甲")
    page.goto(f"/households/{household.pk}/")
    panel = page.get_by_test_id("dibao-panel")
    expect(panel).to_be_visible()
    panel.get_by_test_id("open-dibao-case").click()
    page.select_option("#id_applicant", value=str(head.pk))
    page.get_by_test_id("save").click()
    expect(page).to_have_url(re.compile(r"/dibao/\d+/$"))
    case = DibaoCase.objects.get(household=household)
    expect_status(page, "draft")

    # Application, acceptance, signatures, investigation started.
    take_step(page, "apply", {"#id_applied_on": day[0]})
    expect_status(page, "applied")
    take_step(page, "accept", {"#id_accepted_on": day[0]})
    expect_status(page, "accepted")
    expect(page.get_by_test_id("procedure-due")).not_to_have_text("—")
    take_step(page, "sign", {"#id_authorization_on": day[0], "#id_good_faith_on": day[0]})
    expect(page.get_by_test_id("signatures")).to_contain_text(day[0])
    take_step(page, "start_investigation")
    expect_status(page, "investigating")

    # Declarations: the head's wages.
    page.get_by_test_id("action-declarations").click()
    page.select_option("#id_incomes-0-person", value=str(head.pk))
    page.select_option("#id_incomes-0-income_type", label="工资性收入")
    page.fill("#id_incomes-0-monthly_amount", "300")
    page.get_by_test_id("save").click()
    expect(page).to_have_url(re.compile(r"/dibao/\d+/$"))
    expect(page.get_by_test_id("income-row")).to_have_count(1)
    expect(page.get_by_test_id("income-row")).to_contain_text("300")

    # Home visit by two investigators, with a photo.
    page.get_by_test_id("action-investigation").click()
    page.fill("#id_home_visit_on", day[2])
    investigators = page.get_by_test_id("investigators")
    expect(investigators).to_contain_text("社工乙")
    expect(investigators).to_contain_text("民政审核员")
    investigators.locator(f"input[value='{cw_a.pk}']").check()
    investigators.locator(f"input[value='{cw_b.pk}']").check()
    page.fill("#id_neighbour_interviews", "邻居证实家中无稳定收入")
    page.fill("#id_findings", "户主打零工，月收入约300元；子女在读")
    page.set_input_files(
        "#id_attachments", files=[{"name": "visit.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.get_by_test_id("submit").click()
    expect(page).to_have_url(re.compile(r"/dibao/\d+/$"))
    expect(page.get_by_test_id("investigators")).to_contain_text("社工甲")
    expect(page.get_by_test_id("investigators")).to_contain_text("社工乙")
    expect(page.get_by_test_id("attachments")).to_contain_text("visit.png")
    assert Investigation.objects.get(case=case).attachments.count() == 1

    # Township proposal: the computed amount is shown before submitting.
    page.get_by_test_id("action-propose").click()
    expect(page.get_by_test_id("comp-pci")).to_have_text("150.00")
    expect(page.get_by_test_id("comp-total")).to_have_text("1711")
    page.fill("#id_on", day[3])
    page.get_by_test_id("submit").click()
    expect(page).to_have_url(re.compile(r"/dibao/\d+/$"))
    expect_status(page, "proposed")
    expect(page.get_by_test_id("proposed-amount")).to_contain_text("1711")

    # Public notice for 7 days from day 4; the printable notice is masked.
    # The notice was posted on the village board on day 4 and is recorded now: a start in the
    # past needs its reason.
    take_step(
        page,
        "notice",
        {"#id_starts_on": day[4], "#id_backdate_reason": "补录：公示已于当日在村务公开栏张贴"},
    )
    expect_status(page, "in_notice")
    page.goto(f"/dibao/{case.pk}/notice/print/")
    expect(page.locator("h1")).to_have_text("最低生活保障公示")
    expect(page.get_by_test_id("notice-name")).to_have_text("陈*明")
    expect(page.get_by_test_id("notice-amount")).to_have_text("1711.00")
    assert head.id_number not in page.content() and "陈志明" not in page.content()
    page.screenshot(path=str(results_dir / "dibao_notice.png"), full_page=True)
    page.goto(f"/dibao/{case.pk}/")
    expect(page.get_by_test_id("action-decide")).to_have_count(0)  # the proposer cannot decide

    # The district reviewer confirms, with a confirmation step.
    page.locator("header form[action='/logout/'] button").click()
    log_in(page, "ca_pj", "民政审核员")
    page.goto(f"/dibao/{case.pk}/")
    page.get_by_test_id("action-decide").click()
    expect(page.get_by_test_id("computation").get_by_test_id("comp-total")).to_have_text("1711")
    expect(page.get_by_test_id("investigations")).to_contain_text("户主打零工")
    expect(page.get_by_test_id("decide-notice")).to_contain_text(day[4])
    confirm_on = base + dt.timedelta(days=11)
    page.fill("#id_confirm-on", confirm_on.isoformat())
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("confirm-step")).to_contain_text("1711")
    case.refresh_from_db()
    assert case.status == DibaoCase.Status.IN_NOTICE  # nothing written before the second click
    page.get_by_test_id("confirm-final").click()
    expect(page).to_have_url(re.compile(rf"/dibao/{case.pk}/$"))
    expect_status(page, "confirmed")
    expect(page.get_by_test_id("award-row")).to_contain_text("1711")
    history = page.get_by_test_id("transition-row")
    # Every action is in the history, the recorded steps (signatures, declarations, the home
    # visit, its photo) included.
    expect(history).to_have_count(CaseTransition.objects.filter(case=case).count())
    expect(history.last).to_contain_text("民政审核员")
    page.screenshot(path=str(results_dir / "dibao_flow.png"), full_page=True)

    case.refresh_from_db()
    month = first_of_next_month(confirm_on)
    assert case.confirmed_by == reviewer and case.payment_start_month == month
    award = BenefitAward.objects.get(case=case)
    assert award.total == Decimal("1711") and award.effective_month == month

    # The first paid month's payroll has the case's line.
    from assistance.payroll.services import payroll_build

    with transaction.atomic():
        payroll_build(county=region("440703"), month=month, by=reviewer)
    line = PayrollLine.objects.get(case=case, month=month)
    assert line.award == award and line.total >= award.total
