"""Supervision data written directly (no services), with dates fixed: today is 28 Nov 2026
(Asia/Shanghai), the month under review November 2026 (no public holiday in it)."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from assistance.models import DibaoCase
from core.roles import Role

from ...factories import UserFactory, household_with_members, region

TZ = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 11, 28)
NOV = dt.date(2026, 11, 1)
S = DibaoCase.Status


@pytest.fixture(autouse=True)
def _frozen():  # type: ignore[no-untyped-def]
    moment = dt.datetime(2026, 11, 28, 10, 0, tzinfo=TZ)
    with translation.override("en"), time_machine.travel(moment, tick=False):
        yield


@pytest.fixture
def supervisor(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="supervisor", role=Role.SUPERVISOR, region=region("440700"))


def case(household, by, **fields):  # type: ignore[no-untyped-def]
    fields.setdefault("status", S.ACTIVE)
    return DibaoCase.objects.create(household=household, created_by=by, **fields)


def paying_case(village, by, *, start: dt.date = dt.date(2026, 6, 1)):  # type: ignore[no-untyped-def]
    return case(
        household_with_members(village, members=2),
        by,
        status=S.ACTIVE,
        accepted_on=dt.date(2026, 4, 1),
        confirmed_on=dt.date(2026, 5, 10),
        procedure_due=dt.date(2026, 5, 15),
        payment_start_month=start,
    )


MONEY = Decimal("0.01")
