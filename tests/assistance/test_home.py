import pytest
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
