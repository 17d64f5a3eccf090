"""Hand-off services: every policy rule (wrong role, wrong region, maker as checker,
incompatible roles, N-of-M, policy version kept), concurrency, escalation, bad input."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from core.notifications.models import Notification
from transitions import services
from transitions.models import ApprovalPolicy, Handoff, HandoffTransition

from ..factories import UserFactory, region
from .conftest import on_day, referral, set_policy

DAY = dt.date(2026, 11, 16)  # a Monday
H = Handoff.Status


@pytest.fixture(autouse=True)
def _today():  # type: ignore[no-untyped-def]
    with on_day(DAY):
        yield


def test_open_acknowledge_approve_writes_history_and_notifies(
    household_a, cw_baisha, po_pengjiang, monkeypatch
):
    registered = []
    monkeypatch.setattr(
        "poverty.services.poverty_record_register",
        lambda **kw: registered.append(kw) or None,
    )
    h = referral(household_a, cw_baisha)
    assert (h.status, h.from_department, h.to_department) == (
        H.OPEN,
        "civil_affairs",
        "poverty_office",
    )
    assert h.acknowledge_due == dt.date(2026, 11, 23)  # 5 working days
    assert Notification.objects.filter(recipient=po_pengjiang, kind="handoff.open").exists()
    services.handoff_acknowledge(handoff=h, by=po_pengjiang)
    services.handoff_approve(handoff=h, by=po_pengjiang, reason="符合建档立卡条件")
    h.refresh_from_db()
    assert h.status == H.APPROVED and h.decided_on == DAY
    rows = list(
        HandoffTransition.objects.filter(handoff=h).values_list("action", "to_status", "by")
    )
    assert rows == [
        ("open", "open", cw_baisha.pk),
        ("acknowledge", "acknowledged", po_pengjiang.pk),
        ("approve", "approved", po_pengjiang.pk),
    ]
    assert registered and registered[0]["household"] == household_a
    assert Notification.objects.filter(recipient=cw_baisha, kind="handoff.approve").exists()


def test_a_role_that_does_not_open_the_kind_is_refused(household_a, po_pengjiang):
    with pytest.raises(PermissionDenied, match="does not open"):
        referral(household_a, po_pengjiang)


def test_opening_without_reason_and_twice_is_refused(household_a, cw_baisha):
    with pytest.raises(ValidationError) as e:
        services.handoff_open(
            kind="registration_referral", household=household_a, by=cw_baisha, reason=" "
        )
    assert "reason" in e.value.message_dict
    referral(household_a, cw_baisha)
    with pytest.raises(ValidationError, match="already has an open hand-off"):
        referral(household_a, cw_baisha)
    assert Handoff.objects.count() == 1


def test_another_district_can_neither_open_nor_act(
    household_a, household_taicheng, cw_baisha, cw_taicheng, po_taishan
):
    with pytest.raises(PermissionDenied, match="outside your area"):
        referral(household_a, cw_taicheng)
    h = referral(household_a, cw_baisha)
    with pytest.raises(PermissionDenied, match="outside your area"):
        services.handoff_acknowledge(handoff=h, by=po_taishan)
    h.refresh_from_db()
    assert h.status == H.OPEN


def test_the_wrong_department_cannot_acknowledge(household_a, cw_baisha, ca_pengjiang):
    h = referral(household_a, cw_baisha)
    with pytest.raises(PermissionDenied, match="another department"):
        services.handoff_acknowledge(handoff=h, by=ca_pengjiang)


def test_wrong_role_for_the_stage_cannot_approve(
    household_a, cw_baisha, po_pengjiang, ss_pengjiang
):
    set_policy(
        "registration_referral",
        stages=[{"role": "poverty_office_reviewer", "level": "county", "approvals": "any"}],
    )
    h = referral(household_a, cw_baisha)
    services.handoff_acknowledge(handoff=h, by=po_pengjiang)
    with pytest.raises(PermissionDenied):
        services.handoff_approve(handoff=h, by=ss_pengjiang)


def test_wrong_level_for_the_stage_cannot_approve(household_a, cw_baisha, po_pengjiang):
    set_policy(
        "registration_referral",
        stages=[{"role": "poverty_office_reviewer", "level": "city", "approvals": "any"}],
    )
    h = referral(household_a, cw_baisha)
    services.handoff_acknowledge(handoff=h, by=po_pengjiang)
    with pytest.raises(PermissionDenied, match=r"(?i)city level"):
        services.handoff_approve(handoff=h, by=po_pengjiang)


def test_maker_never_checks(household_a, cw_baisha, cw_baisha_2, po_pengjiang, monkeypatch):
    monkeypatch.setattr("poverty.services.poverty_record_register", lambda **kw: None)
    # A policy under which the opener's own role decides: the opener still may not.
    set_policy(
        "registration_referral",
        stages=[{"role": "caseworker", "level": "township", "approvals": "any"}],
    )
    h = referral(household_a, cw_baisha)
    services.handoff_acknowledge(handoff=h, by=po_pengjiang)
    with pytest.raises(PermissionDenied, match="You opened this hand-off"):
        services.handoff_approve(handoff=h, by=cw_baisha)
    services.handoff_approve(handoff=h, by=cw_baisha_2)


def test_basis_actors_never_decide(household_a, po_pengjiang, po_pengjiang_2):
    h = services.handoff_open(
        kind="registration_referral",
        household=household_a,
        by=None,
        basis_actors=[po_pengjiang.pk],
        source_key="t:1",
    )
    services.handoff_acknowledge(handoff=h, by=po_pengjiang)
    with pytest.raises(PermissionDenied, match="basis"):
        services.handoff_approve(handoff=h, by=po_pengjiang)
    services.handoff_reject(handoff=h, by=po_pengjiang_2, reason="不符合条件")


def test_incompatible_roles_may_not_both_act(household_a, cw_baisha, po_pengjiang, ca_pengjiang):
    set_policy(
        "registration_referral",
        stages=[
            {"role": "poverty_office_reviewer", "level": "county", "approvals": "any"},
            {"role": "civil_affairs_reviewer", "level": "county", "approvals": "any"},
        ],
        incompatible_roles=[["poverty_office_reviewer", "civil_affairs_reviewer"]],
    )
    h = referral(household_a, cw_baisha)
    services.handoff_acknowledge(handoff=h, by=po_pengjiang)
    services.handoff_approve(handoff=h, by=po_pengjiang)
    h.refresh_from_db()
    assert (h.status, h.stage, h.stage_role) == (H.ACKNOWLEDGED, 1, "civil_affairs_reviewer")
    assert Notification.objects.filter(recipient=ca_pengjiang, kind="handoff.stage").exists()
    with pytest.raises(PermissionDenied, match="may not act on a hand-off"):
        services.handoff_approve(handoff=h, by=ca_pengjiang)


def test_n_of_m_approvals(household_a, cw_baisha, po_pengjiang, po_pengjiang_2, monkeypatch):
    monkeypatch.setattr("poverty.services.poverty_record_register", lambda **kw: None)
    third = UserFactory(username="po3", role="poverty_office_reviewer", region=region("440703"))
    set_policy(
        "registration_referral",
        stages=[{"role": "poverty_office_reviewer", "level": "county", "approvals": 2}],
    )
    h = referral(household_a, cw_baisha)
    services.handoff_acknowledge(handoff=h, by=third)
    services.handoff_approve(handoff=h, by=po_pengjiang)
    h.refresh_from_db()
    assert h.status == H.ACKNOWLEDGED
    with pytest.raises(PermissionDenied, match="already decided"):
        services.handoff_approve(handoff=h, by=po_pengjiang)
    services.handoff_approve(handoff=h, by=po_pengjiang_2)
    h.refresh_from_db()
    assert h.status == H.APPROVED


def test_all_counts_the_eligible_users_when_the_stage_begins(
    household_a, cw_baisha, po_pengjiang, po_pengjiang_2
):
    set_policy(
        "registration_referral",
        stages=[{"role": "poverty_office_reviewer", "level": "county", "approvals": "all"}],
    )
    h = referral(household_a, cw_baisha)
    assert h.stage_required == 2


def test_acknowledger_decides_only_where_the_policy_allows(household_a, cw_baisha, po_pengjiang):
    set_policy("registration_referral", acknowledger_may_decide=False)
    h = referral(household_a, cw_baisha)
    services.handoff_acknowledge(handoff=h, by=po_pengjiang)
    with pytest.raises(PermissionDenied, match="acknowledged this hand-off"):
        services.handoff_approve(handoff=h, by=po_pengjiang)


def test_a_handoff_keeps_the_policy_it_started_with(
    household_a, household_b, cw_baisha, po_pengjiang, data_admin, monkeypatch
):
    monkeypatch.setattr("poverty.services.poverty_record_register", lambda **kw: None)
    h = referral(household_a, cw_baisha)
    old = ApprovalPolicy.objects.get(kind="registration_referral", valid_to__isnull=True)
    old.valid_to = DAY - dt.timedelta(days=1)
    old.save()
    ApprovalPolicy.objects.create(
        kind="registration_referral",
        valid_from=DAY,
        stages=[{"role": "social_security_officer", "level": "county", "approvals": "any"}],
        acknowledge_days=3,
        decide_days=5,
        updated_by=data_admin,
    )
    newer = referral(household_b, cw_baisha)
    assert newer.policy_id != h.policy_id and newer.stage_role == "social_security_officer"
    services.handoff_acknowledge(handoff=h, by=po_pengjiang)
    services.handoff_approve(handoff=h, by=po_pengjiang)  # the old policy's stage still
    h.refresh_from_db()
    assert h.status == H.APPROVED and h.policy_id == old.pk


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_decisions_need_the_acknowledgement_first(household_a, cw_baisha, po_pengjiang, action):
    h = referral(household_a, cw_baisha)
    with pytest.raises(ValidationError) as e:
        if action == "approve":
            services.handoff_approve(handoff=h, by=po_pengjiang)
        else:
            services.handoff_reject(handoff=h, by=po_pengjiang, reason="x")
    assert e.value.code == "wrong_status"


def test_rejection_needs_a_reason_and_nothing_is_written(household_a, cw_baisha, po_pengjiang):
    h = referral(household_a, cw_baisha)
    services.handoff_acknowledge(handoff=h, by=po_pengjiang)
    with pytest.raises(ValidationError):
        services.handoff_reject(handoff=h, by=po_pengjiang, reason="")
    h.refresh_from_db()
    assert h.status == H.ACKNOWLEDGED and not h.decisions.exists()


def test_decision_dates_are_never_in_the_future(household_a, cw_baisha, po_pengjiang):
    h = referral(household_a, cw_baisha)
    services.handoff_acknowledge(handoff=h, by=po_pengjiang)
    with pytest.raises(ValidationError) as e:
        services.handoff_approve(handoff=h, by=po_pengjiang, decided_on=DAY + dt.timedelta(days=1))
    assert "decided_on" in e.value.message_dict
    assert not h.decisions.exists()


def test_withdraw_by_the_sender_only(
    household_a, cw_baisha, cw_baisha_2, po_pengjiang, ca_pengjiang
):
    h = referral(household_a, cw_baisha)
    with pytest.raises(PermissionDenied):
        services.handoff_withdraw(handoff=h, by=po_pengjiang, reason="x")
    with pytest.raises(PermissionDenied):
        services.handoff_withdraw(handoff=h, by=cw_baisha_2, reason="x")
    services.handoff_withdraw(handoff=h, by=ca_pengjiang, reason="误报")
    h.refresh_from_db()
    assert h.status == H.WITHDRAWN


def test_system_opening_with_a_source_key_is_idempotent(household_a):
    a = services.handoff_open(
        kind="exit_notice", household=household_a, by=None, source_key="exit:1"
    )
    b = services.handoff_open(
        kind="exit_notice", household=household_a, by=None, source_key="exit:1"
    )
    assert a.pk == b.pk and Handoff.objects.count() == 1


def test_escalation_runs_once_per_handoff_and_tells_the_supervisor(
    household_a, household_taicheng, cw_baisha, supervisor
):
    h = referral(household_a, cw_baisha)
    late = h.acknowledge_due + dt.timedelta(days=1)
    assert services.handoffs_escalate(on=h.acknowledge_due) == 0
    assert services.handoffs_escalate(on=late) == 1
    assert services.handoffs_escalate(on=late) == 0
    h.refresh_from_db()
    assert h.escalated_on == late and h.status == H.OPEN
    assert HandoffTransition.objects.filter(handoff=h, action="escalate").count() == 1
    note = Notification.objects.get(recipient=supervisor, kind="handoff.escalated")
    assert "1" in note.title


@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_exactly_one_wins(
    household_a, cw_baisha, po_pengjiang, po_pengjiang_2, monkeypatch
):
    monkeypatch.setattr("poverty.services.poverty_record_register", lambda **kw: None)
    h = referral(household_a, cw_baisha)
    services.handoff_acknowledge(handoff=h, by=po_pengjiang)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(user):  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            services.handoff_approve(handoff=Handoff(pk=h.pk), by=user)
            outcomes.append("ok")
        except ValidationError as e:
            outcomes.append(e.code or "error")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in (po_pengjiang, po_pengjiang_2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "wrong_status"]
    assert HandoffTransition.objects.filter(handoff=h, action="approve").count() == 1


def test_all_leaves_out_who_may_not_vote(
    household_a, cw_baisha, po_pengjiang, po_pengjiang_2, monkeypatch
):
    monkeypatch.setattr("poverty.services.poverty_record_register", lambda **kw: None)
    set_policy(
        "registration_referral",
        acknowledger_may_decide=False,
        stages=[{"role": "poverty_office_reviewer", "level": "county", "approvals": "all"}],
    )
    third = UserFactory(username="po3", role="poverty_office_reviewer", region=region("440703"))
    h = referral(household_a, cw_baisha)
    services.handoff_acknowledge(handoff=h, by=third)  # may not decide under this policy
    services.handoff_approve(handoff=h, by=po_pengjiang)
    h.refresh_from_db()
    assert (h.status, h.stage_required) == (H.ACKNOWLEDGED, 2)
    services.handoff_approve(handoff=h, by=po_pengjiang_2)
    h.refresh_from_db()
    assert h.status == H.APPROVED  # the acknowledger does not hold the stage up


def test_the_votes_of_a_stage_must_agree_on_the_outcome(household_a, ca_pengjiang, ca_pengjiang_2):
    set_policy(
        "exit_notice",
        stages=[{"role": "civil_affairs_reviewer", "level": "county", "approvals": 2}],
    )
    h = services.handoff_open(kind="exit_notice", household=household_a, by=None, source_key="x")
    services.handoff_acknowledge(handoff=h, by=ca_pengjiang)
    services.handoff_approve(handoff=h, by=ca_pengjiang, outcome="continue")
    with pytest.raises(ValidationError) as e:
        services.handoff_approve(handoff=h, by=ca_pengjiang_2, outcome="stop")
    assert "earlier approver" in e.value.message_dict["outcome"][0]
    services.handoff_approve(handoff=h, by=ca_pengjiang_2, outcome="continue")
    h.refresh_from_db()
    assert (h.status, h.outcome) == (H.APPROVED, "continue")


def test_a_reassessment_cannot_be_rejected(household_a, ca_pengjiang):
    h = services.handoff_open(
        kind="phase_out_reassessment", household=household_a, by=None, source_key="y"
    )
    services.handoff_acknowledge(handoff=h, by=ca_pengjiang)
    with pytest.raises(PermissionDenied, match="decided, not rejected"):
        services.handoff_reject(handoff=h, by=ca_pengjiang, reason="x")
