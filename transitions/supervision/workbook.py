"""The supervision workbook for the annual performance review: one sheet per measure, the
districts side by side as columns (and their total), a row per figure and month. Written
through core.exports (formula-safe), built in a Celery task with core.Job progress."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from core.exports import XlsxBook
from core.job_progress import Progress
from core.models import User
from core.months import add_months

from .selectors import MEASURES, SupervisionMonth, supervision_month


def year_months(year: int, *, today: dt.date | None = None) -> list[dt.date]:
    """The months of `year` up to the current one."""
    today = today or timezone.localdate()
    first = dt.date(year, 1, 1)
    return [m for m in (add_months(first, i) for i in range(12)) if m <= today]


def supervision_workbook(
    *,
    user: User,
    months: list[dt.date],
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> bytes:
    """The workbook of `months` (a year's) for the districts the user supervises."""
    from openpyxl.styles import Font

    reports: list[SupervisionMonth] = []
    for i, month in enumerate(months):
        reports.append(supervision_month(user=user, month=month, today=today))
        if progress:
            progress(i + 1, len(months) + 1, _("Month %(m)s") % {"m": f"{month:%Y-%m}"})
    book = XlsxBook()
    bold = Font(bold=True)
    columns = reports[0].columns if reports else []
    for measure in MEASURES:
        sheet = book.sheet(str(measure.title))
        header: list[Any] = [_("Figure"), _("Month"), *(c.name for c in columns)]
        sheet.append(header)
        for cell in sheet.ws[1]:
            cell.font = bold
        for fig in measure.figures:
            for report in reports:
                sheet.append(
                    [fig.label, f"{report.month:%Y-%m}", *(fig.value(c) for c in report.columns)]
                )
        sheet.ws.column_dimensions["A"].width = 40
    if progress:
        progress(len(months) + 1, len(months) + 1, _("Workbook written"))
    return book.to_bytes()
