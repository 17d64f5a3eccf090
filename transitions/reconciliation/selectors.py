"""Reads of the reconciliation shared by the page, the export and the API. Deny by default: a
difference is seen in the user's region scope (its village; one with no village of ours at
city level only) by the roles granted VIEW; inbound batches (whole-city files) by city-level
users granted VIEW_INBOUND."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from core.models import User
from core.scope import is_city_level, scope_queryset

from ..models import Difference, InboundBatch, InboundResult, InboundRowError
from .permissions import VIEW, VIEW_INBOUND


@dataclass(frozen=True)
class DifferenceFilters:
    category: str = ""
    status: str = ""
    owner: str = ""


def difference_list(
    *, user: User, filters: DifferenceFilters | None = None
) -> QuerySet[Difference]:
    f = filters or DifferenceFilters()
    qs = Difference.objects.all()
    if not user.is_active or not user.has_perm(VIEW):
        return qs.none()
    qs = scope_queryset(qs, user, region_field="region")
    if f.category:
        qs = qs.filter(category=f.category)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.owner:
        qs = qs.filter(owner=f.owner)
    return qs.select_related("region", "household", "person").order_by("category", "id")


def difference_get(*, user: User, pk: int | str) -> Difference:
    """One difference the user may see (DoesNotExist otherwise: 404)."""
    return difference_list(user=user).prefetch_related("transitions__by").get(pk=pk)


@dataclass(frozen=True)
class InboundFilters:
    stream: str = ""
    status: str = ""


def inbound_batch_list(
    *, user: User, filters: InboundFilters | None = None
) -> QuerySet[InboundBatch]:
    qs = InboundBatch.objects.all()
    if not user.is_superuser and (
        not user.is_active or not user.has_perm(VIEW_INBOUND) or not is_city_level(user)
    ):
        return qs.none()
    f = filters or InboundFilters()
    if f.stream:
        qs = qs.filter(stream=f.stream)
    if f.status:
        qs = qs.filter(status=f.status)
    return qs.order_by("-period", "stream", "-sequence")


def inbound_batch_get(*, user: User, pk: int | str) -> InboundBatch:
    """One inbound batch the user may see (DoesNotExist otherwise: 404)."""
    return inbound_batch_list(user=user).select_related("received_by", "job").get(pk=pk)


def inbound_row_errors(*, batch: InboundBatch) -> QuerySet[InboundRowError]:
    """The batch's row report (bad cells and duplicate persons), in row order."""
    return InboundRowError.objects.filter(batch=batch).order_by("row_no", "id")


def inbound_results(*, batch: InboundBatch) -> QuerySet[InboundResult]:
    """The batch's comparison with our register, row by row."""
    return InboundResult.objects.filter(batch=batch).order_by("outcome", "row_no", "id")
