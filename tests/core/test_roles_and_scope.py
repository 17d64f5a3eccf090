import pytest
from django.core.exceptions import ValidationError

from core.masking import mask_id_number, mask_name
from core.models import Region, User
from core.roles import PERMISSIONS, Role
from core.scope import region_in_scope, scope_queryset, visible_regions
from households.models import Household, Person

from ..factories import UserFactory, region

pytestmark = pytest.mark.django_db


def test_regions_loaded_from_csv():
    assert Region.objects.filter(level="county").count() == 7
    assert Region.objects.filter(level="township").count() == 73
    baisha = Region.objects.get(code="440703002")
    assert baisha.name == "白沙街道" and baisha.parent.code == "440703"
    assert baisha.path == "440700.440703.440703002." and baisha.area_class == 3
    assert Region.objects.get(code="440781").area_class == 4


def test_every_role_has_a_permission_set_and_only_known_roles():
    assert set(PERMISSIONS) == set(Role.values)


@pytest.mark.parametrize(
    ("role", "perm", "allowed"),
    [
        (Role.CASEWORKER, "households.change_household", True),
        (Role.CASEWORKER, "core.add_user", False),
        (Role.VILLAGE_ASSISTANT, "households.view_household", True),
        (Role.VILLAGE_ASSISTANT, "households.add_household", False),
        (Role.CIVIL_AFFAIRS_REVIEWER, "households.change_household", False),
        (Role.POVERTY_OFFICE_REVIEWER, "households.reveal_id_number", False),
        (Role.DATA_ADMIN, "households.import_households", True),
        (Role.AUDITOR, "households.change_person", False),
        (Role.SUPERVISOR, "households.view_household", True),
        (Role.SUPERVISOR, "households.reveal_id_number", False),
    ],
)
def test_role_permissions_are_answered_by_the_table(role, perm, allowed):
    level_region = {"village_assistant": None}.get(role)
    code = {
        "caseworker": "440703002",
        "civil_affairs_reviewer": "440703",
        "poverty_office_reviewer": "440703",
    }.get(role, "440700")
    if role == Role.VILLAGE_ASSISTANT:
        v = Region(code="440703002299", name="测试", kind="community", parent=region("440703002"))
        v.save()
        level_region = v
    user = UserFactory(role=role, region=level_region or region(code))
    assert user.has_perm(perm) is allowed


def test_user_without_role_has_no_permissions_and_no_scope():
    user = UserFactory(role="", region=None)
    assert not user.has_perm("households.view_household")
    assert not visible_regions(user).exists()


def test_inactive_user_sees_nothing():
    user = UserFactory(is_active=False)
    assert not user.has_perm("households.view_household")
    assert not visible_regions(user).exists()


def test_database_requires_region_for_a_role():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="x", role=Role.CASEWORKER, region=None)


def test_role_must_match_region_level():
    user = User(username="bad", role=Role.CASEWORKER, region=region("440703"))
    with pytest.raises(ValidationError) as e:
        user.full_clean(exclude=["password"])
    assert "region" in e.value.message_dict


def test_staff_flag_follows_role():
    assert UserFactory(role=Role.DATA_ADMIN, region=region("440700")).is_staff
    assert not UserFactory(role=Role.CASEWORKER).is_staff


def test_scope_is_the_region_subtree(cw_baisha, ca_pengjiang, ca_taishan, data_admin):
    assert region_in_scope(cw_baisha, region("440703002"))
    assert not region_in_scope(cw_baisha, region("440703005"))
    assert region_in_scope(ca_pengjiang, region("440703005"))
    assert not region_in_scope(ca_taishan, region("440703002"))
    assert region_in_scope(data_admin, region("440781001"))


def test_rows_without_region_only_for_city_level(cw_baisha, data_admin):
    from ..factories import PersonFactory

    orphan = PersonFactory(region=None)
    assert (
        not scope_queryset(Person.objects.all(), cw_baisha, region_field="region")
        .filter(pk=orphan.pk)
        .exists()
    )
    assert (
        scope_queryset(Person.objects.all(), data_admin, region_field="region")
        .filter(pk=orphan.pk)
        .exists()
    )


def test_household_scope(cw_baisha, ca_taishan, household_a, household_taicheng):
    qs = Household.objects.all()
    assert list(scope_queryset(qs, cw_baisha, region_field="village")) == [household_a]
    assert list(scope_queryset(qs, ca_taishan, region_field="village")) == [household_taicheng]


def test_region_code_rules():
    bad = Region(code="44070300201", name="x", kind="village", parent=region("440703002"))
    with pytest.raises(ValidationError):
        bad.full_clean()
    wrong_parent = Region(code="440704001201", name="x", kind="village", parent=region("440703002"))
    with pytest.raises(ValidationError):
        wrong_parent.full_clean()


@pytest.mark.parametrize(
    ("raw", "masked"),
    [("440703199001011234", "4407**********1234"), ("", "")],
)
def test_mask_id_number(raw, masked):
    assert mask_id_number(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"), [("张三明", "张*明"), ("张三", "张*"), ("欧阳小明", "欧阳**")]
)
def test_mask_name(raw, masked):
    assert mask_name(raw) == masked


def test_the_sessions_user_comes_with_their_region_in_one_query(
    cw_baisha, django_assert_num_queries
):
    from core.backends import RoleBackend

    with django_assert_num_queries(1):
        user = RoleBackend().get_user(cw_baisha.pk)
        assert user is not None and user.region.code == cw_baisha.region.code
    cw_baisha.is_active = False
    cw_baisha.save(update_fields=["is_active"])
    assert RoleBackend().get_user(cw_baisha.pk) is None
    assert RoleBackend().get_user(-1) is None
