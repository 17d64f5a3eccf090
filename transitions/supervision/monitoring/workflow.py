"""The monitoring case's process, declared once (core.workflow): opened by the monthly run,
closed by a caseworker of the town with an outcome and a reason."""

from django.utils.translation import gettext_lazy

from core.models import Region
from core.workflow import Action, Workflow
from transitions.models import MonitoringCase, MonitoringCaseTransition

from ..permissions import CLOSE_MONITORING

M = MonitoringCase.Status

MONITORING = Workflow(
    name="monitoring_case",
    model=MonitoringCase,
    statuses=M,
    history=MonitoringCaseTransition,
    fk="case",
    region_of=lambda c: c.village,
    region_path="village",
    actions_list=[
        Action("open", gettext_lazy("open a monitoring case"), (), system=True),
        Action(
            "close",
            gettext_lazy("close with an outcome"),
            (M.OPEN,),
            M.CLOSED,
            CLOSE_MONITORING,
            levels=(Region.Level.TOWNSHIP,),
        ),
    ],
)
