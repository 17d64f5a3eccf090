"""/api/v1/households/: scope, filters, pagination, writes through the services, error shapes,
query counts."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Region
from households.models import Household, Membership, Person, Relation

from ..conftest import login
from ..factories import household_with_members, region, unique_id_number

pytestmark = pytest.mark.django_db

LIST = "/api/v1/households/"
FULL_ID = re.compile(r"\d{17}[\dX]")


def detail(pk: int) -> str:
    return f"{LIST}{pk}/"


def remove_url(pk: int) -> str:
    return f"{LIST}{pk}/remove-member/"


def ids(response) -> set[int]:  # type: ignore[no-untyped-def]
    return {row["id"] for row in response.json()["results"]}


def member(relation: str = Relation.HEAD, **person) -> dict:  # type: ignore[no-untyped-def]
    return {
        "relation": relation,
        "name": person.pop("name", "李四"),
        "id_number": person.pop("id_number", None) or unique_id_number(),
        **person,
    }


def create_payload(village: Region, members: list[dict] | None = None) -> dict:
    return {
        "village": village.pk,
        "address": "白沙路1号",
        "hukou_type": Household.Hukou.URBAN,
        "members": members or [member(), member(Relation.SPOUSE, name="王五")],
    }


def post(api, url, data):  # type: ignore[no-untyped-def]
    return api.post(url, data=json.dumps(data), content_type="application/json")


def patch(api, url, data):  # type: ignore[no-untyped-def]
    return api.patch(url, data=json.dumps(data), content_type="application/json")


# --- list: scope, filters, pagination -------------------------------------------------------


@pytest.fixture
def three(household_a, household_b, household_taicheng):  # type: ignore[no-untyped-def]
    return household_a, household_b, household_taicheng


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("cw_baisha", {"a", "b"}),
        ("ca_pengjiang", {"a", "b"}),
        ("va_baisha", {"a"}),
        ("cw_taicheng", {"t"}),
        ("ca_taishan", {"t"}),
    ],
)
def test_list_is_scoped(api, three, request, persona, visible):  # type: ignore[no-untyped-def]
    a, b, t = three
    names = {"a": a.pk, "b": b.pk, "t": t.pk}
    login(api, request.getfixturevalue(persona))
    response = api.get(LIST)
    assert response.status_code == 200
    assert ids(response) == {names[n] for n in visible}
    assert response.json()["count"] == len(visible)


def test_list_rows(api, cw_baisha, household_a):  # type: ignore[no-untyped-def]
    head = household_a.memberships.get(relation=Relation.HEAD).person
    row = login(api, cw_baisha).get(LIST).json()["results"][0]
    assert row["id"] == household_a.pk
    assert row["village"] == household_a.village_id
    assert row["village_name"] == "白沙甲社区"
    assert row["town_name"] == "白沙街道"
    assert row["head_name"] == head.name
    assert row["member_count"] == 3


def test_list_filters(api, cw_baisha, three):  # type: ignore[no-untyped-def]
    a, b, _t = three
    login(api, cw_baisha)
    b_head = b.memberships.get(relation=Relation.HEAD).person
    a_child = a.memberships.filter(relation=Relation.CHILD).first().person
    Person.objects.filter(pk=b_head.pk).update(name="欧阳娜娜")

    assert ids(api.get(LIST, {"village": b.village_id})) == {b.pk}
    assert ids(api.get(LIST, {"region": b.village_id})) == {b.pk}
    assert ids(api.get(LIST, {"region": region("440703002").pk})) == {a.pk, b.pk}
    assert ids(api.get(LIST, {"town": region("440703002").pk})) == {a.pk, b.pk}
    assert ids(api.get(LIST, {"name": "欧阳"})) == {b.pk}
    assert ids(api.get(LIST, {"id_number": a_child.id_number})) == {a.pk}
    assert ids(api.get(LIST, {"id_number": a_child.id_number.lower()})) == {a.pk}
    assert ids(api.get(LIST, {"q": a_child.id_number[-6:]})) == {a.pk}
    # A region of another district: the filter cannot widen the scope.
    assert ids(api.get(LIST, {"region": region("440781").pk})) == set()


def test_list_filters_outside_scope_find_nothing(api, cw_taicheng, three):  # type: ignore[no-untyped-def]
    a, _b, _t = three
    head = a.memberships.get(relation=Relation.HEAD).person
    login(api, cw_taicheng)
    assert ids(api.get(LIST, {"id_number": head.id_number})) == set()
    assert ids(api.get(LIST, {"village": a.village_id})) == set()


@pytest.mark.parametrize("param", ["region", "village", "town"])
def test_list_bad_filter_value_is_400(api, cw_baisha, param):  # type: ignore[no-untyped-def]
    response = login(api, cw_baisha).get(LIST, {param: "abc"})
    assert response.status_code == 400
    assert param in response.json()


def test_list_paginates(api, cw_baisha, village_a):  # type: ignore[no-untyped-def]
    for _ in range(52):
        household_with_members(village_a, members=1)
    login(api, cw_baisha)
    first = api.get(LIST).json()
    assert first["count"] == 52
    assert len(first["results"]) == 50
    assert first["next"]
    second = api.get(LIST, {"page": 2}).json()
    assert len(second["results"]) == 2
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}


def test_full_id_numbers_are_never_listed(api, cw_baisha, household_a):  # type: ignore[no-untyped-def]
    login(api, cw_baisha)
    for url in (LIST, detail(household_a.pk)):
        body = api.get(url).content.decode()
        assert not FULL_ID.search(body), url
    members = api.get(detail(household_a.pk)).json()["members"]
    numbers = {m.person.id_number for m in household_a.memberships.select_related("person")}
    assert {m["person"]["id_number_masked"] for m in members} == {
        n[:4] + "*" * 10 + n[-4:] for n in numbers
    }


# --- detail ---------------------------------------------------------------------------------


def test_detail(api, cw_baisha, household_a):  # type: ignore[no-untyped-def]
    ended = household_with_members(household_a.village, members=1)
    m = Membership.objects.get(household=ended)
    # A former member of household_a: listed nowhere in its detail.
    m.household = household_a
    m.relation = Relation.OTHER
    m.end_date = m.start_date
    m.save()
    body = login(api, cw_baisha).get(detail(household_a.pk)).json()
    assert body["id"] == household_a.pk
    assert body["member_count"] == 3
    assert len(body["members"]) == 3
    assert [x["relation"] for x in body["members"]].count("head") == 1
    assert body["head_name"] == next(
        x["person"]["name"] for x in body["members"] if x["relation"] == "head"
    )


@pytest.mark.parametrize("persona", ["cw_taicheng", "ca_taishan"])
def test_detail_of_another_district_is_404_like_a_missing_id(  # type: ignore[no-untyped-def]
    api, household_a, request, persona
):
    login(api, request.getfixturevalue(persona))
    foreign = api.get(detail(household_a.pk))
    missing = api.get(detail(10_000_000))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


def test_village_assistant_sees_only_their_village(api, va_baisha, household_a, household_b):  # type: ignore[no-untyped-def]
    login(api, va_baisha)
    assert api.get(detail(household_a.pk)).status_code == 200
    assert api.get(detail(household_b.pk)).status_code == 404


# --- create ---------------------------------------------------------------------------------


def test_caseworker_creates_a_household(api, cw_baisha, village_a):  # type: ignore[no-untyped-def]
    payload = create_payload(village_a)
    response = post(login(api, cw_baisha), LIST, payload)
    assert response.status_code == 201, response.json()
    body = response.json()
    household = Household.objects.get(pk=body["id"])
    assert household.village == village_a
    assert body["head_name"] == "李四"
    assert body["member_count"] == 2
    numbers = sorted(m["id_number"] for m in payload["members"])
    assert sorted(household.memberships.values_list("person__id_number", flat=True)) == numbers
    assert set(Person.objects.filter(id_number__in=numbers).values_list("region", flat=True)) == {
        village_a.pk
    }
    assert household.history.get().history_user == cw_baisha
    assert not FULL_ID.search(response.content.decode())


@pytest.mark.parametrize("persona", ["ca_pengjiang", "va_baisha", "ca_taishan"])
def test_roles_without_edit_rights_cannot_create(api, village_a, request, persona):  # type: ignore[no-untyped-def]
    response = post(login(api, request.getfixturevalue(persona)), LIST, create_payload(village_a))
    assert response.status_code == 403
    assert not Household.objects.exists()


def test_create_in_another_district_is_400_on_village_like_a_missing_id(  # type: ignore[no-untyped-def]
    api, cw_taicheng, village_a
):
    login(api, cw_taicheng)
    foreign = post(api, LIST, create_payload(village_a))
    missing = post(api, LIST, {**create_payload(village_a), "village": 10_000_000})
    assert foreign.status_code == missing.status_code == 400
    assert set(foreign.json()) == {"village"}
    assert foreign.json() == missing.json()
    assert not Household.objects.exists()


def test_create_on_a_township_is_400_on_village(api, cw_baisha, baisha):  # type: ignore[no-untyped-def]
    response = post(login(api, cw_baisha), LIST, create_payload(baisha))
    assert response.status_code == 400
    assert set(response.json()) == {"village"}


def test_bad_id_number_of_member_two_is_a_field_error_under_its_index(  # type: ignore[no-untyped-def]
    api, cw_baisha, village_a
):
    """Documented shape (DRF's for list fields): {"members": {"<0-based index>": {field: [...]}}}."""
    bad = "440703198005170000"  # wrong check character
    payload = create_payload(
        village_a, [member(), member(Relation.SPOUSE, id_number=bad), member(Relation.CHILD)]
    )
    response = post(login(api, cw_baisha), LIST, payload)
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == ["members"]
    assert list(errors["members"]) == ["1"]
    assert list(errors["members"]["1"]) == ["id_number"]
    assert errors["members"]["1"]["id_number"][0]
    # The service rolled everything back, members written before the bad one included.
    assert not Household.objects.exists()
    assert not Person.objects.exists()


def test_serializer_errors_have_the_same_shape(api, cw_baisha, village_a):  # type: ignore[no-untyped-def]
    payload = create_payload(village_a, [member(), member(), member("cousin")])
    errors = post(login(api, cw_baisha), LIST, payload).json()
    assert list(errors) == ["members"]
    assert list(errors["members"]) == ["2"]
    assert list(errors["members"]["2"]) == ["relation"]


def test_duplicate_id_number_is_400(api, cw_baisha, village_a, household_b):  # type: ignore[no-untyped-def]
    taken = household_b.memberships.first().person.id_number
    payload = create_payload(village_a, [member(id_number=taken)])
    response = post(login(api, cw_baisha), LIST, payload)
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == ["members"] and list(errors["members"]) == ["0"]
    assert list(errors["members"]["0"]) == ["id_number"]
    assert taken in errors["members"]["0"]["id_number"][0]
    assert Household.objects.count() == 1


def test_same_id_number_twice_in_one_household_is_400(api, cw_baisha, village_a):  # type: ignore[no-untyped-def]
    number = unique_id_number()
    payload = create_payload(
        village_a, [member(id_number=number), member(Relation.CHILD, id_number=number)]
    )
    response = post(login(api, cw_baisha), LIST, payload)
    assert response.status_code == 400
    assert list(response.json()["members"]) == ["non_field_errors"]
    assert not Household.objects.exists()


def test_exactly_one_head(api, cw_baisha, village_a):  # type: ignore[no-untyped-def]
    payload = create_payload(village_a, [member(Relation.SPOUSE), member(Relation.CHILD)])
    response = post(login(api, cw_baisha), LIST, payload)
    assert response.status_code == 400
    assert list(response.json()["members"]) == ["non_field_errors"]
    two_heads = create_payload(village_a, [member(), member()])
    response = post(api, LIST, two_heads)
    assert list(response.json()["members"]) == ["non_field_errors"]
    assert not Household.objects.exists()


def test_missing_fields_are_400(api, cw_baisha):  # type: ignore[no-untyped-def]
    response = post(login(api, cw_baisha), LIST, {})
    assert response.status_code == 400
    assert {"village", "address", "hukou_type", "members"} <= set(response.json())


# --- update ---------------------------------------------------------------------------------


def test_caseworker_updates_a_household(api, cw_baisha, household_a):  # type: ignore[no-untyped-def]
    response = patch(
        login(api, cw_baisha), detail(household_a.pk), {"address": "新地址8号", "reason": "搬迁"}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["address"] == "新地址8号"
    assert response.json()["member_count"] == 3
    household_a.refresh_from_db()
    assert household_a.address == "新地址8号"
    latest = household_a.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (cw_baisha, "搬迁")


def test_moving_a_household_moves_its_members(api, cw_baisha, household_a, village_b):  # type: ignore[no-untyped-def]
    response = patch(login(api, cw_baisha), detail(household_a.pk), {"village": village_b.pk})
    assert response.status_code == 200
    assert response.json()["village"] == village_b.pk
    regions = set(
        Person.objects.filter(memberships__household=household_a).values_list("region", flat=True)
    )
    assert regions == {village_b.pk}


def test_move_to_another_district_is_400_on_village(  # type: ignore[no-untyped-def]
    api, cw_baisha, household_a, village_taicheng
):
    response = patch(
        login(api, cw_baisha), detail(household_a.pk), {"village": village_taicheng.pk}
    )
    assert response.status_code == 400
    assert set(response.json()) == {"village"}
    household_a.refresh_from_db()
    assert household_a.village.code == "440703002201"


def test_update_of_another_district_is_404(api, cw_taicheng, household_a):  # type: ignore[no-untyped-def]
    response = patch(login(api, cw_taicheng), detail(household_a.pk), {"address": "x"})
    assert response.status_code == 404
    household_a.refresh_from_db()
    assert household_a.address != "x"


@pytest.mark.parametrize("persona", ["ca_pengjiang", "va_baisha", "ca_taishan"])
def test_roles_without_edit_rights_cannot_update(api, household_a, request, persona):  # type: ignore[no-untyped-def]
    """403 from the role, before any lookup: the same answer for any id (no existence leak)."""
    login(api, request.getfixturevalue(persona))
    response = patch(api, detail(household_a.pk), {"address": "x"})
    assert response.status_code == 403
    assert patch(api, detail(10_000_000), {"address": "x"}).status_code == 403
    household_a.refresh_from_db()
    assert household_a.address != "x"


def test_put_is_not_offered(api, cw_baisha, household_a):  # type: ignore[no-untyped-def]
    response = login(api, cw_baisha).put(
        detail(household_a.pk), data=json.dumps({"address": "x"}), content_type="application/json"
    )
    assert response.status_code == 405


def test_blank_address_is_400(api, cw_baisha, household_a):  # type: ignore[no-untyped-def]
    response = patch(login(api, cw_baisha), detail(household_a.pk), {"address": "  "})
    assert response.status_code == 400
    assert set(response.json()) == {"address"}


# --- remove member --------------------------------------------------------------------------


def test_caseworker_removes_a_member(api, cw_baisha, household_a):  # type: ignore[no-untyped-def]
    child = household_a.memberships.filter(relation=Relation.CHILD).first()
    response = post(
        login(api, cw_baisha),
        remove_url(household_a.pk),
        {"membership": child.pk, "reason": "外嫁"},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["member_count"] == 2
    assert child.pk not in {m["id"] for m in response.json()["members"]}
    child.refresh_from_db()
    assert child.end_date is not None
    assert child.end_reason == "外嫁"


def test_remove_member_needs_a_reason(api, cw_baisha, household_a):  # type: ignore[no-untyped-def]
    child = household_a.memberships.filter(relation=Relation.CHILD).first()
    response = post(
        login(api, cw_baisha), remove_url(household_a.pk), {"membership": child.pk, "reason": ""}
    )
    assert response.status_code == 400
    assert set(response.json()) == {"reason"}


def test_remove_member_of_another_household_is_400(api, cw_baisha, household_a, household_b):  # type: ignore[no-untyped-def]
    other = household_b.memberships.filter(relation=Relation.CHILD).first()
    response = post(
        login(api, cw_baisha), remove_url(household_a.pk), {"membership": other.pk, "reason": "x"}
    )
    assert response.status_code == 400
    assert set(response.json()) == {"membership"}
    other.refresh_from_db()
    assert other.end_date is None


def test_head_cannot_leave_while_others_remain(api, cw_baisha, household_a):  # type: ignore[no-untyped-def]
    head = household_a.memberships.get(relation=Relation.HEAD)
    response = post(
        login(api, cw_baisha), remove_url(household_a.pk), {"membership": head.pk, "reason": "x"}
    )
    assert response.status_code == 400
    assert set(response.json()) == {"non_field_errors"}


def test_remove_member_in_another_district_is_404(api, cw_taicheng, household_a):  # type: ignore[no-untyped-def]
    child = household_a.memberships.filter(relation=Relation.CHILD).first()
    response = post(
        login(api, cw_taicheng), remove_url(household_a.pk), {"membership": child.pk, "reason": "x"}
    )
    assert response.status_code == 404
    child.refresh_from_db()
    assert child.end_date is None


@pytest.mark.parametrize("persona", ["ca_pengjiang", "va_baisha", "ca_taishan"])
def test_roles_without_edit_rights_cannot_remove_members(api, household_a, request, persona):  # type: ignore[no-untyped-def]
    child = household_a.memberships.filter(relation=Relation.CHILD).first()
    login(api, request.getfixturevalue(persona))
    response = post(api, remove_url(household_a.pk), {"membership": child.pk, "reason": "x"})
    assert response.status_code == 403
    child.refresh_from_db()
    assert child.end_date is None


# --- query counts ---------------------------------------------------------------------------


def _count(api, url, **params) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_is_constant(api, cw_baisha, village_a, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    login(api, cw_baisha)
    for _ in range(5):
        household_with_members(village_a, members=3)
    at_5 = _count(api, LIST)
    for _ in range(45):
        household_with_members(village_a, members=3)
    at_50 = _count(api, LIST)
    assert at_50 == at_5
    # session, user, the user's region (scope), the ids of its regions (the households' and
    # the person search's scope, as a list: once each), count, the page's ids, its rows (head
    # and size for those 50 only)
    with django_assert_max_num_queries(8):
        response = api.get(LIST, {"q": "张", "village": village_a.pk})
    assert len(response.json()["results"]) == 50


def test_detail_query_count_is_constant(api, cw_baisha, village_a, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    login(api, cw_baisha)
    small = household_with_members(village_a, members=2)
    large = household_with_members(village_a, members=12)
    assert _count(api, detail(small.pk)) == _count(api, detail(large.pk))
    # session, user, the user's region (scope), the ids of its regions, household, members with
    # their persons, the age bands in force (policy data, once per response)
    with django_assert_max_num_queries(7):
        assert len(api.get(detail(large.pk)).json()["members"]) == 12


# --- optimistic concurrency -----------------------------------------------------------------


def test_stale_edit_is_409_and_saves_nothing(api, cw_baisha, household_a):  # type: ignore[no-untyped-def]
    login(api, cw_baisha)
    read = api.get(detail(household_a.pk)).json()["updated_at"]
    first = patch(api, detail(household_a.pk), {"address": "一号", "expected_updated_at": read})
    assert first.status_code == 200
    assert first.json()["updated_at"] != read
    second = patch(api, detail(household_a.pk), {"address": "二号", "expected_updated_at": read})
    assert second.status_code == 409
    assert set(second.json()) == {"detail"}
    household_a.refresh_from_db()
    assert household_a.address == "一号"
    # Without the lock the last write wins, as before.
    assert patch(api, detail(household_a.pk), {"address": "三号"}).status_code == 200


class TestNoServerErrors:
    """Defect 10: inputs that used to be 500s."""

    def test_nul_byte_in_a_query_value_is_a_400_in_chinese(self, api, cw_baisha, household_a):
        login(api, cw_baisha)
        r = api.get(LIST, {"q": "\x00"})
        assert r.status_code == 400
        assert "空字符" in r.json()["detail"]

    def test_nul_byte_in_a_json_body_is_a_400(self, api, cw_baisha, village_a):
        login(api, cw_baisha)
        payload = create_payload(village_a)
        payload["address"] = "白沙\x00路"
        r = post(api, LIST, payload)
        assert r.status_code == 400
        assert not Household.objects.filter(address__startswith="白沙").exists()

    def test_browsable_api_renders_a_household(self, api, cw_baisha, household_a):
        login(api, cw_baisha)
        r = api.get(detail(household_a.pk), {"format": "api"})
        assert r.status_code == 200
        assert household_a.address in r.content.decode()
        r = api.get(detail(household_a.pk), HTTP_ACCEPT="text/html")
        assert r.status_code == 200
        r = api.get(LIST, HTTP_ACCEPT="text/html")
        assert r.status_code == 200
