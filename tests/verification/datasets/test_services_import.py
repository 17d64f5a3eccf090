"""Upload → validate: encodings, bad files, the invalid-row limit, re-upload, a killed worker."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import Job
from verification import kinds as K
from verification.datasets import fastpath, importing
from verification.models import STAGE_MODELS, DatasetSnapshot, ImportRowError

from .conftest import BANK_HEADER, bank_rows, csv_bytes, upload, validated, xlsx_bytes

S = DatasetSnapshot.Status
Stage = STAGE_MODELS["bank_deposit"]
pytestmark = pytest.mark.django_db


def test_upload_records_checksum_history_and_job(data_admin, django_capture_on_commit_callbacks):
    content = csv_bytes(BANK_HEADER, bank_rows(3))
    with django_capture_on_commit_callbacks() as callbacks:
        s = upload(data_admin, content)
    assert len(callbacks) == 1  # the validation, enqueued after the commit
    import hashlib

    assert s.sha256 == hashlib.sha256(content).hexdigest() and s.size == len(content)
    assert s.status == S.UPLOADED and s.file_format == "csv" and s.job.kind == "dataset_validate"
    assert not s.file.name.endswith("bank.csv")  # never the uploader's name on disk
    (t,) = s.transitions.all()
    assert (t.action, t.to_status, t.by) == ("upload", S.UPLOADED, data_admin)


def test_a_utf8_csv_is_validated_and_staged(data_admin):
    s = validated(data_admin, csv_bytes(BANK_HEADER, bank_rows(5)))
    assert s.status == S.VALIDATED, s.message
    assert (s.rows_total, s.rows_valid, s.rows_invalid) == (5, 5, 0)
    assert s.encoding == "utf-8"
    rows = list(Stage.objects.filter(snapshot_id=s.pk).order_by("row_no"))
    assert [r.row_no for r in rows] == [2, 3, 4, 5, 6]
    assert rows[0].bank == "农业银行" and rows[0].balance == Decimal("1000.50")
    assert [t.action for t in s.transitions.all()] == ["upload", "start_validation", "validate"]
    job = Job.objects.get(pk=s.job_id)
    assert job.status == Job.Status.DONE


def test_a_gbk_file(data_admin):
    s = validated(data_admin, csv_bytes(BANK_HEADER, bank_rows(4), encoding="gbk"))
    assert s.status == S.VALIDATED, s.message
    assert s.encoding == "gb18030" and s.rows_valid == 4
    assert Stage.objects.filter(snapshot_id=s.pk, name="张0").exists()


def test_a_utf8_bom_file(data_admin):
    s = validated(data_admin, csv_bytes(BANK_HEADER, bank_rows(4), encoding="utf-8-sig"))
    assert s.status == S.VALIDATED, s.message
    assert s.encoding == "utf-8-sig" and s.rows_valid == 4  # the BOM is not part of a header


def test_an_xlsx_file(data_admin):
    rows = bank_rows(3)
    rows[1][3] = 2500  # a number cell
    s = validated(data_admin, xlsx_bytes(BANK_HEADER, rows), name="bank.xlsx")
    assert s.status == S.VALIDATED, s.message
    assert Stage.objects.get(snapshot_id=s.pk, row_no=3).balance == Decimal("2500.00")


def test_bad_rows_are_reported_by_row_and_column(data_admin):
    rows = bank_rows(100, bad=2)
    rows[5][3] = "很多"
    s = validated(data_admin, csv_bytes(BANK_HEADER, rows))
    assert s.status == S.VALIDATED  # 3 % ≤ the default 5 %
    assert (s.rows_total, s.rows_invalid, s.invalid_percent) == (100, 3, Decimal("3.00"))
    errs = list(ImportRowError.objects.filter(snapshot=s).values_list("row_no", "column", "value"))
    assert errs == [
        # The bad ID number masked as everywhere (core.personal_data): the row says where.
        (2, "公民身份号码", "1101**********0021"),
        (3, "公民身份号码", "1101**********0021"),
        (7, "存款余额（元）", "很多"),
    ]
    assert Stage.objects.filter(snapshot_id=s.pk).count() == 97


def test_above_the_limit_the_file_is_refused_and_nothing_stays_staged(data_admin):
    s = validated(data_admin, csv_bytes(BANK_HEADER, bank_rows(100, bad=6)))
    assert s.status == S.REFUSED
    assert "more than 5" in s.message
    assert s.transitions.last().action == "refuse_limit"
    assert not Stage.objects.filter(snapshot_id=s.pk).exists()
    assert ImportRowError.objects.filter(snapshot=s).count() == 6  # the report stays


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "bank.csv", None),  # refused at upload
        (b"\r\n\r\n", "bank.csv", "The file is empty."),
        (csv_bytes(BANK_HEADER, []), "bank.csv", "a header but no data rows"),
        (csv_bytes(["身份证号", "姓名"], [["x", "y"]]), "bank.csv", "Missing columns"),
        (
            csv_bytes(["身份证号", "公民身份号码", "开户银行", "余额"], [["x"]]),
            "bank.csv",
            "appears twice",
        ),
        (xlsx_bytes(BANK_HEADER, bank_rows(50))[:700], "bank.xlsx", "cannot be read"),
        (b"not a workbook at all", "bank.xlsx", "cannot be read"),
    ],
)
def test_bad_files_fail_with_a_specific_message(data_admin, content, name, message):
    if message is None:
        with pytest.raises(ValidationError) as e:
            upload(data_admin, content, name=name)
        assert "file" in e.value.message_dict
        return
    s = validated(data_admin, content, name=name)
    assert s.status == S.FAILED
    assert message in s.message
    assert Job.objects.get(pk=s.job_id).status == Job.Status.FAILED
    assert not Stage.objects.filter(snapshot_id=s.pk).exists()
    assert not ImportRowError.objects.filter(snapshot=s).exists()


def test_a_gbk_byte_sequence_that_is_not_gbk_fails(data_admin):
    content = csv_bytes(BANK_HEADER, bank_rows(3), encoding="gbk") + b"\xff\xff\xff,x\r\n"
    s = validated(data_admin, content)
    assert s.status in (S.VALIDATED, S.FAILED)  # GB18030 reads almost anything; never a crash


def test_wrong_extension_and_future_date_are_field_errors(data_admin):
    with pytest.raises(ValidationError) as e:
        upload(data_admin, b"a,b", name="bank.txt", as_of=dt.date(2027, 1, 1))
    assert set(e.value.message_dict) == {"file", "as_of"}


def test_the_same_file_again_is_detected(data_admin, data_admin_2):
    content = csv_bytes(BANK_HEADER, bank_rows(3))
    first = upload(data_admin, content)
    with pytest.raises(ValidationError) as e:
        upload(data_admin_2, content, name="again.csv")
    assert e.value.code == "conflict" and f"#{first.pk}" in e.value.messages[0]
    # Once refused or failed, the same file may come again (corrected policy, say).
    DatasetSnapshot.objects.filter(pk=first.pk).update(status=S.FAILED)
    assert upload(data_admin_2, content).pk != first.pk
    # Another kind: not the same dataset.
    upload(data_admin, content, kind="securities")


@pytest.mark.parametrize("who", ["county_admin", "cw_baisha", "ca_taishan", "ca_pengjiang"])
def test_only_city_data_administrators_upload(request, who):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        upload(user, csv_bytes(BANK_HEADER, bank_rows(1)))
    assert not DatasetSnapshot.objects.exists()


class Killed(BaseException):
    """What a killed worker looks like from inside: the task never returns."""


@pytest.mark.parametrize("path", ["python", "fast"])
def test_a_killed_import_leaves_nothing_and_a_retry_completes(data_admin, monkeypatch, path):
    s = upload(data_admin, csv_bytes(BANK_HEADER, bank_rows(5000)))
    calls = {"n": 0}
    if path == "python":
        monkeypatch.setattr(importing, "FAST", False)
        real, target, name, after = K.clean_row, K, "clean_row", 4500
    else:  # blocks of ~500 rows; killed while the fourth is made ready, after some were sent
        monkeypatch.setattr(fastpath, "CHUNK_BYTES", 20_000)
        real, target, name, after = importing._Stage.finish, importing._Stage, "finish", 4

    def dying(*args, **kw):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        result = real(*args, **kw)
        if calls["n"] == after:  # after several COPY blocks were sent
            raise Killed
        return result

    monkeypatch.setattr(target, name, dying)
    with pytest.raises(Killed):
        importing.snapshot_validate(snapshot_id=s.pk)
    s.refresh_from_db()
    assert s.status == S.VALIDATING
    assert not Stage.objects.filter(snapshot_id=s.pk).exists()
    assert not ImportRowError.objects.filter(snapshot=s).exists()

    monkeypatch.setattr(target, name, real)
    assert importing.snapshot_validate(snapshot_id=s.pk) == S.VALIDATED
    s.refresh_from_db()
    assert s.rows_valid == 5000 and Stage.objects.filter(snapshot_id=s.pk).count() == 5000
    actions = [t.action for t in s.transitions.all()]
    assert actions == ["upload", "start_validation", "start_validation", "validate"]
    # Redelivered once more: nothing happens.
    assert importing.snapshot_validate(snapshot_id=s.pk) is None
    assert Stage.objects.filter(snapshot_id=s.pk).count() == 5000


def test_a_retry_clears_what_an_earlier_attempt_left(data_admin):
    s = upload(data_admin, csv_bytes(BANK_HEADER, bank_rows(3)))
    DatasetSnapshot.objects.filter(pk=s.pk).update(status=S.VALIDATING)
    Stage.objects.create(snapshot_id=s.pk, row_no=99, id_number="x", bank="b", balance=1)
    ImportRowError.objects.create(snapshot=s, row_no=99, message="old")
    assert importing.snapshot_validate(snapshot_id=s.pk) == S.VALIDATED
    assert sorted(Stage.objects.filter(snapshot_id=s.pk).values_list("row_no", flat=True)) == [
        2,
        3,
        4,
    ]
    assert not ImportRowError.objects.filter(snapshot=s).exists()


def test_every_kind_validates_its_template_headers(data_admin):
    """Each kind: its labels as headers, one empty row → one invalid row, nothing crashes."""
    for i, (code, kind) in enumerate(K.KINDS.items()):
        header = [str(f.label) for f in kind.fields]
        row = ["" for _ in header]
        row[0] = "110105194912310021"
        s = validated(data_admin, csv_bytes(header, [row]) + f"\r\n#{i}".encode(), kind=code)
        assert s.status in (S.REFUSED, S.VALIDATED), (code, s.message)


def test_the_collector_collects_less_often_while_a_file_is_read_and_as_before_after(
    data_admin, monkeypatch
):
    import gc

    s = upload(data_admin, csv_bytes(BANK_HEADER, bank_rows(3)))
    seen = []
    real = importing.validate_rows

    def spy(*args, **kw):  # type: ignore[no-untyped-def]
        seen.append(gc.get_threshold())
        return real(*args, **kw)

    monkeypatch.setattr(importing, "validate_rows", spy)
    before = gc.get_threshold()
    assert importing.snapshot_validate(snapshot_id=s.pk) == S.VALIDATED
    assert seen == [importing.IMPORT_GC_THRESHOLDS] != [before]
    assert gc.get_threshold() == before

    # Restored when the reading fails too.
    s2 = upload(data_admin, csv_bytes(BANK_HEADER, bank_rows(4)))
    monkeypatch.setattr(importing, "validate_rows", lambda *a, **k: 1 / 0)
    importing.snapshot_validate(snapshot_id=s2.pk)  # fails, recorded on the snapshot
    s2.refresh_from_db()
    assert s2.status != S.VALIDATED and gc.get_threshold() == before
