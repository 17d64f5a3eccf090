"""两线合一: per district and date, is the dibao standard at least the poverty line, and urban
equal to rural, where the two-line rule in force asks it (domain.md §6). Shown on the district
report (assistance.oversight.report's notes registry) and flagged when broken."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from assistance.models import DibaoStandard
from core.models import Region
from poverty.models import PovertyLine

from .models import TwoLineRule


@dataclass(frozen=True)
class TwoLineCheck:
    county: Region
    on: dt.date
    urban: Decimal | None
    rural: Decimal | None
    line_monthly: Decimal | None
    rule: TwoLineRule | None
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def two_line_checks(*, counties: list[Region], on: dt.date) -> list[TwoLineCheck]:
    """Three queries whatever the number of districts."""
    rule = TwoLineRule.objects.in_force(on).first()
    line = PovertyLine.objects.in_force(on).first()
    standards = {
        s.county_id: s
        for s in DibaoStandard.objects.in_force(on).filter(county__in=[c.pk for c in counties])
    }
    out = []
    for county in counties:
        std = standards.get(county.pk)
        problems: list[str] = []
        if rule is not None and std is None:
            problems.append(_("No dibao standard in force."))
        if rule is not None and std is not None:
            if rule.standard_at_least_line and line is not None:
                low = [
                    (label, v)
                    for label, v in ((_("urban"), std.urban), (_("rural"), std.rural))
                    if v < line.monthly
                ]
                for label, v in low:
                    problems.append(
                        _(
                            "The %(which)s standard %(v)s is below the poverty line %(line)s a month."
                        )
                        % {"which": label, "v": v, "line": line.monthly}
                    )
            if rule.urban_equals_rural and std.urban != std.rural:
                problems.append(
                    _("Urban %(u)s and rural %(r)s standards differ.")
                    % {"u": std.urban, "r": std.rural}
                )
        out.append(
            TwoLineCheck(
                county,
                on,
                std.urban if std else None,
                std.rural if std else None,
                line.monthly if line else None,
                rule,
                tuple(problems),
            )
        )
    return out


def report_notes(region: Region, on: dt.date) -> list[dict[str, object]]:
    """The district report's two-line lines: the districts of `region` (or its own)."""
    if region.level == Region.Level.CITY:
        counties = list(region.children.filter(level=Region.Level.COUNTY).order_by("code"))
    else:
        code = region.code[: Region.CODE_LENGTH[Region.Level.COUNTY]]
        counties = list(Region.objects.filter(code=code, level=Region.Level.COUNTY))
    checks = two_line_checks(counties=counties, on=on)
    if not checks or checks[0].rule is None:
        return []
    return [
        {
            "key": f"two-line-{c.county.code}",
            "title": _("Two-line unification, %(county)s") % {"county": c.county.name},
            "ok": c.ok,
            "text": " ".join(c.problems)
            or _("Standard %(u)s (urban) / %(r)s (rural) ≥ poverty line %(line)s a month.")
            % {"u": c.urban, "r": c.rural, "line": c.line_monthly},
        }
        for c in checks
    ]
