"""Shared fixtures: the personas of DEVELOPERS.md and their places.

- cw_baisha: caseworker of 白沙街道 (440703002), 蓬江区
- va_baisha: village assistant of one 白沙 village (village_a)
- ca_pengjiang: civil-affairs reviewer of 蓬江区 (440703)
- cw_taicheng / ca_taishan: outsiders from 台山市 (440781)
- data_admin: city data administrator
"""

import datetime as dt
import os
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from rest_framework.test import APIClient

from core.models import Region
from core.roles import Role

from .factories import UserFactory, VillageFactory, household_with_members, region

# `XIANJIE_TEST_NOW=2031-02-28T10:00:00+08:00 pytest …` runs the whole session as if on that
# moment (the clock keeps ticking from there). `make test` uses it to run the suite again on other
# dates, so a test that passes only this month fails in CI. Tests that freeze their own time still
# do: time-machine travels nest. A moment without an offset is in the app's time zone.
TEST_NOW_ENV = "XIANJIE_TEST_NOW"


def shifted_now() -> dt.datetime | None:
    raw = os.environ.get(TEST_NOW_ENV, "").strip()
    if not raw:
        return None
    moment = dt.datetime.fromisoformat(raw)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    # In UTC: a ZoneInfo here would also make time-machine change the process's time zone.
    return moment.astimezone(dt.UTC)


@pytest.fixture(autouse=True, scope="session")
def _shifted_clock() -> Iterator[dt.datetime | None]:
    moment = shifted_now()
    if moment is None:
        yield None
        return
    with time_machine.travel(moment, tick=True):
        yield moment


@pytest.fixture
def baisha() -> Region:
    return region("440703002")


@pytest.fixture
def village_a(db, baisha) -> Region:  # type: ignore[no-untyped-def]
    return VillageFactory(parent=baisha, code="440703002201", name="白沙甲社区")


@pytest.fixture
def village_b(db, baisha) -> Region:  # type: ignore[no-untyped-def]
    return VillageFactory(parent=baisha, code="440703002202", name="白沙乙社区")


@pytest.fixture
def village_taicheng(db) -> Region:  # type: ignore[no-untyped-def]
    return VillageFactory(
        parent=region("440781001"), code="440781001201", name="台城甲村", kind=Region.Kind.VILLAGE
    )


@pytest.fixture
def cw_baisha(db, baisha):  # type: ignore[no-untyped-def]
    return UserFactory(
        username="cw_baisha", role=Role.CASEWORKER, region=baisha, last_name="白沙社工"
    )


@pytest.fixture
def va_baisha(db, village_a):  # type: ignore[no-untyped-def]
    return UserFactory(username="va_baisha", role=Role.VILLAGE_ASSISTANT, region=village_a)


@pytest.fixture
def ca_pengjiang(db):  # type: ignore[no-untyped-def]
    return UserFactory(
        username="ca_pengjiang", role=Role.CIVIL_AFFAIRS_REVIEWER, region=region("440703")
    )


@pytest.fixture
def ca_pengjiang_2(db):  # type: ignore[no-untyped-def]
    """A second reviewer of 蓬江区: approves what the first built (separation of duties)."""
    return UserFactory(
        username="ca_pengjiang_2", role=Role.CIVIL_AFFAIRS_REVIEWER, region=region("440703")
    )


@pytest.fixture
def cw_baisha_2(db, baisha):  # type: ignore[no-untyped-def]
    """A second caseworker of 白沙 (a second investigator)."""
    return UserFactory(username="cw_baisha_2", role=Role.CASEWORKER, region=baisha)


@pytest.fixture
def po_pengjiang(db):  # type: ignore[no-untyped-def]
    return UserFactory(
        username="po_pengjiang", role=Role.POVERTY_OFFICE_REVIEWER, region=region("440703")
    )


@pytest.fixture
def po_pengjiang_2(db):  # type: ignore[no-untyped-def]
    """A second poverty-office reviewer of 蓬江区: confirms what the first registered."""
    return UserFactory(
        username="po_pengjiang_2", role=Role.POVERTY_OFFICE_REVIEWER, region=region("440703")
    )


@pytest.fixture
def po_taishan(db):  # type: ignore[no-untyped-def]
    """An outsider: the poverty office of 台山市."""
    return UserFactory(
        username="po_taishan", role=Role.POVERTY_OFFICE_REVIEWER, region=region("440781")
    )


@pytest.fixture
def cw_taicheng(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="cw_taicheng", role=Role.CASEWORKER, region=region("440781001"))


@pytest.fixture
def ca_taishan(db):  # type: ignore[no-untyped-def]
    return UserFactory(
        username="ca_taishan", role=Role.CIVIL_AFFAIRS_REVIEWER, region=region("440781")
    )


@pytest.fixture
def data_admin(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="data_admin", role=Role.DATA_ADMIN, region=region("440700"))


@pytest.fixture
def household_a(village_a):  # type: ignore[no-untyped-def]
    return household_with_members(village_a, members=3)


@pytest.fixture
def household_b(village_b):  # type: ignore[no-untyped-def]
    return household_with_members(village_b, members=2)


@pytest.fixture
def household_taicheng(village_taicheng):  # type: ignore[no-untyped-def]
    return household_with_members(village_taicheng, members=2)


@pytest.fixture
def api():  # type: ignore[no-untyped-def]
    return APIClient()


def login(client, user):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def load_reference_data() -> None:
    """What the data migrations load (regions, illnesses, policy data); all idempotent.

    A transactional test (live_server, real concurrency) ends with a flush that empties every
    table, so these are loaded again after it for the tests that follow.
    """
    import importlib

    from django.apps import apps

    from assistance.policy.seed import load_policy
    from core.models import Region
    from core.regions_loader import load_regions
    from households.models import SeriousIllness

    load_regions(Region)
    illnesses = importlib.import_module("households.migrations.0002_serious_illnesses").ILLNESSES
    for name in illnesses:
        SeriousIllness.objects.get_or_create(name=name)
    load_policy(apps)
    importlib.import_module("transitions.migrations.0002_default_policies").seed(apps, None)
    importlib.import_module("transitions.migrations.0003_two_line_rule").seed(apps, None)
    from transitions.supervision.monitoring.seed import load_monitoring_rules

    load_monitoring_rules(apps)
    from poverty.seed import load_poverty_policy

    load_poverty_policy(apps)
    from verification.seed import load_verification_policy

    load_verification_policy(apps)


def _is_transactional(item: pytest.Item) -> bool:
    names = getattr(item, "fixturenames", ())
    if "live_server" in names or "transactional_db" in names:
        return True
    marker = item.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):  # type: ignore[no-untyped-def]
    try:
        return (yield)
    finally:
        if _is_transactional(item):
            from pytest_django.plugin import blocking_manager_key

            with item.config.stash[blocking_manager_key].unblock():
                load_reference_data()


@pytest.fixture(autouse=True)
def _fresh_api_throttles():  # type: ignore[no-untyped-def]
    """DRF throttles count requests in Redis, which outlives a test: start each at zero."""
    from django.core.cache import cache

    cache.delete_pattern("throttle_*")  # type: ignore[attr-defined]
    yield
