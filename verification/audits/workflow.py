"""The sampling audit, declared once (core.workflow).

    draft ──draw──▶ drawn ──record──▶ in progress ──record…/correct…──▶ in progress ──close──▶ closed
      └───────────────┴──────────────────┴──cancel──▶ cancelled

- a city supervisor (PLAN_AUDIT) creates the plan, draws its sample and closes it, or cancels it
  (with a reason) at any point before it is closed;
- only an auditor assigned to the plan (RECORD_AUDIT and `assigned`) records a result on one of
  its households: each result is a `record` row of the plan's history, naming the sample; the
  auditor who recorded a result may `correct` it (with a reason) until the plan is closed — a
  step that keeps the status, one history row per correction. Which sample a user may act on
  (pending for `record`, their own result for `correct`) is the services' `sample_check`: the
  declaration's rules see the plan only;
- separation of duties, checked against the plan's whole history: whoever recorded a result
  never closes or cancels the audit, and whoever drew the sample records or corrects nothing.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.models import User
from core.workflow import Action, Workflow

from ..models import AuditPlan, AuditPlanTransition, AuditSample
from ..permissions import PLAN_AUDIT, RECORD_AUDIT

S = AuditPlan.Status


def assigned(plan: AuditPlan, user: User) -> None:
    """Only the auditors named on the plan audit its households."""
    if not plan.auditors.filter(pk=user.pk).exists():
        raise PermissionDenied(_("You are not an auditor of this audit plan."))


AUDIT = Workflow(
    name="audit",
    model=AuditPlan,
    statuses=S,
    history=AuditPlanTransition,
    fk="plan",
    region_of=lambda p: p.region,
    region_path="region",
    actions_list=[
        Action("create", gettext_lazy("create the audit plan"), (), permission=PLAN_AUDIT),
        Action(
            "change",
            gettext_lazy("change the audit plan"),
            (S.DRAFT,),
            None,
            PLAN_AUDIT,
        ),
        Action(
            "assign",
            gettext_lazy("change the auditors"),
            (S.DRAWN, S.IN_PROGRESS),
            None,
            PLAN_AUDIT,
        ),
        Action("draw", gettext_lazy("draw the sample"), (S.DRAFT,), S.DRAWN, PLAN_AUDIT),
        Action(
            "record",
            gettext_lazy("record the audit result"),
            (S.DRAWN, S.IN_PROGRESS),
            S.IN_PROGRESS,
            RECORD_AUDIT,
            incompatible=("draw",),
            rules=(assigned,),
        ),
        Action(
            "correct",
            gettext_lazy("correct the audit result"),
            (S.IN_PROGRESS,),
            None,
            RECORD_AUDIT,
            incompatible=("draw",),
            rules=(assigned,),
        ),
        Action(
            "close",
            gettext_lazy("close the audit"),
            (S.IN_PROGRESS,),
            S.CLOSED,
            PLAN_AUDIT,
            incompatible=("record",),
        ),
        Action(
            "cancel",
            gettext_lazy("cancel the audit plan"),
            (S.DRAFT, S.DRAWN, S.IN_PROGRESS),
            S.CANCELLED,
            PLAN_AUDIT,
            incompatible=("record",),
            danger=True,
        ),
    ],
)


# Actions on one sampled household: listed on each sample (services.sample_allowed), never
# on the plan, whose declaration cannot tell which sample a user may act on.
SAMPLE_ACTIONS = frozenset({"record", "correct"})


def sample_move(
    plan: AuditPlan, name: str, by: User, why: str, *, sample: AuditSample
) -> AuditPlan:
    """AUDIT.move for an action on one sampled household (`record`, `correct`), with the
    history row naming the sample."""
    old = plan.status
    target = AUDIT[name].target
    if target and target != old:
        plan.status = target
        plan.save(update_fields=["status"])
    AuditPlanTransition.objects.create(
        plan=plan,
        sample=sample,
        action=name,
        from_status=old,
        to_status=plan.status,
        by=by,
        reason=why,
    )
    return plan
