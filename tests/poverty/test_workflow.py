"""The poverty record's declaration (poverty.workflow): the transition matrix generated from it,
the roles that may not act, and the record page offering exactly what the guard allows."""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from core.roles import PERMISSIONS, Role
from poverty import services
from poverty.models import PovertyRecord, PovertyRecordTransition
from poverty.workflow import POVERTY

from ..conftest import login
from ..factories import UserFactory, region
from .conftest import TODAY, S, build_record

pytestmark = pytest.mark.django_db
D = TODAY

CALLS = {
    "record_measure": lambda r, u: services.assistance_measure_record(
        household=r.household,
        kind="education",
        started_on=D,
        department="教育局",
        responsible_person="张",
        funds=Decimal("800"),
        by=u,
    ),
    "propose_exit": lambda r, u: services.poverty_record_propose_exit(
        record=r, on=D, income_per_capita=Decimal("900"), evidence="稳定增收", by=u
    ),
    "confirm_exit": lambda r, u: services.poverty_record_confirm_exit(
        record=r, confirmed_on=D, document_no="蓬府〔2026〕9号", confirming_level="county", by=u
    ),
    "report_cannot_exit": lambda r, u: services.poverty_record_report_cannot_exit(
        record=r, reason="无劳动能力", by=u
    ),
    "withdraw_exit": lambda r, u: services.poverty_record_withdraw_exit(
        record=r, reason="区政府未予确认", by=u
    ),
    "return": lambda r, u: services.poverty_record_return(record=r, on=D, reason="因灾返贫", by=u),
}
DECLARED = [a.name for a in POVERTY.actions_list if a.sources]


def force(record: PovertyRecord, status: str) -> None:
    """Put the record in `status` (with the confirmation's fields where it needs them)."""
    confirmed = status == S.EXIT_CONFIRMED
    PovertyRecord.objects.filter(pk=record.pk).update(
        status=status,
        exit_confirmed_on=D if confirmed else None,
        exit_document_no="x" if confirmed else "",
    )
    record.refresh_from_db()


def test_every_permission_named_is_granted_to_some_role():
    granted = set().union(*PERMISSIONS.values())
    for action in POVERTY.actions_list:
        perms = (action.permission,) if isinstance(action.permission, str) else action.permission
        assert perms and set(perms) <= granted, action.name


def test_the_matrix_covers_every_declared_action():
    assert sorted(CALLS) == sorted(DECLARED)


@pytest.mark.parametrize(("action", "status"), [(a, s) for a in DECLARED for s in S.values])
def test_status_guard(action, status, household_pj, po_pengjiang, po_pengjiang_2):
    record = build_record(household_pj, to=S.REGISTERED, registrar=po_pengjiang)
    force(record, status)
    allowed = set(POVERTY[action].sources)
    before = PovertyRecordTransition.objects.filter(record=record).count()
    try:
        CALLS[action](record, po_pengjiang_2)  # a reviewer who took no part: may do all
    except ValidationError as e:
        assert status not in allowed, f"{action} from {status}: {e}"
        assert e.code == "wrong_status"
        assert PovertyRecordTransition.objects.filter(record=record).count() == before
        return
    assert status in allowed, f"{action} succeeded from {status}"
    last = PovertyRecordTransition.objects.filter(record=record).last()
    assert PovertyRecordTransition.objects.filter(record=record).count() == before + 1
    assert last.action == action and last.from_status == status
    record.refresh_from_db()
    target = POVERTY[action].target
    if target:
        assert record.status == target
    elif action == "record_measure":
        assert record.status == (S.ASSISTED if status in (S.REGISTERED, S.RETURNED) else status)
    else:
        assert record.status == status


@pytest.mark.parametrize("action", DECLARED)
@pytest.mark.parametrize(
    "persona",
    [
        (Role.VILLAGE_ASSISTANT, None),
        (Role.CIVIL_AFFAIRS_REVIEWER, "440703"),
        (Role.SOCIAL_SECURITY_OFFICER, "440703"),
        (Role.POVERTY_OFFICE_REVIEWER, "440781"),  # outsider: 台山市
        (Role.CASEWORKER, "440781001"),  # outsider township
        (Role.AUDITOR, "440700"),
        (Role.DATA_ADMIN, "440700"),
    ],
    ids=[
        "village_assistant",
        "civil_affairs",
        "social_security",
        "po_outsider",
        "cw_outsider",
        "auditor",
        "data_admin",
    ],
)
def test_roles_that_may_not_act(action, persona, household_pj, po_pengjiang, village_a):
    role, code = persona
    user = UserFactory(role=role, region=village_a if code is None else region(code))
    record = build_record(household_pj, to=S.REGISTERED, registrar=po_pengjiang)
    status = POVERTY[action].sources[0]
    force(record, status)
    with pytest.raises(PermissionDenied):
        CALLS[action](record, user)
    record.refresh_from_db()
    assert record.status == status


def test_a_town_caseworker_records_measures_but_nothing_else(record_registered, cw_baisha):
    assert POVERTY.allowed(record_registered, cw_baisha) == ["record_measure"]


def _shown(client, record):  # type: ignore[no-untyped-def]
    html = client.get(reverse("poverty:detail", args=[record.pk])).content.decode()
    return set(re.findall(r'data-testid="action-(\w+)" data-actions="[^"]*"', html))


@pytest.mark.parametrize("status", S.values)
def test_the_page_offers_exactly_what_the_guard_allows(
    status, client, household_pj, po_pengjiang, po_pengjiang_2, cw_baisha, ca_pengjiang
):
    record = build_record(household_pj, to=S.EXIT_PROPOSED, registrar=po_pengjiang)
    force(record, status)
    for user in (po_pengjiang, po_pengjiang_2, cw_baisha, ca_pengjiang):
        login(client, user)
        guard = {
            a.name for a in POVERTY.actions_list if a.sources and POVERTY.may(record, a.name, user)
        }
        assert _shown(client, record) == guard, (status, user.username)
