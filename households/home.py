"""The households tiles on the home page (registered in HouseholdsConfig.ready, before assistance's)."""

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.models import Region
from core.scope import is_city_level, scope_queryset, visible_regions
from core.views import Figure, Tile
from households import tally
from households.permissions import (
    ADD_HOUSEHOLD,
    EXPORT_HOUSEHOLDS,
    IMPORT_HOUSEHOLDS,
    VIEW_HOUSEHOLD,
)

M = TypeVar("M", bound=Model)


def household_tiles(user: Any) -> list[Tile]:
    tiles: list[Tile] = []
    if user.has_perm(VIEW_HOUSEHOLD):
        tiles.append(
            Tile(
                _("Households"),
                _("Search the household register of your area."),
                reverse("households:list"),
            )
        )
    if user.has_perm(ADD_HOUSEHOLD):
        tiles.append(
            Tile(
                _("Register a household"),
                _("Create a household with its members."),
                reverse("households:create"),
            )
        )
    if user.has_perm(EXPORT_HOUSEHOLDS):
        tiles.append(
            Tile(
                _("Export"),
                _("Download the household list as a spreadsheet."),
                reverse("households:export") + "?format=xlsx",
            )
        )
    if user.has_perm(IMPORT_HOUSEHOLDS):
        tiles.append(
            Tile(
                _("Import"),
                _("Import households from a spreadsheet (all or nothing)."),
                reverse("admin:households_person_import"),
            )
        )
    return tiles


def in_visible_villages(qs: QuerySet[M], user: Any, *, village_field: str) -> QuerySet[M]:
    """`qs` limited to the user's area like `core.scope.scope_queryset`, with the visible
    villages' ids spelled out: the planner then reads the village index (a town: a few thousand
    households) instead of hashing the whole table against a subquery (77 ms → 5 ms at 300,000
    households). City level: no filter, as scope_queryset."""
    if is_city_level(user):
        return scope_queryset(qs, user, region_field=village_field)
    ids = list(
        visible_regions(user).filter(level=Region.Level.VILLAGE).values_list("id", flat=True)
    )
    return qs.filter(**{f"{village_field}__in": ids})


def household_figures(user: Any) -> list[Figure]:
    """The households of the user's area (from the region tallies: no count of the register)."""
    if not user.has_perm(VIEW_HOUSEHOLD):
        return []
    n = tally.household_count(user)
    return [Figure("households", _("Households in your area"), n, reverse("households:list"))]
