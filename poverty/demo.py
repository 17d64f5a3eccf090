"""Demo data of the poverty register (the seed_demo_poverty command): a second poverty-office
reviewer of 蓬江区 (the one who confirms: separation of duties), and a handful of 白沙 households
registered and taken through the process, each step through the services on its own date."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.models import Region, User
from core.roles import Role
from households.models import Household, Relation
from poverty import services
from poverty.classification import classification_recompute
from poverty.models import PovertyRecord

S = PovertyRecord.Status
CONFIRMER = ("po_pengjiang_2", "蓬江区扶贫办 复核员")
# (target status, causes)
PLAN = [
    (S.REGISTERED, ["illness"]),
    (S.REGISTERED, ["schooling", "lack_of_funds"]),
    (S.ASSISTED, ["lack_of_skills"]),
    (S.ASSISTED, ["disability"]),
    (S.EXIT_PROPOSED, ["lack_of_funds"]),
    (S.EXIT_CONFIRMED, ["lack_of_labour"]),
    (S.RETURNED, ["disaster"]),
]


def _confirmer() -> User:
    user, _created = User.objects.get_or_create(username=CONFIRMER[0])
    user.role = Role.POVERTY_OFFICE_REVIEWER
    user.region = Region.objects.get(code="440703")
    user.last_name, user.is_active = CONFIRMER[1], True
    user.set_password(settings.DEMO_PASSWORD)
    user.save()
    return user


@transaction.atomic
def seed_demo_poverty(*, today: dt.date | None = None) -> int:
    """Idempotent: does nothing when any poverty record exists (the confirmer is created or
    reset whenever missing). Needs seed_demo and demo_users first (po_pengjiang)."""
    registrar = User.objects.filter(username="po_pengjiang").first()
    if registrar is None:
        return 0
    confirmer = _confirmer()
    if PovertyRecord.objects.exists():
        return 0
    today = today or timezone.localdate()
    households = list(
        Household.objects.filter(
            village__parent__code="440703002",
            memberships__relation=Relation.HEAD,
            memberships__end_date__isnull=True,
        )
        .exclude(poverty_record__isnull=False)
        .order_by("-id")[: len(PLAN)]
    )
    day = lambda n: today - dt.timedelta(days=n)  # noqa: E731
    made = 0
    for household, (target, causes) in zip(households, PLAN, strict=False):
        record = services.poverty_record_register(
            household=household, registered_on=day(60), causes=causes, by=registrar
        )
        if target != S.REGISTERED:
            services.assistance_measure_record(
                household=household,
                kind="industry" if made % 2 else "employment",
                started_on=day(50),
                department="蓬江区扶贫办",
                responsible_person="李主任",
                funds=Decimal("3000"),
                outcome="种养项目分红" if made % 2 else "推荐就业",
                by=registrar,
            )
        if target in (S.EXIT_PROPOSED, S.EXIT_CONFIRMED, S.RETURNED):
            services.poverty_record_propose_exit(
                record=record,
                on=day(30),
                income_per_capita=Decimal("950"),
                evidence="家庭人均收入稳定超过贫困线，两不愁三保障",
                by=registrar,
            )
        if target in (S.EXIT_CONFIRMED, S.RETURNED):
            services.poverty_record_confirm_exit(
                record=record,
                confirmed_on=day(20),
                document_no=f"蓬府〔{day(20).year}〕{made + 1}号",
                confirming_level=PovertyRecord.ConfirmingLevel.COUNTY,
                by=confirmer,
            )
        if target == S.RETURNED:
            services.poverty_record_return(
                record=record, on=day(5), reason="台风受灾，住房损毁", by=registrar
            )
        made += 1
    classification_recompute(on=today, by=None)
    return made
