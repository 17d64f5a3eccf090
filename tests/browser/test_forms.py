"""The forms in headless Debian chromium: the declarations editor adds and removes rows in the
browser (no "save to get more rows"), a blank row is blank (no 0, no delete box), a saved row has a
labelled delete box, dropdowns say 请选择, a double click on save sends one POST, and the back
button after saving gives the buttons back and duplicates nothing."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from assistance.models import DibaoCase, IncomeType
from core.models import Region
from core.roles import Role

from ..assistance.conftest import build_case, head_of, poor_household
from ..factories import UserFactory, VillageFactory, region

pytestmark = pytest.mark.browser

PASSWORD = "pw-Xianjie-1"


def log_in(page: Page, username: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    expect(page.get_by_test_id("whoami")).to_be_visible()


def test_declarations_rows_are_added_and_removed_in_the_browser(
    page: Page, reference_data, results_dir
) -> None:  # type: ignore[no-untyped-def]
    baisha = region("440703002")
    village = VillageFactory(
        parent=baisha, code="440703002201", name="白沙甲社区", kind=Region.Kind.COMMUNITY
    )
    cw_a = UserFactory(username="cw_a", role=Role.CASEWORKER, region=baisha, last_name="社工甲")
    cw_b = UserFactory(username="cw_b", role=Role.CASEWORKER, region=baisha, last_name="社工乙")
    household = poor_household(village)
    head = head_of(household)
    child = household.memberships.exclude(person=head).get().person
    case = build_case(household, to=DibaoCase.Status.INVESTIGATING, maker=cw_a, second=cw_b)
    assert case.incomes.count() == 1  # the builder's wages of 300

    log_in(page, cw_a.username)
    page.goto(f"/dibao/{case.pk}/declarations/")
    incomes = page.get_by_test_id("income-form")
    properties = page.get_by_test_id("property-form")
    # The saved income and one blank row; the saved one has a labelled delete box, the blank none.
    expect(incomes).to_have_count(2)
    expect(incomes.nth(0).get_by_label("保存时删除此行")).to_be_visible()
    expect(incomes.nth(1).get_by_test_id("delete-row")).to_have_count(0)
    expect(page.get_by_text("保存后会出现")).to_have_count(0)
    # A blank property row is blank: no value 0, no delete box; its dropdowns ask to choose.
    expect(properties).to_have_count(1)
    expect(page.locator("#id_properties-0-value")).to_have_value("")
    expect(properties.get_by_test_id("delete-row")).to_have_count(0)
    expect(page.locator("#id_properties-0-kind option").first).to_have_text("请选择")
    expect(page.locator("#id_incomes-1-person option").first).to_have_text("请选择")
    # Labels sit above their controls (Bootstrap 5 through crispy).
    label = page.locator("label[for=id_incomes-1-monthly_amount]")
    box = page.locator("#id_incomes-1-monthly_amount")
    assert label.bounding_box()["y"] < box.bounding_box()["y"]  # type: ignore[index]

    # On a phone the rows stack and nothing is wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 1000})

    # Two more income rows, then remove the middle new one: rows renumber, TOTAL_FORMS follows.
    page.get_by_test_id("add-income").click()
    page.get_by_test_id("add-income").click()
    expect(incomes).to_have_count(4)
    expect(page.locator("#id_incomes-TOTAL_FORMS")).to_have_value("4")
    expect(page.locator("#id_incomes-3-person")).to_be_focused()
    page.select_option("#id_incomes-3-person", value=str(child.pk))
    incomes.nth(2).get_by_test_id("remove-row").click()
    expect(incomes).to_have_count(3)
    expect(page.locator("#id_incomes-TOTAL_FORMS")).to_have_value("3")
    expect(page.locator("#id_incomes-2-person")).to_have_value(str(child.pk))  # renumbered
    expect(page.locator("#id_incomes-3-person")).to_have_count(0)
    expect(page.locator("label[for=id_incomes-2-monthly_amount]")).to_be_visible()

    # Fill the two new rows and a property; an added property row too.
    wages = IncomeType.objects.get(code="wages")
    page.select_option("#id_incomes-1-person", value=str(head.pk))
    page.select_option("#id_incomes-1-income_type", value=str(wages.pk))
    page.fill("#id_incomes-1-monthly_amount", "120")
    page.select_option("#id_incomes-2-income_type", value=str(wages.pk))
    page.fill("#id_incomes-2-monthly_amount", "80")
    page.get_by_test_id("add-property").click()
    expect(properties).to_have_count(2)
    page.select_option("#id_properties-1-kind", value="deposit")
    page.fill("#id_properties-1-value", "2500")
    page.screenshot(path=str(results_dir / "forms_declarations.png"), full_page=True)

    # A double click on save sends the form once.
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.get_by_test_id("save").dblclick()
    expect(page).to_have_url(re.compile(rf"/dibao/{case.pk}/$"), timeout=20_000)
    assert len(posts) == 1
    assert sorted(case.incomes.values_list("monthly_amount", flat=True)) == [
        Decimal("80"),
        Decimal("120"),
        Decimal("300"),
    ]
    assert list(case.properties.values_list("value", flat=True)) == [Decimal("2500")]

    # Back to the form: it is fetched again (the saved rows, a fresh token; autocomplete=off keeps
    # Chrome from restoring the old page's values into rows that have shifted), its buttons work,
    # and saving it again duplicates nothing.
    page.go_back()
    expect(page).to_have_url(re.compile(r"/declarations/$"))
    expect(page.get_by_test_id("save")).to_be_enabled()
    expect(page.get_by_test_id("income-form")).to_have_count(4)  # three saved and a blank one
    expect(page.locator("#id_incomes-2-monthly_amount")).to_have_value("80.00")
    page.get_by_test_id("save").click()
    expect(page).to_have_url(re.compile(rf"/dibao/{case.pk}/$"), timeout=20_000)
    assert case.incomes.count() == 3
    assert case.properties.count() == 1


def test_household_form_adds_and_removes_member_rows(page: Page, reference_data) -> None:  # type: ignore[no-untyped-def]
    baisha = region("440703002")
    VillageFactory(
        parent=baisha, code="440703002201", name="白沙甲社区", kind=Region.Kind.COMMUNITY
    )
    user = UserFactory(username="cw_hh", role=Role.CASEWORKER, region=baisha)
    log_in(page, user.username)
    page.goto("/households/new/")
    rows = page.get_by_test_id("member-row")
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_test_id("remove-member")).to_have_count(0)  # the head's row stays
    expect(page.locator("#id_village option").first).to_have_text("请选择")
    expect(page.locator("#id_members-0-disability_category option").first).to_have_text("请选择")
    page.get_by_test_id("add-member").click()
    page.get_by_test_id("add-member").click()
    expect(rows).to_have_count(3)
    page.fill("#id_members-2-name", "李秀英")
    rows.nth(1).get_by_test_id("remove-member").click()
    expect(rows).to_have_count(2)
    expect(page.locator("#id_members-TOTAL_FORMS")).to_have_value("2")
    expect(page.locator("#id_members-1-name")).to_have_value("李秀英")
    expect(page.locator("label[for=id_members-1-name]")).to_have_text(
        re.compile(r"^\s*姓名\*?\s*$")
    )
    # The as-you-type ID check of a renumbered row answers into that row.
    expect(page.locator("#id_members-1-id_number")).to_have_attribute(
        "hx-target", "#idcheck-members-1"
    )
    expect(page.locator("#idcheck-members-1")).to_have_count(1)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # A checkbox sits right beside its label.
    rows.nth(1).locator("summary").click()
    box = page.locator("#id_members-1-in_school").bounding_box()
    label = page.locator("label[for=id_members-1-in_school]").bounding_box()
    assert box and label
    assert abs(box["y"] + box["height"] / 2 - (label["y"] + label["height"] / 2)) < 12
    assert 0 <= label["x"] - (box["x"] + box["width"]) < 24
