"""Personal fields as each role sees them (issue 6 defect 3), generated from the declared table
core.personal_data.VISIBILITY; exact-ID lookups; "already registered elsewhere"."""

import datetime as dt
import json
import logging

import pytest
from django.urls import reverse
from django.utils import translation

from core.models import AccessLog
from core.personal_data import FIELDS, MASKS, VISIBILITY, Level, level
from core.roles import PERMISSIONS, ROLE_LEVELS, Role
from households import services
from households.models import Person, Relation

from ..conftest import login
from ..factories import UserFactory, region, unique_id_number

pytestmark = pytest.mark.django_db

PERSONS = "/api/v1/persons/"
HOUSEHOLDS = "/api/v1/households/"
ELSEWHERE = "该身份证号已在其他地区登记，请联系数据管理员"


@pytest.fixture
def head(household_a):  # type: ignore[no-untyped-def]
    person = household_a.memberships.get(relation=Relation.HEAD).person
    person.phone, person.bank_name, person.bank_account = (
        "13912345678",
        "江门农商银行",
        "6228480000012345678",
    )
    person.save()
    return person


def user_of(role: str, village):  # type: ignore[no-untyped-def]
    """A user of `role` whose area includes `village` (白沙甲社区, 蓬江区)."""
    places = {"village": village, "township": village.parent, "county": region("440703")}
    lvl = next(lv for lv in ROLE_LEVELS[role] if lv in places or lv == "city")
    return UserFactory(username=f"u_{role}", role=role, region=places.get(lvl) or region("440700"))


def expected(role: str, field: str, raw):  # type: ignore[no-untyped-def]
    lvl = VISIBILITY[role][field]
    return raw if lvl is Level.FULL else MASKS[field](raw) if lvl is Level.MASKED else None


# The roles that read the register (the third-party auditor does not: it sees only its sampled
# households, through verification's audit pages, which follow the same table).
READERS = [role for role in VISIBILITY if "households.view_person" in PERMISSIONS[role]]
MATRIX = [(role, field) for role in READERS for field in FIELDS]


def test_the_auditor_does_not_read_the_register(api, client, head, village_a):
    user = user_of(Role.AUDITOR, village_a)
    assert Role.AUDITOR not in READERS
    assert login(api, user).get(f"{PERSONS}{head.pk}/").status_code in (403, 404)
    assert login(client, user).get(reverse("households:person", args=[head.pk])).status_code == 403


def test_every_role_and_field_is_declared():
    assert set(VISIBILITY) == set(Role.values)
    assert all(set(fields) == set(FIELDS) for fields in VISIBILITY.values())


@pytest.mark.parametrize("role", list(VISIBILITY))
def test_birth_date_is_never_full_where_the_id_number_is_masked(role):
    if VISIBILITY[role]["id_number"] is not Level.FULL:
        assert VISIBILITY[role]["birth_date"] is not Level.FULL


def test_no_role_sees_nothing(db):
    nobody = UserFactory(username="nobody", role="")
    assert {level(nobody, f) for f in FIELDS} == {Level.HIDDEN}


@pytest.mark.parametrize(("role", "field"), MATRIX)
def test_api_shows_each_field_as_declared(api, head, village_a, role, field):
    user = user_of(role, village_a)
    raw = getattr(head, field)
    api_field = "id_number_masked" if field == "id_number" else field
    want = expected(role, field, raw)
    for url in (f"{PERSONS}{head.pk}/", f"{HOUSEHOLDS}{head.memberships.get().household_id}/"):
        body = login(api, user).get(url).json()
        row = body if "members" not in body else body["members"][0]["person"]
        row = (
            row
            if row["id"] == head.pk
            else next(m["person"] for m in body["members"] if m["person"]["id"] == head.pk)
        )
        got = row[api_field]
        if field == "birth_date" and want == raw:
            want = raw.isoformat()
        if field == "id_number" and want is raw:
            want = MASKS["id_number"](raw)  # the API lists masked numbers only (reveal is logged)
        assert got == want, (url, role, field)


@pytest.mark.parametrize(("role", "field"), MATRIX)
def test_person_page_shows_each_field_as_declared(client, head, village_a, role, field):
    user = user_of(role, village_a)
    html = login(client, user).get(reverse("households:person", args=[head.pk])).content.decode()
    raw = getattr(head, field)
    raw_text = raw.isoformat() if isinstance(raw, dt.date) else raw
    lvl = VISIBILITY[role][field]
    if lvl is Level.FULL:
        assert raw_text in html
    else:
        assert raw_text not in html
        masked = str(MASKS[field](raw))
        assert (masked in html) == (lvl is Level.MASKED), (role, field, masked)


def test_village_assistant_sees_no_bank_account_in_the_api(api, head, va_baisha):
    row = login(api, va_baisha).get(f"{PERSONS}{head.pk}/").json()
    assert row["bank_account"] is None and row["birth_date"] is None
    assert row["phone"] == "139****5678"


def test_timeline_values_follow_the_table(client, head, cw_baisha, data_admin):
    services.person_update(person=head, by=data_admin, bank_account="6228480000099998888")
    household = head.memberships.get().household_id
    html = login(client, cw_baisha).get(reverse("households:detail", args=[household])).content
    text = html.decode()
    assert "6228480000099998888" not in text and "…8888" in text
    text = login(client, data_admin).get(reverse("households:detail", args=[household])).content
    assert "6228480000099998888" in text.decode()


# -- exact lookups by ID number ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url_params",
    [
        (PERSONS, "id_number"),
        (HOUSEHOLDS, "id_number"),
        (HOUSEHOLDS, "q"),
    ],
)
def test_id_number_lookup_without_reveal_permission_is_refused(api, head, va_baisha, url_params):
    url, param = url_params
    with translation.override("zh-hans"):
        r = login(api, va_baisha).get(url, {param: head.id_number}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 403
    assert "身份证号" in r.json()["detail"]
    if param == "q":  # a prefix (the county digits) confirms a guess just as well
        assert login(api, va_baisha).get(url, {"q": head.id_number[:6]}).status_code == 403
        assert login(api, va_baisha).get(url, {"q": head.id_number[-6:]}).status_code == 403


def test_id_number_lookup_with_reveal_permission_works(api, head, cw_baisha):
    r = login(api, cw_baisha).get(PERSONS, {"id_number": head.id_number})
    assert r.status_code == 200 and [p["id"] for p in r.json()["results"]] == [head.pk]


def test_household_page_search_by_id_is_refused_without_reveal(client, head, va_baisha):
    r = login(client, va_baisha).get(reverse("households:list"), {"q": head.id_number})
    assert r.status_code == 200
    assert r.context["page"].paginator.count == 0 and r.context["id_search_refused"]


def test_opening_the_edit_form_with_the_full_id_is_logged(client, head, cw_baisha):
    login(client, cw_baisha).get(reverse("households:person_edit", args=[head.pk]))
    assert AccessLog.objects.filter(
        user=cw_baisha, action="reveal_id_number", object_id=str(head.pk)
    ).exists()


# -- registering an ID number that exists in another district ------------------------------------


def _member(number):  # type: ignore[no-untyped-def]
    return services.MemberInput(relation="head", person={"name": "王五", "id_number": number})


def test_registering_an_id_of_another_district_says_elsewhere_and_logs(
    cw_baisha, village_a, household_taicheng, caplog
):
    other = household_taicheng.memberships.first().person
    caplog.set_level(logging.WARNING, logger="xianjie.audit")
    with translation.override("zh-hans"), pytest.raises(Exception) as exc:
        services.household_create(
            village=village_a, address="白沙路1号", hukou_type="urban",
            members=[_member(other.id_number)], by=cw_baisha,
        )  # fmt: skip
    messages = exc.value.message_dict["members.0.id_number"]  # type: ignore[attr-defined]
    assert messages == [ELSEWHERE]
    assert other.id_number not in str(exc.value) and "台" not in str(exc.value)
    assert Person.objects.filter(id_number=other.id_number).count() == 1
    event = next(r for r in caplog.records if r.name == "xianjie.audit")
    assert "registered_elsewhere" in event.getMessage() and str(cw_baisha.pk) in event.getMessage()


def test_registering_an_id_in_ones_own_area_names_the_clash(cw_baisha, village_a, head):
    with translation.override("en"), pytest.raises(Exception) as exc:
        services.household_create(
            village=village_a, address="白沙路1号", hukou_type="urban",
            members=[_member(head.id_number)], by=cw_baisha,
        )  # fmt: skip
    assert "already registered" in str(exc.value) and "elsewhere" not in str(exc.value)


def test_api_answers_elsewhere_in_chinese(api, cw_baisha, village_a, household_taicheng):
    other = household_taicheng.memberships.first().person
    payload = {
        "village": village_a.pk, "address": "白沙路2号", "hukou_type": "urban",
        "members": [{"relation": "head", "name": "王五", "id_number": other.id_number}],
    }  # fmt: skip
    r = login(api, cw_baisha).post(
        HOUSEHOLDS, data=json.dumps(payload), content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )  # fmt: skip
    assert r.status_code == 400
    assert r.json()["members"]["0"]["id_number"] == [ELSEWHERE]


def test_person_update_to_an_id_of_another_district_says_elsewhere(
    cw_baisha, head, household_taicheng
):
    other = household_taicheng.memberships.first().person
    with translation.override("zh-hans"), pytest.raises(Exception) as exc:
        services.person_update(person=head, by=cw_baisha, id_number=other.id_number)
    assert exc.value.message_dict["id_number"] == [ELSEWHERE]  # type: ignore[attr-defined]


def test_unused_number_still_registers(cw_baisha, village_a):
    number = unique_id_number(birth=dt.date(1990, 1, 2))
    household = services.household_create(
        village=village_a, address="白沙路3号", hukou_type="urban", members=[_member(number)],
        by=cw_baisha,
    )  # fmt: skip
    assert household.memberships.get().person.id_number == number
