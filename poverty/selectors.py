"""Scoped reads of the poverty register shared by pages, API and the household panel: the page
and the API search and filter through the same function, so they never find different rows."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from core.models import Region, User
from core.scope import is_city_level, scope_queryset, visible_regions
from households import selectors as household_selectors
from households.idnumber import normalise
from poverty.models import (
    AssistanceMeasure,
    ExitCertificate,
    ExitTarget,
    PovertyRecord,
    PovertyRecordTransition,
)

S = PovertyRecord.Status
STILL_POOR = (S.REGISTERED, S.ASSISTED, S.EXIT_PROPOSED, S.RETURNED)
EXITED = (S.EXIT_CONFIRMED,)


def poverty_record_list(
    *,
    user: User,
    q: str = "",
    status: str = "",
    cause: str = "",
    town: int | str | None = None,
    village: int | str | None = None,
    household: int | str | None = None,
) -> QuerySet[PovertyRecord]:
    """The user's records, newest first. `q`: a record number (PR000042 or 42), or what the
    household search finds (the start of a member's name, an ID number — which needs the
    reveal permission —, a household number). `town`, `village`: region ids (outside the
    user's scope they find nothing)."""
    qs = scope_queryset(PovertyRecord.objects.all(), user, region_field="household__village")
    if status:
        qs = qs.filter(status=status)
    if cause:
        qs = qs.filter(causes__contains=[cause])
    if town:
        qs = qs.filter(household__village__parent_id=int(town))
    if village:
        qs = qs.filter(household__village_id=int(village))
    if household:
        qs = qs.filter(household_id=household)
    q = (q or "").strip()
    if q:
        number = q.upper().removeprefix("PR")
        match = Q(pk__in=[])
        if number.isdigit() and len(number) <= 9:
            match |= Q(pk=int(number))
        norm = normalise(q)
        if norm.isdigit() or household_selectors.looks_like_id_number(norm):
            match |= Q(
                household__in=household_selectors.household_list(user=user, q=q).values("pk")
            )
        else:
            name = " ".join(q.split())
            match |= Q(
                household__member_names__contains=household_selectors.member_names_pattern(name)
            )
        qs = qs.filter(match)
    return qs.select_related("household__village__parent").order_by("-id")


def poverty_record_get(*, user: User, pk: int | str) -> PovertyRecord:
    """The record with its history, measures and certificates, if the user may see it;
    PovertyRecord.DoesNotExist otherwise (→ 404)."""
    return (
        poverty_record_list(user=user)
        .prefetch_related(
            Prefetch("transitions", queryset=PovertyRecordTransition.objects.select_related("by")),
            Prefetch("measures", queryset=AssistanceMeasure.objects.order_by("-started_on", "-id")),
            Prefetch("certificates", queryset=ExitCertificate.objects.order_by("-id")),
        )
        .get(pk=pk)
    )


def measure_list(*, user: User, household: int | str | None = None) -> QuerySet[AssistanceMeasure]:
    qs = scope_queryset(AssistanceMeasure.objects.all(), user, region_field="household__village")
    if household is not None:
        qs = qs.filter(household_id=household)
    return qs.select_related("household__village", "record").order_by("-started_on", "-id")


def certificate_get(*, user: User, pk: int | str) -> ExitCertificate:
    qs = scope_queryset(
        ExitCertificate.objects.all(), user, region_field="record__household__village"
    )
    return qs.select_related("record__household__village__parent", "issued_by").get(pk=pk)


def certificate_by_code(code: str) -> ExitCertificate | None:
    """The certificate with this verification code (public: no scope — the code is the key)."""
    if not code:
        return None
    return (
        ExitCertificate.objects.select_related("record__household__village")
        .filter(verification_code=code)
        .first()
    )


# ----------------------------------------------------------------------------- exit targets


@dataclass(frozen=True)
class ProgressRow:
    region: Region
    year: int
    exits: int  # exits confirmed in the year
    remaining: int  # households still in poverty now
    target: int | None  # None: no target set for the region that year

    @property
    def percent(self) -> int | None:
        if not self.target:
            return None
        return min(100, round(100 * self.exits / self.target))


def _target_for(t: ExitTarget | None, exits: int, remaining: int) -> int | None:
    if t is None:
        return None
    return exits + remaining if t.all_remaining else t.households


def exit_progress(*, user: User, year: int | None = None) -> list[ProgressRow]:
    """Confirmed exits in `year` against the target, per district the user sees, and for the
    city (city-level users). Two grouped queries, whatever the number of records. "All
    remaining" (2018) counts the year's exits plus the households still in poverty."""
    year = year or timezone.localdate().year
    records = scope_queryset(PovertyRecord.objects.all(), user, region_field="household__village")
    county_len = Region.CODE_LENGTH[Region.Level.COUNTY]
    rows = (
        records.annotate(county_code=Substr("household__village__code", 1, county_len))
        .values("county_code")
        .annotate(
            exits=Count("id", filter=Q(exit_confirmed_on__year=year)),
            remaining=Count("id", filter=Q(status__in=STILL_POOR)),
        )
    )
    by_code = {r["county_code"]: r for r in rows}
    counties = list(visible_regions(user).filter(level=Region.Level.COUNTY).order_by("code"))
    city = Region.objects.filter(level=Region.Level.CITY).first()
    targets = {
        t.region_id: t
        for t in ExitTarget.objects.filter(year=year).filter(
            region__in=[*counties, *([city] if city else [])]
        )
    }
    out: list[ProgressRow] = []
    for c in counties:
        r = by_code.get(c.code, {"exits": 0, "remaining": 0})
        out.append(
            ProgressRow(
                c, year, r["exits"], r["remaining"],
                _target_for(targets.get(c.pk), r["exits"], r["remaining"]),
            )
        )  # fmt: skip
    if city is not None and is_city_level(user):
        exits = sum(r["exits"] for r in by_code.values())
        remaining = sum(r["remaining"] for r in by_code.values())
        out.append(
            ProgressRow(
                city, year, exits, remaining, _target_for(targets.get(city.pk), exits, remaining)
            )
        )
    return out
