"""Who is told: by role (the roles granted a permission, core.roles) and region (the users whose
scope covers the object's region, core.scope), optionally at some region levels only."""

from collections.abc import Iterable

from django.db.models import QuerySet

from core.models import Region, User
from core.roles import roles_with
from core.scope import users_covering


def users_for(region: Region | None, *, perm: str, levels: Iterable[str] = ()) -> QuerySet[User]:
    """The active users whose role has `perm` and whose area contains `region` (at one of
    `levels`, when given): e.g. the caseworkers of a case's town, the reviewers of its district.
    No region → nobody (deny by default)."""
    if region is None:
        return User.objects.none()
    qs = users_covering(region).filter(role__in=roles_with(perm))
    levels = tuple(levels)
    if levels:
        qs = qs.filter(region__level__in=levels)
    return qs
