"""Region scope: the one function that answers "which regions may this user see".

Every selector, viewset, admin and export goes through `visible_regions` / `scope_queryset`;
no view filters by region by itself. Deny by default: anonymous users, users without a role or
without a region see nothing (superusers see everything).
"""

from typing import Any, TypeVar

from django.db.models import F, Model, OuterRef, QuerySet
from django.db.models.functions import Substr

from .models import Region, User

M = TypeVar("M", bound=Model)


def visible_regions(user: User) -> QuerySet[Region]:
    if not user.is_authenticated or not user.is_active:
        return Region.objects.none()
    if user.is_superuser:
        return Region.objects.all()
    if not user.role or user.region is None:
        return Region.objects.none()
    return Region.objects.filter(path__startswith=user.region.path)


def is_city_level(user: User) -> bool:
    if user.is_superuser:
        return True
    return bool(user.role) and user.region is not None and user.region.level == Region.Level.CITY


def scope_queryset(qs: QuerySet[M], user: User, *, region_field: str) -> QuerySet[M]:
    """Limit `qs` to rows whose `region_field` lies in the user's subtree.

    Rows whose region is NULL are visible only to city-level users.
    """
    if user.is_superuser:
        return qs
    if is_city_level(user):
        return qs
    regions = visible_regions(user).values("id")
    return qs.filter(**{f"{region_field}__in": regions})


def region_in_scope(user: User, region: Region | None) -> bool:
    if region is None:
        return is_city_level(user)
    if user.is_superuser:
        return True
    if not user.role or user.region is None:
        return False
    return region.path.startswith(user.region.path)


def county_code(region_field: str, *, outer: bool = False) -> Substr:
    """The code of the county-level unit above the region at `region_field` (region codes nest:
    a township's or village's code starts with its county's), for joins such as district
    settings without counting parent hops."""
    ref: Any = OuterRef(f"{region_field}__code") if outer else F(f"{region_field}__code")
    return Substr(ref, 1, Region.CODE_LENGTH[Region.Level.COUNTY])


def users_covering(region: Region) -> QuerySet[User]:
    """The inverse of `visible_regions`: the active users with a role whose scope contains
    `region` (attached to it or to a region above it). One indexed lookup on the region codes of
    the path; superusers are left out (they hold no post)."""
    prefixes, path = [], ""
    for code in region.path.rstrip(".").split("."):
        path += code + "."
        prefixes.append(path)
    return User.objects.filter(is_active=True, region__path__in=prefixes).exclude(role="")
