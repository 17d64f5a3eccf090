"""/api/v1/audits/ and /api/v1/audit-samples/: create, draw, record, close through the API,
its errors (400 with fields, 403, 409) and the OpenAPI schema."""

import pytest

from verification.models import AuditPlan, AuditSample

from ...conftest import login
from ...factories import region
from .conftest import PERIOD, TODAY, excluded, recipients

pytestmark = pytest.mark.django_db


@pytest.fixture
def frame(cw_baisha, village_a):  # type: ignore[no-untyped-def]
    recipients(village_a, 20, by=cw_baisha)
    excluded(village_a, 2, by=cw_baisha)


def create(api, by, auditors, **kw):  # type: ignore[no-untyped-def]
    body = {
        "name": "抽查",
        "region": region("440703").pk,
        "period_from": PERIOD[0].isoformat(),
        "period_to": PERIOD[1].isoformat(),
        "seed": 42,
        "auditors": [a.pk for a in auditors],
        **kw,
    }
    return login(api, by).post("/api/v1/audits/", body, format="json")


def test_the_whole_audit_through_the_api(api, frame, supervisor, auditor, cw_baisha):  # type: ignore[no-untyped-def]
    r = create(api, supervisor, [auditor])
    assert r.status_code == 201, r.json()
    pk = r.json()["id"]
    assert r.json()["allowed_actions"] == ["change", "draw"]
    r = api.post(f"/api/v1/audits/{pk}/draw/", format="json")
    assert r.status_code == 200 and r.json()["status"] == "drawn"
    assert {s["category"] for s in r.json()["strata"]} == {"dibao", "refused"}
    assert api.post(f"/api/v1/audits/{pk}/draw/", format="json").status_code == 409
    login(api, auditor)
    r = api.get(f"/api/v1/audit-samples/?plan={pk}")
    assert r.status_code == 200, r.json()
    samples = r.json()["results"]
    assert len(samples) == 4
    wrong = next(s for s in samples if s["frame"] == "recipient")
    for s in samples:
        body = {"result": "conforms", "visited_on": TODAY.isoformat()}
        if s is wrong:
            body = {
                "result": "discrepancy",
                "discrepancy_kind": "wrong_amount",
                "details": "收入漏计",
                "visited_on": TODAY.isoformat(),
            }
        r = api.post(f"/api/v1/audit-samples/{s['id']}/record/", body, format="json")
        assert r.status_code == 200, r.json()
    again = api.post(
        f"/api/v1/audit-samples/{wrong['id']}/record/",
        {"result": "conforms", "visited_on": TODAY.isoformat()},
        format="json",
    )
    assert again.status_code == 409
    assert api.post(f"/api/v1/audits/{pk}/close/", {}, format="json").status_code == 403
    r = login(api, supervisor).post(
        f"/api/v1/audits/{pk}/close/", {"reason": "完成"}, format="json"
    )
    assert r.status_code == 200 and r.json()["status"] == "closed"
    actions = [t["action"] for t in r.json()["transitions"]]
    assert actions == ["create", "draw", "record", "record", "record", "record", "close"]
    assert AuditSample.objects.get(pk=wrong["id"]).review is not None


def test_bad_input_is_400_with_fields(api, supervisor, auditor, cw_baisha):  # type: ignore[no-untyped-def]
    r = create(api, supervisor, [auditor], period_to="2026-12-31", allocation="fixed")
    assert r.status_code == 400
    assert {"period_to", "per_stratum"} <= set(r.json())
    r = create(api, supervisor, [])
    assert r.status_code == 400 and "auditors" in r.json()
    assert not AuditPlan.objects.exists()


def test_record_input_errors(api, frame, supervisor, auditor):  # type: ignore[no-untyped-def]
    pk = create(api, supervisor, [auditor]).json()["id"]
    api.post(f"/api/v1/audits/{pk}/draw/", format="json")
    s = AuditSample.objects.filter(plan_id=pk, stratum__frame="recipient").first()
    r = login(api, auditor).post(
        f"/api/v1/audit-samples/{s.pk}/record/",
        {
            "result": "discrepancy",
            "discrepancy_kind": "wrongly_excluded",
            "visited_on": TODAY.isoformat(),
        },
        format="json",
    )
    assert r.status_code == 400 and {"discrepancy_kind", "details"} <= set(r.json())


def test_only_a_supervisor_creates(api, ca_pengjiang, auditor):  # type: ignore[no-untyped-def]
    assert create(api, ca_pengjiang, [auditor]).status_code == 403
    assert create(api, auditor, [auditor]).status_code == 403


def test_schema_lists_the_audit_api(api, supervisor):  # type: ignore[no-untyped-def]
    r = login(api, supervisor).get("/api/schema/", {"format": "json"})
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/v1/audits/" in paths and "/api/v1/audit-samples/{id}/record/" in paths
