"""The batch pages: list with filters and the overdue flag, detail with verification, files and
the receipt; scoped (a district user sees nothing, changes nothing)."""

import pytest

from transitions.models import ExchangeBatch

from ...assistance.conftest import on_day
from ...conftest import login
from .conftest import DEC, IN_JAN, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(case, data_admin) -> ExchangeBatch:  # type: ignore[no-untyped-def]
    return build("dibao_to_social_security", DEC, data_admin)


def test_the_list_shows_the_batches_with_their_overdue_flag(client, batch, ss_city, settings):
    login(client, ss_city)
    with on_day(IN_JAN):
        r = client.get("/handoffs/exchange/?stream=dibao_to_social_security&period=2026-12")
    assert r.status_code == 200 and f"/handoffs/exchange/{batch.pk}/" in r.content.decode()
    assert 'data-testid="overdue"' not in r.content.decode()
    with on_day(IN_JAN.replace(day=28)):
        r = client.get("/handoffs/exchange/?status=overdue")
    assert 'data-testid="overdue"' in r.content.decode()
    assert client.get("/handoffs/exchange/?stream=nope").status_code == 404


def test_the_detail_verifies_serves_files_and_acknowledges(client, batch, ss_city):
    login(client, ss_city)
    with on_day(IN_JAN):
        r = client.get(f"/handoffs/exchange/{batch.pk}/")
        page = r.content.decode()
        assert 'data-testid="verified"' in page and 'data-testid="acknowledge"' in page
        name = batch.files.get(name__endswith=".csv").name
        f = client.get(f"/handoffs/exchange/{batch.pk}/files/{name}")
        assert f.status_code == 200 and b"".join(f.streaming_content).startswith(b"\xef\xbb\xbf")
        r = client.post(f"/handoffs/exchange/{batch.pk}/acknowledge/", {"reason": "收到"})
    assert r.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "acknowledged" and batch.acknowledged_by == ss_city


def test_the_sender_sees_no_acknowledge_button(client, batch, data_admin):
    login(client, data_admin)
    with on_day(IN_JAN):
        page = client.get(f"/handoffs/exchange/{batch.pk}/").content.decode()
    assert 'data-testid="acknowledge"' not in page


def test_an_outsider_of_another_district_sees_and_changes_nothing(
    client, batch, ca_taishan, po_pengjiang
):
    for outsider in (ca_taishan, po_pengjiang):
        login(client, outsider)
        with on_day(IN_JAN):
            listing = client.get("/handoffs/exchange/")
            assert listing.status_code == 200
            assert f"/handoffs/exchange/{batch.pk}/" not in listing.content.decode()
            assert client.get(f"/handoffs/exchange/{batch.pk}/").status_code == 404
            name = batch.files.first().name
            assert client.get(f"/handoffs/exchange/{batch.pk}/files/{name}").status_code == 404
            r = client.post(f"/handoffs/exchange/{batch.pk}/acknowledge/", {"reason": ""})
            assert r.status_code == 404
            r = client.post(
                "/handoffs/exchange/", {"stream": "dibao_to_poverty", "period": "2026-11"}
            )
            assert r.status_code == 403
    batch.refresh_from_db()
    assert batch.status == "built"
    assert ExchangeBatch.objects.count() == 1


def test_the_build_form_refuses_an_unfinished_month(client, data_admin):
    login(client, data_admin)
    with on_day(IN_JAN):
        r = client.post("/handoffs/exchange/", {"stream": "dibao_to_poverty", "period": "2027-01"})
    assert r.status_code == 200 and "must be a month that has ended" in r.content.decode()
    assert not ExchangeBatch.objects.exists()


def test_the_build_form_starts_the_job(client, data_admin, django_capture_on_commit_callbacks):
    login(client, data_admin)
    with on_day(IN_JAN), django_capture_on_commit_callbacks() as callbacks:
        r = client.post("/handoffs/exchange/", {"stream": "dibao_to_poverty", "period": "2026-12"})
    assert r.status_code == 302 and "/handoffs/exchange/jobs/" in r["Location"]
    assert len(callbacks) == 1
    with on_day(IN_JAN):
        assert client.get(r["Location"]).status_code == 200
