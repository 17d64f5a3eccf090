"""The hand-off process, declared once (core.workflow). Which role and level decides at each
stage, how many approvals and which roles are incompatible are the hand-off's approval policy
(data, kept from the day it was opened); the rules below read it.

Separation of duties, whatever the policy: nobody decides a hand-off they opened, whose basis
they made (`Handoff.basis_actors`: the exit's proposer, the case's confirmer…) or on which they
have already decided; a user whose role is incompatible with the role of anyone who acted
earlier does not act; the acknowledger decides only where the policy allows it.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assistance.permissions import CONFIRM_DIBAO
from core.models import Region, User
from core.roles import Role
from core.workflow import Action, Workflow

from .kinds import DEPARTMENT_REVIEWER, ROLE_DEPARTMENT
from .models import (
    Handoff,
    HandoffDecision,
    HandoffKind,
    HandoffTransition,
    PhaseOut,
    PhaseOutTransition,
)
from .permissions import ACT, OPEN
from .policy import RECEIVING, incompatible_with

S = Handoff.Status
UNDER_WAY = (S.OPEN, S.ACKNOWLEDGED)


def stage_role(handoff: Handoff, role: str) -> str:
    return DEPARTMENT_REVIEWER[handoff.to_department] if role == RECEIVING else role


def receiving(handoff: Handoff, user: User) -> None:
    """Receipt is acknowledged by the receiving department."""
    if user.is_superuser:
        return
    if ROLE_DEPARTMENT.get(user.role) != handoff.to_department:
        raise PermissionDenied(
            _("This hand-off is for %(dept)s: another department cannot acknowledge it.")
            % {"dept": handoff.get_to_department_display()}
        )


def sending(handoff: Handoff, user: User) -> None:
    """Withdrawn by whoever opened it, or by the sending department's reviewers."""
    if user.is_superuser or (handoff.created_by_id and handoff.created_by_id == user.pk):
        return
    if user.role != DEPARTMENT_REVIEWER.get(handoff.from_department):
        raise PermissionDenied(
            _("Only whoever opened the hand-off or a reviewer of %(dept)s withdraws it.")
            % {"dept": handoff.get_from_department_display()}
        )


def _earlier_roles(handoff: Handoff) -> set[str]:
    roles = set(
        HandoffTransition.objects.filter(handoff=handoff, by__isnull=False).values_list(
            "by__role", flat=True
        )
    )
    return roles | set(
        HandoffDecision.objects.filter(handoff=handoff).values_list("role", flat=True)
    )


def stage_decider(handoff: Handoff, user: User) -> None:
    """The current stage's role and level (from the policy), then separation of duties."""
    if not user.is_superuser:
        role = stage_role(handoff, handoff.stage_role)
        level = user.region.level if user.region else ""
        if user.role != role or level != handoff.stage_level:
            raise PermissionDenied(
                _("This stage of the hand-off is decided by a %(role)s at the %(level)s level.")
                % {
                    "role": Role(role).label if role in Role.values else role,
                    "level": Region.Level(handoff.stage_level).label
                    if handoff.stage_level in Region.Level.values
                    else handoff.stage_level,
                }
            )
    if handoff.created_by_id == user.pk:
        raise PermissionDenied(
            _("You opened this hand-off: another person decides it (separation of duties).")
        )
    if user.pk in handoff.basis_actors:
        raise PermissionDenied(
            _(
                "You made the basis of this hand-off (an earlier decision on the household): "
                "another person decides it (separation of duties)."
            )
        )
    if HandoffDecision.objects.filter(handoff=handoff, by=user).exists():
        raise PermissionDenied(
            _("You have already decided on this hand-off: another person must act.")
        )
    if (
        not handoff.policy.acknowledger_may_decide
        and handoff.transitions.filter(action="acknowledge", by=user).exists()
    ):
        raise PermissionDenied(
            _("You acknowledged this hand-off: under its policy another person decides it.")
        )
    clash = incompatible_with(handoff.policy, user.role) & _earlier_roles(handoff)
    if clash:
        raise PermissionDenied(
            _("Your role may not act on a hand-off on which a %(role)s has acted.")
            % {"role": "、".join(str(Role(r).label) for r in sorted(clash) if r in Role.values)}
        )


def rejectable(handoff: Handoff, user: User) -> None:
    """A due re-assessment must end in a decision: rejecting it would leave the phase-out
    overdue with no way forward."""
    if handoff.kind == HandoffKind.PHASE_OUT_REASSESSMENT:
        raise PermissionDenied(_("A re-assessment is decided, not rejected: choose its outcome."))


HANDOFF = Workflow(
    name="handoff",
    model=Handoff,
    statuses=S,
    history=HandoffTransition,
    fk="handoff",
    region_of=lambda h: h.region,
    region_path="region",
    actions_list=[
        Action("open", gettext_lazy("open the hand-off"), (), permission=OPEN),
        Action("open_auto", gettext_lazy("open the hand-off"), (), system=True),
        Action(
            "acknowledge",
            gettext_lazy("acknowledge receipt"),
            (S.OPEN,),
            S.ACKNOWLEDGED,
            ACT,
            rules=(receiving,),
        ),
        Action(
            "approve",
            gettext_lazy("approve"),
            (S.ACKNOWLEDGED,),
            permission=ACT,
            outcomes=(S.ACKNOWLEDGED, S.APPROVED),
            rules=(stage_decider,),
        ),
        Action(
            "reject",
            gettext_lazy("reject"),
            (S.ACKNOWLEDGED,),
            S.REJECTED,
            ACT,
            rules=(rejectable, stage_decider),
            danger=True,
        ),
        Action(
            "withdraw",
            gettext_lazy("withdraw"),
            UNDER_WAY,
            S.WITHDRAWN,
            ACT,
            rules=(sending,),
            danger=True,
        ),
        Action("escalate", gettext_lazy("escalate"), (S.OPEN,), system=True),
    ],
)


# ----------------------------------------------------------------------------- phase-out

P = PhaseOut.Status

PHASE_OUT = Workflow(
    name="phase_out",
    model=PhaseOut,
    statuses=P,
    history=PhaseOutTransition,
    fk="phase_out",
    region_of=lambda p: p.region,
    region_path="region",
    actions_list=[
        Action("start", gettext_lazy("start the phase-out"), (), permission=CONFIRM_DIBAO),
        # The daily job: due on the first day of month 7, overdue from the day after.
        Action("mark_due", gettext_lazy("re-assessment due"), (P.RUNNING,), P.DUE, system=True),
        Action(
            "mark_overdue",
            gettext_lazy("re-assessment overdue"),
            (P.DUE,),
            P.OVERDUE,
            system=True,
        ),
        Action(
            "reassess",
            gettext_lazy("re-assess"),
            (P.RUNNING, P.DUE, P.OVERDUE),
            P.DECIDED,
            CONFIRM_DIBAO,
            levels=(Region.Level.COUNTY,),
        ),
        # A reported change (income fell again) ends it: the case returns to the normal review.
        Action(
            "end",
            gettext_lazy("end the phase-out"),
            (P.RUNNING, P.DUE, P.OVERDUE),
            P.ENDED,
            system=True,
        ),
    ],
)
