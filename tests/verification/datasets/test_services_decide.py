"""Approve (not the uploader) → merge; refuse; supersession; the signal after the commit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from verification.datasets import services
from verification.datasets.selectors import current_snapshots
from verification.models import RECORD_MODELS, STAGE_MODELS, DatasetSnapshot
from verification.signals import snapshot_merged

from .conftest import BANK_HEADER, bank_rows, csv_bytes, validated

S = DatasetSnapshot.Status
Stage, Record = STAGE_MODELS["bank_deposit"], RECORD_MODELS["bank_deposit"]
pytestmark = pytest.mark.django_db


def _merged(approver, snapshot, capture):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        services.dataset_approve(snapshot=snapshot, by=approver)
    snapshot.refresh_from_db()
    return snapshot


def test_the_uploader_cannot_approve(data_admin):
    s = validated(data_admin, csv_bytes(BANK_HEADER, bank_rows(3)))
    with pytest.raises(PermissionDenied, match="separation of duties"):
        services.dataset_approve(snapshot=s, by=data_admin)
    s.refresh_from_db()
    assert s.status == S.VALIDATED


@pytest.mark.parametrize("who", ["county_admin", "cw_baisha", "ca_taishan", "ca_pengjiang"])
def test_others_cannot_approve_or_refuse(request, data_admin, who):
    s = validated(data_admin, csv_bytes(BANK_HEADER, bank_rows(2)))
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.dataset_approve(snapshot=s, by=user)
    with pytest.raises(PermissionDenied):
        services.dataset_refuse(snapshot=s, by=user, reason="no")


def test_approve_then_merge(data_admin, data_admin_2, django_capture_on_commit_callbacks):
    s = validated(data_admin, csv_bytes(BANK_HEADER, bank_rows(4)))
    received = []

    def listen(sender, snapshot, by, **kw):  # type: ignore[no-untyped-def]
        received.append((snapshot.pk, by))

    snapshot_merged.connect(listen)
    try:
        s = _merged(data_admin_2, s, django_capture_on_commit_callbacks)
    finally:
        snapshot_merged.disconnect(listen)
    assert s.status == S.MERGED and s.merged_at and s.decided_by == data_admin_2
    assert Record.objects.filter(snapshot=s).count() == 4
    assert not Stage.objects.filter(snapshot_id=s.pk).exists()
    assert received == [(s.pk, data_admin_2)]
    assert [t.action for t in s.transitions.all()][-2:] == ["approve", "merge"]
    assert current_snapshots() == {"bank_deposit": s}
    # A second approval (stale page): 409-type error.
    with pytest.raises(ValidationError) as e:
        services.dataset_approve(snapshot=s, by=data_admin_2)
    assert e.value.code == "wrong_status"


def test_a_newer_snapshot_supersedes_the_current_one(
    data_admin, data_admin_2, django_capture_on_commit_callbacks
):
    old = _merged(
        data_admin_2,
        validated(data_admin, csv_bytes(BANK_HEADER, bank_rows(2)), as_of=dt.date(2026, 6, 30)),
        django_capture_on_commit_callbacks,
    )
    new = _merged(
        data_admin_2,
        validated(data_admin, csv_bytes(BANK_HEADER, bank_rows(3)), as_of=dt.date(2026, 11, 30)),
        django_capture_on_commit_callbacks,
    )
    old.refresh_from_db()
    assert old.superseded_by == new and new.superseded_by is None
    assert current_snapshots()["bank_deposit"] == new
    # A late file as of an earlier date: merged for the record, but the newer stays current.
    late = _merged(
        data_admin_2,
        validated(data_admin, csv_bytes(BANK_HEADER, bank_rows(5)), as_of=dt.date(2026, 9, 30)),
        django_capture_on_commit_callbacks,
    )
    assert late.superseded_by == new
    assert current_snapshots()["bank_deposit"] == new
    assert Record.objects.filter(snapshot=old).count() == 2  # old rows stay for the record


def test_the_merge_is_idempotent(data_admin, data_admin_2, django_capture_on_commit_callbacks):
    s = _merged(
        data_admin_2,
        validated(data_admin, csv_bytes(BANK_HEADER, bank_rows(2))),
        django_capture_on_commit_callbacks,
    )
    assert services.dataset_merge(snapshot_id=s.pk) is None
    assert Record.objects.filter(snapshot=s).count() == 2


def test_refuse_needs_a_reason_and_empties_the_stage(data_admin):
    s = validated(data_admin, csv_bytes(BANK_HEADER, bank_rows(2)))
    with pytest.raises(ValidationError) as e:
        services.dataset_refuse(snapshot=s, by=data_admin, reason=" ")
    assert "reason" in e.value.message_dict
    services.dataset_refuse(snapshot=s, by=data_admin, reason="wrong month")
    s.refresh_from_db()
    assert s.status == S.REFUSED and s.transitions.last().reason == "wrong month"
    assert not Stage.objects.filter(snapshot_id=s.pk).exists()
