"""Scoped reads of programme cases and outreach reports, shared by pages and API."""

from __future__ import annotations

import datetime as dt
from typing import Unpack

from django.db.models import QuerySet
from django.utils import timezone

from assistance import deadlines
from assistance.listing import PROGRAMME_SORTS, CaseFilters, filter_cases, ordering, sort_fields
from assistance.models import (
    DibaoCase,
    OutreachReport,
    ProgrammeCase,
)
from assistance.programmes.workflow import (
    AWARDED,
    ONGOING,
)
from core.models import User
from core.scope import scope_queryset
from households.models import Household

SORT_FIELDS = sort_fields(PROGRAMME_SORTS)  # whitelisted sort keys (assistance.listing)
DEFAULT_SORT = "deadline"


def programme_cases(
    *,
    user: User,
    programme: str = "",
    overdue: bool = False,
    sort: str = "",
    today: dt.date | None = None,
    **filters: Unpack[CaseFilters],
) -> QuerySet[ProgrammeCase]:
    """The user's programme cases, annotated with `deadline` (emergency aid's documents due),
    sorted by `sort` (a key of SORT_FIELDS, "-" for descending; default: the most urgent first,
    then the newest). `overdue`: documents past due."""
    today = today or timezone.localdate()
    # Scoped by the case's copy of the household's village (indexed; migration 0014).
    qs = scope_queryset(ProgrammeCase.objects.all(), user, region_field="village")
    qs = qs.annotate(deadline=deadlines.programme_deadline())
    qs = qs.select_related("household__village__parent", "person")
    if programme:
        qs = qs.filter(programme=programme)
    qs = filter_cases(qs, **filters)
    if overdue:
        qs = qs.filter(documented_on__isnull=True, documentation_due__lt=today)
    return qs.order_by(*ordering(SORT_FIELDS, sort, default=DEFAULT_SORT))


def programme_case_get(*, user: User, pk: int | str) -> ProgrammeCase:
    """The case if the user may see it; ProgrammeCase.DoesNotExist otherwise (→ 404)."""
    return programme_cases(user=user).select_related("created_by", "decided_by").get(pk=pk)


def outreach_reports(*, user: User, status: str = "") -> QuerySet[OutreachReport]:
    qs = scope_queryset(OutreachReport.objects.all(), user, region_field="village")
    if status:
        qs = qs.filter(status=status)
    return qs.select_related(
        "village__parent", "household", "reported_by", "handled_by", "dibao_case", "programme_case"
    ).order_by("-reported_at", "-id")


def outreach_report_get(*, user: User, pk: int | str) -> OutreachReport:
    return outreach_reports(user=user).get(pk=pk)


def documentation_overdue(case: ProgrammeCase, *, today: dt.date | None = None) -> bool:
    """Emergency aid paid first whose documents are past their due date."""
    today = today or timezone.localdate()
    return bool(
        case.documentation_due and case.documented_on is None and today > case.documentation_due
    )


def household_recognitions(household: Household) -> list[str]:
    """What the household is already in (the basis for categorical aid): dibao, tekun,
    low-income recognition."""
    out = []
    if household.dibao_cases.filter(
        status__in=(
            DibaoCase.Status.CONFIRMED,
            DibaoCase.Status.ACTIVE,
            DibaoCase.Status.UNDER_REVIEW,
        )
    ).exists():
        out.append("dibao")
    for programme in ONGOING:
        if household.programme_cases.filter(programme=programme, status__in=AWARDED).exists():
            out.append(str(programme))
    return out
