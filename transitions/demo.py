"""Demo data of the linkage (the seed_demo_linkage command): the dibao households classified,
the social-security worklist filled, and a few hand-offs waiting in each department's inbox —
all through the services, so the demo shows what the system does by itself."""

from __future__ import annotations

from django.db import transaction

from assistance.models import DibaoCase
from core.models import User
from households.models import Household
from poverty.classification import classification_recompute
from poverty.models import HouseholdClass, HouseholdClassification, PovertyRecord

from .links import DIBAO_STATUSES, enrolments_sync
from .models import Handoff, HandoffKind
from .services import handoff_open

REFERRALS = 5
OPEN_CASE = [s for s in DibaoCase.Status.values if s not in DibaoCase.CLOSED]


@transaction.atomic
def seed_demo_linkage() -> int:
    """Idempotent: does nothing once any hand-off exists. Returns the hand-offs opened."""
    if Handoff.objects.exists():
        return 0
    classification_recompute(by=None)
    enrolments_sync()
    opened = 0
    key_targets = (
        HouseholdClassification.objects.filter(current=True, klass=HouseholdClass.KEY_TARGET)
        .filter(household__dibao_cases__status__in=DIBAO_STATUSES)
        .exclude(household__poverty_record__isnull=False)
        .values_list("household_id", flat=True)
        .distinct()[:REFERRALS]
    )
    for household in Household.objects.filter(pk__in=list(key_targets)).select_related("village"):
        handoff_open(
            kind=HandoffKind.REGISTRATION_REFERRAL,
            household=household,
            by=None,
            reason="有劳动能力、愿意接受帮扶的低保户：请建档立卡（演示）",
            source_key=f"referral:demo:{household.pk}",
        )
        opened += 1
    poverty_office = User.objects.filter(username="po_pengjiang").first()
    record = (
        PovertyRecord.objects.filter(
            household__village__parent__code="440703002",
            status__in=(PovertyRecord.Status.REGISTERED, PovertyRecord.Status.ASSISTED),
        )
        .exclude(household__dibao_cases__status__in=OPEN_CASE)
        .select_related("household__village")
        .first()
    )
    if poverty_office is not None and record is not None:
        handoff_open(
            kind=HandoffKind.DIBAO_REFERRAL,
            household=record.household,
            by=poverty_office,
            poverty_record=record,
            reason="建档立卡户家庭收入低于低保标准：请受理低保申请（演示）",
        )
        opened += 1
    return opened
