"""End to end in headless Debian chromium: a caseworker registers a household of two (a wrong ID
number first), finds it by search and sees its timeline."""

import re

import pytest
from playwright.sync_api import Page, expect

from core.models import Region
from core.roles import Role
from households.idnumber import CHECK_CHARS, check_character
from households.models import Household, Membership, Person

from ..factories import UserFactory, VillageFactory, region

pytestmark = pytest.mark.browser

PASSWORD = "pw-Xianjie-1"
HEAD_ID = "44070319800517001" + check_character("44070319800517001")  # male, 1980-05-17
SPOUSE_17 = "44070319820308002"  # female, 1982-03-08
SPOUSE_ID = SPOUSE_17 + check_character(SPOUSE_17)
SPOUSE_WRONG = SPOUSE_17 + next(c for c in CHECK_CHARS if c != check_character(SPOUSE_17))


def test_caseworker_registers_finds_and_reviews_a_household(
    page: Page, reference_data, results_dir
) -> None:  # type: ignore[no-untyped-def]
    baisha = region("440703002")
    village = VillageFactory(
        parent=baisha, code="440703002201", name="白沙甲社区", kind=Region.Kind.COMMUNITY
    )
    user = UserFactory(
        username="cw_browser", role=Role.CASEWORKER, region=baisha, last_name="白沙社工"
    )
    households_before = Household.objects.count()
    persons_before = Person.objects.count()

    # Log in.
    page.goto("/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    expect(page.get_by_test_id("whoami")).to_contain_text("白沙社工")
    expect(page.get_by_test_id("whoami")).to_contain_text("白沙街道")

    # Register a household: village, address, hukou, and the head with a valid ID number.
    page.click("header nav a[href='/households/new/']")
    expect(page).to_have_url(re.compile(r"/households/new/$"))
    page.select_option("#id_village", value=str(village.pk))
    page.fill("#id_address", "白沙街道幸福路8号")
    page.select_option("#id_hukou_type", value=Household.Hukou.RURAL)
    expect(page.get_by_test_id("member-row")).to_have_count(1)
    page.select_option("#id_members-0-relation", value="head")
    page.fill("#id_members-0-name", "陈志明")
    page.locator("#id_members-0-id_number").press_sequentially(HEAD_ID)
    head_check = page.locator("#idcheck-members-0")
    expect(head_check.locator(".ok")).to_contain_text("1980-05-17")

    # A second member, typed with a wrong check character: the as-you-type check says so.
    page.get_by_test_id("add-member").click()
    expect(page.get_by_test_id("member-row")).to_have_count(2)
    page.select_option("#id_members-1-relation", value="spouse")
    page.fill("#id_members-1-name", "李秀英")
    page.locator("#id_members-1-id_number").press_sequentially(SPOUSE_WRONG)
    spouse_check = page.get_by_test_id("idcheck").nth(1)
    expect(spouse_check.locator(".error")).to_be_visible()
    expect(spouse_check).to_contain_text(check_character(SPOUSE_17))  # names the right character
    expect(spouse_check.locator(".ok")).to_have_count(0)

    # Submitting anyway: the field error is shown and nothing is saved.
    page.get_by_test_id("save").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_test_id("member-row")).to_have_count(2)
    spouse_id_input = page.locator("#id_members-1-id_number")
    expect(spouse_id_input).to_have_value(SPOUSE_WRONG)
    spouse_field = page.locator("#div_id_members-1-id_number")  # crispy's field wrapper
    expect(spouse_field.locator(".invalid-feedback")).to_contain_text(check_character(SPOUSE_17))
    expect(spouse_field.locator(".invalid-feedback")).to_be_visible()
    expect(page.locator("#id_members-0-name")).to_have_value("陈志明")
    assert Household.objects.count() == households_before
    assert Person.objects.count() == persons_before
    page.screenshot(path=str(results_dir / "household_flow_error.png"), full_page=True)

    # Fix the number and save: the household page.
    spouse_id_input.fill("")
    spouse_id_input.press_sequentially(SPOUSE_ID)
    expect(spouse_check.locator(".ok")).to_contain_text("1982-03-08")
    page.get_by_test_id("save").click()
    expect(page).to_have_url(re.compile(r"/households/\d+/$"))
    assert Household.objects.count() == households_before + 1
    household = Household.objects.latest("id")
    assert household.village == village
    assert household.address == "白沙街道幸福路8号"
    members = dict(
        Membership.objects.filter(household=household).values_list("person__name", "relation")
    )
    assert members == {"陈志明": "head", "李秀英": "spouse"}
    assert Person.objects.get(name="李秀英").id_number == SPOUSE_ID

    # Find it by the head's name from the list.
    page.click("header nav a[href='/households/']")
    page.get_by_test_id("search-q").fill("陈志明")
    page.get_by_test_id("search-q").press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q="))
    rows = page.get_by_test_id("household-table").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("陈志明")
    expect(rows.first).to_contain_text("白沙甲社区")
    rows.first.get_by_role("link", name="陈志明").click()
    expect(page).to_have_url(re.compile(rf"/households/{household.pk}/$"))

    # The timeline shows the creation of the household, both memberships and both persons, by us.
    entries = page.get_by_test_id("timeline").locator(":scope > li")
    expect(entries).to_have_count(5)
    for i in range(5):
        expect(entries.nth(i)).to_contain_text("白沙社工")
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("白沙街道幸福路8号")
    expect(timeline).to_contain_text("陈志明")
    expect(timeline).to_contain_text("李秀英")
    expect(page.get_by_test_id("members").locator("tbody tr")).to_have_count(2)

    page.screenshot(path=str(results_dir / "household_flow.png"), full_page=True)
