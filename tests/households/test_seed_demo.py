"""manage.py seed_demo and households.demo: realistic, valid, deterministic, non-duplicating."""

import datetime as dt
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Q

from core.models import Region
from households import demo
from households.idnumber import parse_id_number
from households.models import (
    DisabilityCategory,
    Household,
    Membership,
    Person,
    Relation,
    SeriousIllness,
)
from tests.factories import PersonFactory

AS_OF = demo.DEMO_AS_OF


def seed(n: int = 150, seed: int = 7, **kwargs) -> demo.SeedResult:  # type: ignore[no-untyped-def]
    return demo.seed_copy(n, seed=seed, **kwargs)


def snapshot() -> list[tuple]:  # type: ignore[type-arg]
    """The seeded data without database keys and timestamps, in creation order."""
    return list(
        Membership.objects.order_by("person_id").values_list(
            "person__id_number", "person__name", "relation", "start_date",
            "household__address", "household__village__code", "person__employment_status",
            "person__disability_category", "person__serious_illness__name",
        )
    )  # fmt: skip


def schema_objects() -> set[tuple[str, str]]:
    tables = [m._meta.db_table for m in (Household, Person, Membership)]
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT conrelid::regclass::text, conname || ' ' || pg_get_constraintdef(oid)
            FROM pg_constraint WHERE conrelid = ANY(%s::regclass[])
            UNION ALL
            SELECT tablename, indexdef FROM pg_indexes WHERE tablename = ANY(%s)
            """,
            [tables, tables],
        )
        return set(cur.fetchall())


def assert_valid_seeded_data(expected_households: int) -> None:
    households = Household.objects.annotate(
        size=Count("memberships", filter=Q(memberships__end_date__isnull=True)),
        heads=Count(
            "memberships",
            filter=Q(memberships__end_date__isnull=True, memberships__relation=Relation.HEAD),
        ),
    ).select_related("village")
    assert households.count() == expected_households
    for household in households:
        assert 1 <= household.size <= 6, household
        assert household.heads == 1, household
        assert household.village.level == Region.Level.VILLAGE
        urban = household.village.kind == Region.Kind.COMMUNITY
        assert household.hukou_type == ("urban" if urban else "rural")
        assert household.address.endswith("号") or household.address.endswith("房")
    memberships = Membership.objects.select_related("person", "household__village")
    for m in memberships:
        person, village = m.person, m.household.village
        facts = parse_id_number(person.id_number, today=AS_OF)
        assert (facts.sex, facts.birth_date) == (person.sex, person.birth_date), person.id_number
        assert facts.address_code == village.code[:6]  # born in the household's county
        assert person.region_id == village.pk
        assert m.end_date is None
        assert person.birth_date <= m.start_date <= AS_OF
        assert bool(person.disability_category) == (person.disability_grade is not None)
        assert bool(person.labour_capacity_assessed) == bool(person.labour_capacity_reason)
        assert person.created_at is not None and person.updated_at is not None
        if m.relation == Relation.HEAD:
            assert person.age_on(AS_OF) >= 18
    # Nobody is an active member twice; every person has a membership.
    active = Membership.objects.filter(end_date__isnull=True)
    assert active.values("person").distinct().count() == active.count() == Person.objects.count()
    assert Person.objects.values("id_number").distinct().count() == Person.objects.count()


@pytest.mark.django_db
def test_seeded_households_are_valid_and_realistic() -> None:
    result = seed(150)
    assert result.households == 150
    assert result.persons == Person.objects.count() == Membership.objects.count()
    assert 150 < result.persons <= 900
    assert_valid_seeded_data(150)
    assert not Person.history.exists()  # bulk seeding bypasses simple-history on purpose


@pytest.mark.django_db
def test_villages_are_created_under_every_real_town() -> None:
    seed(10)
    towns = Region.objects.filter(level=Region.Level.TOWNSHIP)
    assert towns.count() == 73
    for town in towns:
        villages = list(town.children.filter(level=Region.Level.VILLAGE))
        assert len(villages) >= 8, town.name
        for village in villages:
            assert len(village.code) == 12 and village.code.isdigit()
            assert village.code.startswith(town.code)
            assert village.path == f"{town.path}{village.code}."
            village.full_clean()  # the model's own rules (code length, parent level)
        kinds = Counter(v.kind for v in villages)
        if town.kind == Region.Kind.STREET:
            assert set(kinds) == {Region.Kind.COMMUNITY}
            assert all(v.name.endswith("社区") for v in villages)
        else:
            assert kinds[Region.Kind.VILLAGE] >= 8 and 1 <= kinds[Region.Kind.COMMUNITY] <= 2
            assert all(v.name.endswith("村") for v in villages if v.kind == Region.Kind.VILLAGE)
    # core demo_users puts the village assistant into a 白沙街道 community.
    assert Region.objects.filter(parent__code="440703002", level=Region.Level.VILLAGE).exists()
    # A second run reuses the villages.
    before = Region.objects.count()
    seed(10, seed=8)
    assert Region.objects.count() == before


def test_generator_is_deterministic_and_seed_dependent() -> None:
    villages = [
        demo.VillageRef(1, "440703002001", "白沙社区", Region.Kind.COMMUNITY, 1.0),
        demo.VillageRef(2, "440781101201", "龙塘村", Region.Kind.VILLAGE, 2.0),
    ]

    def run(seed: int) -> list[tuple]:  # type: ignore[type-arg]
        return [
            (h.village.code, h.address, m.id_number, m.name, m.relation, m.employment_status)
            for h in demo.generate_households(300, villages, seed=seed, illness_ids=[1, 2, 3])
            for m in h.members
        ]

    first = run(1)
    assert first == run(1)
    assert first != run(2)
    assert {row[2][:6] for row in first} == {"440703", "440781"}


def test_generated_people_have_plausible_attributes() -> None:
    villages = [
        demo.VillageRef(1, "440703002001", "白沙社区", Region.Kind.COMMUNITY, 1.0),
        demo.VillageRef(2, "440781101201", "龙塘村", Region.Kind.VILLAGE, 3.0),
    ]
    households = list(
        demo.generate_households(3000, villages, seed=5, illness_ids=list(range(1, 15)))
    )
    people = [(h, m) for h in households for m in h.members]
    n = len(people)
    sizes = Counter(len(h.members) for h in households)
    assert set(sizes) == {1, 2, 3, 4, 5, 6}
    assert 2.4 < n / len(households) < 3.1
    disabled = sum(m.disability_grade is not None for _h, m in people)
    ill = sum(m.serious_illness_id is not None for _h, m in people)
    assessed = [m for _h, m in people if m.labour_capacity_assessed]
    assert 0.04 < disabled / n < 0.08
    assert 0.035 < ill / n < 0.07
    assert 0 < len(assessed) / n < 0.05 and all(m.labour_capacity_reason for m in assessed)
    assert sum(m.willing_to_accept_help for _h, m in people) / n > 0.85
    categories = {m.disability_category for _h, m in people if m.disability_grade}
    assert categories <= set(DisabilityCategory.values) and len(categories) >= 5
    seen: set[str] = set()
    for h, m in people:
        age = (AS_OF - m.birth_date).days // 365
        facts = parse_id_number(m.id_number, today=AS_OF)
        assert (facts.sex, facts.birth_date) == (m.sex, m.birth_date)
        assert m.id_number not in seen
        seen.add(m.id_number)
        assert 2 <= len(m.name) <= 4
        if age < 16:
            assert m.employment_status == "n/a"
        if m.in_school:
            assert 6 <= age <= 22
        if m.relation == Relation.HEAD:
            assert age >= 18
        assert (h.hukou_type == "urban") == (h.village.kind == Region.Kind.COMMUNITY)
    school_age = [m for _h, m in people if 7 <= (AS_OF - m.birth_date).days // 365 <= 14]
    assert sum(m.in_school for m in school_age) / len(school_age) > 0.95
    spouses = [
        (h.members[0], m) for h, m in people if m.relation == Relation.SPOUSE
    ]  # head is first
    assert spouses and all(head.sex != spouse.sex for head, spouse in spouses)


@pytest.mark.django_db
def test_same_seed_into_an_empty_database_gives_the_same_data() -> None:
    seed(120, seed=11)
    first = snapshot()
    Membership.objects.all().delete()
    Person.objects.all().delete()
    Household.objects.all().delete()
    seed(120, seed=11)
    assert snapshot() == first
    Membership.objects.all().delete()
    Person.objects.all().delete()
    Household.objects.all().delete()
    seed(120, seed=12)
    assert snapshot() != first


@pytest.mark.django_db
def test_if_empty_does_not_duplicate() -> None:
    out = StringIO()
    call_command("seed_demo", "--households", "40", "--if-empty", stdout=out)
    assert Household.objects.count() == 40
    assert "Seeded 40 households" in out.getvalue()
    persons = Person.objects.count()
    out = StringIO()
    call_command("seed_demo", "--households", "40", "--if-empty", stdout=out)
    assert Household.objects.count() == 40 and Person.objects.count() == persons
    assert "nothing seeded" in out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("rebuild_indexes", [True, False])
def test_appending_avoids_id_number_collisions(rebuild_indexes: bool) -> None:
    # A person registered before seeding holds the very number the generator would pick first.
    villages = demo.ensure_villages()
    illnesses = list(SeriousIllness.objects.order_by("name").values_list("pk", flat=True))
    first = next(demo.generate_households(1, villages, seed=3, illness_ids=illnesses))
    taken_number = first.members[0].id_number
    PersonFactory(id_number=taken_number, name="先登记")

    seed(100, seed=3, rebuild_indexes=rebuild_indexes)
    seed(100, seed=3, rebuild_indexes=rebuild_indexes)  # same seed again: appends, no collisions

    assert Household.objects.count() == 200
    assert Person.objects.filter(id_number=taken_number).count() == 1
    numbers = list(Person.objects.values_list("id_number", flat=True))
    assert len(numbers) == len(set(numbers))
    assert Person.objects.filter(name="先登记", memberships__isnull=True).count() == 1
    # The sequences moved past the keys we reserved: an ordinary insert still works.
    later = PersonFactory()
    assert later.pk > Person.objects.exclude(pk=later.pk).order_by("-pk").first().pk


@pytest.mark.django_db
@pytest.mark.parametrize("rebuild_indexes", [True, False])
def test_constraints_and_indexes_hold_after_seeding(rebuild_indexes: bool) -> None:
    before = schema_objects()
    seed(80, rebuild_indexes=rebuild_indexes)
    assert schema_objects() == before  # rebuilt with the same names and definitions
    assert_valid_seeded_data(80)
    # The database still refuses a second active membership and a second active head.
    person = Person.objects.first()
    other = Household.objects.exclude(memberships__person=person).first()
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            household=other, person=person, relation=Relation.CHILD, start_date=dt.date(2024, 1, 1)
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            household=other, person=PersonFactory(), relation=Relation.HEAD,
            start_date=dt.date(2024, 1, 1),
        )  # fmt: skip


@pytest.mark.django_db
def test_bulk_create_baseline_writes_the_same_people() -> None:
    demo.seed_bulk_create(60, seed=4)
    baseline = snapshot()
    assert_valid_seeded_data(60)
    Membership.objects.all().delete()
    Person.objects.all().delete()
    Household.objects.all().delete()
    demo.seed_copy(60, seed=4)
    assert snapshot() == baseline


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (Person, demo.PERSON_FIELDS),
        (Household, demo.HOUSEHOLD_FIELDS),
        (Membership, demo.MEMBERSHIP_FIELDS),
    ],
)
def test_copy_writes_every_column(model, fields) -> None:  # type: ignore[no-untyped-def]
    """A field added to the model must be added to the COPY writer (and the generator) too,
    except those the database keeps itself (triggers of households migration 0005)."""
    kept_by_the_database = {"member_names"}
    names = {f.name for f in model._meta.concrete_fields} - kept_by_the_database
    assert sorted(names) == sorted(fields)
