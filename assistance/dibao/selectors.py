"""Scoped reads of dibao cases shared by pages, API and exports: the page and the API search
and filter through the same function, so they never find different cases."""

from __future__ import annotations

import datetime as dt
from typing import Unpack

from django.db.models import Q, QuerySet
from django.utils import timezone

from assistance import deadlines
from assistance.listing import DIBAO_SORTS, CaseFilters, filter_cases, ordering, sort_fields
from assistance.models import DibaoCase
from core.models import User
from core.scope import scope_queryset
from households import selectors as household_selectors
from households.idnumber import normalise
from households.models import Membership, Relation

SORT_FIELDS = sort_fields(DIBAO_SORTS)  # whitelisted sort keys (assistance.listing)
DEFAULT_SORT = "deadline"


def q_overdue(today: dt.date, prefix: str = "") -> Q:
    """Cases whose current deadline has passed, spelt per status so that indexes on status and
    the stored dates answer it (rather than the CASE expression)."""
    q = Q(pk__in=[])
    for status, (field, _what) in deadlines.DIBAO_DEADLINE.items():
        q |= Q(**{f"{prefix}status": status, f"{prefix}{field}__lt": today})
    return q


def dibao_case_list(
    *,
    user: User,
    q: str = "",
    overdue: bool = False,
    sort: str = "",
    today: dt.date | None = None,
    **filters: Unpack[CaseFilters],
) -> QuerySet[DibaoCase]:
    """The user's cases, each annotated with its current `deadline` (assistance.deadlines),
    sorted by `sort` (a key of SORT_FIELDS, "-" for descending; default: the most urgent first).

    `q`: a case number (DB000042 or 42), or what the household list's search finds: the start
    of a member's name, an ID number whole or in part (which needs the reveal permission, else
    PermissionDenied), a household number. `town`, `village`: region ids
    (outside the user's scope they find nothing). `overdue`: only cases past their deadline.
    `applied_from`/`applied_to`: the application date, both ends included."""
    today = today or timezone.localdate()
    # Scoped by the case's copy of the household's village (indexed; migration 0014).
    qs = scope_queryset(DibaoCase.objects.all(), user, region_field="village")
    qs = qs.annotate(deadline=deadlines.dibao_deadline())
    qs = filter_cases(qs, **filters)
    if overdue:
        qs = qs.filter(q_overdue(today))
    q = (q or "").strip()
    if q:
        matches = _household_match(user, q)
        number = q.upper().removeprefix("DB")
        if number.isdigit() and len(number) <= 9:
            matches |= Q(pk=int(number))
        qs = qs.filter(matches)
    return qs.select_related(
        "household__village__parent", "applicant", "single_person", "proposed_by", "confirmed_by"
    ).order_by(*ordering(SORT_FIELDS, sort, default=DEFAULT_SORT))


def _household_match(user: User, q: str) -> Q:
    """Cases whose household the search box finds, with the household list's semantics
    (households.selectors.SEARCH_HELP: the start of a member's name, an ID number whole or in
    part, a household number). A name is matched in the case row's copy of its household's
    active members' names (`member_names`, kept by the database): the user's cases are far
    fewer than the persons a common surname matches (at the city, 陈 over 9,000 cases: one scan
    of the cases, ~3 ms, instead of a probe of the members per case, ~90 ms, or of the matching
    households, 480 ms)."""
    norm = normalise(q)
    if norm.isdigit() or household_selectors.looks_like_id_number(norm):
        return Q(household__in=household_selectors.household_list(user=user, q=q).values("pk"))
    name = " ".join(q.split())
    return Q(member_names__contains=household_selectors.member_names_pattern(name))


def head_names(household_ids: list[int]) -> dict[int, str]:
    """{household id: active head's name} for one page of rows, in one query (rather than a
    subquery per row, which deep pages would pay for every skipped row)."""
    rows = (
        Membership.objects.active()
        .filter(household_id__in=household_ids, relation=Relation.HEAD)
        .values_list("household_id", "person__name")
    )
    return dict(rows)


def dibao_case_get(*, user: User, pk: int | str) -> DibaoCase:
    """The case if the user may see it; DibaoCase.DoesNotExist otherwise (→ 404)."""
    return dibao_case_list(user=user).get(pk=pk)
