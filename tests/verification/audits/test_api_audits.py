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
    assert r.json()["allowed_actions"] == ["change", "draw", "cancel"]
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


def _drawn(api, supervisor, auditors):  # type: ignore[no-untyped-def]
    pk = create(api, supervisor, auditors).json()["id"]
    assert api.post(f"/api/v1/audits/{pk}/draw/", format="json").status_code == 200
    return pk


def test_correct_through_the_api(api, frame, supervisor, auditor, auditor_2):  # type: ignore[no-untyped-def]
    pk = _drawn(api, supervisor, [auditor, auditor_2])
    s = AuditSample.objects.filter(plan_id=pk, stratum__frame="recipient").first()
    login(api, auditor)
    r = api.post(
        f"/api/v1/audit-samples/{s.pk}/record/",
        {"result": "conforms", "visited_on": TODAY.isoformat()},
        format="json",
    )
    assert r.status_code == 200 and r.json()["version"] == 1
    assert r.json()["allowed_actions"] == ["correct"]
    url = f"/api/v1/audit-samples/{s.pk}/correct/"
    r = api.post(url, {"result": "discrepancy"}, format="json")
    assert r.status_code == 400 and {"reason", "version"} <= set(r.json())
    r = api.post(
        url,
        {"result": "discrepancy", "discrepancy_kind": "other", "reason": "x", "version": 1},
        format="json",
    )
    assert r.status_code == 400 and "details" in r.json()
    body = {
        "result": "discrepancy",
        "discrepancy_kind": "wrong_amount",
        "details": "收入漏计",
        "reason": "复核后更正",
        "version": 1,
    }
    r = api.post(url, body, format="json")
    assert r.status_code == 200, r.json()
    assert (r.json()["result"], r.json()["version"]) == ("discrepancy", 2)
    assert r.json()["review"] is not None
    # The same version again: someone corrected it since.
    again = api.post(url, {**body, "result": "conforms"}, format="json")
    assert again.status_code == 409 and "corrected meanwhile" in again.json()["detail"]
    # Another auditor of the plan: 403; the plan's history names the sample.
    assert login(api, auditor_2).post(url, {**body, "version": 2}, format="json").status_code == 403
    plan = login(api, supervisor).get(f"/api/v1/audits/{pk}/").json()
    rows = [t for t in plan["transitions"] if t["action"] == "correct"]
    assert len(rows) == 1 and rows[0]["sample"] == s.pk and "复核后更正" in rows[0]["reason"]


def test_cancel_through_the_api(api, frame, supervisor, auditor):  # type: ignore[no-untyped-def]
    pk = _drawn(api, supervisor, [auditor])
    assert "cancel" in api.get(f"/api/v1/audits/{pk}/").json()["allowed_actions"]
    r = api.post(f"/api/v1/audits/{pk}/cancel/", {}, format="json")
    assert r.status_code == 400 and "reason" in r.json()
    r = api.post(f"/api/v1/audits/{pk}/cancel/", {"reason": " "}, format="json")
    assert r.status_code == 400 and "reason" in r.json()
    assert (
        login(api, auditor).post(f"/api/v1/audits/{pk}/cancel/", {"reason": "x"}, format="json")
    ).status_code == 403
    r = login(api, supervisor).post(
        f"/api/v1/audits/{pk}/cancel/", {"reason": "重新部署"}, format="json"
    )
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "cancelled" and body["cancelled_at"]
    assert body["allowed_actions"] == []
    assert body["transitions"][-1]["action"] == "cancel"
    again = api.post(f"/api/v1/audits/{pk}/cancel/", {"reason": "x"}, format="json")
    assert again.status_code == 409
    listed = api.get("/api/v1/audits/", {"status": "cancelled"}).json()
    assert [p["id"] for p in listed["results"]] == [pk]


def test_outsiders_of_another_district_neither_see_nor_act(
    api, frame, supervisor, auditor, ca_taishan, auditor_taishan
):  # type: ignore[no-untyped-def]
    pk = _drawn(api, supervisor, [auditor])
    s = AuditSample.objects.filter(plan_id=pk).first()
    login(api, auditor)
    api.post(
        f"/api/v1/audit-samples/{s.pk}/record/",
        {"result": "conforms", "visited_on": TODAY.isoformat()},
        format="json",
    )
    correct = {"result": "discrepancy", "discrepancy_kind": "other", "details": "x"}
    correct |= {"reason": "x", "version": 1}
    # A reviewer of 台山市: sees nothing, may do neither (no such role right: 403).
    login(api, ca_taishan)
    assert api.get(f"/api/v1/audits/{pk}/").status_code == 404
    assert api.get(f"/api/v1/audit-samples/{s.pk}/").status_code == 404
    assert api.post(f"/api/v1/audits/{pk}/cancel/", {"reason": "x"}, format="json").status_code in (
        403,
        404,
    )
    r = api.post(f"/api/v1/audit-samples/{s.pk}/correct/", correct, format="json")
    assert r.status_code in (403, 404)
    # An auditor of 台山市 (the right role, another area): the sample does not exist for them.
    login(api, auditor_taishan)
    assert api.get(f"/api/v1/audit-samples/{s.pk}/").status_code == 404
    r = api.post(f"/api/v1/audit-samples/{s.pk}/correct/", correct, format="json")
    assert r.status_code == 404
    s.refresh_from_db()
    plan = AuditPlan.objects.get(pk=pk)
    assert (s.result, s.version, plan.status) == ("conforms", 1, "in_progress")


def test_schema_lists_correct_and_cancel(api, supervisor):  # type: ignore[no-untyped-def]
    paths = login(api, supervisor).get("/api/schema/", {"format": "json"}).json()["paths"]
    assert "/api/v1/audits/{id}/cancel/" in paths
    correct = paths["/api/v1/audit-samples/{id}/correct/"]["post"]
    assert {"200", "400", "403", "404", "409"} <= set(correct["responses"])


def test_the_plan_lists_its_own_actions_and_each_sample_its_own(  # type: ignore[no-untyped-def]
    api, frame, supervisor, auditor
):
    pk = _drawn(api, supervisor, [auditor])
    login(api, auditor)
    assert api.get(f"/api/v1/audits/{pk}/").json()["allowed_actions"] == []
    s = AuditSample.objects.filter(plan_id=pk).first()
    assert api.get(f"/api/v1/audit-samples/{s.pk}/").json()["allowed_actions"] == ["record"]
    body = api.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    assert body["AuditPlanStatusEnum"]["enum"][:2] == ["draft", "drawn"]
