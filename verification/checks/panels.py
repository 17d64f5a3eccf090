"""The findings beside the household and beside the decision on the case page.

The host page renders only a placeholder that loads the panel (HTMX, on load): the household
and case pages keep their query budgets; the panel's own view is scoped like every page."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString

from assistance.models import DibaoCase
from households.models import Household
from verification.permissions import VIEW_FINDING


def _placeholder(request: HttpRequest, household_id: int, case_id: int | None) -> SafeString | None:
    if not request.user.has_perm(VIEW_FINDING):
        return None
    url = reverse("verification:findings_panel", args=[household_id])
    if case_id:
        url += f"?case={case_id}"
    return SafeString(render_to_string("verification/checks/_panel_placeholder.html", {"url": url}))


def household_panel(request: HttpRequest, household: Household) -> SafeString | None:
    return _placeholder(request, household.pk, None)


def case_panel(request: HttpRequest, case: DibaoCase) -> SafeString | None:
    return _placeholder(request, case.household_id, case.pk)
