"""Working days on the Chinese calendar (public holidays and adjusted working weekends).

The `chinesecalendar` package knows the State Council's yearly holiday arrangements; the admin-editable
CalendarOverride table wins over it and covers years the package does not know yet (for those, plain
Monday–Friday is assumed apart from the overrides).

A year "has holiday data" when the package knows it or a data administrator has entered it and marked
it complete (CalendarYear, on the /calendar/<year>/ page or the API). Until then every deadline
counted through that year is provisional (`is_provisional`, shown as "暂定"), data administrators
are warned from 1 November of the year before (`years_needing_data`), and entering the year
recomputes the stored deadlines through the hooks in `deadline_recomputers`.

Counting rule (domain.md §5): "within N working days of day D" ends at the close of the Nth working
day after D, D itself not counted.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import chinese_calendar
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import CalendarOverride, CalendarYear, User
from .services import require_perm

# Higher apps register "recompute the stored deadlines touched by year Y" here from
# AppConfig.ready() (core never imports them); each returns how many rows it changed.
deadline_recomputers: list[Callable[[int], int]] = []


def package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def year_has_data(year: int) -> bool:
    """The package knows the year, or a data administrator entered it and marked it complete."""
    return package_knows(year) or CalendarYear.objects.filter(year=year, complete=True).exists()


def is_provisional(start: dt.date, end: dt.date | None) -> bool:
    """Whether a count of working days after `start` up to `end` crosses a year without data."""
    if end is None:
        return False
    first = (start + dt.timedelta(days=1)).year
    return any(not year_has_data(y) for y in range(first, end.year + 1))


def date_is_provisional(day: dt.date | None) -> bool:
    """A deadline on `day` (counted from a day of a year with data): is its own year unknown?"""
    return day is not None and not year_has_data(day.year)


def years_needing_data(today: dt.date) -> list[int]:
    """Years data administrators must enter now: this year if unknown, and next year from
    1 November on."""
    years = [today.year]
    if today >= dt.date(today.year, 11, 1):
        years.append(today.year + 1)
    return [y for y in years if not year_has_data(y)]


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


# ----------------------------------------------------------------------------- entering a year

CALENDAR_PERM = "core.change_calendaroverride"  # the data administrator's (core.roles)


@dataclass(frozen=True)
class Span:
    """Consecutive days of one kind (a holiday, or adjusted working days), both ends included."""

    start: dt.date
    end: dt.date
    note: str = ""
    line: int = 0  # where it was typed (error messages); 0: its place in the list

    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def spans_of(year: int, *, working: bool) -> list[Span]:
    """The overrides of a year of one kind, consecutive days with one note joined into spans."""
    spans: list[Span] = []
    rows = CalendarOverride.objects.filter(date__year=year, is_working_day=working).order_by("date")
    for day, note in rows.values_list("date", "note"):
        last = spans[-1] if spans else None
        if last and last.note == note and last.end + dt.timedelta(days=1) == day:
            spans[-1] = Span(last.start, day, note)
        else:
            spans.append(Span(day, day, note))
    return spans


def spans_check(
    year: int, *, holidays: list[Span], working_days: list[Span]
) -> tuple[dict[str, list[str]], dict[str, dict[dt.date, str]]]:
    """Errors by field ("Line n: …"), and the days of each kind with their notes."""
    errors: dict[str, list[str]] = {}
    days: dict[str, dict[dt.date, str]] = {"holidays": {}, "working_days": {}}
    for field, spans in (("holidays", holidays), ("working_days", working_days)):
        for i, span in enumerate(spans, start=1):
            n = span.line or i
            if span.end < span.start:
                errors.setdefault(field, []).append(
                    _("Line %(n)s: the range ends before it starts.") % {"n": n}
                )
            elif span.start.year != year or span.end.year != year:
                errors.setdefault(field, []).append(
                    _("Line %(n)s: the dates must be in %(year)s.") % {"n": n, "year": year}
                )
            elif (span.end - span.start).days > 31:
                errors.setdefault(field, []).append(
                    _("Line %(n)s: a range is at most a month long.") % {"n": n}
                )
            else:
                days[field].update(dict.fromkeys(span.days(), span.note.strip()[:100]))
    both = sorted(set(days["holidays"]) & set(days["working_days"]))
    if both:
        errors.setdefault("working_days", []).append(
            _("%(days)s cannot be both a holiday and a working day.")
            % {"days": ", ".join(d.isoformat() for d in both)}
        )
    return errors, days


@transaction.atomic
def calendar_year_enter(
    *,
    year: int,
    holidays: list[Span],
    working_days: list[Span],
    complete: bool,
    by: User,
    source: str = "",
) -> CalendarYear:
    """Replace a year's holidays and adjusted working days; `complete` makes its deadlines final.
    Stored deadlines touching the year are recomputed after commit (core.recompute_deadlines)."""
    from .tasks import recompute_deadlines  # tasks import this module

    require_perm(by, CALENDAR_PERM)
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": [_("Enter a year between 2000 and 2100.")]})
    errors, days = spans_check(year, holidays=holidays, working_days=working_days)
    if errors:
        raise ValidationError(errors)
    CalendarOverride.objects.filter(date__year=year).delete()
    CalendarOverride.objects.bulk_create(
        [
            CalendarOverride(date=d, is_working_day=field == "working_days", note=note)
            for field, found in days.items()
            for d, note in found.items()
        ]
    )
    entered, _created = CalendarYear.objects.update_or_create(
        year=year, defaults={"complete": complete, "source": source.strip()[:200], "entered_by": by}
    )
    transaction.on_commit(lambda: recompute_deadlines.delay(year))
    return entered


def deadlines_recompute(year: int) -> int:
    """Run every registered recomputer for `year` (idempotent); returns the rows changed."""
    return sum(recompute(year) for recompute in deadline_recomputers)
