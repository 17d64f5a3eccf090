"""Reads of exchange batches shared by the pages and the API. Deny by default: a batch is the
whole city's list, so only city-level users of its sending or receiving department, the
city's data administrators (and superusers) see it; everyone else sees nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When

from core.models import User
from core.roles import Role
from core.scope import is_city_level

from ..models import ExchangeBatch
from .permissions import VIEW
from .services import overdue_q
from .workflow import department_of

STATUSES = ("overdue", *ExchangeBatch.Status.values)


@dataclass(frozen=True)
class BatchFilters:
    stream: str = ""
    period: dt.date | None = None
    status: str = ""  # one of STATUSES or empty


def _visible(user: User) -> QuerySet[ExchangeBatch]:
    qs = ExchangeBatch.objects.all()
    if user.is_superuser:
        return qs
    if not user.is_active or not user.has_perm(VIEW) or not is_city_level(user):
        return qs.none()
    if user.role == Role.DATA_ADMIN:
        return qs
    department = department_of(user)
    if not department:
        return qs.none()
    return qs.filter(Q(sender=department) | Q(receiver=department))


def exchange_batch_list(
    *, user: User, filters: BatchFilters | None = None, on: dt.date
) -> QuerySet[ExchangeBatch]:
    f = filters or BatchFilters()
    qs = _visible(user).annotate(
        overdue=Case(
            When(overdue_q(on), then=Value(True)), default=False, output_field=BooleanField()
        )
    )
    if f.stream:
        qs = qs.filter(stream=f.stream)
    if f.period:
        qs = qs.filter(period=f.period)
    if f.status == "overdue":
        qs = qs.filter(overdue_q(on))
    elif f.status:
        qs = qs.filter(status=f.status)
    return qs.select_related("built_by", "acknowledged_by").order_by("-period", "stream")


def exchange_batch_get(*, user: User, pk: int | str, on: dt.date) -> ExchangeBatch:
    """One batch the user may see (DoesNotExist otherwise: 404, never 403)."""
    return (
        exchange_batch_list(user=user, on=on)
        .select_related("previous")
        .prefetch_related("files", "transitions__by")
        .get(pk=pk)
    )
