"""Reads of the disclosure: the rows a list shows now (built for a new version), the latest
version of a region, and the staff's scoped lists of versions and objections."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from assistance.models import BenefitAward, DibaoCase, Programme, ProgrammeCase
from core.masking import mask_name
from core.models import Region, User
from core.months import first_of_next_month
from core.scope import scope_queryset, visible_regions
from households.models import Membership
from households.selectors import active_head_name
from poverty.models import HouseholdClass, HouseholdClassification
from transitions.models import Publication, PublicObjection

#: The levels a list is published for.
LEVELS = (Region.Level.VILLAGE, Region.Level.TOWNSHIP)
# Confirmed (paid from next month), paid, or paid while under review.
DIBAO_CURRENT = (DibaoCase.Status.CONFIRMED, DibaoCase.Status.ACTIVE, DibaoCase.Status.UNDER_REVIEW)
TEKUN_CURRENT = (ProgrammeCase.Status.APPROVED, ProgrammeCase.Status.PAID)
KIND_ORDER = {"dibao": 0, "tekun": 1, "key_target": 2}


def _members() -> Subquery:
    return Subquery(
        Membership.objects.active()
        .filter(household=OuterRef("household_id"))
        .order_by()
        .values("household")
        .annotate(n=Count("id"))
        .values("n")
    )


def _amount(value: Decimal | None) -> str:
    return f"{value:.2f}" if value is not None else ""


def current_rows(region: Region, *, today: dt.date | None = None) -> list[dict[str, Any]]:
    """The current recipients of `region` (a village or a town): the public fields of each row
    plus its source ("kind", "id"), which the service keeps apart. Three queries."""
    today = today or timezone.localdate()
    inside = Q(village__path__startswith=region.path)
    # The amount in force now, or from next month for a case confirmed this month.
    award = BenefitAward.objects.filter(
        case=OuterRef("pk"), effective_month__lte=first_of_next_month(today)
    ).order_by("-effective_month", "-id")
    dibao = (
        DibaoCase.objects.filter(inside, status__in=DIBAO_CURRENT)
        .annotate(
            head_name=active_head_name("household_id"),
            award_total=Subquery(award.values("total")[:1]),
            award_members=Subquery(award.values("members")[:1]),
        )
        .select_related("village", "single_person")
    )
    out: list[dict[str, Any]] = []
    for c in dibao:
        name = c.single_person.name if c.single_person else (c.head_name or "")
        out.append(
            {
                "kind": "dibao",
                "id": c.pk,
                "village": c.village.name if c.village else "",
                "name": mask_name(name),
                "members": c.award_members or 1,
                "amount": _amount(c.award_total),
            }
        )
    tekun = ProgrammeCase.objects.filter(
        inside, programme=Programme.TEKUN, status__in=TEKUN_CURRENT
    ).select_related("village", "person")
    for t in tekun:
        out.append(
            {
                "kind": "tekun",
                "id": t.pk,
                "village": t.village.name if t.village else "",
                "name": mask_name(t.person.name if t.person else ""),
                "members": 1,  # tekun supports a person
                "amount": _amount(t.amount),
            }
        )
    key = (
        HouseholdClassification.objects.filter(
            current=True,
            klass=HouseholdClass.KEY_TARGET,
            household__village__path__startswith=region.path,
        )
        .annotate(head_name=active_head_name("household_id"), n=_members())
        .select_related("household__village")
    )
    for k in key:
        out.append(
            {
                "kind": "key_target",
                "id": k.household_id,
                "village": k.household.village.name,
                "name": mask_name(k.head_name or ""),
                "members": k.n or 0,
                "amount": "",
            }
        )
    out.sort(key=lambda r: (KIND_ORDER[r["kind"]], r["village"], r["name"], r["id"]))
    for r in out:
        # A random reference per row and version: the public page and objections never carry
        # a case or person id.
        r["ref"] = secrets.token_hex(4)
    return out


def latest_for(publication: Publication) -> Publication:
    """The newest version of the region of `publication` (what its address shows now)."""
    return (
        Publication.objects.filter(region_id=publication.region_id)
        .select_related("region__parent")
        .order_by("-published_at", "-id")
        .first()
    ) or publication


def publication_by_token(token: str) -> Publication | None:
    return Publication.objects.filter(token=token).select_related("region").first()


def publication_list(*, user: User, region: int | str | None = None) -> QuerySet[Publication]:
    qs = scope_queryset(
        Publication.objects.select_related("region", "published_by", "taken_down_by"),
        user,
        region_field="region",
    )
    if region:
        qs = qs.filter(region_id=region)
    return qs.order_by("-published_at", "-id")


def publication_get(*, user: User, pk: int | str) -> Publication:
    return publication_list(user=user).get(pk=pk)  # type: ignore[no-any-return]


def publishable_regions(*, user: User) -> QuerySet[Region]:
    """The villages and towns of the user's area a list may be published for."""
    return visible_regions(user).filter(level__in=LEVELS).order_by("code")


def objection_list(*, user: User, status: str = "") -> QuerySet[PublicObjection]:
    qs = scope_queryset(
        PublicObjection.objects.select_related("publication__region"),
        user,
        region_field="publication__region",
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("due_on", "id")


def objection_get(*, user: User, pk: int | str) -> PublicObjection:
    return objection_list(user=user).get(pk=pk)  # type: ignore[no-any-return]
