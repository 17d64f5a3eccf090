"""The standing public disclosure in headless Debian chromium: an anonymous visitor opens a
village's list (masked names only) and files an objection; the town's caseworker logs in and
finds it in the inbox, with its deadline."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from assistance.models import BenefitAward, DibaoCase
from core.roles import Role
from transitions.disclosure import services
from transitions.models import PublicObjection

from ..factories import UserFactory, VillageFactory, region
from ..transitions.disclosure.conftest import household
from .test_exit_phase_out import log_in

pytestmark = pytest.mark.browser


def test_anonymous_objection_reaches_the_caseworkers_inbox(page: Page, reference_data) -> None:
    baisha = region("440703002")
    village = VillageFactory(parent=baisha, code="440703002201", name="白沙甲社区")
    cw = UserFactory(
        username="cw_baisha", role=Role.CASEWORKER, region=baisha, last_name="白沙社工"
    )
    case = DibaoCase.objects.create(
        household=household(village, ["张三明", "张小华"]),
        status=DibaoCase.Status.ACTIVE,
        created_by=cw,
    )
    BenefitAward.objects.create(
        case=case,
        effective_month=dt.date(2026, 6, 1),
        base_amount=Decimal("600"),
        supplement_amount=Decimal("0"),
        total=Decimal("600.00"),
        members=2,
        reason=BenefitAward.Reason.CONFIRMATION,
        decided_by=cw,
        decided_on=dt.date(2026, 5, 20),
    )
    pub = services.publication_publish(region=village, by=cw)

    page.goto(reverse("gongshi:list", args=[pub.token]))
    rows = page.get_by_test_id("disclosure-rows")
    expect(rows).to_contain_text("张*明")
    expect(rows).to_contain_text("600.00")
    expect(rows).not_to_contain_text("张三明")
    form = page.get_by_test_id("objection-form")
    form.locator("select[name=row_ref]").select_option(label="白沙甲社区 张*明")
    form.locator("textarea[name=text]").fill("他家开了一家小卖部，收入不少")
    form.get_by_test_id("objection-submit").click()
    expect(page.get_by_test_id("objection-thanks")).to_be_visible()
    objection = PublicObjection.objects.get()

    log_in(page, "cw_baisha", "白沙社工")
    page.goto(reverse("assistance_oversight:inbox"))
    link = page.locator(f"a[href='{reverse('transitions:public_objection', args=[objection.pk])}']")
    expect(link).to_be_visible()
    link.first.click()
    expect(page.get_by_test_id("objection-text")).to_contain_text("小卖部")
