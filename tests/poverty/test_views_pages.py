"""The poverty pages: list (search, filters, pagination, scope, query count), record detail,
the forms through the services, the household panel, the preview and override pages, scope
(another district: 404) and roles (403)."""

import re

import pytest
from django.urls import reverse

from poverty.classification import classification_recompute
from poverty.models import AssistanceMeasure, HouseholdClassification, PovertyRecord

from ..conftest import login
from .conftest import (
    CONFIRMED_ON,
    PROPOSED_ON,
    REGISTERED_ON,
    TODAY,
    S,
    build_record,
    dibao_household,
    household_of,
)

pytestmark = pytest.mark.django_db


def test_the_list_is_scoped_searchable_and_filtered(
    client, village_a, village_taicheng, po_pengjiang, po_taishan, cw_baisha
):
    mine = build_record(
        household_of(village_a, {"age": 45, "name": "陈大文"}),
        to=S.REGISTERED,
        registrar=po_pengjiang,
    )
    build_record(
        household_of(village_a, {"age": 40, "name": "黄小梅"}),
        to=S.ASSISTED,
        registrar=po_pengjiang,
    )
    theirs = build_record(
        household_of(village_taicheng, {"age": 45}), to=S.REGISTERED, registrar=po_taishan
    )
    login(client, cw_baisha)
    html = client.get(reverse("poverty:list")).content.decode()
    assert html.count('data-testid="record-row"') == 2 and str(theirs) not in html
    html = client.get(reverse("poverty:list"), {"q": "陈大"}).content.decode()
    assert html.count('data-testid="record-row"') == 1 and str(mine) in html
    html = client.get(reverse("poverty:list"), {"status": S.ASSISTED}).content.decode()
    assert html.count('data-testid="record-row"') == 1 and str(mine) not in html
    html = client.get(reverse("poverty:list"), {"q": str(mine)}).content.decode()
    assert html.count('data-testid="record-row"') == 1


def test_the_list_pages_and_its_queries_do_not_grow(
    client, village_a, po_pengjiang, django_assert_max_num_queries
):
    for _i in range(3):
        build_record(household_of(village_a, {"age": 45}), to=S.REGISTERED, registrar=po_pengjiang)
    login(client, po_pengjiang)
    client.get(reverse("poverty:list"))  # warm the session and caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("poverty:list")).status_code == 200
    for _i in range(6):
        build_record(household_of(village_a, {"age": 45}), to=S.REGISTERED, registrar=po_pengjiang)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(reverse("poverty:list")).content.decode()
    assert html.count('data-testid="record-row"') == 9


def test_another_districts_record_is_404_and_a_village_assistant_403(
    client, record_registered, po_taishan, cw_taicheng, va_baisha
):
    for user in (po_taishan, cw_taicheng):
        login(client, user)
        assert client.get(reverse("poverty:detail", args=[record_registered.pk])).status_code == 404
        r = client.post(
            reverse("poverty:report_cannot_exit", args=[record_registered.pk]), {"reason": "x"}
        )
        assert r.status_code == 404
        r = client.post(reverse("poverty:measure_add", args=[record_registered.household_id]), {})
        assert r.status_code in (403, 404)
    login(client, va_baisha)
    assert client.get(reverse("poverty:list")).status_code == 403
    record_registered.refresh_from_db()
    assert record_registered.status == S.REGISTERED
    assert record_registered.transitions.count() == 1


def test_register_measure_propose_confirm_through_the_pages(
    client, household_pj, po_pengjiang, po_pengjiang_2, cw_baisha
):
    login(client, po_pengjiang)
    r = client.post(
        reverse("poverty:register", args=[household_pj.pk]),
        {
            "registered_on": REGISTERED_ON.isoformat(),
            "causes": ["illness", "schooling"],
            "reason": "",
        },
    )
    record = PovertyRecord.objects.get(household=household_pj)
    assert r.status_code == 302 and r["Location"] == reverse("poverty:detail", args=[record.pk])
    html = client.get(r["Location"]).content.decode()
    assert 'data-testid="aid-medical"' in html and 'data-testid="aid-education"' in html
    login(client, cw_baisha)
    r = client.post(
        reverse("poverty:measure_add", args=[household_pj.pk]),
        {
            "kind": "medical",
            "started_on": "2026-11-05",
            "department": "卫健局",
            "responsible_person": "刘",
            "funds": "300",
            "outcome": "",
        },
    )
    assert r.status_code == 302
    login(client, po_pengjiang)
    # Bad input: the form again with the service's error on the field, nothing saved.
    r = client.post(
        reverse("poverty:propose_exit", args=[record.pk]),
        {"on": PROPOSED_ON.isoformat(), "income_per_capita": "100", "evidence": "稳定"},
    )
    assert r.status_code == 400 and "is-invalid" in r.content.decode()
    r = client.post(
        reverse("poverty:propose_exit", args=[record.pk]),
        {"on": PROPOSED_ON.isoformat(), "income_per_capita": "900", "evidence": "稳定"},
    )
    assert r.status_code == 302
    # The proposer is refused the confirmation (separation of duties): 403 with the reason.
    r = client.get(reverse("poverty:confirm_exit", args=[record.pk]))
    assert r.status_code == 403
    login(client, po_pengjiang_2)
    r = client.post(
        reverse("poverty:confirm_exit", args=[record.pk]),
        {"confirmed_on": CONFIRMED_ON.isoformat(), "document_no": "", "confirming_level": "county"},
    )
    assert r.status_code == 400 and "is-invalid" in r.content.decode()  # missing document no.
    r = client.post(
        reverse("poverty:confirm_exit", args=[record.pk]),
        {
            "confirmed_on": CONFIRMED_ON.isoformat(),
            "document_no": "蓬府〔2026〕3号",
            "confirming_level": "county",
        },
    )
    assert r.status_code == 302
    record.refresh_from_db()
    assert record.status == S.EXIT_CONFIRMED
    html = client.get(reverse("poverty:detail", args=[record.pk])).content.decode()
    cert = record.certificates.get()
    assert reverse("poverty:certificate_print", args=[cert.pk]) in html
    # A stale page: the same POST again is a warning on the record page, nothing written.
    r = client.post(
        reverse("poverty:propose_exit", args=[record.pk]),
        {"on": PROPOSED_ON.isoformat(), "income_per_capita": "900", "evidence": "稳定"},
    )
    assert r.status_code == 302
    assert record.transitions.count() == 4


def test_the_household_panel_shows_record_classification_and_measures(
    client, village_a, cw_baisha, po_pengjiang, ca_pengjiang
):
    h = dibao_household(village_a, cw_baisha, {"age": 50, "name": "王永"})
    classification_recompute(household_ids=[h.pk], on=TODAY, by=None)
    build_record(h, to=S.ASSISTED, registrar=po_pengjiang)
    login(client, ca_pengjiang)
    html = client.get(reverse("households:detail", args=[h.pk])).content.decode()
    assert 'data-testid="poverty-panel"' in html
    assert 'data-testid="poverty-panel-record"' in html
    assert html.count('data-testid="poverty-panel-measure"') == 1
    assert "王永, 50" in html
    assert 'data-testid="classification-override"' in html


def test_override_page(client, village_a, cw_baisha, ca_pengjiang, ca_taishan):
    h = dibao_household(village_a, cw_baisha, {"age": 40})
    classification_recompute(household_ids=[h.pk], on=TODAY, by=None)
    url = reverse("poverty:classification_override", args=[h.pk])
    login(client, cw_baisha)
    assert client.get(url).status_code == 403
    login(client, ca_taishan)
    assert client.get(url).status_code == 404
    login(client, ca_pengjiang)
    assert client.post(url, {"klass": "safety_net", "reason": ""}).status_code == 400
    assert client.post(url, {"klass": "safety_net", "reason": "长期卧床"}).status_code == 302
    assert HouseholdClassification.objects.get(household=h, current=True).overridden
    assert client.post(url, {"release": "1"}).status_code == 302
    assert not HouseholdClassification.objects.get(household=h, current=True).overridden


def test_preview_page(client, village_a, cw_baisha, data_admin, ca_pengjiang):
    dibao_household(village_a, cw_baisha, {"age": 45})
    url = reverse("poverty:classification_preview")
    login(client, ca_pengjiang)
    assert client.get(url).status_code == 403
    login(client, data_admin)
    html = client.get(
        url, {"min_age": 16, "max_age": 40, "capacities": ["full", "partial"]}
    ).content.decode()
    assert re.search(r'data-county="蓬江区">.*?data-testid="to-safety">1<', html, re.S)
    assert not HouseholdClassification.objects.exists()


def test_measure_page_for_a_household_outside_the_register(client, village_a, cw_baisha):
    h = household_of(village_a, {"age": 40})
    login(client, cw_baisha)
    r = client.post(
        reverse("poverty:measure_add", args=[h.pk]),
        {
            "kind": "employment",
            "started_on": "2026-11-01",
            "department": "人社局",
            "responsible_person": "周",
            "funds": "",
        },
    )
    assert r.status_code == 302 and r["Location"] == reverse("households:detail", args=[h.pk])
    assert AssistanceMeasure.objects.get(household=h).record is None


def test_every_form_page_renders(client, household_pj, po_pengjiang, po_pengjiang_2, data_admin):
    record = build_record(household_pj, to=S.EXIT_PROPOSED, registrar=po_pengjiang)
    other = household_of(record.household.village, {"age": 30})
    login(client, po_pengjiang)
    for url in (
        reverse("poverty:register", args=[other.pk]),
        reverse("poverty:measure_add", args=[household_pj.pk]),
        reverse("poverty:detail", args=[record.pk]),
        reverse("poverty:list"),
        reverse("poverty:progress"),
    ):
        r = client.get(url)
        assert r.status_code == 200, url
        assert "<form" in r.content.decode() or "transitions" in r.content.decode()
    login(client, po_pengjiang_2)
    assert client.get(reverse("poverty:confirm_exit", args=[record.pk])).status_code == 200
    login(client, data_admin)
    assert client.get(reverse("poverty:classification_preview")).status_code == 200
    assert client.get(reverse("admin:poverty_classificationrule_changelist")).status_code == 200
    assert client.get(reverse("admin:poverty_exittarget_changelist")).status_code == 200
    assert client.get(reverse("admin:poverty_povertyline_add")).status_code == 200


def test_the_record_page_queries_do_not_grow_with_measures(
    client, household_pj, po_pengjiang, cw_baisha
):
    from decimal import Decimal

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from poverty import services

    record = build_record(household_pj, to=S.ASSISTED, registrar=po_pengjiang)
    login(client, cw_baisha)
    url = reverse("poverty:detail", args=[record.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for kind in ("employment", "medical", "education", "relocation"):
        services.assistance_measure_record(
            household=household_pj,
            kind=kind,
            started_on=TODAY,
            department="镇政府",
            responsible_person="陈",
            funds=Decimal("10"),
            by=cw_baisha,
        )
    with CaptureQueriesContext(connection) as five:
        html = client.get(url).content.decode()
    assert html.count('data-testid="measure-row"') == 5
    assert len(five.captured_queries) == len(one.captured_queries)
