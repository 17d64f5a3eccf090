"""The monthly payroll, declared once (core.workflow). Separation of duties: whoever built a
payroll — any build of it, read from its whole history — never approves it."""

from django.utils.translation import gettext_lazy

from assistance.models import Payroll, PayrollTransition
from assistance.permissions import APPROVE_PAYROLL, BUILD_PAYROLL
from core.models import Region
from core.workflow import Action, Workflow

S = Payroll.Status
COUNTY = (Region.Level.COUNTY,)

PAYROLL = Workflow(
    name="payroll",
    model=Payroll,
    statuses=S,
    history=PayrollTransition,
    fk="payroll",
    region_of=lambda p: p.county,
    region_path="county",
    actions_list=[
        Action(
            "build",
            gettext_lazy("build the payroll"),
            (S.BUILDING, S.DRAFT),
            S.DRAFT,
            BUILD_PAYROLL,
            levels=COUNTY,
        ),
        # The monthly beat job builds next month's payrolls by itself.
        Action(
            "build_scheduled",
            gettext_lazy("build the payroll"),
            (S.BUILDING, S.DRAFT),
            S.DRAFT,
            system=True,
        ),
        Action(
            "approve",
            gettext_lazy("approve the payroll"),
            (S.DRAFT,),
            S.APPROVED,
            APPROVE_PAYROLL,
            levels=COUNTY,
            incompatible=("build",),
        ),
    ],
)
