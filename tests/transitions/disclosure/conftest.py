"""Recipients of 白沙甲社区 (village_a) written directly: an active dibao case with its award,
a tekun person and a key-target household."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from assistance.models import BenefitAward, DibaoCase, Programme, ProgrammeCase
from households.models import Membership, Relation
from poverty.models import ClassificationRule, HouseholdClass, HouseholdClassification
from transitions.disclosure import services

from ...factories import HouseholdFactory, PersonFactory

PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _today():  # type: ignore[no-untyped-def]
    """The fixtures' dates are fixed (awards from June 2026): so is today."""
    with time_machine.travel(dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC), tick=True):
        yield


def household(village, names: list[str]):  # type: ignore[no-untyped-def]
    h = HouseholdFactory(village=village)
    for i, name in enumerate(names):
        Membership.objects.create(
            household=h,
            person=PersonFactory(region=village, name=name, phone=PHONE),
            relation=Relation.HEAD if i == 0 else Relation.CHILD,
            start_date=dt.date(2020, 1, 1),
        )
    return h


@pytest.fixture
def recipients(village_a, cw_baisha):  # type: ignore[no-untyped-def]
    dibao_h = household(village_a, ["张三明", "张小华", "张小丽"])
    case = DibaoCase.objects.create(
        household=dibao_h, status=DibaoCase.Status.ACTIVE, created_by=cw_baisha
    )
    BenefitAward.objects.create(
        case=case,
        effective_month=dt.date(2026, 6, 1),
        base_amount=Decimal("450"),
        supplement_amount=Decimal("0"),
        total=Decimal("450.00"),
        members=3,
        reason=BenefitAward.Reason.CONFIRMATION,
        decided_by=cw_baisha,
        decided_on=dt.date(2026, 5, 20),
    )
    tekun_h = household(village_a, ["欧阳建国"])
    ProgrammeCase.objects.create(
        programme=Programme.TEKUN,
        household=tekun_h,
        person=tekun_h.memberships.get().person,
        status=ProgrammeCase.Status.APPROVED,
        amount=Decimal("1380.00"),
        applied_on=dt.date(2026, 5, 1),
        created_by=cw_baisha,
    )
    key_h = household(village_a, ["李四强", "李小芳"])
    HouseholdClassification.objects.create(
        household=key_h,
        klass=HouseholdClass.KEY_TARGET,
        rule_class=HouseholdClass.KEY_TARGET,
        rule=ClassificationRule.objects.order_by("-valid_from").first(),
        computed_on=dt.date(2026, 11, 1),
        computed_at=timezone.now(),
    )
    return {"dibao": dibao_h, "tekun": tekun_h, "key": key_h, "case": case}


@pytest.fixture
def published(recipients, village_a, cw_baisha):  # type: ignore[no-untyped-def]
    return services.publication_publish(region=village_a, by=cw_baisha)
