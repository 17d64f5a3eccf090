import pytest
from django.urls import reverse

from ..conftest import login

pytestmark = pytest.mark.django_db


def test_caseworker_has_no_admin(client, cw_baisha):
    login(client, cw_baisha)
    r = client.get(reverse("admin:index"))
    assert r.status_code == 302 and "login" in r["Location"]


def test_data_admin_sees_admin_lists(client, data_admin, household_a):
    login(client, data_admin)
    for name in [
        "admin:core_region_changelist",
        "admin:core_user_changelist",
        "admin:households_household_changelist",
        "admin:households_person_changelist",
    ]:
        assert client.get(reverse(name)).status_code == 200, name


def test_district_data_admin_is_scoped(client, household_a, household_taicheng):
    from core.roles import Role

    from ..factories import UserFactory, region

    admin_ts = UserFactory(username="da_taishan", role=Role.DATA_ADMIN, region=region("440781"))
    login(client, admin_ts)
    r = client.get(reverse("admin:households_household_changelist"))
    ids = [h.pk for h in r.context["cl"].result_list]
    assert ids == [household_taicheng.pk]
    r = client.get(reverse("admin:households_household_change", args=[household_a.pk]))
    assert r.status_code in (302, 404)


def test_admin_cannot_delete_households(client, data_admin, household_a):
    login(client, data_admin)
    r = client.get(reverse("admin:households_household_delete", args=[household_a.pk]))
    assert r.status_code == 403
