"""Every scoped read of datasets that pages, API and exports share.

Datasets are city-wide (a department's file covers the city): users with the view permission
see the snapshots and counts; the row errors and record rows carry ID numbers, so only data
administrators (the import permission) read those.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.models import User
from core.scope import is_city_level

from ..models import DatasetSnapshot, ImportRowError
from ..permissions import IMPORT_DATASET, VIEW_DATASET

S = DatasetSnapshot.Status


def current_snapshots() -> dict[str, DatasetSnapshot]:
    """Each kind's current data: its newest merged snapshot (by as-of date, then merge time)
    not superseded. Kinds never merged are absent. One query."""
    rows = (
        DatasetSnapshot.objects.filter(status=S.MERGED, superseded_by__isnull=True)
        .order_by("kind", "-as_of", "-merged_at", "-id")
        .distinct("kind")
    )
    return {s.kind: s for s in rows}


def may_view(user: User) -> bool:
    return user.is_active and user.has_perm(VIEW_DATASET)


def may_see_rows(user: User) -> bool:
    """Row errors and records contain ID numbers: data administrators of the city only."""
    return user.is_active and user.has_perm(IMPORT_DATASET) and is_city_level(user)


@dataclass(frozen=True)
class SnapshotFilters:
    kind: str = ""
    status: str = ""


def snapshot_list(
    *, user: User, filters: SnapshotFilters | None = None
) -> QuerySet[DatasetSnapshot]:
    if not may_view(user):
        return DatasetSnapshot.objects.none()
    f = filters or SnapshotFilters()
    qs = DatasetSnapshot.objects.select_related(
        "uploaded_by", "decided_by", "job"
    ).prefetch_related("transitions")
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.status:
        qs = qs.filter(status=f.status)
    return qs.order_by("-uploaded_at", "-id")


def snapshot_get(*, user: User, pk: int) -> DatasetSnapshot:
    """The snapshot, or DoesNotExist for a user who may not see datasets."""
    return snapshot_list(user=user).get(pk=pk)


def row_error_list(*, user: User, snapshot: DatasetSnapshot) -> QuerySet[ImportRowError]:
    if not may_see_rows(user):
        raise PermissionDenied(_("Only data administrators see the rows of a dataset."))
    return ImportRowError.objects.filter(snapshot=snapshot).order_by("row_no", "id")
