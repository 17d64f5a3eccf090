from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from .calendar import CALENDAR_PERM, years_needing_data
from .http import AuthenticatedHttpRequest


@dataclass(frozen=True)
class Tile:
    title: StrOrPromise
    description: StrOrPromise
    url: str
    count: int | None = None


@dataclass(frozen=True)
class Figure:
    """A number on the home page that matters to the user's role (one cheap query each group)."""

    key: str
    label: StrOrPromise
    value: int | str
    url: str = ""
    tone: str = ""  # "", "warning" or "danger" (Bootstrap contextual colours)


# Higher apps add their tiles and figures here from AppConfig.ready() (core never imports them).
tile_providers: list[Callable[[Any], list[Tile]]] = []
figure_providers: list[Callable[[Any], list[Figure]]] = []


def _figures(user) -> list[Figure]:  # type: ignore[no-untyped-def]
    return [f for provider in figure_providers for f in provider(user)]


def _tiles(user) -> list[Tile]:  # type: ignore[no-untyped-def]
    tiles: list[Tile] = []
    for provider in tile_providers:
        tiles.extend(provider(user))
    if user.has_perm(CALENDAR_PERM):
        tiles.append(
            Tile(
                _("Working-day calendar"),
                _("Holidays and adjusted working days of each year."),
                reverse("calendar_year", args=[timezone.localdate().year + 1]),
            )
        )
    if user.is_staff:
        tiles.append(
            Tile(_("Administration"), _("Regions, users, policy data."), reverse("admin:index"))
        )
    tiles.append(
        Tile(_("API"), _("REST API documentation for connected systems."), reverse("api-docs"))
    )
    return tiles


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    missing = (
        years_needing_data(timezone.localdate()) if request.user.has_perm(CALENDAR_PERM) else []
    )
    return render(
        request,
        "core/home.html",
        {
            "tiles": _tiles(request.user),
            "figures": _figures(request.user),
            "calendar_missing": missing,
        },
    )
