"""Open monitoring cases in the town caseworkers' inbox (assistance.oversight.inbox), plugged in
at TransitionsConfig.ready(): the inbox never imports transitions."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from assistance.oversight.inbox import InboxItem, Source, register_source
from core.models import User
from core.roles import Role
from core.scope import scope_queryset
from transitions.models import MonitoringCase

from ..permissions import CLOSE_MONITORING
from .workflow import MONITORING

KIND = "monitoring_case"
LABEL = _("Return-to-poverty monitoring cases")


def q_monitoring(user: User, today: dt.date) -> QuerySet[MonitoringCase]:
    return scope_queryset(
        MonitoringCase.objects.filter(MONITORING.q_actionable("close", user)),
        user,
        region_field="village",
    ).select_related("household", "village__parent")


def _item(c: MonitoringCase, today: dt.date) -> InboxItem:
    town = c.village.parent.name if c.village.parent else ""
    return InboxItem(
        kind=KIND,
        kind_label=str(LABEL),
        title=f"{c.household} · {c.get_rule_display()}",
        detail=f"{town} {c.village.name} · {c.household.address}".strip(),
        deadline=c.due_on,
        since=c.opened_on,
        url=reverse("transitions:monitoring_case", args=[c.pk]),
        overdue=c.due_on < today,
    )


def register() -> None:
    register_source(
        Role.CASEWORKER,
        Source(KIND, CLOSE_MONITORING, q_monitoring, _item, ("due_on",)),
        LABEL,
    )
