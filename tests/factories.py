"""factory_boy factories. ID numbers are generated valid (check character computed)."""

import datetime as dt
import itertools

import factory

from core.models import Region, User
from core.roles import Role
from households.idnumber import check_character
from households.models import Household, Membership, Person, Relation

_seq = itertools.count(1)


def make_id_number(
    birth: dt.date = dt.date(1980, 5, 17), *, sex: str = "M", area: str = "440703"
) -> str:
    seq = 2 * (next(_seq) % 499) + (1 if sex == "M" else 2)  # odd = male, even = female
    first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_character(first17)


def unique_id_number(**kwargs) -> str:  # type: ignore[no-untyped-def]
    """A valid ID number not yet registered (birth dates vary to avoid collisions)."""
    fixed_birth = kwargs.pop("birth", None)
    for _ in range(10_000):
        i = next(_seq)
        birth = fixed_birth or dt.date(1950, 1, 1) + dt.timedelta(days=i * 37 % 25000)
        number = make_id_number(birth, **kwargs)
        if not Person.objects.filter(id_number=number).exists():
            return number
    raise RuntimeError("no free ID number")


def region(code: str) -> Region:
    return Region.objects.get(code=code)


class VillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    parent = factory.LazyFunction(lambda: region("440703002"))  # 白沙街道
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.parent.code}{200 + n % 800:03d}")
    name = factory.Sequence(lambda n: f"测试村{n}")
    kind = Region.Kind.COMMUNITY


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.CASEWORKER
    region = factory.LazyFunction(lambda: region("440703002"))

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        obj.set_password(extracted or "pw-Xianjie-1")
        if create:
            obj.save(update_fields=["password"])


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"张{'三四五六七八九'[n % 7]}{'明华强丽芳军'[n % 6]}")
    id_number = factory.LazyFunction(unique_id_number)


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    village = factory.SubFactory(VillageFactory)
    address = factory.Sequence(lambda n: f"幸福路{n}号")
    hukou_type = Household.Hukou.URBAN


def household_with_members(
    village: Region, *, members: int = 2, start: dt.date = dt.date(2020, 1, 1)
) -> Household:
    """A household with a head and `members - 1` children, written directly (no services)."""
    household = HouseholdFactory(village=village)
    for i in range(members):
        person = PersonFactory(region=village)
        Membership.objects.create(
            household=household,
            person=person,
            relation=Relation.HEAD if i == 0 else Relation.CHILD,
            start_date=start,
        )
    return household
