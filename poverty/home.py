"""The poverty register's tile and figures on the home page (registered in PovertyConfig.ready)."""

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.views import Figure, Tile
from poverty import selectors
from poverty.permissions import CHANGE_RULE, VIEW_RECORD


def poverty_tiles(user: Any) -> list[Tile]:
    tiles: list[Tile] = []
    if user.has_perm(VIEW_RECORD):
        tiles.append(
            Tile(
                _("Poverty register"),
                _("Registered households, measures, exits and their certificates."),
                reverse("poverty:list"),
            )
        )
    if user.has_perm(CHANGE_RULE):
        tiles.append(
            Tile(
                _("Classification rule preview"),
                _("How many households would change class under new parameters."),
                reverse("poverty:classification_preview"),
            )
        )
    return tiles


def poverty_figures(user: Any) -> list[Figure]:
    """This year's confirmed exits against the target, for the user's district or the city."""
    if not user.has_perm(VIEW_RECORD):
        return []
    year = timezone.localdate().year
    rows = selectors.exit_progress(user=user, year=year)
    if not rows:
        return []
    row = rows[-1] if len(rows) > 1 and rows[-1].region.level == "city" else rows[0]
    if len(rows) > 1 and row.region.level != "city":
        return []  # several districts and no city row: the register page shows them
    value = f"{row.exits} / {row.target}" if row.target is not None else str(row.exits)
    tone = ""
    if row.target and row.exits < row.target:
        tone = "warning"
    return [
        Figure(
            "poverty_exits",
            _("Exits from poverty in %(year)s (confirmed / target)") % {"year": year},
            value,
            reverse("poverty:progress"),
            tone,
        )
    ]
