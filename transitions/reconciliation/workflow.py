"""A difference's process: found open by the job; explained (with a reason) by the owner
department's caseworkers and reviewers; fixed by the job when no longer found (a fixed one
found again is open again: the job's history rows, not an action of a user)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.models import User
from core.workflow import Action, Workflow

from ..kinds import ROLE_DEPARTMENT
from ..models import Difference, DifferenceTransition
from .permissions import EXPLAIN

S = Difference.State


def _owner_department(diff: Difference, user: User) -> None:
    if user.is_superuser:
        return
    if ROLE_DEPARTMENT.get(user.role, "") != diff.owner:
        raise PermissionDenied(
            _("Only %(department)s explains this difference.")
            % {"department": diff.get_owner_display()}
        )


DIFFERENCE: Workflow[Difference] = Workflow(
    name="difference",
    model=Difference,
    statuses=S,
    actions_list=[
        Action(
            "explain",
            gettext_lazy("Explain"),
            sources=(S.OPEN,),
            target=S.EXPLAINED,
            permission=EXPLAIN,
            rules=(_owner_department,),
        ),
    ],
    history=DifferenceTransition,
    fk="difference",
    region_of=lambda diff: diff.region,
    region_path="region",
)
