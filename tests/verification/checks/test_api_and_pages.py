"""API and pages: scoping (白沙's caseworker sees only 白沙's findings; 台山市 neither sees nor
resolves), 409 on a stale resolution, authorisation refused, export, report, query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from verification.checks import services
from verification.models import CrossCheckRun, Finding

from ...conftest import login
from .conftest import ids_of, make_case, make_snapshot

pytestmark = pytest.mark.django_db
Scope = CrossCheckRun.Scope


@pytest.fixture
def findings(household_a, household_b, household_taicheng, cw_baisha, data_admin):  # type: ignore[no-untyped-def]
    homes = (household_a, household_b, household_taicheng)
    make_snapshot(
        "motor_vehicle",
        [{"id_number": ids_of(h)[0], "plate": f"粤J{h.pk}", "vehicle_type": "轿车"} for h in homes],
        by=data_admin,
    )
    cases = [make_case(h, by=cw_baisha) for h in homes]
    services.cross_check_run_execute(
        services.cross_check_run_create(scope=Scope.CASES, cases=cases, by=None)
    )
    return {h.village.code[:9]: Finding.objects.filter(household=h) for h in homes}


def test_api_findings_scoped(api, findings, cw_baisha, cw_taicheng, household_taicheng):  # type: ignore[no-untyped-def]
    api.force_authenticate(cw_baisha)
    r = api.get("/api/v1/findings/")
    assert r.status_code == 200 and r.json()["count"] == 2
    assert r.json()["results"][0]["allowed_actions"] == ["confirm", "dismiss"]
    other = Finding.objects.get(household=household_taicheng)
    assert api.get(f"/api/v1/findings/{other.pk}/").status_code == 404
    assert api.post(f"/api/v1/findings/{other.pk}/dismiss/", {"reason": "x"}).status_code == 404
    api.force_authenticate(cw_taicheng)
    assert api.get("/api/v1/findings/").json()["count"] == 1


def test_api_resolve_and_conflict(api, findings, cw_baisha, ca_pengjiang, ca_taishan, household_a):  # type: ignore[no-untyped-def]
    f = Finding.objects.get(household=household_a)
    api.force_authenticate(cw_baisha)
    assert api.post(f"/api/v1/findings/{f.pk}/dismiss/", {}).status_code == 400
    r = api.post(f"/api/v1/findings/{f.pk}/confirm/", {"reason": "属实"}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "confirmed"
    assert r.json()["transitions"][-1]["action"] == "confirm"
    r = api.post(f"/api/v1/findings/{f.pk}/dismiss/", {"reason": "x"})
    assert r.status_code == 409
    assert api.post(f"/api/v1/findings/{f.pk}/waive/", {"reason": "x"}).status_code == 403
    api.force_authenticate(ca_taishan)
    assert api.post(f"/api/v1/findings/{f.pk}/waive/", {"reason": "x"}).status_code == 404
    api.force_authenticate(ca_pengjiang)
    r = api.post(f"/api/v1/findings/{f.pk}/waive/", {"reason": "维持生计用车"})
    assert r.status_code == 200 and r.json()["state"] == "waived"


def test_api_runs(api, household_a, cw_baisha, cw_taicheng, findings):  # type: ignore[no-untyped-def]
    from tests.factories import region

    api.force_authenticate(cw_baisha)
    r = api.get("/api/v1/cross-check-runs/")
    assert r.status_code == 200
    run_id = CrossCheckRun.objects.get().pk
    api.force_authenticate(cw_taicheng)
    assert api.get(f"/api/v1/cross-check-runs/{run_id}/").status_code == 404  # city-wide run
    api.force_authenticate(cw_baisha)
    r = api.post("/api/v1/cross-check-runs/", {"scope": "household", "household": household_a.pk})
    assert r.status_code == 201, r.json()
    assert r.json()["authorization_signed_on"] is not None
    r = api.post("/api/v1/cross-check-runs/", {"scope": "district", "region": region("440781").pk})
    assert r.status_code == 400 and "region" in r.json()


def test_api_run_refused_without_authorisation(api, household_b, cw_baisha):  # type: ignore[no-untyped-def]
    case = make_case(household_b, by=cw_baisha, signed=False)
    api.force_authenticate(cw_baisha)
    r = api.post("/api/v1/cross-check-runs/", {"scope": "cases", "cases": [case.pk]}, format="json")
    assert r.status_code == 400
    assert "No authorisation, no check" in r.json()["non_field_errors"][0]


def test_pages_scoped(client, findings, cw_baisha, cw_taicheng, household_taicheng, household_a):  # type: ignore[no-untyped-def]
    login(client, cw_baisha)
    r = client.get(reverse("verification:finding_list"))
    assert r.status_code == 200 and r.content.count(b'data-testid="finding-row"') == 2
    other = Finding.objects.get(household=household_taicheng)
    assert client.get(reverse("verification:finding_detail", args=[other.pk])).status_code == 404
    r = client.post(
        reverse("verification:finding_action", args=[other.pk, "dismiss"]), {"reason": "x"}
    )
    assert r.status_code == 404
    assert other.__class__.objects.get(pk=other.pk).state == "new"
    assert (
        client.get(
            reverse("verification:household_report", args=[household_taicheng.pk])
        ).status_code
        == 404
    )
    r = client.get(reverse("verification:household_report", args=[household_a.pk]))
    assert r.status_code == 200 and "粤J".encode() in r.content
    login(client, cw_taicheng)
    r = client.get(reverse("verification:finding_list"))
    assert r.content.count(b'data-testid="finding-row"') == 1


def test_finding_page_resolves(client, findings, cw_baisha, household_a):  # type: ignore[no-untyped-def]
    f = Finding.objects.get(household=household_a)
    login(client, cw_baisha)
    r = client.get(reverse("verification:finding_detail", args=[f.pk]))
    assert b'data-testid="action-confirm"' in r.content and b"action-waive" not in r.content
    r = client.post(
        reverse("verification:finding_action", args=[f.pk, "dismiss"]), {"reason": "已过户"}
    )
    assert r.status_code == 302
    f.refresh_from_db()
    assert f.state == "dismissed" and f.resolution_reason == "已过户"


def test_export_is_formula_safe(client, findings, cw_baisha, household_a):  # type: ignore[no-untyped-def]
    Finding.objects.filter(household=household_a).update(resolution_reason="=HYPERLINK(1)")
    login(client, cw_baisha)
    r = client.get(reverse("verification:finding_export") + "?format=csv")
    assert r.status_code == 200
    body = r.content.decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in body and "\n=HYPERLINK" not in body


def test_run_pages(client, findings, cw_baisha, cw_taicheng):  # type: ignore[no-untyped-def]
    run = CrossCheckRun.objects.get()
    login(client, cw_baisha)
    assert client.get(reverse("verification:run_list")).status_code == 200
    r = client.get(reverse("verification:run_detail", args=[run.pk]))
    assert r.status_code == 404  # a run over two districts is the city's
    login(client, cw_taicheng)
    assert client.get(reverse("verification:run_detail", args=[run.pk])).status_code == 404


def test_list_query_counts_do_not_grow(api, client, cw_baisha, data_admin, village_a):  # type: ignore[no-untyped-def]
    from tests.factories import household_with_members

    homes = [household_with_members(village_a, members=1) for _ in range(3)]

    def check() -> None:
        make_snapshot(
            "motor_vehicle",
            [
                {"id_number": ids_of(h)[0], "plate": f"粤J{h.pk}", "vehicle_type": "轿车"}
                for h in homes
            ],
            by=data_admin,
        )
        cases = [make_case(h, by=cw_baisha) for h in homes if not h.dibao_cases.exists()]
        cases = [h.dibao_cases.get() for h in homes]
        services.cross_check_run_execute(
            services.cross_check_run_create(scope=Scope.CASES, cases=cases, by=None)
        )

    check()
    api.force_authenticate(cw_baisha)
    login(client, cw_baisha)
    with CaptureQueriesContext(connection) as few:
        api.get("/api/v1/findings/")
    with CaptureQueriesContext(connection) as few_page:
        client.get(reverse("verification:finding_list"))
    homes += [household_with_members(village_a, members=1) for _ in range(6)]
    check()
    assert Finding.objects.count() == 9
    with CaptureQueriesContext(connection) as many:
        api.get("/api/v1/findings/")
    with CaptureQueriesContext(connection) as many_page:
        client.get(reverse("verification:finding_list"))
    assert len(many) == len(few)
    assert len(many_page) == len(few_page)


def test_household_panel(client, findings, cw_baisha, household_a, household_taicheng):  # type: ignore[no-untyped-def]
    login(client, cw_baisha)
    r = client.get(reverse("households:detail", args=[household_a.pk]))
    assert b'data-testid="findings-panel-slot"' in r.content
    r = client.get(reverse("verification:findings_panel", args=[household_a.pk]))
    assert r.status_code == 200 and r.content.count(b'data-testid="findings-panel-row"') == 1
    assert (
        client.get(reverse("verification:findings_panel", args=[household_taicheng.pk])).status_code
        == 404
    )


def test_no_id_number_in_a_findings_evidence(api, findings, cw_baisha, household_a):  # type: ignore[no-untyped-def]
    """ID numbers are shown only as core.personal_data allows: the evidence names the record's
    fields, the finding its person — never the ID number, in the database or the API."""
    id_numbers = set(ids_of(household_a))
    assert Finding.objects.filter(household=household_a).exists()
    for f in Finding.objects.all():
        assert "id_number" not in f.evidence
    api.force_authenticate(cw_baisha)
    for f in Finding.objects.filter(household=household_a):
        body = api.get(f"/api/v1/findings/{f.pk}/").content.decode()
        assert not any(i in body for i in id_numbers)


def test_cleared_findings_on_pages_and_api(  # type: ignore[no-untyped-def]
    api, client, findings, cw_baisha, cw_taicheng, ca_pengjiang, household_a, data_admin
):
    """The record gone from a newer snapshot: the run counts it, the finding says so (no button),
    the filters find it, the report marks it; still nobody else's to see."""
    make_snapshot("motor_vehicle", [], by=data_admin)
    cases = [f.case for f in Finding.objects.select_related("case")]
    run = services.cross_check_run_execute(
        services.cross_check_run_create(scope=Scope.CASES, cases=cases, by=None)
    )
    assert run.findings_cleared == 3
    f = Finding.objects.get(household=household_a)
    assert f.state == "cleared"

    login(client, cw_baisha)
    r = client.get(reverse("verification:finding_detail", args=[f.pk]))
    body = r.content.decode()
    assert 'data-testid="finding-cleared"' in body and "No longer found" in body
    assert "no longer found in newer data" in body  # the history row's action
    assert 'data-testid="action-' not in body  # nothing to decide
    r = client.get(reverse("verification:finding_list") + "?state=cleared")
    assert r.content.count(b'data-testid="finding-row"') == 2
    r = client.get(reverse("verification:finding_list") + "?state=new")
    assert r.content.count(b'data-testid="finding-row"') == 0
    r = client.get(reverse("verification:household_report", args=[household_a.pk]))
    body = r.content.decode()
    assert body.count('data-testid="report-cleared"') == 1
    assert "Not found in snapshot #" in body and f"cross-check run #{run.pk}" in body

    api.force_authenticate(cw_baisha)
    r = api.get("/api/v1/findings/?state=cleared")
    assert r.json()["count"] == 2 and r.json()["results"][0]["allowed_actions"] == []
    r = api.get(f"/api/v1/findings/{f.pk}/")
    assert r.json()["state"] == "cleared" and r.json()["transitions"][-1]["action"] == "clear"
    api.force_authenticate(ca_pengjiang)
    assert api.post(f"/api/v1/findings/{f.pk}/waive/", {"reason": "x"}).status_code == 409
    api.force_authenticate(cw_taicheng)
    assert api.get(f"/api/v1/findings/{f.pk}/").status_code == 404
    assert api.get("/api/v1/findings/?state=cleared").json()["count"] == 1  # 台城's own

    # the run's count, on its page and in the API (a run of two districts is the city's)
    api.force_authenticate(data_admin)
    assert api.get(f"/api/v1/cross-check-runs/{run.pk}/").json()["findings_cleared"] == 3
    login(client, data_admin)
    r = client.get(reverse("verification:run_detail", args=[run.pk]))
    assert "findings no longer found 3" in " ".join(r.content.decode().split())


def test_cleared_label_in_chinese():  # type: ignore[no-untyped-def]
    from django.utils import translation

    with translation.override("zh-hans"):
        assert str(Finding.State.CLEARED.label) == "不再出现"
