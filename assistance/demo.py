"""Demo dibao cases at every stage, made through the real services by the demo users, so trainers
and visitors find work in every inbox. Used by `manage.py seed_demo_cases` (run by `make run`)."""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from assistance.dibao import services
from assistance.models import DibaoCase, IncomeType, TownNoticeContact
from core.models import Region, User
from households.models import Household, Relation

S = DibaoCase.Status
# (township code, caseworker, co-investigator, district reviewer)
TEAMS = [
    # town, maker, second investigator, the district reviewer who confirms (took no part)
    ("440703002", "cw_baisha", "cw_baisha_2", "ca_pengjiang"),
    ("440781001", "cw_taicheng", "cw_taicheng_2", "ca_taishan"),
]
# The supervision phone and letters-and-visits address each demo town prints on its notices
# (invented numbers and addresses, for training only).
NOTICE_CONTACTS = {
    "440703002": (
        "0750-3200123",
        "江门市蓬江区白沙街道办事处社会事务办公室（来信请注明“低保公示”）",
    ),
    "440781001": ("0750-5500456", "台山市台城街道办事处社会事务办公室（来信请注明“低保公示”）"),
}
NOTICE_CONTACTS_FROM = dt.date(2024, 1, 1)
# How many cases to leave at each stage, per township.
PLAN = [
    (S.APPLIED, 2),
    (S.ACCEPTED, 1),
    (S.INVESTIGATING, 2),
    (S.PROPOSED, 1),
    (S.IN_NOTICE, 2),
    (S.CONFIRMED, 3),
]
ORDER: list[str] = [
    S.DRAFT,
    S.APPLIED,
    S.ACCEPTED,
    S.INVESTIGATING,
    S.PROPOSED,
    S.IN_NOTICE,
    S.CONFIRMED,
]


def _drive(
    household: Household,
    target: str,
    maker: User,
    second: User,
    checker: User,
    today: dt.date,
    wages: Decimal,
    notice_running: bool = False,
) -> DibaoCase:
    head = household.memberships.active().get(relation=Relation.HEAD).person
    start = today - dt.timedelta(days=20)
    stage = ORDER.index(target)
    case = services.dibao_case_create(household=household, applicant=head, by=maker)
    services.dibao_case_sign(case=case, authorization_on=start, good_faith_on=start, by=maker)
    services.dibao_case_apply(case=case, applied_on=start, by=maker)
    if stage >= ORDER.index(S.ACCEPTED):
        services.dibao_case_accept(case=case, accepted_on=start + dt.timedelta(days=1), by=maker)
    if stage >= ORDER.index(S.INVESTIGATING):
        services.dibao_case_start_investigation(case=case, by=maker)
        services.declarations_replace(
            case=case,
            incomes=[
                {
                    "person": head,
                    "income_type": IncomeType.objects.get(code="wages"),
                    "monthly_amount": wages,
                }
            ],
            expenditures=[],
            properties=[],
            by=maker,
        )
    if stage >= ORDER.index(S.PROPOSED):
        services.investigation_record(
            case=case,
            home_visit_on=start + dt.timedelta(days=2),
            investigators=[maker, second],
            findings="入户核实：家庭收入低于当地低保标准，居住条件较差。",
            by=maker,
        )
        services.dibao_case_propose(case=case, on=start + dt.timedelta(days=3), by=maker)
    if stage >= ORDER.index(S.IN_NOTICE):
        # One notice still running; the others ended (waiting for the district's decision).
        begin = today - dt.timedelta(days=2) if notice_running else start + dt.timedelta(days=4)
        # Demo cases are seeded after the fact: their notices are recorded as posted earlier.
        services.dibao_case_start_notice(
            case=case, starts_on=begin, by=maker, backdate_reason="演示数据：公示已在村务公开栏张贴"
        )
    if stage >= ORDER.index(S.CONFIRMED):
        services.dibao_case_confirm(case=case, on=today, by=checker)
    return case


def seed_notice_contacts() -> int:
    """The demo towns' notice contacts (idempotent: a town that has one keeps it)."""
    made = 0
    for code, (phone, address) in NOTICE_CONTACTS.items():
        town = Region.objects.filter(code=code, level=Region.Level.TOWNSHIP).first()
        if town is None or TownNoticeContact.objects.filter(township=town).exists():
            continue
        TownNoticeContact.objects.create(
            township=town,
            supervision_phone=phone,
            letters_address=address,
            valid_from=NOTICE_CONTACTS_FROM,
            source_document="演示数据",
        )
        made += 1
    return made


@transaction.atomic
def seed_demo_cases(*, today: dt.date | None = None) -> int:
    """Idempotent: does nothing when any dibao case exists (the towns' notice contacts are
    added whenever missing)."""
    seed_notice_contacts()
    if DibaoCase.objects.exists():
        return 0
    today = today or timezone.localdate()
    made = 0
    for town, maker_name, second_name, checker_name in TEAMS:
        users = {
            u.username: u
            for u in User.objects.filter(username__in=[maker_name, second_name, checker_name])
        }
        if len(users) < 3:
            continue
        households = list(
            Household.objects.filter(
                village__parent__code=town,
                memberships__relation=Relation.HEAD,
                memberships__end_date__isnull=True,
            ).order_by("id")[: sum(n for _, n in PLAN)]
        )
        i = 0
        for target, count in PLAN:
            for k in range(count):
                if i >= len(households):
                    break
                wages = Decimal(100 + 50 * (i % 5))
                _drive(
                    households[i],
                    target,
                    users[maker_name],
                    users[second_name],
                    users[checker_name],
                    today,
                    wages,
                    notice_running=target == S.IN_NOTICE and k == 0,
                )
                i += 1
                made += 1
    return made
