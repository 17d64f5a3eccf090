"""The registry's records, "as of" a date, limited to a client's regions.

A record is a person who was a member of a household in the client's regions on the date D:
a membership with start_date ≤ D and (no end_date or end_date ≥ D; the end date is the last day,
as in transitions.exchange.streams). Its household, relation and village are that membership's
(the latest started, should two touch on a moving day); for a past D the household's village
and hukou are those of its last history row (django-simple-history) recorded on or before D
— the region scope too — falling back to today's when it has none that old; its dibao status is
the `to_status` of the household's last dibao case transition recorded on or before D
(assistance's history), or null when it had none. The person's own attributes (name, phone …)
are today's values (docs/decisions/0025-registry-api.md says why and what "as of" cannot
answer).

One query for the count, one for the page, whatever the page size.
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from assistance.models import CaseTransition
from core.models import Region
from households.models import Household, Membership, Person

from .fields import BY_NAME

LOOKUPS = {
    "eq": "exact",
    "lt": "lt",
    "lte": "lte",
    "gt": "gt",
    "gte": "gte",
    "in": "in",
    "startswith": "startswith",
}


def region_condition(paths: Iterable[str], field: str) -> Q:
    """`field` (a region path) in one of the subtrees of `paths`."""
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{field}__startswith": path})
    return condition


def _household_on(on: dt.date, column: str) -> Subquery:
    """The household's `column` in its last history row recorded on or before `on`."""
    history = Household.history.model  # type: ignore[attr-defined]
    return Subquery(
        history.objects.filter(id=OuterRef("household_id"), history_date__lt=end_of_day(on))
        .order_by("-history_date", "-history_id")
        .values(column)[:1]
    )


def end_of_day(day: dt.date) -> dt.datetime:
    """The first moment after `day` in the app's time zone."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), ZoneInfo(settings.TIME_ZONE))


def registry_records(
    *,
    region_paths: list[str],
    on: dt.date,
    conditions: Iterable[tuple[str, str, Any]] = (),
) -> QuerySet[Person]:
    """Persons in a household of one of `region_paths`' subtrees on `on`, annotated with the
    r_* values of transitions.registry_api.fields, filtered by `conditions` (field, operator,
    value) already validated against the fields' declarations; ordered by person id."""
    memberships = Membership.objects.filter(person=OuterRef("pk"), start_date__lte=on).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=on)
    )
    if on < timezone.localdate():
        memberships = memberships.annotate(
            v_path=Coalesce(_household_on(on, "village__path"), F("household__village__path")),
            v_code=Coalesce(_household_on(on, "village__code"), F("household__village__code")),
            v_hukou=Coalesce(_household_on(on, "hukou_type"), F("household__hukou_type")),
        )
    else:  # today: the rows themselves are the latest state
        memberships = memberships.annotate(
            v_path=F("household__village__path"),
            v_code=F("household__village__code"),
            v_hukou=F("household__hukou_type"),
        )
    memberships = memberships.filter(region_condition(region_paths, "v_path")).order_by(
        "-start_date", "-id"
    )
    status = (
        CaseTransition.objects.filter(
            case__household_id=OuterRef("r_household_id"), at__lt=end_of_day(on)
        )
        .order_by("-at", "-id")
        .values("to_status")[:1]
    )
    qs = (
        Person.objects.filter(Exists(memberships))
        .annotate(
            r_household_id=Subquery(memberships.values("household_id")[:1]),
            r_relation=Subquery(memberships.values("relation")[:1]),
            r_region_code=Subquery(memberships.values("v_code")[:1]),
            r_hukou=Subquery(memberships.values("v_hukou")[:1]),
        )
        .annotate(r_dibao_status=Subquery(status))
    )
    for name, operator, value in conditions:
        qs = qs.filter(**{f"{BY_NAME[name].source}__{LOOKUPS[operator]}": value})
    return qs.order_by("pk")


def record_values(person: Person, names: Iterable[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(person, BY_NAME[name].source)
        out[name] = value.isoformat() if isinstance(value, dt.date) else value
    return out


def region_by_code(code: str) -> Region | None:
    return Region.objects.filter(code=code).first()
