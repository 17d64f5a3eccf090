"""Correcting a recorded result: only by the auditor who recorded it, while the plan is not
closed, with a reason; the history row names the sample with the old and the new result; the
review a discrepancy opened is the caseworker's and stays; two corrections at once: one wins."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from assistance.models import CaseReview, DibaoCase
from core.notifications.models import Notification
from verification.audits import services
from verification.models import AuditPlan, AuditPlanTransition, AuditSample

from .conftest import TODAY, excluded, make_plan, recipients

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(cw_baisha, village_a, supervisor, auditor, auditor_2) -> AuditPlan:  # type: ignore[no-untyped-def]
    recipients(village_a, 10, by=cw_baisha)
    excluded(village_a, 3, by=cw_baisha)
    return services.audit_plan_draw(plan=make_plan(supervisor, [auditor, auditor_2]), by=supervisor)


def sample(plan: AuditPlan, frame: str = "recipient") -> AuditSample:
    return (
        AuditSample.objects.filter(plan=plan, stratum__frame=frame)
        .select_related("plan")
        .order_by("id")
        .first()
    )  # type: ignore[return-value]


def record(s, by, result="conforms", **kw):  # type: ignore[no-untyped-def]
    return services.audit_sample_record(sample=s, result=result, by=by, visited_on=TODAY, **kw)


def correct(s, by, result, *, reason="复查发现记录有误", version=None, **kw):  # type: ignore[no-untyped-def]
    return services.audit_sample_correct(
        sample=s,
        result=result,
        reason=reason,
        version=s.version if version is None else version,
        by=by,
        **kw,
    )


WRONG = {"discrepancy_kind": "wrongly_included", "details": "家中有两套住房，未申报"}


def test_conforms_to_discrepancy_opens_a_review_and_writes_history(plan, auditor, cw_baisha):  # type: ignore[no-untyped-def]
    s = record(sample(plan), auditor)
    assert s.version == 1 and s.review is None
    s = correct(s, auditor, "discrepancy", **WRONG)
    review = CaseReview.objects.get(case=s.dibao_case)
    assert (s.result, s.discrepancy_kind, s.review, s.version) == (
        "discrepancy",
        "wrongly_included",
        review,
        2,
    )
    assert review.closed_on is None and "未申报" in review.reason
    assert DibaoCase.objects.get(pk=s.dibao_case_id).status == "under_review"
    row = AuditPlanTransition.objects.get(plan=plan, action="correct")
    assert (row.sample, row.by, row.from_status, row.to_status) == (
        s,
        auditor,
        "in_progress",
        "in_progress",
    )
    assert "Conforms → Discrepancy" in row.reason and "复查发现记录有误" in row.reason
    assert str(review) in row.reason
    assert Notification.objects.filter(recipient=cw_baisha, kind="audit.discrepancy").exists()
    # The date of examination is the one recorded; the recorder stays the recorder.
    assert (s.visited_on, s.recorded_by) == (TODAY, auditor)


def test_discrepancy_to_conforms_keeps_the_review_and_says_so(plan, auditor, cw_baisha):  # type: ignore[no-untyped-def]
    s = record(sample(plan), auditor, "discrepancy", **WRONG)
    review = s.review
    assert review is not None
    s = correct(s, auditor, "conforms", details="")
    assert (s.result, s.discrepancy_kind, s.review) == ("conforms", "", review)
    review.refresh_from_db()
    assert review.closed_on is None  # still the caseworker's to finish
    assert CaseReview.objects.filter(case=s.dibao_case).count() == 1
    row = AuditPlanTransition.objects.get(plan=plan, action="correct")
    assert (
        "Discrepancy (Wrongly included (not eligible)) 家中有两套住房，未申报 → Conforms"
        in row.reason
    )
    assert f"The review {review} the discrepancy opened is kept" in row.reason
    note = Notification.objects.get(recipient=cw_baisha, kind="audit.corrected")
    assert str(review) in note.title


def test_back_to_discrepancy_reuses_the_review_still_open(plan, auditor):  # type: ignore[no-untyped-def]
    s = record(sample(plan), auditor, "discrepancy", **WRONG)
    review = s.review
    s = correct(s, auditor, "conforms", details="")
    s = correct(s, auditor, "discrepancy", discrepancy_kind="wrong_amount", details="收入漏计")
    assert s.review == review and CaseReview.objects.count() == 1
    last = AuditPlanTransition.objects.filter(action="correct").order_by("-id").first()
    assert f"The review {review} stays open with the caseworker." in last.reason


def test_refused_household_discrepancy_corrected_without_any_review(plan, auditor, cw_baisha):  # type: ignore[no-untyped-def]
    s = sample(plan, "excluded")
    s = record(s, auditor, "discrepancy", discrepancy_kind="wrongly_excluded", details="收入低")
    s = correct(s, auditor, "conforms", details="")
    assert s.review is None and not CaseReview.objects.exists()
    note = Notification.objects.get(recipient=cw_baisha, kind="audit.corrected")
    assert "withdrawn" in note.title


@pytest.mark.parametrize(
    "who", ["other_assigned_auditor", "auditor_outside_the_plan", "caseworker"]
)
def test_only_the_recording_auditor_corrects(plan, auditor, auditor_2, cw_baisha, who):  # type: ignore[no-untyped-def]
    from ...factories import UserFactory, region

    s = record(sample(plan), auditor)
    user = {
        "other_assigned_auditor": auditor_2,
        "auditor_outside_the_plan": UserFactory(
            username="auditor_3", role="auditor", region=region("440700")
        ),
        "caseworker": cw_baisha,
    }[who]
    with pytest.raises(PermissionDenied):
        correct(s, user, "discrepancy", **WRONG)
    s.refresh_from_db()
    assert (s.result, s.version) == ("conforms", 1)
    assert not AuditPlanTransition.objects.filter(action="correct").exists()
    assert services.sample_allowed(sample(plan), user) == []
    assert services.sample_allowed(sample(plan), auditor) == ["correct"]


def test_an_auditor_taken_off_the_plan_no_longer_corrects(plan, auditor, auditor_2, supervisor):  # type: ignore[no-untyped-def]
    s = record(sample(plan), auditor)
    services.audit_plan_assign(plan=plan, auditors=[auditor_2], by=supervisor)
    with pytest.raises(PermissionDenied, match="not an auditor of this audit plan"):
        correct(s, auditor, "discrepancy", **WRONG)


def test_no_correction_once_closed(plan, auditor, supervisor):  # type: ignore[no-untyped-def]
    samples = list(AuditSample.objects.filter(plan=plan).select_related("plan"))
    for s in samples:
        record(s, auditor)
    services.audit_plan_close(plan=plan, by=supervisor)
    s = AuditSample.objects.select_related("plan").get(pk=samples[0].pk)
    with pytest.raises(ValidationError) as e:
        correct(s, auditor, "discrepancy", **WRONG)
    assert e.value.code == "wrong_status"
    assert services.sample_allowed(s, auditor) == []
    s.refresh_from_db()
    assert s.result == "conforms"


def test_a_pending_result_is_recorded_not_corrected(plan, auditor):  # type: ignore[no-untyped-def]
    record(sample(plan, "excluded"), auditor)  # the plan is under way
    with pytest.raises(ValidationError) as e:
        correct(sample(plan), auditor, "conforms")
    assert e.value.code == "not_recorded"
    assert services.sample_allowed(sample(plan), auditor) == ["record"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"result": "conforms", "reason": " "}, "reason"),
        ({"result": "conforms"}, "result"),  # nothing changes
        ({"result": "pending"}, "result"),
        (
            {"result": "discrepancy", "discrepancy_kind": "wrongly_excluded", "details": "x"},
            "discrepancy_kind",
        ),
        ({"result": "discrepancy", "discrepancy_kind": "other", "details": ""}, "details"),
    ],
)
def test_bad_corrections_name_the_field_and_write_nothing(plan, auditor, change, field):  # type: ignore[no-untyped-def]
    s = record(sample(plan), auditor)
    change = {"reason": "理由", **change}
    with pytest.raises(ValidationError) as e:
        services.audit_sample_correct(sample=s, version=s.version, by=auditor, **change)
    assert field in e.value.message_dict
    s.refresh_from_db()
    assert (s.result, s.version, s.review) == ("conforms", 1, None)
    assert not AuditPlanTransition.objects.filter(action="correct").exists()


def test_a_correction_on_an_old_version_is_stale(plan, auditor):  # type: ignore[no-untyped-def]
    s = record(sample(plan), auditor)
    correct(s, auditor, "discrepancy", version=1, **WRONG)
    with pytest.raises(ValidationError) as e:
        correct(s, auditor, "conforms", version=1, details="")
    assert e.value.code == "stale" and "corrected meanwhile" in e.value.messages[0]
    assert AuditPlanTransition.objects.filter(action="correct").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_corrections_at_once_exactly_one_wins(plan, auditor):  # type: ignore[no-untyped-def]
    s = record(sample(plan), auditor)
    results: list[str] = []
    barrier = threading.Barrier(2)

    def work(kind: str) -> None:
        try:
            fresh = AuditSample.objects.select_related("plan").get(pk=s.pk)
            barrier.wait()
            correct(fresh, auditor, "discrepancy", version=1, discrepancy_kind=kind, details="x")
            results.append("ok")
        except ValidationError as e:
            results.append(e.code or "")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=work, args=(kind,)) for kind in ("wrongly_included", "wrong_amount")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok", "stale"]
    s.refresh_from_db()
    assert s.version == 2
    rows = AuditPlanTransition.objects.filter(plan=plan, action="correct")
    assert rows.count() == 1
    assert s.get_discrepancy_kind_display() in rows.get().reason
    assert CaseReview.objects.filter(case=s.dibao_case).count() == 1
