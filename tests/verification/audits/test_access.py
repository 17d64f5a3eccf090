"""Deny by default: the auditor sees only their own plans' sampled households, read-only, and no
longer the register; an outsider of 台山市 neither sees nor changes a 蓬江区 plan."""

import pytest
from django.urls import reverse

from verification.audits import services
from verification.models import AuditPlan, AuditSample

from ...conftest import login
from ...factories import UserFactory, region
from .conftest import TODAY, make_plan, recipients

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(cw_baisha, village_a):  # type: ignore[no-untyped-def]
    return recipients(village_a, 30, by=cw_baisha)


@pytest.fixture
def plan(cases, supervisor, auditor) -> AuditPlan:  # type: ignore[no-untyped-def]
    return services.audit_plan_draw(plan=make_plan(supervisor, [auditor]), by=supervisor)


@pytest.fixture
def other_plan(cases, supervisor, auditor_2) -> AuditPlan:  # type: ignore[no-untyped-def]
    return services.audit_plan_draw(plan=make_plan(supervisor, [auditor_2], seed=99), by=supervisor)


def sampled(plan):  # type: ignore[no-untyped-def]
    return AuditSample.objects.filter(plan=plan).first()


def not_sampled(plan, cases):  # type: ignore[no-untyped-def]
    drawn = set(AuditSample.objects.filter(plan=plan).values_list("household_id", flat=True))
    return next(c for c in cases if c.household_id not in drawn)


def test_auditor_cannot_read_the_register(client, api, auditor, cases):  # type: ignore[no-untyped-def]
    case = cases[0]
    login(client, auditor)
    for url in (
        reverse("households:list"),
        reverse("households:detail", args=[case.household_id]),
        reverse("assistance:list"),
        reverse("assistance:detail", args=[case.pk]),
        reverse("transitions:inbox"),
    ):
        assert client.get(url).status_code in (403, 404), url
    login(api, auditor)
    for url in (
        "/api/v1/households/",
        f"/api/v1/households/{case.household_id}/",
        "/api/v1/dibao-cases/",
        f"/api/v1/dibao-cases/{case.pk}/",
        "/api/v1/transitions/",
    ):
        assert api.get(url).status_code in (403, 404), url


def test_auditor_sees_own_sampled_household(client, api, plan, auditor):  # type: ignore[no-untyped-def]
    s = sampled(plan)
    page = login(client, auditor).get(reverse("verification:audit_sample", args=[s.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert s.household.address in html and "13800138000" not in html  # the phone masked
    body = login(api, auditor).get(f"/api/v1/audit-samples/{s.pk}/").json()
    assert body["household"] == s.household_id and body["members"][0]["phone"] != "13800138000"


def test_auditor_denied_a_household_outside_the_sample(client, api, plan, auditor, cases):  # type: ignore[no-untyped-def]
    case = not_sampled(plan, cases)
    login(client, auditor)
    assert client.get(reverse("households:detail", args=[case.household_id])).status_code == 403
    # No sample id for it in any plan of theirs: the API lists only their samples.
    ids = {
        r["household"] for r in login(api, auditor).get("/api/v1/audit-samples/").json()["results"]
    }
    assert case.household_id not in ids
    assert ids == set(AuditSample.objects.filter(plan=plan).values_list("household_id", flat=True))


def test_auditor_denied_another_plans_sample(client, api, plan, other_plan, auditor):  # type: ignore[no-untyped-def]
    s = sampled(other_plan)
    assert (
        login(client, auditor).get(reverse("verification:audit_sample", args=[s.pk])).status_code
        == 404
    )
    assert login(api, auditor).get(f"/api/v1/audit-samples/{s.pk}/").status_code == 404
    r = api.post(
        f"/api/v1/audit-samples/{s.pk}/record/",
        {"result": "conforms", "visited_on": TODAY.isoformat()},
        format="json",
    )
    assert r.status_code == 404
    assert login(api, auditor).get(f"/api/v1/audits/{other_plan.pk}/").status_code == 404
    s.refresh_from_db()
    assert s.result == "pending"


def test_auditor_does_not_see_draft_plans(api, cases, supervisor, auditor):  # type: ignore[no-untyped-def]
    plan = make_plan(supervisor, [auditor])
    assert login(api, auditor).get(f"/api/v1/audits/{plan.pk}/").status_code == 404


def test_outsider_of_taishan_neither_sees_nor_changes(client, api, plan, ca_taishan, ca_pengjiang):  # type: ignore[no-untyped-def]
    s = sampled(plan)
    login(client, ca_taishan)
    assert client.get(reverse("verification:audit_detail", args=[plan.pk])).status_code == 404
    assert client.get(reverse("verification:audit_sample", args=[s.pk])).status_code == 404
    assert client.get(reverse("verification:audit_report", args=[plan.pk])).status_code == 404
    login(api, ca_taishan)
    assert api.get(f"/api/v1/audits/{plan.pk}/").status_code == 404
    assert api.get("/api/v1/audits/").json()["count"] == 0
    assert api.post(f"/api/v1/audits/{plan.pk}/close/", {}, format="json").status_code == 403
    # The district's own reviewer reads it.
    assert login(api, ca_pengjiang).get(f"/api/v1/audits/{plan.pk}/").status_code == 200


def test_auditor_of_taishan_cannot_record_in_pengjiang(api, plan, auditor_taishan):  # type: ignore[no-untyped-def]
    plan.auditors.add(auditor_taishan)  # even if named by mistake: outside their area
    s = sampled(plan)
    r = login(api, auditor_taishan).post(
        f"/api/v1/audit-samples/{s.pk}/record/",
        {"result": "conforms", "visited_on": TODAY.isoformat()},
        format="json",
    )
    assert r.status_code in (403, 404)


def test_plan_list_queries_do_not_grow(
    api, client, cases, supervisor, auditor, django_assert_max_num_queries
):  # type: ignore[no-untyped-def]
    for seed in range(3):
        services.audit_plan_draw(plan=make_plan(supervisor, [auditor], seed=seed), by=supervisor)
    login(api, supervisor)
    with django_assert_max_num_queries(8):
        assert api.get("/api/v1/audits/").json()["count"] == 3
    login(client, auditor)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("verification:audit_list")).status_code == 200


def test_sample_list_queries_do_not_grow(api, client, plan, auditor, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    login(api, auditor)
    with django_assert_max_num_queries(8):
        assert len(api.get("/api/v1/audit-samples/").json()["results"]) == 2
    login(client, auditor)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("verification:audit_worklist")).status_code == 200
    login(client, UserFactory(username="sup2", role="supervisor", region=region("440700")))
    with django_assert_max_num_queries(20):
        assert client.get(reverse("verification:audit_detail", args=[plan.pk])).status_code == 200
