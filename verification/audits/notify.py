"""Who is told what about audits (core.notifications), inside the transaction of the step:

- a sample drawn → the plan's auditors (their worklist has work);
- a discrepancy → the caseworkers of the household's town: a review was opened on the dibao
  case (or one is already under way), or — a refused or exited household, a tekun household —
  re-examine it.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from assistance.permissions import CHANGE as CASEWORK
from core.models import Region, User
from core.notifications.recipients import users_for
from core.notifications.services import Target, notification_send

from ..models import AuditPlan, AuditSample


def drawn(plan: AuditPlan, count: int, by: User) -> None:
    notification_send(
        recipients=plan.auditors.all(),
        kind="audit.drawn",
        title=_("Audit %(no)s: %(n)s households drawn for you to audit"),
        params={"no": str(plan), "n": count},
        target=Target(
            url=reverse("verification:audit_worklist") + f"?plan={plan.pk}",
            label=plan.name,
            obj=plan,
            region=plan.region,
        ),
        by=by,
    )


def discrepancy(sample: AuditSample, by: User) -> None:
    household = sample.household
    if sample.review_id:
        title = _(
            "Audit %(no)s found a discrepancy (%(kind)s) on case %(case)s: a review is open for you"
        )
    else:
        title = _("Audit %(no)s found a discrepancy (%(kind)s): re-examine household %(hh)s")
    if sample.dibao_case_id:
        url = reverse("assistance:detail", args=[sample.dibao_case_id])
    else:
        url = reverse("households:detail", args=[household.pk])
    notification_send(
        recipients=users_for(household.village, perm=CASEWORK, levels=(Region.Level.TOWNSHIP,)),
        kind="audit.discrepancy",
        title=title,
        params={
            "no": str(sample.plan),
            "kind": sample.get_discrepancy_kind_display(),
            "case": str(sample.dibao_case) if sample.dibao_case_id else "",
            "hh": household.pk,
        },
        target=Target(url=url, label=str(household), obj=household, region=household.village),
        by=by,
    )
