"""The 6-month phase-out's workflow (domain.md §7); the money is assistance's ledger.

- `phase_out_start`: civil affairs decided to lower or stop after the confirmed exit → the
  ledger keeps the original amount (assistance.dibao.phaseout), a `PhaseOut` row tracks it, the
  poverty office is told (a phase-out-start hand-off) and the town's caseworkers are notified.
- `phase_outs_mark` (the daily beat job): set-based and idempotent — phase-outs reaching their
  due day become due, those past it overdue, each due one gets its re-assessment hand-off once
  (a unique source key), the districts are notified. One transaction: a crash leaves nothing
  half-done and the next run does it all.
- `phase_out_reassess`: the re-assessment (through its hand-off, or early with a reason).
- `phase_out_end_on_change`: a reported change ends it; the case goes to the normal review.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance.dibao import phaseout as ledger
from assistance.models import DibaoCase
from assistance.policy.selectors import county_of
from core.calendar import add_working_days
from core.models import Region, User

from . import notify
from .kinds import REASSESSMENT_OUTCOMES
from .models import Handoff, HandoffKind, HandoffTransition, PhaseOut
from .policy import policy_in_force, stages_of
from .workflow import PHASE_OUT

P = PhaseOut.Status


@transaction.atomic
def phase_out_start(
    *,
    case: DibaoCase,
    decision: str,
    decided_on: dt.date,
    by: User,
    notice: Handoff | None = None,
    note: str = "",
) -> PhaseOut:
    from .services import handoff_open

    award = ledger.dibao_case_phase_out_start(
        case=case, decision=decision, decided_on=decided_on, by=by, note=note
    )
    case = DibaoCase.objects.select_related("household__village").get(pk=case.pk)
    terms = ledger.phase_out_terms(decided_on)
    village = case.household.village
    phase_out = PhaseOut(
        case=case,
        household=case.household,
        county=county_of(village),
        region=village,
        decision=decision,
        decided_on=decided_on,
        start_month=terms.start_month,
        kept_until=terms.kept_until,
        due_on=terms.due_on,
        award=award,
        notice=notice,
        created_by=by,
    )
    PHASE_OUT.move(
        phase_out,
        "start",
        by,
        _("Original amount %(total)s kept %(from)s–%(until)s; re-assessment due %(due)s")
        % {
            "total": award.total,
            "from": f"{terms.start_month:%Y-%m}",
            "until": f"{terms.kept_until:%Y-%m}",
            "due": terms.due_on,
        },
    )
    handoff_open(
        kind=HandoffKind.PHASE_OUT_START,
        household=case.household,
        by=None,
        dibao_case=case,
        poverty_record=notice.poverty_record if notice else None,
        details={"phase_out": phase_out.pk, "due_on": terms.due_on.isoformat()},
        reason=_("Phase-out started: re-assessment due %(due)s") % {"due": terms.due_on},
        source_key=f"phase_out:{phase_out.pk}",
        on=timezone.localdate(),
    )
    notify.phase_out_started(phase_out, by)
    return phase_out


def phase_outs_mark(*, on: dt.date) -> dict[str, int]:
    """The daily job: see the module docstring. Returns the counts of this run."""
    table = PhaseOut._meta.db_table
    with transaction.atomic():
        due = PHASE_OUT.bulk_move(
            f"SELECT id FROM {table} WHERE status = 'running' AND due_on <= %s",  # noqa: S608
            [on],
            "mark_due",
            by=None,
            reason=_("The re-assessment is due"),
        )
        overdue = PHASE_OUT.bulk_move(
            f"SELECT id FROM {table} WHERE status = 'due' AND due_on < %s",  # noqa: S608
            [on],
            "mark_overdue",
            by=None,
            reason=_("The re-assessment is overdue: the original amount is still paid"),
        )
        opened = _open_reassessments(on)
        for county_id, count in opened.items():
            notify.reassessments_due(Region.objects.get(pk=county_id), count)
        return {"due": due, "overdue": overdue, "opened": sum(opened.values())}


def _open_reassessments(on: dt.date) -> dict[int, int]:
    """One re-assessment hand-off for each due or overdue phase-out that has none: one INSERT
    … SELECT (a second run, or a second worker, inserts nothing: the source key is unique)."""
    kind = HandoffKind.PHASE_OUT_REASSESSMENT
    policy = policy_in_force(kind, on)
    stage = stages_of(policy)[0]
    # "all" is recounted at the first vote (services._all_required); a number is the number.
    required = stage.approvals if isinstance(stage.approvals, int) else 1
    ack_due = add_working_days(on, policy.acknowledge_days)
    decide_due = add_working_days(on, policy.decide_days)
    at = timezone.now()
    reason = _("Phase-out re-assessment due")
    h, t, p = Handoff._meta.db_table, HandoffTransition._meta.db_table, PhaseOut._meta.db_table
    sql = f"""
        WITH ins AS (
            INSERT INTO {h} (kind, household_id, region_id, county_id, dibao_case_id,
                from_department, to_department, policy_id, status, stage, stage_required,
                stage_role, stage_level, reason, details, basis_actors, outcome, opened_on,
                acknowledge_due, decide_due, source_key, created_at, updated_at)
            SELECT %s, p.household_id, p.region_id, p.county_id, p.case_id,
                'civil_affairs', 'civil_affairs', %s, 'open', 0, %s, %s, %s, %s,
                jsonb_build_object('phase_out', p.id, 'due_on', p.due_on::text),
                ARRAY[]::integer[], '', %s, %s, %s, 'phase_out:' || p.id, %s, %s
            FROM {p} p
            WHERE p.status IN ('due', 'overdue')
            ON CONFLICT (kind, source_key) WHERE source_key <> '' DO NOTHING
            RETURNING id, county_id
        ), hist AS (
            INSERT INTO {t} (handoff_id, action, from_status, to_status, by_id, at, reason)
            SELECT id, 'open_auto', '', 'open', NULL, %s, %s FROM ins
        )
        SELECT county_id, count(*) FROM ins GROUP BY county_id
    """  # noqa: S608 - table names from model metadata, values are parameters
    with connection.cursor() as cur:
        cur.execute(
            sql,
            [
                kind,
                policy.pk,
                required,
                stage.role,
                stage.level,
                reason,
                on,
                ack_due,
                decide_due,
                at,
                at,
                at,
                reason,
            ],
        )
        return dict(cur.fetchall())


@transaction.atomic
def phase_out_reassess(
    *,
    phase_out: PhaseOut,
    outcome: str,
    on: dt.date,
    by: User,
    reason: str = "",
    via_handoff: bool = False,
) -> PhaseOut:
    """End the phase-out with the re-assessment: a new amount from next month, termination,
    or continuation (assistance records the money). Before it is due only with a reason; once
    its re-assessment hand-off is open, only through that hand-off (one decision, one record)."""
    phase_out = PHASE_OUT.lock(phase_out, by)
    PHASE_OUT.check(phase_out, "reassess", by)
    # The new amount takes effect the month after the re-assessment: never before, nor in
    # place of, the kept award (the ledger would pay the original amount again after it).
    if on < phase_out.start_month:
        raise ValidationError(
            {
                "on": [
                    _("The phase-out runs from %(m)s: re-assess on or after %(d)s.")
                    % {"m": f"{phase_out.start_month:%Y-%m}", "d": phase_out.start_month}
                ]
            },
            code="too_early",
        )
    if (
        not via_handoff
        and Handoff.objects.filter(
            kind=HandoffKind.PHASE_OUT_REASSESSMENT,
            source_key=f"phase_out:{phase_out.pk}",
            status__in=(Handoff.Status.OPEN, Handoff.Status.ACKNOWLEDGED),
        ).exists()
    ):
        raise ValidationError(
            _("The re-assessment hand-off is open: decide it there."), code="use_handoff"
        )
    ledger.dibao_case_phase_out_decide(
        case=phase_out.case,
        outcome=outcome,
        on=on,
        due_on=phase_out.due_on,
        by=by,
        reason=reason,
    )
    return PHASE_OUT.move(
        phase_out,
        "reassess",
        by,
        reason or dict(REASSESSMENT_OUTCOMES).get(outcome, outcome),
        outcome=outcome,
        closed_on=on,
    )


def phase_out_end_on_change(*, case: DibaoCase, by: User | None, reason: str) -> PhaseOut | None:
    """A reported change during the phase-out ends it (the review decides from here); its open
    re-assessment hand-off, if any, is withdrawn."""
    phase_out = (
        PhaseOut.objects.select_for_update().filter(case=case, status__in=PhaseOut.OPEN).first()
    )
    if phase_out is None:
        return None
    PHASE_OUT.move(phase_out, "end", by, reason, closed_on=timezone.localdate())
    from .workflow import HANDOFF

    for handoff in Handoff.objects.select_for_update().filter(
        kind=HandoffKind.PHASE_OUT_REASSESSMENT,
        source_key=f"phase_out:{phase_out.pk}",
        status__in=(Handoff.Status.OPEN, Handoff.Status.ACKNOWLEDGED),
    ):
        HANDOFF.move(handoff, "withdraw", by, _("The phase-out ended: a change was reported"))
    return phase_out


def phase_out_for_handoff(handoff: Handoff) -> PhaseOut:
    try:
        return PhaseOut.objects.get(pk=handoff.details["phase_out"])
    except (KeyError, PhaseOut.DoesNotExist) as e:
        raise ValidationError(_("This hand-off names no phase-out.")) from e
