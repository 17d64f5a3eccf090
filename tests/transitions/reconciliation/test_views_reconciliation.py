"""The differences page: scoped list with filters and export, explain, the run button."""

import pytest
from django.urls import reverse

from transitions.models import Difference

from ...assistance.conftest import on_day
from ...conftest import login
from .conftest import DAY, imported, register, register_rows

pytestmark = pytest.mark.django_db
LIST = reverse("transitions:reconciliation_list")


@pytest.fixture
def difference(household_a, data_admin):  # type: ignore[no-untyped-def]
    from transitions.reconciliation.services import reconciliation_run

    register(household_a)
    imported("national_register", register_rows(household_a, income="100"), by=data_admin)
    with on_day(DAY):
        reconciliation_run()
    return Difference.objects.get(category="registered_not_dibao")


def test_list_filters_and_export(client, difference, ca_pengjiang, django_assert_max_num_queries):
    login(client, ca_pengjiang)
    with django_assert_max_num_queries(20):
        r = client.get(LIST, {"category": "registered_not_dibao"})
    assert r.status_code == 200
    assert list(r.context["page"]) == [difference]
    assert client.get(LIST, {"status": "bogus"}).status_code == 404
    export = client.get(LIST, {"export": "csv"})
    assert export.status_code == 200
    assert "attachment" in export["Content-Disposition"]
    assert "白沙甲社区" in export.content.decode("utf-8-sig")


def test_explain_button_only_for_the_owner_department(client, difference, po_pengjiang):
    login(client, po_pengjiang)
    explain = reverse("transitions:reconciliation_explain", args=[difference.pk])
    assert explain not in client.get(LIST).content.decode()
    client.post(explain, {"reason": "x"})
    difference.refresh_from_db()
    assert difference.status == "open"


def test_explain_on_the_page(client, difference, ca_pengjiang):
    login(client, ca_pengjiang)
    explain = reverse("transitions:reconciliation_explain", args=[difference.pk])
    assert explain in client.get(LIST).content.decode()
    with on_day(DAY):
        r = client.post(
            reverse("transitions:reconciliation_explain", args=[difference.pk]),
            {"reason": "申请在办"},
        )
    assert r.status_code == 302
    difference.refresh_from_db()
    assert difference.status == "explained"


def test_outsider_sees_and_changes_nothing(client, difference, ca_taishan):
    login(client, ca_taishan)
    r = client.get(LIST)
    assert r.status_code == 200 and list(r.context["page"]) == []
    assert client.get(LIST, {"export": "csv"}).content.decode("utf-8-sig").count("\n") == 1
    r = client.post(
        reverse("transitions:reconciliation_explain", args=[difference.pk]), {"reason": "x"}
    )
    assert r.status_code == 404
    assert client.post(reverse("transitions:reconciliation_run")).status_code in (403, 404)
    difference.refresh_from_db()
    assert difference.status == "open"


def test_run_button_for_data_admin(client, data_admin, django_capture_on_commit_callbacks):
    login(client, data_admin)
    assert client.get(LIST).context["may_run"]
    with django_capture_on_commit_callbacks(execute=False):
        r = client.post(reverse("transitions:reconciliation_run"))
    assert r.status_code == 302
