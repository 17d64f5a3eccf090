"""Demo dibao cases at every stage, made through the real services by the demo users, so trainers
and visitors find work in every inbox. Used by `manage.py seed_demo_cases` (run by `make run`)."""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from assistance.dibao import services
from assistance.models import DibaoCase, IncomeType
from core.models import User
from households.models import Household, Relation

S = DibaoCase.Status
# (township code, caseworker, co-investigator, district reviewer)
TEAMS = [
    # town, maker, second investigator, the district reviewer who confirms (took no part)
    ("440703002", "cw_baisha", "cw_baisha_2", "ca_pengjiang"),
    ("440781001", "cw_taicheng", "cw_taicheng_2", "ca_taishan"),
]
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


@transaction.atomic
def seed_demo_cases(*, today: dt.date | None = None) -> int:
    """Idempotent: does nothing when any dibao case exists."""
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
