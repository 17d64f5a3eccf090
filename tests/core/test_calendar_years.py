"""Years without holiday data (issue 6, defect 7): such days are provisional, data administrators
are warned from 1 November of the year before, and enter a year's holidays and adjusted working
days on a page or by API; everyone else gets 403."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from core.calendar import add_working_days, is_provisional, year_has_data
from core.models import CalendarOverride, CalendarYear

from ..conftest import login

pytestmark = pytest.mark.django_db

NEW_YEAR_2027 = "2027-01-01~2027-01-03 元旦\n2027-02-06 至 2027-02-13 春节"
ADJUSTED_2027 = "2027-02-14 春节调休\n2027-02-20"


@pytest.fixture(autouse=True)
def _english(client, settings):  # type: ignore[no-untyped-def]
    from django.utils import translation

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def moment(day: dt.date):  # type: ignore[no-untyped-def]
    return time_machine.travel(dt.datetime.combine(day, dt.time(10), dt.UTC), tick=False)


def test_unknown_year_is_provisional_until_entered(data_admin):
    assert year_has_data(2026) and not year_has_data(2027)
    # Monday–Friday is assumed for 2027: 1 January (a Friday) counts, provisionally.
    assert add_working_days(dt.date(2026, 12, 31), 1) == dt.date(2027, 1, 1)
    assert is_provisional(dt.date(2026, 12, 30), dt.date(2027, 1, 4))
    assert not is_provisional(dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    CalendarYear.objects.create(year=2027, complete=False, entered_by=data_admin)
    assert not year_has_data(2027)  # started, not confirmed complete


def test_data_admin_enters_a_year_on_the_page(client, data_admin):
    login(client, data_admin)
    url = reverse("calendar_year", args=[2027])
    page = client.get(url)
    assert page.status_code == 200 and "no holiday data" in page.content.decode()
    r = client.post(
        url, {"holidays": NEW_YEAR_2027, "working_days": ADJUSTED_2027, "complete": "on"}
    )
    assert r.status_code == 302
    assert year_has_data(2027)
    assert CalendarYear.objects.get(year=2027).entered_by == data_admin
    off = set(CalendarOverride.objects.filter(is_working_day=False).values_list("date", flat=True))
    assert len(off) == 3 + 8 and dt.date(2027, 2, 10) in off
    on = dict(CalendarOverride.objects.filter(is_working_day=True).values_list("date", "note"))
    assert on == {dt.date(2027, 2, 14): "春节调休", dt.date(2027, 2, 20): ""}
    assert add_working_days(dt.date(2026, 12, 31), 1) == dt.date(2027, 1, 4)
    assert not is_provisional(dt.date(2026, 12, 30), dt.date(2027, 1, 5))
    # The page shows what was entered, ready to correct.
    body = client.get(url).content.decode()
    assert "2027-01-01~2027-01-03 元旦" in body and "2027-02-14 春节调休" in body


def test_bad_lines_are_named_and_nothing_is_written(client, data_admin):
    login(client, data_admin)
    url = reverse("calendar_year", args=[2027])
    r = client.post(
        url,
        {"holidays": "2027-01-01\n2026-12-31\nnot a date", "working_days": "2027-01-01"},
    )
    assert r.status_code == 200
    errors = r.context["form"].errors
    assert "Line 2" in str(errors["holidays"]) and "Line 3" in str(errors["holidays"])
    assert "both" in str(errors["working_days"])
    assert not CalendarOverride.objects.exists() and not CalendarYear.objects.exists()


@pytest.mark.parametrize("who", ["cw_baisha", "ca_pengjiang", "cw_taicheng", "ca_taishan"])
def test_others_get_403_on_page_and_api(request, client, api, who):  # type: ignore[no-untyped-def]
    user = request.getfixturevalue(who)
    login(client, user)
    url = reverse("calendar_year", args=[2027])
    assert client.get(url).status_code == 403
    assert client.post(url, {"holidays": "2027-01-01", "complete": "on"}).status_code == 403
    api.force_authenticate(user)
    assert api.get("/api/v1/calendar/2027/").status_code == 403
    r = api.put("/api/v1/calendar/2027/", {"holidays": [], "complete": True}, format="json")
    assert r.status_code == 403
    assert not CalendarYear.objects.exists()


def test_api_reads_and_replaces_a_year(api, data_admin):
    api.force_authenticate(data_admin)
    r = api.get("/api/v1/calendar/2027/")
    assert r.status_code == 200 and r.json()["has_data"] is False
    body = {
        "holidays": [{"start": "2027-01-01", "end": "2027-01-03", "note": "元旦"}],
        "working_days": [{"start": "2027-02-14", "note": "调休"}],
        "complete": True,
    }
    r = api.put("/api/v1/calendar/2027/", body, format="json")
    assert r.status_code == 200, r.json()
    data = r.json()
    assert data["has_data"] is True and data["complete"] is True
    assert data["holidays"] == [{"start": "2027-01-01", "end": "2027-01-03", "note": "元旦"}]
    assert data["working_days"] == [{"start": "2027-02-14", "end": "2027-02-14", "note": "调休"}]
    bad = {"holidays": [{"start": "2028-01-01"}], "working_days": [], "complete": True}
    r = api.put("/api/v1/calendar/2027/", bad, format="json")
    assert r.status_code == 400 and "holidays" in r.json()
    assert CalendarOverride.objects.filter(is_working_day=False).count() == 3  # unchanged


def test_home_warns_data_admins_from_1_november(client, data_admin, cw_baisha):
    login(client, data_admin)
    with moment(dt.date(2026, 10, 31)):
        assert 'data-testid="calendar-warning"' not in client.get("/").content.decode()
    with moment(dt.date(2026, 11, 1)):
        body = client.get("/").content.decode()
        assert 'data-testid="calendar-warning"' in body and "2027" in body
        assert reverse("calendar_year", args=[2027]) in body
        login(client, cw_baisha)
        assert 'data-testid="calendar-warning"' not in client.get("/").content.decode()
        CalendarYear.objects.create(year=2027, complete=True, entered_by=data_admin)
        login(client, data_admin)
        assert 'data-testid="calendar-warning"' not in client.get("/").content.decode()
