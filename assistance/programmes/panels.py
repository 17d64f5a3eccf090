"""The household page's "Assistance programmes" section: every programme the household is in
(dibao cases are in assistance.dibao.panels.dibao_panel), with links to apply or report. Registered by AssistanceConfig.ready():
`households.panels.register(assistance.programmes.panels.programmes_panel)`."""

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from assistance.models import OutreachReport
from assistance.permissions import REPORT_OUTREACH
from assistance.programmes import selectors as programme_selectors
from assistance.programmes import workflow as programme_workflow
from core.http import request_user
from households.models import Household


def programmes_panel(request: HttpRequest, household: Household) -> SafeString | None:
    user = request_user(request)
    see_dibao = user.has_perm("assistance.view_dibaocase")
    see_programmes = user.has_perm("assistance.view_programmecase")
    see_outreach = user.has_perm("assistance.view_outreachreport")
    if not (see_dibao or see_programmes or see_outreach):
        return None
    # The household itself was read through the scoped selector; the rows hang off it.
    # Dibao cases have their own section (assistance.dibao.panels.dibao_panel) just above this one.
    dibao: list = []
    cases = (
        list(programme_selectors.programme_cases(user=user, household=household.pk))
        if see_programmes
        else []
    )
    reports = (
        list(
            programme_selectors.outreach_reports(user=user)
            .filter(household=household)
            .order_by("-reported_at")
        )
        if see_outreach
        else []
    )
    return SafeString(
        render_to_string(
            "assistance/programmes/_panel.html",
            {
                "household": household,
                "dibao": dibao,
                "cases": cases,
                "reports": reports,
                "see_programmes": see_programmes,
                "see_dibao": see_dibao,
                "can_apply": user.has_perm(programme_workflow.APPLY),
                "can_report": user.has_perm(REPORT_OUTREACH),
                "open_status": OutreachReport.Status.OPEN,
            },
            request=request,
        )
    )
