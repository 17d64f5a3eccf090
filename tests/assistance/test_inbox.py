"""The inbox (待办): each role sees its own items, ordered by deadline, never another district's."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from assistance.dibao import reviews, services
from assistance.models import (
    CaseTransition,
    DistrictSetting,
    OutreachReport,
    Payroll,
    Programme,
    ProgrammeCase,
)
from assistance.oversight import inbox
from core.roles import Role

from ..conftest import login
from ..factories import UserFactory, region
from .conftest import S, build_case, head_of, poor_household

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 28)


@pytest.fixture(autouse=True)
def _frozen():  # type: ignore[no-untyped-def]
    from django.utils import translation

    moment = dt.datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with translation.override("en"), time_machine.travel(moment, tick=False):
        yield


def accepted_case(village, by, *, on: dt.date):  # type: ignore[no-untyped-def]
    h = poor_household(village)
    case = services.dibao_case_create(household=h, applicant=head_of(h), by=by)
    services.dibao_case_apply(case=case, applied_on=on, by=by)
    return services.dibao_case_accept(case=case, accepted_on=on, by=by)


@pytest.fixture
def cw_taicheng_2(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="cw_taicheng_2", role=Role.CASEWORKER, region=region("440781001"))


@pytest.fixture
def world(  # type: ignore[no-untyped-def]
    cw_baisha,
    cw_baisha_2,
    ca_pengjiang,
    va_baisha,
    village_a,
    village_b,
    cw_taicheng,
    cw_taicheng_2,
    ca_taishan,
    village_taicheng,
):
    """Work at every stage in 白沙 (蓬江区) and the same in 台城 (台山市)."""
    w: dict = {}
    h = poor_household(village_a)
    w["applied"] = services.dibao_case_create(household=h, applicant=head_of(h), by=cw_baisha)
    services.dibao_case_apply(case=w["applied"], applied_on=dt.date(2026, 11, 20), by=cw_baisha)
    w["accepted_late"] = accepted_case(village_a, cw_baisha, on=dt.date(2026, 11, 26))
    w["accepted_early"] = accepted_case(village_a, cw_baisha, on=dt.date(2026, 11, 23))
    w["investigating"] = build_case(
        poor_household(village_a), to=S.INVESTIGATING, maker=cw_baisha, second=cw_baisha_2
    )
    w["proposed"] = build_case(
        poor_household(village_a), to=S.PROPOSED, maker=cw_baisha, second=cw_baisha_2
    )
    w["in_notice"] = build_case(
        poor_household(village_a), to=S.IN_NOTICE, maker=cw_baisha, second=cw_baisha_2
    )
    active = build_case(
        poor_household(village_b),
        to=S.CONFIRMED,
        maker=cw_baisha,
        second=cw_baisha_2,
        checker=ca_pengjiang,
    )
    w["review"] = reviews.household_change_reported(
        household=active.household, description="收入增加", by=cw_baisha
    )
    w["emergency"] = ProgrammeCase.objects.create(
        programme=Programme.TEMPORARY,
        household=poor_household(village_a),
        status=ProgrammeCase.Status.PAID,
        cause="fire",
        emergency=True,
        documentation_due=dt.date(2026, 11, 25),
        applied_on=dt.date(2026, 11, 20),
        amount=Decimal("3000"),
        created_by=cw_baisha,
    )
    w["programme_applied"] = ProgrammeCase.objects.create(
        programme=Programme.EDUCATION,
        household=poor_household(village_a),
        applied_on=dt.date(2026, 11, 21),
        created_by=cw_baisha,
    )
    w["outreach"] = OutreachReport.objects.create(
        village=village_a,
        subject_name="李大爷",
        description="独居老人，无收入",
        reported_by=va_baisha,
    )
    va_b = UserFactory(username="va_b", role=Role.VILLAGE_ASSISTANT, region=village_b)
    w["outreach_b"] = OutreachReport.objects.create(
        village=village_b, subject_name="王阿姨", description="重病", reported_by=va_b
    )
    w["payroll"] = Payroll.objects.create(
        county=region("440703"), month=dt.date(2026, 12, 1), status=Payroll.Status.DRAFT
    )
    # The other district: one item of each main kind, never visible to 蓬江区 / 白沙.
    w["t_accepted"] = accepted_case(village_taicheng, cw_taicheng, on=dt.date(2026, 11, 24))
    w["t_notice"] = build_case(
        poor_household(village_taicheng), to=S.IN_NOTICE, maker=cw_taicheng, second=cw_taicheng_2
    )
    w["t_payroll"] = Payroll.objects.create(
        county=region("440781"), month=dt.date(2026, 12, 1), status=Payroll.Status.DRAFT
    )
    w["t_outreach"] = OutreachReport.objects.create(
        village=village_taicheng, subject_name="陈某", description="x", reported_by=cw_taicheng
    )
    return w


def _urls(items):  # type: ignore[no-untyped-def]
    return [(i.kind, i.url) for i in items]


def test_caseworker_sees_the_township_work_ordered_by_deadline(world, cw_baisha):
    items = inbox.inbox_items(cw_baisha)
    kinds = {}
    for i in items:
        kinds.setdefault(i.kind, []).append(i)
    assert inbox.inbox_counts(cw_baisha) == {
        "accept": 1,
        "start_investigation": 2,
        "record_investigation": 1,
        "propose": 0,
        "start_notice": 1,
        "confirm": 0,  # 蓬江区 has not delegated confirmation
        "review": 1,
        "document_emergency": 1,
        "outreach": 2,
        "public_objection": 0,  # plugged in by transitions.disclosure
        "monitoring_case": 0,  # plugged in by transitions.supervision
    }
    assert [i.url for i in kinds["start_investigation"]] == [
        f"/dibao/{world['accepted_early'].pk}/",
        f"/dibao/{world['accepted_late'].pk}/",
    ]
    assert kinds["start_investigation"][0].deadline == world["accepted_early"].investigation_due
    assert kinds["accept"][0].url == f"/dibao/{world['applied'].pk}/"
    assert kinds["review"][0].url == f"/dibao/{world['review'].case_id}/"
    assert kinds["document_emergency"][0].overdue  # documentation was due yesterday
    # Ordered by deadline: the dated items in order (an application by its acceptance
    # deadline), the undated (outreach reports) after.
    world["applied"].refresh_from_db()
    assert kinds["accept"][0].deadline == world["applied"].acceptance_due is not None
    dated = [i.deadline for i in items if i.deadline]
    assert dated == sorted(dated) and len(dated) == 7
    assert all(i.deadline is None for i in items[len(dated) :])
    # 25 November, the earliest deadline: the emergency aid's documents and the acceptance.
    assert {i.kind for i in items[:2]} == {"document_emergency", "accept"}
    assert items[0].deadline == items[1].deadline == kinds["document_emergency"][0].deadline
    # Nothing from 台城.
    taicheng = {f"/dibao/{world[k].pk}/" for k in ("t_accepted", "t_notice")}
    assert not taicheng & {i.url for i in items}
    assert "陈某" not in {i.title for i in items}


def test_investigation_recorded_becomes_a_proposal_to_make(world, cw_baisha, cw_baisha_2):
    case = world["investigating"]
    services.investigation_record(
        case=case,
        home_visit_on=dt.date(2026, 11, 25),
        investigators=[cw_baisha, cw_baisha_2],
        findings="属实",
        by=cw_baisha,
    )
    counts = inbox.inbox_counts(cw_baisha)
    assert (counts["record_investigation"], counts["propose"]) == (0, 1)


def test_delegated_township_confirms_but_not_its_own_proposal(world, cw_baisha, cw_baisha_2):
    DistrictSetting.objects.create(county=region("440703"), confirmation_delegated=True)
    assert inbox.inbox_counts(cw_baisha)["confirm"] == 0  # cw_baisha proposed it
    # The second investigator took part in the basis: not theirs to confirm either.
    assert inbox.inbox_counts(cw_baisha_2)["confirm"] == 0
    third = UserFactory(username="cw_baisha_3", role=Role.CASEWORKER, region=region("440703002"))
    confirm = [i for i in inbox.inbox_items(third) if i.kind == "confirm"]
    assert [i.url for i in confirm] == [f"/dibao/{world['in_notice'].pk}/"]


def test_district_reviewer_sees_confirmations_decisions_and_payrolls(world, ca_pengjiang):
    items = inbox.inbox_items(ca_pengjiang)
    assert inbox.inbox_counts(ca_pengjiang) == {
        "confirm": 1,
        "decide_programme": 1,
        "approve_payroll": 1,
    }
    assert _urls(items)[0] == ("confirm", f"/dibao/{world['in_notice'].pk}/")
    assert ("approve_payroll", f"/payroll/{world['payroll'].pk}/") in _urls(items)
    assert ("decide_programme", f"/programmes/{world['programme_applied'].pk}/") in _urls(items)
    assert f"/payroll/{world['t_payroll'].pk}/" not in {i.url for i in items}


def test_reviewer_does_not_confirm_a_case_they_proposed(world, ca_pengjiang):
    case = world["in_notice"]
    # Separation of duties reads the case's history: a proposal by the reviewer is in it.
    CaseTransition.objects.create(
        case=case, action="propose", from_status="investigating", to_status="proposed",
        by=ca_pengjiang,
    )  # fmt: skip
    assert inbox.inbox_counts(ca_pengjiang)["confirm"] == 0


def test_notice_still_running_is_not_waiting(world, ca_pengjiang, cw_baisha):
    case = world["proposed"]
    services.dibao_case_start_notice(case=case, starts_on=TODAY, by=cw_baisha)  # until 4 Dec
    assert inbox.inbox_counts(ca_pengjiang)["confirm"] == 1  # only the notice that ended


def test_other_district_sees_only_its_own(world, ca_taishan, cw_taicheng):
    assert inbox.inbox_counts(ca_taishan) == {
        "confirm": 1,
        "decide_programme": 0,
        "approve_payroll": 1,
    }
    assert [i.url for i in inbox.inbox_items(ca_taishan) if i.kind == "confirm"] == [
        f"/dibao/{world['t_notice'].pk}/"
    ]
    counts = inbox.inbox_counts(cw_taicheng)
    assert counts["start_investigation"] == 1 and counts["outreach"] == 1
    assert counts["review"] == counts["accept"] == counts["document_emergency"] == 0


def test_village_assistant_sees_only_own_open_reports(world, va_baisha):
    items = inbox.inbox_items(va_baisha)
    assert [(i.kind, i.title) for i in items] == [("my_outreach", "李大爷")]
    assert items[0].url == f"/programmes/outreach/{world['outreach'].pk}/"
    world["outreach"].status = OutreachReport.Status.CLOSED
    world["outreach"].save()
    assert inbox.inbox_counts(va_baisha) == {"my_outreach": 0}


def test_other_roles_have_no_items(world, data_admin):
    po = UserFactory(username="po", role=Role.POVERTY_OFFICE_REVIEWER, region=region("440703"))
    assert inbox.inbox_counts(data_admin) == {} and inbox.inbox_items(po) == []


def test_inbox_page(world, client, cw_baisha):
    url = reverse("assistance_oversight:inbox")
    assert client.get(url).status_code == 302  # login first
    login(client, cw_baisha)
    resp = client.get(url)
    assert resp.status_code == 200
    body = resp.content.decode()
    assert 'data-testid="count-start_investigation"' in body
    assert f'href="/dibao/{world["accepted_early"].pk}/"' in body
    assert f'href="/dibao/{world["t_accepted"].pk}/"' not in body
    only = client.get(url, {"kind": "start_investigation"}).content.decode()
    assert only.count('data-kind="start_investigation"') == 2
    assert 'data-kind="accept"' not in only
    assert client.get(url, {"kind": "approve_payroll"}).status_code == 404  # not a caseworker's


def test_inbox_page_for_other_districts_and_roles(world, client, ca_taishan, data_admin):
    login(client, ca_taishan)
    body = client.get(reverse("assistance_oversight:inbox")).content.decode()
    assert f'href="/payroll/{world["t_payroll"].pk}/"' in body
    assert f'href="/payroll/{world["payroll"].pk}/"' not in body
    assert f'href="/dibao/{world["in_notice"].pk}/"' not in body
    login(client, data_admin)
    resp = client.get(reverse("assistance_oversight:inbox"))
    assert resp.status_code == 200 and 'data-testid="inbox-empty"' in resp.content.decode()


def test_queries_do_not_grow_with_the_items(world, cw_baisha, django_assert_num_queries):
    cw_baisha.has_perm("assistance.change_dibaocase")  # (permissions come from the role table)
    # The six dibao-case kinds in one query (COUNT … FILTER per kind / one SELECT), then one for
    # each of reviews, emergency aid and outreach, and one each for the public's objections and
    # the monitoring cases (kinds transitions.disclosure and transitions.supervision plug in).
    with django_assert_num_queries(6):
        inbox.inbox_counts(cw_baisha)
    with django_assert_num_queries(6):  # related rows joined
        items = inbox.inbox_items(cw_baisha)
    assert len(items) == 9


def test_kinds_read_together_equal_each_kind_read_alone(
    world, cw_baisha, ca_pengjiang, ca_taishan, cw_taicheng, va_baisha
):
    """The combined case query answers exactly what each kind's own query does (counts and
    items, in order); a page of one kind uses the kind's own query."""
    today = timezone.localdate()
    for user in (cw_baisha, ca_pengjiang, ca_taishan, cw_taicheng, va_baisha):
        counts = inbox.inbox_counts(user)
        items = inbox.inbox_items(user)
        for source in inbox._sources(user):
            assert counts[source.kind] == source.query(user, today).count(), source.kind
            alone = inbox.inbox_items(user, kind=source.kind)
            assert _urls(alone) == _urls([i for i in items if i.kind == source.kind])
    assert sum(inbox.inbox_counts(cw_baisha).values()) == 9


def test_the_page_counts_a_kind_by_its_items_when_it_read_them_all(
    world, cw_baisha, ca_pengjiang, ca_taishan, django_assert_num_queries, monkeypatch
):
    for user in (cw_baisha, ca_pengjiang, ca_taishan):
        counts, items = inbox.inbox_page(user)
        assert counts == inbox.inbox_counts(user)
        assert _urls(items) == _urls(inbox.inbox_items(user))
        counts, items = inbox.inbox_page(user, kind="confirm")
        assert counts == inbox.inbox_counts(user)
        assert _urls(items) == _urls(inbox.inbox_items(user, kind="confirm"))
    with django_assert_num_queries(6):  # the SELECTs of inbox_items and no COUNT
        inbox.inbox_page(cw_baisha)
    # A kind that reached the limit may hold more: it is counted by a query, with its true total.
    monkeypatch.setattr(inbox, "PER_KIND_LIMIT", 1)
    # The 6 SELECTs, then counts for the kinds that reached the limit: one for the case kinds
    # among them, one each for the reviews, the emergency aid and the outreach report.
    with django_assert_num_queries(6 + 4):
        counts, items = inbox.inbox_page(cw_baisha)
    assert counts == inbox.inbox_counts(cw_baisha)
    assert counts["start_investigation"] == 2
