"""The programme case process, declared once (core.workflow), with the programmes' constants."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assistance.models import Programme, ProgrammeCase, ProgrammeTransition
from assistance.permissions import (
    APPLY_PROGRAMME,
    CHANGE_PROGRAMME,
    DECIDE_PROGRAMME,
)
from core.models import Region, User
from core.workflow import Action, Workflow

P = Programme
PS = ProgrammeCase.Status
MAX_AMOUNT = Decimal("1000000")
APPLY = APPLY_PROGRAMME
CHANGE = CHANGE_PROGRAMME


#: Statuses in which a programme case is "open" (it counts against duplicates).
OPEN = (PS.APPLIED, PS.APPROVED, PS.PAID)


#: Statuses in which an award exists (counts for the yearly limits).
AWARDED = (PS.APPROVED, PS.PAID)


#: Programmes whose amount the reviewer decides with a reason.
DISCRETIONARY = (P.EDUCATION, P.DISASTER, P.HOUSING)


#: Ongoing recognitions (may be closed after approval or payment, e.g. when the person dies).
ONGOING = (P.TEKUN, P.LOW_INCOME)


class TemporaryCause:
    FIRE = "fire"
    TRAFFIC_ACCIDENT = "traffic_accident"
    SERIOUS_ILLNESS = "sudden_serious_illness"
    OTHER = "other"

    choices = [
        (FIRE, gettext_lazy("Fire")),
        (TRAFFIC_ACCIDENT, gettext_lazy("Traffic accident")),
        (SERIOUS_ILLNESS, gettext_lazy("Sudden serious illness")),
        (OTHER, gettext_lazy("Other severe hardship")),
    ]
    values = [c for c, _label in choices]

    @classmethod
    def label(cls, value: str) -> str:
        return str(dict(cls.choices).get(value, value))


#: The details each programme's application carries (in ProgrammeCase.details), with their types.
DETAIL_FIELDS: dict[str, dict[str, type]] = {
    P.TEKUN: {"no_income": bool, "no_legal_supporter": bool, "description": str},
    P.LOW_INCOME: {"per_capita_income": Decimal, "description": str},
    P.TEMPORARY: {"description": str},
    P.MEDICAL: {
        "compliant_out_of_pocket": Decimal,
        "annual_household_income": Decimal,
        "description": str,
    },
    P.EDUCATION: {"description": str},
    P.DISASTER: {"description": str},
    P.HOUSING: {"description": str},
}


# ----------------------------------------------------------------------------- the process


def pays_cash(case: ProgrammeCase, user: User) -> None:
    if case.programme == P.LOW_INCOME or not case.amount:
        raise PermissionDenied(_("A low-income recognition pays no cash."))


def documents_pending(case: ProgrammeCase, user: User) -> None:
    if case.programme != P.TEMPORARY:
        raise PermissionDenied(_("Only temporary assistance records documentation separately."))
    if case.documented_on:
        raise PermissionDenied(_("The documents are already recorded."))


def closable(case: ProgrammeCase, user: User) -> None:
    """Withdraw an application, or end an ongoing recognition; a one-off award once approved is
    cancelled by the deciding level ("cancel"), once paid it stays."""
    if case.status == PS.APPLIED or case.programme in ONGOING:
        return
    raise PermissionDenied(_("An approved or paid one-off award is not closed here."))


def one_off_award(case: ProgrammeCase, user: User) -> None:
    if case.programme in ONGOING:
        raise PermissionDenied(_("An ongoing recognition is ended, not cancelled."))


ACT = (CHANGE, DECIDE_PROGRAMME)  # the township caseworker or the deciding reviewer
# Whoever registered the application or recorded its documents never decides it; the district does.
DECIDE: dict[str, Any] = {
    "permission": DECIDE_PROGRAMME,
    "incompatible": ("apply", "document"),
    "levels": (Region.Level.COUNTY,),
}

PROGRAMME = Workflow(
    name="programme",
    model=ProgrammeCase,
    statuses=PS,
    history=ProgrammeTransition,
    fk="case",
    region_of=lambda c: c.household.village,
    region_path="household__village",
    actions_list=[
        Action("apply", gettext_lazy("apply"), (), PS.APPLIED, APPLY),
        # Whoever registered the application never decides it.
        Action("approve", gettext_lazy("approve"), (PS.APPLIED,), PS.APPROVED, **DECIDE),
        Action("refuse", gettext_lazy("refuse"), (PS.APPLIED,), PS.REFUSED, danger=True, **DECIDE),
        Action(
            "pay",
            gettext_lazy("record the payment"),
            (PS.APPROVED,),
            PS.PAID,
            ACT,
            rules=(pays_cash,),
        ),
        Action(
            "document",
            gettext_lazy("record the documents"),
            OPEN,
            permission=ACT,
            rules=(documents_pending,),
        ),
        Action(
            "close",
            gettext_lazy("close"),
            OPEN,
            PS.CLOSED,
            ACT,
            rules=(closable,),
            danger=True,
        ),
        Action(
            "cancel",
            gettext_lazy("cancel the award"),
            (PS.APPROVED,),
            PS.CLOSED,
            rules=(one_off_award,),
            danger=True,
            **DECIDE,
        ),
    ],
)
