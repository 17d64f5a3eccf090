"""Scoped reads of what-if scenarios, shared by the pages and the API."""

from __future__ import annotations

from django.db.models import QuerySet

from core.models import Region, User
from core.scope import scope_queryset

from ...models import WhatIfDistrict, WhatIfScenario


def whatif_list(*, user: User) -> QuerySet[WhatIfScenario]:
    """The scenarios of the user's region and below (a district's administrator does not see
    the city's or another district's)."""
    if not user.has_perm("transitions.view_whatifscenario"):
        return WhatIfScenario.objects.none()
    return scope_queryset(WhatIfScenario.objects.all(), user, region_field="region").select_related(
        "created_by", "region", "job"
    )


def whatif_get(*, user: User, pk: int) -> WhatIfScenario:
    """One scenario, or DoesNotExist (404) when the user may not see it."""
    return whatif_list(user=user).get(pk=pk)


def whatif_districts(scenario: WhatIfScenario) -> QuerySet[WhatIfDistrict]:
    return scenario.districts.select_related("county").order_by("county__code")


def whatif_counties(user: User) -> list[Region]:
    """The districts a user's scenario covers: every district of the city for a city-level
    user, else the user's own."""
    qs = Region.objects.filter(level=Region.Level.COUNTY).order_by("code")
    if user.is_superuser:
        return list(qs)
    if user.region is None:
        return []
    return list(qs.filter(path__startswith=user.region.path))
