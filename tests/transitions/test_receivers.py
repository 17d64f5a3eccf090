"""Hand-offs the system opens by itself, once per event."""

import datetime as dt
from decimal import Decimal

import pytest

from households.models import Person
from poverty import services as poverty
from poverty.classification import classification_recompute
from poverty.models import PovertyRecord
from transitions.models import Handoff, InsuranceEnrolment

from .conftest import CONFIRM_ON, on_day


def test_confirming_a_key_target_household_opens_the_referral_and_the_enrolment(confirmed_case):
    household = confirmed_case.household
    ref = Handoff.objects.get(kind="registration_referral", household=household)
    assert ref.dibao_case == confirmed_case and ref.opened_on == CONFIRM_ON
    assert ref.basis_actors == [confirmed_case.confirmed_by_id]
    ins = Handoff.objects.get(kind="insurance_enrolment", household=household)
    assert ins.to_department == "social_security"
    assert InsuranceEnrolment.objects.filter(household=household).count() == 2


def test_a_safety_net_household_is_not_referred(cw_baisha, cw_baisha_2, ca_pengjiang, village_a):
    from ..assistance.conftest import build_case, poor_household

    household = poor_household(village_a, members=((70, "head"), (12, "child")))
    build_case(household, to="confirmed", maker=cw_baisha, second=cw_baisha_2, checker=ca_pengjiang)
    assert not Handoff.objects.filter(kind="registration_referral").exists()
    assert Handoff.objects.filter(kind="insurance_enrolment").count() == 1


def _registered(household, po):  # type: ignore[no-untyped-def]
    with on_day(dt.date(2026, 11, 16)):
        record = poverty.poverty_record_register(
            household=household, registered_on=dt.date(2026, 11, 16), causes=["illness"], by=po
        )
        poverty.assistance_measure_record(
            household=household,
            kind="medical",
            started_on=dt.date(2026, 11, 16),
            department="区医保局",
            responsible_person="王五",
            funds=None,
            by=po,
        )
    record.refresh_from_db()
    return record


def test_an_exit_confirmation_with_active_dibao_opens_the_notice_once(
    confirmed_case, po_pengjiang, po_pengjiang_2
):
    record = _registered(confirmed_case.household, po_pengjiang)
    with on_day(dt.date(2026, 11, 20)):
        poverty.poverty_record_propose_exit(
            record=record,
            on=dt.date(2026, 11, 20),
            income_per_capita=Decimal("2500"),
            evidence="务工",
            by=po_pengjiang,
        )
    with on_day(dt.date(2026, 11, 25)):
        poverty.poverty_record_confirm_exit(
            record=record,
            confirmed_on=dt.date(2026, 11, 25),
            document_no="蓬府〔2026〕1号",
            confirming_level="county",
            by=po_pengjiang_2,
        )
    notice = Handoff.objects.get(kind="exit_notice")
    assert notice.dibao_case == confirmed_case and notice.poverty_record == record
    assert set(notice.basis_actors) == {po_pengjiang.pk, po_pengjiang_2.pk}


def test_an_exit_without_dibao_opens_no_notice(household_a, po_pengjiang, po_pengjiang_2):
    record = _registered(household_a, po_pengjiang)
    with on_day(dt.date(2026, 11, 20)):
        poverty.poverty_record_propose_exit(
            record=record,
            on=dt.date(2026, 11, 20),
            income_per_capita=Decimal("2500"),
            evidence="务工",
            by=po_pengjiang,
        )
    with on_day(dt.date(2026, 11, 25)):
        poverty.poverty_record_confirm_exit(
            record=record,
            confirmed_on=dt.date(2026, 11, 25),
            document_no="蓬府〔2026〕2号",
            confirming_level="county",
            by=po_pengjiang_2,
        )
    assert not Handoff.objects.filter(kind="exit_notice").exists()


def test_cannot_exit_goes_to_civil_affairs(household_a, po_pengjiang):
    record = _registered(household_a, po_pengjiang)
    with on_day(dt.date(2026, 11, 17)):
        poverty.poverty_record_report_cannot_exit(
            record=record, reason="无劳动力，产业帮扶无效", by=po_pengjiang
        )
    h = Handoff.objects.get(kind="cannot_exit")
    assert h.to_department == "civil_affairs" and h.basis_actors == [po_pengjiang.pk]


@pytest.mark.django_db
def test_a_change_of_classification_opens_a_handoff_to_the_new_department(
    confirmed_case, ca_pengjiang
):
    from core.notifications.models import Notification

    household = confirmed_case.household
    for person in Person.objects.filter(memberships__household=household):
        person.willing_to_accept_help = False
        person.save()
    with on_day(dt.date(2026, 11, 20)):
        classification_recompute(household_ids=[household.pk], by=None)
    h = Handoff.objects.get(kind="classification_change", household=household)
    assert (h.from_department, h.to_department) == ("poverty_office", "civil_affairs")
    assert h.stage_role == "receiving_reviewer" and "→" in h.reason
    assert h.dibao_case == confirmed_case
    assert Notification.objects.filter(
        recipient=ca_pengjiang, kind="handoff.open", title__contains="changed classification"
    ).exists()
    with on_day(dt.date(2026, 11, 20)):
        classification_recompute(household_ids=[household.pk], by=None)
    assert Handoff.objects.filter(kind="classification_change").count() == 1


def test_registered_households_are_not_referred_again(confirmed_case):
    assert PovertyRecord.objects.count() == 0
    assert Handoff.objects.filter(kind="registration_referral").count() == 1
