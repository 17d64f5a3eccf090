"""/api/v1/regions/: read-only, scoped to the user's subtree, filters."""

import pytest

from core.models import Region

from ..conftest import login
from ..factories import region

pytestmark = pytest.mark.django_db

LIST = "/api/v1/regions/"


def detail(pk: int) -> str:
    return f"{LIST}{pk}/"


def codes(response) -> set[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    return {row["code"] for row in response.json()["results"]}


@pytest.fixture
def villages(village_a, village_b, village_taicheng):  # type: ignore[no-untyped-def]
    return village_a, village_b, village_taicheng


def test_caseworker_sees_their_township_subtree(api, cw_baisha, villages):  # type: ignore[no-untyped-def]
    response = login(api, cw_baisha).get(LIST)
    assert codes(response) == {"440703002", "440703002201", "440703002202"}
    row = next(r for r in response.json()["results"] if r["code"] == "440703002201")
    assert row == {
        "id": villages[0].pk,
        "code": "440703002201",
        "name": "白沙甲社区",
        "level": "village",
        "kind": "community",
        "parent": region("440703002").pk,
        "parent_code": "440703002",
        "area_class": None,
    }


def test_village_assistant_sees_only_their_village(api, va_baisha, villages):  # type: ignore[no-untyped-def]
    assert codes(login(api, va_baisha).get(LIST)) == {"440703002201"}


def test_district_reviewer_sees_the_district(api, ca_pengjiang, villages):  # type: ignore[no-untyped-def]
    login(api, ca_pengjiang)
    response = api.get(LIST, {"level": "township"})
    expected = set(Region.objects.filter(parent__code="440703").values_list("code", flat=True))
    assert expected and codes(response) == expected
    assert (
        api.get(LIST).json()["count"]
        == Region.objects.filter(path__startswith=region("440703").path).count()
    )


@pytest.mark.parametrize("persona", ["cw_taicheng", "ca_taishan"])
def test_other_district_sees_none_of_ours(api, villages, request, persona):  # type: ignore[no-untyped-def]
    login(api, request.getfixturevalue(persona))
    all_codes = set()
    page = api.get(LIST).json()
    while True:
        all_codes |= {r["code"] for r in page["results"]}
        if not page["next"]:
            break
        page = api.get(page["next"]).json()
    assert "440781001201" in all_codes
    assert all(c.startswith("440781") for c in all_codes)
    foreign, missing = api.get(detail(villages[0].pk)), api.get(detail(10_000_000))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


def test_filters(api, ca_pengjiang, villages):  # type: ignore[no-untyped-def]
    login(api, ca_pengjiang)
    baisha = region("440703002")
    assert codes(api.get(LIST, {"parent": baisha.pk})) == {"440703002201", "440703002202"}
    assert codes(api.get(LIST, {"level": "village"})) == {"440703002201", "440703002202"}
    assert codes(api.get(LIST, {"code": "440703002"})) == {"440703002"}
    assert codes(api.get(LIST, {"name": "乙社区"})) == {"440703002202"}
    # A filter cannot reach outside the scope.
    assert codes(api.get(LIST, {"code": "440781001201"})) == set()
    assert api.get(LIST, {"parent": "x"}).status_code == 400
    assert api.get(LIST, {"level": "planet"}).status_code == 400


def test_regions_are_read_only(api, data_admin, cw_baisha, village_a):  # type: ignore[no-untyped-def]
    payload = {
        "code": "440703002299",
        "name": "新村",
        "kind": "village",
        "parent": village_a.parent_id,
    }
    # The data administrator may add regions (in the admin), but not through this API.
    login(api, data_admin)
    assert api.post(LIST, payload, format="json").status_code == 405
    assert api.patch(detail(village_a.pk), {"name": "x"}, format="json").status_code == 405
    # Without the permission the role check answers first.
    login(api, cw_baisha)
    assert api.post(LIST, payload, format="json").status_code == 403
    assert not Region.objects.filter(code="440703002299").exists()
