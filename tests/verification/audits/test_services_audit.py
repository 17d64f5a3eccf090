"""Recording results, the review a discrepancy opens, closing; plans' validation."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assistance.models import CaseReview, DibaoCase
from core.notifications.models import Notification
from verification.audits import services
from verification.models import AuditPlan, AuditPlanTransition, AuditSample

from ...factories import UserFactory, region
from .conftest import PERIOD, TODAY, excluded, make_plan, recipients

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(cw_baisha, village_a, supervisor, auditor) -> AuditPlan:  # type: ignore[no-untyped-def]
    recipients(village_a, 10, by=cw_baisha)
    excluded(village_a, 3, by=cw_baisha)
    return services.audit_plan_draw(plan=make_plan(supervisor, [auditor]), by=supervisor)


def sample(plan: AuditPlan, frame: str = "recipient") -> AuditSample:
    return (
        AuditSample.objects.filter(plan=plan, stratum__frame=frame).select_related("plan").first()
    )  # type: ignore[return-value]


def record(s, by, result="conforms", **kw):  # type: ignore[no-untyped-def]
    return services.audit_sample_record(sample=s, result=result, by=by, visited_on=TODAY, **kw)


def test_conforms_is_recorded_with_history(plan, auditor):  # type: ignore[no-untyped-def]
    s = record(sample(plan), auditor)
    assert (s.result, s.recorded_by, s.review) == ("conforms", auditor, None)
    plan.refresh_from_db()
    assert plan.status == "in_progress"
    row = AuditPlanTransition.objects.get(plan=plan, action="record")
    assert (row.sample, row.by, row.from_status, row.to_status) == (
        s,
        auditor,
        "drawn",
        "in_progress",
    )


def test_discrepancy_opens_a_review_and_tells_the_town(plan, auditor, cw_baisha):  # type: ignore[no-untyped-def]
    s = record(
        sample(plan),
        auditor,
        "discrepancy",
        discrepancy_kind="wrongly_included",
        details="家中有两套住房，未申报",
    )
    review = CaseReview.objects.get(case=s.dibao_case)
    assert s.review == review
    assert review.kind == CaseReview.Kind.REPORTED_CHANGE and review.closed_on is None
    assert "未申报" in review.reason and str(plan) in review.reason
    assert DibaoCase.objects.get(pk=s.dibao_case_id).status == "under_review"
    note = Notification.objects.get(recipient=cw_baisha, kind="audit.discrepancy")
    assert "review" in note.title or "复核" in note.title


def test_discrepancy_on_a_refused_household_asks_to_re_examine(plan, auditor, cw_baisha):  # type: ignore[no-untyped-def]
    s = record(
        sample(plan, "excluded"),
        auditor,
        "discrepancy",
        discrepancy_kind="wrongly_excluded",
        details="收入低于标准",
    )
    assert s.review is None
    assert Notification.objects.filter(recipient=cw_baisha, kind="audit.discrepancy").exists()
    assert not CaseReview.objects.exists()


@pytest.mark.parametrize(
    ("frame", "kind", "details", "field"),
    [
        ("recipient", "wrongly_excluded", "x", "discrepancy_kind"),
        ("excluded", "wrongly_included", "x", "discrepancy_kind"),
        ("excluded", "wrong_amount", "x", "discrepancy_kind"),
        ("recipient", "wrong_amount", "", "details"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(plan, auditor, frame, kind, details, field):  # type: ignore[no-untyped-def]
    s = sample(plan, frame)
    with pytest.raises(ValidationError) as e:
        record(s, auditor, "discrepancy", discrepancy_kind=kind, details=details)
    assert field in e.value.message_dict
    s.refresh_from_db()
    assert (
        s.result == "pending" and not AuditPlanTransition.objects.filter(action="record").exists()
    )


def test_date_of_examination_not_in_the_future(plan, auditor):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as e:
        services.audit_sample_record(
            sample=sample(plan),
            result="conforms",
            by=auditor,
            visited_on=TODAY + dt.timedelta(days=1),
        )
    assert "visited_on" in e.value.message_dict


def test_recorded_once(plan, auditor, auditor_2, supervisor):  # type: ignore[no-untyped-def]
    services.audit_plan_assign(plan=plan, auditors=[auditor, auditor_2], by=supervisor)
    s = sample(plan)
    record(s, auditor)
    with pytest.raises(ValidationError) as e:
        record(s, auditor_2, "discrepancy", discrepancy_kind="other", details="x")
    assert e.value.code == "already_recorded"


def test_only_the_plans_auditors_record(plan, auditor_2):  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        record(sample(plan), auditor_2)


def test_closing_needs_every_result_then_a_supervisor(plan, auditor, supervisor):  # type: ignore[no-untyped-def]
    samples = list(AuditSample.objects.filter(plan=plan))
    record(samples[0], auditor)
    with pytest.raises(ValidationError) as e:
        services.audit_plan_close(plan=plan, by=supervisor)
    assert e.value.code == "pending_samples"
    for s in samples[1:]:
        record(s, auditor)
    with pytest.raises(PermissionDenied):
        services.audit_plan_close(plan=plan, by=auditor)  # the auditor never closes
    services.audit_plan_close(plan=plan, by=supervisor, reason="完成")
    plan.refresh_from_db()
    assert plan.status == "closed" and plan.closed_at
    with pytest.raises(ValidationError) as e:
        record(samples[0], auditor)
    assert e.value.code == "wrong_status"


def test_whoever_recorded_never_closes(plan, auditor):  # type: ignore[no-untyped-def]
    """Separation of duties against the plan's whole history, whatever the permissions."""
    boss = UserFactory(username="root", is_superuser=True, role="", region=region("440700"))
    plan.auditors.add(boss)
    for s in AuditSample.objects.filter(plan=plan):
        record(s, boss)
    with pytest.raises(PermissionDenied, match="separation of duties"):
        services.audit_plan_close(plan=plan, by=boss)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"period_from": TODAY + dt.timedelta(days=1), "period_to": PERIOD[1]}, "period_from"),
        ({"period_from": PERIOD[1], "period_to": PERIOD[0]}, "period_to"),
        ({"period_to": dt.date(2026, 7, 1)}, "period_to"),
        ({"allocation": "fixed"}, "per_stratum"),
        ({"sample_percent": Decimal("0")}, "sample_percent"),
        ({"name": " "}, "name"),
        ({"where": "440703002"}, "region"),
    ],
)
def test_plan_validation(supervisor, auditor, fields, error):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as e:
        make_plan(supervisor, [auditor], **fields)
    assert error in e.value.message_dict
    assert not AuditPlan.objects.exists()


def test_auditors_must_be_auditors_of_the_area(supervisor, auditor_taishan, cw_baisha):  # type: ignore[no-untyped-def]
    for people in ([], [cw_baisha], [auditor_taishan]):
        with pytest.raises(ValidationError) as e:
            make_plan(supervisor, people)
        assert "auditors" in e.value.message_dict


def test_only_a_supervisor_plans(ca_pengjiang, auditor):  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        make_plan(ca_pengjiang, [auditor])


def test_random_seed_when_none_given(supervisor, auditor):  # type: ignore[no-untyped-def]
    plan = make_plan(supervisor, [auditor], seed=None)
    assert 1 <= plan.seed < 2**31
    assert AuditPlanTransition.objects.get(plan=plan).action == "create"
