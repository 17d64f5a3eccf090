"""/programmes/ pages: list, apply, case page and actions, outreach pages, the household panel."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.urls import reverse

from assistance.models import DibaoCase, OutreachReport, ProgrammeCase
from assistance.programmes import outreach
from assistance.programmes import services as pg
from assistance.programmes.panels import programmes_panel
from households import panels

from ..conftest import login
from .conftest import head_of, poor_household

pytestmark = pytest.mark.django_db
PS = ProgrammeCase.Status
APPLIED = dt.date(2026, 11, 2)


@pytest.fixture(autouse=True)
def _english(settings, client):  # type: ignore[no-untyped-def]
    """Pages and API answers in English (the UI is Chinese by default)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def household(village_a):  # type: ignore[no-untyped-def]
    return poor_household(village_a, members=((65, "head"), (40, "child")))


@pytest.fixture
def case(household, cw_baisha):  # type: ignore[no-untyped-def]
    return pg.programme_apply(
        programme="temporary",
        household=household,
        by=cw_baisha,
        applied_on=APPLIED,
        cause="fire",
        event_date=dt.date(2026, 11, 1),
        emergency=True,
    )


@pytest.fixture
def report(va_baisha, village_a, household):  # type: ignore[no-untyped-def]
    return outreach.outreach_report(
        village=village_a, subject_name="王大爷", description="房屋失火", by=va_baisha
    )


def url(name, *args):  # type: ignore[no-untyped-def]
    return reverse(f"assistance_programmes:{name}", args=args)


class TestAccess:
    def test_anonymous_is_sent_to_login(self, client):
        r = client.get(url("list"))
        assert r.status_code == 302 and "/login/" in r["Location"]

    def test_other_district_gets_404(self, client, cw_taicheng, ca_taishan, case, report):
        login(client, cw_taicheng)
        for u in (url("detail", case.pk), url("apply", case.household_id)):
            assert client.get(u).status_code == 404
        for name in ("pay", "document", "close"):
            assert client.post(url(name, case.pk), {"on": "2026-11-03"}).status_code == 404
        assert client.get(url("outreach_detail", report.pk)).status_code == 404
        for name in ("outreach_convert", "outreach_close"):
            assert client.post(url(name, report.pk), {"reason": "x"}).status_code == 404
        login(client, ca_taishan)
        r = client.post(url("approve", case.pk), {"amount": "100", "on": "2026-11-03"})
        assert r.status_code == 404
        assert (
            client.post(url("refuse", case.pk), {"reason": "x", "on": "2026-11-03"}).status_code
            == 404
        )
        case.refresh_from_db()
        assert case.status == PS.APPLIED
        # lists leave the rows out
        assert case.pk not in [c.pk for c in client.get(url("list")).context["page"]]
        assert list(client.get(url("outreach_list")).context["page"]) == []

    def test_roles_get_403(self, client, cw_baisha, va_baisha, ca_pengjiang, case, report):
        login(client, cw_baisha)
        assert client.post(url("approve", case.pk), {"amount": "1"}).status_code == 403
        assert client.post(url("refuse", case.pk), {"reason": "x"}).status_code == 403
        login(client, va_baisha)
        assert client.get(url("list")).status_code == 403
        assert client.get(url("detail", case.pk)).status_code == 403
        assert client.get(url("apply", case.household_id)).status_code == 403
        assert client.post(url("pay", case.pk), {"on": "2026-11-03"}).status_code == 403
        assert client.post(url("outreach_close", report.pk), {"reason": "x"}).status_code == 403
        assert client.post(url("outreach_convert", report.pk), {}).status_code == 403
        login(client, ca_pengjiang)
        assert client.get(url("apply", case.household_id)).status_code == 403
        assert client.get(url("outreach_new")).status_code == 403


class TestCases:
    def test_list_filters(self, client, cw_baisha, case, household):
        other = pg.programme_apply(
            programme="education", household=household, by=cw_baisha, applied_on=APPLIED
        )
        login(client, cw_baisha)
        r = client.get(url("list"))
        assert {c.pk for c in r.context["page"]} == {case.pk, other.pk}
        r = client.get(url("list"), {"programme": "education"})
        assert [c.pk for c in r.context["page"]] == [other.pk]
        r = client.get(url("list"), {"status": "paid"})
        assert list(r.context["page"]) == []
        r = client.get(url("list"), {"status": "nonsense"})
        assert r.status_code == 400 and list(r.context["page"]) == []

    def test_apply_form(self, client, cw_baisha, household):
        login(client, cw_baisha)
        r = client.get(url("apply", household.pk))
        assert r.status_code == 200 and b'data-testid="apply-form"' in r.content
        data = {
            "programme": "tekun",
            "person": head_of(household).pk,
            "applied_on": "2026-11-02",
            "no_income": "on",
        }
        r = client.post(url("apply", household.pk), data)
        assert r.status_code == 200 and "legal supporter" in r.content.decode()
        data["no_legal_supporter"] = "on"
        r = client.post(url("apply", household.pk), data)
        created = ProgrammeCase.objects.get(programme="tekun")
        assert r.status_code == 302 and r["Location"] == url("detail", created.pk)
        assert created.details == {"no_income": True, "no_legal_supporter": True}

    def test_case_page_shows_computation_history_and_decides(
        self, client, cw_baisha, ca_pengjiang, case
    ):
        login(client, ca_pengjiang)
        r = client.get(url("detail", case.pk))
        html = r.content.decode()
        assert r.status_code == 200
        assert "Cap of one award" in html and "18280" in html  # 10 × 914 × 2
        assert 'data-testid="approve-form"' in html and 'data-testid="history"' in html
        r = client.post(url("approve", case.pk), {"amount": "18281", "on": "2026-11-02"})
        assert r.status_code == 400 and "Above the cap" in r.content.decode()
        r = client.post(url("approve", case.pk), {"amount": "18279.50", "on": "2026-11-02"})
        assert r.status_code == 400 and "whole yuan" in r.content.decode()
        r = client.post(url("approve", case.pk), {"amount": "18280", "on": "2026-11-02"})
        assert r.status_code == 302
        case.refresh_from_db()
        assert case.status == PS.APPROVED and case.amount == Decimal("18280")
        login(client, cw_baisha)
        r = client.post(url("pay", case.pk), {"on": "2026-11-02"})
        assert r.status_code == 302
        case.refresh_from_db()
        assert case.documentation_due == dt.date(2026, 11, 16)
        r = client.get(url("detail", case.pk))
        assert (
            "due by" in r.content.decode() and 'data-testid="document-form"' in r.content.decode()
        )
        r = client.post(url("document", case.pk), {"on": "2026-11-05"})
        assert r.status_code == 302
        case.refresh_from_db()
        assert case.documented_on == dt.date(2026, 11, 5)
        history = client.get(url("detail", case.pk)).context["transitions"]
        assert [t.to_status for t in history] == ["applied", "approved", "paid", "paid"]

    def test_refuse_needs_reasons(self, client, ca_pengjiang, case):
        login(client, ca_pengjiang)
        r = client.post(url("refuse", case.pk), {"on": "2026-11-02", "reason": ""})
        assert r.status_code == 400
        r = client.post(url("refuse", case.pk), {"on": "2026-11-02", "reason": "已获其他救助"})
        assert r.status_code == 302
        case.refresh_from_db()
        assert case.status == PS.REFUSED and case.reason == "已获其他救助"

    def test_close(self, client, cw_baisha, case):
        login(client, cw_baisha)
        assert client.post(url("close", case.pk), {"reason": "申请人撤回"}).status_code == 302
        case.refresh_from_db()
        assert case.status == PS.CLOSED


class TestOutreach:
    def test_village_assistant_reports_for_own_village(
        self, client, va_baisha, village_a, village_b
    ):
        login(client, va_baisha)
        r = client.get(url("outreach_new"))
        assert r.status_code == 200
        assert list(r.context["form"].fields["village"].queryset) == [village_a]
        r = client.post(
            url("outreach_new"),
            {"village": village_b.pk, "subject_name": "李", "description": "困难"},
        )
        assert r.status_code == 200 and not OutreachReport.objects.exists()
        r = client.post(
            url("outreach_new"),
            {"village": village_a.pk, "subject_name": "李奶奶", "description": "独居，行动不便"},
        )
        report = OutreachReport.objects.get()
        assert r.status_code == 302 and r["Location"] == url("outreach_detail", report.pk)
        assert report.reported_by == va_baisha
        r = client.get(url("outreach_list"))
        assert [x.pk for x in r.context["page"]] == [report.pk]
        assert (
            'data-testid="close-report-form"'
            not in client.get(url("outreach_detail", report.pk)).content.decode()
        )

    def test_caseworker_converts_to_dibao(self, client, cw_baisha, report, household):
        login(client, cw_baisha)
        assert client.get(url("outreach_list")).context["page"][0] == report
        r = client.post(
            url("outreach_convert", report.pk), {"target": "dibao", "household": household.pk}
        )
        assert r.status_code == 302
        report.refresh_from_db()
        assert report.status == OutreachReport.Status.CONVERTED
        assert DibaoCase.objects.get(pk=report.dibao_case_id).household == household

    def test_convert_rejects_a_household_outside(
        self, client, cw_baisha, report, household_taicheng
    ):
        login(client, cw_baisha)
        r = client.post(
            url("outreach_convert", report.pk),
            {"target": "dibao", "household": household_taicheng.pk},
        )
        assert r.status_code == 400 and "household" in r.context["dibao_form"].errors

    def test_caseworker_converts_to_a_programme_via_the_apply_form(
        self, client, cw_baisha, report, household
    ):
        login(client, cw_baisha)
        r = client.post(
            url("outreach_convert", report.pk),
            {"target": "programme", "household": household.pk, "programme": "temporary"},
        )
        assert r.status_code == 302
        apply_url = r["Location"]
        assert (
            apply_url.startswith(url("apply", household.pk))
            and f"outreach={report.pk}" in apply_url
        )
        r = client.get(apply_url)
        assert r.context["report"] == report
        r = client.post(
            apply_url,
            {
                "programme": "temporary",
                "applied_on": "2026-11-02",
                "cause": "fire",
                "event_date": "2026-11-01",
                "emergency": "on",
            },
        )
        assert r.status_code == 302
        report.refresh_from_db()
        assert report.status == OutreachReport.Status.CONVERTED
        assert report.programme_case.cause == "fire"

    def test_close_with_reason(self, client, cw_baisha, report):
        login(client, cw_baisha)
        assert client.post(url("outreach_close", report.pk), {"reason": ""}).status_code == 400
        r = client.post(url("outreach_close", report.pk), {"reason": "已核实，生活无困难"})
        assert r.status_code == 302
        report.refresh_from_db()
        assert report.status == OutreachReport.Status.CLOSED


class TestHouseholdPanel:
    def test_panel_lists_dibao_and_programmes(
        self, client, monkeypatch, cw_baisha, va_baisha, case, household
    ):
        dibao = DibaoCase.objects.create(
            household=household, applicant=head_of(household), created_by=cw_baisha
        )
        # The household page shows every programme: dibao cases in the dibao panel, the rest here.
        login(client, cw_baisha)
        html = client.get(reverse("households:detail", args=[household.pk])).content.decode()
        assert 'data-testid="programmes-panel"' in html
        assert "Temporary assistance" in html and str(dibao) in html
        assert url("apply", household.pk) in html
        monkeypatch.setattr(panels, "household_panels", [programmes_panel])
        # a village assistant does not see the programme cases (no permission)
        request = RequestFactory().get("/")
        request.user = va_baisha
        html = programmes_panel(request, household)
        assert "Temporary assistance" not in html
        assert url("apply", household.pk) not in html
        assert url("outreach_new") in html


def test_converted_report_links_to_the_dibao_case(client, cw_baisha, report, household):
    report = outreach.outreach_convert(report=report, by=cw_baisha, household=household)
    login(client, cw_baisha)
    html = client.get(url("outreach_detail", report.pk)).content.decode()
    assert reverse("assistance:detail", args=[report.dibao_case_id]) in html
