"""The dibao section of the household page (registered in AssistanceConfig.ready() through
households.panels.register)."""

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from assistance.dibao import selectors
from assistance.models import DibaoCase
from households.models import Household


def dibao_panel(request: HttpRequest, household: Household) -> SafeString | None:
    user = request.user
    if not user.has_perm("assistance.view_dibaocase"):
        return None
    cases = list(selectors.dibao_case_list(user=user, household=household.pk)[:20])  # type: ignore[arg-type]
    has_open = any(c.status not in DibaoCase.CLOSED for c in cases)
    return SafeString(
        render_to_string(
            "assistance/_household_panel.html",
            {
                "household": household,
                "cases": cases,
                "can_open": user.has_perm("assistance.add_dibaocase") and not has_open,
            },
            request=request,
        )
    )
