"""The data administrator's calendar page: a year's holidays and adjusted working days, typed as
one date or range per line ("2027-02-06~2027-02-13 春节"), so a year takes a few minutes."""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .calendar import (
    CALENDAR_PERM,
    Span,
    calendar_year_enter,
    package_knows,
    spans_check,
    spans_of,
    year_has_data,
)
from .forms import apply_service_errors
from .http import AuthenticatedHttpRequest
from .models import CalendarYear

DATE = r"\d{4}-\d{1,2}-\d{1,2}"
LINE = re.compile(rf"^({DATE})(?:\s*(?:~|～|至|到|\.\.)\s*({DATE}))?(?:\s+(.*))?$")


def parse_spans(text: str) -> tuple[list[Span], list[str]]:
    """One date or range a line, then an optional note; errors name the line."""
    spans, errors = [], []
    lines = [ln.strip() for ln in (text or "").splitlines()]
    for n, line in enumerate((ln for ln in lines if ln), start=1):
        m = LINE.match(line)
        try:
            if m is None:
                raise ValueError
            start = dt.date.fromisoformat(_iso(m[1]))
            end = dt.date.fromisoformat(_iso(m[2])) if m[2] else start
        except ValueError:
            errors.append(
                _("Line %(n)s: write a date or a range, e.g. 2027-02-06~2027-02-13 春节.")
                % {"n": n}
            )
            continue
        spans.append(Span(start, end, (m[3] or "").strip(), line=n))
    return spans, errors


def _iso(value: str) -> str:
    y, m, d = value.split("-")
    return f"{y}-{int(m):02d}-{int(d):02d}"


def format_spans(spans: list[Span]) -> str:
    return "\n".join(
        (s.start.isoformat() if s.start == s.end else f"{s.start}~{s.end}")
        + (f" {s.note}" if s.note else "")
        for s in spans
    )


class CalendarYearForm(forms.Form):
    holidays = forms.CharField(
        label=gettext_lazy("Holidays (days off)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy(
            "One date or range per line, then a note: 2027-02-06~2027-02-13 春节"
        ),
    )
    working_days = forms.CharField(
        label=gettext_lazy("Adjusted working days (weekends worked)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("One date per line, then a note: 2027-02-14 春节调休"),
    )
    source = forms.CharField(label=gettext_lazy("Source document"), required=False, max_length=200)
    complete = forms.BooleanField(
        label=gettext_lazy("The year's arrangement is entered completely: deadlines are final"),
        required=False,
    )

    def __init__(self, *args, year: int, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.year = year

    def clean(self) -> dict:
        data = super().clean() or {}
        spans: dict[str, list[Span]] = {}
        for field in ("holidays", "working_days"):
            spans[field], errors = parse_spans(data.get(field, ""))
            for message in errors:
                self.add_error(field, message)
        found, _days = spans_check(self.year, **spans)
        for field, messages_ in found.items():
            for message in messages_:
                self.add_error(field, message)
        return {**data, **spans} if not self.errors else data


@login_required
@permission_required(CALENDAR_PERM, raise_exception=True)
def calendar_year(request: AuthenticatedHttpRequest, year: int) -> HttpResponse:
    entered = CalendarYear.objects.filter(year=year).first()
    if request.method == "POST":
        form = CalendarYearForm(request.POST, year=year)
        if form.is_valid():
            try:
                calendar_year_enter(
                    year=year,
                    holidays=form.cleaned_data["holidays"],
                    working_days=form.cleaned_data["working_days"],
                    complete=form.cleaned_data["complete"],
                    source=form.cleaned_data["source"],
                    by=request.user,
                )
            except ValidationError as e:
                apply_service_errors(e, form)
            else:
                messages.success(request, _("The calendar of %(year)s is saved.") % {"year": year})
                return redirect("calendar_year", year=year)
    else:
        form = CalendarYearForm(
            year=year,
            initial={
                "holidays": format_spans(spans_of(year, working=False)),
                "working_days": format_spans(spans_of(year, working=True)),
                "source": entered.source if entered else "",
                "complete": bool(entered and entered.complete),
            },
        )
    today = timezone.localdate()
    return render(
        request,
        "core/calendar_year.html",
        {
            "year": year,
            "form": form,
            "entered": entered,
            "package_knows": package_knows(year),
            "has_data": year_has_data(year),
            "years": [today.year - 1, today.year, today.year + 1],
        },
    )
