import pytest
import time_machine
from django.urls import reverse

from ..conftest import login
from .conftest import S, build_case, poor_household

pytestmark = pytest.mark.django_db


def test_home_shows_inbox_count_and_assistance_tiles(client, cw_baisha, cw_baisha_2, village_a):
    build_case(poor_household(village_a), to=S.APPLIED, maker=cw_baisha, second=cw_baisha_2)
    login(client, cw_baisha)
    r = client.get(reverse("home"))
    tiles = {t.url: t for t in r.context["tiles"]}
    inbox = tiles[reverse("assistance_oversight:inbox")]
    assert inbox.count == 1  # the application waiting for acceptance
    assert reverse("assistance:list") in tiles


def test_village_assistant_sees_outreach_not_payroll(client, va_baisha):
    login(client, va_baisha)
    urls = [t.url for t in client.get(reverse("home")).context["tiles"]]
    assert reverse("assistance_programmes:outreach_list") in urls
    assert reverse("assistance_payroll:list") not in urls


# The day after the cases' application (tests/assistance/conftest.py APPLIED_ON): no procedure
# is overdue yet, whatever day the suite runs.
@time_machine.travel("2026-11-03T10:00:00+08:00", tick=False)
def test_home_figures_count_the_users_area_only(
    client, cw_baisha, cw_baisha_2, village_a, village_taicheng, cw_taicheng, ca_pengjiang
):
    build_case(poor_household(village_a), to=S.APPLIED, maker=cw_baisha, second=cw_baisha_2)
    build_case(poor_household(village_a), to=S.INVESTIGATING, maker=cw_baisha, second=cw_baisha_2)
    login(client, cw_baisha)
    figures = {f.key: f.value for f in client.get(reverse("home")).context["figures"]}
    assert figures["dibao_in_procedure"] == 2 and figures["dibao_paying"] == 0
    assert figures["households"] == 2
    assert figures["dibao_procedure_overdue"] == 0
    login(client, cw_taicheng)
    other = {f.key: f.value for f in client.get(reverse("home")).context["figures"]}
    assert other["dibao_in_procedure"] == 0 and other["households"] == 0
    login(client, ca_pengjiang)
    district = client.get(reverse("home"))
    assert {f.key: f.value for f in district.context["figures"]}["dibao_in_procedure"] == 2
    assert 'data-testid="figure-dibao_in_procedure"' in district.content.decode()


@pytest.mark.parametrize("who", ["cw_baisha", "va_baisha", "ca_pengjiang", "data_admin"])
def test_home_query_count_does_not_grow_with_cases(
    who, request, client, cw_baisha, cw_baisha_2, village_a, django_assert_max_num_queries
):
    user = request.getfixturevalue(who)
    for _ in range(3):
        build_case(poor_household(village_a), to=S.APPLIED, maker=cw_baisha, second=cw_baisha_2)
    login(client, user)
    client.get(reverse("home"))  # warm the per-process caches (permissions, calendar)
    with django_assert_max_num_queries(30) as ctx:
        assert client.get(reverse("home")).status_code == 200
    first = len(ctx.captured_queries)
    for _ in range(3):
        build_case(poor_household(village_a), to=S.APPLIED, maker=cw_baisha, second=cw_baisha_2)
    with django_assert_max_num_queries(first):
        client.get(reverse("home"))
