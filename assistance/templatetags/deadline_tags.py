"""`{% deadline_badge date today what %}`: a deadline with the days left, or "逾期 N 天" in red,
and 暂定 where the year's holidays are not entered yet (asked once per year and page, not once
per row)."""

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone

from core.calendar import date_is_provisional

register = template.Library()


@register.inclusion_tag("assistance/_deadline.html", takes_context=True)
def deadline_badge(
    context: Any, deadline: dt.date | None, today: dt.date | None = None, what: str = ""
) -> dict[str, Any]:
    if not isinstance(today, dt.date):
        today = timezone.localdate()
    days = (deadline - today).days if deadline else None
    provisional = False
    if deadline:
        years = context.render_context.setdefault("deadline_provisional_years", {})
        if deadline.year not in years:
            years[deadline.year] = date_is_provisional(deadline)
        provisional = years[deadline.year]
    return {
        "deadline": deadline,
        "what": what,
        "days": days,
        "overdue_days": -days if days is not None and days < 0 else None,
        "provisional": provisional,
    }
