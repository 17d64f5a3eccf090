"""The household search (issue 7, "Speed at scale"): what it matches (prefixes and exact
matches a B-tree answers, said under the search box), that it reads only the user's area, that
its query shapes are the ones the indexes serve, and the list's place filters (district column
and filter for the city, towns for a district, villages only for a chosen town)."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import Region
from households import pagination, selectors
from households.models import Household, Membership, Person, Relation
from households.selectors import household_list, person_list

from ..conftest import login
from ..factories import household_with_members, make_id_number, region, unique_id_number

pytestmark = pytest.mark.django_db
API = "/api/v1/households/"


def pks(qs) -> set[int]:  # type: ignore[no-untyped-def]
    return {h.pk for h in qs}


def head(household: Household) -> Person:
    return household.memberships.get(relation=Relation.HEAD).person


@pytest.fixture
def chen(village_a) -> Household:  # type: ignore[no-untyped-def]
    h = household_with_members(village_a, members=2)
    Person.objects.filter(pk=head(h).pk).update(name="陈小明", id_number="44070319850312001X")
    return h


class TestSemantics:
    def test_name_prefix_and_full_name_match_the_middle_does_not(self, cw_baisha, chen):
        for q in ["陈", "陈小", "陈小明", " 陈小明 "]:
            assert pks(household_list(user=cw_baisha, q=q)) == {chen.pk}, q
        for q in ["小明", "明", "陈小明明"]:
            assert pks(household_list(user=cw_baisha, q=q)) == set(), q

    def test_id_number_whole_suffix_and_prefix(self, cw_baisha, chen, village_a):
        other = household_with_members(village_a, members=1)  # another household, never found
        # Born in 1990 and numbered apart, so no prefix or suffix below can match it by chance.
        Person.objects.filter(memberships__household=other).update(
            id_number=make_id_number(dt.date(1990, 7, 9))
        )
        number = "44070319850312001X"
        for q in [number, number.lower(), number[-6:], number[-8:].lower(), number[:10]]:
            assert pks(household_list(user=cw_baisha, q=q)) == {chen.pk}, q
        # The middle of the number, or a prefix shorter than 10 (a region code), matches nothing.
        for q in [number[3:12], number[:6] + "9", number[:9]]:
            assert pks(household_list(user=cw_baisha, q=q)) == set(), q

    def test_household_number(self, cw_baisha, chen, village_a):
        other = household_with_members(village_a, members=1)
        assert pks(household_list(user=cw_baisha, q=str(other.pk))) == {other.pk}

    def test_a_former_member_does_not_find_the_household(self, cw_baisha, chen):
        spouse = chen.memberships.exclude(relation=Relation.HEAD).get()
        Person.objects.filter(pk=spouse.person_id).update(name="李四")
        Membership.objects.filter(pk=spouse.pk).update(end_date=dt.date(2024, 1, 1))
        assert pks(household_list(user=cw_baisha, q="李四")) == set()

    def test_person_list_name_is_a_prefix(self, cw_baisha, chen):
        assert {p.name for p in person_list(user=cw_baisha, name="陈")} == {"陈小明"}
        assert list(person_list(user=cw_baisha, name="小明")) == []

    def test_the_search_box_says_what_it_matches(self, client, cw_baisha):
        login(client, cw_baisha)
        r = client.get(reverse("households:list"))
        assert str(selectors.SEARCH_HELP) in r.content.decode()
        assert "末 6 位" in r.content.decode()  # in Chinese


class TestScope:
    def test_another_district_is_never_found(self, cw_baisha, ca_taishan, chen, village_taicheng):
        twin = household_with_members(village_taicheng, members=1)
        Person.objects.filter(pk=head(twin).pk).update(name="陈小明")
        assert pks(household_list(user=cw_baisha, q="陈小明")) == {chen.pk}
        assert pks(household_list(user=ca_taishan, q="陈小明")) == {twin.pk}
        assert pks(household_list(user=ca_taishan, q="44070319850312001X")) == set()
        assert pks(household_list(user=ca_taishan, q=str(chen.pk))) == set()

    def test_a_town_users_search_reads_only_its_area(self, cw_baisha, chen):
        """The persons are narrowed to the user's villages inside the search (not only the
        households afterwards): the SQL filters the person table by region."""
        with CaptureQueriesContext(connection) as ctx:
            list(household_list(user=cw_baisha, q="陈"))
        sql = " ".join(q["sql"] for q in ctx.captured_queries)
        person_part = sql[sql.index('FROM "households_person"') :]
        area = re.search(r'"region_id" IN \(([0-9, ]+)\)', person_part)
        assert area, person_part
        visible = {r.pk for r in Region.objects.filter(path__startswith=cw_baisha.region.path)}
        assert {int(x) for x in area.group(1).split(",")} == visible
        assert region("440781001").pk not in visible
        assert '"name"' in person_part and "LIKE" in person_part

    def _plan(self, qs) -> str:  # type: ignore[no-untyped-def]
        with connection.cursor() as cur:
            cur.execute("SET LOCAL enable_seqscan = off")
            sql, params = qs.query.sql_with_params()
            cur.execute("EXPLAIN " + sql, params)
            return "\n".join(r[0] for r in cur.fetchall())

    def test_the_id_suffix_uses_the_reverse_index(self, data_admin, chen):
        persons = selectors._persons(data_admin, selectors.id_number_match("12001X"))  # type: ignore[arg-type]
        assert "person_id_number_reversed" in self._plan(persons)

    def test_a_name_prefix_uses_a_pattern_index(self, cw_baisha, data_admin, chen):
        from django.db.models import Q

        # The city: a range scan on the name's pattern index, never a filter over every person.
        plan = self._plan(selectors._persons(data_admin, Q(name__startswith="陈")))
        assert "(name)::text ~>=~ '陈'" in plan and re.search(r"(using|on) person_name\b", plan)
        # A town: its regions narrow the persons themselves (a list the planner can estimate).
        # Which index it takes on a table this small varies with the statistics (person_name
        # with the regions as a filter, or person_region_name); at 300,000 households it takes
        # person_region_name — bench/pages.py shows that.
        plan = self._plan(selectors._persons(cw_baisha, Q(name__startswith="陈")))
        assert re.search(r"region_id = ANY \('\{[\d,]+\}'", plan), plan


class TestPlaces:
    def test_city_list_has_a_district_column_and_filter(
        self, client, data_admin, household_a, household_taicheng
    ):
        login(client, data_admin)
        r = client.get(reverse("households:list"))
        html = r.content.decode()
        assert 'data-testid="col-district"' in html and 'name="district"' in html
        assert {d.code for d in r.context["districts"]} >= {"440703", "440781"}
        assert r.context["villages"] == []  # no 1,002-option dropdown before a town is chosen
        assert r.context["towns"] == []
        assert "蓬江区" in html and "台山市" in html
        pengjiang = region("440703")
        r = client.get(reverse("households:list"), {"district": pengjiang.pk})
        assert [h.pk for h in r.context["page"]] == [household_a.pk]
        assert {t.parent_id for t in r.context["towns"]} == {pengjiang.pk}
        r = client.get(reverse("households:list"), {"district": pengjiang.pk, "q": "0"})
        assert r.status_code == 200

    def test_district_user_gets_a_town_filter_and_no_district_column(
        self, client, ca_pengjiang, household_a, household_b, village_b
    ):
        login(client, ca_pengjiang)
        r = client.get(reverse("households:list"))
        html = r.content.decode()
        assert 'name="district"' not in html and 'data-testid="col-district"' not in html
        assert 'name="town"' in html and region("440703002").pk in {
            t.pk for t in r.context["towns"]
        }
        assert r.context["villages"] == []
        r = client.get(reverse("households:list"), {"town": region("440703002").pk})
        assert pks(r.context["page"]) == {household_a.pk, household_b.pk}
        assert village_b.pk in {v.pk for v in r.context["villages"]}

    def test_town_user_sees_its_villages_only(self, client, cw_baisha, village_a, village_b):
        login(client, cw_baisha)
        r = client.get(reverse("households:list"))
        assert {v.pk for v in r.context["villages"]} == {village_a.pk, village_b.pk}
        assert 'name="town"' not in r.content.decode()

    def test_another_district_cannot_see_by_place_filters(
        self, client, api, ca_taishan, household_a, household_taicheng
    ):
        login(client, ca_taishan)
        for params in [
            {"district": region("440703").pk},
            {"town": region("440703002").pk},
            {"village": household_a.village_id},
        ]:
            r = client.get(reverse("households:list"), params)
            assert household_a.pk not in pks(r.context["page"]), params
            assert household_a.village.name not in r.content.decode()
        login(api, ca_taishan)
        assert api.get(API, {"district": region("440703").pk}).json()["results"] == []

    def test_a_stale_town_from_another_district_is_dropped(
        self, client, data_admin, household_a, household_taicheng
    ):
        """Changing the district submits the form with the old town: the town is dropped, not
        AND-ed into an empty list."""
        login(client, data_admin)
        r = client.get(
            reverse("households:list"),
            {"district": region("440781").pk, "town": region("440703002").pk},
        )
        assert pks(r.context["page"]) == {household_taicheng.pk}

    def test_api_rows_name_their_district(self, api, data_admin, household_a):
        login(api, data_admin)
        row = api.get(API, {"district": region("440703").pk}).json()["results"][0]
        assert (row["district"], row["district_name"]) == (region("440703").pk, "蓬江区")


class TestPages:
    def test_city_list_query_count_at_50_rows(
        self, client, data_admin, village_a, django_assert_max_num_queries
    ):
        login(client, data_admin)
        for _ in range(3):
            household_with_members(village_a, members=2)
        with CaptureQueriesContext(connection) as small:
            client.get(reverse("households:list"), {"district": region("440703").pk})
        for _ in range(52):
            household_with_members(village_a, members=2)
        with django_assert_max_num_queries(12) as large:
            r = client.get(reverse("households:list"), {"district": region("440703").pk})
        assert len(r.context["page"]) == 50
        assert len(large.captured_queries) == len(small.captured_queries)

    def test_a_later_page_has_its_rows_heads_and_sizes(self, client, cw_baisha, village_a):
        made = [household_with_members(village_a, members=1 + i % 3) for i in range(53)]
        login(client, cw_baisha)
        r = client.get(reverse("households:list"), {"page": 2})
        rows = list(r.context["page"])
        oldest = made[:3][::-1]  # newest first: page 2 holds the 3 oldest
        assert [h.pk for h in rows] == [h.pk for h in oldest]
        assert [h.head_name for h in rows] == [head(h).name for h in oldest]
        assert [h.member_count for h in rows] == [h.memberships.count() for h in oldest]
        r = client.get(reverse("households:list"), {"page": 999})  # past the end: the last
        assert [h.pk for h in r.context["page"]] == [h.pk for h in oldest]

    def test_api_later_page(self, api, cw_baisha, village_a):
        made = [household_with_members(village_a, members=2) for _ in range(7)]
        login(api, cw_baisha)
        body = api.get(API, {"page": 2, "page_size": 5}).json()
        assert body["count"] == 7
        assert [r["id"] for r in body["results"]] == [made[1].pk, made[0].pk]
        assert [r["member_count"] for r in body["results"]] == [2, 2]


def test_unique_id_numbers_are_not_found_by_a_short_prefix(cw_baisha, village_a):
    """Six to nine digits are a suffix (or a household number), never a region-code prefix that
    would match a whole district."""
    h = household_with_members(village_a, members=1)
    Person.objects.filter(pk=head(h).pk).update(id_number=unique_id_number())
    number = head(h).id_number
    assert pks(household_list(user=cw_baisha, q=number[:6])) == set()
    assert pks(household_list(user=cw_baisha, q=number[-6:])) == {h.pk}


class TestCappedCount:
    @pytest.fixture(autouse=True)
    def _small_cap(self, monkeypatch):  # type: ignore[no-untyped-def]
        monkeypatch.setattr(pagination.CappedCountPaginator, "cap", 3)

    def test_a_broad_search_counts_up_to_the_cap(self, client, api, cw_baisha, village_a):
        made = [household_with_members(village_a, members=1) for _ in range(5)]
        login(client, cw_baisha)
        r = client.get(reverse("households:list"), {"q": "张"})
        assert r.context["count_capped"] is True
        assert r.context["page"].paginator.count == 3
        assert [h.pk for h in r.context["page"]] == [h.pk for h in made[::-1][:3]]
        assert 'data-testid="count-capped"' in r.content.decode()
        login(api, cw_baisha)
        body = api.get(API, {"q": "张"}).json()
        assert (body["count"], body["count_capped"], len(body["results"])) == (3, True, 3)
        body = api.get("/api/v1/persons/", {"name": "张"}).json()
        assert (body["count"], body["count_capped"]) == (3, True)

    def test_browsing_and_narrow_searches_count_exactly(self, client, api, cw_baisha, village_a):
        made = [household_with_members(village_a, members=1) for _ in range(5)]
        login(client, cw_baisha)
        r = client.get(reverse("households:list"))
        assert (r.context["count_capped"], r.context["page"].paginator.count) == (False, 5)
        r = client.get(reverse("households:list"), {"q": str(made[0].pk)})
        assert (r.context["count_capped"], r.context["page"].paginator.count) == (False, 1)
        login(api, cw_baisha)
        body = api.get(API).json()
        assert (body["count"], body["count_capped"]) == (5, False)
