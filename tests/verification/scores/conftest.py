"""A household of 白沙 with a dibao case, declarations and department records whose poverty
score is worked out by hand in test_services_score.py."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from assistance.dibao import services as dibao_services
from assistance.models import (
    ExpenditureDeclaration,
    ExpenditureType,
    IncomeDeclaration,
    IncomeType,
    PropertyDeclaration,
)
from households.models import Relation
from verification.models import RECORD_MODELS, DatasetSnapshot

from ...factories import household_with_members

ON = dt.date(2025, 6, 1)  # 蓬江区's standard then: 914 yuan (seeded, in force from 2023)


def snapshot(kind: str, *, by, as_of=dt.date(2025, 5, 1), status="merged") -> DatasetSnapshot:  # type: ignore[no-untyped-def]
    s = DatasetSnapshot(
        kind=kind,
        department="test",
        as_of=as_of,
        file_format="csv",
        original_name=f"{kind}.csv",
        sha256=f"{kind}{as_of}{status}".ljust(64, "0")[:64],
        status=status,
        uploaded_by=by,
    )
    s.file.save(f"{kind}.csv", ContentFile(b"x"), save=False)
    s.save()
    return s


def record(kind: str, snap: DatasetSnapshot, id_number: str, **values):  # type: ignore[no-untyped-def]
    return RECORD_MODELS[kind]._default_manager.create(
        snapshot=snap, row_no=2, id_number=id_number, **values
    )


def scored_household(village, *, maker, data_admin):  # type: ignore[no-untyped-def]
    """3 members; wages 1371 (+200 basic pension, not counted); declared deposit 21,936; recorded
    deposit 10,000 (less than declared), securities 2,742, a car and a motorcycle (exempt);
    rigid expenditure 411.30 (+100 employment cost, not rigid); one member disabled (grade 2)."""
    household = household_with_members(village, members=3)
    head, spouse, child = [m.person for m in household.memberships.order_by("id")]
    child.disability_grade, child.disability_category = 2, "physical"
    child.save()
    case = dibao_services.dibao_case_create(household=household, applicant=head, by=maker)
    # The applicant signed the data-check authorisation: the records may count (no
    # authorisation, no check — tests/verification/scores/test_authorisation.py).
    case.authorization_signed_on = case.good_faith_signed_on = ON
    case.save(update_fields=["authorization_signed_on", "good_faith_signed_on"])
    wages = IncomeType.objects.get(code="wages")
    pension = IncomeType.objects.get(code="resident_basic_pension")
    IncomeDeclaration.objects.create(
        case=case, person=head, income_type=wages, monthly_amount=Decimal("1371")
    )
    IncomeDeclaration.objects.create(
        case=case, person=spouse, income_type=pension, monthly_amount=Decimal("200")
    )
    ExpenditureDeclaration.objects.create(
        case=case,
        person=child,
        expenditure_type=ExpenditureType.objects.get(code="disability_rehab"),
        monthly_amount=Decimal("411.30"),
    )
    ExpenditureDeclaration.objects.create(
        case=case,
        person=head,
        expenditure_type=ExpenditureType.objects.get(code="employment_transport"),
        monthly_amount=Decimal("100"),
    )
    PropertyDeclaration.objects.create(
        case=case, person=head, kind=PropertyDeclaration.Kind.DEPOSIT, value=Decimal("21936")
    )
    PropertyDeclaration.objects.create(
        case=case, person=head, kind=PropertyDeclaration.Kind.HOUSE, value=Decimal("0")
    )
    bank = snapshot("bank_deposit", by=data_admin)
    record("bank_deposit", bank, head.id_number, bank="工行", balance=Decimal("10000"))
    sec = snapshot("securities", by=data_admin)
    record("securities", sec, spouse.id_number, institution="某证券", market_value=Decimal("2742"))
    cars = snapshot("motor_vehicle", by=data_admin)
    record("motor_vehicle", cars, head.id_number, plate="粤J12345", vehicle_type="小型轿车")
    record("motor_vehicle", cars, spouse.id_number, plate="粤J5678", vehicle_type="普通二轮摩托车")
    return household, case


@pytest.fixture
def scored(village_a, cw_baisha, data_admin):  # type: ignore[no-untyped-def]
    return scored_household(village_a, maker=cw_baisha, data_admin=data_admin)


__all__ = ["ON", "Relation", "record", "scored_household", "snapshot"]
