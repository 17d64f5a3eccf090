"""Deadlines of cases: what each list shows and sorts by, and how stored deadlines follow the
calendar.

The deadline a case is listed by depends on its status (`DIBAO_DEADLINE`): an application waits
for acceptance (`acceptance_due`), an accepted case for the start of the investigation, a case
under way for the end of the procedure, a case in payment for its next review. It is a SQL
expression over stored dates (`dibao_deadline()`), so a paginated list filters and sorts by it in
the database (the lists scope by the case's indexed village, migration 0014).

Stored deadlines follow the calendar: when a data administrator enters a year's holidays
(core.calendar.calendar_year_enter), the deadlines of open cases counted through that year are
computed again. Registered in core.calendar.deadline_recomputers by AssistanceConfig.ready().

Set-based: one UPDATE per distinct start date (and limit), not one per case; rows already right are
not touched, so running it twice changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Case, DateField, F, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from assistance.models import CaseReview, DibaoCase, ProgrammeCase
from assistance.policy import selectors as policy_data
from core.calendar import add_working_days

S = DibaoCase.Status
OPEN = (S.ACCEPTED, S.INVESTIGATING, S.PROPOSED, S.IN_NOTICE)
P = ProgrammeCase.Status

# status → (stored date the case is listed by, what must happen by then)
DIBAO_DEADLINE: dict[str, tuple[str, object]] = {
    S.APPLIED: ("acceptance_due", _("accept the application")),
    S.ACCEPTED: ("investigation_due", _("start the investigation")),
    S.INVESTIGATING: ("procedure_due", _("finish the procedure")),
    S.PROPOSED: ("procedure_due", _("finish the procedure")),
    S.IN_NOTICE: ("procedure_due", _("finish the procedure")),
    S.ACTIVE: ("next_review_due", _("hold the periodic review")),
    S.UNDER_REVIEW: ("next_review_due", _("hold the periodic review")),
}


def acceptance_due(applied_on: dt.date) -> dt.date:
    """The day by which an application made on `applied_on` is accepted (or returned)."""
    return add_working_days(applied_on, policy_data.int_parameter("accept_wd", applied_on))


def _by_field() -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for status, (field, _what) in DIBAO_DEADLINE.items():
        fields.setdefault(field, []).append(str(status))
    return fields


def dibao_deadline(prefix: str = "") -> Case:
    """The case's current deadline as a SQL expression (NULL: none runs)."""
    return Case(
        *(
            When(**{f"{prefix}status__in": statuses}, then=F(prefix + field))
            for field, statuses in _by_field().items()
        ),
        default=Value(None),
        output_field=DateField(),
    )


def case_deadline(case: DibaoCase) -> dt.date | None:
    """The same as `dibao_deadline()`, for a case in hand (a detail page, the API's detail)."""
    annotated = getattr(case, "deadline", None)
    if annotated is not None:
        return annotated
    entry = DIBAO_DEADLINE.get(case.status)
    return getattr(case, entry[0]) if entry else None


def deadline_what(status: str) -> str:
    """What must happen by the deadline of a case in `status` ("" if none runs)."""
    entry = DIBAO_DEADLINE.get(status)
    return str(entry[1]) if entry else ""


def programme_deadline() -> Case:
    """Emergency aid paid first: the documents are due (NULL once documented, or if none)."""
    return Case(
        When(documented_on__isnull=True, then=F("documentation_due")),
        default=Value(None),
        output_field=DateField(),
    )


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
    changed = _recompute(
        DibaoCase.objects.filter(status=S.APPLIED, applied_on__lte=last, acceptance_due__gte=first),
        start="applied_on",
        due="acceptance_due",
        key="accept_wd",
    )
    cases = DibaoCase.objects.filter(status__in=OPEN, accepted_on__lte=last)
    changed += _recompute(
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
