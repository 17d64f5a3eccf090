"""Supervision report per month (domain.md §6 and §10): recipients, amounts paid, the top-up
level against its targets, applications by stage, procedure times and overdue counts — for an
area (the city, a district, a town) broken down one level down (districts, towns, villages).

Recipients and amounts come from the month's payroll lines where the district has a payroll
(draft or approved) for that month; otherwise they are estimated from the cases paying that month
and their benefit ledger (without the price subsidy, which only payroll adds).

Set-based: a fixed handful of GROUP BY queries whatever the number of cases or units (each
grouped by the leading digits of the village code: region codes nest, so a village's code starts
with its town's and its district's). No per-case subquery, no per-unit query.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance.dibao import reviews
from assistance.models import (
    DibaoCase,
    DibaoStandard,
    Payroll,
    PayrollLine,
    PolicyParameter,
)
from core.calendar import is_working_day
from core.exports import CONTENT_TYPES
from core.models import CalendarOverride, Region, User
from core.months import first_of_next_month, month_start
from core.scope import is_city_level, region_in_scope
from households.models import Household

S = DibaoCase.Status
L = Region.Level

LEVEL_PLACES = Decimal("0.0001")  # the ratio to 4 places = percent to 2 places
PAYING_WITHOUT_STOP = (S.CONFIRMED, S.ACTIVE, S.UNDER_REVIEW)
REPORT_PERM = "assistance.view_dibaocase"
# The area a user reports on and the level its breakdown shows.
REPORT_LEVELS = (L.CITY, L.COUNTY, L.TOWNSHIP)
CHILD_LEVEL = {L.CITY: L.COUNTY, L.COUNTY: L.TOWNSHIP, L.TOWNSHIP: L.VILLAGE}
TARGET_KEYS: dict[str, str] = {
    Household.Hukou.URBAN: PolicyParameter.Key.TOPUP_TARGET_URBAN_PCT,
    Household.Hukou.RURAL: PolicyParameter.Key.TOPUP_TARGET_RURAL_PCT,
}
COUNTY_CODE_LENGTH = Region.CODE_LENGTH[L.COUNTY]


@dataclass
class HukouFigures:
    hukou: str
    label: str
    households: int = 0
    persons: int = 0
    paid: Decimal = Decimal("0")  # everything paid that month, price subsidy included
    price_subsidy: Decimal = Decimal("0")
    standard: Decimal | None = None
    target: Decimal | None = None
    # Σ persons × standard of the parts, when the parts have different standards (the city).
    standard_weight: Decimal | None = None

    @property
    def dibao_paid(self) -> Decimal:
        """Dibao paid including category supplements (the price subsidy is not dibao)."""
        return self.paid - self.price_subsidy

    @property
    def weight(self) -> Decimal | None:
        if self.standard_weight is not None:
            return self.standard_weight
        if self.standard is None:
            return None
        return self.standard * self.persons

    @property
    def topup_level(self) -> Decimal | None:
        """dibao paid ÷ recipients (persons) ÷ standard, to 4 places (over several districts:
        ÷ Σ persons × their district's standard)."""
        weight = self.weight
        if not self.persons or not weight:
            return None
        return (self.dibao_paid / weight).quantize(LEVEL_PLACES, rounding=ROUND_HALF_UP)

    @property
    def topup_percent(self) -> Decimal | None:
        level = self.topup_level
        return None if level is None else (level * 100).quantize(Decimal("0.01"))

    @property
    def target_percent(self) -> Decimal | None:
        return None if self.target is None else (self.target * 100).quantize(Decimal("1"))

    @property
    def meets_target(self) -> bool | None:
        level = self.topup_level
        if level is None or self.target is None:
            return None
        return level >= self.target

    @classmethod
    def combined(cls, hukou: str, label: str, parts: list["HukouFigures"]) -> "HukouFigures":
        standards = {p.standard for p in parts if p.persons}
        weights = [p.weight for p in parts if p.persons]
        targets = {p.target for p in parts}
        return cls(
            hukou=hukou,
            label=label,
            households=sum(p.households for p in parts),
            persons=sum(p.persons for p in parts),
            paid=sum((p.paid for p in parts), Decimal("0")),
            price_subsidy=sum((p.price_subsidy for p in parts), Decimal("0")),
            standard=standards.pop() if len(standards) == 1 else None,
            target=targets.pop() if len(targets) == 1 else None,
            standard_weight=(
                None
                if any(w is None for w in weights)
                else sum((w for w in weights if w is not None), Decimal("0"))
            ),
        )


@dataclass
class UnitFigures:
    """The month's figures of one area (a district, a town, a village, or their total)."""

    region: Region
    urban: HukouFigures
    rural: HukouFigures
    source: str = "cases"  # "payroll", "cases" or (a total over districts) "mixed"
    status_counts: dict[str, int] = field(default_factory=dict)
    applied_in_month: int = 0
    refused_in_month: int = 0
    confirmed_in_month: int = 0
    confirmed_after_limit: int = 0
    procedure_overdue: int = 0
    reviews_overdue: int = 0
    reviews_not_opened: int = 0
    emergency_documentation_overdue: int = 0
    procedure_days: list[int] = field(default_factory=list)  # working days, confirmed this month

    @property
    def households(self) -> int:
        return self.urban.households + self.rural.households

    @property
    def persons(self) -> int:
        return self.urban.persons + self.rural.persons

    @property
    def paid(self) -> Decimal:
        return self.urban.paid + self.rural.paid

    @property
    def by_status(self) -> list[tuple[str, str, int]]:
        return [(s.value, str(s.label), self.status_counts.get(s.value, 0)) for s in S]

    @property
    def cases(self) -> int:
        return sum(self.status_counts.values())

    @property
    def average_procedure_wd(self) -> Decimal | None:
        days = self.procedure_days
        if not days:
            return None
        return (Decimal(sum(days)) / len(days)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    COUNTS = (
        "applied_in_month",
        "refused_in_month",
        "confirmed_in_month",
        "confirmed_after_limit",
        "procedure_overdue",
        "reviews_overdue",
        "reviews_not_opened",
        "emergency_documentation_overdue",
    )

    @classmethod
    def combined(cls, region: Region, parts: list["UnitFigures"]) -> "UnitFigures":
        sources = {p.source for p in parts if p.persons} or {"cases"}
        status: dict[str, int] = defaultdict(int)
        for p in parts:
            for k, n in p.status_counts.items():
                status[k] += n
        out = cls(
            region=region,
            urban=HukouFigures.combined(
                Household.Hukou.URBAN, str(Household.Hukou.URBAN.label), [p.urban for p in parts]
            ),
            rural=HukouFigures.combined(
                Household.Hukou.RURAL, str(Household.Hukou.RURAL.label), [p.rural for p in parts]
            ),
            source=sources.pop() if len(sources) == 1 else "mixed",
            status_counts=dict(status),
            procedure_days=[d for p in parts for d in p.procedure_days],
        )
        for name in cls.COUNTS:
            setattr(out, name, sum(getattr(p, name) for p in parts))
        return out


@dataclass
class AreaReport:
    """An area's month: its total and the breakdown one level down (`units`)."""

    region: Region
    month: dt.date
    as_of: dt.date
    total: UnitFigures
    units: list[UnitFigures]
    unit_level: str
    payroll: Payroll | None = None  # the district's payroll (district and town reports)

    def __getattr__(self, name: str) -> Any:
        # The area's own figures read as the report's (report.urban, report.persons…).
        if name.startswith("__") or name == "total":
            raise AttributeError(name)
        return getattr(self.total, name)

    @property
    def county(self) -> Region:
        return self.region

    @property
    def unit_level_label(self) -> str:
        return str(L(self.unit_level).label)


DistrictReport = AreaReport  # the name the district page and its tests grew up with


# ----------------------------------------------------------------------------- scope


# Checks other apps add to the report without assistance importing them (e.g. transitions' two-line
# unification): fn(region, day) -> [{"key", "title", "ok", "text"}], registered in ready().
ReportNote = dict[str, object]
report_note_providers: list[Callable[[Region, dt.date], list[ReportNote]]] = []


def report_notes(region: Region, day: dt.date) -> list[ReportNote]:
    return [note for provider in report_note_providers for note in provider(region, day)]


def report_allowed(user: User) -> bool:
    """Town, district and city users with read access to dibao; villages not."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if not user.has_perm(REPORT_PERM) or user.region is None:
        return False
    return user.region.level in REPORT_LEVELS


def report_counties(user: User) -> QuerySet[Region]:
    """The districts the user may report on: their own, or all of them at city level."""
    if not report_allowed(user):
        return Region.objects.none()
    counties = Region.objects.filter(level=L.COUNTY).order_by("code")
    if is_city_level(user):
        return counties
    return counties.filter(path__startswith=user.region.path)  # type: ignore[union-attr]


def report_home_region(user: User) -> Region | None:
    """The area a user's report opens on: their own (the city for a superuser)."""
    if not report_allowed(user):
        return None
    if user.region is not None and user.region.level in REPORT_LEVELS:
        return user.region
    return Region.objects.filter(level=L.CITY).order_by("code").first()


def report_region_get(user: User, code: str) -> Region | None:
    """The area with this code if the user may report on it (None: unknown or not theirs)."""
    if not report_allowed(user):
        return None
    region = Region.objects.filter(code=code, level__in=REPORT_LEVELS).first()
    if region is None or not region_in_scope(user, region):
        return None
    return region


# ----------------------------------------------------------------------------- figures


def _unit_key(k: int, prefix: str = "household__village__") -> Substr:
    return Substr(f"{prefix}code", 1, k)


def _in_area(area: Region, prefix: str = "household__village__") -> Q:
    return Q(**{f"{prefix}path__startswith": area.path})


def _working_days(pairs: list[tuple[dt.date, dt.date]]) -> list[int]:
    """Working days after start up to and including end, for many pairs with one query."""
    if not pairs:
        return []
    lo = min(a for a, _b in pairs)
    hi = max(b for _a, b in pairs)
    overrides = dict(
        CalendarOverride.objects.filter(date__gt=lo, date__lte=hi).values_list(
            "date", "is_working_day"
        )
    )
    cache: dict[dt.date, bool] = {}

    def working(day: dt.date) -> bool:
        if day not in cache:
            cache[day] = is_working_day(day, overrides=overrides)
        return cache[day]

    return [
        sum(1 for i in range(1, (b - a).days + 1) if working(a + dt.timedelta(days=i)))
        if b > a
        else 0
        for a, b in pairs
    ]


# One statement: the area's cases joined once to their village (materialised), then every
# figure grouped by unit from that set — by status with the month's and overdue counts, the
# estimated payments (the award in force that month of each case paying it, in districts without
# a payroll), the procedure times of the month's confirmations, open reviews past due and
# reviews due but not opened. Columns: kind, unit, key, n1…n6, amount, date1, date2.
_CASES_SQL = """
WITH c AS MATERIALIZED (
    SELECT c.id, c.status, c.applied_on, c.accepted_on, c.refused_on, c.confirmed_on,
           c.procedure_due, c.payment_start_month, c.payment_stop_month, c.next_review_due,
           substr(v.code, 1, %(k)s) AS unit, substr(v.code, 1, %(ck)s) AS county, h.hukou_type
    FROM assistance_dibaocase c
    -- The case's copy of its household's village (indexed, kept by the database): the area's
    -- cases first, then only their households (not the area's 19,000 households).
    JOIN core_region v ON v.id = c.village_id
    JOIN households_household h ON h.id = c.household_id
    WHERE v.path LIKE %(path)s
), paying AS (
    SELECT id, unit, hukou_type FROM c
    WHERE payment_start_month <= %(month)s
      AND (payment_stop_month > %(month)s
           OR (payment_stop_month IS NULL AND status = ANY(%(paying)s)))
      AND NOT (county = ANY(%(with_payroll)s))
), latest AS (
    SELECT DISTINCT ON (a.case_id) a.case_id, a.total, a.members
    FROM assistance_benefitaward a
    JOIN paying p ON p.id = a.case_id
    WHERE a.effective_month <= %(month)s
    ORDER BY a.case_id, a.effective_month DESC, a.id DESC
)
SELECT 'status'::text, unit, status::text, count(*),
       count(*) FILTER (WHERE applied_on >= %(month)s AND applied_on < %(next)s),
       count(*) FILTER (WHERE refused_on >= %(month)s AND refused_on < %(next)s),
       count(*) FILTER (WHERE confirmed_on >= %(month)s AND confirmed_on < %(next)s
                          AND accepted_on IS NOT NULL),
       count(*) FILTER (WHERE confirmed_on >= %(month)s AND confirmed_on < %(next)s
                          AND accepted_on IS NOT NULL AND confirmed_on > procedure_due),
       count(*) FILTER (WHERE status = ANY(%(before)s) AND procedure_due < %(today)s),
       NULL::numeric, NULL::date, NULL::date
FROM c GROUP BY unit, status
UNION ALL
SELECT 'paid', p.unit, p.hukou_type::text, count(*), coalesce(sum(l.members), 0), 0, 0, 0, 0,
       coalesce(sum(l.total), 0), NULL, NULL
FROM paying p JOIN latest l ON l.case_id = p.id
WHERE l.total > 0
GROUP BY p.unit, p.hukou_type
UNION ALL
SELECT 'pair', unit, NULL, 0, 0, 0, 0, 0, 0, NULL, accepted_on, confirmed_on
FROM c
WHERE confirmed_on >= %(month)s AND confirmed_on < %(next)s AND accepted_on IS NOT NULL
UNION ALL
SELECT 'reviews_overdue', c.unit, NULL, count(*), 0, 0, 0, 0, 0, NULL, NULL, NULL
FROM assistance_casereview r JOIN c ON c.id = r.case_id
WHERE r.closed_on IS NULL AND r.due_on < %(today)s
GROUP BY c.unit
UNION ALL
SELECT 'reviews_not_opened', unit, NULL, count(*), 0, 0, 0, 0, 0, NULL, NULL, NULL
FROM c
WHERE status = ANY(%(reviewable)s) AND next_review_due <= %(yesterday)s
  AND NOT EXISTS (
      SELECT 1 FROM assistance_casereview r WHERE r.case_id = c.id AND r.closed_on IS NULL
  )
GROUP BY unit
"""


def _case_figures(
    area: Region,
    k: int,
    *,
    month: dt.date,
    next_month: dt.date,
    today: dt.date,
    with_payroll: list[str],
) -> list[tuple[Any, ...]]:
    with connection.cursor() as cur:
        cur.execute(
            _CASES_SQL,
            {
                "k": k,
                "ck": COUNTY_CODE_LENGTH,
                "path": area.path.replace("%", r"\%").replace("_", r"\_") + "%",
                "month": month,
                "next": next_month,
                "today": today,
                # reviews.cases_due_for_review(on=yesterday): due before today, never opened.
                "yesterday": today - dt.timedelta(days=1),
                "paying": list(PAYING_WITHOUT_STOP),
                "before": list(reviews.BEFORE_CONFIRMATION),
                "reviewable": list(reviews.REVIEWABLE),
                "with_payroll": with_payroll,
            },
        )
        return list(cur.fetchall())


def _recipients_from_payrolls(
    area: Region, k: int, payrolls: list[Payroll]
) -> list[tuple[str, str, int, int, Decimal, Decimal]]:
    if not payrolls:
        return []
    rows = (
        PayrollLine.objects.filter(payroll__in=payrolls)
        .filter(_in_area(area, "case__household__village__"))
        .annotate(area_unit=_unit_key(k, "case__household__village__"))
        .values("area_unit", "case__household__hukou_type")
        .annotate(
            n=Count("id"), persons=Sum("members"), paid=Sum("total"), sub=Sum("price_subsidy")
        )
        .order_by()
    )
    return [
        (
            r["area_unit"],
            r["case__household__hukou_type"],
            r["n"],
            r["persons"] or 0,
            r["paid"] or Decimal("0"),
            r["sub"] or Decimal("0"),
        )
        for r in rows
    ]


def _grouped_counts(qs: QuerySet[Any], k: int, prefix: str) -> dict[str, int]:
    rows = (
        qs.annotate(area_unit=_unit_key(k, prefix))
        .values("area_unit")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["area_unit"]: r["n"] for r in rows}


def area_report(
    *, user: User, region: Region, month: dt.date, today: dt.date | None = None
) -> AreaReport:
    """The month's figures of `region` (city, district or town) and of each unit one level down."""
    if not report_allowed(user) or not region_in_scope(user, region):
        raise PermissionDenied(_("This area is outside your area of responsibility."))
    if region.level not in REPORT_LEVELS:
        raise PermissionDenied(_("Reports are made for the city, a district or a town."))
    today = today or timezone.localdate()
    month = month_start(month)
    next_month = first_of_next_month(month)
    unit_level = CHILD_LEVEL[L(region.level)]
    k = Region.CODE_LENGTH[unit_level]

    units = list(
        Region.objects.filter(level=unit_level, path__startswith=region.path).order_by("code")
    )
    county_codes = (
        sorted({u.code[:COUNTY_CODE_LENGTH] for u in units})
        if region.level == L.CITY
        else [region.code[:COUNTY_CODE_LENGTH]]
    )
    payrolls = list(
        Payroll.objects.filter(
            county__code__in=county_codes,
            month=month,
            status__in=(Payroll.Status.DRAFT, Payroll.Status.APPROVED),
        ).select_related("county")
    )
    payroll_counties = {p.county.code for p in payrolls}
    recipients = _recipients_from_payrolls(region, k, payrolls)

    standards: dict[str, DibaoStandard] = {}
    for s in (
        DibaoStandard.objects.in_force(month)
        .filter(county__code__in=county_codes)
        .select_related("county")
        .order_by("county__code", "-valid_from")
    ):
        standards.setdefault(s.county.code, s)
    targets: dict[str, Decimal] = {}
    for p in (
        PolicyParameter.objects.in_force(month)
        .filter(key__in=TARGET_KEYS.values())
        .order_by("key", "-valid_from")
    ):
        targets.setdefault(p.key, p.value / Decimal("100"))

    rows = _case_figures(
        region,
        k,
        month=month,
        next_month=next_month,
        today=today,
        with_payroll=sorted(payroll_counties),
    )
    pairs = [(r[1], r[10], r[11]) for r in rows if r[0] == "pair"]
    days = _working_days([(a, c) for _u, a, c in pairs])
    emergency = _grouped_counts(
        reviews.emergency_aid_undocumented(user=user, on=today, overdue_only=True).filter(
            _in_area(region)
        ),
        k,
        "household__village__",
    )

    # Assemble (no query below).
    by_unit: dict[str, UnitFigures] = {}
    for u in units:
        cc = u.code[:COUNTY_CODE_LENGTH]
        std = standards.get(cc)
        hf = {
            h: HukouFigures(
                hukou=h,
                label=str(Household.Hukou(h).label),
                standard=std.amount_for(h) if std else None,
                target=targets.get(key),
            )
            for h, key in TARGET_KEYS.items()
        }
        by_unit[u.code] = UnitFigures(
            region=u,
            urban=hf[Household.Hukou.URBAN],
            rural=hf[Household.Hukou.RURAL],
            source="payroll" if cc in payroll_counties else "cases",
        )
    recipients += [(r[1], r[2], r[3], r[4], r[9], Decimal("0")) for r in rows if r[0] == "paid"]
    for unit, hukou, n, persons, paid, sub in recipients:
        f = by_unit.get(unit)
        if f is None or hukou not in TARGET_KEYS:
            continue
        h = f.urban if hukou == Household.Hukou.URBAN else f.rural
        h.households += n
        h.persons += persons
        h.paid += paid
        h.price_subsidy += sub
    for kind, unit, key, n, applied, refused, confirmed, late, overdue, *_rest in rows:
        f = by_unit.get(unit)
        if f is None:
            continue
        if kind == "status":
            f.status_counts[key] = f.status_counts.get(key, 0) + n
            f.applied_in_month += applied
            f.refused_in_month += refused
            f.confirmed_in_month += confirmed
            f.confirmed_after_limit += late
            f.procedure_overdue += overdue
        elif kind in ("reviews_overdue", "reviews_not_opened"):
            setattr(f, kind, n)
    for (unit, _a, _c), d in zip(pairs, days, strict=True):
        if unit in by_unit:
            by_unit[unit].procedure_days.append(d)
    for unit, n in emergency.items():
        if unit in by_unit:
            by_unit[unit].emergency_documentation_overdue = n

    unit_list = list(by_unit.values())
    total = UnitFigures.combined(region, unit_list)
    if region.level != L.CITY:
        # One district: its own standard (also when nobody is paid) and its payroll.
        std = standards.get(county_codes[0])
        for h in (total.urban, total.rural):
            if std is not None:
                h.standard = std.amount_for(h.hukou)
                h.standard_weight = None
            h.target = targets.get(TARGET_KEYS[h.hukou])
        total.source = "payroll" if payroll_counties else "cases"
    return AreaReport(
        region=region,
        month=month,
        as_of=today,
        total=total,
        units=unit_list,
        unit_level=unit_level,
        payroll=payrolls[0] if region.level != L.CITY and payrolls else None,
    )


def district_report(
    *, user: User, county: Region, month: dt.date, today: dt.date | None = None
) -> AreaReport:
    """A district's month with its towns (the report the district reviewer works from)."""
    if county.level != L.COUNTY:
        raise PermissionDenied(_("This area is outside your area of responsibility."))
    return area_report(user=user, region=county, month=month, today=today)


# ----------------------------------------------------------------------------- export

XLSX = CONTENT_TYPES["xlsx"]


def report_xlsx(report: AreaReport) -> bytes:
    """The report as a workbook (headers in the active language: Chinese by default): the area's
    summary, then one row per unit with every figure the charts show."""
    from openpyxl.styles import Font

    from core.exports import XlsxBook  # formula-safe

    book = XlsxBook()
    sheet = book.sheet(_("District report"))
    ws = sheet.ws  # styles only: values go through sheet.append (formula-safe)
    bold = Font(bold=True)
    sheet.append([_("District"), report.region.name, _("Month"), report.month.strftime("%Y-%m")])
    source = {
        "payroll": _("Payroll"),
        "cases": _("Cases paying that month"),
        "mixed": _("Payroll where built, otherwise the cases paying that month"),
    }
    sheet.append(
        [
            _("Source"),
            source[report.source],
            _("Overdue counts as of"),
            report.as_of.isoformat(),
        ]
    )
    sheet.append([])
    sheet.append(
        [
            _("Hukou"),
            _("Households"),
            _("Persons"),
            _("Paid (yuan)"),
            _("Of which price subsidy"),
            _("Dibao standard"),
            _("Top-up level"),
            _("Target"),
            _("Meets target"),
        ]
    )
    for cell in ws[ws.max_row]:
        cell.font = bold
    for f in (report.urban, report.rural):
        sheet.append(
            [
                f.label,
                f.households,
                f.persons,
                f.paid,
                f.price_subsidy,
                f.standard,
                f.topup_level,
                f.target,
                "" if f.meets_target is None else (_("Yes") if f.meets_target else _("No")),
            ]
        )
        for col in ("G", "H"):
            ws[f"{col}{ws.max_row}"].number_format = "0.00%"
    sheet.append([_("Total"), report.households, report.persons, report.paid])
    sheet.append([])
    sheet.append([_("Status"), _("Cases")])
    ws[ws.max_row][0].font = ws[ws.max_row][1].font = bold
    for _code, label, n in report.by_status:
        sheet.append([label, n])
    sheet.append([])
    for label, value in (
        (_("Applications received this month"), report.applied_in_month),
        (_("Refused this month"), report.refused_in_month),
        (_("Confirmed this month"), report.confirmed_in_month),
        (_("Average procedure time (working days)"), report.average_procedure_wd),
        (_("Confirmed after the procedure limit"), report.confirmed_after_limit),
        (_("Procedures overdue"), report.procedure_overdue),
        (_("Reviews overdue"), report.reviews_overdue),
        (_("Reviews due but not opened"), report.reviews_not_opened),
        (_("Emergency aid documentation overdue"), report.emergency_documentation_overdue),
    ):
        sheet.append([label, value])
    ws.column_dimensions["A"].width = 36

    # One row per unit (district, town or village): the numbers behind the charts.
    units = book.sheet(_("By %(level)s") % {"level": report.unit_level_label})
    uws = units.ws
    headers = [
        _("Code"),
        report.unit_level_label,
        _("Urban households"),
        _("Urban persons"),
        _("Rural households"),
        _("Rural persons"),
        _("Paid (yuan)"),
        _("Urban top-up level"),
        _("Urban target"),
        _("Rural top-up level"),
        _("Rural target"),
        *[str(s.label) for s in S],
        _("Applications received this month"),
        _("Confirmed this month"),
        _("Procedures overdue"),
        _("Reviews overdue"),
        _("Reviews due but not opened"),
    ]
    units.append(headers)
    for cell in uws[uws.max_row]:
        cell.font = bold
    for u in [*report.units, report.total]:
        units.append(
            [
                u.region.code if u is not report.total else "",
                u.region.name if u is not report.total else _("Total"),
                u.urban.households,
                u.urban.persons,
                u.rural.households,
                u.rural.persons,
                u.paid,
                u.urban.topup_level,
                u.urban.target,
                u.rural.topup_level,
                u.rural.target,
                *[n for _c, _l, n in u.by_status],
                u.applied_in_month,
                u.confirmed_in_month,
                u.procedure_overdue,
                u.reviews_overdue,
                u.reviews_not_opened,
            ]
        )
        for col in ("H", "I", "J", "K"):
            uws[f"{col}{uws.max_row}"].number_format = "0.00%"
    uws.column_dimensions["B"].width = 20
    return book.to_bytes()


# ----------------------------------------------------------------------------- chart sections


@dataclass
class Column:
    key: str
    label: str
    chart: bool = True  # drawn as a series (the table shows every column)
    percent: bool = False


@dataclass
class Section:
    """One chart and its table: a row per unit, a column per figure, the area's total last."""

    key: str
    title: str
    columns: list[Column]
    rows: list[tuple[Region, list[Any]]]
    total: list[Any]
    stack: bool = False
    targets: list[tuple[str, Decimal]] = field(default_factory=list)  # (label, percent)

    def chart(self) -> dict[str, Any]:
        """The chart's data for static/js/charts.js (read from a json_script)."""

        def num(v: Any) -> float | int | None:
            return float(v) if isinstance(v, Decimal) else v

        drawn = [(i, c) for i, c in enumerate(self.columns) if c.chart]
        return {
            "title": self.title,
            "categories": [r.name for r, _v in self.rows],
            "series": [
                {"name": c.label, "data": [num(v[i]) for _r, v in self.rows]} for i, c in drawn
            ],
            "stack": self.stack,
            "percent": any(c.percent for _i, c in drawn),
            "targets": [{"name": label, "value": float(v)} for label, v in self.targets],
        }


def report_sections(report: AreaReport) -> list[Section]:
    """The figures the dashboard charts, unit by unit (the xlsx has the same numbers)."""
    urban, rural = str(Household.Hukou.URBAN.label), str(Household.Hukou.RURAL.label)

    def section(key: str, title: str, columns: list[Column], values: Any, **kw: Any) -> Section:
        return Section(
            key=key,
            title=title,
            columns=columns,
            rows=[(u.region, values(u)) for u in report.units],
            total=values(report.total),
            **kw,
        )

    targets = [
        (_("%(hukou)s target") % {"hukou": f.label}, f.target_percent)
        for f in (report.urban, report.rural)
        if f.target_percent is not None
    ]
    used = [s for s in S if report.total.status_counts.get(s.value)] or [S.APPLIED]
    return [
        section(
            "recipients",
            _("Recipients (persons)"),
            [
                Column("urban_persons", urban),
                Column("rural_persons", rural),
                Column("urban_households", _("Urban households"), chart=False),
                Column("rural_households", _("Rural households"), chart=False),
            ],
            lambda u: [u.urban.persons, u.rural.persons, u.urban.households, u.rural.households],
            stack=True,
        ),
        section(
            "paid",
            _("Amounts paid (yuan)"),
            [
                Column("paid", _("Paid (yuan)")),
                Column("price_subsidy", _("Of which price subsidy"), chart=False),
            ],
            lambda u: [u.paid, u.urban.price_subsidy + u.rural.price_subsidy],
        ),
        section(
            "topup",
            _("Top-up level against the targets (%)"),
            [
                Column("urban_level", urban, percent=True),
                Column("rural_level", rural, percent=True),
            ],
            lambda u: [u.urban.topup_percent, u.rural.topup_percent],
            targets=targets,
        ),
        section(
            "stages",
            _("Applications by stage"),
            [Column(s.value, str(s.label)) for s in used],
            lambda u: [u.status_counts.get(s.value, 0) for s in used],
            stack=True,
        ),
        section(
            "month",
            _("This month's applications"),
            [
                Column("applied", _("Applications received this month")),
                Column("confirmed", _("Confirmed this month")),
                Column("refused", _("Refused this month")),
                Column("avg_wd", _("Average procedure time (working days)"), chart=False),
            ],
            lambda u: [
                u.applied_in_month,
                u.confirmed_in_month,
                u.refused_in_month,
                u.average_procedure_wd,
            ],
        ),
        section(
            "overdue",
            _("Overdue procedures and reviews"),
            [
                Column("procedure_overdue", _("Procedures overdue")),
                Column("reviews_overdue", _("Reviews overdue")),
                Column("reviews_not_opened", _("Reviews due but not opened")),
                Column("emergency", _("Emergency aid documentation overdue")),
            ],
            lambda u: [
                u.procedure_overdue,
                u.reviews_overdue,
                u.reviews_not_opened,
                u.emergency_documentation_overdue,
            ],
        ),
    ]
