"""Scoped reads of audits, shared by the pages, the API and the exports.

Who sees what (deny by default):
- planners and reviewers (VIEW_AUDIT without RECORD_AUDIT): the plans of their region's subtree
  (core.scope), with every sample;
- auditors (RECORD_AUDIT): only the plans they are assigned to, once drawn and until cancelled,
  and only those plans' sampled households — never the register (they hold no households /
  assistance view permission any more). Another auditor's plan, a household not drawn, a
  cancelled plan's household: 404.

An auditor reaches a household only through `audit_sample_list` (households.permissions,
assistance.permissions grant them nothing else), so these two functions are the whole of their
access.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import gettext as _

from assistance.models import BenefitAward
from core.models import User
from core.personal_data import visible
from core.scope import scope_queryset
from households.models import Membership

from ..models import AuditPlan, AuditSample, AuditStratum
from ..permissions import PLAN_AUDIT, RECORD_AUDIT, VIEW_AUDIT

S = AuditPlan.Status
R = AuditSample.Result
# Plans an auditor does not see: not drawn yet, or called off (its households are not theirs).
HIDDEN_FROM_AUDITORS = (S.DRAFT, S.CANCELLED)
# Plans whose results count (the report, earlier results): drawn and not cancelled.
COUNTED = (S.DRAWN, S.IN_PROGRESS, S.CLOSED)


def is_auditor(user: User) -> bool:
    """An auditor reads only their own plans' samples (see the module's docstring)."""
    return not user.is_superuser and user.has_perm(RECORD_AUDIT) and not user.has_perm(PLAN_AUDIT)


def _counts(qs: QuerySet[AuditPlan]) -> QuerySet[AuditPlan]:
    def count(**filters: Any) -> Subquery:
        return Subquery(
            AuditSample.objects.filter(plan=OuterRef("pk"), **filters)
            .order_by()
            .values("plan")
            .annotate(n=Count("pk"))
            .values("n")
        )

    return qs.annotate(
        n_samples=count(),
        n_recorded=count(result__in=(R.CONFORMS, R.DISCREPANCY)),
        n_discrepant=count(result=R.DISCREPANCY),
    )


def audit_plan_list(*, user: User, status: str = "") -> QuerySet[AuditPlan]:
    if not user.has_perm(VIEW_AUDIT):
        return AuditPlan.objects.none()
    qs = AuditPlan.objects.all()
    if is_auditor(user):
        # Their own drawn plans, not cancelled, and only while the plan's area is theirs (an
        # auditor moved to another district no longer reads the old plans).
        qs = scope_queryset(
            qs.filter(auditors=user).exclude(status__in=HIDDEN_FROM_AUDITORS),
            user,
            region_field="region",
        )
    else:
        qs = scope_queryset(qs, user, region_field="region")
    if status:
        qs = qs.filter(status=status)
    return _counts(qs).select_related("region", "created_by").order_by("-id")


def audit_plan_get(*, user: User, pk: Any) -> AuditPlan:
    plan = audit_plan_list(user=user).filter(pk=pk).first()
    if plan is None:
        raise Http404(_("No such audit plan in your area."))
    return plan


def _amount() -> Subquery:
    """The case's latest monthly total in the benefit ledger (one subquery for the whole list)."""
    return Subquery(
        BenefitAward.objects.filter(case=OuterRef("dibao_case"))
        .order_by("-effective_month", "-id")
        .values("total")[:1]
    )


@dataclass(frozen=True)
class SampleFilters:
    plan: int | None = None
    result: str = ""
    frame: str = ""
    town: int | None = None
    open_only: bool = False  # the worklist: plans not closed or cancelled


def audit_sample_list(*, user: User, filters: SampleFilters | None = None) -> QuerySet[AuditSample]:
    f = filters or SampleFilters()
    plans = audit_plan_list(user=user)
    if f.open_only:
        plans = plans.exclude(status__in=(S.CLOSED, S.CANCELLED))
    qs = AuditSample.objects.filter(plan__in=plans.values("pk"))
    if f.plan:
        qs = qs.filter(plan_id=f.plan)
    if f.result:
        qs = qs.filter(result=f.result)
    if f.frame:
        qs = qs.filter(stratum__frame=f.frame)
    if f.town:
        qs = qs.filter(stratum__town_id=f.town)
    return (
        qs.annotate(amount=_amount())
        .select_related(
            "plan__region",
            "stratum__town",
            "household__village",
            "dibao_case",
            "programme_case",
            "recorded_by",
        )
        .order_by("plan_id", "stratum__frame", "stratum__town__code", "stratum__category", "rank")
    )


def audit_sample_get(*, user: User, pk: Any) -> AuditSample:
    sample = audit_sample_list(user=user).filter(pk=pk).first()
    if sample is None:
        raise Http404(_("No such sampled household in your audits."))
    return sample


def audit_strata(plan: AuditPlan) -> QuerySet[AuditStratum]:
    """The plan's strata with their examined and discrepant counts (the plan page, the report)."""
    return (
        plan.strata.select_related("town")
        .annotate(
            n_recorded=Count("samples", filter=Q(samples__result__in=(R.CONFORMS, R.DISCREPANCY))),
            n_discrepant=Count("samples", filter=Q(samples__result=R.DISCREPANCY)),
        )
        .order_by("-frame", "town__code", "category")
    )


@dataclass(frozen=True)
class MemberView:
    name: str
    relation: str
    sex: str
    id_number_masked: str | None
    birth: str | None
    phone: str | None


def sample_members(*, user: User, sample: AuditSample) -> list[MemberView]:
    """The household's current members as this user may see them (core.personal_data)."""
    if not user.has_perm(VIEW_AUDIT):
        raise PermissionDenied
    rows = (
        Membership.objects.active()
        .filter(household_id=sample.household_id)
        .select_related("person")
        .order_by("id")
    )
    return [
        MemberView(
            name=m.person.name,
            relation=m.get_relation_display(),
            sex=m.person.get_sex_display(),
            id_number_masked=visible(user, "id_number", m.person.id_number),
            birth=visible(user, "birth_date", m.person.birth_date),
            phone=visible(user, "phone", m.person.phone),
        )
        for m in rows
    ]


def earlier_results(*, user: User, sample: AuditSample) -> QuerySet[AuditSample]:
    """The household's results in other audits (the latest first): what was found before —
    for supervision and reviewers; an auditor takes an independent second look, so sees none.
    A cancelled audit's results count for nothing: left out."""
    if is_auditor(user):
        return AuditSample.objects.none()
    return (
        AuditSample.objects.filter(household_id=sample.household_id, plan__status__in=COUNTED)
        .exclude(pk=sample.pk)
        .exclude(result=R.PENDING)
        .select_related("plan")
        .order_by("-recorded_at")[:5]
    )
