"""Scoped reads of payrolls shared by pages and API."""

from __future__ import annotations

from django.db.models import IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from assistance.models import Payroll, PayrollLine
from core.jobs import ACTIVE
from core.models import Job, User
from core.scope import scope_queryset
from households.models import Membership, Person, Relation

JOB_KIND = "payroll_build"  # = assistance.payroll.services.JOB_KIND


def payroll_list(*, user: User) -> QuerySet[Payroll]:
    return scope_queryset(Payroll.objects.all(), user, region_field="county").select_related(
        "county", "approved_by"
    )


def payroll_active_job(payroll: Payroll) -> Job | None:
    """The build of this payroll that is queued or running, if any (its own job, or a monthly
    one not yet linked to it): while there is one, the payroll is not approved."""
    return (
        Job.objects.filter(kind=JOB_KIND, region_id=payroll.county_id, status__in=ACTIVE)
        .filter(result__month=payroll.month.isoformat())
        .order_by("-pk")
        .first()
    )


def payroll_lines(*, payroll: Payroll, missing_account: bool = False) -> QuerySet[PayrollLine]:
    """A payroll's lines by case, with `payee_id`: the person paid, chosen as the build chooses
    (the single person, else the applicant, else the head of household), so a line without a
    bank account can link to that person. `missing_account` keeps only those lines."""
    head = Membership.objects.filter(
        household_id=OuterRef("case__household_id"), relation=Relation.HEAD, end_date__isnull=True
    ).values("person_id")[:1]
    qs = PayrollLine.objects.filter(payroll=payroll)
    if missing_account:
        qs = qs.filter(bank_account="")
    return qs.annotate(
        payee_id=Coalesce(
            "case__single_person_id",
            "case__applicant_id",
            Subquery(head),
            output_field=IntegerField(),
        )
    ).order_by("case_id")


def persons_editable_by(user: User, person_ids: set[int]) -> set[int]:
    """Which of these persons `user` may edit (permission and area): one query, none when the
    role may not edit persons at all."""
    if not person_ids or not user.has_perm("households.change_person"):
        return set()
    qs = scope_queryset(Person.objects.filter(pk__in=person_ids), user, region_field="region")
    return set(qs.values_list("pk", flat=True))
