"""Builders for the cross-check tests: merged snapshots with their records written directly
(bulk_create, not through the import pipeline), cases at a status, the standard in force."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from assistance.models import DibaoCase
from assistance.policy.selectors import standard_on
from households.models import Household, Relation
from verification.models import RECORD_MODELS, DatasetSnapshot

from ...factories import region

TODAY = dt.date(2026, 11, 10)


@pytest.fixture(autouse=True)
def _today():  # type: ignore[no-untyped-def]
    with time_machine.travel(
        dt.datetime.combine(TODAY, dt.time(10), tzinfo=ZoneInfo("Asia/Shanghai")), tick=True
    ):
        yield


@pytest.fixture
def std(db) -> Decimal:  # type: ignore[no-untyped-def]
    """蓬江区's urban dibao standard in force today (the tests' households are urban)."""
    return standard_on(region("440703"), TODAY).urban


def make_snapshot(
    kind: str, records: list[dict[str, Any]], *, by: Any, as_of: dt.date = TODAY
) -> DatasetSnapshot:
    """A merged snapshot of `kind` with `records` (row numbers from 2); the older current one of
    the kind is superseded by it."""
    snap = DatasetSnapshot.objects.create(
        kind=kind,
        department="测试部门",
        as_of=as_of,
        file="datasets/test.csv",
        file_format="csv",
        original_name="test.csv",
        sha256=f"{kind}{as_of}{DatasetSnapshot.objects.count()}".ljust(64, "0")[:64],
        status=DatasetSnapshot.Status.MERGED,
        rows_total=len(records),
        rows_valid=len(records),
        uploaded_by=by,
    )
    DatasetSnapshot.objects.filter(
        kind=kind, status=DatasetSnapshot.Status.MERGED, superseded_by__isnull=True
    ).exclude(pk=snap.pk).update(superseded_by=snap)
    model = RECORD_MODELS[kind]
    model.objects.bulk_create(
        [model(snapshot=snap, row_no=i + 2, **r) for i, r in enumerate(records)]
    )
    return snap


def make_case(
    household: Household, *, by: Any, status: str = DibaoCase.Status.INVESTIGATING, signed=True
) -> DibaoCase:
    head = household.memberships.get(relation=Relation.HEAD, end_date__isnull=True).person
    return DibaoCase.objects.create(
        household=household,
        applicant=head,
        status=status,
        authorization_signed_on=TODAY if signed else None,
        good_faith_signed_on=TODAY if signed else None,
        created_by=by,
    )


def ids_of(household: Household) -> list[str]:
    return [
        m.person.id_number
        for m in household.memberships.filter(end_date__isnull=True)
        .select_related("person")
        .order_by("id")
    ]
