"""Scoped reads of payrolls shared by pages and API."""

from django.db.models import QuerySet

from assistance.models import Payroll
from core.models import User
from core.scope import scope_queryset


def payroll_list(*, user: User) -> QuerySet[Payroll]:
    return scope_queryset(Payroll.objects.all(), user, region_field="county").select_related(
        "county", "approved_by"
    )
