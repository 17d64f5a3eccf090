"""Loads the policy in force on a date from the effective-dated tables (reads only)."""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from assistance.models import CategorySupplement, CpiReading, DibaoStandard, PolicyParameter
from assistance.policy.rules import Policy, SupplementAges
from core.models import Region
from core.months import month_start
from households.ages import AgeBands


def parameter(key: str, on: dt.date) -> Decimal:
    row = PolicyParameter.objects.in_force(on).filter(key=key).order_by("-valid_from").first()
    if row is None:
        raise ValidationError(
            _("No policy value '%(key)s' is in force on %(on)s. Ask the data administrator.")
            % {"key": key, "on": on.isoformat()}
        )
    return row.value


def int_parameter(key: str, on: dt.date) -> int:
    return int(parameter(key, on))


def int_parameters(keys: Iterable[str], on: dt.date) -> dict[str, int]:
    """Several integer parameters in force on `on`, in one query."""
    keys = list(keys)
    found: dict[str, int] = {}
    rows = PolicyParameter.objects.in_force(on).filter(key__in=keys).order_by("key", "-valid_from")
    for row in rows:
        found.setdefault(row.key, int(row.value))
    for key in keys:
        if key not in found:
            parameter(key, on)  # raises the "not in force" error
    return found


class InForce(dict[str, int]):
    """`text % InForce(on)` fills each %(key)s of a page text with the parameter in force."""

    def __init__(self, on: dt.date) -> None:
        super().__init__()
        self.on = on

    def __missing__(self, key: str) -> int:
        self[key] = int_parameter(key, self.on)
        return self[key]


def age_bands(on: dt.date) -> AgeBands:
    p = int_parameters(("working_age_from", "elderly_age_from", "adult_age"), on)
    return AgeBands(
        working_from=p["working_age_from"],
        elderly_from=p["elderly_age_from"],
        adult_from=p["adult_age"],
    )


def supplement_ages(on: dt.date) -> SupplementAges:
    p = int_parameters(("supplement_aged_from", "supplement_aged_high_from", "adult_age"), on)
    return SupplementAges(
        aged_from=p["supplement_aged_from"],
        aged_high_from=p["supplement_aged_high_from"],
        adult_from=p["adult_age"],
    )


def county_of(region: Region) -> Region:
    county = region.county()
    if county is None:
        raise ValidationError(_("The region %(r)s has no district.") % {"r": region})
    return county


def standard_on(county: Region, on: dt.date) -> DibaoStandard:
    row = DibaoStandard.objects.in_force(on).filter(county=county).order_by("-valid_from").first()
    if row is None:
        raise ValidationError(
            _("No dibao standard for %(county)s is in force on %(on)s.")
            % {"county": county.name, "on": on.isoformat()}
        )
    return row


def cpi_on(on: dt.date) -> Decimal | None:
    row = CpiReading.objects.filter(month=month_start(on)).first()
    return row.yoy_percent if row else None


def policy_on(*, county: Region, hukou_type: str, on: dt.date) -> Policy:
    standard = standard_on(county, on)
    percents: dict[str, Decimal] = {}
    for row in CategorySupplement.objects.in_force(on).order_by("category", "-valid_from"):
        percents.setdefault(row.category, row.percent)
    return Policy(
        on=on,
        standard=standard.amount_for(hukou_type),
        standard_id=standard.pk,
        standard_interpolated=standard.interpolated,
        supplement_percents=percents,
        supplement_ages=supplement_ages(on),
        price_trigger_pct=parameter("price_trigger_pct", on),
        price_subsidy_pct=parameter("price_subsidy_pct", on),
        cpi_yoy_pct=cpi_on(on),
    )
