"""Inbound batches: received through verification's streaming import, compared with our
register (matched, new, changed, unmatched); bad files refused or reported, nothing
half-written."""

import pytest
from django.core.exceptions import ValidationError

from transitions.models import InboundBatch, InboundResult, InboundRow, InboundRowError

from ...factories import unique_id_number
from .conftest import INSURANCE_HEADERS, imported, receive, register, register_rows

pytestmark = pytest.mark.django_db


def _code(e: ValidationError, field: str) -> str:
    return e.value.error_dict[field][0].code  # type: ignore[attr-defined]


def test_import_reports_matched_new_changed_unmatched(household_a, household_b, data_admin):
    register(household_a)
    register(household_b)  # ours, not in theirs: unmatched
    rows = register_rows(household_a)
    rows[0][0] = "改名"  # changed: the name
    stranger = unique_id_number()
    rows.append(["陌生人", stranger, "N9", stranger, "1", "在册", "440703002201", "50"])

    batch = imported("national_register", rows, by=data_admin)

    assert batch.status == InboundBatch.Status.IMPORTED
    assert (batch.rows_total, batch.matched, batch.new, batch.changed, batch.unmatched) == (
        4,
        2,
        1,
        1,
        2,
    )
    changed = InboundResult.objects.get(batch=batch, outcome="changed")
    assert changed.fields == ["name"]
    assert InboundResult.objects.get(batch=batch, outcome="new").id_number == stranger
    assert InboundRow.objects.filter(batch=batch).count() == 4
    assert batch.transitions.filter(action="import").exists()


def test_unknown_sender_refused_nothing_written(data_admin):
    with pytest.raises(ValidationError) as e:
        receive("national_register", [], by=data_admin, sender="some_bank")
    assert _code(e, "sender") == "unknown_sender"
    assert "Unknown sender" in str(e.value)
    assert not InboundBatch.objects.exists()


def test_wrong_sender_for_the_stream_refused(data_admin):
    with pytest.raises(ValidationError) as e:
        receive(
            "insurance_enrolments",
            [["张三", unique_id_number(), "已参保"]],
            by=data_admin,
            sender="national_register",
        )
    assert _code(e, "sender") == "wrong_sender"


def test_same_file_twice_refused(household_a, data_admin):
    rows = register_rows(household_a)
    imported("national_register", rows, by=data_admin)
    with pytest.raises(ValidationError) as e:
        receive("national_register", rows, by=data_admin, sequence=2)
    assert _code(e, "file") == "duplicate_file"
    assert "received already" in str(e.value)
    assert InboundBatch.objects.count() == 1


def test_declared_checksum_must_match(household_a, data_admin):
    with pytest.raises(ValidationError) as e:
        receive(
            "national_register", register_rows(household_a), by=data_admin, declared_sha256="0" * 64
        )
    assert _code(e, "sha256") == "checksum_mismatch"
    assert not InboundBatch.objects.exists()


def test_gap_in_the_sequence_reported(household_a, data_admin):
    imported("national_register", register_rows(household_a), by=data_admin, sequence=1)
    batch = imported(
        "national_register", register_rows(household_a, income="90"), by=data_admin, sequence=4
    )
    assert batch.status == InboundBatch.Status.IMPORTED
    assert batch.problems[0]["code"] == "sequence_gap"
    assert "2–3" in batch.problems[0]["message"]


def test_sequence_received_already_refused(household_a, data_admin):
    imported("national_register", register_rows(household_a), by=data_admin, sequence=2)
    with pytest.raises(ValidationError) as e:
        receive(
            "national_register", register_rows(household_a, income="1"), by=data_admin, sequence=2
        )
    assert _code(e, "sequence") == "sequence_used"


def test_headers_of_another_stream_refused(data_admin):
    with pytest.raises(ValidationError) as e:
        receive(
            "national_register",
            [["张三", unique_id_number(), "已参保"]],
            by=data_admin,
            headers=INSURANCE_HEADERS,
        )
    assert _code(e, "file") == "other_stream"
    assert "Social-insurance enrolments" in str(e.value)
    assert not InboundBatch.objects.exists()


def test_duplicate_persons_reported(household_a, data_admin):
    register(household_a)
    rows = register_rows(household_a)
    rows.append(list(rows[0]))
    batch = imported("national_register", rows, by=data_admin)
    assert batch.duplicates == 1
    assert any(p["code"] == "duplicate_persons" for p in batch.problems)
    error = InboundRowError.objects.get(batch=batch)
    assert error.row_no == len(rows) + 1 and error.message.endswith("row 2.")
    # The person is compared once.
    assert InboundResult.objects.filter(batch=batch).count() == 3


def test_bad_cells_in_the_row_report_with_masked_ids(household_a, data_admin):
    rows = register_rows(household_a)
    rows[1][1] = "11010519491231002X"[:-1] + "0"  # a wrong check digit
    batch = imported("national_register", rows, by=data_admin)
    assert batch.rows_invalid == 1
    error = InboundRowError.objects.get(batch=batch)
    assert error.row_no == 3 and "*" in error.value


def test_unreadable_file_refused_nothing_kept(data_admin):
    batch = receive("national_register", [["张三", "x", "", "", "", "在册", "", ""]], by=data_admin)
    # Every row invalid is still an import; a file that is not text at all is refused:
    batch.file.save(
        "bad.csv",
        __import__("django.core.files.base", fromlist=["ContentFile"]).ContentFile(
            b"\xff\xfe\x00garbage"
        ),
        save=True,
    )
    from transitions.reconciliation.inbound import inbound_batch_import

    inbound_batch_import(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == InboundBatch.Status.FAILED
    assert batch.message
    assert not InboundRow.objects.filter(batch=batch).exists()
    assert not InboundResult.objects.filter(batch=batch).exists()


def test_an_imported_batch_reruns_the_reconciliation(
    household_a, data_admin, django_capture_on_commit_callbacks, monkeypatch
):
    from transitions.reconciliation import tasks

    calls = []
    monkeypatch.setattr(tasks.run_reconciliation, "delay", lambda *a: calls.append(a))
    monkeypatch.setattr(tasks.import_inbound_batch, "delay", lambda *a: calls.append(("import",)))
    with django_capture_on_commit_callbacks(execute=True):
        imported("national_register", register_rows(household_a), by=data_admin)
    assert calls == [("import",), (None,)]


def test_refusal_in_chinese(data_admin):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as e:
        receive("national_register", [], by=data_admin, sender="some_bank")
    assert "未知的发送方" in str(e.value)
