"""Personas and builders of the sampling-audit tests. The clock is frozen on 2026-05-20 (Shanghai)
for every test here: the plans audit the first half of 2026."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.apps import apps

from assistance.models import CaseTransition, DibaoCase
from assistance.models.programmes import Programme, ProgrammeCase
from core.models import Region, User
from core.roles import Role
from households.idnumber import parse_id_number
from households.models import Household, Membership, Person, Relation
from verification.audits import services
from verification.audits.seed import seed as seed_audit_policy
from verification.models import AuditPlan

from ...factories import HouseholdFactory, UserFactory, VillageFactory, region, unique_id_number

NOW = dt.datetime(2026, 5, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
TODAY = NOW.date()
PERIOD = (dt.date(2026, 1, 1), dt.date(2026, 6, 30))


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def _audit_policy(db) -> None:  # type: ignore[no-untyped-def]
    seed_audit_policy(apps)  # idempotent; the data migration's, reloaded after a flush


@pytest.fixture
def supervisor(db) -> User:  # type: ignore[no-untyped-def]
    return UserFactory(username="supervisor", role=Role.SUPERVISOR, region=region("440700"))


@pytest.fixture
def auditor(db) -> User:  # type: ignore[no-untyped-def]
    return UserFactory(
        username="auditor", role=Role.AUDITOR, region=region("440700"), last_name="审计甲"
    )


@pytest.fixture
def auditor_2(db) -> User:  # type: ignore[no-untyped-def]
    return UserFactory(username="auditor_2", role=Role.AUDITOR, region=region("440700"))


@pytest.fixture
def auditor_taishan(db) -> User:  # type: ignore[no-untyped-def]
    return UserFactory(username="auditor_taishan", role=Role.AUDITOR, region=region("440781"))


@pytest.fixture
def village_chaolian(db) -> Region:  # type: ignore[no-untyped-def]
    return VillageFactory(parent=region("440703005"), code="440703005201", name="潮连甲村")


def households(village: Region, n: int) -> list[Household]:
    """`n` one-person households of `village`, written directly (bulk, no services)."""
    out = []
    hs = Household.objects.bulk_create(
        [HouseholdFactory.build(village=village, address=f"审计路{i}号") for i in range(n)]
    )
    facts = [parse_id_number(unique_id_number()) for _ in range(n)]
    persons = Person.objects.bulk_create(
        [
            Person(
                name=f"审{i}",
                id_number=f.number,
                sex=f.sex,
                birth_date=f.birth_date,
                region=village,
                phone="13800138000",
            )
            for i, f in enumerate(facts)
        ]
    )
    Membership.objects.bulk_create(
        [
            Membership(
                household=h, person=p, relation=Relation.HEAD, start_date=dt.date(2020, 1, 1)
            )
            for h, p in zip(hs, persons, strict=True)
        ]
    )
    out.extend(hs)
    return out


def recipients(village: Region, n: int, *, by: User, status: str = "active") -> list[DibaoCase]:
    """`n` households of `village` with a dibao case in `status` (confirmed in 2025)."""
    return DibaoCase.objects.bulk_create(
        [
            DibaoCase(
                household=h,
                status=status,
                created_by=by,
                confirmed_on=dt.date(2025, 6, 1),
                applied_on=dt.date(2025, 5, 1),
            )
            for h in households(village, n)
        ]
    )


def excluded(village: Region, n: int, *, by: User, to: str = "refused") -> list[DibaoCase]:
    """`n` households whose dibao case was refused (or terminated) today, within the period."""
    cases = recipients(village, n, by=by, status=to)
    CaseTransition.objects.bulk_create(
        [
            CaseTransition(
                case=c,
                action="refuse" if to == "refused" else "terminate",
                from_status="in_notice" if to == "refused" else "active",
                to_status=to,
                by=by,
            )
            for c in cases
        ]
    )
    return cases


def tekun(village: Region, n: int, *, by: User) -> list[ProgrammeCase]:
    return ProgrammeCase.objects.bulk_create(
        [
            ProgrammeCase(
                programme=Programme.TEKUN,
                household=h,
                status="approved",
                applied_on=dt.date(2025, 1, 1),
                created_by=by,
            )
            for h in households(village, n)
        ]
    )


def make_plan(by: User, auditors: list[User], *, where: str = "440703", **kw) -> AuditPlan:  # type: ignore[no-untyped-def]
    fields = {
        "name": "2026年上半年蓬江区低保抽查",
        "region": region(where),
        "period_from": PERIOD[0],
        "period_to": PERIOD[1],
        "seed": 20260101,
        **kw,
    }
    return services.audit_plan_create(auditors=auditors, by=by, **fields)
