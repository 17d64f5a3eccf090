"""Supervision and targets (domain.md §10): each district's month — procedure times (median,
90th percentile, overdue), overdue reviews and phase-outs, sampling-audit results, objections
and their handling time, funds paid per fund against budget, recipients per caseworker per town,
and the return-to-poverty monitoring cases — for the districts a user may supervise, side by
side with their total.

Set-based: one grouped statement per measure whatever the number of districts, cases or towns
(`GROUP BY ROLLUP (county)`: the districts' rows and their total's, so the total's median is the
median of all the cases, not a median of medians). Figures are "as of" the month's last day, or
today for the month under way: overdue counts are read from the dates (due before the cut-off,
not closed by it), so a past month's figures do not change as cases move on.

The page, the API (/api/v1/supervision/) and the workbook read `supervision_month`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assistance.models import DibaoCase
from core.calendar import is_working_day
from core.models import CalendarOverride, Region, User
from core.months import first_of_next_month, month_start
from core.roles import Role
from core.scope import is_city_level
from transitions.models import Fund, FundBudget, MonitoringCase

from .permissions import SUPERVISION_ROLES

L = Region.Level
S = DibaoCase.Status
COUNTY_LEN = Region.CODE_LENGTH[L.COUNTY]
TOWN_LEN = Region.CODE_LENGTH[L.TOWNSHIP]
TOTAL = ""  # the key of the total's row (ROLLUP's NULL county)
BEFORE_CONFIRMATION = (S.APPLIED, S.ACCEPTED, S.INVESTIGATING, S.PROPOSED, S.IN_NOTICE)
PAYING = (S.CONFIRMED, S.ACTIVE, S.UNDER_REVIEW)


# ----------------------------------------------------------------------------- scope


def supervision_allowed(user: User) -> bool:
    """District reviewers (their district) and city supervisors (all); nobody else."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if user.role not in SUPERVISION_ROLES or user.region is None:
        return False
    return user.region.level in (L.CITY, L.COUNTY)


def supervision_counties(user: User) -> QuerySet[Region]:
    """The districts the user supervises: their own, or every one at city level."""
    if not supervision_allowed(user):
        return Region.objects.none()
    counties = Region.objects.filter(level=L.COUNTY).order_by("code")
    if is_city_level(user):
        return counties
    return counties.filter(pk=user.region.pk)  # type: ignore[union-attr]


# ----------------------------------------------------------------------------- figures


def _q(value: Any, places: str = "0.1") -> Decimal | None:
    if value is None:
        return None
    return Decimal(value).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _ratio(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """part ÷ whole as a percentage to 2 places (None without a whole)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass
class FundFigures:
    fund: str
    label: str
    paid: Decimal = Decimal("0")
    budget: Decimal | None = None

    @property
    def percent(self) -> Decimal | None:
        return None if self.budget is None else _ratio(self.paid, self.budget)


@dataclass
class TownStaffing:
    region: Region
    recipients: int = 0
    caseworkers: int = 0

    @property
    def per_caseworker(self) -> Decimal | None:
        return None if not self.caseworkers else _q(Decimal(self.recipients) / self.caseworkers)


@dataclass
class DistrictFigures:
    """One district's month (or, with `region` None, the total of the districts shown)."""

    region: Region | None
    confirmed: int = 0
    median_wd: Decimal | None = None
    p90_wd: Decimal | None = None
    confirmed_late: int = 0
    procedure_overdue: int = 0
    reviews_overdue: int = 0
    phase_outs_overdue: int = 0
    audited: int = 0
    audit_conforms: int = 0
    audit_discrepancies: int = 0
    wrongly_included: int = 0
    wrongly_excluded: int = 0
    wrong_amount: int = 0
    objections: int = 0
    objections_answered: int = 0
    objections_overdue: int = 0
    objection_median_days: Decimal | None = None
    notice_objections: int = 0
    funds: dict[str, FundFigures] = field(default_factory=dict)
    recipients: int = 0
    caseworkers: int = 0
    towns: list[TownStaffing] = field(default_factory=list)
    monitoring_opened: int = 0
    monitoring_open: int = 0
    monitoring_overdue: int = 0

    @property
    def code(self) -> str:
        return self.region.code if self.region else TOTAL

    @property
    def name(self) -> str:
        return self.region.name if self.region else str(_("Total"))

    @property
    def discrepancy_percent(self) -> Decimal | None:
        return _ratio(self.audit_discrepancies, self.audit_conforms + self.audit_discrepancies)

    @property
    def per_caseworker(self) -> Decimal | None:
        return None if not self.caseworkers else _q(Decimal(self.recipients) / self.caseworkers)

    @property
    def towns_without_caseworker(self) -> int:
        return sum(1 for t in self.towns if t.recipients and not t.caseworkers)

    @property
    def funds_paid(self) -> Decimal:
        return sum((f.paid for f in self.funds.values()), Decimal("0"))


@dataclass
class SupervisionMonth:
    month: dt.date
    as_of: dt.date
    districts: list[DistrictFigures]
    total: DistrictFigures

    @property
    def columns(self) -> list[DistrictFigures]:
        """The districts, then their total (one column each in the tables and the workbook)."""
        return [*self.districts, self.total] if len(self.districts) > 1 else self.districts


def _working_days(lo: dt.date, hi: dt.date) -> list[dt.date]:
    """The working days in (lo, hi]: the calendar package and the overrides, one query."""
    if hi <= lo:
        return []
    overrides = dict(
        CalendarOverride.objects.filter(date__gt=lo, date__lte=hi).values_list(
            "date", "is_working_day"
        )
    )
    days = (lo + dt.timedelta(days=i) for i in range(1, (hi - lo).days + 1))
    return [d for d in days if is_working_day(d, overrides=overrides)]


_PROCEDURE_RANGE_SQL = """
SELECT min(c.accepted_on)
FROM assistance_dibaocase c JOIN core_region v ON v.id = c.village_id
WHERE substr(v.code, 1, %(ck)s) = ANY(%(counties)s)
  AND c.confirmed_on >= %(month)s AND c.confirmed_on < %(next)s AND c.accepted_on IS NOT NULL
"""

# The month's confirmations: working days from acceptance (not counted) to confirmation, their
# median and 90th percentile (continuous, as PostgreSQL's percentile_cont), and how many came
# after the procedure limit; and the procedures overdue on the cut-off day.
_PROCEDURE_SQL = """
WITH c AS (
    SELECT substr(v.code, 1, %(ck)s) AS county, c.status, c.accepted_on, c.confirmed_on,
           c.refused_on, c.procedure_due
    FROM assistance_dibaocase c JOIN core_region v ON v.id = c.village_id
    WHERE substr(v.code, 1, %(ck)s) = ANY(%(counties)s)
), done AS (
    SELECT county, confirmed_on > procedure_due AS late,
           (SELECT count(*) FROM unnest(%(wd)s::date[]) d
             WHERE d > c.accepted_on AND d <= c.confirmed_on) AS wd
    FROM c
    WHERE confirmed_on >= %(month)s AND confirmed_on < %(next)s AND accepted_on IS NOT NULL
)
SELECT 'done', county, count(*), count(*) FILTER (WHERE late),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY wd),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY wd)
FROM done GROUP BY ROLLUP (county)
UNION ALL
SELECT 'overdue', county, count(*), 0, NULL, NULL
FROM c
WHERE accepted_on <= %(cut)s AND procedure_due < %(cut)s
  AND (confirmed_on IS NULL OR confirmed_on > %(cut)s)
  AND (refused_on IS NULL OR refused_on > %(cut)s)
  AND status <> ALL(%(gone)s)
GROUP BY ROLLUP (county)
"""

# Reviews and phase-out re-assessments still open on the cut-off day past their due date.
_OVERDUE_SQL = """
SELECT 'reviews', county, count(*) FROM (
    SELECT substr(v.code, 1, %(ck)s) AS county
    FROM assistance_casereview r
    JOIN assistance_dibaocase c ON c.id = r.case_id
    JOIN core_region v ON v.id = c.village_id
    WHERE substr(v.code, 1, %(ck)s) = ANY(%(counties)s)
      AND r.opened_on <= %(cut)s AND r.due_on < %(cut)s
      AND (r.closed_on IS NULL OR r.closed_on > %(cut)s)
) x GROUP BY ROLLUP (county)
UNION ALL
SELECT 'phase_outs', county, count(*) FROM (
    SELECT k.code AS county
    FROM transitions_phaseout p JOIN core_region k ON k.id = p.county_id
    WHERE k.code = ANY(%(counties)s)
      AND p.due_on < %(cut)s
      AND (p.closed_on IS NULL OR p.closed_on > %(cut)s)
) x GROUP BY ROLLUP (county)
"""

# The sampling audit's results recorded in the month, by the sampled household's district.
_AUDIT_SQL = """
SELECT county, count(*),
       count(*) FILTER (WHERE result = 'conforms'),
       count(*) FILTER (WHERE result = 'discrepancy'),
       count(*) FILTER (WHERE discrepancy_kind = 'wrongly_included'),
       count(*) FILTER (WHERE discrepancy_kind = 'wrongly_excluded'),
       count(*) FILTER (WHERE discrepancy_kind = 'wrong_amount')
FROM (
    SELECT substr(v.code, 1, %(ck)s) AS county, s.result, s.discrepancy_kind
    FROM verification_auditsample s
    JOIN households_household h ON h.id = s.household_id
    JOIN core_region v ON v.id = h.village_id
    WHERE substr(v.code, 1, %(ck)s) = ANY(%(counties)s)
      AND s.result <> 'pending' AND s.recorded_at >= %(start)s AND s.recorded_at < %(end)s
) x
GROUP BY ROLLUP (county)
"""

# Objections: the public's to the standing disclosure (received in the month, answered, their
# handling time in days, open past due on the cut-off day) and those to proposals' notices.
_OBJECTION_SQL = """
SELECT 'public', county,
       count(*) FILTER (WHERE received_at >= %(start)s AND received_at < %(end)s),
       count(*) FILTER (WHERE received_at >= %(start)s AND received_at < %(end)s
                          AND answered_at IS NOT NULL),
       count(*) FILTER (WHERE received_at < %(end)s AND due_on < %(cut)s
                          AND (answered_at IS NULL OR answered_at >= %(cut_end)s)),
       percentile_cont(0.5) WITHIN GROUP (
           ORDER BY extract(epoch FROM answered_at - received_at) / 86400.0
       ) FILTER (WHERE received_at >= %(start)s AND received_at < %(end)s
                   AND answered_at IS NOT NULL)
FROM (
    SELECT substr(r.code, 1, %(ck)s) AS county, o.received_at, o.answered_at, o.due_on
    FROM transitions_publicobjection o
    JOIN transitions_publication p ON p.id = o.publication_id
    JOIN core_region r ON r.id = p.region_id
    WHERE substr(r.code, 1, %(ck)s) = ANY(%(counties)s)
) x
GROUP BY ROLLUP (county)
UNION ALL
SELECT 'notice', county, count(*), 0, 0, NULL FROM (
    SELECT substr(v.code, 1, %(ck)s) AS county
    FROM assistance_objection o
    JOIN assistance_publicnotice n ON n.id = o.notice_id
    JOIN assistance_dibaocase c ON c.id = n.case_id
    JOIN core_region v ON v.id = c.village_id
    WHERE substr(v.code, 1, %(ck)s) = ANY(%(counties)s)
      AND o.received_on >= %(month)s AND o.received_on < %(next)s
) x
GROUP BY ROLLUP (county)
"""

# Paid in the month per fund: dibao from the district's approved payroll, the other
# programmes from their payments dated in the month.
_FUNDS_SQL = """
SELECT k.code AS county, 'dibao', coalesce(sum(l.total), 0)
FROM assistance_payrollline l
JOIN assistance_payroll p ON p.id = l.payroll_id
JOIN core_region k ON k.id = p.county_id
WHERE k.code = ANY(%(counties)s) AND p.month = %(month)s AND p.status = 'approved'
GROUP BY k.code
UNION ALL
SELECT substr(v.code, 1, %(ck)s), pc.programme, coalesce(sum(pc.amount), 0)
FROM assistance_programmecase pc
JOIN core_region v ON v.id = pc.village_id
WHERE substr(v.code, 1, %(ck)s) = ANY(%(counties)s)
  AND pc.paid_on >= %(month)s AND pc.paid_on < %(next)s AND pc.amount IS NOT NULL
  AND pc.status IN ('paid', 'closed')
GROUP BY 1, 2
"""

# Recipients (dibao households paid in the month) and active caseworkers, per town.
_STAFFING_SQL = """
WITH paying AS (
    SELECT substr(v.code, 1, %(tk)s) AS town, count(*) AS n
    FROM assistance_dibaocase c JOIN core_region v ON v.id = c.village_id
    WHERE substr(v.code, 1, %(ck)s) = ANY(%(counties)s)
      AND c.payment_start_month <= %(month)s
      AND (c.payment_stop_month > %(month)s
           OR (c.payment_stop_month IS NULL AND c.status = ANY(%(paying)s)))
    GROUP BY 1
), staff AS (
    SELECT t.code AS town, count(*) AS n
    FROM core_user u JOIN core_region t ON t.id = u.region_id
    WHERE u.is_active AND u.role = %(caseworker)s AND t.level = %(township)s
      AND substr(t.code, 1, %(ck)s) = ANY(%(counties)s)
    GROUP BY 1
)
SELECT t.id, coalesce(p.n, 0), coalesce(s.n, 0)
FROM core_region t
LEFT JOIN paying p ON p.town = t.code
LEFT JOIN staff s ON s.town = t.code
WHERE t.level = %(township)s AND substr(t.code, 1, %(ck)s) = ANY(%(counties)s)
ORDER BY t.code
"""

# Monitoring cases (防返贫): opened in the month, open on the cut-off day, and of those overdue.
_MONITORING_SQL = """
SELECT county,
       count(*) FILTER (WHERE opened_on >= %(month)s AND opened_on < %(next)s),
       count(*) FILTER (WHERE opened_on <= %(cut)s AND (closed_on IS NULL OR closed_on > %(cut)s)),
       count(*) FILTER (WHERE opened_on <= %(cut)s AND due_on < %(cut)s
                          AND (closed_on IS NULL OR closed_on > %(cut)s))
FROM (
    SELECT substr(v.code, 1, %(ck)s) AS county, m.opened_on, m.closed_on, m.due_on
    FROM transitions_monitoringcase m JOIN core_region v ON v.id = m.village_id
    WHERE substr(v.code, 1, %(ck)s) = ANY(%(counties)s)
) x
GROUP BY ROLLUP (county)
"""


def _rows(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def supervision_month(
    *, user: User, month: dt.date, today: dt.date | None = None
) -> SupervisionMonth:
    """Every supervision figure of the month for the districts `user` supervises (a fixed
    number of queries whatever the number of districts)."""
    if not supervision_allowed(user):
        raise PermissionDenied(_("Your role cannot see the supervision report."))
    today = today or timezone.localdate()
    month = month_start(month)
    nxt = first_of_next_month(month)
    cut = min(today, nxt - dt.timedelta(days=1))
    counties = list(supervision_counties(user))
    codes = [c.code for c in counties]
    p: dict[str, Any] = {
        "ck": COUNTY_LEN,
        "tk": TOWN_LEN,
        "counties": codes,
        "month": month,
        "next": nxt,
        "cut": cut,
        "start": _local_midnight(month),
        "end": _local_midnight(nxt),
        "cut_end": _local_midnight(cut + dt.timedelta(days=1)),
        "gone": [S.WITHDRAWN],
        "paying": list(PAYING),
        "caseworker": Role.CASEWORKER,
        "township": L.TOWNSHIP,
    }
    by: dict[str, DistrictFigures] = {c.code: DistrictFigures(region=c) for c in counties}
    total = DistrictFigures(region=None)
    by[TOTAL] = total

    def row(code: str | None) -> DistrictFigures | None:
        return by.get(TOTAL if code is None else code)

    # Procedure times.
    (lo,) = _rows(_PROCEDURE_RANGE_SQL, p)[0]
    p["wd"] = _working_days(lo, nxt) if lo else []
    for kind, code, n, late, median, p90 in _rows(_PROCEDURE_SQL, p):
        f = row(code)
        if f is None:
            continue
        if kind == "done":
            f.confirmed, f.confirmed_late = n, late
            f.median_wd, f.p90_wd = _q(median), _q(p90)
        else:
            f.procedure_overdue = n
    for kind, code, n in _rows(_OVERDUE_SQL, p):
        if (f := row(code)) is not None:
            setattr(f, f"{kind}_overdue", n)
    for code, n, ok, bad, incl, excl, amount in _rows(_AUDIT_SQL, p):
        if (f := row(code)) is not None:
            f.audited, f.audit_conforms, f.audit_discrepancies = n, ok, bad
            f.wrongly_included, f.wrongly_excluded, f.wrong_amount = incl, excl, amount
    for kind, code, n, answered, overdue, median in _rows(_OBJECTION_SQL, p):
        if (f := row(code)) is None:
            continue
        if kind == "public":
            f.objections, f.objections_answered, f.objections_overdue = n, answered, overdue
            f.objection_median_days = _q(median)
        else:
            f.notice_objections = n

    # Funds against budget (the total's budget: the districts' budgets that exist).
    for f in by.values():
        f.funds = {v: FundFigures(v, str(label)) for v, label in Fund.choices}
    for code, fund, paid in _rows(_FUNDS_SQL, p):
        if code in by and fund in total.funds:
            by[code].funds[fund].paid += paid
            total.funds[fund].paid += paid
    for b in (
        FundBudget.objects.in_force(month).filter(county__code__in=codes).select_related("county")
    ):
        for f in (by[b.county.code], total):
            fund = f.funds[b.fund]
            fund.budget = (fund.budget or Decimal("0")) + b.monthly_amount

    # Staffing, town by town.
    towns = {t.pk: t for t in Region.objects.filter(level=L.TOWNSHIP, parent__code__in=codes)}
    for town_id, recipients, caseworkers in _rows(_STAFFING_SQL, p):
        town = towns.get(town_id)
        if town is None or (f := by.get(town.code[:COUNTY_LEN])) is None:
            continue
        f.towns.append(TownStaffing(town, recipients, caseworkers))
        f.recipients += recipients
        f.caseworkers += caseworkers
        total.recipients += recipients
        total.caseworkers += caseworkers

    for code, opened, open_, overdue in _rows(_MONITORING_SQL, p):
        if (f := row(code)) is not None:
            f.monitoring_opened, f.monitoring_open, f.monitoring_overdue = opened, open_, overdue

    return SupervisionMonth(month=month, as_of=cut, districts=[by[c] for c in codes], total=total)


# ----------------------------------------------------------------------------- measures


@dataclass(frozen=True)
class Figure:
    key: str
    label: Any
    value: Callable[[DistrictFigures], Any]
    percent: bool = False
    chart: bool = True


@dataclass(frozen=True)
class Measure:
    """One sheet of the workbook, one chart and table of the page: figures by district."""

    key: str
    title: Any
    figures: tuple[Figure, ...]


def _fund_value(fund: str, attr: str) -> Callable[[DistrictFigures], Any]:
    def value(f: DistrictFigures) -> Any:
        return getattr(f.funds[fund], attr)

    return value


def _fund_figures() -> tuple[Figure, ...]:
    out: list[Figure] = []
    for value, label in Fund.choices:
        out += [
            Figure(
                f"{value}_paid",
                format_lazy(gettext_lazy("{fund}: paid (yuan)"), fund=label),
                _fund_value(value, "paid"),
            ),
            Figure(
                f"{value}_budget",
                format_lazy(gettext_lazy("{fund}: budget (yuan)"), fund=label),
                _fund_value(value, "budget"),
                chart=False,
            ),
            Figure(
                f"{value}_percent",
                format_lazy(gettext_lazy("{fund}: paid of budget (%)"), fund=label),
                _fund_value(value, "percent"),
                percent=True,
                chart=False,
            ),
        ]
    return tuple(out)


MEASURES: tuple[Measure, ...] = (
    Measure(
        "procedure",
        gettext_lazy("Procedure times"),
        (
            Figure("confirmed", gettext_lazy("Confirmed this month"), lambda f: f.confirmed),
            Figure(
                "median_wd",
                gettext_lazy("Median procedure time (working days)"),
                lambda f: f.median_wd,
            ),
            Figure(
                "p90_wd",
                gettext_lazy("90th percentile procedure time (working days)"),
                lambda f: f.p90_wd,
            ),
            Figure(
                "confirmed_late",
                gettext_lazy("Confirmed after the procedure limit"),
                lambda f: f.confirmed_late,
            ),
            Figure(
                "procedure_overdue",
                gettext_lazy("Procedures overdue"),
                lambda f: f.procedure_overdue,
            ),
        ),
    ),
    Measure(
        "overdue",
        gettext_lazy("Overdue reviews and phase-outs"),
        (
            Figure("reviews_overdue", gettext_lazy("Reviews overdue"), lambda f: f.reviews_overdue),
            Figure(
                "phase_outs_overdue",
                gettext_lazy("Phase-out re-assessments overdue"),
                lambda f: f.phase_outs_overdue,
            ),
        ),
    ),
    Measure(
        "audit",
        gettext_lazy("Sampling audit results"),
        (
            Figure("audited", gettext_lazy("Samples audited this month"), lambda f: f.audited),
            Figure("conforms", gettext_lazy("Conform"), lambda f: f.audit_conforms),
            Figure("discrepancies", gettext_lazy("Discrepancies"), lambda f: f.audit_discrepancies),
            Figure(
                "wrongly_included",
                gettext_lazy("Wrongly included"),
                lambda f: f.wrongly_included,
                chart=False,
            ),
            Figure(
                "wrongly_excluded",
                gettext_lazy("Wrongly excluded or exited"),
                lambda f: f.wrongly_excluded,
                chart=False,
            ),
            Figure(
                "wrong_amount", gettext_lazy("Wrong amount"), lambda f: f.wrong_amount, chart=False
            ),
            Figure(
                "discrepancy_percent",
                gettext_lazy("Discrepancy rate (%)"),
                lambda f: f.discrepancy_percent,
                percent=True,
                chart=False,
            ),
        ),
    ),
    Measure(
        "objections",
        gettext_lazy("Objections and their handling"),
        (
            Figure(
                "objections",
                gettext_lazy("Objections to the disclosure received"),
                lambda f: f.objections,
            ),
            Figure("answered", gettext_lazy("Of which answered"), lambda f: f.objections_answered),
            Figure(
                "objections_overdue",
                gettext_lazy("Objections unanswered past due"),
                lambda f: f.objections_overdue,
            ),
            Figure(
                "median_days",
                gettext_lazy("Median handling time (days)"),
                lambda f: f.objection_median_days,
                chart=False,
            ),
            Figure(
                "notice_objections",
                gettext_lazy("Objections to public notices of proposals"),
                lambda f: f.notice_objections,
            ),
        ),
    ),
    Measure("funds", gettext_lazy("Funds paid against budget"), _fund_figures()),
    Measure(
        "staffing",
        gettext_lazy("Recipients per caseworker"),
        (
            Figure("recipients", gettext_lazy("Dibao households paid"), lambda f: f.recipients),
            Figure("caseworkers", gettext_lazy("Caseworkers"), lambda f: f.caseworkers),
            Figure(
                "per_caseworker",
                gettext_lazy("Recipients per caseworker"),
                lambda f: f.per_caseworker,
            ),
            Figure(
                "towns_without_caseworker",
                gettext_lazy("Towns with recipients but no caseworker"),
                lambda f: f.towns_without_caseworker,
                chart=False,
            ),
        ),
    ),
    Measure(
        "monitoring",
        gettext_lazy("Return-to-poverty monitoring"),
        (
            Figure(
                "opened", gettext_lazy("Monitoring cases opened"), lambda f: f.monitoring_opened
            ),
            Figure("open", gettext_lazy("Monitoring cases open"), lambda f: f.monitoring_open),
            Figure(
                "overdue",
                gettext_lazy("Monitoring cases past their time limit"),
                lambda f: f.monitoring_overdue,
            ),
        ),
    ),
)


def measure_values(report: SupervisionMonth) -> list[dict[str, Any]]:
    """The measures with each figure's value per column (the API's and the tables' shape)."""
    return [
        {
            "key": m.key,
            "title": str(m.title),
            "figures": [
                {
                    "key": fig.key,
                    "label": str(fig.label),
                    "percent": fig.percent,
                    "chart": fig.chart,
                    "values": [fig.value(col) for col in report.columns],
                }
                for fig in m.figures
            ],
        }
        for m in MEASURES
    ]


def open_monitoring_count(user: User) -> int:
    """Open monitoring cases in the user's area (home tiles)."""
    from core.scope import scope_queryset

    return scope_queryset(
        MonitoringCase.objects.filter(status=MonitoringCase.Status.OPEN),
        user,
        region_field="village",
    ).count()
