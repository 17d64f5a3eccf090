"""Builders of a small register for the what-if: cases of every kind in several districts."""

import datetime as dt
from decimal import Decimal

import pytest

from assistance.models import (
    CpiReading,
    DibaoCase,
    ExpenditureDeclaration,
    ExpenditureType,
    IncomeDeclaration,
    IncomeType,
)
from households.models import Household, Membership, Person, Relation, SeriousIllness

from ...factories import HouseholdFactory, PersonFactory, VillageFactory, region, unique_id_number

MONTH = dt.date(2027, 3, 1)  # the effective month of the tests' proposals
S = DibaoCase.Status


def person(village, *, age: int, **attrs) -> Person:  # type: ignore[no-untyped-def]
    """A person who is `age` on MONTH's first day (born on 1 January)."""
    birth = dt.date(MONTH.year - age, 1, 1)
    if attrs.pop("ill", False):
        attrs["serious_illness"] = SeriousIllness.objects.order_by("pk").first()
    return PersonFactory(region=village, id_number=unique_id_number(birth=birth), **attrs)


def case(  # type: ignore[no-untyped-def]
    village,
    members,
    *,
    by,
    hukou: str = Household.Hukou.URBAN,
    status: str = S.ACTIVE,
    wages=(),
    excluded=(),
    rigid=(),
    no_supporter=(),
    single: int | None = None,
) -> DibaoCase:
    """`members`: dicts for `person`; `wages` etc.: (member index, monthly amount)."""
    household = HouseholdFactory(village=village, hukou_type=hukou)
    people = []
    for i, attrs in enumerate(members):
        p = person(village, **attrs)
        Membership.objects.create(
            household=household,
            person=p,
            relation=Relation.HEAD if i == 0 else Relation.CHILD,
            start_date=dt.date(2020, 1, 1),
        )
        people.append(p)
    c = DibaoCase.objects.create(
        household=household,
        applicant=people[0],
        status=status,
        unit=DibaoCase.Unit.SINGLE_PERSON if single is not None else DibaoCase.Unit.HOUSEHOLD,
        single_person=people[single] if single is not None else None,
        created_by=by,
    )
    counted = IncomeType.objects.get(code="wages")
    pension = IncomeType.objects.get(code="resident_basic_pension")
    rehab = ExpenditureType.objects.get(code="disability_rehab")
    for i, amount in wages:
        IncomeDeclaration.objects.create(
            case=c, person=people[i], income_type=counted, monthly_amount=Decimal(amount)
        )
    for i, amount in excluded:
        IncomeDeclaration.objects.create(
            case=c, person=people[i], income_type=pension, monthly_amount=Decimal(amount)
        )
    for i, amount in rigid:
        ExpenditureDeclaration.objects.create(
            case=c, person=people[i], expenditure_type=rehab, monthly_amount=Decimal(amount)
        )
    if no_supporter:
        c.persons_without_supporter.set([people[i] for i in no_supporter])
    return c


@pytest.fixture
def cpi_high(db):  # type: ignore[no-untyped-def]
    """MONTH's CPI above the default trigger (3.5 %): the price subsidy is paid."""
    return CpiReading.objects.create(month=MONTH, yoy_percent=Decimal("4.20"))


@pytest.fixture
def village_xinhui(db):  # type: ignore[no-untyped-def]
    return VillageFactory(parent=region("440705001"), code="440705001201", name="会城甲社区")
