"""Fixtures of the poverty tests: poverty-office reviewers, dibao households built with the
members a classification test needs, records at any status (driven through the services), and
the clock frozen on a day of November 2026 (every "today" in the services)."""

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps

from assistance.dibao import services as dibao_services
from assistance.models import DibaoCase
from core.roles import Role
from households.models import Household, Membership, Relation
from poverty import hooks, services
from poverty.models import PovertyRecord
from poverty.seed import load_poverty_policy

from ..factories import HouseholdFactory, PersonFactory, UserFactory, region, unique_id_number

S = PovertyRecord.Status
TODAY = dt.date(2026, 11, 25)
REGISTERED_ON = dt.date(2026, 11, 2)
MEASURE_ON = dt.date(2026, 11, 5)
PROPOSED_ON = dt.date(2026, 11, 10)
CONFIRMED_ON = dt.date(2026, 11, 20)
DIBAO_STATUSES = (
    DibaoCase.Status.CONFIRMED,
    DibaoCase.Status.ACTIVE,
    DibaoCase.Status.UNDER_REVIEW,
)


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    with time_machine.travel(
        dt.datetime.combine(TODAY, dt.time(10), tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    ):
        yield


@pytest.fixture(autouse=True)
def _poverty_policy(db) -> None:  # type: ignore[no-untyped-def]
    # The seed of migration 0003 again: a transactional test elsewhere flushes the tables.
    load_poverty_policy(apps)


def dibao_households():  # type: ignore[no-untyped-def]
    """The test's source of dibao households (the other layer registers assistance's own)."""
    return DibaoCase.objects.filter(status__in=DIBAO_STATUSES).values("household_id")


@pytest.fixture(autouse=True)
def _only_our_receivers() -> Iterator[None]:
    """The poverty tests test what poverty sends, not what the layer above does with it
    (tests/transitions does): the receivers connected at start-up are set aside meanwhile."""
    from poverty import signals

    saved = {}
    for sig in (
        signals.exit_confirmed,
        signals.returned_to_poverty,
        signals.cannot_exit_reported,
        signals.classification_changed,
    ):
        saved[sig] = sig.receivers
        sig.receivers = []
        sig.sender_receivers_cache.clear()
    yield
    for sig, receivers in saved.items():
        sig.receivers = receivers
        sig.sender_receivers_cache.clear()


@pytest.fixture(autouse=True)
def _dibao_source() -> Iterator[None]:
    hooks.register_subjects(dibao_households)
    yield
    hooks.unregister_subjects(dibao_households)


# ----------------------------------------------------------------------------- people


@pytest.fixture
def po_pengjiang_3(db):  # type: ignore[no-untyped-def]
    return UserFactory(
        username="po_pengjiang_3", role=Role.POVERTY_OFFICE_REVIEWER, region=region("440703")
    )


# ----------------------------------------------------------------------------- households


def born_aged(age: int, on: dt.date = TODAY) -> dt.date:
    """A birth date giving exactly `age` on `on` (the birthday was yesterday)."""
    return dt.date(on.year - age, on.month, on.day) - dt.timedelta(days=1)


def add_member(household: Household, age: int, relation: str = Relation.CHILD, **attrs):  # type: ignore[no-untyped-def]
    person = PersonFactory(
        region=household.village, id_number=unique_id_number(birth=born_aged(age)), **attrs
    )
    Membership.objects.create(
        household=household, person=person, relation=relation, start_date=dt.date(2020, 1, 1)
    )
    return person


def household_of(village, *members: dict) -> Household:  # type: ignore[no-untyped-def]
    """A household of `village` whose members are given as dicts: age (required), relation
    (the first is the head) and Person attributes (labour_capacity_assessed, in_school, …)."""
    household = HouseholdFactory(village=village)
    for i, m in enumerate(members):
        m = dict(m)
        age = m.pop("age")
        relation = m.pop("relation", Relation.HEAD if i == 0 else Relation.CHILD)
        add_member(household, age, relation, **m)
    return household


def make_dibao(household: Household, by, status: str = DibaoCase.Status.ACTIVE) -> DibaoCase:  # type: ignore[no-untyped-def]
    """A dibao case of the household in `status` (opened through the service, then set)."""
    head = household.memberships.get(relation=Relation.HEAD, end_date__isnull=True).person
    case = dibao_services.dibao_case_create(household=household, applicant=head, by=by)
    DibaoCase.objects.filter(pk=case.pk).update(status=status)
    case.refresh_from_db()
    return case


def dibao_household(village, by, *members: dict) -> Household:  # type: ignore[no-untyped-def]
    household = household_of(village, *(members or ({"age": 45},)))
    make_dibao(household, by)
    return household


# ----------------------------------------------------------------------------- records


def build_record(
    household: Household,
    *,
    to: str,
    registrar,  # type: ignore[no-untyped-def]
    confirmer=None,  # type: ignore[no-untyped-def]
    causes: tuple[str, ...] = ("lack_of_funds",),
) -> PovertyRecord:
    """Drive a record through the services up to `to` (registrar registers, assists and
    proposes; confirmer records the confirmation)."""
    record = services.poverty_record_register(
        household=household, registered_on=REGISTERED_ON, causes=causes, by=registrar
    )
    if to in (S.ASSISTED, S.EXIT_PROPOSED, S.EXIT_CONFIRMED, S.RETURNED):
        services.assistance_measure_record(
            household=household,
            kind="industry",
            started_on=MEASURE_ON,
            department="区扶贫办",
            responsible_person="李主任",
            funds=Decimal("5000"),
            outcome="养殖项目",
            by=registrar,
        )
    if to in (S.EXIT_PROPOSED, S.EXIT_CONFIRMED, S.RETURNED):
        services.poverty_record_propose_exit(
            record=record,
            on=PROPOSED_ON,
            income_per_capita=Decimal("900"),
            evidence="人均收入稳定超过贫困线",
            by=registrar,
        )
    if to in (S.EXIT_CONFIRMED, S.RETURNED):
        services.poverty_record_confirm_exit(
            record=record,
            confirmed_on=CONFIRMED_ON,
            document_no="蓬府〔2026〕12号",
            confirming_level="county",
            by=confirmer,
        )
    if to == S.RETURNED:
        services.poverty_record_return(record=record, on=TODAY, reason="因病返贫", by=registrar)
    record.refresh_from_db()
    assert record.status == to
    return record


@pytest.fixture
def household_pj(village_a):  # type: ignore[no-untyped-def]
    return household_of(village_a, {"age": 45}, {"age": 15})


@pytest.fixture
def record_registered(household_pj, po_pengjiang):  # type: ignore[no-untyped-def]
    return build_record(household_pj, to=S.REGISTERED, registrar=po_pengjiang)
