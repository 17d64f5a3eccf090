"""/api/dci/v1/registry/sync/search/: scope, grant, refusals (each logged), pagination, as-of,
query count."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assistance.models import CaseTransition, DibaoCase
from households.models import Membership
from transitions.models import RegistryCall, RegistryTransaction

from ...factories import UserFactory, household_with_members
from .conftest import TODAY, call, make_client, search, token_for

pytestmark = pytest.mark.django_db


def ids(r) -> list[int]:  # type: ignore[no-untyped-def]
    return [rec["person_id"] for rec in r.json()["reg_records"]]


def test_sees_only_its_regions_and_fields(api, hrss, household_a, household_taicheng):
    token = token_for(hrss.application)
    r = search(api, token)
    assert r.status_code == 200, r.json()
    body = r.json()
    mine = set(household_a.memberships.values_list("person_id", flat=True))
    assert set(ids(r)) == mine  # 台山's household is outside 蓬江区
    assert body["pagination"]["total_count"] == 3
    assert set(body["reg_records"][0]) == {
        "person_id",
        "name",
        "household_id",
        "region_code",
        "dibao_status",
    }  # no id_number, phone, birth_date: not granted
    assert body["reg_records"][0]["region_code"] == household_a.village.code
    # The outsider's person, looked up by id, is not found.
    outsider = household_taicheng.memberships.first().person_id
    r = search(
        api, token, query_type="idtype-value", query={"type": "person_id", "value": outsider}
    )
    assert r.status_code == 200 and r.json()["reg_records"] == []
    # Another client granted 台山 only sees that one.
    taishan = make_client(name="台山系统", regions=("440781",))
    r = search(api, token_for(taishan.application))
    assert set(ids(r)) == set(household_taicheng.memberships.values_list("person_id", flat=True))


@pytest.mark.parametrize(
    ("criteria", "status", "code"),
    [
        ({"fields": ["name", "phone"]}, 403, "field_not_granted"),
        ({"region_code": "440781"}, 403, "region_not_granted"),
        ({"region_code": "440700"}, 403, "region_not_granted"),  # wider than the grant
        ({"region_code": "999999"}, 400, "unknown_region"),
        ({"pagination": {"page_size": 101}}, 400, "page_size_over_limit"),
        ({"pagination": {"page_size": 0}}, 400, "bad_pagination"),
        (
            {"query_type": "idtype-value", "query": {"type": "passport", "value": "E1"}},
            400,
            "unknown_id_type",
        ),
        # Looking up by ID number confirms a guess: needs id_number in the grant.
        (
            {
                "query_type": "idtype-value",
                "query": {"type": "id_number", "value": "440524188001010014"},
            },
            403,
            "field_not_granted",
        ),
        ({"query_type": "sql"}, 400, "unknown_query_type"),
        ({"query": {"expression": "name = 1"}}, 400, "malformed_expression"),
        ({"query": {"expression": [{"attribute_name": "name"}]}}, 400, "malformed_expression"),
        (
            {
                "query": {
                    "expression": [
                        {"attribute_name": "name", "operator": "like", "attribute_value": "张"}
                    ]
                }
            },
            400,
            "malformed_expression",
        ),
        (
            {
                "query": {
                    "expression": [
                        {"attribute_name": "household_id", "operator": "eq", "attribute_value": "x"}
                    ]
                }
            },
            400,
            "malformed_expression",
        ),
        # Filtering on a field outside the grant would leak it.
        (
            {
                "query": {
                    "expression": [
                        {
                            "attribute_name": "birth_date",
                            "operator": "lt",
                            "attribute_value": "1990-01-01",
                        }
                    ]
                }
            },
            403,
            "field_not_granted",
        ),
        ({"as_of": (TODAY + dt.timedelta(days=1)).isoformat()}, 400, "as_of_in_future"),
    ],
)
def test_bad_input_refused_specifically_and_logged(api, hrss, household_a, criteria, status, code):
    r = search(api, token_for(hrss.application), **criteria)
    assert r.status_code == status, r.json()
    body = r.json()
    assert body["code"] == code and body["detail"]
    txn = RegistryTransaction.objects.get(pk=body["transaction_id"])
    assert txn.status == "rjct" and txn.error_code == code
    call_row = RegistryCall.objects.get()
    assert (call_row.client, call_row.error_code, call_row.status_code) == (hrss, code, status)
    assert call_row.record_count == 0 and call_row.transaction == txn


def test_expired_foreign_and_missing_credentials_refused_and_logged(api, hrss, household_a):
    expired = make_client(name="过期系统", expires_at=timezone.now() - dt.timedelta(seconds=1))
    r = search(api, token_for(expired.application))
    assert r.status_code == 401 and r.json()["code"] == "client_expired"
    assert "expired" in r.json()["detail"]
    old_token = token_for(hrss.application, seconds=-1)
    r = search(api, old_token)
    assert r.status_code == 401 and r.json()["code"] == "token_expired"
    hrss.is_active = False
    hrss.save()
    r = search(api, token_for(hrss.application))
    assert r.status_code == 401 and r.json()["code"] == "client_inactive"
    # An OAuth2 application that is no registry client.
    from oauth2_provider.models import Application

    other = Application.objects.create(
        name="其他", client_type="confidential", authorization_grant_type="client-credentials"
    )
    r = search(api, token_for(other))
    assert r.status_code == 401 and r.json()["code"] == "foreign_client"
    r = search(api, "not-a-token")
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"
    r = api.post("/api/dci/v1/registry/sync/search/", {}, format="json")
    assert r.status_code == 401 and r.json()["code"] == "no_credentials"
    assert r["WWW-Authenticate"].startswith("Bearer")
    # A user's session is no credential here.
    api.force_login(UserFactory(username="someone"))
    r = api.post("/api/dci/v1/registry/sync/search/", {}, format="json")
    assert r.status_code == 401
    codes = list(RegistryCall.objects.order_by("id").values_list("error_code", "client__name"))
    assert codes == [
        ("client_expired", "过期系统"),
        ("token_expired", "人社局系统"),
        ("client_inactive", "人社局系统"),
        ("foreign_client", None),
        ("invalid_token", None),
        ("no_credentials", None),
        ("no_credentials", None),
    ]
    assert RegistryCall.objects.get(error_code="foreign_client").client_id_seen == other.client_id
    assert not RegistryTransaction.objects.exists()


def test_every_call_logged_with_its_record_count(api, hrss, household_a):
    token = token_for(hrss.application)
    search(api, token, pagination={"page_size": 2})
    search(api, token, pagination={"page_size": 2, "page_number": 2})
    rows = list(RegistryCall.objects.order_by("id"))
    assert [(c.endpoint, c.status_code, c.record_count) for c in rows] == [
        ("search", 200, 2),
        ("search", 200, 1),
    ]
    assert rows[0].client == hrss and rows[0].request_summary["search_criteria"]["pagination"]
    assert rows[1].transaction.record_count == 1 and rows[1].transaction.total_count == 3


def test_total_count_right_across_pages(api, hrss, village_a, village_b):
    for village in (village_a, village_b, village_a):
        household_with_members(village, members=3)
    token = token_for(hrss.application)
    seen: list[int] = []
    for page in (1, 2, 3, 4):
        r = search(api, token, pagination={"page_size": 4, "page_number": page})
        assert r.json()["pagination"] == {"page_size": 4, "page_number": page, "total_count": 9}
        seen += ids(r)
    assert len(seen) == 9 == len(set(seen)) and seen == sorted(seen)
    # A filtered search counts the filtered records.
    r = search(
        api,
        token,
        query={
            "expression": [
                {
                    "attribute_name": "region_code",
                    "operator": "eq",
                    "attribute_value": village_b.code,
                }
            ]
        },
    )
    assert r.json()["pagination"]["total_count"] == 3 and len(ids(r)) == 3


def test_as_of_answers_a_past_state(api, hrss, household_a, village_b, data_admin):
    """A member who left in March, a case that became active in June and was suspended in
    November: each date gets the state of that day."""
    leaver = household_a.memberships.order_by("id").last()
    leaver.end_date = dt.date(2026, 3, 31)
    leaver.save()
    case = DibaoCase.objects.create(
        household=household_a, created_by=data_admin, status="suspended"
    )

    def step(day: dt.date, frm: str, to: str) -> None:
        t = CaseTransition.objects.create(case=case, from_status=frm, to_status=to)
        at = timezone.make_aware(dt.datetime.combine(day, dt.time(15)))
        CaseTransition.objects.filter(pk=t.pk).update(at=at)

    step(dt.date(2026, 5, 20), "draft", "applied")
    step(dt.date(2026, 6, 30), "confirmed", "active")
    step(dt.date(2026, 11, 5), "active", "suspended")
    token = token_for(hrss.application)

    def state(as_of: str | None) -> tuple[int, set]:  # type: ignore[type-arg]
        extra = {"as_of": as_of} if as_of else {}
        body = search(api, token, **extra).json()
        return body["pagination"]["total_count"], {x["dibao_status"] for x in body["reg_records"]}

    assert state("2026-03-31") == (3, {None})  # the leaver's last day
    assert state("2026-04-01") == (2, {None})
    assert state("2026-06-30") == (2, {"active"})  # recorded that day
    assert state("2026-06-29") == (2, {"applied"})
    assert state(None) == (2, {"suspended"})
    assert search(api, token, as_of="2019-12-31").json()["pagination"]["total_count"] == 0
    assert search(api, token).json()["as_of"] == TODAY.isoformat()
    # A new membership after a move shows the new household from its first day.
    Membership.objects.create(
        household=household_with_members(village_b, members=1),
        person=leaver.person,
        relation="spouse",
        start_date=dt.date(2026, 4, 1),
    )
    r = search(
        api,
        token,
        as_of="2026-04-01",
        query_type="idtype-value",
        query={"type": "person_id", "value": leaver.person_id},
    )
    assert r.json()["reg_records"][0]["region_code"] == village_b.code


def test_search_by_id_number_when_granted(api, household_a):
    client = make_client(name="医保系统", fields=("name", "id_number", "birth_date"))
    person = household_a.memberships.first().person
    r = search(
        api,
        token_for(client.application),
        query_type="idtype-value",
        query={"type": "id_number", "value": person.id_number.lower()},
    )
    assert r.status_code == 200
    [rec] = r.json()["reg_records"]
    assert (
        rec["id_number"] == person.id_number and rec["birth_date"] == person.birth_date.isoformat()
    )
    # The log keeps the number masked.
    logged = RegistryCall.objects.get().request_summary["search_criteria"]["query"]["value"]
    assert "*" in logged and logged != person.id_number
    r = search(
        api,
        token_for(client.application),
        query_type="idtype-value",
        query={"type": "id_number", "value": "440524188001010015"},
    )
    assert r.status_code == 400 and r.json()["code"] == "bad_id_value"


@pytest.mark.parametrize("as_of", [None, "2026-06-30"])
def test_query_count_of_a_page_is_constant(api, hrss, village_a, village_b, data_admin, as_of):
    token = token_for(hrss.application)
    household_with_members(village_a, members=2)
    extra = {"as_of": as_of} if as_of else {}

    def queries(size: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            r = search(api, token, pagination={"page_size": size}, **extra)
        assert r.status_code == 200
        assert len(r.json()["reg_records"]) == min(size, r.json()["pagination"]["total_count"])
        return len(ctx.captured_queries)

    small = queries(2)
    for village in (village_a, village_b, village_b, village_a):
        h = household_with_members(village, members=4)
        DibaoCase.objects.create(household=h, created_by=data_admin, status="active")
    assert queries(20) == small


def test_transaction_status_own_only(api, hrss, household_a):
    token = token_for(hrss.application)
    txn = search(api, token).json()["transaction_id"]
    r = call(api, token, "txn/status/", {"transaction_id": txn})
    assert r.status_code == 200
    assert r.json() | {"created_at": "", "completed_at": ""} == {
        "transaction_id": txn,
        "kind": "search",
        "reference_id": "t",
        "status": "succ",
        "record_count": 3,
        "total_count": 3,
        "error_code": "",
        "created_at": "",
        "completed_at": "",
    }
    other = make_client(name="民政外系统")
    r = call(api, token_for(other.application), "txn/status/", {"transaction_id": txn})
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = call(api, token, "txn/status/", {"transaction_id": "nope"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_request"
    assert RegistryCall.objects.filter(endpoint="txn_status").count() == 3


def test_as_of_follows_a_household_move(api, household_a, village_b):
    """The household moved from village_a to village_b on 1 October: a client granted village_a
    sees it as of September, not today; the village reported is the one of that day."""
    village_a = household_a.village
    history = household_a.history.model
    history.objects.filter(id=household_a.pk).update(
        history_date=timezone.make_aware(dt.datetime(2020, 1, 1))
    )
    household_a.village = village_b
    household_a.save()
    history.objects.filter(id=household_a.pk, village=village_b).update(
        history_date=timezone.make_aware(dt.datetime(2026, 10, 1, 9))
    )
    only_a = make_client(name="甲社区系统", regions=(village_a.code,))
    token = token_for(only_a.application)
    r = search(api, token, as_of="2026-09-30")
    assert r.json()["pagination"]["total_count"] == 3
    assert {x["region_code"] for x in r.json()["reg_records"]} == {village_a.code}
    assert search(api, token, as_of="2026-10-01").json()["pagination"]["total_count"] == 0
    assert search(api, token).json()["pagination"]["total_count"] == 0
    wide = make_client(name="白沙系统", regions=("440703002",))
    r = search(api, token_for(wide.application), as_of="2026-10-02")
    assert {x["region_code"] for x in r.json()["reg_records"]} == {village_b.code}
