"""/api/v1/persons/: scope, filters, masked ID numbers, members added through
services.member_add, updates through services.person_update, query counts."""

import datetime as dt
import json
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from households.models import Membership, Person, Relation

from ..conftest import login
from ..factories import household_with_members, make_id_number, region, unique_id_number

pytestmark = pytest.mark.django_db

LIST = "/api/v1/persons/"
FULL_ID = re.compile(r"\d{17}[\dX]")


def detail(pk: int) -> str:
    return f"{LIST}{pk}/"


def ids(response) -> set[int]:  # type: ignore[no-untyped-def]
    return {row["id"] for row in response.json()["results"]}


def people(household) -> set[int]:  # type: ignore[no-untyped-def]
    return set(household.memberships.values_list("person_id", flat=True))


def post(api, url, data):  # type: ignore[no-untyped-def]
    return api.post(url, data=json.dumps(data), content_type="application/json")


def patch(api, url, data):  # type: ignore[no-untyped-def]
    return api.patch(url, data=json.dumps(data), content_type="application/json")


def new_member(household, **extra) -> dict:  # type: ignore[no-untyped-def]
    return {
        "household": household.pk,
        "relation": Relation.CHILD,
        "name": "陈小明",
        "id_number": make_id_number(dt.date(2012, 3, 4), sex="F"),
        **extra,
    }


@pytest.fixture
def three(household_a, household_b, household_taicheng):  # type: ignore[no-untyped-def]
    return household_a, household_b, household_taicheng


# --- list and detail ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("cw_baisha", "ab"),
        ("ca_pengjiang", "ab"),
        ("va_baisha", "a"),
        ("cw_taicheng", "t"),
        ("ca_taishan", "t"),
    ],
)
def test_list_is_scoped(api, three, request, persona, visible):  # type: ignore[no-untyped-def]
    by_name = dict(zip("abt", three, strict=True))
    login(api, request.getfixturevalue(persona))
    response = api.get(LIST)
    assert response.status_code == 200
    expected = set().union(*(people(by_name[n]) for n in visible))
    assert ids(response) == expected
    assert response.json()["count"] == len(expected)


def test_rows_show_household_and_masked_id_only(api, cw_baisha, household_a):  # type: ignore[no-untyped-def]
    login(api, cw_baisha)
    response = api.get(LIST)
    assert not FULL_ID.search(response.content.decode())
    head = household_a.memberships.get(relation=Relation.HEAD).person
    row = next(r for r in response.json()["results"] if r["id"] == head.pk)
    assert row["household"] == household_a.pk
    assert row["relation"] == "head"
    assert row["id_number_masked"] == head.id_number[:4] + "**********" + head.id_number[-4:]
    assert "id_number" not in row
    # the ID is masked, so the birth date is the year only (core.personal_data)
    assert row["sex"] == head.sex and row["birth_date"] == str(head.birth_date.year)
    one = api.get(detail(head.pk))
    assert one.status_code == 200
    assert one.json() == row
    assert not FULL_ID.search(one.content.decode())


def test_filters(api, cw_baisha, three):  # type: ignore[no-untyped-def]
    a, b, _t = three
    login(api, cw_baisha)
    target = b.memberships.filter(relation=Relation.CHILD).first().person
    Person.objects.filter(pk=target.pk).update(name="司马光")
    assert ids(api.get(LIST, {"name": "司马"})) == {target.pk}
    assert ids(api.get(LIST, {"id_number": target.id_number})) == {target.pk}
    assert ids(api.get(LIST, {"region": b.village_id})) == people(b)
    assert ids(api.get(LIST, {"region": region("440703002").pk})) == people(a) | people(b)
    assert ids(api.get(LIST, {"region": region("440781").pk})) == set()
    assert api.get(LIST, {"region": "x"}).status_code == 400


def test_other_district_finds_nothing_by_id_number(api, cw_taicheng, household_a):  # type: ignore[no-untyped-def]
    head = household_a.memberships.get(relation=Relation.HEAD).person
    response = login(api, cw_taicheng).get(LIST, {"id_number": head.id_number})
    assert response.json()["count"] == 0


@pytest.mark.parametrize("persona", ["cw_taicheng", "ca_taishan"])
def test_detail_of_another_district_is_404_like_a_missing_id(  # type: ignore[no-untyped-def]
    api, household_a, request, persona
):
    head = household_a.memberships.get(relation=Relation.HEAD).person
    login(api, request.getfixturevalue(persona))
    foreign, missing = api.get(detail(head.pk)), api.get(detail(10_000_000))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


def test_village_assistant_sees_only_their_village(api, va_baisha, household_a, household_b):  # type: ignore[no-untyped-def]
    login(api, va_baisha)
    assert api.get(detail(next(iter(people(household_a))))).status_code == 200
    assert api.get(detail(next(iter(people(household_b))))).status_code == 404


# --- create (a member joins a household) ---------------------------------------------------


# Born in 2012: a child in November 2026.
@time_machine.travel("2026-11-20T10:00:00+08:00", tick=False)
def test_caseworker_adds_a_new_member(api, cw_baisha, household_a):  # type: ignore[no-untyped-def]
    payload = new_member(household_a, phone="13800000000")
    response = post(login(api, cw_baisha), LIST, payload)
    assert response.status_code == 201, response.json()
    body = response.json()
    person = Person.objects.get(pk=body["id"])
    assert person.id_number == payload["id_number"]
    assert (person.sex, person.birth_date) == ("F", dt.date(2012, 3, 4))
    assert person.region == household_a.village
    assert body["household"] == household_a.pk and body["relation"] == "child"
    assert body["labour_capacity"] == "none"  # a child
    membership = Membership.objects.get(person=person)
    assert (membership.household, membership.end_date, membership.created_by) == (
        household_a,
        None,
        cw_baisha,
    )
    assert not FULL_ID.search(response.content.decode())


def test_lower_case_x_is_normalised(api, cw_baisha, household_a):  # type: ignore[no-untyped-def]
    # One number in 11 has the check character X: 28 tries missed all of them 7 % of the time.
    days = (dt.date(1990, 1, 1) + dt.timedelta(days=d) for d in range(365))
    number = next(n for n in map(make_id_number, days) if n.endswith("X"))
    response = post(login(api, cw_baisha), LIST, new_member(household_a, id_number=number.lower()))
    assert response.status_code == 201, response.json()
    assert Person.objects.get(pk=response.json()["id"]).id_number == number


@pytest.mark.parametrize("persona", ["ca_pengjiang", "va_baisha", "ca_taishan"])
def test_roles_without_edit_rights_cannot_add(api, household_a, request, persona):  # type: ignore[no-untyped-def]
    before = Person.objects.count()
    response = post(login(api, request.getfixturevalue(persona)), LIST, new_member(household_a))
    assert response.status_code == 403
    assert Person.objects.count() == before


def test_adding_to_a_household_of_another_district_is_400_like_a_missing_id(  # type: ignore[no-untyped-def]
    api, cw_taicheng, household_a
):
    login(api, cw_taicheng)
    foreign = post(api, LIST, new_member(household_a))
    missing = post(api, LIST, {**new_member(household_a), "household": 10_000_000})
    assert foreign.status_code == missing.status_code == 400
    assert list(foreign.json()) == ["household"]
    assert foreign.json() == missing.json()
    assert household_a.memberships.count() == 3


def test_bad_id_number_is_400(api, cw_baisha, household_a):  # type: ignore[no-untyped-def]
    response = post(
        login(api, cw_baisha), LIST, new_member(household_a, id_number="440703198005170000")
    )
    assert response.status_code == 400
    assert list(response.json()) == ["id_number"]
    assert household_a.memberships.count() == 3


def test_duplicate_id_number_is_400(api, cw_baisha, household_a, household_b):  # type: ignore[no-untyped-def]
    taken = household_b.memberships.first().person.id_number
    response = post(login(api, cw_baisha), LIST, new_member(household_a, id_number=taken))
    assert response.status_code == 400
    assert list(response.json()) == ["id_number"]
    assert taken in response.json()["id_number"][0]


def test_name_and_id_number_are_required(api, cw_baisha, household_a):  # type: ignore[no-untyped-def]
    response = post(
        login(api, cw_baisha), LIST, {"household": household_a.pk, "relation": Relation.CHILD}
    )
    assert response.status_code == 400
    assert set(response.json()) == {"name", "id_number"}


def test_second_head_is_400_on_relation(api, cw_baisha, household_a):  # type: ignore[no-untyped-def]
    response = post(login(api, cw_baisha), LIST, new_member(household_a, relation=Relation.HEAD))
    assert response.status_code == 400
    assert list(response.json()) == ["relation"]


def test_person_in_another_active_household_is_400(api, cw_baisha, household_a, household_b):  # type: ignore[no-untyped-def]
    """A person is an active member of at most one household."""
    other = household_b.memberships.filter(relation=Relation.CHILD).first().person
    payload = {"household": household_a.pk, "relation": Relation.OTHER, "person": other.pk}
    response = post(login(api, cw_baisha), LIST, payload)
    assert response.status_code == 400
    assert list(response.json()) == ["person"]
    assert Membership.objects.filter(person=other, end_date__isnull=True).count() == 1


def test_former_member_joins_another_household(api, cw_baisha, household_a, household_b):  # type: ignore[no-untyped-def]
    leaving = household_b.memberships.filter(relation=Relation.CHILD).first()
    login(api, cw_baisha)
    removed = post(
        api,
        f"/api/v1/households/{household_b.pk}/remove-member/",
        {"membership": leaving.pk, "reason": "结婚"},
    )
    assert removed.status_code == 200
    payload = {
        "household": household_a.pk,
        "relation": Relation.CHILD_IN_LAW,
        "person": leaving.person_id,
    }
    response = post(api, LIST, payload)
    assert response.status_code == 201, response.json()
    assert response.json()["household"] == household_a.pk
    active = Membership.objects.get(person_id=leaving.person_id, end_date__isnull=True)
    assert active.household == household_a


def test_existing_person_of_another_district_is_400_like_a_missing_id(  # type: ignore[no-untyped-def]
    api, cw_baisha, household_a, household_taicheng
):
    outsider = household_taicheng.memberships.first().person
    login(api, cw_baisha)
    base = {"household": household_a.pk, "relation": Relation.OTHER}
    foreign = post(api, LIST, {**base, "person": outsider.pk})
    missing = post(api, LIST, {**base, "person": 10_000_000})
    assert foreign.status_code == missing.status_code == 400
    assert foreign.json() == missing.json()
    assert list(foreign.json()) == ["person"]


def test_existing_person_and_new_fields_together_is_400(api, cw_baisha, household_a):  # type: ignore[no-untyped-def]
    person = household_a.memberships.first().person_id
    response = post(login(api, cw_baisha), LIST, {**new_member(household_a), "person": person})
    assert response.status_code == 400
    assert list(response.json()) == ["person"]


# --- update ---------------------------------------------------------------------------------


@pytest.fixture
def head_a(household_a):  # type: ignore[no-untyped-def]
    return household_a.memberships.get(relation=Relation.HEAD).person


def test_caseworker_updates_a_person(api, cw_baisha, head_a):  # type: ignore[no-untyped-def]
    response = patch(
        login(api, cw_baisha),
        detail(head_a.pk),
        {"phone": "13912345678", "disability_category": "physical", "disability_grade": 2,
         "reason": "残联核实"},
    )  # fmt: skip
    assert response.status_code == 200, response.json()
    assert response.json()["labour_capacity"] == "none"  # severely disabled
    head_a.refresh_from_db()
    assert (head_a.phone, head_a.disability_grade) == ("13912345678", 2)
    latest = head_a.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (cw_baisha, "残联核实")


def test_correcting_the_id_number_rederives_sex_and_birth(api, cw_baisha, head_a):  # type: ignore[no-untyped-def]
    number = unique_id_number(birth=dt.date(1975, 6, 1), sex="F")
    response = patch(login(api, cw_baisha), detail(head_a.pk), {"id_number": number})
    assert response.status_code == 200
    assert response.json()["birth_date"] == "1975"  # the year only beside a masked ID
    head_a.refresh_from_db()
    assert head_a.birth_date == dt.date(1975, 6, 1)
    assert response.json()["sex"] == "F"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id_number": "440703198005170000"}, "id_number"),
        ({"disability_category": "physical"}, "disability_grade"),
        ({"labour_capacity_assessed": "lots"}, "labour_capacity_assessed"),
        ({"labour_capacity_assessed": "partial"}, "labour_capacity_reason"),
        ({"name": " "}, "name"),
        ({"employment_status": "astronaut"}, "employment_status"),
    ],
)
def test_invalid_changes_are_400_on_the_field(api, cw_baisha, head_a, change, field):  # type: ignore[no-untyped-def]
    response = patch(login(api, cw_baisha), detail(head_a.pk), change)
    assert response.status_code == 400
    assert field in response.json()


def test_duplicate_id_number_on_update_is_400(api, cw_baisha, head_a, household_b):  # type: ignore[no-untyped-def]
    taken = household_b.memberships.first().person.id_number
    response = patch(login(api, cw_baisha), detail(head_a.pk), {"id_number": taken})
    assert response.status_code == 400
    assert list(response.json()) == ["id_number"]


def test_update_in_another_district_is_404(api, cw_taicheng, head_a):  # type: ignore[no-untyped-def]
    response = patch(login(api, cw_taicheng), detail(head_a.pk), {"phone": "1"})
    assert response.status_code == 404
    head_a.refresh_from_db()
    assert head_a.phone != "1"


@pytest.mark.parametrize("persona", ["ca_pengjiang", "va_baisha", "ca_taishan"])
def test_roles_without_edit_rights_cannot_update(api, head_a, request, persona):  # type: ignore[no-untyped-def]
    """403 from the role, before any lookup: the same for any id (no existence leak)."""
    login(api, request.getfixturevalue(persona))
    assert patch(api, detail(head_a.pk), {"phone": "1"}).status_code == 403
    assert patch(api, detail(10_000_000), {"phone": "1"}).status_code == 403
    head_a.refresh_from_db()
    assert head_a.phone != "1"


def test_put_is_not_offered(api, cw_baisha, head_a):  # type: ignore[no-untyped-def]
    response = login(api, cw_baisha).put(
        detail(head_a.pk), data=json.dumps({"phone": "1"}), content_type="application/json"
    )
    assert response.status_code == 405


# --- query counts ---------------------------------------------------------------------------


def _count(api, url) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_is_constant(api, cw_baisha, village_a, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    login(api, cw_baisha)
    household_with_members(village_a, members=5)
    at_5 = _count(api, LIST)
    for _ in range(9):
        household_with_members(village_a, members=5)
    assert Person.objects.count() == 50
    at_50 = _count(api, LIST)
    assert at_50 == at_5
    # session, user, the user's region (scope), the ids of its regions (as a list), count, the
    # page's ids, its rows, the age bands in force (once)
    with django_assert_max_num_queries(8):
        assert len(api.get(LIST).json()["results"]) == 50


def test_stale_edit_is_409_and_saves_nothing(api, cw_baisha, head_a):  # type: ignore[no-untyped-def]
    login(api, cw_baisha)
    read = api.get(detail(head_a.pk)).json()["updated_at"]
    assert (
        patch(api, detail(head_a.pk), {"phone": "1", "expected_updated_at": read}).status_code
        == 200
    )
    stale = patch(api, detail(head_a.pk), {"phone": "2", "expected_updated_at": read})
    assert stale.status_code == 409
    head_a.refresh_from_db()
    assert head_a.phone == "1"
