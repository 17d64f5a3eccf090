"""The insurance agency's answer: all or nothing, a row report, scoped to the officer's area,
through a background job the page polls."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from config.celery import app as celery_app
from core import exports
from core.models import Job
from transitions.enrolments import enrolments_import
from transitions.models import InsuranceEnrolment

from ..conftest import login
from .conftest import on_day

DAY = dt.date(2026, 11, 20)
HEAD = ["身份证号", "参保状态", "日期", "备注"]


@pytest.fixture(autouse=True)
def _today():  # type: ignore[no-untyped-def]
    with on_day(DAY):
        yield


@pytest.fixture
def ids(confirmed_case):  # type: ignore[no-untyped-def]
    return list(
        InsuranceEnrolment.objects.filter(household=confirmed_case.household).values_list(
            "person__id_number", flat=True
        )
    )


def test_a_clean_file_updates_every_row(ids, ss_pengjiang):
    rows = [HEAD, [ids[0], "已参保", "2026-11-18", ""], [ids[1], "免缴", dt.date(2026, 11, 19), ""]]
    result = enrolments_import(rows=rows, by=ss_pengjiang)
    assert result == {"updated": 2, "errors": []}
    assert set(InsuranceEnrolment.objects.values_list("status", flat=True)) == {
        "enrolled",
        "exempt",
    }
    e = InsuranceEnrolment.objects.get(person__id_number=ids[0])
    assert e.history.first().history_user == ss_pengjiang


def test_one_bad_row_changes_nothing_and_is_reported(ids, ss_pengjiang):
    rows = [
        HEAD,
        [ids[0], "已参保", "2026-11-18", ""],
        [ids[1], "拒绝", "2026-11-18", ""],
        ["110105194912310021", "已参保", "2027-01-01", ""],
        [ids[0], "什么", "", ""],
    ]
    result = enrolments_import(rows=rows, by=ss_pengjiang)
    assert result["updated"] == 0
    messages = {(r, c) for r, c, _v, _m in result["errors"]}
    assert (3, "备注") in messages  # refused without a note
    assert (4, "日期") in messages and (4, "身份证号") in messages  # future, not on the list
    assert (5, "参保状态") in messages
    assert set(InsuranceEnrolment.objects.values_list("status", flat=True)) == {"pending"}


def test_missing_columns(ids, ss_pengjiang):
    result = enrolments_import(rows=[["姓名"], ["张三"]], by=ss_pengjiang)
    assert result["updated"] == 0 and "Missing columns" in result["errors"][0][3]


def test_another_district_cannot_change_these_people(ids, ss_pengjiang):
    from ..factories import UserFactory, region

    ss_taishan = UserFactory(
        username="ss_taishan", role="social_security_officer", region=region("440781")
    )
    result = enrolments_import(rows=[HEAD, [ids[0], "已参保", "2026-11-18", ""]], by=ss_taishan)
    assert result["updated"] == 0 and "outside your area" in result["errors"][0][3]


def test_the_page_runs_it_as_a_job(client, ids, ss_pengjiang, django_capture_on_commit_callbacks):
    login(client, ss_pengjiang)
    body = exports.write_xlsx([[ids[0], "已参保", "2026-11-18", ""]], headers=HEAD)
    upload = SimpleUploadedFile("answer.xlsx", body)
    old = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            r = client.post("/handoffs/insurance/import/", {"file": upload})
    finally:
        celery_app.conf.task_always_eager = old
    assert r.status_code == 302
    job = Job.objects.get(kind="enrolment_import")
    assert job.status == "done" and job.result["updated"] == 1
    page = client.get(r["Location"]).content.decode()
    assert "1 enrolments updated" in page
    assert InsuranceEnrolment.objects.get(person__id_number=ids[0]).status == "enrolled"


def test_only_xlsx_and_only_the_officer(client, ids, ss_pengjiang, ca_pengjiang):
    login(client, ss_pengjiang)
    r = client.post("/handoffs/insurance/import/", {"file": SimpleUploadedFile("a.csv", b"x")})
    assert r.status_code == 400
    login(client, ca_pengjiang)
    assert client.get("/handoffs/insurance/import/").status_code == 403


def test_a_second_delivery_does_nothing_and_the_file_is_deleted(
    ids, ss_pengjiang, django_capture_on_commit_callbacks
):
    from transitions.enrolments import enrolment_import_run, enrolment_import_start
    from transitions.models import EnrolmentImport

    body = exports.write_xlsx([[ids[0], "已参保", "2026-11-18", ""]], headers=HEAD)
    job = enrolment_import_start(upload=SimpleUploadedFile("a.xlsx", body), by=ss_pengjiang)
    assert enrolment_import_run(job_id=job.pk)["updated"] == 1
    assert enrolment_import_run(job_id=job.pk) is None
    assert not EnrolmentImport.objects.get(job=job).file
    job.refresh_from_db()
    assert job.status == "done"
