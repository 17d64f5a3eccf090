"""Scoped reads of dibao cases shared by pages, API and exports."""

from django.db.models import QuerySet

from assistance.models import DibaoCase, Payroll, ProgrammeCase
from core.models import User
from core.scope import scope_queryset


def dibao_case_list(
    *, user: User, status: str = "", household: int | None = None
) -> QuerySet[DibaoCase]:
    qs = scope_queryset(DibaoCase.objects.all(), user, region_field="household__village")
    if status:
        qs = qs.filter(status=status)
    if household:
        qs = qs.filter(household_id=household)
    return qs.select_related(
        "household__village__parent", "applicant", "single_person", "proposed_by", "confirmed_by"
    ).order_by("-id")


def dibao_case_get(*, user: User, pk: int | str) -> DibaoCase:
    """The case if the user may see it; DibaoCase.DoesNotExist otherwise (→ 404)."""
    return dibao_case_list(user=user).get(pk=pk)


def payroll_list(*, user: User) -> QuerySet[Payroll]:
    return scope_queryset(Payroll.objects.all(), user, region_field="county").select_related(
        "county", "approved_by"
    )


def programme_case_list(*, user: User, programme: str = "") -> QuerySet[ProgrammeCase]:
    qs = scope_queryset(ProgrammeCase.objects.all(), user, region_field="household__village")
    if programme:
        qs = qs.filter(programme=programme)
    return qs.select_related("household__village__parent", "person").order_by("-id")
