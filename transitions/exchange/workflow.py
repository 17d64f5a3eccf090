"""An exchange batch's process: built by the sending department (or the monthly job), its
receipt acknowledged by the receiving department, both at city level."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from core.models import User
from core.roles import Role
from core.workflow import Action, Workflow

from ..kinds import ROLE_DEPARTMENT
from ..models import ExchangeBatch, ExchangeBatchTransition
from .permissions import ACKNOWLEDGE, BUILD

S = ExchangeBatch.Status


def department_of(user: User) -> str:
    return ROLE_DEPARTMENT.get(user.role, "")


def _acts_for(field: str, refusal: StrOrPromise):  # type: ignore[no-untyped-def]
    def rule(batch: ExchangeBatch, user: User) -> None:
        # The city's data administrators act for any department (the departments' reviewers
        # work at district level).
        if user.is_superuser or user.role == Role.DATA_ADMIN:
            return
        if department_of(user) != getattr(batch, field):
            raise PermissionDenied(str(refusal))

    return rule


BATCH: Workflow[ExchangeBatch] = Workflow(
    name="exchange_batch",
    model=ExchangeBatch,
    statuses=S,
    actions_list=[
        Action(
            "build",
            _("Build"),
            sources=(),
            target=S.BUILT,
            permission=BUILD,
            levels=("city",),
            rules=(_acts_for("sender", _("Only the sending department builds its batches.")),),
        ),
        Action(
            "acknowledge",
            _("Acknowledge receipt"),
            sources=(S.BUILT,),
            target=S.ACKNOWLEDGED,
            permission=ACKNOWLEDGE,
            levels=("city",),
            rules=(
                _acts_for("receiver", _("Only the receiving department acknowledges a batch.")),
            ),
            incompatible=("build",),
        ),
    ],
    history=ExchangeBatchTransition,
    fk="batch",
    # A batch is the whole city's list: no region, so only city-level users are in scope.
    region_of=lambda batch: None,
    region_path="built_by",
)
