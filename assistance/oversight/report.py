"""District report per month (supervision, domain.md §6 and §10): recipients, amounts paid, the
top-up level against its targets, applications by stage, procedure times and overdue counts.

Recipients and amounts come from the month's payroll lines when a payroll (draft or approved)
exists; otherwise they are estimated from the cases paying that month and their benefit ledger
(without the price subsidy, which only payroll adds).
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance.dibao import reviews
from assistance.models import BenefitAward, DibaoCase, Payroll, PayrollLine
from assistance.policy import selectors as policy_data
from core.calendar import is_working_day
from core.exports import CONTENT_TYPES
from core.models import CalendarOverride, Region, User
from core.months import first_of_next_month, month_start
from core.scope import is_city_level, region_in_scope
from households.models import Household

S = DibaoCase.Status

LEVEL_PLACES = Decimal("0.0001")  # the ratio to 4 places = percent to 2 places
PAYING_WITHOUT_STOP = (S.CONFIRMED, S.ACTIVE, S.UNDER_REVIEW)
REPORT_PERM = "assistance.view_dibaocase"


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

    @property
    def dibao_paid(self) -> Decimal:
        """Dibao paid including category supplements (the price subsidy is not dibao)."""
        return self.paid - self.price_subsidy

    @property
    def topup_level(self) -> Decimal | None:
        """dibao paid ÷ recipients (persons) ÷ standard, to 4 places."""
        if not self.persons or not self.standard:
            return None
        return (self.dibao_paid / self.persons / self.standard).quantize(
            LEVEL_PLACES, rounding=ROUND_HALF_UP
        )

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


@dataclass
class DistrictReport:
    county: Region
    month: dt.date
    as_of: dt.date
    source: str  # "payroll" or "cases"
    payroll: Payroll | None
    urban: HukouFigures
    rural: HukouFigures
    by_status: list[tuple[str, str, int]] = field(default_factory=list)
    applied_in_month: int = 0
    refused_in_month: int = 0
    confirmed_in_month: int = 0
    average_procedure_wd: Decimal | None = None
    confirmed_after_limit: int = 0
    procedure_overdue: int = 0
    reviews_overdue: int = 0
    reviews_not_opened: int = 0
    emergency_documentation_overdue: int = 0

    @property
    def households(self) -> int:
        return self.urban.households + self.rural.households

    @property
    def persons(self) -> int:
        return self.urban.persons + self.rural.persons

    @property
    def paid(self) -> Decimal:
        return self.urban.paid + self.rural.paid


# ----------------------------------------------------------------------------- scope


def report_allowed(user: User) -> bool:
    """District- and city-level users with read access to dibao; townships and villages not."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if not user.has_perm(REPORT_PERM) or user.region is None:
        return False
    return user.region.level in (Region.Level.COUNTY, Region.Level.CITY)


def report_counties(user: User) -> QuerySet[Region]:
    """The districts the user may report on: their own, or all of them at city level."""
    if not report_allowed(user):
        return Region.objects.none()
    counties = Region.objects.filter(level=Region.Level.COUNTY).order_by("code")
    if is_city_level(user):
        return counties
    return counties.filter(pk=user.region_id)  # type: ignore[misc]  # None matches nothing


# ----------------------------------------------------------------------------- figures


def _in_county(county: Region, prefix: str = "household__village__") -> Q:
    return Q(**{f"{prefix}path__startswith": county.path})


def _recipients_from_payroll(payroll: Payroll) -> dict[str, dict]:
    rows = (
        PayrollLine.objects.filter(payroll=payroll)
        .values("case__household__hukou_type")
        .annotate(
            households=Count("id"),
            persons=Sum("members"),
            paid=Sum("total"),
            subsidy=Sum("price_subsidy"),
        )
    )
    return {r["case__household__hukou_type"]: dict(r) for r in rows}


def _recipients_from_cases(county: Region, month: dt.date) -> dict[str, dict]:
    award = BenefitAward.objects.filter(case=OuterRef("pk"), effective_month__lte=month).order_by(
        "-effective_month", "-id"
    )
    rows = (
        DibaoCase.objects.filter(_in_county(county), payment_start_month__lte=month)
        .filter(
            Q(payment_stop_month__gt=month)
            | Q(payment_stop_month__isnull=True, status__in=PAYING_WITHOUT_STOP)
        )
        .annotate(
            a_total=Subquery(award.values("total")[:1]),
            a_members=Subquery(award.values("members")[:1]),
        )
        .filter(a_total__gt=0)
        .values_list("household__hukou_type", "a_total", "a_members")
    )
    out: dict[str, dict] = {}
    for hukou, total, members in rows.iterator(chunk_size=2000):
        r = out.setdefault(
            hukou, {"households": 0, "persons": 0, "paid": Decimal("0"), "subsidy": Decimal("0")}
        )
        r["households"] += 1
        r["persons"] += members or 0
        r["paid"] += total
    return out


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


def district_report(
    *, user: User, county: Region, month: dt.date, today: dt.date | None = None
) -> DistrictReport:
    if not report_allowed(user) or not region_in_scope(user, county):
        raise PermissionDenied(_("This district is outside your area of responsibility."))
    today = today or timezone.localdate()
    month = month_start(month)
    next_month = first_of_next_month(month)

    payroll = (
        Payroll.objects.filter(
            county=county,
            month=month,
            status__in=(Payroll.Status.DRAFT, Payroll.Status.APPROVED),
        )
        .select_related("county")
        .first()
    )
    if payroll is not None:
        rows, source = _recipients_from_payroll(payroll), "payroll"
    else:
        rows, source = _recipients_from_cases(county, month), "cases"

    try:
        standard = policy_data.standard_on(county, month)
    except ValidationError:
        standard = None
    figures = {}
    for hukou, key in (
        (Household.Hukou.URBAN, "topup_target_urban_pct"),
        (Household.Hukou.RURAL, "topup_target_rural_pct"),
    ):
        # Policy data (seeded from the Seed: urban 75 %, rural 50 % from 2018); none before 2018.
        try:
            target: Decimal | None = policy_data.parameter(key, month) / Decimal("100")
        except ValidationError:
            target = None
        r = rows.get(hukou, {})
        figures[hukou] = HukouFigures(
            hukou=hukou,
            label=str(Household.Hukou(hukou).label),
            households=r.get("households") or 0,
            persons=r.get("persons") or 0,
            paid=r.get("paid") or Decimal("0"),
            price_subsidy=r.get("subsidy") or Decimal("0"),
            standard=standard.amount_for(hukou) if standard else None,
            target=target,
        )

    cases = DibaoCase.objects.filter(_in_county(county))
    counts = dict(cases.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    by_status = [(s.value, str(s.label), counts.get(s.value, 0)) for s in S]

    confirmed = list(
        cases.filter(
            confirmed_on__gte=month, confirmed_on__lt=next_month, accepted_on__isnull=False
        ).values_list("accepted_on", "confirmed_on", "procedure_due")
    )
    days = _working_days([(a, c) for a, c, _d in confirmed if a and c])
    average = (
        (Decimal(sum(days)) / len(days)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if days
        else None
    )

    report = DistrictReport(
        county=county,
        month=month,
        as_of=today,
        source=source,
        payroll=payroll,
        urban=figures[Household.Hukou.URBAN],
        rural=figures[Household.Hukou.RURAL],
        by_status=by_status,
        applied_in_month=cases.filter(applied_on__gte=month, applied_on__lt=next_month).count(),
        refused_in_month=cases.filter(refused_on__gte=month, refused_on__lt=next_month).count(),
        confirmed_in_month=len(confirmed),
        average_procedure_wd=average,
        confirmed_after_limit=sum(1 for _a, c, due in confirmed if due and c and c > due),
        procedure_overdue=reviews.procedure_overdue(user=user, on=today)
        .filter(_in_county(county))
        .count(),
        reviews_overdue=reviews.reviews_overdue(user=user, on=today)
        .filter(_in_county(county, "case__household__village__"))
        .count(),
        reviews_not_opened=reviews.reviews_not_opened(user=user, on=today)
        .filter(_in_county(county))
        .count(),
        emergency_documentation_overdue=reviews.emergency_aid_undocumented(
            user=user, on=today, overdue_only=True
        )
        .filter(_in_county(county))
        .count(),
    )
    return report


# ----------------------------------------------------------------------------- export

XLSX = CONTENT_TYPES["xlsx"]


def report_xlsx(report: DistrictReport) -> bytes:
    """The report as a workbook (headers in the active language: Chinese by default)."""
    from openpyxl.styles import Font

    from core.exports import XlsxBook  # formula-safe

    book = XlsxBook()
    sheet = book.sheet(_("District report"))
    ws = sheet.ws  # styles only: values go through sheet.append (formula-safe)
    bold = Font(bold=True)
    sheet.append([_("District"), report.county.name, _("Month"), report.month.strftime("%Y-%m")])
    sheet.append(
        [
            _("Source"),
            _("Payroll") if report.source == "payroll" else _("Cases paying that month"),
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
    return book.to_bytes()
