"""The poverty record's process, declared once (core.workflow): services guard with it, the
record page draws its buttons from it, the API lists `allowed_actions` from it and the test
matrix is generated from it.

registered → assisted (the first measure) → exit proposed (→ assisted again if withdrawn, e.g.
the government did not confirm) → exit confirmed (the government's
confirmation, recorded by a poverty-office reviewer of the district) → returned (fell back;
measures move it to assisted again).

Separation of duties: whoever registered the record, recorded any of its measures or proposed
its exit never records the confirmation — checked against the record's whole history.
"""

from django.utils.translation import gettext_lazy

from core.models import Region
from core.workflow import Action, Workflow
from poverty.models import PovertyRecord, PovertyRecordTransition
from poverty.permissions import ADD_MEASURE, CHANGE_RECORD, CONFIRM_EXIT, REGISTER

S = PovertyRecord.Status
L = Region.Level

# Statuses in which a household is still in poverty (measures, "cannot exit" reports).
IN_POVERTY = (S.REGISTERED, S.ASSISTED, S.RETURNED)
# The confirmation's basis: who took part in any of these never confirms.
BASIS = ("register", "record_measure", "propose_exit")

POVERTY = Workflow(
    name="poverty",
    model=PovertyRecord,
    statuses=S,
    history=PovertyRecordTransition,
    fk="record",
    region_of=lambda r: r.household.village,
    region_path="household__village",
    actions_list=[
        Action(
            "register",
            gettext_lazy("register the household"),
            (),
            permission=REGISTER,
            levels=(L.COUNTY,),
        ),
        # A measure keeps the status, except the first one after (re-)registration: → assisted.
        Action(
            "record_measure",
            gettext_lazy("record a measure"),
            (*IN_POVERTY, S.EXIT_PROPOSED, S.EXIT_CONFIRMED),
            permission=ADD_MEASURE,
            levels=(L.COUNTY, L.TOWNSHIP),
            outcomes=(S.ASSISTED,),
        ),
        Action(
            "propose_exit",
            gettext_lazy("propose the exit"),
            (S.ASSISTED,),
            S.EXIT_PROPOSED,
            CHANGE_RECORD,
            levels=(L.COUNTY,),
        ),
        Action(
            "confirm_exit",
            gettext_lazy("record the government's confirmation"),
            (S.EXIT_PROPOSED,),
            S.EXIT_CONFIRMED,
            CONFIRM_EXIT,
            levels=(L.COUNTY,),
            incompatible=BASIS,
        ),
        # The government did not confirm (or the proposal was premature): back to assisted.
        Action(
            "withdraw_exit",
            gettext_lazy("withdraw the exit proposal"),
            (S.EXIT_PROPOSED,),
            S.ASSISTED,
            CHANGE_RECORD,
            levels=(L.COUNTY,),
            danger=True,
        ),
        Action(
            "report_cannot_exit",
            gettext_lazy("report that it cannot exit"),
            IN_POVERTY,
            permission=CHANGE_RECORD,
            levels=(L.COUNTY,),
        ),
        Action(
            "return",
            gettext_lazy("record the return to poverty"),
            (S.EXIT_CONFIRMED,),
            S.RETURNED,
            CHANGE_RECORD,
            levels=(L.COUNTY,),
            danger=True,
        ),
    ],
)
