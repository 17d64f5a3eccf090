"""The households tiles on the home page (registered in HouseholdsConfig.ready, before assistance's)."""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.scope import scope_queryset
from core.views import Figure, Tile
from households.models import Household
from households.permissions import (
    ADD_HOUSEHOLD,
    EXPORT_HOUSEHOLDS,
    IMPORT_HOUSEHOLDS,
    VIEW_HOUSEHOLD,
)


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


def household_figures(user: Any) -> list[Figure]:
    """The households of the user's area (one count, on the scoped register)."""
    if not user.has_perm(VIEW_HOUSEHOLD):
        return []
    n = scope_queryset(Household.objects.all(), user, region_field="village").count()
    return [Figure("households", _("Households in your area"), n, reverse("households:list"))]
