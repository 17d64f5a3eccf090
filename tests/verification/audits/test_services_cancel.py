"""Cancelling a plan: by the city supervisor, from draft, drawn or in progress, with a reason;
never once closed. The results and the reviews stay; the auditors lose the households; the
report and the earlier results leave the plan out."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from assistance.models import CaseReview
from core.notifications.models import Notification
from verification.audits import report, selectors, services
from verification.models import AuditPlan, AuditPlanTransition, AuditSample

from ...conftest import login
from .conftest import NOW, TODAY, make_plan, recipients

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(cw_baisha, village_a):  # type: ignore[no-untyped-def]
    return recipients(village_a, 10, by=cw_baisha)


def plan_in(status: str, supervisor, auditor) -> AuditPlan:  # type: ignore[no-untyped-def]
    plan = make_plan(supervisor, [auditor])
    if status == "draft":
        return plan
    plan = services.audit_plan_draw(plan=plan, by=supervisor)
    samples = list(AuditSample.objects.filter(plan=plan).select_related("plan").order_by("id"))
    if status in ("in_progress", "closed"):
        services.audit_sample_record(
            sample=samples[0],
            result="discrepancy",
            discrepancy_kind="wrongly_included",
            details="有车辆",
            visited_on=TODAY,
            by=auditor,
        )
    if status == "closed":
        for s in samples[1:]:
            services.audit_sample_record(sample=s, result="conforms", visited_on=TODAY, by=auditor)
        services.audit_plan_close(plan=plan, by=supervisor)
    plan.refresh_from_db()
    assert plan.status == status
    return plan


@pytest.mark.parametrize("status", ["draft", "drawn", "in_progress"])
def test_cancel_from_each_open_status(cases, supervisor, auditor, status):  # type: ignore[no-untyped-def]
    plan = plan_in(status, supervisor, auditor)
    done = services.audit_plan_cancel(plan=plan, by=supervisor, reason="区里统一重新部署")
    assert done.status == "cancelled" and done.cancelled_at == NOW
    row = AuditPlanTransition.objects.filter(plan=plan).order_by("-id").first()
    assert (row.action, row.from_status, row.to_status, row.by, row.at) == (
        "cancel",
        status,
        "cancelled",
        supervisor,
        NOW,
    )
    assert row.reason.startswith("区里统一重新部署")
    # Nothing deleted: the samples, their results and the reviews opened stay.
    recorded = AuditSample.objects.filter(plan=plan).exclude(result="pending")
    assert recorded.count() == (1 if status == "in_progress" else 0)
    if status == "in_progress":
        assert "1 result recorded is kept" in row.reason
        review = recorded.get().review
        assert review is not None and CaseReview.objects.get(pk=review.pk).closed_on is None
    told = Notification.objects.filter(recipient=auditor, kind="audit.cancelled").exists()
    assert told == (status != "draft")


def test_refused_once_closed_and_once_cancelled(cases, supervisor, auditor):  # type: ignore[no-untyped-def]
    plan = plan_in("closed", supervisor, auditor)
    with pytest.raises(ValidationError) as e:
        services.audit_plan_cancel(plan=plan, by=supervisor, reason="x")
    assert e.value.code == "wrong_status"
    other = services.audit_plan_cancel(
        plan=make_plan(supervisor, [auditor], seed=7), by=supervisor, reason="x"
    )
    with pytest.raises(ValidationError) as e:
        services.audit_plan_cancel(plan=other, by=supervisor, reason="again")
    assert e.value.code == "wrong_status"


def test_reason_required_and_only_the_supervisor(cases, supervisor, auditor, ca_pengjiang):  # type: ignore[no-untyped-def]
    plan = plan_in("drawn", supervisor, auditor)
    with pytest.raises(ValidationError) as e:
        services.audit_plan_cancel(plan=plan, by=supervisor, reason="  ")
    assert "reason" in e.value.message_dict
    for user in (auditor, ca_pengjiang):
        with pytest.raises(PermissionDenied):
            services.audit_plan_cancel(plan=plan, by=user, reason="x")
    plan.refresh_from_db()
    assert plan.status == "drawn"


def test_nothing_is_recorded_or_corrected_after_cancel(cases, supervisor, auditor):  # type: ignore[no-untyped-def]
    plan = plan_in("in_progress", supervisor, auditor)
    services.audit_plan_cancel(plan=plan, by=supervisor, reason="x")
    done, pending = (
        AuditSample.objects.filter(plan=plan, result=r).select_related("plan").first()
        for r in ("discrepancy", "pending")
    )
    with pytest.raises(ValidationError) as e:
        services.audit_sample_record(
            sample=pending, result="conforms", visited_on=TODAY, by=auditor
        )
    assert e.value.code == "wrong_status"
    with pytest.raises(ValidationError) as e:
        services.audit_sample_correct(
            sample=done, result="conforms", reason="x", version=done.version, by=auditor
        )
    assert e.value.code == "wrong_status"


def test_auditor_denied_the_households_after_cancel(client, api, cases, supervisor, auditor):  # type: ignore[no-untyped-def]
    plan = plan_in("in_progress", supervisor, auditor)
    s = AuditSample.objects.filter(plan=plan).exclude(result="pending").first()
    login(client, auditor)
    assert client.get(reverse("verification:audit_sample", args=[s.pk])).status_code == 200
    services.audit_plan_cancel(plan=plan, by=supervisor, reason="x")
    for url in (
        reverse("verification:audit_sample", args=[s.pk]),
        reverse("verification:audit_sample_correct", args=[s.pk]),
        reverse("verification:audit_detail", args=[plan.pk]),
        reverse("verification:audit_report", args=[plan.pk]),
    ):
        assert client.get(url).status_code == 404, url
    work = client.get(reverse("verification:audit_worklist"), {"result": ""}).content.decode()
    assert reverse("verification:audit_sample", args=[s.pk]) not in work
    login(api, auditor)
    assert api.get(f"/api/v1/audit-samples/{s.pk}/").status_code == 404
    assert api.get("/api/v1/audit-samples/").json()["count"] == 0
    assert api.get(f"/api/v1/audits/{plan.pk}/").status_code == 404
    r = api.post(
        f"/api/v1/audit-samples/{s.pk}/correct/",
        {"result": "conforms", "reason": "x", "version": s.version},
        format="json",
    )
    assert r.status_code == 404
    assert not selectors.audit_sample_list(user=auditor).exists()
    # The supervision still reads it, read-only.
    login(client, supervisor)
    page = client.get(reverse("verification:audit_sample", args=[s.pk]))
    assert page.status_code == 200 and 'data-testid="correct"' not in page.content.decode()


def test_report_leaves_the_cancelled_plan_out(client, cases, supervisor, auditor):  # type: ignore[no-untyped-def]
    plan = plan_in("in_progress", supervisor, auditor)
    login(client, supervisor)
    assert report.reportable(plan)
    assert client.get(reverse("verification:audit_report", args=[plan.pk])).status_code == 200
    plan = services.audit_plan_cancel(plan=plan, by=supervisor, reason="x")
    assert not report.reportable(plan)
    assert client.get(reverse("verification:audit_report", args=[plan.pk])).status_code == 404
    export = reverse("verification:audit_report_export", args=[plan.pk])
    assert client.get(export, {"format": "xlsx"}).status_code == 404
    page = client.get(reverse("verification:audit_detail", args=[plan.pk])).content.decode()
    assert 'data-testid="audit-cancelled"' in page
    assert reverse("verification:audit_report", args=[plan.pk]) not in page


def test_earlier_results_leave_the_cancelled_plan_out(cases, supervisor, auditor):  # type: ignore[no-untyped-def]
    first = plan_in("in_progress", supervisor, auditor)
    found = AuditSample.objects.filter(plan=first).exclude(result="pending").get()
    # The same seed on the same frame draws the same households.
    second = services.audit_plan_draw(plan=make_plan(supervisor, [auditor]), by=supervisor)
    again = AuditSample.objects.get(plan=second, household_id=found.household_id)
    assert list(selectors.earlier_results(user=supervisor, sample=again)) == [found]
    services.audit_plan_cancel(plan=first, by=supervisor, reason="x")
    assert list(selectors.earlier_results(user=supervisor, sample=again)) == []
