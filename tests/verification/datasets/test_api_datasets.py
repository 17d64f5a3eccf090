"""/api/v1/datasets/: upload (multipart), list, retrieve, approve, refuse, errors; 400 / 403 /
409; outsiders neither see rows nor act; query counts of the list."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from verification.models import DatasetSnapshot

from .conftest import BANK_HEADER, bank_rows, csv_bytes, validated

S = DatasetSnapshot.Status
URL = "/api/v1/datasets/"
pytestmark = pytest.mark.django_db


def _post_file(api, content, **data):  # type: ignore[no-untyped-def]
    body = {"kind": "bank_deposit", "as_of": "2026-11-30", **data}
    body["file"] = SimpleUploadedFile("bank.csv", content)
    return api.post(URL, body, format="multipart")


def test_upload_then_duplicate_is_409(api, data_admin, django_capture_on_commit_callbacks):
    api.force_authenticate(data_admin)
    content = csv_bytes(BANK_HEADER, bank_rows(3))
    with django_capture_on_commit_callbacks(execute=True):
        r = _post_file(api, content)
    assert r.status_code == 201, r.content
    assert r.data["status"] == S.UPLOADED and r.data["history"][0]["action"] == "upload"
    s = DatasetSnapshot.objects.get(pk=r.data["id"])
    assert s.status == S.VALIDATED  # the eager worker ran after the commit
    r = _post_file(api, content)
    assert r.status_code == 409 and f"#{s.pk}" in r.data["detail"]


def test_upload_field_errors_are_400(api, data_admin):
    api.force_authenticate(data_admin)
    r = _post_file(api, b"x", kind="nope", as_of="2099-01-01")
    assert r.status_code == 400 and "kind" in r.data
    r = _post_file(api, b"x", as_of="2099-01-01")
    assert r.status_code == 400 and set(r.data) == {"as_of"}


@pytest.mark.parametrize("who", ["county_admin", "cw_taicheng", "ca_taishan"])
def test_outsiders_cannot_upload_approve_or_see_errors(request, api, data_admin, who):
    s = validated(data_admin, csv_bytes(BANK_HEADER, bank_rows(100, bad=3)))
    api.force_authenticate(request.getfixturevalue(who))
    assert _post_file(api, csv_bytes(BANK_HEADER, bank_rows(2))).status_code == 403
    r = api.post(f"{URL}{s.pk}/approve/", {})
    assert r.status_code in (403, 404)
    r = api.post(f"{URL}{s.pk}/refuse/", {"reason": "x"})
    assert r.status_code in (403, 404)
    assert api.get(f"{URL}{s.pk}/errors/").status_code in (403, 404)
    s.refresh_from_db()
    assert s.status == S.VALIDATED


def test_caseworker_sees_nothing(api, data_admin, cw_baisha):
    validated(data_admin, csv_bytes(BANK_HEADER, bank_rows(2)))
    api.force_authenticate(cw_baisha)
    assert api.get(URL).status_code == 403


def test_reviewer_sees_the_list_but_not_the_rows(api, data_admin, ca_pengjiang):
    s = validated(data_admin, csv_bytes(BANK_HEADER, bank_rows(100, bad=2)))
    api.force_authenticate(ca_pengjiang)
    r = api.get(URL)
    assert r.status_code == 200 and r.data["results"][0]["id"] == s.pk
    assert r.data["results"][0]["allowed_actions"] == []
    assert api.get(f"{URL}{s.pk}/errors/").status_code == 403


def test_errors_approve_and_refuse(
    api, data_admin, data_admin_2, django_capture_on_commit_callbacks
):
    s = validated(data_admin, csv_bytes(BANK_HEADER, bank_rows(100, bad=2)))
    api.force_authenticate(data_admin)
    r = api.get(f"{URL}{s.pk}/errors/")
    assert r.status_code == 200 and r.data["count"] == 2
    assert r.data["results"][0]["row_no"] == 2
    assert api.get(f"{URL}{s.pk}/").data["allowed_actions"] == ["refuse"]
    r = api.post(f"{URL}{s.pk}/approve/", {})
    assert r.status_code == 403 and "separation of duties" in r.data["detail"]
    api.force_authenticate(data_admin_2)
    assert api.post(f"{URL}{s.pk}/refuse/", {}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post(f"{URL}{s.pk}/approve/", {"reason": "ok"})
    assert r.status_code == 200 and r.data["status"] == S.APPROVED
    assert api.get(f"{URL}{s.pk}/").data["status"] == S.MERGED
    r = api.post(f"{URL}{s.pk}/refuse/", {"reason": "late"})
    assert r.status_code == 409


def test_list_filters_and_query_count(api, data_admin, django_assert_max_num_queries):
    for n in range(1, 6):
        validated(data_admin, csv_bytes(BANK_HEADER, bank_rows(n)))
    validated(data_admin, csv_bytes(BANK_HEADER, bank_rows(2)), kind="securities")
    api.force_authenticate(data_admin)
    with django_assert_max_num_queries(12):
        r = api.get(URL)
    assert r.status_code == 200 and r.data["count"] == 6
    # The same number of queries with one more row (no query per row).
    validated(data_admin, csv_bytes(BANK_HEADER, bank_rows(7)))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        api.get(URL)
    validated(data_admin, csv_bytes(BANK_HEADER, bank_rows(8)))
    with CaptureQueriesContext(connection) as two:
        api.get(URL)
    assert len(one) == len(two)
    assert api.get(URL, {"kind": "securities"}).data["count"] == 1
    assert api.get(URL, {"status": "merged"}).data["count"] == 0
    assert api.get(URL, {"status": "nope"}).status_code == 400
    assert api.get(URL, {"other": "1"}).status_code == 400
