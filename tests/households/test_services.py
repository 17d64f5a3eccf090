import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from households import services
from households.models import Household, Membership, Person, Relation

from ..factories import PersonFactory, unique_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_messages():  # type: ignore[no-untyped-def]
    # Messages are matched in English here; the Chinese catalogue is tested in tests/core/test_i18n.py.
    from django.utils import translation

    with translation.override("en"):
        yield


def member(relation: str = Relation.HEAD, **person):  # type: ignore[no-untyped-def]
    person.setdefault("name", "李四")
    person.setdefault("id_number", unique_id_number())
    return services.MemberInput(relation=relation, person=person)


def create(user, village, members=None, **kw):  # type: ignore[no-untyped-def]
    return services.household_create(
        village=village,
        address=kw.pop("address", "白沙大道1号"),
        hukou_type=kw.pop("hukou_type", Household.Hukou.URBAN),
        members=members if members is not None else [member(), member(Relation.SPOUSE)],
        by=user,
        **kw,
    )


class TestHouseholdCreate:
    def test_creates_household_members_and_history_naming_the_user(self, cw_baisha, village_a):
        h = create(cw_baisha, village_a)
        assert h.memberships.filter(end_date__isnull=True).count() == 2
        persons = Person.objects.filter(memberships__household=h)
        assert {p.region_id for p in persons} == {village_a.pk}
        rec = h.history.get()
        assert rec.history_user == cw_baisha and rec.history_type == "+"
        assert all(p.history.get().history_user == cw_baisha for p in persons)

    def test_sex_and_birth_date_are_derived(self, cw_baisha, village_a):
        number = unique_id_number(birth=dt.date(1975, 3, 9), sex="F")
        h = create(cw_baisha, village_a, members=[member(id_number=number.lower())])
        p = h.memberships.get().person
        assert (p.sex, p.birth_date, p.id_number) == ("F", dt.date(1975, 3, 9), number.upper())

    def test_wrong_check_digit_names_the_member_and_writes_nothing(self, cw_baisha, village_a):
        good = unique_id_number()
        bad = good[:17] + ("0" if good[17] != "0" else "1")
        with pytest.raises(ValidationError) as e:
            create(cw_baisha, village_a, members=[member(), member(Relation.CHILD, id_number=bad)])
        assert "members.1.id_number" in e.value.message_dict
        assert Household.objects.count() == 0 and Person.objects.count() == 0

    def test_duplicate_id_number_is_refused(self, cw_baisha, village_a):
        existing = PersonFactory()
        with pytest.raises(ValidationError) as e:
            create(cw_baisha, village_a, members=[member(id_number=existing.id_number)])
        assert "members.0.id_number" in e.value.message_dict
        assert Household.objects.count() == 0

    def test_same_id_twice_in_one_household(self, cw_baisha, village_a):
        n = unique_id_number()
        with pytest.raises(ValidationError, match="twice"):
            create(
                cw_baisha,
                village_a,
                members=[member(id_number=n), member(Relation.CHILD, id_number=n)],
            )

    @pytest.mark.parametrize("heads", [0, 2])
    def test_exactly_one_head(self, cw_baisha, village_a, heads):
        members = [member(Relation.HEAD) for _ in range(heads)] + [member(Relation.CHILD)]
        with pytest.raises(ValidationError, match="head"):
            create(cw_baisha, village_a, members=members)
        assert Household.objects.count() == 0

    def test_village_outside_scope_is_refused(self, cw_baisha, village_taicheng):
        with pytest.raises(PermissionDenied):
            create(cw_baisha, village_taicheng)
        assert Household.objects.count() == 0

    def test_town_is_not_a_village(self, cw_baisha, baisha):
        with pytest.raises(ValidationError) as e:
            create(cw_baisha, baisha)
        assert "village" in e.value.message_dict

    @pytest.mark.parametrize("persona", ["va_baisha", "ca_pengjiang"])
    def test_roles_without_edit_permission_cannot_create(self, request, persona, village_a):
        with pytest.raises(PermissionDenied):
            create(request.getfixturevalue(persona), village_a)

    def test_labour_capacity_override_needs_reason(self, cw_baisha, village_a):
        with pytest.raises(ValidationError) as e:
            create(cw_baisha, village_a, members=[member(labour_capacity_assessed="partial")])
        assert "members.0.labour_capacity_reason" in e.value.message_dict

    def test_disability_category_and_grade_together(self, cw_baisha, village_a):
        with pytest.raises(ValidationError) as e:
            create(cw_baisha, village_a, members=[member(disability_grade=2)])
        assert "members.0.disability_grade" in e.value.message_dict


class TestOneActiveHousehold:
    def test_database_refuses_second_active_membership_even_via_orm(self, household_a, household_b):
        person = household_a.memberships.first().person
        with pytest.raises(IntegrityError), transaction.atomic():
            Membership.objects.create(
                household=household_b,
                person=person,
                relation=Relation.CHILD,
                start_date=dt.date(2024, 1, 1),
            )

    def test_member_add_existing_person_with_active_household_is_refused(
        self, cw_baisha, household_a, household_b
    ):
        person = household_a.memberships.first().person
        with pytest.raises(ValidationError) as e:
            services.member_add(
                household=household_b, person=person, relation="child", by=cw_baisha
            )
        assert "person" in e.value.message_dict
        assert person.memberships.filter(end_date__isnull=True).count() == 1

    def test_after_leaving_a_person_can_join_another_household(
        self, cw_baisha, household_a, household_b
    ):
        m = household_a.memberships.exclude(relation="head").first()
        services.member_remove(membership=m, reason="婚嫁迁出", by=cw_baisha)
        new = services.member_add(
            household=household_b, person=m.person, relation="spouse", by=cw_baisha
        )
        assert new.end_date is None
        m.refresh_from_db()
        assert m.end_date is not None and m.end_reason == "婚嫁迁出"
        assert m.person.memberships.filter(end_date__isnull=True).get() == new


class TestMembers:
    def test_member_add_new_person(self, cw_baisha, household_a):
        m = services.member_add(
            household=household_a,
            relation=Relation.GRANDCHILD,
            by=cw_baisha,
            person_data={
                "name": "王小明",
                "id_number": unique_id_number(birth=dt.date(2015, 6, 1)),
            },
        )
        assert m.person.region_id == household_a.village_id
        assert m.history.get().history_user == cw_baisha

    def test_second_head_is_refused(self, cw_baisha, household_a):
        with pytest.raises(ValidationError):
            services.member_add(
                household=household_a,
                relation=Relation.HEAD,
                by=cw_baisha,
                person_data={"name": "王五", "id_number": unique_id_number()},
            )

    def test_head_cannot_leave_while_others_remain(self, cw_baisha, household_a):
        head = household_a.memberships.get(relation="head")
        with pytest.raises(ValidationError, match="head"):
            services.member_remove(membership=head, reason="迁出", by=cw_baisha)

    def test_remove_needs_reason(self, cw_baisha, household_a):
        m = household_a.memberships.exclude(relation="head").first()
        with pytest.raises(ValidationError):
            services.member_remove(membership=m, reason=" ", by=cw_baisha)

    def test_remove_twice_is_refused(self, cw_baisha, household_a):
        m = household_a.memberships.exclude(relation="head").first()
        services.member_remove(membership=m, reason="死亡", by=cw_baisha)
        with pytest.raises(ValidationError, match="already"):
            services.member_remove(membership=m, reason="死亡", by=cw_baisha)

    def test_head_change(self, cw_baisha, household_a):
        child = household_a.memberships.exclude(relation="head").first()
        services.head_change(
            household=household_a,
            new_head=child,
            former_head_relation="parent",
            reason="户主变更",
            by=cw_baisha,
        )
        heads = household_a.memberships.filter(relation="head", end_date__isnull=True)
        assert list(heads) == [child]

    def test_outsider_cannot_touch_members(self, cw_taicheng, household_a):
        m = household_a.memberships.exclude(relation="head").first()
        with pytest.raises(PermissionDenied):
            services.member_remove(membership=m, reason="x", by=cw_taicheng)


class TestUpdates:
    def test_household_update_records_before_and_after(self, cw_baisha, household_a):
        services.household_update(
            household=household_a, address="新地址8号", reason="搬迁", by=cw_baisha
        )
        latest = household_a.history.latest()
        delta = latest.diff_against(latest.prev_record)
        assert [(c.field, c.new) for c in delta.changes] == [("address", "新地址8号")]
        assert latest.history_change_reason == "搬迁" and latest.history_user == cw_baisha

    def test_moving_village_moves_members_scope(self, cw_baisha, household_a, village_b):
        services.household_update(household=household_a, village=village_b, by=cw_baisha)
        assert set(
            Person.objects.filter(memberships__household=household_a).values_list(
                "region_id", flat=True
            )
        ) == {village_b.pk}

    def test_household_update_outside_scope(self, cw_taicheng, household_a):
        with pytest.raises(PermissionDenied):
            services.household_update(household=household_a, address="x", by=cw_taicheng)

    def test_person_update(self, cw_baisha, household_a):
        p = household_a.memberships.first().person
        services.person_update(person=p, phone="13800000000", reason="电话更新", by=cw_baisha)
        p.refresh_from_db()
        assert p.phone == "13800000000"
        assert p.history.latest().history_change_reason == "电话更新"

    def test_person_update_duplicate_id(self, cw_baisha, household_a, household_b):
        p = household_a.memberships.first().person
        other = household_b.memberships.first().person
        with pytest.raises(ValidationError) as e:
            services.person_update(person=p, id_number=other.id_number, by=cw_baisha)
        assert "id_number" in e.value.message_dict

    def test_person_update_outside_scope(self, cw_taicheng, household_a):
        with pytest.raises(PermissionDenied):
            services.person_update(
                person=household_a.memberships.first().person, phone="1", by=cw_taicheng
            )


def test_stale_version_is_refused_and_nothing_changes(cw_baisha, household_a):
    seen = household_a.updated_at
    services.household_update(
        household=household_a, address="甲", by=cw_baisha, expected_updated_at=seen
    )
    with pytest.raises(ValidationError) as e:
        services.household_update(
            household=household_a, address="乙", by=cw_baisha, expected_updated_at=seen
        )
    assert e.value.code == "stale"
    household_a.refresh_from_db()
    assert household_a.address == "甲"


@pytest.mark.django_db(transaction=True)
def test_parallel_registrations_of_one_id_number_one_wins_the_other_is_a_conflict(
    monkeypatch, cw_baisha, village_a
):
    """Defect 10: both pass the duplicate check before either saves; the database's unique
    constraint decides, and the loser gets a conflict (API 409) instead of an IntegrityError."""
    import threading

    from django.db import connection

    number = unique_id_number()
    barrier = threading.Barrier(2, timeout=10)
    checked = services._check_person_data

    def check_then_wait(data, **kw):  # type: ignore[no-untyped-def]
        out = checked(data, **kw)
        barrier.wait()  # both requests have seen "no such person yet"
        return out

    monkeypatch.setattr(services, "_check_person_data", check_then_wait)
    results: list[str] = []

    def register(address: str) -> None:
        from django.utils import translation

        try:
            with translation.override("en"):  # per thread
                create(cw_baisha, village_a, members=[member(id_number=number)], address=address)
            results.append("ok")
        except ValidationError as e:
            results.append(f"{e.code}: {e.messages[0]}")
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(a,)) for a in ("一号", "二号")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [
        f"conflict: A person with ID number {number} has just been registered by someone "
        "else. Reload and search for them.",
        "ok",
    ]
    assert Person.objects.filter(id_number=number).count() == 1
    assert Household.objects.count() == 1  # the loser's household is rolled back
