"""Scoped reads of regions and users."""

from django.db.models import QuerySet

from .models import Region, User
from .scope import visible_regions


def region_list(
    *, user: User, level: str = "", parent: int | str | None = None
) -> QuerySet[Region]:
    qs = visible_regions(user).select_related("parent")
    if level:
        qs = qs.filter(level=level)
    if parent:
        qs = qs.filter(parent_id=parent)  # type: ignore[misc]  # str ids are cast by the ORM
    return qs.order_by("code")


def villages_for(user: User) -> QuerySet[Region]:
    return region_list(user=user, level=Region.Level.VILLAGE).select_related("parent")
