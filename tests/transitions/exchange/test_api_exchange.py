"""/api/v1/exchange-batches/: list, detail, build, acknowledge; bad input 400, a stale receipt
409, another district's user sees nothing (404) and builds nothing (403)."""

import pytest

from transitions.models import ExchangeBatch

from ...assistance.conftest import on_day
from ...conftest import login
from .conftest import DEC, IN_JAN, build

pytestmark = pytest.mark.django_db
URL = "/api/v1/exchange-batches/"


@pytest.fixture
def batch(case, data_admin) -> ExchangeBatch:  # type: ignore[no-untyped-def]
    return build("dibao_to_social_security", DEC, data_admin)


def test_list_and_detail(api, batch, ss_city):
    login(api, ss_city)
    with on_day(IN_JAN):
        r = api.get(URL, {"stream": "dibao_to_social_security", "period": "2026-12"})
        assert r.status_code == 200
        assert [b["id"] for b in r.json()["results"]] == [batch.pk]
        d = api.get(f"{URL}{batch.pk}/").json()
    assert d["problems"] == [] and d["allowed_actions"] == ["acknowledge"]
    assert d["manifest"]["sequence"] == 1 and len(d["files"]) == 3
    assert api.get(URL, {"stream": "nope"}).status_code == 400


def test_acknowledge_then_409(api, batch, ss_city):
    login(api, ss_city)
    with on_day(IN_JAN):
        r = api.post(f"{URL}{batch.pk}/acknowledge/", {"reason": "收到"}, format="json")
        assert r.status_code == 200 and r.json()["status"] == "acknowledged"
        assert r.json()["acknowledged_by"] == "ss_city"
        r = api.post(f"{URL}{batch.pk}/acknowledge/", {}, format="json")
    assert r.status_code == 409


def test_build_validates_its_input(api, data_admin):
    login(api, data_admin)
    with on_day(IN_JAN):
        r = api.post(f"{URL}build/", {"stream": "nope", "period": "2026-12"}, format="json")
        assert r.status_code == 400 and list(r.json()) == ["stream"]
        r = api.post(
            f"{URL}build/", {"stream": "dibao_to_poverty", "period": "2027-01"}, format="json"
        )
        assert r.status_code == 400 and list(r.json()) == ["period"]
        r = api.post(
            f"{URL}build/", {"stream": "dibao_to_poverty", "period": "26/12"}, format="json"
        )
        assert r.status_code == 400 and list(r.json()) == ["period"]
    assert not ExchangeBatch.objects.exists()


def test_build_starts_a_job_or_answers_the_existing_batch(
    api, batch, data_admin, django_capture_on_commit_callbacks
):
    login(api, data_admin)
    with on_day(IN_JAN), django_capture_on_commit_callbacks() as callbacks:
        r = api.post(
            f"{URL}build/", {"stream": "dibao_to_poverty", "period": "2026-12"}, format="json"
        )
        assert r.status_code == 202 and r.json()["job"]
        r = api.post(
            f"{URL}build/",
            {"stream": "dibao_to_social_security", "period": "2026-12"},
            format="json",
        )
    assert r.status_code == 200 and r.json()["id"] == batch.pk
    assert len(callbacks) == 1  # only the month not built yet was queued


def test_an_outsider_of_another_district_sees_and_changes_nothing(api, batch, ca_taishan):
    login(api, ca_taishan)
    with on_day(IN_JAN):
        assert api.get(URL).json()["results"] == []
        assert api.get(f"{URL}{batch.pk}/").status_code == 404
        r = api.post(f"{URL}{batch.pk}/acknowledge/", {}, format="json")
        assert r.status_code == 404
        r = api.post(
            f"{URL}build/", {"stream": "dibao_to_poverty", "period": "2026-12"}, format="json"
        )
        assert r.status_code == 403
    batch.refresh_from_db()
    assert batch.status == "built" and ExchangeBatch.objects.count() == 1
