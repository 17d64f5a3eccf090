"""The inbound batch pages (list, receive form, detail with row report, progress and exports)
and the reconciliation run's progress page: the API's permissions and scope (city-level users
granted VIEW_INBOUND; receiving for data administrators)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import Job
from core.roles import Role
from transitions.models import InboundBatch, InboundRowError

from ...assistance.conftest import on_day
from ...conftest import login
from ...factories import UserFactory, region
from .conftest import (
    DAY,
    REGISTER_HEADERS,
    csv_file,
    imported,
    receive,
    register,
    register_rows,
)

pytestmark = pytest.mark.django_db
LIST = reverse("transitions:inbound_list")
RECEIVE = reverse("transitions:inbound_receive")


@pytest.fixture
def batch(household_a, data_admin):  # type: ignore[no-untyped-def]
    register(household_a)
    rows = register_rows(household_a)
    rows.append(rows[0])  # a duplicate person: a row report line
    return imported("national_register", rows, by=data_admin)


def _list_queries(client) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(LIST)
    assert r.status_code == 200
    return len(ctx.captured_queries)


def test_list_renders_filters_and_constant_queries(client, data_admin, household_a, household_b):
    login(client, data_admin)
    imported("national_register", register_rows(household_a), by=data_admin)
    one = _list_queries(client)
    imported("national_register", register_rows(household_b), by=data_admin, sequence=2)
    imported("national_register", register_rows(household_a)[:1], by=data_admin, sequence=3)
    assert _list_queries(client) == one
    r = client.get(LIST)
    assert len(r.context["page"]) == 3
    body = r.content.decode()
    assert reverse("transitions:inbound_receive") in body
    assert "国家" in body or "National" in body
    assert len(client.get(LIST, {"status": "imported"}).context["page"]) == 3
    assert len(client.get(LIST, {"stream": "insurance_enrolments"}).context["page"]) == 0
    assert client.get(LIST, {"status": "bogus"}).status_code == 404
    assert client.get(LIST, {"stream": "bogus"}).status_code == 404


def test_reconciliation_page_links_to_the_inbound_batches(client, data_admin, ca_pengjiang):
    login(client, data_admin)
    assert LIST in client.get(reverse("transitions:reconciliation_list")).content.decode()
    login(client, ca_pengjiang)  # sees differences, not the inbound files
    assert LIST not in client.get(reverse("transitions:reconciliation_list")).content.decode()


def test_detail_counts_row_report_and_history(client, batch, ss_city):
    login(client, ss_city)  # city-level, VIEW_INBOUND: reads, cannot receive
    r = client.get(reverse("transitions:inbound_detail", args=[batch.pk]))
    assert r.status_code == 200
    assert r.context["batch"] == batch
    assert batch.matched == 3 and batch.duplicates == 1
    assert [e.row_no for e in r.context["page"]] == [
        e.row_no for e in InboundRowError.objects.filter(batch=batch)
    ]
    assert len(r.context["page"]) == 1
    body = r.content.decode()
    assert 'data-testid="counts"' in body and 'data-testid="job-progress"' not in body
    assert reverse("transitions:inbound_receive") not in client.get(LIST).content.decode()
    assert client.get(RECEIVE).status_code == 403


def test_gap_warning_on_the_detail(client, household_a, data_admin):
    b = imported("national_register", register_rows(household_a), by=data_admin, sequence=3)
    login(client, data_admin)
    r = client.get(reverse("transitions:inbound_detail", args=[b.pk]))
    assert 'data-testid="problems"' in r.content.decode()
    assert [p["code"] for p in b.problems] == ["sequence_gap"]


@pytest.mark.parametrize("persona", ["ca_taishan", "cw_baisha"])
def test_users_without_the_permission_get_403(client, batch, persona, request):
    login(client, request.getfixturevalue(persona))
    assert client.get(LIST).status_code == 403
    assert client.get(reverse("transitions:inbound_detail", args=[batch.pk])).status_code == 403
    export = reverse("transitions:inbound_export", args=[batch.pk, "errors", "csv"])
    assert client.get(export).status_code == 403
    assert client.get(RECEIVE).status_code == 403
    assert client.post(RECEIVE, {}).status_code == 403


@pytest.mark.parametrize("persona", ["po_taishan", "po_pengjiang"])
def test_district_users_see_no_batch(client, batch, persona, request):
    """VIEW_INBOUND but not city level (the 台山市 outsider, a district's office): nothing."""
    login(client, request.getfixturevalue(persona))
    r = client.get(LIST)
    assert r.status_code == 200 and list(r.context["page"]) == []
    assert client.get(reverse("transitions:inbound_detail", args=[batch.pk])).status_code == 404
    assert client.get(reverse("transitions:inbound_progress", args=[batch.pk])).status_code == 404
    for part in ("comparison", "errors"):
        url = reverse("transitions:inbound_export", args=[batch.pk, part, "csv"])
        assert client.get(url).status_code == 404


def test_receive_form_shows_field_errors_and_creates_nothing(client, data_admin, household_a):
    login(client, data_admin)
    assert client.get(RECEIVE).status_code == 200
    empty = client.post(RECEIVE, {})
    assert empty.status_code == 400 and {"sender", "stream", "period", "file"} <= set(
        empty.context["form"].errors
    )
    upload = csv_file(REGISTER_HEADERS, register_rows(household_a))
    with on_day(DAY):
        r = client.post(
            RECEIVE,
            {
                "sender": "national_register",
                "stream": "national_register",
                "period": "2026-12",
                "sequence": "0",
                "file": upload,
            },
        )
    assert r.status_code == 400
    assert "sequence" in r.context["form"].errors
    # The service's refusal lands on its field: the social-security agency does not send the
    # national register.
    upload = csv_file(REGISTER_HEADERS, register_rows(household_a))
    with on_day(DAY):
        r = client.post(
            RECEIVE,
            {
                "sender": "social_security",
                "stream": "national_register",
                "period": "2026-12",
                "sequence": "1",
                "file": upload,
            },
        )
    assert r.status_code == 400
    assert "sender" in r.context["form"].errors
    upload = csv_file(REGISTER_HEADERS, register_rows(household_a))
    with on_day(DAY):
        r = client.post(
            RECEIVE,
            {
                "sender": "national_register",
                "stream": "national_register",
                "period": "2026-12",
                "sequence": "1",
                "sha256": "0" * 64,
                "file": upload,
            },
        )
    assert r.status_code == 400 and "sha256" in r.context["form"].errors
    assert "checksum" in r.content.decode() or "校验" in r.content.decode()
    assert not InboundBatch.objects.exists()
    assert not Job.objects.exists()


def test_receive_form_starts_the_import_and_shows_its_progress(
    client, data_admin, household_a, django_capture_on_commit_callbacks
):
    login(client, data_admin)
    upload = csv_file(REGISTER_HEADERS, register_rows(household_a))
    with on_day(DAY), django_capture_on_commit_callbacks(execute=False):
        r = client.post(
            RECEIVE,
            {
                "sender": "national_register",
                "stream": "national_register",
                "period": "2026-12",
                "sequence": "1",
                "file": upload,
            },
        )
    batch = InboundBatch.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse(
        "transitions:inbound_detail", args=[batch.pk]
    )
    r = client.get(r["Location"])
    body = r.content.decode()
    assert 'data-testid="job-progress"' in body
    progress = reverse("transitions:inbound_progress", args=[batch.pk])
    assert f'hx-get="{progress}"' in body
    assert len(list(r.context["messages"])) == 1
    r = client.get(progress, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'data-testid="job-progress"' in r.content.decode()
    from transitions.reconciliation import inbound

    with on_day(DAY):
        inbound.inbound_batch_import(batch_id=batch.pk)
    r = client.get(progress, HTTP_HX_REQUEST="true")
    assert r.status_code == 204 and r["HX-Refresh"] == "true"


def test_exports_are_formula_safe(client, batch, data_admin):
    InboundRowError.objects.create(
        batch=batch, row_no=9, column="姓名", value='=HYPERLINK("http://x")', message="-bad"
    )
    login(client, data_admin)
    errors = client.get(reverse("transitions:inbound_export", args=[batch.pk, "errors", "csv"]))
    assert errors.status_code == 200 and "attachment" in errors["Content-Disposition"]
    text = errors.content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'-bad" in text
    assert "\r\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    comparison = client.get(
        reverse("transitions:inbound_export", args=[batch.pk, "comparison", "csv"])
    )
    lines = comparison.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 1 + batch.matched + batch.new + batch.changed + batch.unmatched
    assert all("*" in line.split(",")[2] for line in lines[1:])  # ID numbers masked
    xlsx = client.get(reverse("transitions:inbound_export", args=[batch.pk, "errors", "xlsx"]))
    assert xlsx.status_code == 200
    bogus = reverse("transitions:inbound_export", args=[batch.pk, "persons", "csv"])
    assert client.get(bogus).status_code == 404


def test_run_shows_the_jobs_progress(client, data_admin, django_capture_on_commit_callbacks):
    login(client, data_admin)
    with django_capture_on_commit_callbacks(execute=False):
        r = client.post(reverse("transitions:reconciliation_run"))
    job = Job.objects.get(kind="reconciliation_run")
    url = reverse("transitions:reconciliation_job", args=[job.pk])
    assert r.status_code == 302 and r["Location"] == url
    body = client.get(url).content.decode()
    assert 'data-testid="job-progress"' in body and f'hx-get="{url}"' in body
    assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200
    Job.objects.filter(pk=job.pk).update(status=Job.Status.DONE)
    done = client.get(url, HTTP_HX_REQUEST="true")
    assert done.status_code == 204 and done["HX-Refresh"] == "true"
    other = UserFactory(username="data_admin_2", role=Role.DATA_ADMIN, region=region("440700"))
    login(client, other)
    assert client.get(url).status_code == 404  # another's job


def test_outsider_cannot_follow_a_run(client, data_admin, ca_taishan):
    job = Job.objects.create(kind="reconciliation_run", created_by=data_admin)
    login(client, ca_taishan)
    url = reverse("transitions:reconciliation_job", args=[job.pk])
    assert client.get(url).status_code == 403


__all__ = ["receive"]
