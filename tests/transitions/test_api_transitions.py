"""/api/v1/transitions/, /phase-outs/, /insurance-enrolments/: same rules as the services,
scoped (another district: 404, can neither see nor change), stale actions 409."""

import datetime as dt

import pytest

from transitions.models import Handoff, InsuranceEnrolment

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


def test_the_inbox_lists_what_waits_for_the_user(
    api, handoff, po_pengjiang, django_assert_max_num_queries
):
    login(api, po_pengjiang)
    with django_assert_max_num_queries(8):
        r = api.get("/api/v1/transitions/")
    assert r.status_code == 200
    assert [row["id"] for row in r.json()["results"]] == [handoff.pk]


def test_acknowledge_and_approve_through_the_api(api, handoff, po_pengjiang, monkeypatch):
    monkeypatch.setattr("poverty.services.poverty_record_register", lambda **kw: None)
    login(api, po_pengjiang)
    r = api.get(f"/api/v1/transitions/{handoff.pk}/")
    assert r.json()["allowed_actions"] == ["acknowledge"]
    r = api.post(f"/api/v1/transitions/{handoff.pk}/acknowledge/", {}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "acknowledged"
    r = api.post(
        f"/api/v1/transitions/{handoff.pk}/approve/", {"causes": ["illness"]}, format="json"
    )
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert [t["action"] for t in r.json()["transitions"]] == ["open", "acknowledge", "approve"]
    r = api.post(f"/api/v1/transitions/{handoff.pk}/approve/", {}, format="json")
    assert r.status_code == 409


def test_the_maker_gets_403(api, handoff, cw_baisha, po_pengjiang):
    login(api, cw_baisha)
    r = api.post(f"/api/v1/transitions/{handoff.pk}/acknowledge/", {}, format="json")
    assert r.status_code == 403


def test_reject_needs_a_reason(api, handoff, po_pengjiang):
    login(api, po_pengjiang)
    api.post(f"/api/v1/transitions/{handoff.pk}/acknowledge/", {}, format="json")
    r = api.post(f"/api/v1/transitions/{handoff.pk}/reject/", {"reason": ""}, format="json")
    assert r.status_code == 400 and "reason" in r.json()


def test_another_district_can_neither_see_nor_change(api, handoff, po_taishan):
    login(api, po_taishan)
    assert api.get("/api/v1/transitions/?box=all").json()["count"] == 0
    assert api.get(f"/api/v1/transitions/{handoff.pk}/").status_code == 404
    r = api.post(f"/api/v1/transitions/{handoff.pk}/acknowledge/", {}, format="json")
    assert r.status_code == 404
    handoff.refresh_from_db()
    assert handoff.status == "open"


def test_bad_filters_are_400(api, handoff, po_pengjiang):
    login(api, po_pengjiang)
    r = api.get("/api/v1/transitions/?box=nope&kind=nope")
    assert r.status_code == 400 and set(r.json()) == {"box", "kind"}


def test_village_assistants_cannot_read_handoffs(api, handoff, va_baisha):
    login(api, va_baisha)
    assert api.get("/api/v1/transitions/").status_code == 403


def test_enrolments_scoped_and_recorded_by_social_security(
    api, confirmed_case, ss_pengjiang, ca_taishan, ca_pengjiang
):
    enrolment = InsuranceEnrolment.objects.filter(household=confirmed_case.household).first()
    login(api, ca_taishan)
    assert api.get("/api/v1/insurance-enrolments/").json()["count"] == 0
    assert api.patch(f"/api/v1/insurance-enrolments/{enrolment.pk}/", {}).status_code == 403
    login(api, ca_pengjiang)
    r = api.patch(
        f"/api/v1/insurance-enrolments/{enrolment.pk}/",
        {"status": "enrolled", "status_on": "2026-11-16"},
        format="json",
    )
    assert r.status_code == 403
    login(api, ss_pengjiang)
    assert api.get("/api/v1/insurance-enrolments/?status=not_enrolled").json()["count"] == 2
    r = api.patch(
        f"/api/v1/insurance-enrolments/{enrolment.pk}/",
        {"status": "refused", "status_on": "2026-11-16"},
        format="json",
    )
    assert r.status_code == 400 and "note" in r.json()
    r = api.patch(
        f"/api/v1/insurance-enrolments/{enrolment.pk}/",
        {"status": "enrolled", "status_on": "2026-11-16"},
        format="json",
    )
    assert r.status_code == 200 and r.json()["status"] == "enrolled"
    assert api.get("/api/v1/insurance-enrolments/?status=not_enrolled").json()["count"] == 1


def test_phase_outs_are_scoped(api, ca_taishan, ca_pengjiang):
    login(api, ca_pengjiang)
    assert api.get("/api/v1/phase-outs/").status_code == 200
    assert api.get("/api/v1/phase-outs/?status=nope").status_code == 400


def test_the_schema_lists_the_endpoints(api, data_admin):
    login(api, data_admin)
    r = api.get("/api/schema/?format=json")
    paths = r.json()["paths"]
    assert "/api/v1/transitions/{id}/approve/" in paths
    assert "/api/v1/phase-outs/{id}/reassess/" in paths
    assert "/api/v1/insurance-enrolments/{id}/" in paths
