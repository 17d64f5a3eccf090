"""Who is told what about hand-offs and phase-outs (core.notifications), inside the transaction
of the step that causes it:

- opened, or a stage begins → the users who decide the current stage (its role and level,
  whose area covers the household);
- acknowledged, approved, rejected, withdrawn → whoever opened it (the system opened it: the
  sending department's reviewers of the district);
- not acknowledged in time → the district's supervisors (one message per district and run);
- a phase-out started → the caseworkers of the household's town; re-assessments due → the
  district's civil-affairs reviewers (one message per district and run).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from assistance.permissions import CHANGE as CASEWORK
from assistance.permissions import CONFIRM_DIBAO
from core.models import Region, User
from core.notifications.recipients import users_for
from core.notifications.services import Target, notification_send
from core.scope import users_covering

from .kinds import DEPARTMENT_REVIEWER
from .models import Handoff, PhaseOut
from .permissions import ESCALATION

TITLES = {
    "open": _("Hand-off %(no)s for you: %(kind)s"),
    "stage": _("Hand-off %(no)s awaits your approval: %(kind)s"),
    "acknowledge": _("Hand-off %(no)s was acknowledged: %(kind)s"),
    "approve": _("Hand-off %(no)s was approved: %(kind)s"),
    "reject": _("Hand-off %(no)s was rejected: %(kind)s"),
    "withdraw": _("Hand-off %(no)s was withdrawn: %(kind)s"),
}
CASEWORKER_TITLES = {
    "exit_raise": _("Hand-off %(no)s: civil affairs decided to raise the dibao; open a review"),
    "cannot_exit": _("Hand-off %(no)s: consider safety-net dibao for this household"),
    "return_to_poverty": _(
        "Hand-off %(no)s: the household returned to poverty; re-assess its dibao"
    ),
}


def _target(handoff: Handoff) -> Target:
    return Target(
        url=reverse("transitions:detail", args=[handoff.pk]),
        label=str(handoff),
        obj=handoff,
        region=handoff.region,
    )


def _deciders(handoff: Handoff) -> object:
    from .workflow import stage_role

    return users_covering(handoff.region).filter(
        role=stage_role(handoff, handoff.stage_role), region__level=handoff.stage_level
    )


def handoff_event(handoff: Handoff, event: str, by: User | None) -> None:
    if event in ("open", "stage"):
        recipients = _deciders(handoff)
    elif handoff.created_by_id:
        recipients = User.objects.filter(pk=handoff.created_by_id)
    else:
        recipients = users_covering(handoff.region).filter(
            role=DEPARTMENT_REVIEWER[handoff.from_department],
            region__level=Region.Level.COUNTY,
        )
    notification_send(
        recipients=recipients,  # type: ignore[arg-type]
        kind=f"handoff.{event}",
        title=TITLES[event],
        params={"no": str(handoff), "kind": handoff.get_kind_display()},
        target=_target(handoff),
        by=by,
    )


def town_caseworkers(handoff: Handoff, event: str, by: User | None) -> None:
    notification_send(
        recipients=users_for(handoff.region, perm=CASEWORK, levels=(Region.Level.TOWNSHIP,)),
        kind=f"handoff.{event}",
        title=CASEWORKER_TITLES[event],
        params={"no": str(handoff)},
        target=_target(handoff),
        by=by,
    )


def escalated(county: Region, count: int) -> None:
    notification_send(
        recipients=users_for(county, perm=ESCALATION),
        kind="handoff.escalated",
        title=_("%(n)s hand-offs of %(county)s were not acknowledged in time"),
        params={"n": count, "county": county.name},
        target=Target(
            url=reverse("transitions:inbox") + "?box=all&overdue=1",
            label=county.name,
            region=county,
        ),
        by=None,
    )


def phase_out_started(phase_out: PhaseOut, by: User | None) -> None:
    notification_send(
        recipients=users_for(phase_out.region, perm=CASEWORK, levels=(Region.Level.TOWNSHIP,)),
        kind="phase_out.started",
        title=_(
            "Case %(case)s enters the phase-out: the original amount is kept until %(until)s, "
            "re-assessment due %(due)s"
        ),
        params={
            "case": str(phase_out.case),
            "until": f"{phase_out.kept_until:%Y-%m}",
            "due": phase_out.due_on.isoformat(),
        },
        target=Target(
            url=reverse("assistance:detail", args=[phase_out.case_id]),
            label=str(phase_out.case),
            obj=phase_out.case,
            region=phase_out.region,
        ),
        by=by,
    )


def reassessments_due(county: Region, count: int) -> None:
    notification_send(
        recipients=users_for(county, perm=CONFIRM_DIBAO, levels=(Region.Level.COUNTY,)),
        kind="phase_out.due",
        title=_("%(n)s phase-out re-assessments of %(county)s are due"),
        params={"n": count, "county": county.name},
        target=Target(url=reverse("transitions:phase_outs"), label=county.name, region=county),
        by=None,
    )


def classification_changes(county: Region, role: str, level: str, count: int) -> None:
    notification_send(
        recipients=users_covering(county).filter(role=role, region__level=level),
        kind="handoff.open",
        title=_("%(n)s households of %(county)s changed classification: hand-offs for you"),
        params={"n": count, "county": county.name},
        target=Target(
            url=reverse("transitions:inbox") + "?kind=classification_change",
            label=county.name,
            region=county,
        ),
        by=None,
    )
