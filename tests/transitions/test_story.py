"""The household's whole story and "as it stood on date D"."""

import datetime as dt

from transitions.phaseout import phase_out_start
from transitions.story import household_as_of, household_timeline

from ..conftest import login
from .conftest import on_day


def test_as_of_shows_the_status_and_amount_on_a_past_date(
    confirmed_case, ca_pengjiang, ca_pengjiang_2
):
    household = confirmed_case.household
    amount = confirmed_case.awards.get().total
    with on_day(dt.date(2026, 12, 10)):
        phase_out_start(
            case=confirmed_case,
            decision="lower",
            decided_on=dt.date(2026, 12, 10),
            by=ca_pengjiang_2,
        )
    with on_day(dt.date(2027, 2, 10)):
        before = household_as_of(user=ca_pengjiang, household=household, on=dt.date(2026, 11, 10))
        confirmed = household_as_of(user=ca_pengjiang, household=household, on=dt.date(2026, 12, 5))
        phasing = household_as_of(user=ca_pengjiang, household=household, on=dt.date(2027, 1, 15))
    assert before.dibao_status != "Confirmed" and before.amount is None
    assert confirmed.dibao_status == "Confirmed" and confirmed.amount == amount
    assert not confirmed.in_phase_out
    assert phasing.amount == amount and phasing.in_phase_out
    assert len(before.members) == 2
    assert confirmed.classification  # classified when confirmed


def test_the_timeline_spans_departments(confirmed_case, ca_pengjiang):
    events = household_timeline(user=ca_pengjiang, household=confirmed_case.household)
    departments = {e.department for e in events}
    assert {"Register", "Civil affairs", "Hand-off", "Poverty office"} <= departments


def test_the_household_page_shows_the_story(
    client, confirmed_case, ca_pengjiang, django_assert_max_num_queries
):
    login(client, ca_pengjiang)
    url = f"/households/{confirmed_case.household_id}/"
    page = client.get(url).content.decode()
    assert 'data-testid="story-panel"' in page
    with on_day(dt.date(2026, 12, 20)):
        page = client.get(url + "?as_of=2026-12-05").content.decode()
        assert 'data-testid="as-of"' in page
        page = client.get(url + "?as_of=2099-01-01").content.decode()
        assert "not in the future" in page
