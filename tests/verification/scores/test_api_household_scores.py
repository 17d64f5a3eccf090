"""/api/v1/household-scores/: list by household, retrieve, POST compute; scoping; schema."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS

from verification.models import HouseholdScore
from verification.scores import services

from ...conftest import login
from .conftest import ON

pytestmark = pytest.mark.django_db

URL = "/api/v1/household-scores/"
NOW = dt.datetime(2025, 6, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


def test_compute_list_and_retrieve(api, scored, cw_baisha):  # type: ignore[no-untyped-def]
    household, case = scored
    login(api, cw_baisha)
    r = api.post(URL, {"household": household.pk, "case": case.pk}, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["score"] == "55.59" and body["weights_version"] == "default-2017"
    assert body["factors"]["income"]["contribution"] == "33.34"
    assert body["case"] == case.pk and body["on"] == ON.isoformat()
    assert body["computed_by"] == "cw_baisha"
    listed = api.get(URL, {"household": household.pk}).json()
    assert [s["id"] for s in listed["results"]] == [body["id"]]
    assert api.get(f"{URL}{body['id']}/").json()["score"] == "55.59"


def test_bad_input_is_400(api, scored, household_b, cw_baisha):  # type: ignore[no-untyped-def]
    _, case = scored
    login(api, cw_baisha)
    assert "household" in api.post(URL, {}, format="json").json()
    r = api.post(URL, {"household": household_b.pk, "case": case.pk}, format="json")
    assert r.status_code == 400 and "case" in r.json()
    assert api.get(URL, {"household": "x"}).status_code == 400
    assert api.get(URL, {"nope": 1}).status_code == 400
    assert not HouseholdScore.objects.exists()


def test_outsider_neither_sees_nor_computes(api, scored, cw_baisha, ca_taishan):  # type: ignore[no-untyped-def]
    household, case = scored
    s = services.household_score_compute(household=household, case=case, on=ON, by=cw_baisha)
    login(api, ca_taishan)
    assert api.get(URL).json()["results"] == []
    assert api.get(f"{URL}{s.pk}/").status_code == 404
    r = api.post(URL, {"household": household.pk}, format="json")
    assert r.status_code == 400 and "household" in r.json()
    assert HouseholdScore.objects.count() == 1


def test_a_role_without_the_permission_is_403(api, scored, va_baisha, data_admin):  # type: ignore[no-untyped-def]
    household, _ = scored
    login(api, va_baisha)
    assert api.get(URL).status_code == 403
    login(api, data_admin)
    assert api.post(URL, {"household": household.pk}, format="json").status_code == 403


def test_unauthenticated_is_401(api):  # type: ignore[no-untyped-def]
    assert api.get(URL).status_code == 401
    assert api.post(URL, {}, format="json").status_code == 401


def test_list_query_count(api, scored, cw_baisha, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    household, case = scored
    for _ in range(6):
        services.household_score_compute(household=household, case=case, on=ON, by=cw_baisha)
    login(api, cw_baisha)
    api.get(URL)
    with django_assert_max_num_queries(8):
        assert len(api.get(URL).json()["results"]) == 6


def test_in_the_schema_without_warnings(api, cw_baisha, tmp_path):  # type: ignore[no-untyped-def]
    schema = json.loads(login(api, cw_baisha).get("/api/schema/", {"format": "json"}).content)
    assert {"get", "post"} <= set(schema["paths"][URL])
    assert "get" in schema["paths"][URL + "{id}/"]
    GENERATOR_STATS.reset()
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))
