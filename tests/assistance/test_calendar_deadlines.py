"""Deadlines that fall in a year without holiday data are provisional and are recomputed when a
data administrator enters the year (issue 6, defect 7)."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from assistance.dibao import services
from config.celery import app as celery_app

from ..conftest import login
from .conftest import S, build_case, poor_household

pytestmark = pytest.mark.django_db
ACCEPTED = dt.date(2026, 12, 30)  # a Wednesday: 3 working days reach into 2027


@pytest.fixture(autouse=True)
def _frozen(client, settings):  # type: ignore[no-untyped-def]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with time_machine.travel(dt.datetime(2026, 12, 30, 10, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def eager():  # type: ignore[no-untyped-def]
    old = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = old


def test_deadline_in_2027_is_provisional_then_recomputed(
    client, eager, django_capture_on_commit_callbacks, cw_baisha, cw_baisha_2, data_admin,
    village_a,
):  # fmt: skip
    case = build_case(poor_household(village_a), to=S.APPLIED, maker=cw_baisha, second=cw_baisha_2)
    case = services.dibao_case_accept(case=case, accepted_on=ACCEPTED, by=cw_baisha)
    # 1 January 2027 is guessed to be a working day: 31 Dec, 1 Jan, 4 Jan.
    assert case.investigation_due == dt.date(2027, 1, 4)
    login(client, cw_baisha)
    detail = reverse("assistance:detail", args=[case.pk])
    page = client.get(detail).content.decode()
    assert page.count('data-testid="provisional"') == 2  # investigation and procedure deadlines
    assert 'data-testid="provisional"' in client.get(reverse("assistance:list")).content.decode()

    login(client, data_admin)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            reverse("calendar_year", args=[2027]),
            {"holidays": "2027-01-01~2027-01-03 元旦", "working_days": "", "complete": "on"},
        )
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.investigation_due == dt.date(2027, 1, 5)  # 31 Dec, 4 Jan, 5 Jan
    login(client, cw_baisha)
    assert 'data-testid="provisional"' not in client.get(detail).content.decode()
