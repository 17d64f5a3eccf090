"""/api/v1/reconciliation-differences/ and /api/v1/inbound-batches/: scoped, the outsider of
台山市 sees and changes nothing, bad input 400, a stale explanation 409."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.exports import write_csv
from transitions.models import Difference, InboundBatch

from ...assistance.conftest import on_day
from ...conftest import login
from .conftest import DAY, REGISTER_HEADERS, imported, register, register_rows

pytestmark = pytest.mark.django_db
URL = "/api/v1/reconciliation-differences/"


@pytest.fixture
def difference(household_a, data_admin):  # type: ignore[no-untyped-def]
    from transitions.reconciliation.services import reconciliation_run

    register(household_a)
    imported("national_register", register_rows(household_a, income="100"), by=data_admin)
    with on_day(DAY):
        reconciliation_run()
    return Difference.objects.get(category="registered_not_dibao")


def test_list_in_scope_with_filters(api, difference, ca_pengjiang, django_assert_max_num_queries):
    login(api, ca_pengjiang)
    with django_assert_max_num_queries(8):
        r = api.get(URL, {"category": "registered_not_dibao", "status": "open"})
    assert r.status_code == 200
    ids = [row["id"] for row in r.json()["results"]]
    assert ids == [difference.pk]
    assert api.get(URL, {"category": "nope"}).status_code == 400
    rows = api.get(URL, {"owner": "social_security"}).json()["results"]
    assert rows and {row["owner"] for row in rows} == {"social_security"}


def test_explain_and_a_second_time_409(api, difference, ca_pengjiang):
    login(api, ca_pengjiang)
    with on_day(DAY):
        r = api.post(f"{URL}{difference.pk}/explain/", {"reason": "申请在办"}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "explained"
    assert r.json()["transitions"][-1]["action"] == "explain"
    r = api.post(f"{URL}{difference.pk}/explain/", {"reason": "again"}, format="json")
    assert r.status_code == 409
    assert api.post(f"{URL}{difference.pk}/explain/", {}, format="json").status_code in (400, 409)


def test_other_department_may_not_explain(api, difference, po_pengjiang):
    login(api, po_pengjiang)
    r = api.post(f"{URL}{difference.pk}/explain/", {"reason": "x"}, format="json")
    assert r.status_code == 403
    difference.refresh_from_db()
    assert difference.status == "open"


def test_outsider_sees_and_changes_nothing(api, difference, ca_taishan):
    login(api, ca_taishan)
    assert api.get(URL).json()["results"] == []
    assert api.get(f"{URL}{difference.pk}/").status_code == 404
    r = api.post(f"{URL}{difference.pk}/explain/", {"reason": "x"}, format="json")
    assert r.status_code == 404
    assert api.post(f"{URL}run/").status_code == 403
    assert api.get("/api/v1/inbound-batches/").status_code == 403
    difference.refresh_from_db()
    assert difference.status == "open"


def test_run_starts_a_job(api, data_admin, django_capture_on_commit_callbacks):
    login(api, data_admin)
    with django_capture_on_commit_callbacks(execute=False):
        r = api.post(f"{URL}run/")
    assert r.status_code == 202 and r.json()["job"]


def test_receive_a_file_and_refusals(api, household_a, data_admin, po_taishan):
    login(api, data_admin)
    body = write_csv(register_rows(household_a), headers=REGISTER_HEADERS)
    data = {
        "stream": "national_register",
        "sender": "national_register",
        "period": "2026-12",
        "sequence": 1,
    }
    with on_day(DAY):
        r = api.post(
            "/api/v1/inbound-batches/",
            {**data, "file": SimpleUploadedFile("r.csv", body)},
            format="multipart",
        )
        assert r.status_code == 202, r.json()
        assert r.json()["status"] == "received"
        r = api.post(
            "/api/v1/inbound-batches/",
            {**data, "sequence": 2, "file": SimpleUploadedFile("r.csv", body)},
            format="multipart",
        )
        assert r.status_code == 400 and "file" in r.json()
        r = api.post(
            "/api/v1/inbound-batches/",
            {**data, "sender": "bank", "file": SimpleUploadedFile("x.csv", body + b"\n")},
            format="multipart",
        )
        assert r.status_code == 400 and "sender" in r.json()
    assert InboundBatch.objects.count() == 1
    assert api.get("/api/v1/inbound-batches/").json()["results"][0]["stream"] == (
        "national_register"
    )
    # A district user sees no inbound batch (the files are the whole city's).
    login(api, po_taishan)
    assert api.get("/api/v1/inbound-batches/").json()["results"] == []


def test_explain_with_a_stale_version_409(api, difference, ca_pengjiang):
    login(api, ca_pengjiang)
    r = api.post(
        f"{URL}{difference.pk}/explain/",
        {"reason": "x", "version": difference.version + 1},
        format="json",
    )
    assert r.status_code == 409
    difference.refresh_from_db()
    assert difference.status == "open" and not difference.transitions.filter(action="explain")
