"""Every write of the sampling audit: atomic, row-locked, guarded by verification.audits.workflow
AUDIT, with the plan's history row (who, when, from/to, why) in the same transaction.

The audit reports, it does not decide: a discrepancy opens a review of the dibao case (assistance's
own service) or asks the town's caseworkers to re-examine the household; nothing here changes a
case's eligibility or amount. For the same reason a review, once opened, is the caseworker's: a
corrected result or a cancelled plan never closes or deletes it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assistance.dibao import services as dibao_services
from assistance.models import CaseReview, DibaoCase
from core.models import Region, User
from core.roles import Role
from core.scope import region_in_scope
from core.workflow import has_any_perm

from ..models import AuditPlan, AuditPolicy, AuditSample
from . import notify, sampling
from .workflow import AUDIT, sample_move

S = AuditPlan.Status
R = AuditSample.Result
MAX_SEED = 2**31 - 1
# The actions taken on one sampled household rather than on the plan.
SAMPLE_ACTIONS = ("record", "correct")


def policy_in_force(on: dt.date) -> AuditPolicy:
    policy = AuditPolicy.objects.in_force(on).first()
    if policy is None:
        raise ValidationError(
            _("No audit policy is in force on %(date)s: ask the data administrator.")
            % {"date": on.isoformat()},
            code="no_policy",
        )
    return policy  # type: ignore[no-any-return]


def half_year_end(on: dt.date) -> dt.date:
    return dt.date(on.year, 6, 30) if on.month <= 6 else dt.date(on.year, 12, 31)


def _check_plan(
    *,
    name: str,
    region: Region | None,
    period_from: dt.date | None,
    period_to: dt.date | None,
    allocation: str,
    sample_percent: Decimal | None,
    per_stratum: int | None,
    by: User,
) -> None:
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if not name.strip():
        errors["name"] = [_("Give the plan a name.")]
    if region is None or region.level not in (Region.Level.CITY, Region.Level.COUNTY):
        errors["region"] = [_("Choose the city or one district / county-level city.")]
    elif not region_in_scope(by, region):
        errors["region"] = [_("This region is outside your area of responsibility.")]
    if period_from is None:
        errors["period_from"] = [_("Give the start of the period.")]
    elif period_from > today:
        errors["period_from"] = [_("The period cannot start in the future.")]
    if period_to is None:
        errors["period_to"] = [_("Give the end of the period.")]
    elif period_from is not None and period_to < period_from:
        errors["period_to"] = [_("The end of the period is before its start.")]
    elif period_to > half_year_end(today):
        errors["period_to"] = [
            _("The period ends at the latest with the current half-year (%(date)s).")
            % {"date": half_year_end(today).isoformat()}
        ]
    if allocation not in AuditPlan.Allocation.values:
        errors["allocation"] = [_("Choose the allocation.")]
    elif allocation == AuditPlan.Allocation.FIXED and not per_stratum:
        errors["per_stratum"] = [_("Give the number of households per stratum.")]
    if sample_percent is not None and not (Decimal("0") < sample_percent <= Decimal("100")):
        errors["sample_percent"] = [_("The rate is a percentage above 0 and at most 100.")]
    if errors:
        raise ValidationError(errors)


def _check_auditors(auditors: Iterable[User], region: Region) -> list[User]:
    users = list(auditors)
    if not users:
        raise ValidationError({"auditors": [_("Assign at least one auditor.")]})
    for u in users:
        if u.role != Role.AUDITOR or not u.is_active:
            raise ValidationError(
                {"auditors": [_("%(user)s is not an active auditor.") % {"user": u}]}
            )
        if not region_in_scope(u, region):
            raise ValidationError(
                {
                    "auditors": [
                        _("%(user)s audits another area than %(region)s.")
                        % {"user": u, "region": region.name}
                    ]
                }
            )
    return users


@transaction.atomic
def audit_plan_create(
    *,
    name: str,
    region: Region,
    period_from: dt.date,
    period_to: dt.date,
    auditors: Iterable[User],
    by: User,
    allocation: str = AuditPlan.Allocation.PROPORTIONAL,
    sample_percent: Decimal | None = None,
    per_stratum: int | None = None,
    min_per_stratum: int | None = None,
    seed: int | None = None,
) -> AuditPlan:
    """A draft plan. `seed` empty: a random one (kept on the plan: the draw is reproducible)."""
    if not has_any_perm(by, AUDIT["create"].permission):
        raise PermissionDenied(_("Your role does not allow this action."))
    _check_plan(
        name=name,
        region=region,
        period_from=period_from,
        period_to=period_to,
        allocation=allocation,
        sample_percent=sample_percent,
        per_stratum=per_stratum,
        by=by,
    )
    plan = AuditPlan(
        name=name.strip(),
        region=region,
        period_from=period_from,
        period_to=period_to,
        allocation=allocation,
        sample_percent=sample_percent if allocation == AuditPlan.Allocation.PROPORTIONAL else None,
        per_stratum=per_stratum if allocation == AuditPlan.Allocation.FIXED else None,
        min_per_stratum=(
            min_per_stratum
            if min_per_stratum is not None
            else policy_in_force(timezone.localdate()).min_per_stratum
        ),
        seed=seed if seed is not None else secrets.randbelow(MAX_SEED) + 1,
        created_by=by,
    )
    AUDIT.check(plan, "create", by)
    if seed is not None and not (0 <= seed <= MAX_SEED):
        raise ValidationError({"seed": [_("The seed is a whole number from 0 to 2147483647.")]})
    users = _check_auditors(auditors, region)
    plan.save()
    plan.auditors.set(users)
    AUDIT.move(plan, "create", by, "")
    return plan


@transaction.atomic
def audit_plan_assign(*, plan: AuditPlan, auditors: Iterable[User], by: User) -> AuditPlan:
    """Change the plan's auditors (draft: `change`; drawn or under way: `assign`). An auditor
    taken off keeps the results they recorded."""
    plan = AUDIT.lock(plan, by)
    action = "change" if plan.status == S.DRAFT else "assign"
    AUDIT.check(plan, action, by)
    users = _check_auditors(auditors, plan.region)
    plan.auditors.set(users)
    names = "、".join(sorted(u.get_full_name() or u.username for u in users))
    AUDIT.move(plan, action, by, _("Auditors: %(names)s") % {"names": names})
    return plan


@transaction.atomic
def audit_plan_draw(*, plan: AuditPlan, by: User) -> AuditPlan:
    """Draw the stratified sample (verification.audits.sampling): one statement, reproducible."""
    plan = AUDIT.lock(plan, by)
    AUDIT.check(plan, "draw", by)
    today = timezone.localdate()
    if plan.allocation == AuditPlan.Allocation.PROPORTIONAL:
        rate = plan.sample_percent or policy_in_force(today).sample_percent
    else:
        rate = Decimal("0")
    count = sampling.draw(plan, rate=rate, until=min(plan.period_to, today))
    if count == 0:
        raise ValidationError(
            _("No recipient, refused or exited household in %(region)s: nothing to draw.")
            % {"region": plan.region.name},
            code="empty_frame",
        )
    AUDIT.move(
        plan,
        "draw",
        by,
        _("%(n)s households drawn (seed %(seed)s)") % {"n": count, "seed": plan.seed},
        drawn_at=timezone.now(),
        sample_percent=rate if plan.allocation == AuditPlan.Allocation.PROPORTIONAL else None,
    )
    notify.drawn(plan, count, by)
    return plan


@transaction.atomic
def audit_sample_record(
    *,
    sample: AuditSample,
    result: str,
    by: User,
    discrepancy_kind: str = "",
    details: str = "",
    visited_on: dt.date | None = None,
) -> AuditSample:
    """Record an assigned auditor's result on one sampled household, once. A discrepancy opens
    a review for the caseworker (an active dibao case) or asks the town to re-examine."""
    plan, sample = _lock_sample(sample, by)
    sample_check(sample, plan, "record", by)
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    details = details.strip()
    discrepancy_kind = _check_result(sample, result, discrepancy_kind, details, errors)
    if visited_on is None:
        errors["visited_on"] = [_("Give the date of the examination.")]
    elif visited_on > today:
        errors["visited_on"] = [_("The date cannot be in the future.")]
    elif plan.drawn_at and visited_on < timezone.localtime(plan.drawn_at).date():
        errors["visited_on"] = [_("The date is before the sample was drawn.")]
    if errors:
        raise ValidationError(errors)
    sample.result = result
    sample.discrepancy_kind = discrepancy_kind
    sample.details = details
    sample.visited_on = visited_on
    sample.recorded_by = by
    sample.recorded_at = timezone.now()
    sample.version += 1
    if result == R.DISCREPANCY:
        sample.review = _open_review(sample, plan, by)
    sample.save()
    sample_move(plan, "record", by, f"{sample.household_id}: {_result_text(sample)}", sample=sample)
    if result == R.DISCREPANCY:
        notify.discrepancy(sample, by)
    return sample


def _lock_sample(sample: AuditSample, by: User) -> tuple[AuditPlan, AuditSample]:
    """The plan, then the sample, row-locked in that order (every write on a sample takes the
    plan's lock first: two writes on one plan never deadlock), both read afresh."""
    plan = AUDIT.lock(sample.plan, by)
    sample = (
        AuditSample.objects.select_for_update(of=("self",))
        .select_related("stratum", "recorded_by")
        .get(pk=sample.pk)
    )
    if sample.plan_id != plan.pk:  # pragma: no cover - a sample belongs to one plan
        raise PermissionDenied
    return plan, sample


def sample_check(sample: AuditSample, plan: AuditPlan, name: str, user: User) -> None:
    """The guard of an action on one sampled household: the plan's (AUDIT: status, permission,
    assignment, separation of duties), then the sample's own — `record` a result not yet
    recorded, `correct` only a result one recorded oneself."""
    AUDIT.check(plan, name, user)
    if name == "record" and sample.result != R.PENDING:
        raise ValidationError(
            _("This household's result was already recorded by %(user)s: reload the page.")
            % {"user": sample.recorded_by},
            code="already_recorded",
        )
    if name == "correct":
        if sample.result == R.PENDING:
            raise ValidationError(
                _("No result has been recorded on this household yet: record it instead."),
                code="not_recorded",
            )
        if sample.recorded_by_id != user.pk:
            raise PermissionDenied(
                _("Only %(user)s, who recorded this result, may correct it.")
                % {"user": _name(sample.recorded_by)}
            )


def sample_allowed(sample: AuditSample, user: User) -> list[str]:
    """The actions `user` may take on this sampled household now (its page's forms, the API's
    `allowed_actions`): exactly what `sample_check` lets through."""
    out = []
    for name in SAMPLE_ACTIONS:
        try:
            sample_check(sample, sample.plan, name, user)
        except (PermissionDenied, ValidationError):
            continue
        out.append(name)
    return out


def _name(user: User | None) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _check_result(
    sample: AuditSample,
    result: str,
    discrepancy_kind: str,
    details: str,
    errors: dict[str, list[str]],
) -> str:
    """Validate a result (record and correct alike) into `errors`; the kind to store."""
    if result not in (R.CONFORMS, R.DISCREPANCY):
        errors["result"] = [_("Choose conforms or discrepancy.")]
    elif result == R.DISCREPANCY:
        allowed = AuditSample.KINDS_BY_FRAME[sample.stratum.frame]  # type: ignore[index]
        if discrepancy_kind not in allowed:
            errors["discrepancy_kind"] = [
                _("For this household choose one of: %(kinds)s.")
                % {"kinds": "、".join(str(AuditSample.Discrepancy(k).label) for k in allowed)}
            ]
        if not details:
            errors["details"] = [_("Describe the discrepancy.")]
    else:
        return ""
    return discrepancy_kind


def _result_text(sample: AuditSample, *, notes: bool = False) -> str:
    """The result as the history reads it; `notes`: with the details of a conforming one too
    (a correction may change only those)."""
    text = str(sample.get_result_display())
    if sample.result == R.DISCREPANCY:
        text += f" ({sample.get_discrepancy_kind_display()}) {sample.details}"
    elif notes and sample.details:
        text += f" {sample.details}"
    return text


@transaction.atomic
def audit_sample_correct(
    *,
    sample: AuditSample,
    result: str,
    reason: str,
    version: int,
    by: User,
    discrepancy_kind: str = "",
    details: str = "",
) -> AuditSample:
    """The recording auditor corrects their result (conforms ↔ discrepancy, the kind, the
    details) while the plan is not closed, saying why; `version` is the sample's version the
    correction was made on (a correction made meanwhile → code "stale", API 409).

    The review an earlier discrepancy opened is the caseworker's now: it is kept, whatever the
    new result, and the history row says so. A correction to a discrepancy opens a review as
    `record` does, unless the sample's review is still open. The date of examination stays."""
    plan, sample = _lock_sample(sample, by)
    sample_check(sample, plan, "correct", by)
    if sample.version != version:
        raise ValidationError(
            _(
                "This result was corrected meanwhile (it now reads “%(now)s”): reload the page, "
                "then correct it again if it is still wrong."
            )
            % {"now": _result_text(sample)},
            code="stale",
        )
    errors: dict[str, list[str]] = {}
    details = details.strip()
    reason = reason.strip()
    discrepancy_kind = _check_result(sample, result, discrepancy_kind, details, errors)
    if not reason:
        errors["reason"] = [_("Say why the result is corrected.")]
    if not errors and (result, discrepancy_kind, details) == (
        sample.result,
        sample.discrepancy_kind,
        sample.details,
    ):
        errors["result"] = [_("This is the result already recorded: nothing to correct.")]
    if errors:
        raise ValidationError(errors)
    old_text = _result_text(sample, notes=True)
    old_result, old_review = sample.result, sample.review
    sample.result = result
    sample.discrepancy_kind = discrepancy_kind
    sample.details = details
    sample.version += 1
    notes = []
    if result == R.DISCREPANCY:
        if old_review is not None and old_review.closed_on is None:
            notes.append(
                _("The review %(review)s stays open with the caseworker.") % {"review": old_review}
            )
        else:
            # Keep the link to a closed review when no new one can be opened (the case moved on).
            sample.review = _open_review(sample, plan, by) or old_review
            if sample.review is not None and sample.review != old_review:
                notes.append(
                    _("The review %(review)s is open for the caseworker.")
                    % {"review": sample.review}
                )
    elif old_review is not None:
        notes.append(
            _(
                "The review %(review)s the discrepancy opened is kept: it belongs to the "
                "caseworker now."
            )
            % {"review": old_review}
        )
    sample.save()
    why = _("%(hh)s corrected: %(old)s → %(new)s. Reason: %(reason)s") % {
        "hh": sample.household_id,
        "old": old_text,
        "new": _result_text(sample, notes=True),
        "reason": reason,
    }
    sample_move(plan, "correct", by, " ".join([why, *map(str, notes)]), sample=sample)
    if result == R.DISCREPANCY:
        notify.discrepancy(sample, by)
    elif old_result == R.DISCREPANCY:
        notify.corrected(sample, by, review=old_review)
    return sample


def _open_review(sample: AuditSample, plan: AuditPlan, by: User) -> CaseReview | None:
    """A recipient's dibao case found wrong: open a reported-change review (the caseworker
    re-investigates; assistance's service, opened by the system on the audit's behalf — the
    auditor has no casework permission); a review already under way is linked instead.
    Refused or exited households and tekun ones: no case to review, the town is told."""
    if sample.stratum.frame != "recipient" or not sample.dibao_case_id:
        return None
    case = DibaoCase.objects.get(pk=sample.dibao_case_id)
    open_review = CaseReview.objects.filter(case=case, closed_on__isnull=True).first()
    if open_review is not None:
        return open_review
    if case.status not in (DibaoCase.Status.ACTIVE, DibaoCase.Status.CONFIRMED):
        return None
    reason = _("Third-party audit %(no)s (%(by)s): %(kind)s. %(details)s") % {
        "no": str(plan),
        "by": by.get_full_name() or by.username,
        "kind": sample.get_discrepancy_kind_display(),
        "details": sample.details,
    }
    try:
        return dibao_services.review_open(
            case=case, kind=CaseReview.Kind.REPORTED_CHANGE, reason=reason, by=None
        )
    except (ValidationError, PermissionDenied):
        # The case moved on meanwhile (e.g. suspended): the caseworkers are told all the same.
        return None


@transaction.atomic
def audit_plan_close(*, plan: AuditPlan, by: User, reason: str = "") -> AuditPlan:
    """Close the audit once every sampled household has its result; never by someone who
    recorded one (separation of duties, AUDIT)."""
    plan = AUDIT.lock(plan, by)
    AUDIT.check(plan, "close", by)
    pending = plan.samples.filter(result=R.PENDING).count()
    if pending:
        raise ValidationError(
            _("%(n)s sampled households have no result yet: the audit cannot be closed.")
            % {"n": pending},
            code="pending_samples",
        )
    return AUDIT.move(plan, "close", by, reason.strip(), closed_at=timezone.now())


@transaction.atomic
def audit_plan_cancel(*, plan: AuditPlan, by: User, reason: str) -> AuditPlan:
    """Call the audit off before it is closed (draft, drawn or under way), saying why. Nothing is
    deleted: the samples and their results stay in the history, but count for nothing (no
    report); the auditors no longer see the households (selectors); the reviews the plan opened
    stay with the caseworkers."""
    plan = AUDIT.lock(plan, by)
    AUDIT.check(plan, "cancel", by)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the audit plan is cancelled.")]})
    recorded = plan.samples.exclude(result=R.PENDING).count()
    why = reason
    if recorded:
        why += " " + ngettext(
            "(%(n)s result recorded is kept, not counted.)",
            "(%(n)s results recorded are kept, not counted.)",
            recorded,
        ) % {"n": recorded}
    was_drawn = plan.status != S.DRAFT
    AUDIT.move(plan, "cancel", by, why, cancelled_at=timezone.now())
    if was_drawn:
        notify.cancelled(plan, by)
    return plan
