"""What an approved hand-off does, per kind: through the owning app's services (the register's,
assistance's), in the approval's transaction — if the effect is refused, the approval is too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from assistance.dibao.services import dibao_case_create
from core.models import User
from households.models import Membership, Relation

from . import notify
from .models import Handoff, HandoffKind

K = HandoffKind
Effect = Callable[[Handoff, User, dt.date, dict[str, Any], str], None]


def _register(handoff: Handoff, by: User, on: dt.date, details: dict[str, Any], why: str) -> None:
    from poverty.services import poverty_record_register

    causes = details.get("causes") or handoff.details.get("causes") or []
    record = poverty_record_register(
        household=handoff.household, registered_on=on, causes=causes, by=by, reason=why
    )
    handoff.poverty_record = record
    handoff.save(update_fields=["poverty_record", "updated_at"])


def _dibao_application(
    handoff: Handoff, by: User, on: dt.date, details: dict[str, Any], why: str
) -> None:
    head = (
        Membership.objects.active()
        .filter(household=handoff.household, relation=Relation.HEAD)
        .select_related("person")
        .first()
    )
    case = dibao_case_create(
        household=handoff.household, applicant=head.person if head else None, by=by
    )
    handoff.dibao_case = case
    handoff.save(update_fields=["dibao_case", "updated_at"])


def _exit_decision(
    handoff: Handoff, by: User, on: dt.date, details: dict[str, Any], why: str
) -> None:
    from .phaseout import phase_out_start

    if handoff.outcome in ("lower", "stop"):
        if handoff.dibao_case is None:
            raise ValidationError(
                {"outcome": [_("This household has no dibao case to lower or stop.")]},
                code="no_case",
            )
        phase_out_start(
            case=handoff.dibao_case, decision=handoff.outcome, decided_on=on, by=by, notice=handoff
        )
    elif handoff.outcome == "raise":
        notify.town_caseworkers(handoff, "exit_raise", by)


def _reassessed(handoff: Handoff, by: User, on: dt.date, details: dict[str, Any], why: str) -> None:
    from .models import PhaseOut
    from .phaseout import phase_out_reassess

    phase_out = PhaseOut.objects.get(pk=handoff.details["phase_out"])
    phase_out_reassess(
        phase_out=phase_out, outcome=handoff.outcome, on=on, by=by, reason=why, via_handoff=True
    )


def _tell_caseworkers(event: str) -> Effect:
    def effect(handoff: Handoff, by: User, on: dt.date, details: dict[str, Any], why: str) -> None:
        notify.town_caseworkers(handoff, event, by)

    return effect


def _nothing(handoff: Handoff, by: User, on: dt.date, details: dict[str, Any], why: str) -> None:
    return None


EFFECTS: dict[str, Effect] = {
    K.REGISTRATION_REFERRAL: _register,
    K.DIBAO_REFERRAL: _dibao_application,
    K.EXIT_NOTICE: _exit_decision,
    K.CANNOT_EXIT: _tell_caseworkers("cannot_exit"),
    K.CLASSIFICATION_CHANGE: _nothing,
    K.RETURN_TO_POVERTY: _tell_caseworkers("return_to_poverty"),
    K.PHASE_OUT_START: _nothing,
    K.PHASE_OUT_REASSESSMENT: _reassessed,
    K.INSURANCE_ENROLMENT: _nothing,
}
assert set(EFFECTS) == set(HandoffKind.values)


def apply(
    handoff: Handoff, *, by: User, decided_on: dt.date, details: dict[str, Any], reason: str
) -> None:
    EFFECTS[handoff.kind](handoff, by, decided_on, details, reason)
