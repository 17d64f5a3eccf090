"""The score panel beside the decision (case page) and on the household page; recompute; the
history page; scoping (白沙's caseworker sees own, 台山市 is denied)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from verification.models import HouseholdScore
from verification.scores import services

from ...conftest import login
from .conftest import ON

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 6, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


def test_case_page_shows_the_score_beside_the_decision(client, scored, cw_baisha):  # type: ignore[no-untyped-def]
    household, case = scored
    services.household_score_compute(household=household, case=case, on=ON, by=cw_baisha)
    page = login(client, cw_baisha).get(reverse("assistance:detail", args=[case.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="score-panel"' in html
    assert 'data-testid="score-value">55.59<' in html
    assert 'data-testid="contribution-income">33.34<' in html
    assert 'data-testid="contribution-property">11.25<' in html
    assert 'data-testid="contribution-expenditure">11.00<' in html
    assert "default-2017" in html
    assert 'data-testid="score-compute"' in html


def test_recompute_from_the_case_page(client, scored, ca_pengjiang):  # type: ignore[no-untyped-def]
    household, case = scored
    url = reverse("verification:score_compute", args=[household.pk])
    r = login(client, ca_pengjiang).post(url, {"case": case.pk})
    assert r.status_code == 302 and r.url == reverse("assistance:detail", args=[case.pk])
    s = HouseholdScore.objects.get()
    assert (s.case, s.computed_by, s.on) == (case, ca_pengjiang, ON)


def test_recompute_needs_post(client, scored, cw_baisha):  # type: ignore[no-untyped-def]
    household, _ = scored
    url = reverse("verification:score_compute", args=[household.pk])
    assert login(client, cw_baisha).get(url).status_code == 405


def test_household_page_panel_and_history(client, scored, cw_baisha):  # type: ignore[no-untyped-def]
    household, _ = scored
    c = login(client, cw_baisha)
    page = c.get(reverse("households:detail", args=[household.pk])).content.decode()
    assert 'data-testid="score-none"' in page
    c.post(reverse("verification:score_compute", args=[household.pk]))
    page = c.get(reverse("households:detail", args=[household.pk])).content.decode()
    assert 'data-testid="score-value">55.59<' in page
    history = c.get(reverse("verification:score_history", args=[household.pk]))
    assert history.status_code == 200
    assert history.content.decode().count('data-testid="score-row"') == 1


def test_a_foreign_case_is_refused(client, scored, household_b, cw_baisha):  # type: ignore[no-untyped-def]
    _, case = scored
    url = reverse("verification:score_compute", args=[household_b.pk])
    login(client, cw_baisha).post(url, {"case": case.pk})
    assert not HouseholdScore.objects.exists()


def test_outsider_is_denied_on_pages(client, scored, cw_baisha, ca_taishan):  # type: ignore[no-untyped-def]
    household, case = scored
    services.household_score_compute(household=household, case=case, on=ON, by=cw_baisha)
    c = login(client, ca_taishan)
    assert c.get(reverse("verification:score_history", args=[household.pk])).status_code == 404
    r = c.post(reverse("verification:score_compute", args=[household.pk]), {"case": case.pk})
    assert r.status_code == 404
    assert HouseholdScore.objects.count() == 1


def test_a_role_without_the_permission_sees_no_panel(client, scored, va_baisha, cw_baisha):  # type: ignore[no-untyped-def]
    household, case = scored
    services.household_score_compute(household=household, case=case, on=ON, by=cw_baisha)
    c = login(client, va_baisha)
    assert c.get(reverse("verification:score_history", args=[household.pk])).status_code == 403
    r = c.post(reverse("verification:score_compute", args=[household.pk]))
    assert r.status_code == 403
    page = c.get(reverse("households:detail", args=[household.pk]))
    assert 'data-testid="score-panel"' not in page.content.decode()


def test_history_query_count(client, scored, cw_baisha, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    household, case = scored
    for _ in range(5):
        services.household_score_compute(household=household, case=case, on=ON, by=cw_baisha)
    c = login(client, cw_baisha)
    url = reverse("verification:score_history", args=[household.pk])
    c.get(url)
    with django_assert_max_num_queries(12):
        assert c.get(url).status_code == 200
