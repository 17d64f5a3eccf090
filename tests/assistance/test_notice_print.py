"""The public notice on paper: one village's whole list on one A4 sheet, the per-household
sheet, and the town's supervision phone and letters-and-visits address (policy data, admin)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from assistance.demo import seed_notice_contacts
from assistance.dibao import notices
from assistance.models import PublicNotice, TownNoticeContact

from ..conftest import login
from ..factories import region
from .conftest import S, build_case, poor_household

pytestmark = pytest.mark.django_db
DURING = dt.datetime(2026, 11, 9, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # notices 6–12 Nov


@pytest.fixture
def cases(cw_baisha, cw_baisha_2, village_a, village_b):  # type: ignore[no-untyped-def]
    a1 = build_case(poor_household(village_a), to=S.IN_NOTICE, maker=cw_baisha, second=cw_baisha_2)
    a2 = build_case(
        poor_household(village_a, members=((50, "head"),)),
        to=S.IN_NOTICE,
        maker=cw_baisha,
        second=cw_baisha_2,
    )
    a3 = build_case(poor_household(village_a), to=S.PROPOSED, maker=cw_baisha, second=cw_baisha_2)
    b1 = build_case(poor_household(village_b), to=S.IN_NOTICE, maker=cw_baisha, second=cw_baisha_2)
    return {"a1": a1, "a2": a2, "proposed": a3, "b1": b1}


@pytest.fixture
def contact(baisha):  # type: ignore[no-untyped-def]
    return TownNoticeContact.objects.create(
        township=baisha,
        supervision_phone="0750-3200123",
        letters_address="白沙街道办事处社会事务办",
        valid_from=dt.date(2024, 1, 1),
    )


def test_village_sheet_lists_every_case_in_notice_in_the_village(
    client, cases, contact, cw_baisha, village_a
):
    login(client, cw_baisha)
    with time_machine.travel(DURING, tick=False):
        r = client.get(reverse("assistance:village_notice_print", args=[village_a.code]))
    assert r.status_code == 200
    body = r.content.decode()
    names = [n.masked_name for n in r.context["notices"]]
    expected = [PublicNotice.objects.get(case=cases[k]).masked_name for k in ("a1", "a2")]
    assert sorted(names) == sorted(expected)
    assert (
        body.count('data-testid="village-notice-row"') == 2
    )  # not the proposed case, not village b
    assert "@page { size: A4" in body
    assert "0750-3200123" in body and "白沙街道办事处社会事务办" in body
    # Masked names only: no full name, no ID number of any member.
    for key in ("a1", "a2"):
        household = cases[key].household
        for m in household.memberships.select_related("person"):
            assert m.person.id_number not in body
            assert m.person.name not in body


def test_village_sheet_without_contact_leaves_lines_to_fill(client, cases, cw_baisha, village_a):
    login(client, cw_baisha)
    with time_machine.travel(DURING, tick=False):
        body = client.get(
            reverse("assistance:village_notice_print", args=[village_a.code])
        ).content.decode()
    assert '监督电话：<span data-testid="notice-phone">____' in body


def test_after_the_notice_period_the_village_sheet_is_empty(client, cases, cw_baisha, village_a):
    login(client, cw_baisha)
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, tzinfo=ZoneInfo("Asia/Shanghai"))):
        r = client.get(reverse("assistance:village_notice_print", args=[village_a.code]))
    assert r.context["notices"] == [] and 'data-testid="village-notice-empty"' in r.content.decode()


def test_household_sheet_prints_the_contact_in_force_on_its_first_day(
    client, cases, contact, cw_baisha, baisha
):
    contact.valid_to = dt.date(2026, 11, 30)
    contact.save()
    TownNoticeContact.objects.create(
        township=baisha,
        supervision_phone="0750-9999999",
        letters_address="新地址",
        valid_from=dt.date(2026, 12, 1),
    )
    login(client, cw_baisha)
    body = client.get(reverse("assistance:notice_print", args=[cases["a1"].pk])).content.decode()
    assert "0750-3200123" in body and "0750-9999999" not in body
    assert reverse("assistance:notice_villages") in body


def test_villages_list_and_inbox_link(client, cases, cw_baisha, village_a, village_b):
    login(client, cw_baisha)
    with time_machine.travel(DURING, tick=False):
        r = client.get(reverse("assistance:notice_villages"))
        inbox = client.get(reverse("assistance_oversight:inbox")).content.decode()
    rows = {v.village.code: v.cases for v in r.context["villages"]}
    assert rows == {village_a.code: 2, village_b.code: 1}
    assert reverse("assistance:village_notice_print", args=[village_a.code]) in r.content.decode()
    assert reverse("assistance:notice_villages") in inbox
    assert "Print this village's notice list" in inbox or "打印本村公示名单" in inbox


def test_other_areas_cannot_print_or_list(
    client, cases, cw_taicheng, ca_taishan, va_baisha, village_a, village_b
):
    url = reverse("assistance:village_notice_print", args=[village_a.code])
    for user in (cw_taicheng, ca_taishan):
        login(client, user)
        assert client.get(url).status_code == 404
        assert client.get(reverse("assistance:notice_villages")).context["villages"] == []
    # A village assistant prints their own village only.
    login(client, va_baisha)
    with time_machine.travel(DURING, tick=False):
        assert client.get(url).status_code == 200
        other = reverse("assistance:village_notice_print", args=[village_b.code])
        assert client.get(other).status_code == 404
    assert (
        client.get(reverse("assistance:village_notice_print", args=["440703002"])).status_code
        == 404
    )
    client.logout()
    assert client.get(url).status_code == 302


def test_village_sheet_query_count_does_not_grow(
    client, cw_baisha, cw_baisha_2, village_a, django_assert_max_num_queries
):
    for _ in range(5):
        build_case(poor_household(village_a), to=S.IN_NOTICE, maker=cw_baisha, second=cw_baisha_2)
    login(client, cw_baisha)
    url = reverse("assistance:village_notice_print", args=[village_a.code])
    with time_machine.travel(DURING, tick=False):
        client.get(url)
        with django_assert_max_num_queries(12):
            r = client.get(url)
    assert len(r.context["notices"]) == 5


def test_data_admin_keeps_contacts_with_history(client, data_admin, baisha):
    login(client, data_admin)
    add = reverse("admin:assistance_townnoticecontact_add")
    assert client.get(add).status_code == 200
    data = {
        "township": baisha.pk,
        "supervision_phone": "0750-1",
        "letters_address": "甲",
        "valid_from": "2025-01-01",
        "valid_to": "2025-12-31",
        "source_document": "",
        "note": "",
    }
    assert client.post(add, data).status_code == 302
    # An overlapping period is refused; a following one is kept beside it.
    clash = client.post(add, {**data, "valid_from": "2025-06-01", "valid_to": ""})
    assert clash.status_code == 200 and TownNoticeContact.objects.count() == 1
    assert (
        client.post(
            add, {**data, "supervision_phone": "0750-2", "valid_from": "2026-01-01", "valid_to": ""}
        ).status_code
        == 302
    )
    rows = list(TownNoticeContact.objects.order_by("valid_from"))
    assert [r.supervision_phone for r in rows] == ["0750-1", "0750-2"]
    assert all(r.updated_by == data_admin for r in rows)
    assert notices.notice_contact_for(baisha, dt.date(2025, 3, 1)).supervision_phone == "0750-1"
    assert notices.notice_contact_for(baisha, dt.date(2026, 3, 1)).supervision_phone == "0750-2"
    # A village is not a town.
    bad = client.post(add, {**data, "township": region("440781").pk, "valid_from": "2020-01-01"})
    assert bad.status_code == 200
    delete = reverse("admin:assistance_townnoticecontact_delete", args=[rows[0].pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403


def test_caseworker_cannot_edit_contacts(client, cw_baisha):
    login(client, cw_baisha)
    assert client.get(reverse("admin:assistance_townnoticecontact_add")).status_code in (302, 403)


def test_demo_fills_the_demo_towns(db):
    assert seed_notice_contacts() == 2
    assert seed_notice_contacts() == 0
    assert notices.notice_contact_for(region("440703002"), dt.date(2026, 11, 1)) is not None
    assert notices.notice_contact_for(region("440781001"), dt.date(2026, 11, 1)) is not None
