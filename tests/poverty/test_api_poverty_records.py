"""/api/v1/poverty-records/: list/detail/create and the actions, through the same services;
scoped (another district: 404), 409 for a wrong status, 403 for separation of duties, in the
OpenAPI schema, queries that do not grow with the rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from poverty.models import PovertyRecord

from .conftest import (
    CONFIRMED_ON,
    MEASURE_ON,
    PROPOSED_ON,
    REGISTERED_ON,
    S,
    build_record,
    household_of,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/poverty-records/"


def test_the_whole_path(api, household_pj, po_pengjiang, po_pengjiang_2, cw_baisha):
    api.force_authenticate(po_pengjiang)
    r = api.post(
        URL,
        {"household": household_pj.pk, "registered_on": REGISTERED_ON, "causes": ["illness"]},
        format="json",
    )
    assert r.status_code == 201, r.json()
    pk = r.json()["id"]
    assert r.json()["allowed_actions"] == ["record_measure", "report_cannot_exit"]
    assert r.json()["aid_proposed"] == ["medical"]
    api.force_authenticate(cw_baisha)
    r = api.post(
        f"{URL}{pk}/measures/",
        {
            "kind": "medical",
            "started_on": MEASURE_ON,
            "department": "卫健局",
            "responsible_person": "刘",
        },
        format="json",
    )
    assert r.status_code == 201 and r.json()["record"] == pk
    api.force_authenticate(po_pengjiang)
    r = api.post(
        f"{URL}{pk}/propose-exit/",
        {"on": PROPOSED_ON, "income_per_capita": "900", "evidence": "稳定"},
        format="json",
    )
    assert r.status_code == 200 and r.json()["status"] == S.EXIT_PROPOSED
    assert "confirm_exit" not in r.json()["allowed_actions"]
    body = {
        "confirmed_on": CONFIRMED_ON,
        "document_no": "蓬府〔2026〕3号",
        "confirming_level": "county",
    }
    r = api.post(f"{URL}{pk}/confirm-exit/", body, format="json")
    assert r.status_code == 403  # the proposer: separation of duties
    api.force_authenticate(po_pengjiang_2)
    r = api.post(f"{URL}{pk}/confirm-exit/", body | {"document_no": ""}, format="json")
    assert r.status_code == 400 and "document_no" in r.json()
    r = api.post(f"{URL}{pk}/confirm-exit/", body, format="json")
    assert r.status_code == 200 and r.json()["status"] == S.EXIT_CONFIRMED
    assert len(r.json()["certificates"]) == 1
    assert [t["action"] for t in r.json()["transitions"]] == [
        "register",
        "record_measure",
        "propose_exit",
        "confirm_exit",
    ]
    r = api.post(f"{URL}{pk}/confirm-exit/", body, format="json")
    assert r.status_code == 409
    r = api.post(f"{URL}{pk}/return/", {"on": "2026-11-24", "reason": "因病返贫"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == S.RETURNED


def test_cannot_exit_and_wrong_status(api, record_registered, po_pengjiang):
    api.force_authenticate(po_pengjiang)
    r = api.post(
        f"{URL}{record_registered.pk}/propose-exit/",
        {"on": PROPOSED_ON, "income_per_capita": "900", "evidence": "x"},
        format="json",
    )
    assert r.status_code == 409
    r = api.post(f"{URL}{record_registered.pk}/cannot-exit/", {"reason": ""}, format="json")
    assert r.status_code == 400 and "reason" in r.json()
    r = api.post(f"{URL}{record_registered.pk}/cannot-exit/", {"reason": "重病"}, format="json")
    assert r.status_code == 200


def test_another_district_can_neither_see_nor_change(
    api, record_registered, po_taishan, cw_taicheng, household_pj
):
    for user in (po_taishan, cw_taicheng):
        api.force_authenticate(user)
        assert api.get(URL).json()["count"] == 0
        assert api.get(f"{URL}{record_registered.pk}/").status_code == 404
        r = api.post(f"{URL}{record_registered.pk}/cannot-exit/", {"reason": "x"}, format="json")
        assert r.status_code in (403, 404)
    api.force_authenticate(po_taishan)
    r = api.post(f"{URL}{record_registered.pk}/cannot-exit/", {"reason": "x"}, format="json")
    assert r.status_code == 404
    r = api.post(
        URL,
        {"household": household_pj.pk, "registered_on": REGISTERED_ON, "causes": ["illness"]},
        format="json",
    )
    assert r.status_code == 400 and "household" in r.json()
    record_registered.refresh_from_db()
    assert record_registered.transitions.count() == 1


def test_roles(api, record_registered, cw_baisha, va_baisha, household_pj):
    api.force_authenticate(va_baisha)
    assert api.get(URL).status_code == 403
    api.force_authenticate(cw_baisha)
    assert api.get(URL).json()["count"] == 1
    r = api.post(f"{URL}{record_registered.pk}/cannot-exit/", {"reason": "x"}, format="json")
    assert r.status_code == 403
    api.force_authenticate(None)
    assert api.get(URL).status_code == 401


def test_filters_and_unknown_parameters(api, village_a, po_pengjiang):
    build_record(
        household_of(village_a, {"age": 45, "name": "陈大文"}),
        to=S.REGISTERED,
        registrar=po_pengjiang,
    )
    build_record(household_of(village_a, {"age": 45}), to=S.ASSISTED, registrar=po_pengjiang)
    api.force_authenticate(po_pengjiang)
    assert api.get(URL, {"status": S.ASSISTED}).json()["count"] == 1
    assert api.get(URL, {"q": "陈大"}).json()["count"] == 1
    assert api.get(URL, {"cause": "illness"}).json()["count"] == 0
    assert api.get(URL, {"search": "x"}).status_code == 400


def test_list_queries_do_not_grow(api, village_a, po_pengjiang):
    build_record(household_of(village_a, {"age": 45}), to=S.REGISTERED, registrar=po_pengjiang)
    api.force_authenticate(po_pengjiang)
    with CaptureQueriesContext(connection) as one:
        api.get(URL)
    for _i in range(5):
        build_record(household_of(village_a, {"age": 45}), to=S.ASSISTED, registrar=po_pengjiang)
    with CaptureQueriesContext(connection) as six:
        assert api.get(URL).json()["count"] == 6
    assert len(six.captured_queries) == len(one.captured_queries)


def test_in_the_openapi_schema(api, data_admin):
    api.force_authenticate(data_admin)
    r = api.get("/api/schema/", {"format": "json"})
    paths = r.json()["paths"]
    for p in (
        "",
        "{id}/",
        "{id}/propose-exit/",
        "{id}/confirm-exit/",
        "{id}/return/",
        "{id}/measures/",
        "{id}/cannot-exit/",
        "{id}/withdraw-exit/",
    ):
        assert f"/api/v1/poverty-records/{p}" in paths, p
    assert PovertyRecord
