"""Scoped reads of dibao cases shared by pages, API and exports: the page and the API search
through the same function, so they never find different cases."""

from django.db.models import Q, QuerySet

from assistance.models import DibaoCase
from core.models import User
from core.scope import scope_queryset
from households import selectors as household_selectors


def dibao_case_list(
    *, user: User, status: str = "", household: int | None = None, q: str = ""
) -> QuerySet[DibaoCase]:
    """The user's cases. `q`: a case number (DB000042 or 42), the applicant's or the single
    person's name, or anything households are searched by (member name, ID number — which
    needs the reveal permission, else PermissionDenied —, place, address)."""
    qs = scope_queryset(DibaoCase.objects.all(), user, region_field="household__village")
    if status:
        qs = qs.filter(status=status)
    if household:
        qs = qs.filter(household_id=household)
    q = (q or "").strip()
    if q:
        matches = (
            Q(household__in=household_selectors.household_list(user=user, q=q).values("pk"))
            | Q(applicant__name__contains=q)
            | Q(single_person__name__contains=q)
        )
        number = q.upper().removeprefix("DB")
        if number.isdigit() and len(number) <= 9:
            matches |= Q(pk=int(number))
        qs = qs.filter(matches)
    return qs.select_related(
        "household__village__parent", "applicant", "single_person", "proposed_by", "confirmed_by"
    ).order_by("-id")


def dibao_case_get(*, user: User, pk: int | str) -> DibaoCase:
    """The case if the user may see it; DibaoCase.DoesNotExist otherwise (→ 404)."""
    return dibao_case_list(user=user).get(pk=pk)
