"""Stored deadlines follow the calendar: when a data administrator enters a year's holidays
(core.calendar.calendar_year_enter), the deadlines of open cases counted through that year are
computed again. Registered in core.calendar.deadline_recomputers by AssistanceConfig.ready().

Set-based: one UPDATE per distinct start date (and limit), not one per case; rows already right are
not touched, so running it twice changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet

from assistance.models import CaseReview, DibaoCase, ProgrammeCase
from assistance.policy import selectors as policy_data
from core.calendar import add_working_days

S = DibaoCase.Status
OPEN = (S.ACCEPTED, S.INVESTIGATING, S.PROPOSED, S.IN_NOTICE)


def _recompute(qs: QuerySet, *, start: str, due: str, key: str) -> int:
    changed = 0
    for day in qs.values_list(start, flat=True).distinct().order_by(start):
        new = add_working_days(day, policy_data.int_parameter(key, day))
        changed += qs.filter(**{start: day}).exclude(**{due: new}).update(**{due: new})
    return changed


@transaction.atomic
def deadlines_recompute_year(year: int) -> int:
    """Deadlines of open cases that reach into `year` (from a start before its end)."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    cases = DibaoCase.objects.filter(status__in=OPEN, accepted_on__lte=last)
    changed = _recompute(
        cases.filter(investigation_due__gte=first),
        start="accepted_on",
        due="investigation_due",
        key="start_investigation_wd",
    )
    procedure = cases.filter(procedure_due__gte=first)
    changed += _recompute(
        procedure.filter(extension_reason=""),
        start="accepted_on",
        due="procedure_due",
        key="procedure_limit_wd",
    )
    changed += _recompute(
        procedure.exclude(extension_reason=""),
        start="accepted_on",
        due="procedure_due",
        key="procedure_limit_extended_wd",
    )
    changed += _recompute(
        CaseReview.objects.filter(closed_on__isnull=True, opened_on__lte=last, due_on__gte=first),
        start="opened_on",
        due="due_on",
        key="procedure_limit_wd",
    )
    changed += _recompute(
        ProgrammeCase.objects.filter(
            documented_on__isnull=True, paid_on__lte=last, documentation_due__gte=first
        ),
        start="paid_on",
        due="documentation_due",
        key="temporary_document_wd",
    )
    return changed
