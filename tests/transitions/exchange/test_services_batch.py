"""Building, verifying and acknowledging exchange batches (domain.md §8)."""

import csv
import datetime as dt
import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import Job
from core.notifications.models import Notification
from transitions.exchange import services
from transitions.exchange.selectors import BatchFilters, exchange_batch_list
from transitions.models import ExchangeBatch, ExchangeBatchTransition

from ...assistance.conftest import on_day
from .conftest import DEC, IN_FEB, IN_JAN, JAN, build

pytestmark = pytest.mark.django_db


def _codes(batch):  # type: ignore[no-untyped-def]
    return [p.code for p in services.exchange_batch_verify(batch)]


def test_a_batch_holds_the_month_s_rows_in_three_formats_with_its_manifest(case, data_admin):
    batch = build("dibao_to_poverty", DEC, data_admin)
    assert (batch.sender, batch.receiver, batch.sequence, batch.row_count) == (
        "civil_affairs",
        "poverty_office",
        1,
        1,
    )
    names = sorted(f.name for f in batch.files.all())
    assert names == [f"dibao_to_poverty_202612.{x}" for x in ("csv", "json", "xlsx")]
    assert set(batch.manifest["files"]) == set(names)
    assert batch.manifest["sequence"] == 1 and batch.manifest["previous_manifest_sha256"] == ""
    assert batch.manifest_sha256 == services.sha256(services.canonical(batch.manifest))
    body = batch.files.get(name__endswith=".csv").file.read()
    assert body.startswith("\ufeff".encode())  # Excel reads Chinese only with the BOM
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "案件号" and rows[1][0] == str(case.pk)
    data = json.loads(batch.files.get(name__endswith=".json").file.read())
    assert data["rows"][0][0] == case.pk and data["rows"][0][-1] == "2026-12-01"
    assert _codes(batch) == []
    assert ExchangeBatchTransition.objects.get(batch=batch).by == data_admin


def test_building_the_same_month_twice_is_the_same_batch(case, data_admin, data_admin_2):
    first = build("dibao_to_poverty", DEC, data_admin)
    again = build("dibao_to_poverty", DEC, data_admin_2, day=IN_FEB)
    assert again.pk == first.pk
    assert ExchangeBatch.objects.filter(stream="dibao_to_poverty").count() == 1
    assert again.content_sha256 == first.content_sha256
    assert again.files.count() == 3


def test_the_same_rows_give_the_same_content_hash(case, data_admin):
    first = build("dibao_to_poverty", DEC, data_admin)
    ExchangeBatch.objects.filter(pk=first.pk).delete()
    rebuilt = build("dibao_to_poverty", DEC, data_admin)
    assert rebuilt.pk != first.pk and rebuilt.content_sha256 == first.content_sha256


def test_a_later_month_links_to_the_previous_manifest(case, data_admin):
    dec = build("dibao_to_poverty", DEC, data_admin)
    jan = build("dibao_to_poverty", JAN, data_admin, day=IN_FEB)
    assert jan.previous == dec and jan.sequence == 2
    assert jan.manifest["previous_manifest_sha256"] == dec.manifest_sha256
    assert _codes(jan) == []


def test_a_missing_file_is_reported(case, data_admin):
    batch = build("dibao_to_poverty", DEC, data_admin)
    f = batch.files.get(name__endswith=".xlsx")
    f.file.storage.delete(f.file.name)
    assert _codes(batch) == ["missing_file"]


def test_an_altered_file_is_reported(case, data_admin):
    batch = build("dibao_to_poverty", DEC, data_admin)
    f = batch.files.get(name__endswith=".csv")
    with open(f.file.path, "ab") as out:
        out.write(b"1,2,3\r\n")
    assert _codes(batch) == ["altered_file"]


def test_a_broken_chain_is_reported(case, data_admin):
    dec = build("dibao_to_poverty", DEC, data_admin)
    jan = build("dibao_to_poverty", JAN, data_admin, day=IN_FEB)
    # December's manifest rewritten afterwards (its row count changed): January's link breaks.
    ExchangeBatch.objects.filter(pk=dec.pk).update(manifest={**dec.manifest, "rows": 7})
    dec.refresh_from_db()
    jan.refresh_from_db()
    assert _codes(dec) == ["manifest_altered"]
    assert _codes(jan) == ["broken_chain"]


def test_a_gap_in_the_sequence_is_reported(case, data_admin):
    build("dibao_to_poverty", DEC, data_admin)
    jan = build("dibao_to_poverty", JAN, data_admin, day=IN_FEB)
    ExchangeBatch.objects.filter(pk=jan.pk).update(sequence=3)
    jan.refresh_from_db()
    assert "sequence_gap" in _codes(jan)


def test_months_are_built_in_order(case, data_admin):
    build("dibao_to_poverty", JAN, data_admin, day=IN_FEB)
    with pytest.raises(ValidationError) as e:
        build("dibao_to_poverty", DEC, data_admin, day=IN_FEB)
    assert e.value.error_dict["period"][0].code == "out_of_order"


def test_unknown_stream_and_unfinished_month_are_refused(data_admin):
    with pytest.raises(ValidationError) as e:
        build("nope", DEC, data_admin)
    assert e.value.error_dict["stream"][0].code == "unknown_stream"
    with pytest.raises(ValidationError) as e:
        build("dibao_to_poverty", JAN, data_admin)  # January is not over on 5 January
    assert e.value.error_dict["period"][0].code == "future_period"
    assert not ExchangeBatch.objects.exists()


def test_only_the_sending_department_or_a_data_admin_builds(ss_city, po_pengjiang):
    with pytest.raises(PermissionDenied):
        build("dibao_to_poverty", DEC, ss_city)  # social security does not send this list
    with pytest.raises(PermissionDenied):
        build("registered_to_civil", DEC, po_pengjiang)  # a district: not the city's list
    assert not ExchangeBatch.objects.exists()


def test_the_receiver_acknowledges_and_it_is_recorded(case, data_admin, ss_city, po_pengjiang):
    batch = build("dibao_to_social_security", DEC, data_admin)
    assert batch.row_count == 2  # the two members of the household
    with on_day(IN_JAN), pytest.raises(PermissionDenied):
        services.exchange_batch_acknowledge(batch=batch, by=data_admin)  # built it
    with on_day(IN_JAN), pytest.raises(PermissionDenied):
        services.exchange_batch_acknowledge(batch=batch, by=po_pengjiang)
    with on_day(IN_JAN):
        services.exchange_batch_acknowledge(batch=batch, by=ss_city, reason="收到")
    batch.refresh_from_db()
    assert batch.status == "acknowledged" and batch.acknowledged_by == ss_city
    assert batch.acknowledged_at is not None
    row = ExchangeBatchTransition.objects.get(batch=batch, action="acknowledge")
    assert (row.by, row.from_status, row.to_status, row.reason) == (
        ss_city,
        "built",
        "acknowledged",
        "收到",
    )
    with on_day(IN_JAN), pytest.raises(ValidationError) as e:
        services.exchange_batch_acknowledge(batch=batch, by=ss_city)
    assert e.value.code == "wrong_status"


def test_an_unacknowledged_batch_is_overdue_after_the_limit(
    case, data_admin, ss_city, settings, django_capture_on_commit_callbacks
):
    batch = build("dibao_to_social_security", DEC, data_admin)
    day_10 = IN_JAN.replace(day=15)
    day_11 = IN_JAN.replace(day=16)
    listed = exchange_batch_list(user=ss_city, filters=BatchFilters(status="overdue"), on=day_10)
    assert not listed.exists()
    assert services.exchange_batches_notify_overdue(on=day_10) == 0
    listed = exchange_batch_list(user=ss_city, filters=BatchFilters(status="overdue"), on=day_11)
    assert [b.pk for b in listed] == [batch.pk] and listed[0].overdue
    assert services.exchange_batches_notify_overdue(on=day_11) == 1
    assert Notification.objects.filter(recipient=ss_city, kind="exchange.overdue").count() == 1
    # Told once, not every morning.
    assert services.exchange_batches_notify_overdue(on=day_11.replace(day=17)) == 0


def test_the_monthly_job_builds_every_stream_once(case):
    with on_day(IN_JAN):
        first = services.exchange_batches_build_month(on=IN_JAN)
        again = services.exchange_batches_build_month(on=IN_JAN)
    assert first == again and len(first) == 6
    assert ExchangeBatch.objects.filter(period=DEC, built_by=None).count() == 6


def test_the_build_job_reports_the_batch(case, data_admin, django_capture_on_commit_callbacks):
    with on_day(IN_JAN):
        with django_capture_on_commit_callbacks() as callbacks:
            job = services.exchange_batch_build_start(
                stream="dibao_to_poverty", period="2026-12", by=data_admin
            )
        assert isinstance(job, Job) and len(callbacks) == 1
        batch_id = services.exchange_batch_build_run(job_id=job.pk)
        assert services.exchange_batch_build_run(job_id=job.pk) is None  # delivered twice
        job.refresh_from_db()
        assert job.status == "done" and job.result["batch"] == batch_id
        again = services.exchange_batch_build_start(
            stream="dibao_to_poverty", period="2026-12", by=data_admin
        )
    assert again.pk == batch_id


def test_the_receipt_limit_is_the_policy_in_force_on_the_day(case, data_admin, ss_city):
    """Policy data, effective-dated: from 2027-01-10 the limit is 3 days, so the batch built on
    the 5th is overdue on the 9th only under the new limit's period (the 11th and after)."""
    from assistance.models import PolicyParameter

    key = PolicyParameter.Key.EXCHANGE_RECEIPT_DAYS
    old = PolicyParameter.objects.get(key=key, valid_to__isnull=True)
    assert old.value == 10  # the seeded default
    batch = build("dibao_to_social_security", DEC, data_admin)  # on IN_JAN, the 5th
    old.valid_to = dt.date(2027, 1, 9)
    old.save()
    PolicyParameter.objects.create(key=key, value=3, valid_from=dt.date(2027, 1, 10))

    def overdue(on: dt.date) -> list[int]:
        listed = exchange_batch_list(user=ss_city, filters=BatchFilters(status="overdue"), on=on)
        return [b.pk for b in listed]

    assert overdue(dt.date(2027, 1, 9)) == []  # 4 days, under the 10-day limit then in force
    assert overdue(dt.date(2027, 1, 10)) == [batch.pk]  # 5 days, over the 3-day limit


def test_a_build_that_fails_half_way_leaves_no_files(case, data_admin, monkeypatch):
    from django.core.files.storage import default_storage

    from transitions.models import ExchangeBatchFile

    saved: list[str] = []
    real = ExchangeBatchFile.save

    def failing(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        saved.append(self.file.name)
        if len(saved) == 2:
            raise RuntimeError("disk full")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ExchangeBatchFile, "save", failing)
    with pytest.raises(RuntimeError):
        build("dibao_to_social_security", DEC, data_admin)
    assert len(saved) == 2 and not any(default_storage.exists(n) for n in saved)
    assert not ExchangeBatch.objects.exists()
