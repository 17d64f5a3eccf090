"""The supervision page, /api/v1/supervision/ and the annual workbook: the same figures,
scoped, formula-safe, built as a background job."""

import datetime as dt
from io import BytesIO

import openpyxl
import pytest
from django.urls import reverse

from core.models import AccessLog, Job, Region
from transitions.supervision import selectors
from transitions.supervision.selectors import MEASURES
from transitions.supervision.services import (
    JOB_KIND,
    supervision_workbook_request,
    supervision_workbook_run,
)
from transitions.supervision.workbook import supervision_workbook, year_months

from ...conftest import login
from ...factories import household_with_members
from .conftest import NOV, S, case

pytestmark = pytest.mark.django_db
URL = "/api/v1/supervision/"


@pytest.fixture
def confirmed(cw_baisha, village_a):  # type: ignore[no-untyped-def]
    return case(
        household_with_members(village_a),
        cw_baisha,
        status=S.CONFIRMED,
        accepted_on=dt.date(2026, 11, 2),
        confirmed_on=dt.date(2026, 11, 9),
        procedure_due=dt.date(2026, 12, 14),
    )


# ----------------------------------------------------------------------------- page


def test_the_page_shows_every_measure_and_the_districts(confirmed, supervisor, client):  # type: ignore[no-untyped-def]
    login(client, supervisor)
    page = client.get(reverse("transitions:supervision"), {"month": "2026-11"})
    assert page.status_code == 200
    html = page.content.decode()
    for m in MEASURES:
        assert f'data-testid="section-{m.key}"' in html
        assert f'id="chart-{m.key}"' in html  # the chart's json_script
    assert 'data-col="440781"' in html and 'data-col=""' in html  # 台山 and the total


def test_the_district_reviewer_sees_only_their_district(confirmed, ca_pengjiang, client):  # type: ignore[no-untyped-def]
    login(client, ca_pengjiang)
    html = client.get(reverse("transitions:supervision")).content.decode()
    assert 'data-col="440703"' in html
    assert 'data-col="440781"' not in html


def test_roles_without_supervision_are_refused(cw_baisha, client):  # type: ignore[no-untyped-def]
    login(client, cw_baisha)
    assert client.get(reverse("transitions:supervision")).status_code == 403


def test_a_bad_or_future_month_is_an_error_on_the_page(supervisor, client):  # type: ignore[no-untyped-def]
    login(client, supervisor)
    for month in ("2026-13", "2027-01"):
        page = client.get(reverse("transitions:supervision"), {"month": month})
        assert page.status_code == 200 and page.context["error"] and page.context["report"] is None


# ----------------------------------------------------------------------------- API


def test_api_has_the_pages_figures(confirmed, supervisor, api):  # type: ignore[no-untyped-def]
    login(api, supervisor)
    body = api.get(URL, {"month": "2026-11"}).json()
    assert body["month"] == "2026-11" and body["as_of"] == "2026-11-28"
    assert [d["code"] for d in body["districts"]][-1] == ""  # the total last
    assert len(body["districts"]) == 8
    procedure = next(m for m in body["measures"] if m["key"] == "procedure")
    median = next(f for f in procedure["figures"] if f["key"] == "median_wd")
    report = selectors.supervision_month(user=supervisor, month=NOV)
    pj = next(d for d in report.districts if d.code == "440703")
    assert median["values"]["440703"] == str(pj.median_wd) == "5.0"
    assert {m["key"] for m in body["measures"]} == {m.key for m in MEASURES}
    assert any(t["code"] == "440703002" for t in body["towns"])


def test_api_scoped_to_the_district_and_the_outsider(confirmed, ca_pengjiang, ca_taishan, api):  # type: ignore[no-untyped-def]
    login(api, ca_pengjiang)
    assert [d["code"] for d in api.get(URL).json()["districts"]] == ["440703"]
    login(api, ca_taishan)
    body = api.get(URL, {"month": "2026-11"}).json()
    assert [d["code"] for d in body["districts"]] == ["440781"]
    procedure = next(m for m in body["measures"] if m["key"] == "procedure")
    confirmed_fig = next(f for f in procedure["figures"] if f["key"] == "confirmed")
    assert confirmed_fig["values"] == {"440781": 0}  # 蓬江's confirmation is not theirs


def test_api_refuses_other_roles_and_bad_months(cw_baisha, supervisor, api):  # type: ignore[no-untyped-def]
    assert api.get(URL).status_code == 401
    login(api, cw_baisha)
    assert api.get(URL).status_code == 403
    login(api, supervisor)
    bad = api.get(URL, {"month": "November"})
    assert bad.status_code == 400 and "month" in bad.json()
    assert api.get(URL, {"month": "2027-01"}).status_code == 400


# ----------------------------------------------------------------------------- workbook


def _book(body: bytes):  # type: ignore[no-untyped-def]
    return openpyxl.load_workbook(BytesIO(body))


def test_workbook_one_sheet_per_measure_districts_side_by_side(confirmed, supervisor):  # type: ignore[no-untyped-def]
    months = year_months(2026)
    assert months[0] == dt.date(2026, 1, 1) and months[-1] == NOV  # up to this month
    book = _book(supervision_workbook(user=supervisor, months=months))
    assert book.sheetnames == [str(m.title)[:31] for m in MEASURES]
    ws = book[str(MEASURES[0].title)]
    header = [c.value for c in ws[1]]
    names = list(
        Region.objects.filter(level="county").order_by("code").values_list("name", flat=True)
    )
    assert header == ["Figure", "Month", *names, "Total"]
    rows = {(r[0], r[1]): r for r in ws.iter_rows(min_row=2, values_only=True)}
    nov = rows[("Confirmed this month", "2026-11")]
    assert nov[2 + names.index("蓬江区")] == 1 and nov[-1] == 1
    assert rows[("Confirmed this month", "2026-10")][-1] == 0
    # A row per figure and month.
    assert ws.max_row == 1 + len(MEASURES[0].figures) * len(months)


def test_workbook_is_formula_safe(supervisor):  # type: ignore[no-untyped-def]
    Region.objects.filter(code="440704").update(name='=HYPERLINK("http://x","y")')
    book = _book(supervision_workbook(user=supervisor, months=[NOV]))
    header = [c.value for c in book[str(MEASURES[0].title)][1]]
    assert '\'=HYPERLINK("http://x","y")' in header
    for ws in book.worksheets:
        for row in ws.iter_rows(values_only=True):
            assert not any(isinstance(v, str) and v.startswith("=") for v in row)


def test_workbook_of_a_district_reviewer_has_their_district_only(ca_pengjiang):  # type: ignore[no-untyped-def]
    book = _book(supervision_workbook(user=ca_pengjiang, months=[NOV]))
    assert [c.value for c in book.worksheets[0][1]] == ["Figure", "Month", "蓬江区"]


def test_workbook_job_and_download(confirmed, supervisor, ca_taishan, client, settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path)
    job = supervision_workbook_request(year=2026, by=supervisor)
    assert job.kind == JOB_KIND and job.status == "queued"
    name = supervision_workbook_run(job_id=job.pk)
    assert name
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.percent == 100
    assert supervision_workbook_run(job_id=job.pk) is None  # delivered twice: built once
    login(client, supervisor)
    page = client.get(reverse("transitions:supervision_job", args=[job.pk]))
    assert 'data-testid="workbook-download"' in page.content.decode()
    download = client.get(reverse("transitions:supervision_download", args=[job.pk]))
    assert download.status_code == 200
    assert _book(download.content).sheetnames[0] == str(MEASURES[0].title)
    assert AccessLog.objects.filter(user=supervisor, action=AccessLog.Action.EXPORT).exists()
    login(client, ca_taishan)  # another user's job does not exist for them
    assert client.get(reverse("transitions:supervision_download", args=[job.pk])).status_code == 404


def test_workbook_request_from_the_page(supervisor, cw_baisha, client):  # type: ignore[no-untyped-def]
    login(client, supervisor)
    resp = client.post(reverse("transitions:supervision_workbook"), {"year": 2026})
    job = Job.objects.get(kind=JOB_KIND)
    assert resp.status_code == 302 and resp["Location"].endswith(f"/supervision/jobs/{job.pk}/")
    bad = client.post(reverse("transitions:supervision_workbook"), {"year": 2030})
    assert bad.status_code == 302 and Job.objects.filter(kind=JOB_KIND).count() == 1
    login(client, cw_baisha)
    assert (
        client.post(reverse("transitions:supervision_workbook"), {"year": 2026}).status_code == 403
    )
