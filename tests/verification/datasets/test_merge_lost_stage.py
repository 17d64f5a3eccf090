"""The stage tables are unlogged: a database crash between approval and merge empties them. The
merge then merges nothing, keeps the current snapshot current and sends the file back to
validation — never an empty snapshot in place of a good one."""

import pytest
from django.db import connection

from verification.datasets import importing, services
from verification.models import STAGE_MODELS, DatasetSnapshot

from .conftest import BANK_HEADER, bank_rows, csv_bytes, validated

S = DatasetSnapshot.Status
pytestmark = pytest.mark.django_db


def test_a_lost_stage_is_validated_again_not_merged(data_admin, data_admin_2, monkeypatch):  # type: ignore[no-untyped-def]
    good = validated(data_admin, csv_bytes(BANK_HEADER, bank_rows(5)))
    services.dataset_approve(snapshot=good, by=data_admin_2)
    services.dataset_merge(snapshot_id=good.pk)
    good.refresh_from_db()
    assert good.status == S.MERGED

    newer = validated(data_admin, csv_bytes(BANK_HEADER, bank_rows(7)), name="b2.csv")
    assert newer.rows_valid == 7
    # The approval's on-commit merge is held back; the crash empties the stage meanwhile.
    monkeypatch.setattr("verification.datasets.tasks.merge_snapshot.delay", lambda pk: None)
    services.dataset_approve(snapshot=newer, by=data_admin_2)
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {STAGE_MODELS['bank_deposit']._meta.db_table}")  # noqa: S608
    revalidated = []
    monkeypatch.setattr(
        "verification.datasets.tasks.validate_snapshot.delay",
        lambda pk: revalidated.append(pk),
    )
    assert services.dataset_merge(snapshot_id=newer.pk) == S.UPLOADED
    newer.refresh_from_db()
    good.refresh_from_db()
    assert newer.status == S.UPLOADED and newer.decided_by is None
    assert good.status == S.MERGED and good.superseded_by is None  # still the current one
    assert newer.transitions.last().action == "restage"
    # (on-commit callbacks run at the test's end in pytest-django only when captured)
    importing.snapshot_validate(snapshot_id=newer.pk)
    newer.refresh_from_db()
    assert newer.status == S.VALIDATED and newer.rows_valid == 7


def test_a_file_over_the_size_limit_is_refused_with_the_limit(data_admin, settings):  # type: ignore[no-untyped-def]
    from django.core.exceptions import ValidationError

    from .conftest import upload

    settings.DATASET_UPLOAD_MAX_BYTES = 1024 * 1024
    big = csv_bytes(BANK_HEADER, bank_rows(3)) + b" " * (1024 * 1024)
    with pytest.raises(ValidationError) as e:
        upload(data_admin, big)
    assert "1 MB" in e.value.message_dict["file"][0]
    assert not DatasetSnapshot.objects.exists()
