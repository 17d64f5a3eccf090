"""Every hand-off kind: opened (by the system or a permitted role), acknowledged by the
receiving department, decided by the policy's stage, with the kind's effect."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from assistance.models import DibaoCase
from core.notifications.models import Notification
from transitions import services
from transitions.admin import ApprovalPolicyForm
from transitions.kinds import KINDS
from transitions.models import Handoff, HandoffKind

from .conftest import on_day

DAY = dt.date(2026, 11, 16)

# kind → (the decider's fixture, outcome, to_department for kinds that go either way)
DECIDERS = {
    "registration_referral": ("po_pengjiang", "", None),
    "dibao_referral": ("cw_baisha", "", None),
    "exit_notice": ("ca_pengjiang", "continue", None),
    "cannot_exit": ("ca_pengjiang", "", None),
    "classification_change": ("ca_pengjiang", "", "civil_affairs"),
    "return_to_poverty": ("ca_pengjiang", "", None),
    "phase_out_start": ("po_pengjiang", "", None),
    "phase_out_reassessment": None,  # decided in test_phaseout_story / test_phaseout
    "insurance_enrolment": ("ss_pengjiang", "", None),
}


def test_every_kind_is_covered():
    assert set(DECIDERS) == set(HandoffKind.values) == set(KINDS)


@pytest.mark.parametrize("kind", [k for k, v in DECIDERS.items() if v])
def test_each_kind_from_opening_to_approval(kind, request, household_a, monkeypatch):
    monkeypatch.setattr("poverty.services.poverty_record_register", lambda **kw: None)
    fixture, outcome, to = DECIDERS[kind]  # type: ignore[misc]
    decider = request.getfixturevalue(fixture)
    with on_day(DAY):
        h = services.handoff_open(
            kind=kind,
            household=household_a,
            by=None,
            to_department=to,
            source_key=f"test:{kind}",
            reason="测试",
        )
        assert Notification.objects.filter(recipient=decider, kind="handoff.open").exists()
        services.handoff_acknowledge(handoff=h, by=decider)
        services.handoff_approve(
            handoff=h,
            by=decider,
            outcome=outcome,
            details={"causes": ["illness"]} if kind == "registration_referral" else {},
        )
    h.refresh_from_db()
    assert h.status == Handoff.Status.APPROVED
    if kind == "dibao_referral":
        assert h.dibao_case is not None and h.dibao_case.status == DibaoCase.Status.DRAFT


def test_a_kind_with_outcomes_needs_one(household_a, ca_pengjiang):
    with on_day(DAY):
        h = services.handoff_open(
            kind="exit_notice", household=household_a, by=None, source_key="x"
        )
        services.handoff_acknowledge(handoff=h, by=ca_pengjiang)
        with pytest.raises(ValidationError) as e:
            services.handoff_approve(handoff=h, by=ca_pengjiang)
    assert "outcome" in e.value.message_dict


def test_lowering_without_a_dibao_case_is_refused_and_nothing_written(household_a, ca_pengjiang):
    with on_day(DAY):
        h = services.handoff_open(
            kind="exit_notice", household=household_a, by=None, source_key="x"
        )
        services.handoff_acknowledge(handoff=h, by=ca_pengjiang)
        with pytest.raises(ValidationError, match="no dibao case"):
            services.handoff_approve(handoff=h, by=ca_pengjiang, outcome="lower")
    h.refresh_from_db()
    assert h.status == "acknowledged" and not h.decisions.exists()


@pytest.mark.parametrize(
    ("stages", "ok"),
    [
        ([{"role": "caseworker", "level": "township", "approvals": "any"}], True),
        ([{"role": "caseworker", "level": "township", "approvals": 2}], True),
        ([{"role": "nobody", "level": "township", "approvals": "any"}], False),
        ([{"role": "caseworker", "level": "moon", "approvals": "any"}], False),
        ([{"role": "caseworker", "level": "township", "approvals": 0}], False),
        ([], False),
        ("any", False),
    ],
)
def test_the_admin_form_checks_the_stages(db, stages, ok):
    form = ApprovalPolicyForm(
        data={
            "kind": "cannot_exit",
            "valid_from": "2030-01-01",
            "stages": __import__("json").dumps(stages),
            "incompatible_roles": "[]",
            "acknowledge_days": 5,
            "decide_days": 10,
            "acknowledger_may_decide": True,
        }
    )
    form.is_valid()
    assert ("stages" not in form.errors) is ok, form.errors
