"""The dibao section of the household page (registered in AssistanceConfig.ready() through
households.panels.register); and the registry of sections the layers above add to the case page
beside the decision (the cross-check's findings, the household poverty score) without assistance
importing them: `register_case_panel(fn)`, fn(request, case) -> rendered HTML or None."""

from collections.abc import Callable

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


CasePanel = Callable[[HttpRequest, DibaoCase], SafeString | str | None]
case_panels: list[CasePanel] = []


def register_case_panel(panel: CasePanel) -> CasePanel:
    if panel not in case_panels:
        case_panels.append(panel)
    return panel


def render_case_panels(request: HttpRequest, case: DibaoCase) -> list[str]:
    return [html for panel in case_panels if (html := panel(request, case))]
