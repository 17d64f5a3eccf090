"""Sections other apps add to the household page without households importing them.

An app registers `fn(request, household) -> str | None` (rendered HTML, already safe) in its
AppConfig.ready(); the household page shows the results in registration order.
"""

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString

from .models import Household

HouseholdPanel = Callable[[HttpRequest, Household], SafeString | str | None]
household_panels: list[HouseholdPanel] = []


def register(panel: HouseholdPanel) -> HouseholdPanel:
    if panel not in household_panels:
        household_panels.append(panel)
    return panel


def render_panels(request: HttpRequest, household: Household) -> list[str]:
    return [html for panel in household_panels if (html := panel(request, household))]
