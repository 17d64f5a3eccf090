"""The hand-off pages: inbox, detail and its actions, phase-out board, insurance worklist;
scoped (another district: 404), the buttons are what the services allow, bounded queries."""

import datetime as dt

import pytest

from transitions.models import Handoff, InsuranceEnrolment
from transitions.workflow import HANDOFF

from ..conftest import login
from .conftest import on_day, referral

DAY = dt.date(2026, 11, 16)


@pytest.fixture(autouse=True)
def _today():  # type: ignore[no-untyped-def]
    with on_day(DAY):
        yield


@pytest.fixture
def handoff(household_a, cw_baisha) -> Handoff:  # type: ignore[no-untyped-def]
    return referral(household_a, cw_baisha)


def test_inbox_lists_waiting_handoffs_in_bounded_queries(
    client, household_a, household_b, cw_baisha, po_pengjiang, django_assert_max_num_queries
):
    referral(household_a, cw_baisha)
    referral(household_b, cw_baisha)
    login(client, po_pengjiang)
    with django_assert_max_num_queries(14):
        r = client.get("/handoffs/")
    assert r.status_code == 200
    assert r.content.decode().count('data-kind="registration_referral"') == 2


def test_detail_shows_exactly_the_allowed_actions(client, handoff, po_pengjiang, cw_baisha):
    login(client, po_pengjiang)
    page = client.get(f"/handoffs/{handoff.pk}/").content.decode()
    assert 'data-testid="acknowledge"' in page and 'data-testid="approve"' not in page
    assert HANDOFF.allowed(handoff, po_pengjiang) == ["acknowledge"]
    login(client, cw_baisha)
    page = client.get(f"/handoffs/{handoff.pk}/").content.decode()
    assert 'data-testid="withdraw"' in page and 'data-testid="acknowledge"' not in page


def test_acknowledge_then_approve_by_page(client, handoff, po_pengjiang, monkeypatch):
    monkeypatch.setattr("poverty.services.poverty_record_register", lambda **kw: None)
    login(client, po_pengjiang)
    r = client.post(f"/handoffs/{handoff.pk}/acknowledge/", {"reason": ""})
    assert r.status_code == 302
    r = client.post(
        f"/handoffs/{handoff.pk}/approve/", {"decided_on": "2026-11-16", "reason": "符合"}
    )
    assert r.status_code == 400 and "causes" in r.context["approve_form"].errors
    r = client.post(
        f"/handoffs/{handoff.pk}/approve/",
        {"decided_on": "2026-11-17", "causes": ["illness"], "reason": "符合"},
    )
    assert r.status_code == 400
    assert "decided_on" in r.context["approve_form"].errors
    r = client.post(
        f"/handoffs/{handoff.pk}/approve/",
        {"decided_on": "2026-11-16", "causes": ["illness"], "reason": "符合"},
    )
    assert r.status_code == 302
    handoff.refresh_from_db()
    assert handoff.status == "approved"
    r = client.post(f"/handoffs/{handoff.pk}/acknowledge/", {})
    assert r.status_code == 302  # stale: a warning, nothing written


def test_another_district_sees_nothing(client, handoff, po_taishan):
    login(client, po_taishan)
    assert client.get(f"/handoffs/{handoff.pk}/").status_code == 404
    assert client.post(f"/handoffs/{handoff.pk}/acknowledge/", {}).status_code == 404
    assert str(handoff) not in client.get("/handoffs/?box=all").content.decode()


def test_village_assistants_are_refused(client, handoff, va_baisha):
    login(client, va_baisha)
    assert client.get("/handoffs/").status_code == 403


def test_bad_filters_are_404(client, handoff, po_pengjiang):
    login(client, po_pengjiang)
    assert client.get("/handoffs/?box=nope").status_code == 404
    assert client.get("/handoffs/?kind=nope").status_code == 404


def test_phase_out_board_and_worklist_render(
    client, confirmed_case, ca_pengjiang, ss_pengjiang, ca_taishan
):
    login(client, ca_pengjiang)
    assert client.get("/handoffs/phase-outs/").status_code == 200
    login(client, ss_pengjiang)
    page = client.get("/handoffs/insurance/").content.decode()
    enrolment = InsuranceEnrolment.objects.filter(household=confirmed_case.household).first()
    assert enrolment.person.name in page
    r = client.post(
        f"/handoffs/insurance/{enrolment.pk}/",
        {"status": "enrolled", "status_on": "2026-11-16", "note": ""},
    )
    assert r.status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.status == "enrolled"
    login(client, ca_taishan)
    assert enrolment.person.name not in client.get("/handoffs/insurance/").content.decode()
    assert client.get(f"/handoffs/insurance/{enrolment.pk}/").status_code == 403
