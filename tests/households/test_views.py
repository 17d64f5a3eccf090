import datetime as dt

import pytest
from django.urls import reverse

from core.models import AccessLog
from households.idnumber import check_character
from households.models import Household, Person

from ..conftest import login
from ..factories import household_with_members, unique_id_number

pytestmark = pytest.mark.django_db


def formset_data(village, members, **extra):  # type: ignore[no-untyped-def]
    data = {
        "village": village.pk,
        "address": "白沙大道9号",
        "hukou_type": "urban",
        "members-TOTAL_FORMS": len(members),
        "members-INITIAL_FORMS": 0,
        "members-MIN_NUM_FORMS": 1,
        "members-MAX_NUM_FORMS": 1000,
    }
    for i, m in enumerate(members):
        data.update({f"members-{i}-{k}": v for k, v in m.items()})
        data.setdefault(f"members-{i}-employment_status", "n/a")
        data.setdefault(f"members-{i}-willing_to_accept_help", "on")
    data.update(extra)
    return data


class TestAccess:
    @pytest.mark.parametrize(
        "url",
        ["households:list", "households:create"],
    )
    def test_anonymous_is_sent_to_login(self, client, url):
        r = client.get(reverse(url))
        assert r.status_code == 302 and "/login/" in r["Location"]

    def test_outsider_gets_404_for_household_and_person(self, client, cw_taicheng, household_a):
        login(client, cw_taicheng)
        person = household_a.memberships.first().person
        for url in [
            reverse("households:detail", args=[household_a.pk]),
            reverse("households:edit", args=[household_a.pk]),
            reverse("households:member_add", args=[household_a.pk]),
            reverse("households:person", args=[person.pk]),
            reverse("households:person_edit", args=[person.pk]),
        ]:
            assert client.get(url).status_code == 404, url
        assert (
            client.post(reverse("households:person_reveal_id", args=[person.pk])).status_code == 404
        )

    def test_village_assistant_sees_only_own_village(
        self, client, va_baisha, household_a, household_b
    ):
        login(client, va_baisha)
        r = client.get(reverse("households:list"))
        assert [h.pk for h in r.context["page"]] == [household_a.pk]
        assert client.get(reverse("households:detail", args=[household_b.pk])).status_code == 404

    def test_village_assistant_cannot_create(self, client, va_baisha):
        login(client, va_baisha)
        assert client.get(reverse("households:create")).status_code == 403

    def test_reviewer_reads_district_but_cannot_edit(self, client, ca_pengjiang, household_a):
        login(client, ca_pengjiang)
        assert client.get(reverse("households:detail", args=[household_a.pk])).status_code == 200
        assert client.get(reverse("households:edit", args=[household_a.pk])).status_code == 403


class TestList:
    def test_search_by_name_id_and_village(self, client, cw_baisha, household_a, household_b):
        login(client, cw_baisha)
        head = household_a.memberships.get(relation="head").person
        for q in [head.name, head.id_number, head.id_number[-6:]]:
            r = client.get(reverse("households:list"), {"q": q})
            assert household_a.pk in [h.pk for h in r.context["page"]], q
        r = client.get(reverse("households:list"), {"village": household_b.village_id})
        assert [h.pk for h in r.context["page"]] == [household_b.pk]

    def test_list_query_count_does_not_grow_with_rows(
        self, client, cw_baisha, village_a, django_assert_max_num_queries
    ):
        login(client, cw_baisha)
        for _ in range(5):
            household_with_members(village_a, members=2)
        with django_assert_max_num_queries(12) as small:
            client.get(reverse("households:list"))
        for _ in range(50):
            household_with_members(village_a, members=2)
        with django_assert_max_num_queries(12) as large:
            r = client.get(reverse("households:list"))
        assert len(r.context["page"]) == 50
        assert len(large.captured_queries) == len(small.captured_queries)

    def test_detail_query_count_is_constant(
        self, client, cw_baisha, village_a, django_assert_max_num_queries
    ):
        login(client, cw_baisha)
        small = household_with_members(village_a, members=1)
        big = household_with_members(village_a, members=6)
        with django_assert_max_num_queries(30) as q1:
            client.get(reverse("households:detail", args=[small.pk]))
        with django_assert_max_num_queries(30) as q6:
            client.get(reverse("households:detail", args=[big.pk]))
        assert len(q6.captured_queries) == len(q1.captured_queries)

    def test_export_xlsx_and_csv_are_scoped(
        self, client, cw_baisha, household_a, household_taicheng
    ):
        login(client, cw_baisha)
        r = client.get(reverse("households:export"), {"format": "csv"})
        body = r.content.decode("utf-8-sig")
        assert r.status_code == 200 and household_a.address in body
        assert household_taicheng.address not in body
        r = client.get(reverse("households:export"), {"format": "xlsx"})
        assert r["Content-Type"].startswith("application/vnd.openxmlformats")
        assert AccessLog.objects.filter(user=cw_baisha, action="export").count() == 2


class TestCreate:
    def test_create_household_with_two_members(self, client, cw_baisha, village_a):
        login(client, cw_baisha)
        data = formset_data(
            village_a,
            [
                {"relation": "head", "name": "陈大明", "id_number": unique_id_number()},
                {"relation": "spouse", "name": "林小红", "id_number": unique_id_number(sex="F")},
            ],
        )
        r = client.post(reverse("households:create"), data)
        h = Household.objects.get()
        assert r.status_code == 302 and r["Location"] == reverse("households:detail", args=[h.pk])
        assert h.memberships.count() == 2

    def test_wrong_id_shows_field_error_and_saves_nothing(self, client, cw_baisha, village_a):
        login(client, cw_baisha)
        good = unique_id_number()
        bad = good[:17] + ("0" if good[17] != "0" else "1")
        data = formset_data(
            village_a,
            [
                {"relation": "head", "name": "陈大明", "id_number": unique_id_number()},
                {"relation": "child", "name": "陈小明", "id_number": bad},
            ],
        )
        r = client.post(reverse("households:create"), data)
        assert r.status_code == 200
        assert r.context["formset"].forms[1].errors["id_number"]
        assert Household.objects.count() == 0 and Person.objects.count() == 0

    def test_village_outside_scope_is_not_offered(self, client, cw_baisha, village_taicheng):
        login(client, cw_baisha)
        data = formset_data(
            village_taicheng,
            [
                {"relation": "head", "name": "陈大明", "id_number": unique_id_number()},
            ],
        )
        r = client.post(reverse("households:create"), data)
        assert r.status_code == 200 and "village" in r.context["form"].errors
        assert Household.objects.count() == 0

    def test_check_id_endpoint(self, client, cw_baisha):
        login(client, cw_baisha)
        first17 = "44070319800517001"
        ok = client.get(
            reverse("households:check_id"),
            {"members-0-id_number": first17 + check_character(first17)},
        )
        assert "1980-05-17" in ok.content.decode()
        bad = client.get(
            reverse("households:check_id"),
            {
                "members-0-id_number": first17 + "0"
                if check_character(first17) != "0"
                else first17 + "1"
            },
        )
        assert 'class="error"' in bad.content.decode()


class TestDetailAndPerson:
    def test_detail_shows_members_masked_figures_and_timeline(self, client, cw_baisha, village_a):
        from households import services

        login(client, cw_baisha)
        h = services.household_create(
            village=village_a,
            address="白沙大道1号",
            hukou_type="urban",
            by=cw_baisha,
            members=[
                services.MemberInput(
                    "head",
                    {"name": "陈大明", "id_number": unique_id_number(birth=dt.date(1950, 1, 1))},
                ),
                services.MemberInput(
                    "child",
                    {"name": "陈小明", "id_number": unique_id_number(birth=dt.date(2015, 1, 1))},
                ),
            ],
        )
        services.household_update(
            household=h, address="白沙大道2号", reason="门牌调整", by=cw_baisha
        )
        r = client.get(reverse("households:detail", args=[h.pk]))
        html = r.content.decode()
        assert r.context["figures"].size == 2 and r.context["figures"].elderly == 1
        assert r.context["figures"].minors == 1
        head = h.memberships.get(relation="head").person
        assert head.id_number not in html and head.id_number[:4] + "**********" in html
        timeline = r.context["timeline"]
        change = next(e for e in timeline if e.kind == "household" and e.action == "changed")
        assert change.reason == "门牌调整" and change.user
        assert any(old == "白沙大道1号" and new == "白沙大道2号" for _, old, new in change.changes)

    def test_reveal_full_id_is_logged(self, client, cw_baisha, household_a):
        login(client, cw_baisha)
        person = household_a.memberships.first().person
        r = client.post(reverse("households:person_reveal_id", args=[person.pk]))
        assert person.id_number in r.content.decode()
        log = AccessLog.objects.get()
        assert (log.user, log.action, log.object_id) == (
            cw_baisha,
            "reveal_id_number",
            str(person.pk),
        )

    def test_poverty_reviewer_cannot_reveal(self, client, household_a, db):
        from core.roles import Role

        from ..factories import UserFactory, region

        po = UserFactory(username="po", role=Role.POVERTY_OFFICE_REVIEWER, region=region("440703"))
        login(client, po)
        person = household_a.memberships.first().person
        assert (
            client.post(reverse("households:person_reveal_id", args=[person.pk])).status_code == 403
        )
        assert AccessLog.objects.count() == 0

    def test_person_edit_and_member_remove(self, client, cw_baisha, household_a):
        login(client, cw_baisha)
        child = household_a.memberships.exclude(relation="head").first()
        r = client.post(
            reverse("households:member_remove", args=[household_a.pk, child.pk]),
            {"end_date": "2026-11-01", "reason": "外嫁"},
        )
        assert r.status_code == 302
        child.refresh_from_db()
        assert child.end_date == dt.date(2026, 11, 1)
        p = household_a.memberships.get(relation="head").person
        r = client.get(reverse("households:person_edit", args=[p.pk]))
        assert r.status_code == 200


class TestConcurrentEdits:
    def test_second_of_two_concurrent_household_edits_is_refused(
        self, client, cw_baisha, household_a
    ):
        from django.test import Client

        other = Client()
        login(client, cw_baisha)
        login(other, cw_baisha)
        url = reverse("households:edit", args=[household_a.pk])
        # Both open the form, each carrying the version they saw.
        v1 = client.get(url).context["form"]["version"].value()
        v2 = other.get(url).context["form"]["version"].value()
        base = {"village": household_a.village_id, "hukou_type": "urban", "reason": "更正"}
        r1 = client.post(url, {**base, "address": "第一人地址", "version": v1})
        r2 = other.post(url, {**base, "address": "第二人地址", "version": v2})
        assert r1.status_code == 302
        assert r2.status_code == 200
        assert r2.context["form"].non_field_errors()
        household_a.refresh_from_db()
        assert household_a.address == "第一人地址"


class TestBadQueryInput:
    """Defect 10: bad query values are a 400 with a message, never a 500."""

    def test_nul_byte_in_search_is_a_400_page_not_a_500(self, client, cw_baisha, household_a):
        login(client, cw_baisha)
        r = client.get(reverse("households:list"), {"q": "\x00"})
        assert r.status_code == 400
        assert "不可见的空字符" in r.content.decode()

    def test_nul_byte_in_any_get_or_post_value_is_a_400(self, client, cw_baisha, village_a):
        login(client, cw_baisha)
        assert client.get(reverse("households:list"), {"town": "1\x00"}).status_code == 400
        r = client.post(reverse("households:create"), formset_data(village_a, [], address="a\x00"))
        assert r.status_code == 400
        assert not Household.objects.filter(address__startswith="a").exists()

    def test_non_numeric_village_filter_re_renders_the_list_with_the_error(
        self, client, cw_baisha, household_a
    ):
        login(client, cw_baisha)
        r = client.get(reverse("households:list"), {"village": "abc"})
        assert r.status_code == 400
        assert "输入整数" in r.content.decode()

    def test_non_numeric_village_on_export_is_a_400_and_nothing_is_exported(
        self, client, cw_baisha, household_a
    ):
        login(client, cw_baisha)
        r = client.get(reverse("households:export"), {"format": "xlsx", "village": "abc"})
        assert r.status_code == 400
        assert "输入整数" in r.content.decode()
        assert not AccessLog.objects.filter(user=cw_baisha, action="export").exists()
