"""The audit pages: plan creation, the draw with its preview, the auditor's record form, the
report with its estimates and its export (formula-safe)."""

import io

import openpyxl
import pytest
from django.urls import reverse

from verification.audits import report, services
from verification.models import AuditPlan, AuditSample

from ...conftest import login
from ...factories import region
from .conftest import PERIOD, TODAY, excluded, make_plan, recipients

pytestmark = pytest.mark.django_db


@pytest.fixture
def frame(cw_baisha, village_a, village_chaolian):  # type: ignore[no-untyped-def]
    recipients(village_a, 40, by=cw_baisha)
    recipients(village_chaolian, 40, by=cw_baisha)
    excluded(village_a, 2, by=cw_baisha)


def test_create_then_draw_on_the_pages(client, frame, supervisor, auditor):  # type: ignore[no-untyped-def]
    login(client, supervisor)
    assert client.get(reverse("verification:audit_create")).status_code == 200
    r = client.post(
        reverse("verification:audit_create"),
        {
            "name": "=HYPERLINK(1)",
            "region": region("440703").pk,
            "period_from": PERIOD[0].isoformat(),
            "period_to": PERIOD[1].isoformat(),
            "allocation": "proportional",
            "auditors": [auditor.pk],
            "seed": "5",
        },
    )
    plan = AuditPlan.objects.get()
    assert r.status_code == 302
    page = client.get(reverse("verification:audit_detail", args=[plan.pk])).content.decode()
    assert 'data-testid="audit-preview"' in page and 'data-testid="draw"' in page
    client.post(reverse("verification:audit_draw", args=[plan.pk]))
    plan.refresh_from_db()
    assert plan.status == "drawn"
    page = client.get(reverse("verification:audit_detail", args=[plan.pk])).content.decode()
    assert 'data-testid="audit-strata"' in page and 'data-testid="draw"' not in page


def test_bad_plan_form_shows_field_errors(client, supervisor, auditor):  # type: ignore[no-untyped-def]
    r = login(client, supervisor).post(
        reverse("verification:audit_create"),
        {
            "name": "x",
            "region": region("440703").pk,
            "period_from": PERIOD[0].isoformat(),
            "period_to": "2027-01-31",
            "allocation": "proportional",
            "auditors": [auditor.pk],
        },
    )
    assert r.status_code == 400 and "current half-year" in r.content.decode()


def test_auditor_records_on_the_page(client, frame, supervisor, auditor):  # type: ignore[no-untyped-def]
    plan = services.audit_plan_draw(plan=make_plan(supervisor, [auditor]), by=supervisor)
    s = AuditSample.objects.filter(plan=plan, stratum__frame="recipient").first()
    login(client, auditor)
    work = client.get(reverse("verification:audit_worklist")).content.decode()
    assert reverse("verification:audit_sample", args=[s.pk]) in work
    url = reverse("verification:audit_sample", args=[s.pk])
    assert 'data-testid="record-form"' in client.get(url).content.decode()
    r = client.post(
        url, {"result": "discrepancy", "discrepancy_kind": "", "visited_on": TODAY.isoformat()}
    )
    assert r.status_code == 400
    r = client.post(
        url,
        {
            "result": "discrepancy",
            "discrepancy_kind": "wrongly_included",
            "details": "有车辆",
            "visited_on": TODAY.isoformat(),
        },
    )
    assert r.status_code == 302
    s.refresh_from_db()
    assert s.result == "discrepancy" and s.review_id
    assert 'data-testid="record-form"' not in client.get(url).content.decode()
    # The supervisor reads the page; no record form for them.
    page = login(client, supervisor).get(url)
    assert page.status_code == 200 and 'data-testid="record-form"' not in page.content.decode()


def test_report_estimates_per_district_and_exports_safely(client, frame, supervisor, auditor):  # type: ignore[no-untyped-def]
    plan = make_plan(supervisor, [auditor], name="=cmd|' /C calc'!A0")
    services.audit_plan_draw(plan=plan, by=supervisor)
    samples = list(AuditSample.objects.filter(plan=plan).select_related("stratum"))
    wrong = next(s for s in samples if s.stratum.frame == "recipient")
    for s in samples:
        if s == wrong:
            services.audit_sample_record(
                sample=s,
                result="discrepancy",
                discrepancy_kind="wrongly_included",
                details="-1+1",
                visited_on=TODAY,
                by=auditor,
            )
        else:
            services.audit_sample_record(sample=s, result="conforms", visited_on=TODAY, by=auditor)
    r = report.plan_report(plan)
    inclusion = r.total.rates[0]
    # two towns of 40 households each, 2 drawn per town: one wrong of 2 in one town
    assert inclusion.key == "inclusion"
    assert inclusion.estimate.percent == 25.0 and inclusion.meets is False
    assert r.total.rates[1].estimate.percent == 0.0 and r.total.rates[1].meets is True
    login(client, supervisor)
    page = client.get(reverse("verification:audit_report", args=[plan.pk]))
    assert page.status_code == 200 and 'data-rate="inclusion"' in page.content.decode()
    xlsx = client.get(
        reverse("verification:audit_report_export", args=[plan.pk]), {"format": "xlsx"}
    )
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    texts = [c.value for row in book.active.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(t.startswith(("=", "+", "-", "@")) for t in texts)


def test_auditor_corrects_on_the_page(client, frame, supervisor, auditor, auditor_2):  # type: ignore[no-untyped-def]
    plan = services.audit_plan_draw(plan=make_plan(supervisor, [auditor, auditor_2]), by=supervisor)
    s = AuditSample.objects.filter(plan=plan, stratum__frame="recipient").first()
    services.audit_sample_record(sample=s, result="conforms", visited_on=TODAY, by=auditor)
    url = reverse("verification:audit_sample_correct", args=[s.pk])
    login(client, auditor)
    assert (
        'data-testid="correct"'
        in client.get(reverse("verification:audit_sample", args=[s.pk])).content.decode()
    )
    form = client.get(url)
    assert form.status_code == 200 and 'data-testid="correct-form"' in form.content.decode()
    body = {"result": "discrepancy", "discrepancy_kind": "wrongly_included", "details": "有车辆"}
    r = client.post(url, {**body, "reason": "", "version": "1"})
    assert r.status_code == 400 and "reason" in r.context["form"].errors
    r = client.post(url, {**body, "reason": "复核照片后更正", "version": "1"})
    assert r.status_code == 302
    s.refresh_from_db()
    assert (s.result, s.version) == ("discrepancy", 2) and s.review_id
    page = client.get(reverse("verification:audit_sample", args=[s.pk])).content.decode()
    assert 'data-testid="sample-corrections"' in page and "复核照片后更正" in page
    # The same form sent again (a stale page, a second tab): told, nothing written twice.
    r = client.post(url, {**body, "details": "另一说法", "reason": "再改", "version": "1"})
    assert r.status_code == 302
    s.refresh_from_db()
    assert s.details == "有车辆" and s.version == 2
    # Another auditor of the plan has no form and is sent back with the reason.
    login(client, auditor_2)
    page = client.get(reverse("verification:audit_sample", args=[s.pk])).content.decode()
    assert 'data-testid="correct"' not in page
    r = client.get(url)
    assert r.status_code == 302
    assert client.post(url, {**body, "reason": "x", "version": "2"}).status_code == 403
    # The supervision's role does not correct at all.
    assert login(client, supervisor).get(url).status_code == 403


def test_supervisor_cancels_after_the_confirmation_page(client, frame, supervisor, auditor):  # type: ignore[no-untyped-def]
    plan = services.audit_plan_draw(plan=make_plan(supervisor, [auditor]), by=supervisor)
    login(client, supervisor)
    detail = reverse("verification:audit_detail", args=[plan.pk])
    url = reverse("verification:audit_cancel", args=[plan.pk])
    assert url in client.get(detail).content.decode()
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="cancel-warning"' in html and 'data-testid="cancel-form"' in html
    plan.refresh_from_db()
    assert plan.status == "drawn"  # the GET changes nothing
    r = client.post(url, {"reason": ""})
    assert r.status_code == 400 and "reason" in r.context["form"].errors
    r = client.post(url, {"reason": "计划范围有误，重新制定"})
    assert r.status_code == 302 and r["Location"] == detail
    plan.refresh_from_db()
    assert plan.status == "cancelled"
    html = client.get(detail).content.decode()
    assert 'data-testid="audit-cancelled"' in html and url not in html
    assert "计划范围有误" in html  # the history
    # Once cancelled the page sends back with the reason; a replayed POST changes nothing.
    assert client.get(url).status_code == 302
    assert client.post(url, {"reason": "again"}).status_code == 302
    assert plan.transitions.filter(action="cancel").count() == 1
    # An auditor's role does not cancel.
    assert login(client, auditor).get(url).status_code == 403
