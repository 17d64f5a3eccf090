"""Which households are classified (domain.md §7: the dibao households) without poverty
importing assistance (same layer): the layer above (transitions) registers a source at
AppConfig.ready(); tests register their own.

A source is `fn() -> QuerySet` of household ids, `values("id")`-style (one column): e.g.
`Household.objects.filter(dibao_cases__status__in=[...]).values("id")` or
`DibaoCase.objects.filter(...).values("household_id")`. The sources' union is the set.
"""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

SubjectSource = Callable[[], QuerySet[Any]]
subject_sources: list[SubjectSource] = []


def register_subjects(fn: SubjectSource) -> SubjectSource:
    """Register a source of dibao households (idempotent); usable as a decorator."""
    if fn not in subject_sources:
        subject_sources.append(fn)
    return fn


def unregister_subjects(fn: SubjectSource) -> None:
    if fn in subject_sources:
        subject_sources.remove(fn)
