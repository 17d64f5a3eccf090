"""The AUDIT declaration's transition matrix: every action from every status, allowed exactly
where declared (generated from the workflow)."""

import pytest
from django.core.exceptions import ValidationError

from verification.audits.workflow import AUDIT
from verification.models import AuditPlan

from .conftest import make_plan

pytestmark = pytest.mark.django_db

ACTIONS = [a for a in AUDIT.actions if AUDIT[a].sources]
MATRIX = [(a, s) for a in ACTIONS for s in AuditPlan.Status.values]


@pytest.mark.parametrize(("action", "status"), MATRIX)
def test_transition_matrix(action, status, supervisor, auditor):  # type: ignore[no-untyped-def]
    plan = make_plan(supervisor, [auditor])
    AuditPlan.objects.filter(pk=plan.pk).update(status=status)
    plan.refresh_from_db()
    user = auditor if action in ("record", "correct") else supervisor
    if status in AUDIT[action].sources:
        AUDIT.check(plan, action, user)
    else:
        with pytest.raises(ValidationError) as e:
            AUDIT.check(plan, action, user)
        assert e.value.code == "wrong_status"


@pytest.mark.parametrize("action", ACTIONS)
def test_buttons_are_what_the_guard_allows(action, supervisor, auditor):  # type: ignore[no-untyped-def]
    plan = make_plan(supervisor, [auditor])
    for status in AUDIT[action].sources:
        AuditPlan.objects.filter(pk=plan.pk).update(status=status)
        plan.refresh_from_db()
        for user in (supervisor, auditor):
            assert (action in AUDIT.allowed(plan, user)) == AUDIT.may(plan, action, user)


def test_supervisor_never_records_and_auditor_never_plans(supervisor, auditor):  # type: ignore[no-untyped-def]
    plan = make_plan(supervisor, [auditor])
    assert AUDIT.allowed(plan, auditor) == []
    AuditPlan.objects.filter(pk=plan.pk).update(status="in_progress")
    plan.refresh_from_db()
    assert AUDIT.allowed(plan, auditor) == ["record", "correct"]
    assert AUDIT.allowed(plan, supervisor) == ["assign", "close", "cancel"]
