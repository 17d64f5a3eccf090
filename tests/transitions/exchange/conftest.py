"""Personas and builders of the exchange tests: batches are the whole city's, so the actors are
city-level (the social-security officer, the data administrators); district users are outsiders."""

import datetime as dt

import pytest

from core.roles import Role
from transitions.exchange.services import exchange_batch_build

from ...assistance.conftest import on_day
from ...factories import UserFactory, region

DEC = dt.date(2026, 12, 1)
JAN = dt.date(2027, 1, 1)
IN_JAN = dt.date(2027, 1, 5)
IN_FEB = dt.date(2027, 2, 3)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def ss_city(db):  # type: ignore[no-untyped-def]
    return UserFactory(
        username="ss_city", role=Role.SOCIAL_SECURITY_OFFICER, region=region("440700")
    )


@pytest.fixture
def data_admin_2(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="data_admin_2", role=Role.DATA_ADMIN, region=region("440700"))


@pytest.fixture
def case(confirmed_case):  # type: ignore[no-untyped-def]
    """A case of 白沙 paid from 2026-12."""
    return confirmed_case


def build(stream: str, period: dt.date, by, day: dt.date = IN_JAN):  # type: ignore[no-untyped-def]
    with on_day(day):
        return exchange_batch_build(stream=stream, period=period, by=by)
