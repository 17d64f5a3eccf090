import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from assistance.models import DibaoStandard, PolicyParameter
from assistance.policy.selectors import parameter, policy_on, standard_on

from ..conftest import login
from ..factories import region

pytestmark = pytest.mark.django_db


def test_seeded_standards_follow_domain_figures():
    pengjiang, taishan = region("440703"), region("440781")
    assert standard_on(pengjiang, dt.date(2015, 6, 1)).urban == Decimal("520")
    assert standard_on(taishan, dt.date(2020, 6, 1)).rural == Decimal("532")
    s2018 = standard_on(pengjiang, dt.date(2018, 6, 1))
    assert s2018.interpolated and s2018.urban == Decimal("702")
    assert standard_on(taishan, dt.date(2022, 6, 1)).urban == Decimal("800")  # 2021 until 2023
    assert standard_on(taishan, dt.date(2026, 6, 1)).urban == Decimal("857")


def test_parameters_and_policy_snapshot():
    assert parameter("notice_days", dt.date(2026, 1, 1)) == Decimal("7")
    p = policy_on(county=region("440781"), hukou_type="rural", on=dt.date(2023, 3, 1))
    assert p.standard == Decimal("600") and p.supplement_percents["severe_disability"] == 30


def test_overlapping_standard_is_refused():
    s = DibaoStandard(
        county=region("440703"),
        valid_from=dt.date(2023, 6, 1),
        urban=Decimal("950"),
        rural=Decimal("950"),
    )
    with pytest.raises(ValidationError) as e:
        s.full_clean()
    assert "__all__" in e.value.message_dict


def test_overlapping_parameter_is_refused():
    p = PolicyParameter(key="notice_days", valid_from=dt.date(2020, 1, 1), value=Decimal("5"))
    with pytest.raises(ValidationError):
        p.full_clean()


def test_data_admin_edits_policy_and_is_recorded(client, data_admin):
    login(client, data_admin)
    current = DibaoStandard.objects.get(county=region("440703"), valid_to__isnull=True)
    r = client.post(
        reverse("admin:assistance_dibaostandard_change", args=[current.pk]),
        {
            "county": current.county_id,
            "valid_from": "2023-01-01",
            "valid_to": "2026-12-31",
            "urban": "914",
            "rural": "914",
            "source_document": "x",
            "note": "",
        },
    )
    assert r.status_code == 302, r.content[:500]
    r = client.post(
        reverse("admin:assistance_dibaostandard_add"),
        {
            "county": current.county_id,
            "valid_from": "2027-01-01",
            "valid_to": "",
            "urban": "960",
            "rural": "960",
            "source_document": "江府〔2026〕",
            "note": "",
        },
    )
    assert r.status_code == 302
    new = DibaoStandard.objects.get(county=current.county, valid_from=dt.date(2027, 1, 1))
    assert new.updated_by == data_admin


def test_caseworker_cannot_edit_policy(client, cw_baisha):
    login(client, cw_baisha)
    r = client.get(reverse("admin:assistance_dibaostandard_changelist"))
    assert r.status_code == 302  # not staff: sent to the admin login


def test_topup_targets_are_policy_data_from_2018():
    assert parameter("topup_target_urban_pct", dt.date(2026, 12, 1)) == Decimal("75")
    assert parameter("topup_target_rural_pct", dt.date(2018, 1, 1)) == Decimal("50")
    with pytest.raises(ValidationError):
        parameter("topup_target_urban_pct", dt.date(2017, 12, 31))
