"""The dataset pages and downloads: list, upload, detail with progress, approve / refuse, the
error report (formula-safe) and the templates; outsiders neither see rows nor act."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from verification.models import DatasetSnapshot

from .conftest import BANK_HEADER, bank_rows, csv_bytes, validated

S = DatasetSnapshot.Status
pytestmark = pytest.mark.django_db


def _book(resp):  # type: ignore[no-untyped-def]
    return list(load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=True))


def test_list_and_filters(client, data_admin, django_assert_max_num_queries):
    for n in range(1, 4):
        validated(data_admin, csv_bytes(BANK_HEADER, bank_rows(n)))
    client.force_login(data_admin)
    with django_assert_max_num_queries(12):
        r = client.get("/verification/datasets/")
    assert r.status_code == 200 and r.content.count(b'data-status="validated"') == 3
    r = client.get("/verification/datasets/?kind=securities")
    assert b'data-status="validated"' not in r.content
    assert client.get("/verification/datasets/?status=nope").status_code == 404


def test_upload_page_then_detail(client, data_admin, django_capture_on_commit_callbacks):
    client.force_login(data_admin)
    assert client.get("/verification/datasets/upload/").status_code == 200
    content = csv_bytes(BANK_HEADER, bank_rows(3))
    f = SimpleUploadedFile("bank.csv", content)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            "/verification/datasets/upload/",
            {"kind": "bank_deposit", "as_of": "2026-11-30", "file": f},
        )
    s = DatasetSnapshot.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/verification/datasets/{s.pk}/"
    r = client.get(r["Location"])
    assert r.status_code == 200 and b'data-testid="snapshot-counts"' in r.content
    assert b'data-testid="refuse"' in r.content and b'data-testid="approve"' not in r.content
    # The same file again: a form error naming the snapshot.
    f = SimpleUploadedFile("bank.csv", content)
    r = client.post(
        "/verification/datasets/upload/", {"kind": "bank_deposit", "as_of": "2026-11-30", "file": f}
    )
    assert r.status_code == 400 and f"#{s.pk}".encode() in r.content


def test_progress_poll_while_validating(client, data_admin):
    from .conftest import upload

    s = upload(data_admin, csv_bytes(BANK_HEADER, bank_rows(2)))
    client.force_login(data_admin)
    r = client.get(f"/verification/datasets/{s.pk}/progress/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and b"job-progress" in r.content
    DatasetSnapshot.objects.filter(pk=s.pk).update(status=S.VALIDATED)
    r = client.get(f"/verification/datasets/{s.pk}/progress/", HTTP_HX_REQUEST="true")
    assert r.status_code == 204 and r["HX-Refresh"] == "true"


def test_approve_from_the_page(
    client, data_admin, data_admin_2, django_capture_on_commit_callbacks
):
    s = validated(data_admin, csv_bytes(BANK_HEADER, bank_rows(2)))
    client.force_login(data_admin)
    r = client.post(f"/verification/datasets/{s.pk}/approve/", {"approve-reason": ""})
    assert r.status_code == 403
    client.force_login(data_admin_2)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/verification/datasets/{s.pk}/approve/", {"approve-reason": "ok"})
    assert r.status_code == 302
    s.refresh_from_db()
    assert s.status == S.MERGED
    r = client.post(f"/verification/datasets/{s.pk}/refuse/", {"refuse-reason": "late"})
    assert r.status_code == 302  # stale: a warning, nothing changed
    s.refresh_from_db()
    assert s.status == S.MERGED


def test_error_report_neutralises_formulas(client, data_admin):
    rows = bank_rows(100)
    rows[0][3] = '=HYPERLINK("http://evil")'  # not an amount: its cell goes to the report
    rows[1][3] = "@SUM(1)"
    s = validated(data_admin, csv_bytes(BANK_HEADER, rows))
    client.force_login(data_admin)
    r = client.get(f"/verification/datasets/{s.pk}/errors.xlsx")
    assert r.status_code == 200
    book = _book(r)
    assert book[0] == ("Row", "Column", "Value", "Message")
    values = [row[2] for row in book[1:]]
    assert '\'=HYPERLINK("http://evil"' in values[0] and values[1] == "'@SUM(1)"
    detail = client.get(f"/verification/datasets/{s.pk}/")
    assert b'data-testid="snapshot-errors"' in detail.content


def test_the_template_per_kind(client, data_admin):
    client.force_login(data_admin)
    r = client.get("/verification/datasets/template/bank_deposit.xlsx")
    assert r.status_code == 200
    assert _book(r)[0] == ("ID number*", "Name", "Bank*", "Balance*")
    assert client.get("/verification/datasets/template/nope.xlsx").status_code == 404


@pytest.mark.parametrize("who", ["county_admin", "ca_taishan", "ca_pengjiang"])
def test_others_see_no_rows_and_cannot_act(request, client, data_admin, who):
    s = validated(data_admin, csv_bytes(BANK_HEADER, bank_rows(100, bad=2)))
    client.force_login(request.getfixturevalue(who))
    r = client.get(f"/verification/datasets/{s.pk}/")
    assert r.status_code == 200
    assert b"110105194912310021" not in r.content and b"snapshot-errors" not in r.content
    assert b'data-testid="refuse"' not in r.content
    assert client.get(f"/verification/datasets/{s.pk}/errors.xlsx").status_code == 403
    assert client.get("/verification/datasets/upload/").status_code == 403
    r = client.post(f"/verification/datasets/{s.pk}/refuse/", {"refuse-reason": "x"})
    assert r.status_code == 403
    s.refresh_from_db()
    assert s.status == S.VALIDATED


def test_a_caseworker_has_no_dataset_pages(client, cw_baisha):
    client.force_login(cw_baisha)
    assert client.get("/verification/datasets/").status_code == 403
