"""The confirmed amount never differs silently from the published one (issue 6 defect 5).

The reported case: the notice published 2011.00, the confirmation gave 2103.00 after a member's
disability grade changed during the notice. Here the case of the builders publishes 1711 (蓬江区,
urban standard 914: wages 300 for two → (914 − 150) × 2 = 1528, the 15-year-old's 20% = 182.80).
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from assistance.dibao import services
from assistance.models import BenefitAward, DibaoStandard
from households.models import DisabilityCategory

from ..conftest import login
from ..factories import region
from .conftest import S, build_case, head_of, on_day, poor_household

pytestmark = pytest.mark.django_db
AFTER_NOTICE = dt.date(2026, 11, 13)  # the builders' notice runs 6–12 November


@pytest.fixture
def noticed(cw_baisha, cw_baisha_2, ca_pengjiang, village_a):  # type: ignore[no-untyped-def]
    return build_case(
        poor_household(village_a), to=S.IN_NOTICE, maker=cw_baisha, second=cw_baisha_2
    )


def _grade_2_for_the_head(case):  # type: ignore[no-untyped-def]
    """During the notice the head is assessed grade 2 (physical): +30% of 914 = 274.20."""
    head = head_of(case.household)
    head.disability_category, head.disability_grade = DisabilityCategory.PHYSICAL, 2
    head.save()


def test_household_data_changed_during_the_notice_refuses_the_confirmation(noticed, ca_pengjiang):
    assert noticed.notices.get().amount == Decimal("1711.00")
    _grade_2_for_the_head(noticed)
    with on_day(AFTER_NOTICE), pytest.raises(ValidationError) as e:
        services.dibao_case_confirm(case=noticed, on=AFTER_NOTICE, by=ca_pengjiang)
    assert e.value.code == "data_changed"
    # 1528 + 182.80 + 274.20 = 1985
    assert "published 1711.00" in e.value.messages[0] and "1985" in e.value.messages[0]
    noticed.refresh_from_db()
    assert noticed.status == S.IN_NOTICE and not BenefitAward.objects.filter(case=noticed).exists()
    assert not noticed.transitions.filter(action="confirm").exists()


def test_back_to_a_new_proposal_and_notice(noticed, cw_baisha, cw_baisha_2, ca_pengjiang):
    _grade_2_for_the_head(noticed)
    with on_day(AFTER_NOTICE):
        # The proposer does not send it back (same separation of duties as the confirmation).
        with pytest.raises(PermissionDenied):
            services.dibao_case_repropose(case=noticed, by=cw_baisha)
        services.dibao_case_repropose(case=noticed, by=ca_pengjiang)
    noticed.refresh_from_db()
    assert noticed.status == S.INVESTIGATING and noticed.proposed_amount is None
    row = noticed.transitions.last()
    assert (row.action, row.from_status, row.to_status, row.by) == (
        "repropose",
        S.IN_NOTICE,
        S.INVESTIGATING,
        ca_pengjiang,
    )
    assert "published 1711.00" in row.reason and "now give 1985" in row.reason
    with on_day(dt.date(2026, 11, 16)):
        services.dibao_case_propose(case=noticed, on=dt.date(2026, 11, 16), by=cw_baisha)
        notice = services.dibao_case_start_notice(
            case=noticed, starts_on=dt.date(2026, 11, 16), by=cw_baisha
        )
    assert notice.amount == Decimal("1985.00")
    with on_day(dt.date(2026, 11, 23)):
        services.dibao_case_confirm(case=noticed, on=dt.date(2026, 11, 23), by=ca_pengjiang)
    award = BenefitAward.objects.get(case=noticed)
    assert award.total == Decimal("1985") and award.note == ""


def test_sending_back_without_a_data_change_needs_a_reason(noticed, ca_pengjiang):
    with on_day(AFTER_NOTICE):
        with pytest.raises(ValidationError) as e:
            services.dibao_case_repropose(case=noticed, by=ca_pengjiang)
        assert "reason" in e.value.message_dict
        services.dibao_case_repropose(case=noticed, by=ca_pengjiang, reason="公示内容有误")
    assert "公示内容有误" in noticed.transitions.last().reason


def test_a_new_standard_from_1_january_is_confirmed_with_the_difference_recorded(
    noticed, ca_pengjiang
):
    DibaoStandard.objects.filter(county=region("440703"), valid_to__isnull=True).update(
        valid_to=dt.date(2026, 12, 31)
    )
    DibaoStandard.objects.create(
        county=region("440703"), valid_from=dt.date(2027, 1, 1), urban=1000, rural=1000
    )
    with on_day(dt.date(2027, 1, 4)):
        services.dibao_case_confirm(case=noticed, on=dt.date(2027, 1, 4), by=ca_pengjiang)
    award = BenefitAward.objects.get(case=noticed)
    # (1000 − 150) × 2 = 1700, the minor's 20% = 200 → 1900
    assert award.total == Decimal("1900")
    why = (
        "Published 1711.00, confirmed 1900 because the standard changed from 914.00 to "
        "1000.00 yuan on 2027-01-01."
    )
    assert award.note == why and award.computation["difference_note"] == why
    assert why in noticed.transitions.get(action="confirm").reason


class TestDecisionPage:
    def test_shows_both_amounts_and_the_way_back(self, client, noticed, ca_pengjiang):
        _grade_2_for_the_head(noticed)
        login(client, ca_pengjiang)
        with on_day(AFTER_NOTICE):
            html = client.get(reverse("assistance:decide", args=[noticed.pk])).content.decode()
            assert 'data-testid="published-amount">1711.00' in html
            assert 'data-testid="now-amount">1985' in html
            assert 'data-testid="data-changed"' in html
            assert reverse("assistance:repropose", args=[noticed.pk]) in html
            r = client.post(
                reverse("assistance:decide", args=[noticed.pk]),
                {"confirm-on": "2026-11-13", "final": "yes"},
            )
            assert r.status_code == 200 and "data changed during the notice" in r.content.decode()
            r = client.post(reverse("assistance:repropose", args=[noticed.pk]), {"reason": ""})
            assert r.status_code == 302
        noticed.refresh_from_db()
        assert noticed.status == S.INVESTIGATING

    def test_in_chinese(self, client, settings, noticed, ca_pengjiang):
        settings.LANGUAGE_CODE = "zh-hans"
        _grade_2_for_the_head(noticed)
        login(client, ca_pengjiang)
        with on_day(AFTER_NOTICE):
            html = client.get(
                reverse("assistance:decide", args=[noticed.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
            ).content.decode()
        assert "公示金额" in html and "家庭数据在公示期间发生变化" in html

    def test_policy_only_difference_is_explained(self, client, noticed, ca_pengjiang):
        DibaoStandard.objects.filter(county=region("440703"), valid_to__isnull=True).update(
            valid_to=dt.date(2026, 11, 9)
        )
        DibaoStandard.objects.create(
            county=region("440703"), valid_from=dt.date(2026, 11, 10), urban=1000, rural=1000
        )
        login(client, ca_pengjiang)
        with on_day(AFTER_NOTICE):
            html = client.get(reverse("assistance:decide", args=[noticed.pk])).content.decode()
        assert 'data-testid="now-amount">1900' in html and 'data-testid="policy-changed"' in html
        assert "the standard changed from 914.00 to 1000.00 yuan on 2026-11-10" in html


class TestApi:
    def test_data_changed_is_409_and_repropose_endpoint(self, api, noticed, ca_pengjiang):
        _grade_2_for_the_head(noticed)
        login(api, ca_pengjiang)
        base = f"/api/v1/dibao-cases/{noticed.pk}/"
        with on_day(AFTER_NOTICE):
            r = api.post(f"{base}confirm/", {"on": "2026-11-13"}, format="json")
            assert r.status_code == 409, r.json()
            r = api.post(f"{base}repropose/", {}, format="json")
        assert r.status_code == 200 and r.json()["status"] == "investigating"
        assert r.json()["proposed_amount"] is None
