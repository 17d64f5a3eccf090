"""/api/v1/programme-cases/ and /api/v1/outreach-reports/: scope (other district 404), roles
(403), writes through the services, error shapes."""

import datetime as dt
import json

import pytest

from assistance.models import DibaoCase, OutreachReport, ProgrammeCase
from assistance.programmes import outreach
from assistance.programmes import services as pg

from ..conftest import login
from .conftest import head_of, poor_household

pytestmark = pytest.mark.django_db
CASES = "/api/v1/programme-cases/"
REPORTS = "/api/v1/outreach-reports/"
APPLIED = dt.date(2026, 11, 2)


@pytest.fixture(autouse=True)
def _english(settings, api):  # type: ignore[no-untyped-def]
    """Pages and API answers in English (the UI is Chinese by default)."""
    api.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    from django.utils import translation

    with translation.override("en"):
        yield


def post(api, url, data=None):  # type: ignore[no-untyped-def]
    return api.post(url, data=json.dumps(data or {}), content_type="application/json")


@pytest.fixture
def household(village_a):  # type: ignore[no-untyped-def]
    return poor_household(village_a, members=((65, "head"), (40, "child")))


@pytest.fixture
def case(household, cw_baisha):  # type: ignore[no-untyped-def]
    return pg.programme_apply(
        programme="education", household=household, by=cw_baisha, applied_on=APPLIED
    )


def tekun_payload(household):  # type: ignore[no-untyped-def]
    return {
        "programme": "tekun",
        "household": household.pk,
        "person": head_of(household).pk,
        "applied_on": "2026-11-02",
        "details": {"no_income": True, "no_legal_supporter": True},
    }


class TestProgrammeCases:
    def test_full_tekun_flow(self, api, cw_baisha, ca_pengjiang, household):
        login(api, cw_baisha)
        r = post(api, CASES, tekun_payload(household))
        assert r.status_code == 201, r.json()
        body = r.json()
        assert body["status"] == "applied" and body["computation"]["floor"] == "1463"
        pk = body["id"]
        login(api, ca_pengjiang)
        r = post(api, f"{CASES}{pk}/approve/", {"amount": "1462", "on": "2026-11-03"})
        assert r.status_code == 400 and "at least 1463 yuan" in r.json()["amount"][0]
        r = post(api, f"{CASES}{pk}/approve/", {"amount": "1500", "on": "2026-11-03"})
        assert r.status_code == 200 and r.json()["status"] == "approved"
        login(api, cw_baisha)
        r = post(api, f"{CASES}{pk}/pay/", {"on": "2026-11-03"})
        assert r.status_code == 200 and r.json()["paid_on"] == "2026-11-03"
        assert [t["to_status"] for t in r.json()["transitions"]] == ["applied", "approved", "paid"]
        assert r.json()["transitions"][1]["by"] == "ca_pengjiang"

    def test_emergency_temporary_aid(self, api, cw_baisha, ca_pengjiang, household):
        login(api, cw_baisha)
        r = post(
            api,
            CASES,
            {
                "programme": "temporary",
                "household": household.pk,
                "applied_on": "2026-11-02",
                "cause": "traffic_accident",
                "event_date": "2026-11-01",
                "emergency": True,
            },
        )
        pk = r.json()["id"]
        assert r.json()["computation"]["cap"] == "18280"
        login(api, ca_pengjiang)
        r = post(api, f"{CASES}{pk}/approve/", {"amount": "6000", "on": "2026-11-02"})
        assert r.status_code == 200
        r = post(api, f"{CASES}{pk}/pay/", {"on": "2026-11-02"})
        assert r.json()["documentation_due"] == "2026-11-16"
        login(api, cw_baisha)
        r = post(api, f"{CASES}{pk}/document/", {"on": "2026-11-10"})
        assert r.status_code == 200 and r.json()["documented_on"] == "2026-11-10"
        assert r.json()["documentation_overdue"] is False

    def test_validation_errors(self, api, cw_baisha, household, household_taicheng):
        login(api, cw_baisha)
        r = post(api, CASES, {**tekun_payload(household), "household": household_taicheng.pk})
        assert r.status_code == 400 and "household" in r.json()
        r = post(
            api,
            CASES,
            {
                "programme": "low_income",
                "household": household.pk,
                "applied_on": "2026-11-02",
                "details": {"per_capita_income": "500"},
            },
        )
        assert r.status_code == 400
        assert "open a dibao case instead" in r.json()["per_capita_income"][0]
        assert not ProgrammeCase.objects.exists()

    def test_other_district_gets_404(self, api, cw_taicheng, ca_taishan, case):
        login(api, cw_taicheng)
        assert api.get(f"{CASES}{case.pk}/").status_code == 404
        assert api.get(CASES).json()["results"] == []
        for action in ("pay", "document", "close"):
            assert post(api, f"{CASES}{case.pk}/{action}/", {"reason": "x"}).status_code == 404
        login(api, ca_taishan)
        r = post(api, f"{CASES}{case.pk}/approve/", {"amount": "100", "reason": "x"})
        assert r.status_code == 404
        assert post(api, f"{CASES}{case.pk}/refuse/", {"reason": "x"}).status_code == 404
        case.refresh_from_db()
        assert case.status == "applied"

    def test_roles_get_403(self, api, cw_baisha, va_baisha, ca_pengjiang, case, household):
        login(api, cw_baisha)
        assert post(api, f"{CASES}{case.pk}/approve/", {"amount": "1"}).status_code == 403
        assert post(api, f"{CASES}{case.pk}/refuse/", {"reason": "x"}).status_code == 403
        login(api, ca_pengjiang)
        assert post(api, CASES, tekun_payload(household)).status_code == 403
        login(api, va_baisha)
        assert api.get(CASES).status_code == 403
        assert api.get(f"{CASES}{case.pk}/").status_code == 403
        assert post(api, f"{CASES}{case.pk}/pay/").status_code == 403
        assert post(api, f"{CASES}{999999}/pay/").status_code == 403  # before any lookup

    def test_anonymous_401(self, api, case):
        assert api.get(CASES).status_code == 401

    def test_list_filters(self, api, cw_baisha, case, household):
        pg.programme_apply(
            programme="disaster", household=household, by=cw_baisha, applied_on=APPLIED
        )
        login(api, cw_baisha)
        rows = api.get(CASES, {"programme": "education"}).json()["results"]
        assert [r["id"] for r in rows] == [case.pk]
        assert len(api.get(CASES, {"household": household.pk}).json()["results"]) == 2
        assert api.get(CASES, {"status": "nonsense"}).status_code == 400


class TestOutreachReports:
    def test_village_assistant_sees_only_own_village(
        self, api, va_baisha, cw_baisha, village_a, village_b
    ):
        mine = outreach.outreach_report(
            village=village_a, subject_name="王", description="困难", by=cw_baisha
        )
        outreach.outreach_report(
            village=village_b, subject_name="李", description="困难", by=cw_baisha
        )
        login(api, va_baisha)
        assert [r["id"] for r in api.get(REPORTS).json()["results"]] == [mine.pk]
        login(api, cw_baisha)
        assert len(api.get(REPORTS).json()["results"]) == 2

    def test_village_assistant_reports_own_village_only(self, api, va_baisha, village_a, village_b):
        login(api, va_baisha)
        r = post(api, REPORTS, {"village": village_b.pk, "subject_name": "李", "description": "x"})
        assert r.status_code == 400 and "village" in r.json()
        r = post(
            api, REPORTS, {"village": village_a.pk, "subject_name": "李奶奶", "description": "独居"}
        )
        assert r.status_code == 201 and r.json()["reported_by"] == "va_baisha"
        assert r.json()["status"] == "open"

    def test_convert_and_close(self, api, va_baisha, cw_baisha, village_a, household):
        a = outreach.outreach_report(
            village=village_a, subject_name="王", description="x", by=va_baisha
        )
        b = outreach.outreach_report(
            village=village_a, subject_name="李", description="x", by=va_baisha
        )
        c = outreach.outreach_report(
            village=village_a, subject_name="张", description="x", by=va_baisha
        )
        login(api, va_baisha)
        assert post(api, f"{REPORTS}{a.pk}/convert/", {"target": "dibao"}).status_code == 403
        assert post(api, f"{REPORTS}{a.pk}/close/", {"reason": "x"}).status_code == 403
        login(api, cw_baisha)
        r = post(api, f"{REPORTS}{a.pk}/convert/", {"target": "dibao", "household": household.pk})
        assert r.status_code == 200 and r.json()["status"] == "converted"
        assert DibaoCase.objects.get(pk=r.json()["dibao_case"]).household == household
        r = post(
            api,
            f"{REPORTS}{b.pk}/convert/",
            {
                "target": "medical",
                "household": household.pk,
                "details": {
                    "compliant_out_of_pocket": "30000",
                    "annual_household_income": "40000",
                },
            },
        )
        assert r.status_code == 200, r.json()
        case = ProgrammeCase.objects.get(pk=r.json()["programme_case"])
        assert case.programme == "medical" and case.computation["aid"] == "18200"
        r = post(api, f"{REPORTS}{c.pk}/close/", {"reason": "已迁出本村"})
        assert r.status_code == 200 and r.json()["closed_reason"] == "已迁出本村"
        # Closed already: a stale request, 409 like every wrong-status action.
        assert post(api, f"{REPORTS}{c.pk}/close/", {"reason": "again"}).status_code == 409
        assert OutreachReport.objects.filter(status="open").count() == 0

    def test_other_district_gets_404(self, api, cw_taicheng, va_baisha, village_a, household):
        report = outreach.outreach_report(
            village=village_a, subject_name="王", description="x", by=va_baisha
        )
        login(api, cw_taicheng)
        assert api.get(f"{REPORTS}{report.pk}/").status_code == 404
        assert api.get(REPORTS).json()["results"] == []
        r = post(api, f"{REPORTS}{report.pk}/convert/", {"target": "dibao"})
        assert r.status_code == 404
        assert post(api, f"{REPORTS}{report.pk}/close/", {"reason": "x"}).status_code == 404
        r = post(api, REPORTS, {"village": village_a.pk, "subject_name": "王", "description": "x"})
        assert r.status_code == 400

    def test_roles(self, api, ca_pengjiang, village_a):
        login(api, ca_pengjiang)  # a district reviewer reads reports but does not file them
        assert api.get(REPORTS).status_code == 200
        r = post(api, REPORTS, {"village": village_a.pk, "subject_name": "王", "description": "x"})
        assert r.status_code == 403
