"""/api/v1/dibao-cases/: scope, one POST action per step of the procedure (through the same
services as the pages), role and status guards, bad input, and query counts."""

import datetime as dt
import json
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assistance.dibao.services import dibao_case_create
from assistance.models import (
    Attachment,
    BenefitAward,
    CaseReview,
    CaseTransition,
    DibaoCase,
    DistrictSetting,
    IncomeDeclaration,
    Investigation,
    Objection,
    PublicNotice,
)
from core.roles import Role

from ..conftest import login
from ..factories import UserFactory, region
from .conftest import APPLIED_ON, S, build_case, head_of, on_day, poor_household

pytestmark = pytest.mark.django_db

LIST = "/api/v1/dibao-cases/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64


@pytest.fixture(autouse=True)
def _english(api, settings):  # type: ignore[no-untyped-def]
    """English messages, in the services (called directly) and in the API's answers."""
    from django.utils import translation

    api.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path / "media")


def url(case: DibaoCase | int, action: str = "") -> str:
    pk = case if isinstance(case, int) else case.pk
    return f"{LIST}{pk}/" + (f"{action}/" if action else "")


def post(api, path, data=None):  # type: ignore[no-untyped-def]
    return api.post(path, data=json.dumps(data or {}), content_type="application/json")


def ids(response) -> set[int]:  # type: ignore[no-untyped-def]
    return {row["id"] for row in response.json()["results"]}


def written() -> tuple[int, ...]:
    """Row counts of everything an action may write."""
    return tuple(
        m.objects.count()
        for m in (
            DibaoCase,
            CaseTransition,
            IncomeDeclaration,
            Investigation,
            Attachment,
            PublicNotice,
            Objection,
            BenefitAward,
            CaseReview,
        )
    )


def wages(person, amount="300") -> dict:  # type: ignore[no-untyped-def]
    return {"person": person.pk, "income_type": "wages", "monthly_amount": amount}


@pytest.fixture
def h(village_a):  # type: ignore[no-untyped-def]
    return poor_household(village_a)


@pytest.fixture
def draft(h, cw_baisha):  # type: ignore[no-untyped-def]
    return dibao_case_create(household=h, applicant=head_of(h), by=cw_baisha)


@pytest.fixture
def build(cw_baisha, cw_baisha_2, ca_pengjiang, village_a):  # type: ignore[no-untyped-def]
    def _build(to: str) -> DibaoCase:
        return build_case(
            poor_household(village_a),
            to=to,
            maker=cw_baisha,
            second=cw_baisha_2,
            checker=ca_pengjiang,
        )

    return _build


# --- list and detail ------------------------------------------------------------------------


@pytest.fixture
def two_cases(h, cw_baisha, cw_taicheng, village_taicheng):  # type: ignore[no-untyped-def]
    t = poor_household(village_taicheng)
    a = dibao_case_create(household=h, applicant=head_of(h), by=cw_baisha)
    b = dibao_case_create(household=t, applicant=head_of(t), by=cw_taicheng)
    return a, b


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("cw_baisha", "a"),
        ("ca_pengjiang", "a"),
        ("va_baisha", "a"),
        ("cw_taicheng", "t"),
        ("ca_taishan", "t"),
    ],
)
def test_list_is_scoped(api, two_cases, request, persona, visible):  # type: ignore[no-untyped-def]
    a, t = two_cases
    login(api, request.getfixturevalue(persona))
    response = api.get(LIST)
    assert response.status_code == 200
    assert ids(response) == {{"a": a.pk, "t": t.pk}[visible]}


def test_list_needs_a_login(api, two_cases):  # type: ignore[no-untyped-def]
    assert api.get(LIST).status_code == 401


def test_list_filters(api, cw_baisha, build, draft, h):  # type: ignore[no-untyped-def]
    confirmed = build(S.CONFIRMED)
    login(api, cw_baisha)
    assert ids(api.get(LIST, {"status": "confirmed"})) == {confirmed.pk}
    assert ids(api.get(LIST, {"status": "draft"})) == {draft.pk}
    assert ids(api.get(LIST, {"household": h.pk})) == {draft.pk}
    assert ids(api.get(LIST, {"q": head_of(h).name})) >= {draft.pk}
    assert ids(api.get(LIST, {"q": f"DB{confirmed.pk:06d}"})) == {confirmed.pk}
    assert ids(api.get(LIST, {"q": head_of(h).id_number[-6:]})) == {draft.pk}
    assert api.get(LIST, {"status": "nonsense"}).status_code == 400
    row = api.get(LIST, {"household": h.pk}).json()["results"][0]
    assert row["number"] == f"DB{draft.pk:06d}"
    assert row["village_name"] == "白沙甲社区" and row["town_name"] == "白沙街道"
    assert row["applicant_name"] == head_of(h).name


def test_detail_shows_the_procedure(api, va_baisha, build):  # type: ignore[no-untyped-def]
    case = build(S.CONFIRMED)
    body = login(api, va_baisha).get(url(case)).json()
    assert body["status"] == "confirmed"
    assert body["proposed_amount"] == "1711.00"
    assert body["computation"]["total"] == "1711"
    assert body["procedure_due"] and body["investigation_due"]
    # Every action, recorded steps included (who entered the basis: separation of duties).
    assert [(t["action"], t["to_status"]) for t in body["transitions"]] == [
        ("create", "draft"), ("sign", "draft"), ("apply", "applied"), ("accept", "accepted"),
        ("start_investigation", "investigating"), ("declare", "investigating"),
        ("investigate", "investigating"), ("propose", "proposed"), ("start_notice", "in_notice"),
        ("confirm", "confirmed"),
    ]  # fmt: skip
    assert body["transitions"][-1]["by_name"]
    assert [i["income_type"] for i in body["incomes"]] == ["wages"]
    assert len(body["investigations"][0]["investigators"]) == 2
    assert body["notices"][0]["ends_on"] == "2026-11-12"
    assert body["awards"][0]["total"] == "1711.00"
    assert body["awards"][0]["effective_month"] == "2026-12-01"
    assert body["open_review"] is None


# --- the whole procedure through the API ----------------------------------------------------


def test_whole_procedure_through_the_api(api, cw_baisha, cw_baisha_2, ca_pengjiang, h):  # type: ignore[no-untyped-def]
    login(api, cw_baisha)
    head = head_of(h)
    r = post(api, LIST, {"household": h.pk, "applicant": head.pk})
    assert r.status_code == 201, r.json()
    case = r.json()["id"]
    assert r.json()["status"] == "draft"
    steps = [
        ("sign", {"authorization_on": "2026-11-02", "good_faith_on": "2026-11-02"}, "draft"),
        ("apply", {"applied_on": "2026-11-02"}, "applied"),
        ("accept", {"accepted_on": "2026-11-02"}, "accepted"),
        ("extend", {"reason": "外出务工成员需信函核实"}, "accepted"),
        ("start-investigation", {}, "investigating"),
        (
            "declarations",
            {"incomes": [wages(head)], "expenditures": [], "properties": []},
            "investigating",
        ),
        (
            "investigation",
            {
                "home_visit_on": "2026-11-04",
                "investigators": [cw_baisha.pk, cw_baisha_2.pk],
                "findings": "家中无稳定收入",
                "neighbour_interviews": "邻居证实",
            },
            "investigating",
        ),
        ("propose", {"on": "2026-11-05"}, "proposed"),
        ("start-notice", {"starts_on": "2026-11-06"}, "in_notice"),
    ]
    for action, payload, status in steps:
        # Each step on its own business day: a notice starts no earlier than it is recorded.
        with on_day(dt.date(2026, 11, 6 if action == "start-notice" else 5)):
            r = post(api, url(case, action), payload)
        assert r.status_code in (200, 201), (action, r.json())
        assert r.json()["status"] == status, action
    body = r.json()
    assert body["extension_reason"] and body["proposed_amount"] == "1711.00"
    upload = SimpleUploadedFile("visit.png", PNG, content_type="image/png")
    inv = body["investigations"][0]["id"]
    r = api.post(
        url(case, "attachments"), {"file": upload, "investigation": inv, "description": "照片"}
    )
    assert r.status_code == 201, r.json()
    assert r.json()["content_type"] == "image/png" and r.json()["investigation"] == inv
    with on_day(dt.date(2026, 11, 13)):
        r = post(login(api, ca_pengjiang), url(case, "confirm"), {"on": "2026-11-13"})
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "confirmed"
    assert r.json()["payment_start_month"] == "2026-12-01"
    assert BenefitAward.objects.get(case_id=case).total == Decimal("1711")
    assert len(r.json()["attachments"]) == 1


def test_objection_refusal_and_withdrawal(api, cw_baisha, ca_pengjiang, build):  # type: ignore[no-untyped-def]
    login(api, cw_baisha)
    noticed = build(S.IN_NOTICE)
    r = post(api, url(noticed, "object"), {"received_on": "2026-11-08", "content": "家有轿车"})
    assert r.status_code == 200 and r.json()["status"] == "investigating"
    assert r.json()["notices"][0]["objections"][0]["content"] == "家有轿车"
    r = post(api, url(noticed, "refuse"), {"reasons": "有机动车", "on": "2026-11-20"})
    assert r.status_code == 200 and r.json()["status"] == "refused"
    assert r.json()["refusal_reasons"] == "有机动车"

    applied = build(S.APPLIED)
    r = post(api, url(applied, "withdraw"), {"reason": "申请人撤回"})
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"

    proposed = build(S.PROPOSED)  # refusing after the proposal is the confirming level's
    r = post(login(api, ca_pengjiang), url(proposed, "refuse"), {"reasons": "收入超标"})
    assert r.status_code == 200 and r.json()["status"] == "refused"


def test_dynamic_management(api, request, cw_baisha, build):  # type: ignore[no-untyped-def]
    case = build(S.CONFIRMED)
    travel = on_day(dt.date(2026, 11, 28))  # payment stops from the month after "today"
    travel.start()
    request.addfinalizer(travel.stop)
    login(api, cw_baisha)
    r = post(api, url(case, "review-open"), {"kind": "reported_change", "reason": "收入变化"})
    assert r.status_code == 200 and r.json()["status"] == "under_review"
    assert r.json()["open_review"] == case.reviews.get().pk
    r = post(api, url(case, "review-close"), {"outcome": "unchanged", "on": "2026-11-28"})
    assert r.status_code == 200 and r.json()["status"] == "active"
    assert r.json()["reviews"][0]["outcome"] == "unchanged" and r.json()["open_review"] is None
    r = post(api, url(case, "suspend"), {"reason": "外出未归"})
    assert r.status_code == 200 and r.json()["status"] == "suspended"
    assert r.json()["payment_stop_month"] == "2026-12-01"
    r = post(api, url(case, "resume"), {"reason": "已返回"})
    assert r.status_code == 200 and r.json()["status"] == "active"
    r = post(api, url(case, "terminate"), {"reason": "收入超标"})
    assert r.status_code == 200 and r.json()["status"] == "terminated"


# The ages in the household (45 and 15) are those of November 2026.
@time_machine.travel("2026-11-20T10:00:00+08:00", tick=False)
def test_computation_is_live(api, va_baisha, build):  # type: ignore[no-untyped-def]
    case = build(S.INVESTIGATING)
    login(api, va_baisha)
    r = api.get(url(case, "computation"))
    assert r.status_code == 200
    # 2023 standard 914 (urban, class 3): (914 − 150) × 2 + 20% × 914 for the minor = 1710.8
    assert r.json()["total"] == "1711" and r.json()["standard"] == "914.00"
    assert r.json()["on"] == timezone.localdate().isoformat()
    assert r.json()["property_findings"] == []
    old = api.get(url(case, "computation"), {"on": "2015-06-01"}).json()
    assert old["standard"] == "520.00" and old["on"] == "2015-06-01"
    assert api.get(url(case, "computation"), {"on": "not-a-date"}).status_code == 400
    none = api.get(url(case, "computation"), {"on": "2010-01-01"})
    assert none.status_code == 400 and "non_field_errors" in none.json()


# --- wrong status: 409, nothing written -----------------------------------------------------

REASON = {"reason": "原因"}
NOT_FROM_DRAFT = [
    ("accept", {"accepted_on": "2026-11-02"}, "cw_baisha"),
    ("extend", REASON, "cw_baisha"),
    ("start-investigation", {}, "cw_baisha"),
    (
        "investigation",
        {
            "home_visit_on": "2026-11-04",
            "investigators": ["cw_baisha", "cw_baisha_2"],
            "findings": "x",
        },
        "cw_baisha",
    ),
    ("propose", {"on": "2026-11-05"}, "cw_baisha"),
    ("start-notice", {"starts_on": "2026-11-06"}, "cw_baisha"),
    ("object", {"content": "x"}, "cw_baisha"),
    ("confirm", {"on": "2026-11-13"}, "ca_pengjiang"),
    ("refuse", {"reasons": "x"}, "cw_baisha"),
    ("review-open", {"kind": "periodic"}, "cw_baisha"),
    ("review-close", {"outcome": "unchanged"}, "cw_baisha"),
    ("suspend", REASON, "cw_baisha"),
    ("resume", REASON, "cw_baisha"),
    ("terminate", REASON, "cw_baisha"),
]
NOT_FROM_CONFIRMED = [
    ("sign", {"authorization_on": "2026-11-02", "good_faith_on": "2026-11-02"}, "cw_baisha"),
    ("apply", {"applied_on": "2026-11-02"}, "cw_baisha"),
    ("declarations", {"incomes": [], "expenditures": [], "properties": []}, "cw_baisha"),
    ("withdraw", REASON, "cw_baisha"),
    ("resume", REASON, "cw_baisha"),
    ("confirm", {"on": "2026-11-20"}, "ca_pengjiang"),
    ("refuse", {"reasons": "x"}, "ca_pengjiang"),
]


def _payload(request, payload: dict) -> dict:  # type: ignore[no-untyped-def]
    if "investigators" in payload:
        payload = {
            **payload,
            "investigators": [request.getfixturevalue(u).pk for u in payload["investigators"]],
        }
    return payload


@pytest.mark.parametrize(
    ("start", "action", "payload", "persona"),
    [(S.DRAFT, *row) for row in NOT_FROM_DRAFT]
    + [(S.CONFIRMED, *row) for row in NOT_FROM_CONFIRMED],
)
def test_wrong_status_is_409_and_writes_nothing(
    api, request, build, start, action, payload, persona
):  # type: ignore[no-untyped-def]
    case = build(start)
    before = written()
    login(api, request.getfixturevalue(persona))
    r = post(api, url(case, action), _payload(request, payload))
    assert r.status_code == 409, r.json()
    assert set(r.json()) == {"detail"}
    assert "Cannot" in r.json()["detail"] or "no review" in r.json()["detail"]
    assert written() == before
    case.refresh_from_db()
    assert case.status == start


# --- wrong role: 403 before any lookup, nothing written -------------------------------------

CHANGE_ACTIONS = [
    "sign", "apply", "accept", "extend", "start-investigation", "declarations", "investigation",
    "attachments", "start-notice", "object", "withdraw", "review-open", "review-close",
    "suspend", "resume", "terminate",
]  # fmt: skip


@pytest.mark.parametrize("action", CHANGE_ACTIONS)
@pytest.mark.parametrize("persona", ["va_baisha", "ca_pengjiang"])
def test_roles_without_casework_are_403(api, request, draft, action, persona):  # type: ignore[no-untyped-def]
    before = written()
    login(api, request.getfixturevalue(persona))
    assert post(api, url(draft, action), {}).status_code == 403
    # The same answer for an id that does not exist: the role is decided first.
    assert post(api, url(draft.pk + 10_000, action), {}).status_code == 403
    assert written() == before


@pytest.mark.parametrize(
    ("action", "persona"),
    [
        ("propose", "va_baisha"),
        ("propose", "ca_pengjiang"),
        ("confirm", "va_baisha"),
        ("refuse", "va_baisha"),
        ("create", "va_baisha"),
        ("create", "ca_pengjiang"),
    ],
)
def test_decisions_need_their_role(api, request, h, draft, action, persona):  # type: ignore[no-untyped-def]
    before = written()
    login(api, request.getfixturevalue(persona))
    path = LIST if action == "create" else url(draft, action)
    assert post(api, path, {"household": h.pk, "agent_name": "村委"}).status_code == 403
    assert written() == before


def test_maker_is_not_the_checker(api, cw_baisha, cw_baisha_2, build):  # type: ignore[no-untyped-def]
    case = build(S.IN_NOTICE)  # proposed by cw_baisha
    before = written()
    # Not delegated: a township caseworker cannot confirm at all.
    r = post(login(api, cw_baisha_2), url(case, "confirm"), {"on": "2026-11-13"})
    assert r.status_code == 403 and "delegated" in r.json()["detail"]
    DistrictSetting.objects.create(county=region("440703"), confirmation_delegated=True)
    r = post(login(api, cw_baisha), url(case, "confirm"), {"on": "2026-11-13"})
    assert r.status_code == 403 and "another person" in r.json()["detail"]
    r = post(api, url(case, "refuse"), {"reasons": "x"})
    assert r.status_code == 403
    assert written() == before
    # The second investigator took part in the basis too; a caseworker who did not confirms.
    r = post(login(api, cw_baisha_2), url(case, "confirm"), {"on": "2026-11-13"})
    assert r.status_code == 403 and "separation of duties" in r.json()["detail"]
    third = UserFactory(username="cw_baisha_3", role=Role.CASEWORKER, region=region("440703002"))
    r = post(login(api, third), url(case, "confirm"), {"on": "2026-11-13"})
    assert r.status_code == 200 and r.json()["status"] == "confirmed"


# --- other district: 404 everywhere ---------------------------------------------------------

ALL_ACTIONS = [*CHANGE_ACTIONS, "propose", "confirm", "refuse", "repropose"]


@pytest.mark.parametrize("start", [S.DRAFT, S.IN_NOTICE, S.CONFIRMED])
def test_other_district_gets_404_on_every_detail_and_action(
    api, cw_taicheng, ca_taishan, build, start
):  # type: ignore[no-untyped-def]
    case = build(start)
    before = written()
    for user in (cw_taicheng, ca_taishan):
        login(api, user)
        assert api.get(url(case)).status_code == 404
        assert api.get(url(case, "computation")).status_code == 404
        assert case.pk not in ids(api.get(LIST))
    login(api, cw_taicheng)
    for action in ALL_ACTIONS:
        r = post(api, url(case, action), {"reason": "x", "reasons": "x", "content": "x"})
        assert r.status_code == 404, action
        assert set(r.json()) == {"detail"}
    login(api, ca_taishan)
    for action in ("confirm", "refuse"):
        assert post(api, url(case, action), {"reasons": "x"}).status_code == 404
    assert written() == before


def test_create_for_a_household_of_another_district_is_400(api, cw_taicheng, h):  # type: ignore[no-untyped-def]
    r = post(login(api, cw_taicheng), LIST, {"household": h.pk, "agent_name": "村委"})
    assert r.status_code == 400
    assert set(r.json()) == {"household"}
    assert not DibaoCase.objects.exists()


# --- bad input: 400 with field errors, nothing written --------------------------------------


def test_create_bad_input(api, cw_baisha, h, household_b):  # type: ignore[no-untyped-def]
    login(api, cw_baisha)
    outsider = head_of(household_b)
    cases = [
        ({"household": h.pk}, {"applicant"}),
        ({"household": h.pk, "applicant": outsider.pk}, {"applicant"}),
        ({"household": h.pk, "applicant": 10**9}, {"applicant"}),
        ({"household": h.pk, "agent_name": "村委", "relative_of_staff": True}, {"relative_note"}),
        ({"household": h.pk, "agent_name": "x", "unit": "single_person"}, {"single_person"}),
        ({"household": "abc"}, {"household"}),
        ({"household": h.pk, "agent_name": "x", "unit": "bogus"}, {"unit"}),
    ]
    for payload, fields in cases:
        r = post(api, LIST, payload)
        assert r.status_code == 400, payload
        assert set(r.json()) == fields, (payload, r.json())
    assert not DibaoCase.objects.exists()
    assert post(api, LIST, {"household": h.pk, "agent_name": "村委"}).status_code == 201
    r = post(api, LIST, {"household": h.pk, "agent_name": "村委"})
    assert r.status_code == 400 and set(r.json()) == {"household"}
    assert DibaoCase.objects.count() == 1


def test_declarations_bad_input(api, cw_baisha, build, household_b, household_taicheng):  # type: ignore[no-untyped-def]
    case = build(S.INVESTIGATING)  # has one wages declaration
    head = head_of(case.household)
    login(api, cw_baisha)
    before = written()
    r = post(
        api,
        url(case, "declarations"),
        {
            "incomes": [
                wages(head, "-5"),
                wages(head_of(household_b)),
                wages(head_of(household_taicheng)),
            ],
            "expenditures": [
                {"person": head.pk, "expenditure_type": "nope", "monthly_amount": "1"}
            ],
            "properties": [{"kind": "deposit", "value": "-1"}],
        },
    )
    assert r.status_code == 400
    errors = r.json()
    assert set(errors) == {"expenditures"}  # shapes first: an unknown type code
    assert set(errors["expenditures"]["0"]) == {"expenditure_type"}

    r = post(
        api,
        url(case, "declarations"),
        {
            "incomes": [
                wages(head, "-5"),
                wages(head_of(household_b)),
                wages(head_of(household_taicheng)),
            ],
            "expenditures": [],
            "properties": [{"kind": "deposit", "value": "-1"}],
        },
    )
    assert r.status_code == 400
    # The outsider (another district) is unknown; checked before the service runs.
    assert r.json() == {"incomes": {"2": {"person": ["Unknown person, or outside your area."]}}}

    r = post(
        api,
        url(case, "declarations"),
        {
            "incomes": [wages(head, "-5"), wages(head_of(household_b))],
            "expenditures": [],
            "properties": [{"kind": "deposit", "value": "-1"}],
        },
    )
    assert r.status_code == 400
    body = r.json()
    assert set(body) == {"incomes", "properties"}
    assert set(body["incomes"]["0"]) == {"monthly_amount"}
    assert "not a member" in body["incomes"]["1"]["person"][0]
    assert set(body["properties"]["0"]) == {"value"}
    assert written() == before
    assert case.incomes.get().monthly_amount == Decimal("300")


def test_investigation_bad_input(api, cw_baisha, cw_baisha_2, cw_taicheng, va_baisha, build):  # type: ignore[no-untyped-def]
    case = build(S.INVESTIGATING)
    login(api, cw_baisha)
    before = written()
    base = {"home_visit_on": "2026-11-04", "findings": "无收入"}
    for investigators, expect in [
        ([cw_baisha.pk], "at least two"),
        ([cw_baisha.pk, cw_baisha.pk], "at least two"),
        ([cw_baisha.pk, cw_taicheng.pk], "Unknown user"),
        ([cw_baisha.pk, 10**9], "Unknown user"),
        ([cw_baisha.pk, va_baisha.pk], "cannot investigate"),
    ]:
        r = post(api, url(case, "investigation"), {**base, "investigators": investigators})
        assert r.status_code == 400, investigators
        # A list field: its messages come under non_field_errors (core.api's shape).
        assert set(r.json()) == {"investigators"}
        assert expect in r.json()["investigators"]["non_field_errors"][0], r.json()
    pair = [cw_baisha.pk, cw_baisha_2.pk]
    for changes, fields in [
        ({"home_visit_on": "2099-01-01"}, {"home_visit_on"}),  # in the future
        ({"home_visit_on": "2026-11-01"}, {"home_visit_on"}),  # before the acceptance
        ({"findings": " "}, {"findings"}),
        ({"persons_without_supporter": [10**9]}, {"persons_without_supporter"}),
    ]:
        r = post(api, url(case, "investigation"), {**base, "investigators": pair, **changes})
        assert r.status_code == 400 and set(r.json()) == fields, r.json()
    assert written() == before


def test_attachment_bad_input(api, cw_baisha, settings, build):  # type: ignore[no-untyped-def]
    case = build(S.ACCEPTED)
    login(api, cw_baisha)
    before = written()
    for upload in [
        SimpleUploadedFile("notes.txt", b"hello world", content_type="text/plain"),
        SimpleUploadedFile("fake.png", b"GIF89a" + b"0" * 20, content_type="image/png"),
        SimpleUploadedFile("empty.pdf", b"", content_type="application/pdf"),
        SimpleUploadedFile(
            "huge.pdf", PDF + b"0" * (10 * 1024 * 1024), content_type="application/pdf"
        ),
    ]:
        r = api.post(url(case, "attachments"), {"file": upload})
        assert r.status_code == 400, upload.name
        assert set(r.json()) == {"file"}, r.json()
    r = api.post(url(case, "attachments"), {"description": "no file"})
    assert r.status_code == 400 and set(r.json()) == {"file"}
    other = build(S.INVESTIGATING)
    inv = Investigation.objects.create(
        case=other, home_visit_on=APPLIED_ON, findings="x", recorded_by=cw_baisha
    )
    before = written()
    upload = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
    r = api.post(url(case, "attachments"), {"file": upload, "investigation": inv.pk})
    assert r.status_code == 400 and set(r.json()) == {"investigation"}
    assert written() == before
    upload = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
    r = api.post(url(case, "attachments"), {"file": upload})
    assert r.status_code == 201 and r.json()["content_type"] == "application/pdf"


@pytest.mark.parametrize(
    ("start", "action", "payload", "field"),
    [
        (
            S.DRAFT,
            "sign",
            {"authorization_on": "2099-01-01", "good_faith_on": "2026-11-01"},
            "authorization_on",
        ),
        (S.DRAFT, "sign", {"authorization_on": "2026-11-01"}, "good_faith_on"),
        (S.DRAFT, "apply", {"applied_on": "2099-01-01"}, "applied_on"),
        (S.DRAFT, "apply", {"applied_on": "yesterday"}, "applied_on"),
        (S.APPLIED, "accept", {"accepted_on": "2026-10-01"}, "accepted_on"),
        (S.ACCEPTED, "extend", {"reason": ""}, "reason"),
        (S.ACCEPTED, "start-investigation", {}, None),
        (S.APPLIED, "refuse", {"reasons": "  "}, "reasons"),
        (S.APPLIED, "withdraw", {}, "reason"),
        (S.IN_NOTICE, "object", {"content": "x", "received_on": "2026-11-30"}, "received_on"),
        (S.IN_NOTICE, "confirm", {"on": "2026-11-12"}, "on"),
        (S.CONFIRMED, "review-open", {"kind": "bogus"}, "kind"),
        (S.CONFIRMED, "suspend", {"reason": " "}, "reason"),
    ],
)
def test_bad_input_is_400_and_writes_nothing(api, request, build, start, action, payload, field):  # type: ignore[no-untyped-def]
    case = build(start)
    if action == "start-investigation":  # unsigned: build() signed it, so forget the signatures
        DibaoCase.objects.filter(pk=case.pk).update(authorization_signed_on=None)
    persona = "ca_pengjiang" if action == "confirm" else "cw_baisha"
    login(api, request.getfixturevalue(persona))
    before = written()
    r = post(api, url(case, action), payload)
    assert r.status_code == 400, r.json()
    assert set(r.json()) == {field or "non_field_errors"}
    assert written() == before
    case.refresh_from_db()
    assert case.status == start


# --- query counts ---------------------------------------------------------------------------


def _count(api, path, **params) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(path, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_is_constant(api, cw_baisha, village_a, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    login(api, cw_baisha)

    def add(n: int) -> None:
        for _ in range(n):
            hh = poor_household(village_a)
            dibao_case_create(household=hh, applicant=head_of(hh), by=cw_baisha)

    add(5)
    at_5 = _count(api, LIST)
    add(45)
    at_50 = _count(api, LIST)
    assert at_50 == at_5
    # session, user, the user's region (scope), count, the page's ids, its rows
    with django_assert_max_num_queries(6):
        response = api.get(LIST, {"status": "draft"})
    assert len(response.json()["results"]) == 50
    # A name is probed per case (no extra query); an ID search reads the region ids once.
    assert _count(api, LIST, q="张") <= at_5 + 1


def test_detail_query_count_is_constant(
    api, cw_baisha, cw_baisha_2, build, django_assert_max_num_queries
):  # type: ignore[no-untyped-def]
    login(api, cw_baisha)
    one = build(S.CONFIRMED)
    more = build(S.CONFIRMED)
    head = head_of(more.household)
    for _ in range(5):
        IncomeDeclaration.objects.create(
            case=more, person=head, income_type=more.incomes.first().income_type, monthly_amount=1
        )
        CaseTransition.objects.create(case=more, from_status="x", to_status="y", by=cw_baisha_2)
        inv = Investigation.objects.create(
            case=more, home_visit_on=APPLIED_ON, findings="x", recorded_by=cw_baisha
        )
        inv.investigators.set([cw_baisha, cw_baisha_2])
    assert _count(api, url(one)) == _count(api, url(more))
    # session, user, region, the case with its joins, 17 prefetches
    with django_assert_max_num_queries(21):
        assert len(api.get(url(more)).json()["investigations"]) == 6


def test_nul_in_a_looked_up_code_is_a_400_not_a_500(api, cw_baisha, build):  # type: ignore[no-untyped-def]
    """Found by tests/core/test_api_fuzz.py: a NUL in `expenditure_type` (a slug looked up in
    the database) was a DataError (500)."""
    case = build(S.INVESTIGATING)
    login(api, cw_baisha)
    before = written()
    r = post(
        api,
        url(case, "declarations"),
        {
            "incomes": [],
            "expenditures": [
                {
                    "person": head_of(case.household).pk,
                    "expenditure_type": "\x00",
                    "monthly_amount": "1",
                }
            ],
            "properties": [],
        },
    )
    assert r.status_code == 400
    assert "\\x00" in r.json()["detail"]
    assert written() == before
