"""Reads of hand-offs, phase-outs and enrolments shared by the pages and the API: scoped by
core.scope (rows outside the user's area do not exist for them), filters inside."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from assistance.models import BenefitAward
from core.models import User
from core.months import first_of_next_month, month_start
from core.scope import scope_queryset

from .kinds import DEPARTMENT_REVIEWER, ROLE_DEPARTMENT
from .models import Handoff, HandoffDecision, InsuranceEnrolment, PhaseOut
from .policy import RECEIVING

H = Handoff.Status
UNDER_WAY = (H.OPEN, H.ACKNOWLEDGED)


def _base(user: User) -> QuerySet[Handoff]:
    return scope_queryset(
        Handoff.objects.select_related("household__village", "county", "created_by"),
        user,
        region_field="region",
    )


def department_of(user: User) -> str:
    return ROLE_DEPARTMENT.get(user.role, "")


def q_actionable(user: User) -> Q:
    """The hand-offs waiting for `user`: to acknowledge (their department's, still open), or to
    decide (acknowledged, the current stage is their role and level, and they have not voted).
    Separation of duties beyond this is the guard's; the inbox stays a short query."""
    dept = department_of(user)
    level = user.region.level if user.region else ""
    receiving_for = [d for d, r in DEPARTMENT_REVIEWER.items() if r == user.role]
    role_match = Q(stage_role=user.role) | Q(stage_role=RECEIVING, to_department__in=receiving_for)
    decide = (
        Q(status=H.ACKNOWLEDGED, stage_level=level)
        & role_match
        & ~Q(created_by=user)
        & ~Q(pk__in=HandoffDecision.objects.filter(by=user).values("handoff_id"))
        & ~Q(basis_actors__contains=[user.pk])
    )
    return (Q(status=H.OPEN, to_department=dept) | decide) if dept else Q(pk__in=[])


@dataclass(frozen=True)
class HandoffFilters:
    box: str = "inbox"  # inbox | incoming | outgoing | all
    status: str = ""  # "" (under way) | closed | every
    kind: str = ""
    overdue: bool = False
    q: str = ""


def handoff_list(*, user: User, filters: HandoffFilters | None = None) -> QuerySet[Handoff]:
    f = filters or HandoffFilters()
    qs = _base(user)
    dept = department_of(user)
    if f.box == "inbox":
        qs = qs.filter(q_actionable(user))
    elif f.box == "incoming":
        qs = qs.filter(to_department=dept)
    elif f.box == "outgoing":
        qs = qs.filter(from_department=dept)
    if f.status == "closed":
        qs = qs.filter(status__in=Handoff.CLOSED)
    elif f.status != "every":
        qs = qs.filter(status__in=UNDER_WAY)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.overdue:
        today = timezone.localdate()
        qs = qs.filter(
            Q(status=H.OPEN, acknowledge_due__lt=today)
            | Q(status=H.ACKNOWLEDGED, decide_due__lt=today)
        )
    if f.q:
        term = f.q.strip()
        number = term.upper().removeprefix("HO")
        by_number = Q(pk=int(number)) if number.isdigit() else Q(pk__in=[])
        qs = qs.filter(by_number | Q(household__member_names__contains=f"|{term}"))
    return qs.order_by("acknowledge_due", "id")


def handoff_get(*, user: User, pk: int) -> Handoff:
    try:
        return _base(user).select_related("policy", "dibao_case", "poverty_record").get(pk=pk)
    except Handoff.DoesNotExist as e:
        raise Http404 from e


def handoff_counts(user: User) -> dict[str, int]:
    """The inbox's count and its overdue part, one query."""
    today = timezone.localdate()
    return (
        _base(user)
        .filter(q_actionable(user))
        .aggregate(
            total=Count("id"),
            overdue=Count(
                "id",
                filter=Q(status=H.OPEN, acknowledge_due__lt=today)
                | Q(status=H.ACKNOWLEDGED, decide_due__lt=today),
            ),
        )
    )


# ----------------------------------------------------------------------------- phase-outs


def phase_out_list(
    *, user: User, status: str = "", start_month: dt.date | None = None
) -> QuerySet[PhaseOut]:
    qs = scope_queryset(
        PhaseOut.objects.select_related("case", "household__village", "county", "award"),
        user,
        region_field="region",
    )
    if status == "open":
        qs = qs.filter(status__in=PhaseOut.OPEN)
    elif status:
        qs = qs.filter(status=status)
    if start_month:
        qs = qs.filter(start_month=start_month)
    return qs.order_by("due_on", "id")


@dataclass(frozen=True)
class Board:
    cohorts: list[dict[str, Any]]
    due_this_month: int
    overdue: int
    next_month: dt.date
    next_changes: int
    next_difference: Decimal
    next_stops: int
    next_due: int


def phase_out_board(*, user: User, today: dt.date | None = None) -> Board:
    """Cohorts by start month (how many running, due, overdue, decided, ended), what is due this
    month, overdue now, and next month's payroll effect: the cases whose amount changes or stops
    next month after a re-assessment, and the money (new minus kept), plus how many phase-outs
    fall due next month (their amount is kept until decided)."""
    today = today or timezone.localdate()
    this_month, next_month = month_start(today), first_of_next_month(today)
    qs = phase_out_list(user=user)
    rows = (
        qs.order_by()
        .values("start_month")
        .annotate(
            total=Count("id"),
            running=Count("id", filter=Q(status=PhaseOut.Status.RUNNING)),
            due=Count("id", filter=Q(status=PhaseOut.Status.DUE)),
            overdue=Count("id", filter=Q(status=PhaseOut.Status.OVERDUE)),
            decided=Count("id", filter=Q(status=PhaseOut.Status.DECIDED)),
            ended=Count("id", filter=Q(status=PhaseOut.Status.ENDED)),
            kept=Sum("award__total", filter=Q(status__in=PhaseOut.OPEN)),
        )
        .order_by("-start_month")
    )
    cohorts = [dict(row) for row in rows]
    due_this_month = qs.filter(due_on__gte=this_month, due_on__lt=next_month).count()
    overdue = qs.filter(status=PhaseOut.Status.OVERDUE).count()
    next_due = qs.filter(due_on=next_month, status=PhaseOut.Status.RUNNING).count()
    decided = qs.filter(status=PhaseOut.Status.DECIDED, closed_on__lt=next_month).filter(
        closed_on__gte=this_month
    )
    new_awards = BenefitAward.objects.filter(
        case__in=decided.values("case_id"), effective_month=next_month
    ).values("case_id", "total")
    new_by_case = {row["case_id"]: row["total"] for row in new_awards}
    difference = Decimal("0")
    changes = stops = 0
    for po in decided.select_related("award", "case"):
        if po.outcome == "terminated":
            stops += 1
            difference -= po.award.total
        elif po.case_id in new_by_case:
            changes += 1
            difference += new_by_case[po.case_id] - po.award.total
    return Board(
        cohorts=cohorts,
        due_this_month=due_this_month,
        overdue=overdue,
        next_month=next_month,
        next_changes=changes,
        next_difference=difference,
        next_stops=stops,
        next_due=next_due,
    )


# ----------------------------------------------------------------------------- enrolments


def enrolment_list(*, user: User, status: str = "", q: str = "") -> QuerySet[InsuranceEnrolment]:
    qs = scope_queryset(
        InsuranceEnrolment.objects.select_related(
            "person", "household__village", "county", "region"
        ),
        user,
        region_field="region",
    )
    if status == "not_enrolled":
        qs = qs.filter(status__in=(InsuranceEnrolment.Status.PENDING,))
    elif status:
        qs = qs.filter(status=status)
    if q.strip():
        qs = qs.filter(Q(person__name__startswith=q.strip()) | Q(person__id_number=q.strip()))
    return qs.order_by("county_id", "region_id", "id")
