"""The findings beside the household and beside the decision on the case page."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from assistance.models import DibaoCase
from households.models import Household
from verification.permissions import VIEW_FINDING

from . import selectors


def _panel(request: HttpRequest, household_id: int, case: DibaoCase | None) -> SafeString | None:
    user = request.user
    if not user.has_perm(VIEW_FINDING):
        return None
    findings = list(selectors.finding_list(user=user, household=household_id)[:20])  # type: ignore[arg-type]
    return SafeString(
        render_to_string(
            "verification/checks/_panel.html",
            {"findings": findings, "household_id": household_id, "case": case},
            request=request,
        )
    )


def household_panel(request: HttpRequest, household: Household) -> SafeString | None:
    return _panel(request, household.pk, None)


def case_panel(request: HttpRequest, case: DibaoCase) -> SafeString | None:
    return _panel(request, case.household_id, case)
