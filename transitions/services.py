"""Hand-off writes: one set of services for every kind. Each is atomic, locks the hand-off row,
is guarded by the declaration (transitions.workflow) and its policy, writes the history row and
notifies whoever must act next — all in one transaction. Two approvers at once: the second waits
for the lock, then counts the first one's vote (or finds the hand-off decided).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance.models import DibaoCase
from assistance.policy.selectors import county_of
from core.calendar import add_working_days
from core.models import Region, User
from core.scope import users_covering
from households.models import Household
from poverty.models import PovertyRecord

from . import effects, notify
from .kinds import KINDS
from .models import Handoff, HandoffDecision, HandoffKind, HandoffTransition
from .policy import ALL, ANY, Stage, policy_in_force, stages_of
from .workflow import HANDOFF, stage_role

S = Handoff.Status


def _not_future(field: str, day: dt.date, *, after: dt.date | None = None, what: str = "") -> None:
    if day > timezone.localdate():
        raise ValidationError({field: [_("The date cannot be in the future.")]})
    if after is not None and day < after:
        raise ValidationError(
            {field: [_("The date is before %(what)s (%(d)s).") % {"what": what, "d": after}]}
        )


def eligible_users(handoff: Handoff, stage: Stage) -> Any:
    """The active users who may decide `stage` of `handoff` (role, level, area)."""
    return users_covering(handoff.region).filter(
        role=stage_role(handoff, stage.role), region__level=stage.level
    )


def _barred(handoff: Handoff) -> set[int]:
    """Who may not vote on this hand-off whatever the stage: its opener, the makers of its
    basis, whoever voted already, and the acknowledger where the policy says so."""
    ids = {handoff.created_by_id, *handoff.basis_actors}
    if handoff.pk:
        ids |= set(HandoffDecision.objects.filter(handoff=handoff).values_list("by_id", flat=True))
        if not handoff.policy.acknowledger_may_decide:
            ids |= set(
                handoff.transitions.filter(action="acknowledge").values_list("by_id", flat=True)
            )
    return {i for i in ids if i}


def _all_required(handoff: Handoff, stage: Stage, votes: int) -> int:
    """ "All" = the votes so far plus everyone still able to vote at this stage (recounted at
    each vote: someone barred, deactivated or moved does not hold the stage up for ever)."""
    remaining = eligible_users(handoff, stage).exclude(pk__in=_barred(handoff)).count()
    return max(1, votes + remaining)


def _enter_stage(handoff: Handoff, index: int) -> None:
    stage = stages_of(handoff.policy)[index]
    handoff.stage = index
    handoff.stage_role = stage.role
    handoff.stage_level = stage.level
    if stage.approvals == ANY:
        handoff.stage_required = 1
    elif stage.approvals == ALL:
        handoff.stage_required = _all_required(handoff, stage, 0)
    else:
        handoff.stage_required = int(stage.approvals)


def handoff_open(
    *,
    kind: str,
    household: Household,
    by: User | None,
    reason: str = "",
    dibao_case: DibaoCase | None = None,
    poverty_record: PovertyRecord | None = None,
    details: dict[str, Any] | None = None,
    basis_actors: Iterable[int | None] = (),
    to_department: str | None = None,
    source_key: str = "",
    on: dt.date | None = None,
) -> Handoff:
    """Open a hand-off (by a person, or by the system with `by` None and a `source_key` that
    makes a second opening of the same thing return the first). Call inside the transaction of
    whatever caused it."""
    with transaction.atomic():
        spec = KINDS.get(kind)
        if spec is None:
            raise ValidationError({"kind": [_("Choose the kind of hand-off.")]})
        on = on or timezone.localdate()
        if by is not None:
            HANDOFF.check(Handoff(status="", region=household.village), "open", by)
            if not by.is_superuser and by.role not in spec.opened_by:
                raise PermissionDenied(
                    _("Your role does not open this kind of hand-off: the system opens it.")
                )
            if not reason.strip():
                raise ValidationError({"reason": [_("Give the reason for the hand-off.")]})
        if source_key:
            found = Handoff.objects.filter(kind=kind, source_key=source_key).first()
            if found is not None:
                return found
        elif Handoff.objects.filter(
            kind=kind, household=household, status__in=(S.OPEN, S.ACKNOWLEDGED)
        ).exists():
            raise ValidationError(
                _("This household already has an open hand-off of this kind."), code="duplicate"
            )
        policy = policy_in_force(kind, on)
        handoff = Handoff(
            kind=kind,
            household=household,
            region=household.village,
            county=county_of(household.village),
            dibao_case=dibao_case,
            poverty_record=poverty_record,
            # A kind that goes either way (a classification change) comes from the other one.
            from_department=spec.to_department
            if to_department == spec.from_department
            else spec.from_department,
            to_department=to_department or spec.to_department,
            policy=policy,
            reason=reason.strip(),
            details=details or {},
            basis_actors=sorted({i for i in basis_actors if i}),
            opened_on=on,
            acknowledge_due=add_working_days(on, policy.acknowledge_days),
            decide_due=add_working_days(on, policy.decide_days),
            source_key=source_key,
            created_by=by,
        )
        _enter_stage(handoff, 0)
        try:
            with transaction.atomic():
                HANDOFF.move(
                    handoff,
                    "open" if by is not None else "open_auto",
                    by,
                    reason.strip() or str(spec_label(kind)),
                )
        except IntegrityError:
            # A second opener of the same source (two workers): the first one's stands.
            found = Handoff.objects.filter(kind=kind, source_key=source_key).first()
            if source_key and found is not None:
                return found
            raise
        notify.handoff_event(handoff, "open", by)
        return handoff


def spec_label(kind: str) -> str:
    return str(HandoffKind(kind).label)


def _begin(handoff: Handoff, action: str, by: User) -> Handoff:
    locked = HANDOFF.lock(handoff, by)
    HANDOFF.check(locked, action, by)
    return locked


@transaction.atomic
def handoff_acknowledge(*, handoff: Handoff, by: User, reason: str = "") -> Handoff:
    handoff = _begin(handoff, "acknowledge", by)
    handoff = HANDOFF.move(
        handoff,
        "acknowledge",
        by,
        reason.strip() or _("Receipt acknowledged"),
        acknowledged_on=timezone.localdate(),
    )
    notify.handoff_event(handoff, "acknowledge", by)
    return handoff


@transaction.atomic
def handoff_approve(
    *,
    handoff: Handoff,
    by: User,
    reason: str = "",
    outcome: str = "",
    decided_on: dt.date | None = None,
    details: dict[str, Any] | None = None,
) -> Handoff:
    """One approval at the current stage. When the stage has its approvals, the next stage
    begins; after the last one the hand-off is approved and its effect applied (the kind's:
    a registration, a dibao application, a phase-out…) in the same transaction."""
    if handoff.dibao_case_id:
        # The case first, then the hand-off: the order a reported change takes (the case in
        # review_open, then the phase-out and its hand-off), so the two never deadlock.
        DibaoCase.objects.select_for_update(of=("self",)).filter(pk=handoff.dibao_case_id).first()
    handoff = _begin(handoff, "approve", by)
    spec = KINDS[handoff.kind]
    stages = stages_of(handoff.policy)
    last = handoff.stage == len(stages) - 1
    decided_on = decided_on or timezone.localdate()
    _not_future("decided_on", decided_on, after=handoff.opened_on, what=_("the hand-off"))
    choices = dict(spec.outcomes)
    if choices and outcome not in choices:
        raise ValidationError({"outcome": [_("Choose the decision.")]})
    if not choices and outcome:
        raise ValidationError({"outcome": [_("This kind of hand-off has no outcomes.")]})
    earlier = (
        HandoffDecision.objects.filter(handoff=handoff, stage=handoff.stage)
        .exclude(outcome=outcome)
        .values_list("outcome", flat=True)
        .first()
    )
    if choices and earlier:
        raise ValidationError(
            {
                "outcome": [
                    _("An earlier approver chose “%(chosen)s”: approve the same, or reject.")
                    % {"chosen": choices.get(earlier, earlier)}
                ]
            },
            code="outcome_differs",
        )
    try:
        with transaction.atomic():
            HandoffDecision.objects.create(
                handoff=handoff,
                stage=handoff.stage,
                decision=HandoffDecision.Decision.APPROVE,
                role=by.role,
                outcome=outcome,
                by=by,
                reason=reason.strip(),
            )
    except IntegrityError as e:
        raise PermissionDenied(
            _("You have already decided on this hand-off: another person must act.")
        ) from e
    votes = HandoffDecision.objects.filter(
        handoff=handoff, stage=handoff.stage, decision=HandoffDecision.Decision.APPROVE
    ).count()
    why = reason.strip() or (str(choices[outcome]) if outcome else _("Approved"))
    stage = stages[handoff.stage]
    if stage.approvals == ALL:
        handoff.stage_required = _all_required(handoff, stage, votes)
    if votes < handoff.stage_required:
        HANDOFF.move(
            handoff,
            "approve",
            by,
            _("%(why)s (approval %(n)s of %(of)s)")
            % {"why": why, "n": votes, "of": handoff.stage_required},
            to=S.ACKNOWLEDGED,
        )
        return handoff
    if not last:
        _enter_stage(handoff, handoff.stage + 1)
        HANDOFF.move(handoff, "approve", by, why, to=S.ACKNOWLEDGED)
        notify.handoff_event(handoff, "stage", by)
        return handoff
    HANDOFF.move(handoff, "approve", by, why, to=S.APPROVED, outcome=outcome, decided_on=decided_on)
    effects.apply(handoff, by=by, decided_on=decided_on, details=details or {}, reason=why)
    notify.handoff_event(handoff, "approve", by)
    return handoff


@transaction.atomic
def handoff_reject(*, handoff: Handoff, by: User, reason: str) -> Handoff:
    handoff = _begin(handoff, "reject", by)
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason for the rejection.")]})
    HandoffDecision.objects.create(
        handoff=handoff,
        stage=handoff.stage,
        decision=HandoffDecision.Decision.REJECT,
        role=by.role,
        by=by,
        reason=reason.strip(),
    )
    handoff = HANDOFF.move(handoff, "reject", by, reason.strip(), decided_on=timezone.localdate())
    notify.handoff_event(handoff, "reject", by)
    return handoff


@transaction.atomic
def handoff_withdraw(*, handoff: Handoff, by: User, reason: str) -> Handoff:
    handoff = _begin(handoff, "withdraw", by)
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason for withdrawing.")]})
    handoff = HANDOFF.move(handoff, "withdraw", by, reason.strip())
    notify.handoff_event(handoff, "withdraw", by)
    return handoff


def handoffs_escalate(*, on: dt.date) -> int:
    """Every open hand-off not acknowledged by its limit is escalated once: one UPDATE, one
    history row each, one notification per district's supervisors. Idempotent (escalated_on
    is set once), safe to run twice or after a crash (one transaction)."""
    with transaction.atomic(), connection.cursor() as cur:
        at = timezone.now()
        cur.execute(
            f"""
            WITH moved AS (
                UPDATE {Handoff._meta.db_table} h SET escalated_on = %s, updated_at = %s
                WHERE h.status = 'open' AND h.escalated_on IS NULL AND h.acknowledge_due < %s
                RETURNING h.id, h.county_id
            ), hist AS (
                INSERT INTO {HandoffTransition._meta.db_table}
                    (handoff_id, action, from_status, to_status, by_id, at, reason)
                SELECT id, 'escalate', 'open', 'open', NULL, %s, %s FROM moved
            )
            SELECT county_id, count(*) FROM moved GROUP BY county_id
            """,  # noqa: S608 - table names from model metadata
            [on, at, on, at, _("Not acknowledged in time: escalated")],
        )
        per_county = dict(cur.fetchall())
        for county_id, count in per_county.items():
            notify.escalated(Region.objects.get(pk=county_id), count)
        return sum(per_county.values())


def handoffs_open_for_classification(*, changes: list[Any], on: dt.date) -> int:
    """One classification-change hand-off for each household whose class changed (from one
    class to the other), to the department of the new class: one INSERT … SELECT however many
    (the nightly run may move thousands), idempotent by source key (the household's current
    classification row), one history row each, one notification per district and department.
    Called inside the recompute's transaction."""
    real = [c for c in changes if c.old and c.new and c.old != c.new]
    if not real:
        return 0
    from poverty.models import HouseholdClass, HouseholdClassification

    from .kinds import DEPARTMENT_REVIEWER, KINDS
    from .links import DIBAO_STATUSES

    kind = HandoffKind.CLASSIFICATION_CHANGE
    spec = KINDS[kind]
    policy = policy_in_force(kind, on)
    stage = stages_of(policy)[0]
    required = stage.approvals if isinstance(stage.approvals, int) else 1
    to = ["poverty_office" if c.new == HouseholdClass.KEY_TARGET else "civil_affairs" for c in real]
    at = timezone.now()
    h, t = Handoff._meta.db_table, HandoffTransition._meta.db_table
    labels = {v: str(label) for v, label in HouseholdClass.choices}
    sql = f"""
        WITH src AS (
            SELECT * FROM unnest(%(hh)s::bigint[], %(to)s::text[], %(old)s::text[],
                                 %(new)s::text[])
                AS u(household_id, to_department, old, new)
        ), ins AS (
            INSERT INTO {h} (kind, household_id, region_id, county_id, dibao_case_id,
                from_department, to_department, policy_id, status, stage, stage_required,
                stage_role, stage_level, reason, details, basis_actors, outcome, opened_on,
                acknowledge_due, decide_due, source_key, created_at, updated_at)
            SELECT %(kind)s, s.household_id, hh.village_id, c.id,
                (SELECT max(d.id) FROM {DibaoCase._meta.db_table} d
                 WHERE d.household_id = s.household_id AND d.status = ANY(%(paying)s)),
                CASE WHEN s.to_department = %(spec_from)s THEN %(spec_to)s ELSE %(spec_from)s END,
                s.to_department, %(policy)s, 'open', 0, %(required)s, %(role)s, %(level)s,
                %(why_prefix)s || (%(labels)s::jsonb ->> s.old) || ' → '
                    || (%(labels)s::jsonb ->> s.new),
                jsonb_build_object('old', s.old, 'new', s.new), ARRAY[]::integer[], '',
                %(on)s, %(ack)s, %(decide)s,
                'class:' || s.household_id || ':' || COALESCE(
                    (SELECT max(k.id) FROM {HouseholdClassification._meta.db_table} k
                     WHERE k.household_id = s.household_id AND k.current), 0),
                %(at)s, %(at)s
            FROM src s
            JOIN households_household hh ON hh.id = s.household_id
            JOIN core_region v ON v.id = hh.village_id
            JOIN core_region c ON c.code = substr(v.code, 1, %(county_len)s) AND c.level = 'county'
            ON CONFLICT (kind, source_key) WHERE source_key <> '' DO NOTHING
            RETURNING id, county_id, to_department, reason
        ), hist AS (
            INSERT INTO {t} (handoff_id, action, from_status, to_status, by_id, at, reason)
            SELECT id, 'open_auto', '', 'open', NULL, %(at)s, reason FROM ins
        )
        SELECT county_id, to_department, count(*) FROM ins GROUP BY county_id, to_department
    """  # noqa: S608 - table names from model metadata, values are parameters
    import json

    params: dict[str, Any] = {
        "hh": [c.household_id for c in real],
        "to": to,
        "old": [c.old for c in real],
        "new": [c.new for c in real],
        "kind": kind,
        "paying": list(DIBAO_STATUSES),
        "spec_from": spec.from_department,
        "spec_to": spec.to_department,
        "policy": policy.pk,
        "required": required,
        "role": stage.role,
        "level": stage.level,
        "why_prefix": _("Classification changed: "),
        "labels": json.dumps(labels, ensure_ascii=False),
        "on": on,
        "ack": add_working_days(on, policy.acknowledge_days),
        "decide": add_working_days(on, policy.decide_days),
        "at": at,
        "county_len": Region.CODE_LENGTH[Region.Level.COUNTY],
    }
    with connection.cursor() as cur:
        cur.execute(sql, params)
        opened = cur.fetchall()
    counties = Region.objects.in_bulk([county_id for county_id, _d, _n in opened])
    for county_id, department, count in opened:
        role = DEPARTMENT_REVIEWER[department] if stage.role == "receiving_reviewer" else stage.role
        notify.classification_changes(counties[county_id], role, stage.level, count)
    return sum(n for _c, _d, n in opened)
