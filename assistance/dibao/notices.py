"""Public notices posted in the villages (domain.md §5.5): which cases of a village are in notice
now, and the town's contact (supervision phone, letters-and-visits address) printed with them.
Reads only, scoped with core.scope."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from assistance.models import DibaoCase, PublicNotice, TownNoticeContact
from core.models import Region, User
from core.scope import region_in_scope, scope_queryset

S = DibaoCase.Status


def notice_contact_for(township: Region | None, on: dt.date) -> TownNoticeContact | None:
    """The town's notice contact in force on `on` (None: the data administrator has not entered
    one; the sheet then leaves the lines blank to be filled in by hand)."""
    if township is None:
        return None
    return (  # type: ignore[no-any-return]
        TownNoticeContact.objects.in_force(on)
        .filter(township=township)
        .order_by("-valid_from")
        .first()
    )


def _in_notice(user: User) -> QuerySet[DibaoCase]:
    return scope_queryset(
        DibaoCase.objects.filter(status=S.IN_NOTICE), user, region_field="household__village"
    )


def village_notices(*, user: User, village: Region, today: dt.date) -> list[PublicNotice]:
    """The notices running or about to run in `village` today (each case's latest notice), in
    the order they started. Two queries whatever the number of cases."""
    if village.level != Region.Level.VILLAGE or not region_in_scope(user, village):
        return []
    cases = _in_notice(user).filter(household__village=village).values("pk")
    latest = (
        PublicNotice.objects.filter(case__in=cases)
        .order_by("case_id", "-starts_on", "-id")
        .distinct("case_id")
    )
    notices = [n for n in latest if n.ends_on >= today]
    return sorted(notices, key=lambda n: (n.starts_on, n.masked_name, n.pk))


@dataclass(frozen=True)
class NoticeVillage:
    village: Region
    cases: int


def notice_villages(*, user: User) -> list[NoticeVillage]:
    """The villages of the user's area with cases in public notice, with how many (one query
    and one for the villages)."""
    counts = dict(
        _in_notice(user)
        .values("household__village")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("household__village", "n")
    )
    villages = Region.objects.filter(pk__in=counts).select_related("parent").order_by("code")
    return [NoticeVillage(v, counts[v.pk]) for v in villages]
