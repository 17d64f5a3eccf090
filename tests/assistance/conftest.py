"""Builders for dibao cases at any stage, driven through the real services."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from assistance.dibao import services
from assistance.models import DibaoCase, IncomeType
from assistance.payroll import services as payroll_services
from households.models import Household, Membership, Relation

from ..factories import HouseholdFactory, PersonFactory, region, unique_id_number

S = DibaoCase.Status
# Working days in November 2026 with no holidays around: the notice and the clocks are simple.
APPLIED_ON = dt.date(2026, 11, 2)


def poor_household(village, *, members=((45, "head"), (15, "child")), hukou="urban") -> Household:  # type: ignore[no-untyped-def]
    household = HouseholdFactory(village=village, hukou_type=hukou)
    for age, relation in members:
        birth = dt.date(2026 - age, 3, 1)
        person = PersonFactory(region=village, id_number=unique_id_number(birth=birth))
        Membership.objects.create(
            household=household, person=person, relation=relation, start_date=dt.date(2020, 1, 1)
        )
    return household


def on_day(day: dt.date):  # type: ignore[no-untyped-def]
    """Travel to 10:00 in Jiangmen on `day`: a step is recorded on its own business date (dates
    are never in the future, a notice starts no earlier than the day it is recorded)."""
    return time_machine.travel(
        dt.datetime.combine(day, dt.time(10), tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    )


def head_of(household: Household):  # type: ignore[no-untyped-def]
    return household.memberships.get(relation=Relation.HEAD, end_date__isnull=True).person


def build_case(
    household: Household,
    *,
    to: str,
    maker,  # type: ignore[no-untyped-def]
    second,  # type: ignore[no-untyped-def]
    checker=None,  # type: ignore[no-untyped-def]
    wages: Decimal = Decimal("300"),
) -> DibaoCase:
    """Drive a case through the procedure up to status `to` (dates in November 2026), each step
    recorded on its own day (the clock travels there and back)."""
    order = [S.DRAFT, S.APPLIED, S.ACCEPTED, S.INVESTIGATING, S.PROPOSED, S.IN_NOTICE, S.CONFIRMED]
    target = order.index(to)
    with on_day(APPLIED_ON):
        case = _build_until_proposal(household, target, maker, second, wages)
    if target >= 5:
        with on_day(NOTICE_ON):
            services.dibao_case_start_notice(case=case, starts_on=NOTICE_ON, by=maker)
    if target >= 6:
        with on_day(CONFIRM_ON):
            services.dibao_case_confirm(case=case, on=CONFIRM_ON, by=checker)
    case.refresh_from_db()
    assert case.status == to
    return case


NOTICE_ON = dt.date(2026, 11, 6)
CONFIRM_ON = dt.date(2026, 11, 13)
# The first month paid for a case confirmed on CONFIRM_ON.
DEC = dt.date(2026, 12, 1)


def build_confirmed(
    village, *, maker, second, checker, wages: Decimal = Decimal("300")
) -> DibaoCase:  # type: ignore[no-untyped-def]
    """A poor household of `village` whose case is confirmed on CONFIRM_ON (paid from DEC)."""
    return build_case(
        poor_household(village),
        to=S.CONFIRMED,
        maker=maker,
        second=second,
        checker=checker,
        wages=wages,
    )


@pytest.fixture
def confirmed_case(cw_baisha, cw_baisha_2, ca_pengjiang, village_a):  # type: ignore[no-untyped-def]
    """A confirmed case of 白沙 (蓬江区), paid from DEC."""
    return build_confirmed(village_a, maker=cw_baisha, second=cw_baisha_2, checker=ca_pengjiang)


@pytest.fixture
def payroll_draft(confirmed_case, ca_pengjiang, district):  # type: ignore[no-untyped-def]
    """蓬江区's draft payroll for DEC, with the line of `confirmed_case`."""
    return payroll_services.payroll_build(county=district, month=DEC, by=ca_pengjiang).payroll


def _build_until_proposal(household, target, maker, second, wages):  # type: ignore[no-untyped-def]
    case = services.dibao_case_create(household=household, applicant=head_of(household), by=maker)
    if target >= 1:
        services.dibao_case_sign(
            case=case, authorization_on=APPLIED_ON, good_faith_on=APPLIED_ON, by=maker
        )
        services.dibao_case_apply(case=case, applied_on=APPLIED_ON, by=maker)
    if target >= 2:
        services.dibao_case_accept(case=case, accepted_on=APPLIED_ON, by=maker)
    if target >= 3:
        services.dibao_case_start_investigation(case=case, by=maker)
        services.declarations_replace(
            case=case,
            incomes=[
                {
                    "person": head_of(household),
                    "income_type": IncomeType.objects.get(code="wages"),
                    "monthly_amount": wages,
                }
            ],
            expenditures=[],
            properties=[],
            by=maker,
        )
    if target >= 4:
        with on_day(dt.date(2026, 11, 5)):
            services.investigation_record(
                case=case,
                home_visit_on=dt.date(2026, 11, 4),
                investigators=[maker, second],
                findings="家中无稳定收入",
                by=maker,
            )
            services.dibao_case_propose(case=case, on=dt.date(2026, 11, 5), by=maker)
    return case


@pytest.fixture
def district(db):  # type: ignore[no-untyped-def]
    return region("440703")


@pytest.fixture(autouse=True)
def _english_ui(settings):  # type: ignore[no-untyped-def]
    """These tests match messages in English (the msgids); the Chinese catalogue is checked in
    tests/core/test_i18n.py. Pages fall back to LANGUAGE_CODE when no language cookie is set."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
