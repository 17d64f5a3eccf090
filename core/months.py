"""Months, each named by its first day (a payroll month, a payment start or stop month)."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    """The first day of the month `n` months after `month`'s (n may be negative)."""
    y, m = divmod(month.month - 1 + n, 12)
    return dt.date(month.year + y, m + 1, 1)


def first_of_next_month(day: dt.date) -> dt.date:
    return add_months(day, 1)


def parse_month(value: str) -> dt.date:
    """'2026-12' or '2026-12-01' → date(2026, 12, 1); ValidationError otherwise."""
    value = (value or "").strip()
    try:
        if len(value) == 7:
            return dt.date.fromisoformat(value + "-01")
        return month_start(dt.date.fromisoformat(value))
    except ValueError:
        raise ValidationError({"month": [_("Give the month as YYYY-MM.")]}) from None
