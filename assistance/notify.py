"""The assistance events that hand work to someone or report back (core.notifications).

The services call one function per event inside their transaction, naming the workflow action
they took; the mapping below says who is told and what. Recipients are found by role and region
(core.notifications.recipients: the roles granted a permission, whose area covers the case):

- a dibao case confirmed, refused, objected to during the notice, sent back for a new proposal,
  or due for its review → the caseworkers of the case's town;
- a dibao case proposed by the township → the district's reviewers (the deciders);
- a programme case decided (approved / refused) → the caseworkers of the case's town;
- a payroll built → the district's approvers, except whoever built it (they may not approve it);
- a payroll approved → whoever built it.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from assistance.models import DibaoCase, Payroll, ProgrammeCase
from assistance.permissions import APPROVE_PAYROLL, CHANGE, CHANGE_PROGRAMME, CONFIRM_DIBAO
from core.models import Region, User
from core.notifications.recipients import users_for
from core.notifications.services import Target, notification_send

TOWN = (Region.Level.TOWNSHIP,)
DISTRICT = (Region.Level.COUNTY,)

# dibao action → (kind, title, who: "town" caseworkers or "district" deciders)
DIBAO_EVENTS = {
    "confirm": ("dibao.confirmed", _("Case %(case)s was confirmed"), "town"),
    "refuse": ("dibao.refused", _("Case %(case)s was refused"), "town"),
    "decide_refuse": ("dibao.refused", _("Case %(case)s was refused"), "town"),
    "object": (
        "dibao.objected",
        _("An objection to case %(case)s was received during the public notice"),
        "town",
    ),
    "repropose": ("dibao.returned", _("Case %(case)s was sent back for a new proposal"), "town"),
    "review_due": ("dibao.review_due", _("Case %(case)s is due for its review"), "town"),
    "propose": (
        "dibao.proposed",
        _("Case %(case)s was proposed by the township: it awaits your decision"),
        "district",
    ),
}

PROGRAMME_EVENTS = {
    "approve": ("programme.approved", _("%(case)s was approved")),
    "refuse": ("programme.refused", _("%(case)s was refused")),
}


def dibao_case_event(case: DibaoCase, action: str, by: User | None) -> None:
    """Tell whoever the dibao `action` on `case` concerns (nothing for other actions)."""
    event = DIBAO_EVENTS.get(action)
    if event is None:
        return
    kind, title, who = event
    region = case.household.village
    if who == "town":
        recipients = users_for(region, perm=CHANGE, levels=TOWN)
    else:
        recipients = users_for(region, perm=CONFIRM_DIBAO, levels=DISTRICT)
    label = str(case)
    notification_send(
        recipients=recipients,
        kind=kind,
        title=title,
        params={"case": label},
        target=Target(
            url=reverse("assistance:detail", args=[case.pk]), label=label, obj=case, region=region
        ),
        by=by,
    )


def programme_case_event(case: ProgrammeCase, action: str, by: User | None) -> None:
    event = PROGRAMME_EVENTS.get(action)
    if event is None:
        return
    kind, title = event
    region = case.household.village
    label = format_lazy("{} #{}", case.get_programme_display(), case.pk)
    notification_send(
        recipients=users_for(region, perm=CHANGE_PROGRAMME, levels=TOWN),
        kind=kind,
        title=title,
        params={"case": label},
        target=Target(
            url=reverse("assistance_programmes:detail", args=[case.pk]),
            label=label,
            obj=case,
            region=region,
        ),
        by=by,
    )


def payroll_event(payroll: Payroll, action: str, by: User | None) -> None:
    """Built (by a user or the monthly job) → the approvers; approved → the builders."""
    label = f"{payroll.county.name} {payroll.month:%Y-%m}"
    target = Target(
        url=reverse("assistance_payroll:detail", args=[payroll.pk]),
        label=label,
        obj=payroll,
        region=payroll.county,
    )
    builders = set(
        payroll.transitions.filter(action="build", by__isnull=False).values_list("by_id", flat=True)
    )
    if action in ("build", "build_scheduled"):
        approvers = users_for(payroll.county, perm=APPROVE_PAYROLL, levels=DISTRICT)
        notification_send(
            recipients=approvers.exclude(pk__in=builders),
            kind="payroll.built",
            title=_("The payroll of %(payroll)s was built: %(n)s lines, %(total)s yuan"),
            params={"payroll": label, "n": payroll.line_count, "total": payroll.total},
            target=target,
            by=by,
        )
    elif action == "approve":
        notification_send(
            recipients=User.objects.filter(pk__in=builders, is_active=True),
            kind="payroll.approved",
            title=_("The payroll of %(payroll)s was approved"),
            params={"payroll": label},
            target=target,
            by=by,
        )
