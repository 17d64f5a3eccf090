"""The hand-offs the system opens by itself, on the lower layers' events (assistance.signals,
poverty.signals). Each receiver runs inside the transaction of the service that sent the event
and opens the hand-off with a source key, so an event delivered twice opens one."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance import signals as assistance_signals
from assistance.models import DibaoCase
from poverty import signals as poverty_signals
from poverty.classification import classification_recompute
from poverty.models import PovertyRecord, PovertyRecordTransition

from . import links
from .models import HandoffKind
from .phaseout import phase_out_end_on_change
from .services import handoff_open, handoffs_open_for_classification

K = HandoffKind


def _record_actors(record: PovertyRecord, *actions: str) -> list[int]:
    return list(
        PovertyRecordTransition.objects.filter(record=record, action__in=actions)
        .exclude(by=None)
        .values_list("by_id", flat=True)
    )


@receiver(assistance_signals.dibao_confirmed, dispatch_uid="transitions.dibao_confirmed")
def on_dibao_confirmed(sender: Any, case: DibaoCase, by: Any, **kwargs: Any) -> None:
    household = case.household
    # A dibao household now: classify it at once (key target or safety net), not tonight.
    classification_recompute(household_ids=[household.pk], on=case.confirmed_on, by=by)
    links.enrolments_add_for_case(case)
    handoff_open(
        kind=K.INSURANCE_ENROLMENT,
        household=household,
        by=None,
        dibao_case=case,
        reason=_("Dibao confirmed: enrol the household's members in social insurance"),
        basis_actors=[by.pk if by else None],
        source_key=f"insurance:dibao:{case.pk}",
    )
    if (
        links.is_key_target(household)
        and not PovertyRecord.objects.filter(household=household).exists()
    ):
        handoff_open(
            kind=K.REGISTRATION_REFERRAL,
            household=household,
            by=None,
            dibao_case=case,
            reason=_("A dibao household with labour capacity, willing to be helped: register it"),
            basis_actors=[by.pk if by else None],
            source_key=f"referral:dibao:{case.pk}",
        )


@receiver(poverty_signals.exit_confirmed, dispatch_uid="transitions.exit_confirmed")
def on_exit_confirmed(sender: Any, record: PovertyRecord, by: Any, **kwargs: Any) -> None:
    case = links.active_dibao_case(record.household)
    if case is None:
        return
    handoff_open(
        kind=K.EXIT_NOTICE,
        household=record.household,
        by=None,
        dibao_case=case,
        poverty_record=record,
        reason=_("Exit from poverty confirmed (%(doc)s): decide the dibao")
        % {"doc": record.exit_document_no},
        basis_actors=[
            *_record_actors(record, "propose_exit", "confirm_exit"),
            by.pk if by else None,
        ],
        source_key=f"exit:{record.pk}:{record.exit_confirmed_on}",
    )


@receiver(poverty_signals.returned_to_poverty, dispatch_uid="transitions.returned")
def on_returned(sender: Any, record: PovertyRecord, by: Any, **kwargs: Any) -> None:
    handoff_open(
        kind=K.RETURN_TO_POVERTY,
        household=record.household,
        by=None,
        dibao_case=links.active_dibao_case(record.household),
        poverty_record=record,
        reason=_("The household returned to poverty: re-assess its dibao"),
        basis_actors=[by.pk if by else None],
        source_key=f"return:{record.pk}:{record.returned_on}",
    )


@receiver(poverty_signals.cannot_exit_reported, dispatch_uid="transitions.cannot_exit")
def on_cannot_exit(sender: Any, record: PovertyRecord, reason: str, by: Any, **kwargs: Any) -> None:
    handoff_open(
        kind=K.CANNOT_EXIT,
        household=record.household,
        by=None,
        dibao_case=links.active_dibao_case(record.household),
        poverty_record=record,
        reason=reason,
        basis_actors=[by.pk if by else None],
        details={"reported_by": by.pk if by else None},
        source_key=f"cannot_exit:{record.pk}:{links.open_count(record)}",
    )


@receiver(poverty_signals.classification_changed, dispatch_uid="transitions.classification")
def on_classification_changed(sender: Any, changes: list[Any], by: Any, **kwargs: Any) -> None:
    # Set-based: the nightly run may move thousands of households at once.
    handoffs_open_for_classification(changes=changes, on=timezone.localdate())


@receiver(assistance_signals.change_reported, dispatch_uid="transitions.change_reported")
def on_change_reported(sender: Any, case: DibaoCase, review: Any, by: Any, **kwargs: Any) -> None:
    phase_out_end_on_change(
        case=case, by=by, reason=_("A change was reported: the case returns to the normal review")
    )
