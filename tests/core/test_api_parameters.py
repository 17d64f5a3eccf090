"""Every list endpoint of /api/v1/ (found from the URL resolver, so new ones are covered):
an unknown query parameter is a 400 naming it, and `page_size` is honoured up to its limit."""

from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from core.api_filters import MAX_PAGE_SIZE

from ..conftest import login
from ..factories import UserFactory, household_with_members

pytestmark = pytest.mark.django_db


def _list_route_names(patterns: list, prefix: str = "") -> Iterator[str]:  # type: ignore[type-arg]
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            yield from _list_route_names(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            actions = getattr(p.callback, "actions", None) or {}
            if actions.get("get") == "list":
                yield prefix + p.name


LIST_ROUTES = sorted(set(_list_route_names(get_resolver().url_patterns)))


def test_the_walk_finds_every_app_s_lists() -> None:
    expected = {"household-list", "person-list", "region-list", "dibao-case-list", "payroll-list"}
    assert expected <= set(LIST_ROUTES)
    assert len(LIST_ROUTES) >= 10


@pytest.fixture
def admin_api(api, village_a):  # type: ignore[no-untyped-def]
    for _ in range(6):
        household_with_members(village_a, members=1)
    return login(api, UserFactory(username="root", is_superuser=True, is_staff=True))


@pytest.mark.parametrize("route", LIST_ROUTES)
def test_unknown_parameter_is_a_400_naming_it(admin_api, route: str) -> None:
    url = reverse(route)
    assert admin_api.get(url).status_code == 200
    r = admin_api.get(url, {"search": "陈", "page": 1})
    assert r.status_code == 400, r.content
    body = r.json()
    assert body["unknown_parameters"] == ["search"]
    assert "search" in body["detail"] and "未知的查询参数" in body["detail"]


@pytest.mark.parametrize("route", LIST_ROUTES)
def test_page_size_is_honoured_up_to_the_limit(admin_api, route: str) -> None:
    url = reverse(route)
    count = admin_api.get(url).json()["count"]
    r = admin_api.get(url, {"page_size": 5})
    assert r.status_code == 200
    assert len(r.json()["results"]) == min(5, count)
    for bad in (0, MAX_PAGE_SIZE + 1, "abc"):
        r = admin_api.get(url, {"page_size": bad})
        assert r.status_code == 400 and "page_size" in r.json()


@pytest.mark.parametrize("route", ["household-list", "person-list", "region-list"])
def test_page_size_5_gives_5_rows_of_a_longer_list(admin_api, route: str) -> None:
    r = admin_api.get(reverse(route), {"page_size": 5})
    assert r.json()["count"] > 5 and len(r.json()["results"]) == 5 and r.json()["next"]


def test_persons_search_names_the_unknown_parameter_and_the_accepted_ones(
    api, cw_baisha, household_a
) -> None:
    r = login(api, cw_baisha).get("/api/v1/persons/", {"search": "陈"})
    assert r.status_code == 400
    assert r.json()["unknown_parameters"] == ["search"]
    assert "name" in r.json()["detail"]  # the filter the client probably meant
    assert api.get("/api/v1/persons/", {"name": "陈", "format": "json"}).status_code == 200


def test_page_size_is_documented_in_the_schema(api, data_admin) -> None:
    schema = login(api, data_admin).get("/api/schema/", {"format": "json"}).json()
    params = schema["paths"]["/api/v1/persons/"]["get"]["parameters"]
    page_size = next(p for p in params if p["name"] == "page_size")
    assert str(MAX_PAGE_SIZE) in page_size["description"]


@pytest.mark.parametrize("route", LIST_ROUTES)
def test_browsable_api_renders_every_list_and_its_first_row(admin_api, route: str) -> None:
    url = reverse(route)
    r = admin_api.get(url, {"format": "api"})
    assert r.status_code == 200
    rows = admin_api.get(url).json()["results"]
    if rows and "id" in rows[0]:
        assert admin_api.get(f"{url}{rows[0]['id']}/", {"format": "api"}).status_code == 200


def test_page_size_in_other_digits_is_a_400_not_a_500(admin_api) -> None:
    """Found by tests/core/test_api_fuzz.py: "²".isdigit() is true, int("²") fails."""
    for odd in ("²", "٥", " 5", "5.0"):
        r = admin_api.get(reverse("region-list"), {"page_size": odd})
        assert r.status_code == 400, odd
