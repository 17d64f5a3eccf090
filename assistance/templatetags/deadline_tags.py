"""`{% deadline_badge date today what %}`: a deadline with the days left, or "逾期 N 天" in red,
and 暂定 where the year's holidays are not entered yet (asked once per year and page, not once
per row).

A simple tag building its HTML with format_html rather than an inclusion tag: it runs once per
row of every list (50 a page), and rendering a template per row was a fifth of the dibao list's
time."""

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from core.calendar import date_is_provisional

register = template.Library()


def _provisional(context: Any, deadline: dt.date) -> bool:
    years = context.render_context.setdefault("deadline_provisional_years", {})
    if deadline.year not in years:
        years[deadline.year] = date_is_provisional(deadline)
    return bool(years[deadline.year])


@register.simple_tag(takes_context=True)
def deadline_badge(
    context: Any, deadline: dt.date | None, today: dt.date | None = None, what: str = ""
) -> SafeString:
    if not deadline:
        return mark_safe('<span class="text-body-secondary">—</span>')
    if not isinstance(today, dt.date):
        today = timezone.localdate()
    days = (deadline - today).days
    overdue = -days if days < 0 else 0
    parts: list[str] = [
        format_html(
            '<span class="text-nowrap{}" data-testid="deadline">{}</span>',
            " text-danger fw-semibold" if overdue else "",
            deadline.strftime("%Y-%m-%d"),
        )
    ]
    if _provisional(context, deadline):
        parts.append(
            format_html(
                ' <span class="badge text-bg-secondary" data-testid="provisional" title="{}">'
                "{}</span>",
                gettext("This year's holidays are not entered yet: the date may move."),
                gettext("provisional"),
            )
        )
    parts.append("\n")
    if overdue:
        text = ngettext("%(n)s day overdue", "%(n)s days overdue", overdue) % {"n": overdue}
        parts.append(
            format_html('<span class="badge text-bg-danger" data-testid="overdue">{}</span>', text)
        )
    elif days == 0:
        parts.append(
            format_html(
                '<span class="badge text-bg-warning" data-testid="due-today">{}</span>',
                gettext("due today"),
            )
        )
    else:
        text = ngettext("%(n)s day left", "%(n)s days left", days) % {"n": days}
        css = "text-bg-warning" if days <= 3 else "text-bg-light border"
        parts.append(
            format_html('<span class="badge {}" data-testid="days-left">{}</span>', css, text)
        )
    if what:
        parts.append(format_html('<br><small class="text-body-secondary">{}</small>', what))
    return mark_safe("".join(parts))  # noqa: S308 (every part is escaped by format_html)
