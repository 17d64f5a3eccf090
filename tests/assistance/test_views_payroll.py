"""Payroll pages: list, build (job + progress), detail, approval, bank-file export; role and
district scoping."""

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse

from assistance.models import Payroll
from assistance.payroll import services as P
from config.celery import app as celery_app
from core.models import AccessLog, Job

from ..conftest import login
from .conftest import DEC

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(ca_pengjiang_2, payroll_draft, ca_pengjiang):  # type: ignore[no-untyped-def]
    return P.payroll_approve(payroll=payroll_draft, by=ca_pengjiang_2)


def test_list_shows_the_districts_payrolls(client, payroll_draft, ca_pengjiang):
    resp = login(client, ca_pengjiang).get(reverse("assistance_payroll:list"))
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "2026-12" in body and "1711" in body and 'data-testid="build-form"' in body


def test_caseworker_sees_no_payroll_and_cannot_build(client, payroll_draft, cw_baisha, district):
    c = login(client, cw_baisha)
    resp = c.get(reverse("assistance_payroll:list"))
    assert resp.status_code == 200
    assert "No payroll in your area." in resp.content.decode()
    assert 'data-testid="build-form"' not in resp.content.decode()
    assert c.get(reverse("assistance_payroll:detail", args=[payroll_draft.pk])).status_code == 404
    resp = c.post(reverse("assistance_payroll:build"), {"county": district.pk, "month": "2027-01"})
    assert resp.status_code == 403
    assert c.post(reverse("assistance_payroll:approve", args=[payroll_draft.pk])).status_code == 403
    assert (
        c.get(reverse("assistance_payroll:export", args=[payroll_draft.pk, "csv"])).status_code
        == 403
    )


def test_village_assistant_gets_403(client, payroll_draft, va_baisha):
    assert login(client, va_baisha).get(reverse("assistance_payroll:list")).status_code == 403


def test_other_district_gets_404(client, approved, ca_taishan, district):
    c = login(client, ca_taishan)
    assert "1711" not in c.get(reverse("assistance_payroll:list")).content.decode()
    for name, args in (
        ("detail", [approved.pk]),
        ("approve", [approved.pk]),
        ("export", [approved.pk, "csv"]),
    ):
        assert c.get(reverse(f"assistance_payroll:{name}", args=args)).status_code == 404
    assert c.post(reverse("assistance_payroll:approve", args=[approved.pk])).status_code == 404
    resp = c.post(reverse("assistance_payroll:build"), {"county": district.pk, "month": "2027-01"})
    assert resp.status_code == 404
    assert not Payroll.objects.filter(month=dt.date(2027, 1, 1)).exists()
    job = Job.objects.create(kind=P.JOB_KIND, region=district)
    assert c.get(reverse("assistance_payroll:job", args=[job.pk])).status_code == 404


def test_detail_lists_lines_and_totals(
    client, payroll_draft, confirmed_case, ca_pengjiang, ca_pengjiang_2
):
    resp = login(client, ca_pengjiang).get(
        reverse("assistance_payroll:detail", args=[payroll_draft.pk])
    )
    body = resp.content.decode()
    assert resp.status_code == 200
    assert f"DB{confirmed_case.pk:06d}" in body and "1528.00" in body and "182.80" in body
    # The reviewer who built it is not offered the approval (separation of duties); another is.
    assert 'data-testid="approve-link"' not in body and 'data-testid="export-csv"' not in body
    resp = login(client, ca_pengjiang_2).get(
        reverse("assistance_payroll:detail", args=[payroll_draft.pk])
    )
    assert 'data-testid="approve-link"' in resp.content.decode()


def test_build_form_starts_the_job_and_progress_is_polled(
    client, confirmed_case, ca_pengjiang, district, django_capture_on_commit_callbacks
):
    c = login(client, ca_pengjiang)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        resp = c.post(
            reverse("assistance_payroll:build"), {"county": district.pk, "month": "2026-12"}
        )
    assert len(callbacks) == 1  # the task is enqueued after commit (not run here)
    payroll = Payroll.objects.get(county=district, month=DEC)
    job = Job.objects.get(kind=P.JOB_KIND)
    assert resp.status_code == 302
    assert resp.url == reverse("assistance_payroll:detail", args=[payroll.pk]) + f"?job={job.pk}"
    page = c.get(resp.url).content.decode()
    assert 'data-testid="job-progress"' in page and "hx-get" in page
    status = c.get(reverse("assistance_payroll:job", args=[job.pk])).json()
    assert status["status"] == "queued" and status["percent"] == 0 and not status["finished"]
    # The worker runs it.
    from assistance.payroll.tasks import build_payroll

    build_payroll.apply(args=(job.pk, district.pk, "2026-12-01", ca_pengjiang.pk))
    status = c.get(reverse("assistance_payroll:job", args=[job.pk])).json()
    assert status == {
        "id": job.pk,
        "status": "done",
        "percent": 100,
        "done": 4,
        "total": 4,
        "message": status["message"],
        "finished": True,
        "payroll": payroll.pk,
    }
    fragment = c.get(reverse("assistance_payroll:job", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert fragment["HX-Refresh"] == "true" and "100%" in fragment.content.decode()
    assert (
        "hx-get"
        not in c.get(reverse("assistance_payroll:detail", args=[payroll.pk])).content.decode()
    )


def test_build_form_with_eager_celery_builds_at_once(
    client, confirmed_case, ca_pengjiang, district, django_capture_on_commit_callbacks
):
    old = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            login(client, ca_pengjiang).post(
                reverse("assistance_payroll:build"), {"county": district.pk, "month": "2026-12"}
            )
    finally:
        celery_app.conf.task_always_eager = old
    payroll = Payroll.objects.get(county=district, month=DEC)
    assert (payroll.status, payroll.line_count) == (Payroll.Status.DRAFT, 1)


def test_build_form_bad_month_and_locked_month_are_messages(
    client, approved, ca_pengjiang, district
):
    c = login(client, ca_pengjiang)
    resp = c.post(
        reverse("assistance_payroll:build"), {"county": district.pk, "month": "xx"}, follow=True
    )
    assert "Give the month as YYYY-MM." in resp.content.decode()
    resp = c.post(
        reverse("assistance_payroll:build"),
        {"county": district.pk, "month": "2026-12"},
        follow=True,
    )
    assert "is locked" in resp.content.decode()
    assert not Job.objects.exists()


def test_approve_asks_for_confirmation_then_locks(client, payroll_draft, ca_pengjiang_2):
    c = login(client, ca_pengjiang_2)  # not the reviewer who built it
    page = c.get(reverse("assistance_payroll:approve", args=[payroll_draft.pk]))
    assert page.status_code == 200 and 'data-testid="approve-form"' in page.content.decode()
    payroll_draft.refresh_from_db()
    assert payroll_draft.status == Payroll.Status.DRAFT  # GET changes nothing
    resp = c.post(reverse("assistance_payroll:approve", args=[payroll_draft.pk]), follow=True)
    payroll_draft.refresh_from_db()
    assert (
        payroll_draft.status == Payroll.Status.APPROVED
        and payroll_draft.approved_by == ca_pengjiang_2
    )
    body = resp.content.decode()
    assert 'data-testid="export-csv"' in body and 'data-testid="approve-link"' not in body
    resp = c.post(reverse("assistance_payroll:approve", args=[payroll_draft.pk]), follow=True)
    assert "already approved" in resp.content.decode()


def test_export_bank_files(client, approved, confirmed_case, ca_pengjiang):
    c = login(client, ca_pengjiang)
    resp = c.get(reverse("assistance_payroll:export", args=[approved.pk, "csv"]))
    assert resp.status_code == 200
    assert resp["Content-Disposition"] == 'attachment; filename="payroll-440703-2026-12.csv"'
    text = resp.content.decode("utf-8")
    assert text.startswith("\ufeff序号,案件编号,收款人姓名,开户银行,银行账号,金额（元）")
    assert f"DB{confirmed_case.pk:06d}" in text and "1711.00" in text
    resp = c.get(reverse("assistance_payroll:export", args=[approved.pk, "xlsx"]))
    ws = openpyxl.load_workbook(io.BytesIO(resp.content)).active
    assert ws.cell(2, 2).value == f"DB{confirmed_case.pk:06d}"
    assert AccessLog.objects.filter(action="export", object_type="Payroll").count() == 2
    resp = c.get(reverse("assistance_payroll:export", args=[approved.pk, "pdf"]), follow=True)
    assert "Choose xlsx or csv." in resp.content.decode()


def test_draft_cannot_be_exported(client, payroll_draft, ca_pengjiang):
    resp = login(client, ca_pengjiang).get(
        reverse("assistance_payroll:export", args=[payroll_draft.pk, "csv"]), follow=True
    )
    assert "Only an approved payroll" in resp.content.decode()
