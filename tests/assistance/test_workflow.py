"""The workflow declarations (assistance/*/workflow.py): the transition matrix is generated from
them, the case page shows exactly the actions the guard allows, and separation of duties is
checked against the whole history."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assistance.dibao import phaseout, services
from assistance.dibao.views import PAGES, STEPS
from assistance.dibao.workflow import DIBAO, TAKEN_ELSEWHERE
from assistance.models import (
    CaseReview,
    CaseTransition,
    DibaoCase,
    DistrictSetting,
    Payroll,
    PayrollTransition,
)
from assistance.payroll import services as P
from assistance.payroll.workflow import PAYROLL
from assistance.programmes.workflow import PROGRAMME
from core.roles import PERMISSIONS, Role

from ..conftest import login
from ..factories import UserFactory, region
from .conftest import APPLIED_ON, S, build_case, head_of, poor_household

pytestmark = pytest.mark.django_db
D = dt.date(2026, 11, 20)
NOW = time_machine.travel(dt.datetime(2026, 11, 25, 10, tzinfo=dt.UTC), tick=False)


# --------------------------------------------------------------------------- the declarations


@pytest.mark.parametrize("wf", [DIBAO, PROGRAMME, PAYROLL], ids=lambda w: w.name)
def test_every_permission_named_is_granted_to_some_role(wf):
    granted = set().union(*PERMISSIONS.values())
    for action in wf.actions_list:
        if action.system:
            continue
        perms = (action.permission,) if isinstance(action.permission, str) else action.permission
        assert perms and set(perms) <= granted, f"{wf.name}.{action.name}: {perms}"


# --------------------------------------------------------------------------- the dibao matrix


def _review(case: DibaoCase) -> CaseReview:
    return CaseReview.objects.get_or_create(
        case=case, closed_on=None, defaults={"kind": "periodic", "opened_on": D, "due_on": D}
    )[0]


# Every declared dibao action with a source status → the service call that takes it. The
# service decides which declared action it is (e.g. refuse before or after the proposal), so
# some calls stand for two actions.
CALLS = {
    "sign": lambda c, u: services.dibao_case_sign(
        case=c, authorization_on=D, good_faith_on=D, by=u
    ),
    "apply": lambda c, u: services.dibao_case_apply(case=c, applied_on=D, by=u),
    "accept": lambda c, u: services.dibao_case_accept(case=c, accepted_on=D, by=u),
    "extend": lambda c, u: services.dibao_case_extend(case=c, reason="需补充材料", by=u),
    "start_investigation": lambda c, u: services.dibao_case_start_investigation(case=c, by=u),
    "declare": lambda c, u: services.declarations_replace(
        case=c, incomes=[], expenditures=[], properties=[], by=u
    ),
    "investigate": lambda c, u: services.investigation_record(
        case=c, home_visit_on=D, investigators=[], findings="", by=u
    ),
    "attach": lambda c, u: services.attachment_add(
        case=c, uploaded=SimpleUploadedFile("a.jpg", b"\xff\xd8\xff" + b"0" * 64), by=u
    ),
    "propose": lambda c, u: services.dibao_case_propose(case=c, on=D, by=u),
    "start_notice": lambda c, u: services.dibao_case_start_notice(case=c, starts_on=D, by=u),
    "object": lambda c, u: services.dibao_case_object(case=c, received_on=D, content="x", by=u),
    "confirm": lambda c, u: services.dibao_case_confirm(case=c, on=D, by=u),
    "repropose": lambda c, u: services.dibao_case_repropose(case=c, reason="残疾等级变更", by=u),
    "refuse": lambda c, u: services.dibao_case_refuse(case=c, on=D, reasons="收入超标", by=u),
    "decide_refuse": lambda c, u: services.dibao_case_refuse(case=c, on=D, reasons="超标", by=u),
    "withdraw": lambda c, u: services.dibao_case_withdraw(case=c, reason="本人撤回", by=u),
    "activate": lambda c, u: services.dibao_case_activate(case=c, by=None),
    "review_open": lambda c, u: services.review_open(
        case=c, kind="reported_change", reason="新增收入", by=u
    ),
    "review_due": lambda c, u: services.review_open(case=c, kind="periodic", reason="", by=None),
    "review_close": lambda c, u: services.review_close(
        review=_review(c), outcome="unchanged", on=D, by=u
    ),
    "suspend": lambda c, u: services.dibao_case_suspend(case=c, reason="外出务工", by=u),
    "resume": lambda c, u: services.dibao_case_resume(case=c, reason="返乡", by=u),
    "terminate": lambda c, u: services.dibao_case_terminate(case=c, reason="收入超标", by=u),
    "phase_out_start": lambda c, u: phaseout.dibao_case_phase_out_start(
        case=c, decision="lower", decided_on=D, by=u
    ),
    "phase_out_decide": lambda c, u: phaseout.dibao_case_phase_out_decide(
        case=c, outcome="unchanged", on=D, due_on=D, by=u
    ),
}
ROUTED = {"refuse": ("refuse", "decide_refuse"), "decide_refuse": ("refuse", "decide_refuse")}
DECLARED = [a.name for a in DIBAO.actions_list if a.sources]


def test_the_matrix_covers_every_declared_action():
    assert sorted(CALLS) == sorted(DECLARED)


@NOW
@pytest.mark.parametrize(("action", "status"), [(a, s) for a in DECLARED for s in S.values])
def test_status_guard(action, status, cw_baisha, ca_pengjiang, village_a):
    allowed = set().union(*(DIBAO[a].sources for a in ROUTED.get(action, (action,))))
    h = poor_household(village_a)
    case = services.dibao_case_create(household=h, applicant=head_of(h), by=cw_baisha)
    DibaoCase.objects.filter(pk=case.pk).update(
        status=status, proposed_amount=Decimal("100"), accepted_on=APPLIED_ON
    )
    before = CaseTransition.objects.filter(case=case).count()
    try:
        # The township caseworker holds every dibao permission (confirmation where delegated).
        CALLS[action](case, cw_baisha)
    except ValidationError as e:
        code = getattr(e, "code", None)
        if status in allowed:
            assert code != "wrong_status", f"{action} should be allowed from {status}: {e}"
        else:
            assert code == "wrong_status", f"{action} from {status}: {e}"
        assert CaseTransition.objects.filter(case=case).count() == before  # nothing written
        return
    except PermissionDenied:
        assert status in allowed  # the guard passed the status and refused for another reason
        return
    assert status in allowed, f"{action} succeeded from forbidden status {status}"
    assert CaseTransition.objects.filter(case=case).count() == before + 1
    assert CaseTransition.objects.filter(case=case).last().action in ROUTED.get(action, (action,))


@pytest.mark.parametrize("action", [a for a in DECLARED if not DIBAO[a].system])
@pytest.mark.parametrize(
    "persona",
    [
        (Role.VILLAGE_ASSISTANT, None),
        (Role.POVERTY_OFFICE_REVIEWER, "440703"),
        (Role.SOCIAL_SECURITY_OFFICER, "440703"),
        (Role.CASEWORKER, "440781001"),  # outsider: a township of 台山市
        (Role.AUDITOR, "440700"),
    ],
    ids=["village_assistant", "poverty_office", "social_security", "outsider", "auditor"],
)
def test_roles_that_may_not_act(action, persona, cw_baisha, village_a):
    role, code = persona
    user = UserFactory(role=role, region=village_a if code is None else region(code))
    h = poor_household(village_a)
    case = services.dibao_case_create(household=h, applicant=head_of(h), by=cw_baisha)
    status = DIBAO[action].sources[0]
    DibaoCase.objects.filter(pk=case.pk).update(status=status, proposed_amount=Decimal("100"))
    with pytest.raises(PermissionDenied):
        CALLS[action](case, user)
    case.refresh_from_db()
    assert case.status == status


# --------------------------------------------------------------------------- buttons = guard


def _shown(client, case):  # type: ignore[no-untyped-def]
    html = client.get(reverse("assistance:detail", args=[case.pk])).content.decode()
    return {
        name: set(actions.split())
        for name, actions in re.findall(r'data-testid="action-(\w+)" data-actions="([^"]*)"', html)
    }


@NOW
@pytest.mark.parametrize("status", S.values)
def test_the_page_offers_exactly_what_the_guard_allows(
    status, client, cw_baisha, cw_baisha_2, ca_pengjiang, va_baisha, village_a
):
    h = poor_household(village_a)
    case = build_case(
        h,
        to=S.IN_NOTICE if status not in (S.DRAFT, S.APPLIED, S.ACCEPTED) else S.DRAFT,
        maker=cw_baisha,
        second=cw_baisha_2,
    )
    DibaoCase.objects.filter(pk=case.pk).update(status=status)
    case.refresh_from_db()
    third = UserFactory(username="cw_baisha_3", role=Role.CASEWORKER, region=region("440703002"))
    for user in (cw_baisha, cw_baisha_2, third, ca_pengjiang, va_baisha):
        login(client, user)
        shown = _shown(client, case)
        guard = {
            a.name
            for a in DIBAO.actions_list
            if a.sources
            and not a.system
            and a.name not in TAKEN_ELSEWHERE
            and DIBAO.may(case, a.name, user)
        }
        offered = set().union(*shown.values()) & guard if shown else set()
        # every action the guard allows has a button, and every button leads to one
        assert offered == guard, (status, user.username, shown, guard)
        for page, actions in shown.items():
            assert actions & guard, (status, user.username, page)
    pages = {p.name for p in PAGES} | set(STEPS)
    assert pages  # the page registry is what the template renders


# --------------------------------------------------------------------------- separation of duties


@NOW
def test_whoever_entered_the_basis_never_decides(cw_baisha, cw_baisha_2, ca_pengjiang, village_a):
    DistrictSetting.objects.create(county=region("440703"), confirmation_delegated=True)
    clerk = UserFactory(username="cw_clerk", role=Role.CASEWORKER, region=region("440703002"))
    fourth = UserFactory(username="cw_fourth", role=Role.CASEWORKER, region=region("440703002"))
    h = poor_household(village_a)
    case = build_case(h, to=S.INVESTIGATING, maker=cw_baisha, second=cw_baisha_2)
    # A clerk at the service window re-enters the declarations; others do the rest.
    services.declarations_replace(case=case, incomes=[], expenditures=[], properties=[], by=clerk)
    services.investigation_record(
        case=case,
        home_visit_on=dt.date(2026, 11, 4),
        investigators=[cw_baisha, cw_baisha_2],
        findings="家中无稳定收入",
        by=cw_baisha,
    )
    services.dibao_case_propose(case=case, on=dt.date(2026, 11, 5), by=cw_baisha)
    services.dibao_case_start_notice(case=case, starts_on=dt.date(2026, 11, 25), by=cw_baisha)
    case.refresh_from_db()
    for took_part in (clerk, cw_baisha, cw_baisha_2):
        with pytest.raises(PermissionDenied, match="separation of duties"):
            DIBAO.check(case, "confirm", took_part)
        assert not {"confirm", "decide_refuse"} & set(DIBAO.allowed(case, took_part))
    assert {"confirm", "decide_refuse"} <= set(DIBAO.allowed(case, fourth))
    assert {"confirm", "decide_refuse"} <= set(DIBAO.allowed(case, ca_pengjiang))


def test_the_builder_of_a_payroll_never_approves_it(
    api, cw_baisha, cw_baisha_2, ca_pengjiang, village_a
):
    ca_2 = UserFactory(
        username="ca_pengjiang_2", role=Role.CIVIL_AFFAIRS_REVIEWER, region=region("440703")
    )
    ca_3 = UserFactory(
        username="ca_pengjiang_3", role=Role.CIVIL_AFFAIRS_REVIEWER, region=region("440703")
    )
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC), tick=False):
        build_case(
            poor_household(village_a),
            to=S.CONFIRMED,
            maker=cw_baisha,
            second=cw_baisha_2,
            checker=ca_pengjiang,
        )
    dec = dt.date(2026, 12, 1)
    payroll = P.payroll_build(county=region("440703"), month=dec, by=ca_pengjiang).payroll
    P.payroll_build(county=region("440703"), month=dec, by=ca_2)  # a later rebuild by another
    api.force_authenticate(ca_pengjiang)
    r = api.post(f"/api/v1/payrolls/{payroll.pk}/approve/")
    assert r.status_code == 403 and "separation of duties" in r.json()["detail"]
    api.force_authenticate(ca_2)
    assert api.get(f"/api/v1/payrolls/{payroll.pk}/").json()["allowed_actions"] == ["build"]
    api.force_authenticate(ca_3)
    allowed = api.get(f"/api/v1/payrolls/{payroll.pk}/").json()["allowed_actions"]
    assert allowed == ["build", "approve"]
    assert api.post(f"/api/v1/payrolls/{payroll.pk}/approve/").status_code == 200
    payroll.refresh_from_db()
    assert payroll.status == Payroll.Status.APPROVED
    assert list(
        PayrollTransition.objects.filter(payroll=payroll).values_list("action", "by__username")
    ) == [("build", "ca_pengjiang"), ("build", "ca_pengjiang_2"), ("approve", "ca_pengjiang_3")]


def test_payroll_activation_is_one_statement_with_a_history_row_per_case(
    cw_baisha, cw_baisha_2, ca_pengjiang, village_a, django_assert_max_num_queries
):
    ca_2 = UserFactory(
        username="ca_pengjiang_2", role=Role.CIVIL_AFFAIRS_REVIEWER, region=region("440703")
    )
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC), tick=False):
        cases = [
            build_case(
                poor_household(village_a),
                to=S.CONFIRMED,
                maker=cw_baisha,
                second=cw_baisha_2,
                checker=ca_pengjiang,
            )
            for _ in range(3)
        ]
    payroll = P.payroll_build(county=region("440703"), month=dt.date(2026, 12, 1), by=ca_pengjiang)
    locked = Payroll.objects.get(pk=payroll.payroll.pk)
    with django_assert_max_num_queries(1):
        moved = P._activate_paid_cases(locked, ca_2)
    assert moved == 3
    for case in cases:
        rows = CaseTransition.objects.filter(case=case, action="activate")
        assert [(r.from_status, r.to_status, r.by_id) for r in rows] == [
            (S.CONFIRMED, S.ACTIVE, ca_2.pk)
        ]
    assert P._activate_paid_cases(locked, ca_2) == 0  # already active: nothing moves twice
