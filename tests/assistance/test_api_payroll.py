"""/api/v1/payrolls/: list/retrieve, lines, build (202 + job), approve; role and district scope."""

import pytest

from assistance.models import Payroll
from assistance.payroll.tasks import build_payroll
from core.models import Job

from .conftest import S

pytestmark = pytest.mark.django_db
URL = "/api/v1/payrolls/"


def test_list_retrieve_and_lines(api, payroll_draft, confirmed_case, ca_pengjiang):
    api.force_authenticate(ca_pengjiang)
    data = api.get(URL).json()
    assert data["count"] == 1
    row = data["results"][0]
    assert (row["id"], row["month"], row["status"], row["line_count"], row["total"]) == (
        payroll_draft.pk,
        "2026-12",
        "draft",
        1,
        "1711.00",
    )
    assert api.get(f"{URL}{payroll_draft.pk}/").json()["county_name"] == "蓬江区"
    lines = api.get(f"{URL}{payroll_draft.pk}/lines/").json()
    assert lines["count"] == 1
    line = lines["results"][0]
    assert (line["case"], line["case_no"], line["total"], line["base_amount"]) == (
        confirmed_case.pk,
        f"DB{confirmed_case.pk:06d}",
        "1711.00",
        "1528.00",
    )
    assert api.get(URL, {"month": "2027-01"}).json()["count"] == 0
    assert api.get(URL, {"month": "2026-12", "status": "draft"}).json()["count"] == 1
    assert api.get(URL, {"month": "bad"}).status_code == 400


def test_build_returns_202_and_the_job_to_poll(
    api, confirmed_case, ca_pengjiang, district, django_capture_on_commit_callbacks
):
    api.force_authenticate(ca_pengjiang)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        resp = api.post(f"{URL}build/", {"county": district.pk, "month": "2026-12"}, format="json")
    assert resp.status_code == 202, resp.content
    assert len(callbacks) == 1
    body = resp.json()
    job = Job.objects.get(pk=body["job"]["id"])
    assert body["job"]["status"] == "queued"
    build_payroll.apply(args=(job.pk, district.pk, "2026-12-01", ca_pengjiang.pk))
    progress = api.get(f"{URL}{body['payroll']}/job/").json()
    assert (progress["status"], progress["percent"], progress["result"]["lines"]) == (
        "done",
        100,
        1,
    )
    assert api.get(f"{URL}{body['payroll']}/").json()["status"] == "draft"


def test_build_validation(api, confirmed_case, ca_pengjiang, district):
    from ..factories import region

    api.force_authenticate(ca_pengjiang)
    resp = api.post(f"{URL}build/", {"county": district.pk, "month": "12/2026"}, format="json")
    assert resp.status_code == 400 and "month" in resp.json()
    taishan = region("440781")
    resp = api.post(f"{URL}build/", {"county": taishan.pk, "month": "2026-12"}, format="json")
    assert resp.status_code == 400 and "county" in resp.json()
    assert not Payroll.objects.exists()


def test_approve_then_locked(
    api, payroll_draft, confirmed_case, ca_pengjiang, ca_pengjiang_2, district
):
    api.force_authenticate(ca_pengjiang)  # built it: may not approve it
    assert api.post(f"{URL}{payroll_draft.pk}/approve/").status_code == 403
    api.force_authenticate(ca_pengjiang_2)
    resp = api.post(f"{URL}{payroll_draft.pk}/approve/")
    assert resp.status_code == 200
    assert (resp.json()["status"], resp.json()["approved_by"]) == ("approved", "ca_pengjiang_2")
    confirmed_case.refresh_from_db()
    assert confirmed_case.status == S.ACTIVE
    assert api.post(f"{URL}{payroll_draft.pk}/approve/").status_code == 409
    resp = api.post(f"{URL}build/", {"county": district.pk, "month": "2026-12"}, format="json")
    assert resp.status_code == 409 and "locked" in resp.json()["detail"]


def test_roles_get_403(api, payroll_draft, cw_baisha, va_baisha, district):
    api.force_authenticate(cw_baisha)
    assert api.get(URL).json()["count"] == 0  # no district payroll in a township's scope
    assert api.get(f"{URL}{payroll_draft.pk}/").status_code == 404
    resp = api.post(f"{URL}build/", {"county": district.pk, "month": "2026-12"}, format="json")
    assert resp.status_code == 403
    assert api.post(f"{URL}{payroll_draft.pk}/approve/").status_code == 403
    api.force_authenticate(va_baisha)
    assert api.get(URL).status_code == 403
    api.force_authenticate(None)
    assert api.get(URL).status_code == 401


def test_other_district_gets_404(api, payroll_draft, ca_taishan):
    api.force_authenticate(ca_taishan)
    assert api.get(URL).json()["count"] == 0
    assert api.get(f"{URL}{payroll_draft.pk}/").status_code == 404
    assert api.get(f"{URL}{payroll_draft.pk}/lines/").status_code == 404
    assert api.get(f"{URL}{payroll_draft.pk}/job/").status_code == 404
    assert api.post(f"{URL}{payroll_draft.pk}/approve/").status_code == 404
    payroll_draft.refresh_from_db()
    assert payroll_draft.status == Payroll.Status.DRAFT
