"""The name search's copies of the active members' names (households migration 0005, assistance
0017): the database keeps Household.member_names and DibaoCase.member_names whatever writes the
memberships or names, a stale Django save cannot undo them, and the household search finds the
same households by either of its two ways (the persons' name index or the household rows)."""

import datetime as dt

import pytest

from assistance.dibao.selectors import dibao_case_list
from assistance.models import DibaoCase
from households import selectors
from households.models import Household, Membership, Person, Relation
from households.selectors import household_list

from ..factories import HouseholdFactory, PersonFactory, household_with_members

pytestmark = pytest.mark.django_db


def names(household: Household) -> str:
    return Household.objects.values_list("member_names", flat=True).get(pk=household.pk)


def case_names(case: DibaoCase) -> str:
    return DibaoCase.objects.values_list("member_names", flat=True).get(pk=case.pk)


def member(household: Household, name: str, relation: str = Relation.CHILD) -> Membership:
    person = PersonFactory(region=household.village, name=name)
    return Membership.objects.create(
        household=household, person=person, relation=relation, start_date=dt.date(2020, 1, 1)
    )


@pytest.fixture
def household(village_a) -> Household:  # type: ignore[no-untyped-def]
    h = HouseholdFactory(village=village_a)
    member(h, "陈小明", Relation.HEAD)
    member(h, "李华")
    return h


@pytest.fixture
def case(household, cw_baisha) -> DibaoCase:  # type: ignore[no-untyped-def]
    head = household.memberships.get(relation=Relation.HEAD).person
    return DibaoCase.objects.create(household=household, applicant=head, created_by=cw_baisha)


class TestKeptByTheDatabase:
    def test_members_added_renamed_ended_and_deleted(self, household, case):
        assert names(household) == "|李华|陈小明|"
        assert case_names(case) == "|李华|陈小明|"
        li = household.memberships.get(person__name="李华")
        Person.objects.filter(pk=li.person_id).update(name="李华强")
        assert names(household) == case_names(case) == "|李华强|陈小明|"
        li.end_date = dt.date(2024, 1, 1)
        li.save()
        assert names(household) == case_names(case) == "|陈小明|"
        household.memberships.all().delete()
        assert names(household) == case_names(case) == ""

    def test_a_member_moving_household_changes_both(self, household, village_a):
        other = HouseholdFactory(village=village_a)
        Membership.objects.filter(household=household, person__name="李华").update(household=other)
        assert names(household) == "|陈小明|"
        assert names(other) == "|李华|"

    def test_a_stale_save_does_not_undo_them(self, household, case):
        stale_household = Household.objects.get(pk=household.pk)
        stale_case = DibaoCase.objects.get(pk=case.pk)
        member(household, "王五")
        stale_household.address = "新地址"
        stale_household.save()
        stale_case.agent_name = "代办人"
        stale_case.save()
        assert names(household) == case_names(case) == "|李华|王五|陈小明|"
        Household.objects.filter(pk=household.pk).update(member_names="|伪造|")
        DibaoCase.objects.filter(pk=case.pk).update(member_names="|伪造|")
        assert names(household) == case_names(case) == "|李华|王五|陈小明|"

    def test_a_case_moved_to_another_household_takes_its_names(self, case, village_a):
        other = household_with_members(village_a, members=1)
        DibaoCase.objects.filter(pk=case.pk).update(household=other)
        assert case_names(case) == names(other) != ""

    def test_one_statement_for_many_memberships(self, village_a):
        """A bulk load (COPY, bulk_create) refreshes every household it touches at once."""
        homes = [HouseholdFactory(village=village_a) for _ in range(3)]
        persons = [PersonFactory(region=village_a, name=f"黄{i}") for i in range(6)]
        Membership.objects.bulk_create(
            Membership(
                household=homes[i % 3],
                person=p,
                relation=Relation.HEAD if i < 3 else Relation.CHILD,
                start_date=dt.date(2020, 1, 1),
            )
            for i, p in enumerate(persons)
        )
        assert [names(h) for h in homes] == ["|黄0|黄3|", "|黄1|黄4|", "|黄2|黄5|"]


@pytest.mark.parametrize("dense", [True, False], ids=["household rows", "name index"])
class TestBothWaysFindTheSame:
    def test_prefixes_full_names_and_not_the_middle(
        self, monkeypatch, dense, cw_baisha, household, village_a, cw_taicheng
    ):
        monkeypatch.setattr(selectors, "NAME_MATCHES_DENSE", -1 if dense else 10**9)
        household_with_members(village_a, members=2)  # 张…: never found
        ended = HouseholdFactory(village=village_a)
        m = member(ended, "陈旧", Relation.HEAD)
        m.end_date = dt.date(2024, 1, 1)
        m.save()
        for q in ["陈", "陈小", "陈小明", "李", "李华"]:
            assert {h.pk for h in household_list(user=cw_baisha, q=q)} == {household.pk}, q
            assert {h.pk for h in household_list(user=cw_baisha, name=q)} == {household.pk}, q
        for q in ["小明", "华", "陈小明明", "陈旧", "%", "_"]:
            assert not household_list(user=cw_baisha, q=q).exists(), q
        # Out of scope either way.
        assert not household_list(user=cw_taicheng, q="陈").exists()


@pytest.mark.parametrize("small", [True, False], ids=["small area", "large area"])
def test_a_common_name_in_a_small_area_is_ordered_without_the_primary_key(
    monkeypatch, small, cw_baisha, village_a
):
    """Newest first either way; in a small area by `id + 0` (households.selectors._newest_first),
    which keeps the planner off a backward walk of the primary key."""
    monkeypatch.setattr(selectors, "NAME_MATCHES_DENSE", -1)  # the household rows' way
    monkeypatch.setattr(selectors, "SMALL_AREA_SHARE", 1.0 if small else -1.0)
    homes = [HouseholdFactory(village=village_a) for _ in range(4)]
    for i, home in enumerate(homes):
        member(home, f"陈{i}", Relation.HEAD)
    qs = household_list(user=cw_baisha, q="陈")
    assert [h.pk for h in qs] == sorted((h.pk for h in homes), reverse=True)
    assert ('"id" + 0) DESC' in str(qs.query)) is small


def test_case_search_by_name(cw_baisha, cw_taicheng, case):
    assert list(dibao_case_list(user=cw_baisha, q="陈小")) == [case]
    assert list(dibao_case_list(user=cw_baisha, q="李华")) == [case]
    assert not dibao_case_list(user=cw_baisha, q="小明").exists()
    assert not dibao_case_list(user=cw_taicheng, q="陈").exists()


class TestRegionTally:
    """The lists' totals without a search come from households.tally: always the real count."""

    def users(self, cw_baisha, ca_pengjiang, cw_taicheng, data_admin):  # type: ignore[no-untyped-def]
        return [cw_baisha, ca_pengjiang, cw_taicheng, data_admin]

    def check(self, users, places) -> None:  # type: ignore[no-untyped-def]
        from households import tally
        from households.selectors import person_list

        for user in users:
            for place in places:
                real = household_list(user=user, **place).count()
                assert tally.household_list_count(user, **place) == real, (user, place)
            for region in [None, *[p.get("town") or p.get("village") for p in places]]:
                real = person_list(user=user, region=region).count()
                assert tally.person_list_count(user, region=region) == real, (user, region)

    def test_inserts_moves_and_deletes(
        self, cw_baisha, ca_pengjiang, cw_taicheng, data_admin, village_a, village_b,
        village_taicheng, baisha,
    ):  # fmt: skip
        users = self.users(cw_baisha, ca_pengjiang, cw_taicheng, data_admin)
        places = [{}, {"village": village_a.pk}, {"town": baisha.pk}, {"q": ""}]
        a = household_with_members(village_a, members=3)
        household_with_members(village_b, members=2)
        household_with_members(village_taicheng, members=1)
        PersonFactory(region=None)  # no region: the city's only
        self.check(users, places)
        Household.objects.filter(pk=a.pk).update(village=village_taicheng)
        Person.objects.filter(region=village_a).update(region=village_taicheng)
        self.check(users, places)
        persons = list(a.memberships.values_list("person_id", flat=True))
        a.memberships.all().delete()
        Person.objects.filter(pk__in=persons).delete()
        Household.objects.filter(pk=a.pk).delete()
        self.check(users, places)
        from households.models import RegionTally
        from households.tasks import compact_region_tallies

        rows = RegionTally.objects.count()
        assert compact_region_tallies() < rows  # one row per region now
        assert (
            RegionTally.objects.count() == RegionTally.objects.values("region").distinct().count()
        )
        self.check(users, places)

    def test_a_search_counts_its_matches(self, cw_baisha):
        from households import tally

        assert tally.household_list_count(cw_baisha, q="陈") is None
        assert tally.person_list_count(cw_baisha, name="陈") is None
