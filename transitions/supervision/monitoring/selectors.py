"""Reads of monitoring cases: scoped by the household's village (core.scope)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from core.models import User
from core.scope import scope_queryset
from transitions.models import MonitoringCase

from ..permissions import VIEW_MONITORING


def monitoring_case_list(*, user: User, status: str = "") -> QuerySet[MonitoringCase]:
    if not user.is_active or not user.has_perm(VIEW_MONITORING):
        return MonitoringCase.objects.none()
    qs = scope_queryset(MonitoringCase.objects.all(), user, region_field="village")
    if status in MonitoringCase.Status.values:
        qs = qs.filter(status=status)
    return qs.select_related("household", "village__parent", "closed_by").order_by(
        "status", "due_on", "id"
    )


def monitoring_case_get(*, user: User, pk: int) -> MonitoringCase:
    """The case, or 404 (also for a case outside the user's area: its existence is not told)."""
    case = monitoring_case_list(user=user).filter(pk=pk).first()
    if case is None:
        raise Http404
    return case
