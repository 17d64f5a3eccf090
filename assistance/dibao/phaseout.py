"""The ledger side of the 6-month phase-out (渐退, domain.md §7): assistance owns the money.

When civil affairs decides to lower or stop a case's dibao after the household's confirmed exit,
the original amount and top-up level stay in the payroll for `phase_out_months` (policy data, 6)
counted from the month after the decision: one `BenefitAward` (reason phase-out) from that month,
with `kept_until` its last month. Payroll needs nothing special: the award stays the one in force
until the re-assessment records the next, so a re-assessment that is late never cuts the benefit
silently. `transitions` owns the workflow around it (when it is due, the hand-offs, the board)
and calls these two services.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from assistance.dibao.services import _award, _check_date, case_breakdown, current_award
from assistance.dibao.workflow import DIBAO
from assistance.models import BenefitAward, CaseReview, DibaoCase
from assistance.policy import selectors as policy_data
from core.models import User
from core.months import add_months, first_of_next_month

S = DibaoCase.Status
LOWER, STOP = "lower", "stop"
UNCHANGED, LOWERED, TERMINATED = "unchanged", "lowered", "terminated"


@dataclass(frozen=True)
class PhaseOutTerms:
    start_month: dt.date
    kept_until: dt.date
    due_on: dt.date


def phase_out_terms(decided_on: dt.date) -> PhaseOutTerms:
    """Months counted from the month after the decision; the re-assessment is due on the first
    day of the month after the last kept month (month 7 of 6)."""
    months = policy_data.int_parameter("phase_out_months", decided_on)
    start = first_of_next_month(decided_on)
    kept_until = add_months(start, months - 1)
    return PhaseOutTerms(start, kept_until, add_months(kept_until, 1))


def _check_after(on: dt.date, opened_on: dt.date) -> None:
    if on < opened_on:
        raise ValidationError(
            {"on": [_("The date is before the review was opened (%(d)s).") % {"d": opened_on}]}
        )


@transaction.atomic
def dibao_case_phase_out_start(
    *, case: DibaoCase, decision: str, decided_on: dt.date, by: User, note: str = ""
) -> BenefitAward:
    """Record civil affairs' decision to lower or stop after the exit as a phase-out award."""
    case = DIBAO.lock(case, by)
    DIBAO.check(case, "phase_out_start", by)
    if decision not in (LOWER, STOP):
        raise ValidationError(
            {"decision": [_("A phase-out follows a decision to lower or stop the dibao.")]},
            code="not_lowered",
        )
    _check_date("decided_on", decided_on, after=(case.confirmed_on, _("the confirmation")))
    terms = phase_out_terms(decided_on)
    if case.payment_stop_month is not None:
        raise ValidationError(_("This case's payments are stopped: no phase-out."), code="stopped")
    current = current_award(case, month=terms.start_month)
    if current is None:
        raise ValidationError(_("This case has no amount in the ledger to keep."), code="no_award")
    if current.effective_month >= terms.start_month or current.kept_until:
        raise ValidationError(
            _("The ledger already holds a decision from %(m)s on: no second phase-out.")
            % {"m": f"{current.effective_month:%Y-%m}"},
            code="later_award",
        )
    award = BenefitAward.objects.create(
        case=case,
        effective_month=terms.start_month,
        base_amount=current.base_amount,
        supplement_amount=current.supplement_amount,
        total=current.total,
        members=current.members,
        standard_id=current.standard_id,
        # The amounts are the original award's, kept (not recomputed): say which one.
        computation={**current.computation, "kept_from_award": current.pk},
        reason=BenefitAward.Reason.PHASE_OUT,
        kept_until=terms.kept_until,
        note=note,
        decided_by=by,
        decided_on=decided_on,
    )
    DIBAO.move(
        case,
        "phase_out_start",
        by,
        _("Phase-out (%(decision)s): %(total)s kept %(from)s–%(until)s")
        % {
            "decision": _("lower") if decision == LOWER else _("stop"),
            "total": current.total,
            "from": f"{terms.start_month:%Y-%m}",
            "until": f"{terms.kept_until:%Y-%m}",
        },
    )
    return award


@transaction.atomic
def dibao_case_phase_out_decide(
    *,
    case: DibaoCase,
    outcome: str,
    on: dt.date,
    due_on: dt.date,
    by: User,
    reason: str = "",
) -> BenefitAward | None:
    """The re-assessment at the end of the phase-out: a new amount from the next month (the
    recomputed one, from the case's declarations), termination from the next month, or
    continuation at the amount in force. Before it is due only with a reason."""
    case = DIBAO.lock(case, by)
    DIBAO.check(case, "phase_out_decide", by)
    if outcome not in (UNCHANGED, LOWERED, TERMINATED):
        raise ValidationError({"outcome": [_("Choose the outcome of the re-assessment.")]})
    _check_date("on", on, after=(case.confirmed_on, _("the confirmation")))
    reason = reason.strip()
    if on < due_on and not reason:
        raise ValidationError(
            {
                "reason": [
                    _("The re-assessment is due on %(d)s: give the reason for deciding early.")
                    % {"d": due_on}
                ]
            },
            code="not_due",
        )
    month = first_of_next_month(on)
    award: BenefitAward | None = None
    # A review opened for the re-assessment (to update the declarations) ends with it; any
    # other open review (periodic, a reported change) is decided in its own right first.
    review = CaseReview.objects.filter(case=case, closed_on__isnull=True).first()
    if review is not None and review.kind != CaseReview.Kind.PHASE_OUT:
        raise ValidationError(
            _("A %(kind)s is open on this case: close it before the re-assessment.")
            % {"kind": review.get_kind_display()},
            code="review_open",
        )
    if review is not None:
        _check_after(on, review.opened_on)
    if outcome == TERMINATED:
        CaseReview.objects.filter(case=case, closed_on__isnull=True).update(
            outcome=CaseReview.Outcome.TERMINATED, closed_on=on, closed_by=by
        )
        DIBAO.move(
            case,
            "phase_out_decide",
            by,
            reason or _("Re-assessed after the phase-out: terminated"),
            to=S.TERMINATED,
            payment_stop_month=month,
            next_review_due=None,
        )
        return None
    if outcome == LOWERED:
        breakdown = case_breakdown(case, on=on)
        current = current_award(case, month=month)
        old = current.total if current else Decimal("0")
        if not breakdown.eligible:
            raise ValidationError(
                _("The recomputed amount is 0: end the phase-out with termination."),
                code="not_eligible",
            )
        if breakdown.total >= old:
            raise ValidationError(
                _("The recomputed amount %(new)s is not lower than %(old)s: choose “unchanged”.")
                % {"new": breakdown.total, "old": old},
                code="not_lower",
            )
        award = _award(
            case=case,
            breakdown=breakdown,
            month=month,
            reason=BenefitAward.Reason.REVIEW,
            by=by,
            on=on,
            note=reason or _("Re-assessed after the phase-out"),
        )
    if review is not None:
        review.outcome = (
            CaseReview.Outcome.LOWERED if award is not None else CaseReview.Outcome.UNCHANGED
        )
        review.closed_on, review.closed_by, review.award = on, by, award
        review.save()
    DIBAO.move(
        case,
        "phase_out_decide",
        by,
        reason
        or (
            _("Re-assessed after the phase-out: new amount %(t)s") % {"t": award.total}
            if award
            else _("Re-assessed after the phase-out: continued unchanged")
        ),
        to=S.CONFIRMED if case.status == S.CONFIRMED else S.ACTIVE,
    )
    return award
