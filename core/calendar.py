"""Working days on the Chinese calendar (public holidays and adjusted working weekends).

The `chinesecalendar` package knows the State Council's yearly holiday arrangements; the admin-editable
CalendarOverride table wins over it and covers years the package does not know yet (for those, plain
Monday–Friday is assumed apart from the overrides).

Counting rule (domain.md §5): "within N working days of day D" ends at the close of the Nth working
day after D, D itself not counted.
"""

import datetime as dt

import chinese_calendar

from .models import CalendarOverride


def is_working_day(day: dt.date, *, overrides: dict[dt.date, bool] | None = None) -> bool:
    if overrides is None:
        overrides = dict(
            CalendarOverride.objects.filter(date=day).values_list("date", "is_working_day")
        )
    if day in overrides:
        return overrides[day]
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The Nth working day after `start` (start not counted)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    horizon = start + dt.timedelta(days=n * 3 + 30)
    overrides = dict(
        CalendarOverride.objects.filter(date__gt=start, date__lte=horizon).values_list(
            "date", "is_working_day"
        )
    )
    day, counted = start, 0
    while counted < n:
        day += dt.timedelta(days=1)
        if day > horizon:  # extremely long holiday runs: widen the window
            overrides.update(
                CalendarOverride.objects.filter(
                    date__gt=horizon, date__lte=horizon + dt.timedelta(days=60)
                ).values_list("date", "is_working_day")
            )
            horizon += dt.timedelta(days=60)
        if is_working_day(day, overrides=overrides):
            counted += 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end`."""
    if end <= start:
        return 0
    overrides = dict(
        CalendarOverride.objects.filter(date__gt=start, date__lte=end).values_list(
            "date", "is_working_day"
        )
    )
    days = (end - start).days
    return sum(
        1
        for i in range(1, days + 1)
        if is_working_day(start + dt.timedelta(days=i), overrides=overrides)
    )
