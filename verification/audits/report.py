"""The audit report of a plan, per district and for the whole plan (the city, for a city-wide
plan): sample sizes per stratum, conforming and discrepant counts, and the estimated rates with
their 95 % intervals (verification.audits.estimates), compared with the targets in force
(policy data, verification.AuditPolicy):

- wrongful inclusion (错评): recipient frame, discrepancies "wrongly included";
- wrongful exclusion (漏评): excluded frame (refused and exited), "wrongly excluded";
- wrongful exit (错退): the exited strata of that frame alone.

Two queries whatever the plan's size: the strata with their counts, and the districts' names.

Only a drawn, not cancelled plan has a report (`reportable`, which the pages and the export
check): a cancelled audit's results count for nothing, so no estimate is shown from them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from core import exports
from core.models import Region

from ..models import AuditPlan, AuditSample, AuditStratum
from . import estimates
from .selectors import COUNTED
from .services import policy_in_force

R = AuditSample.Result
D = AuditSample.Discrepancy
RECORDED = (R.CONFORMS, R.DISCREPANCY)
COUNTY_CODE = Region.CODE_LENGTH[Region.Level.COUNTY]


@dataclass(frozen=True)
class StratumRow:
    frame: str
    frame_label: str
    town: str
    category: str
    category_label: str
    population: int
    sample_size: int
    weight: Decimal
    recorded: int
    conforming: int
    discrepant: int
    included: int
    excluded: int
    amount: int


@dataclass(frozen=True)
class Rate:
    key: str
    label: Any
    estimate: estimates.Estimate
    target: Decimal

    @property
    def meets(self) -> bool | None:
        """Whether the target is met (the estimate at most the target); None: no estimate."""
        if self.estimate.percent is None:
            return None
        return Decimal(str(self.estimate.percent)) <= self.target


@dataclass
class Section:
    """A district, or the whole plan."""

    name: str
    code: str
    strata: list[StratumRow] = field(default_factory=list)
    rates: list[Rate] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        keys = ("population", "sample_size", "recorded", "conforming", "discrepant")
        return {k: sum(getattr(s, k) for s in self.strata) for k in keys}


@dataclass
class Report:
    plan: AuditPlan
    districts: list[Section]
    total: Section


RATES: tuple[tuple[str, Any, Callable[[StratumRow], bool], str, str], ...] = (
    (
        "inclusion",
        _("Wrongful inclusion (错评率)"),
        lambda s: s.frame == "recipient",
        "included",
        "max_inclusion_percent",
    ),
    (
        "exclusion",
        _("Wrongful exclusion (漏评率)"),
        lambda s: s.frame == "excluded",
        "excluded",
        "max_exclusion_percent",
    ),
    (
        "exit",
        _("Wrongful exit (错退率)"),
        lambda s: s.frame == "excluded" and s.category == "exited",
        "excluded",
        "max_exit_percent",
    ),
)


def _rates(rows: Iterable[StratumRow], policy: Any) -> list[Rate]:
    rows = list(rows)
    out = []
    for key, label, keep, wrong, target in RATES:
        counts = [
            estimates.StratumCount(s.population, s.recorded, getattr(s, wrong))
            for s in rows
            if keep(s)
        ]
        out.append(Rate(key, label, estimates.stratified(counts), getattr(policy, target)))
    return out


def reportable(plan: AuditPlan) -> bool:
    return plan.status in COUNTED


def plan_report(plan: AuditPlan) -> Report:
    strata = (
        AuditStratum.objects.filter(plan=plan)
        .select_related("town")
        .annotate(
            recorded=Count("samples", filter=Q(samples__result__in=RECORDED)),
            conforming=Count("samples", filter=Q(samples__result=R.CONFORMS)),
            discrepant=Count("samples", filter=Q(samples__result=R.DISCREPANCY)),
            included=Count("samples", filter=Q(samples__discrepancy_kind=D.WRONGLY_INCLUDED)),
            excluded=Count("samples", filter=Q(samples__discrepancy_kind=D.WRONGLY_EXCLUDED)),
            amount=Count("samples", filter=Q(samples__discrepancy_kind=D.WRONG_AMOUNT)),
        )
        .order_by("town__code", "-frame", "category")
    )
    rows_by_county: dict[str, list[StratumRow]] = {}
    for s in strata:
        row = StratumRow(
            frame=s.frame,
            frame_label=s.get_frame_display(),
            town=s.town.name,
            category=s.category,
            category_label=s.get_category_display(),
            population=s.population,
            sample_size=s.sample_size,
            weight=s.weight.quantize(Decimal("0.01")),
            recorded=s.recorded,  # type: ignore[attr-defined]
            conforming=s.conforming,  # type: ignore[attr-defined]
            discrepant=s.discrepant,  # type: ignore[attr-defined]
            included=s.included,  # type: ignore[attr-defined]
            excluded=s.excluded,  # type: ignore[attr-defined]
            amount=s.amount,  # type: ignore[attr-defined]
        )
        rows_by_county.setdefault(s.town.code[:COUNTY_CODE], []).append(row)
    policy = policy_in_force(plan.period_to if plan.drawn_at is None else plan.drawn_at.date())
    names = dict(Region.objects.filter(code__in=rows_by_county).values_list("code", "name"))
    districts = [
        Section(names.get(code, code), code, rows, _rates(rows, policy))
        for code, rows in sorted(rows_by_county.items())
    ]
    every = [r for rows in rows_by_county.values() for r in rows]
    total = Section(plan.region.name, plan.region.code, every, _rates(every, policy))
    return Report(plan, districts, total)


def _pct(v: float | None) -> Any:
    return "" if v is None else v


def export_rows(report: Report) -> tuple[list[Any], list[list[Any]]]:
    """The report as one table (core.exports writes it formula-safe): a row per stratum, then a
    row per rate per district and for the whole plan."""
    headers = [
        _("District"),
        _("Frame"),
        _("Town"),
        _("Category"),
        _("Households (N)"),
        _("Drawn (n)"),
        _("Design weight"),
        _("Audited"),
        _("Conforms"),
        _("Discrepancies"),
        _("Rate"),
        _("Estimate %"),
        _("95 % low %"),
        _("95 % high %"),
        _("Target at most %"),
    ]
    rows: list[list[Any]] = []
    for section in [*report.districts, report.total]:
        for s in section.strata if section is not report.total else []:
            rows.append(
                [
                    section.name,
                    s.frame_label,
                    s.town,
                    s.category_label,
                    s.population,
                    s.sample_size,
                    s.weight,
                    s.recorded,
                    s.conforming,
                    s.discrepant,
                    "",
                    "",
                    "",
                    "",
                    "",
                ]
            )
        for rate in section.rates:
            e = rate.estimate
            rows.append(
                [
                    section.name,
                    "",
                    "",
                    "",
                    e.population,
                    "",
                    "",
                    e.examined,
                    e.examined - e.wrong,
                    e.wrong,
                    rate.label,
                    _pct(e.percent),
                    _pct(e.low_percent),
                    _pct(e.high_percent),
                    rate.target,
                ]
            )
    return headers, rows


def export_response(report: Report, fmt: str) -> Any:
    headers, rows = export_rows(report)
    return exports.export_response(
        rows,
        headers=headers,
        fmt=fmt,
        filename=f"audit-{report.plan.pk}",
        sheet_title=str(report.plan),
    )
