"""Who is told what about audits (core.notifications), inside the transaction of the step:

- a sample drawn → the plan's auditors (their worklist has work);
- a discrepancy (recorded, or a result corrected to one) → the caseworkers of the household's
  town: a review was opened on the dibao case (or one is already under way), or — a refused or
  exited household, a tekun household — re-examine it;
- a discrepancy corrected to "conforms" → the same caseworkers: the audit withdrew it, and the
  review it opened stays with them to finish (the audit does not close it);
- a drawn plan cancelled → its auditors (their worklist no longer shows it).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from assistance.models import CaseReview
from assistance.permissions import CHANGE as CASEWORK
from core.models import Region, User
from core.notifications.recipients import users_for
from core.notifications.services import Target, notification_send
from households.models import Household

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
    if sample.review_id and sample.review.closed_on is None:  # type: ignore[union-attr]
        title = _(
            "Audit %(no)s found a discrepancy (%(kind)s) on case %(case)s: a review is open for you"
        )
    else:
        title = _("Audit %(no)s found a discrepancy (%(kind)s): re-examine household %(hh)s")
    notification_send(
        recipients=_caseworkers(household),
        kind="audit.discrepancy",
        title=title,
        params={
            "no": str(sample.plan),
            "kind": sample.get_discrepancy_kind_display(),
            "case": str(sample.dibao_case) if sample.dibao_case_id else "",
            "hh": household.pk,
        },
        target=_household_target(sample),
        by=by,
    )


def corrected(sample: AuditSample, by: User, *, review: CaseReview | None) -> None:
    if review is not None:
        title = _(
            "Audit %(no)s corrected its result on household %(hh)s to “conforms”: the review "
            "%(review)s stays with you to finish"
        )
    else:
        title = _(
            "Audit %(no)s corrected its result on household %(hh)s to “conforms”: the "
            "discrepancy it reported is withdrawn"
        )
    notification_send(
        recipients=_caseworkers(sample.household),
        kind="audit.corrected",
        title=title,
        params={"no": str(sample.plan), "hh": sample.household_id, "review": str(review or "")},
        target=_household_target(sample),
        by=by,
    )


def cancelled(plan: AuditPlan, by: User) -> None:
    notification_send(
        recipients=plan.auditors.all(),
        kind="audit.cancelled",
        title=_("Audit %(no)s was cancelled: its households are no longer yours to audit"),
        params={"no": str(plan)},
        target=Target(
            url=reverse("verification:audit_worklist"), label=plan.name, region=plan.region
        ),
        by=by,
    )


def _caseworkers(household: Household) -> QuerySet[User]:
    return users_for(household.village, perm=CASEWORK, levels=(Region.Level.TOWNSHIP,))


def _household_target(sample: AuditSample) -> Target:
    household = sample.household
    if sample.dibao_case_id:
        url = reverse("assistance:detail", args=[sample.dibao_case_id])
    else:
        url = reverse("households:detail", args=[household.pk])
    return Target(url=url, label=str(household), obj=household, region=household.village)
