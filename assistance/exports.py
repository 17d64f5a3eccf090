"""Exports of the assistance lists (xlsx), written by the formula-safe core.exports, of exactly
the rows the list's filters select. Names are masked (张*明) and ID numbers are not exported:
exports leave the system. Synchronous with a row cap (assistance.listing.EXPORT_MAX_ROWS), like
the household export: beyond it the page asks to narrow the filter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance import deadlines
from assistance.models import DibaoCase, ProgrammeCase
from core.exports import export_response
from core.masking import mask_name
from households import selectors as household_selectors


def days_text(deadline: dt.date | None, today: dt.date) -> str:
    if deadline is None:
        return ""
    days = (deadline - today).days
    if days < 0:
        return _("%(n)d days overdue") % {"n": -days}
    if days == 0:
        return _("due today")
    return _("%(n)d days left") % {"n": days}


def _xlsx(rows: Iterator[list[object]], headers: list[str], name: str, title: str) -> HttpResponse:
    """A list's rows as an xlsx file named after `name` and the local time (core.exports)."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return export_response(
        rows, headers=headers, fmt="xlsx", filename=f"{name}-{stamp}", sheet_title=title
    )


def dibao_headers() -> list[str]:
    return [
        _("Case"),
        _("Town / street"),
        _("Village / community"),
        _("Head"),
        _("Status"),
        _("Applied on"),
        _("Deadline"),
        _("To do by the deadline"),
        _("Days left"),
        _("Proposed amount"),
    ]


def dibao_rows(qs: QuerySet[DibaoCase], *, today: dt.date) -> Iterator[list[object]]:
    qs = qs.annotate(head_name=household_selectors.active_head_name("household_id"))
    for c in qs.iterator(chunk_size=2000):
        village = c.household.village
        deadline = getattr(c, "deadline", None)
        yield [
            str(c),
            village.parent.name if village.parent else "",
            village.name,
            mask_name(getattr(c, "head_name", "") or ""),
            c.get_status_display(),
            c.applied_on,
            deadline,
            deadlines.deadline_what(c.status) if deadline else "",
            days_text(deadline, today),
            c.proposed_amount,
        ]


def dibao_export_response(qs: QuerySet[DibaoCase], *, today: dt.date) -> HttpResponse:
    return _xlsx(dibao_rows(qs, today=today), dibao_headers(), "dibao-cases", _("Dibao cases"))


def programme_headers() -> list[str]:
    return [
        _("No."),
        _("Programme"),
        _("Town / street"),
        _("Village / community"),
        _("Member"),
        _("Applied on"),
        _("Status"),
        _("Documents due"),
        _("Days left"),
        _("Amount"),
    ]


def programme_rows(qs: QuerySet[ProgrammeCase], *, today: dt.date) -> Iterator[list[object]]:
    for c in qs.iterator(chunk_size=2000):
        village = c.household.village
        deadline = getattr(c, "deadline", None)
        yield [
            c.pk,
            c.get_programme_display(),
            village.parent.name if village.parent else "",
            village.name,
            mask_name(c.person.name) if c.person else "",
            c.applied_on,
            c.get_status_display(),
            deadline,
            days_text(deadline, today),
            c.amount,
        ]


def programme_export_response(qs: QuerySet[ProgrammeCase], *, today: dt.date) -> HttpResponse:
    return _xlsx(
        programme_rows(qs, today=today),
        programme_headers(),
        "programme-cases",
        _("Programme cases"),
    )
