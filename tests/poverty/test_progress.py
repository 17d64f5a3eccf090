"""Exit targets and progress (domain.md §10): the seeded targets, the selector per district and
city, the home page figure."""

import datetime as dt

import pytest
from django.urls import reverse

from poverty.models import ExitTarget, PovertyLine, PovertyRecord
from poverty.selectors import exit_progress

from ..conftest import login
from ..factories import region
from .conftest import S, build_record, household_of

pytestmark = pytest.mark.django_db


def test_the_seeded_policy_data():
    assert ExitTarget.objects.get(region__code="440700", year=2017).households == 4998
    assert ExitTarget.objects.get(region__code="440700", year=2018).all_remaining
    line = PovertyLine.objects.in_force(dt.date(2017, 6, 1)).get()
    assert line.yuan_per_year == 4000 and str(line.monthly) == "333.33"


def _exited(village, registrar, year):  # type: ignore[no-untyped-def]
    record = build_record(household_of(village, {"age": 45}), to=S.REGISTERED, registrar=registrar)
    PovertyRecord.objects.filter(pk=record.pk).update(
        status=S.EXIT_CONFIRMED, exit_confirmed_on=dt.date(year, 12, 1), exit_document_no="x"
    )


def test_progress_per_district_and_city(
    village_a, village_taicheng, po_pengjiang, po_taishan, data_admin
):
    for _i in range(3):
        _exited(village_a, po_pengjiang, 2017)
    _exited(village_a, po_pengjiang, 2018)
    _exited(village_taicheng, po_taishan, 2017)
    build_record(household_of(village_a, {"age": 40}), to=S.REGISTERED, registrar=po_pengjiang)
    rows = {r.region.code: r for r in exit_progress(user=data_admin, year=2017)}
    assert (rows["440703"].exits, rows["440781"].exits, rows["440703"].target) == (3, 1, None)
    assert (rows["440700"].exits, rows["440700"].target) == (4, 4998)
    assert rows["440700"].percent == 0
    # 2018: all remaining = the year's exits + the households still in poverty.
    city_2018 = {r.region.code: r for r in exit_progress(user=data_admin, year=2018)}["440700"]
    assert (city_2018.exits, city_2018.remaining, city_2018.target) == (1, 1, 2)
    assert city_2018.percent == 50


def test_progress_is_scoped(village_a, village_taicheng, po_pengjiang, po_taishan):
    _exited(village_a, po_pengjiang, 2017)
    _exited(village_taicheng, po_taishan, 2017)
    ExitTarget.objects.create(region=region("440703"), year=2017, households=10)
    rows = exit_progress(user=po_pengjiang, year=2017)
    assert [(r.region.code, r.exits, r.target, r.percent) for r in rows] == [("440703", 1, 10, 10)]


def test_the_home_page_shows_the_years_figure(client, village_a, po_pengjiang):
    _exited(village_a, po_pengjiang, 2026)
    ExitTarget.objects.create(region=region("440703"), year=2026, households=4)
    login(client, po_pengjiang)
    html = client.get(reverse("home")).content.decode()
    assert "1 / 4" in html
    html = client.get(reverse("poverty:progress"), {"year": 2026}).content.decode()
    assert 'data-region="440703"' in html
