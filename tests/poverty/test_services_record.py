"""The poverty record's services: happy paths with their history rows and signals, bad input
(nothing written), separation of duties, the cause → aid proposal."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.notifications.models import Notification
from poverty import rules, services, signals
from poverty.models import (
    AssistanceMeasure,
    ExitCertificate,
    PovertyRecord,
    PovertyRecordTransition,
)
from poverty.workflow import POVERTY

from .conftest import (
    CONFIRMED_ON,
    MEASURE_ON,
    PROPOSED_ON,
    REGISTERED_ON,
    TODAY,
    S,
    build_record,
    household_of,
)

pytestmark = pytest.mark.django_db


class Catch:
    """Collects the calls of a signal."""

    def __init__(self, signal):  # type: ignore[no-untyped-def]
        self.calls: list[dict] = []
        self.signal = signal

    def __enter__(self):  # type: ignore[no-untyped-def]
        self.signal.connect(self._got, dispatch_uid=f"test-{id(self)}")
        return self

    def __exit__(self, *exc):  # type: ignore[no-untyped-def]
        self.signal.disconnect(dispatch_uid=f"test-{id(self)}")

    def _got(self, sender, **kwargs):  # type: ignore[no-untyped-def]
        self.calls.append(kwargs)


def history(record):  # type: ignore[no-untyped-def]
    return list(
        PovertyRecordTransition.objects.filter(record=record).values_list(
            "action", "from_status", "to_status", "by__username"
        )
    )


# --------------------------------------------------------------------------- happy paths


def test_the_whole_path_writes_one_history_row_per_step(household_pj, po_pengjiang, po_pengjiang_2):
    with Catch(signals.exit_confirmed) as confirmed, Catch(signals.returned_to_poverty) as back:
        record = build_record(
            household_pj, to=S.RETURNED, registrar=po_pengjiang, confirmer=po_pengjiang_2
        )
    assert history(record) == [
        ("register", "", S.REGISTERED, "po_pengjiang"),
        ("record_measure", S.REGISTERED, S.ASSISTED, "po_pengjiang"),
        ("propose_exit", S.ASSISTED, S.EXIT_PROPOSED, "po_pengjiang"),
        ("confirm_exit", S.EXIT_PROPOSED, S.EXIT_CONFIRMED, "po_pengjiang_2"),
        ("return", S.EXIT_CONFIRMED, S.RETURNED, "po_pengjiang"),
    ]
    assert [c["record"].pk for c in confirmed.calls] == [record.pk]
    assert confirmed.calls[0]["by"] == po_pengjiang_2
    assert [c["record"].pk for c in back.calls] == [record.pk]
    assert record.returned_on == TODAY
    assert (
        record.exit_confirmed_on == CONFIRMED_ON and record.exit_document_no == "蓬府〔2026〕12号"
    )


def test_registration_keeps_the_causes_and_tells_the_town_which_aid_they_propose(
    household_pj, po_pengjiang, cw_baisha, cw_taicheng
):
    record = services.poverty_record_register(
        household=household_pj,
        registered_on=REGISTERED_ON,
        causes=["illness", "disaster", "illness"],
        reason="转介受理",
        by=po_pengjiang,
    )
    assert record.causes == ["illness", "disaster"]
    assert record.created_by == po_pengjiang
    row = PovertyRecordTransition.objects.get(record=record)
    assert (row.action, row.reason) == ("register", "转介受理")
    notes = Notification.objects.filter(kind="poverty.aid_proposed")
    assert [n.recipient for n in notes] == [cw_baisha]  # the town's caseworkers only
    assert "医疗救助" in notes[0].title or "Medical aid" in notes[0].title
    assert notes[0].target_url == f"/poverty/{record.pk}/"


def test_no_aid_cause_sends_no_notification(household_pj, po_pengjiang, cw_baisha):
    services.poverty_record_register(
        household=household_pj,
        registered_on=REGISTERED_ON,
        causes=["lack_of_skills"],
        by=po_pengjiang,
    )
    assert not Notification.objects.filter(kind="poverty.aid_proposed").exists()


def test_aid_mapping_is_pure_and_each_aid_once():
    codes = [
        a.code
        for a in rules.aid_for_causes(["disaster", "illness", "schooling", "disability", "other"])
    ]
    assert codes == ["disaster", "housing", "medical", "education", "disability_supplement"]
    assert rules.aid_for_causes(["lack_of_funds"]) == []


def test_measures_first_moves_to_assisted_later_ones_keep_it(
    record_registered, household_pj, cw_baisha
):
    kw = dict(
        kind="employment",
        started_on=MEASURE_ON,
        department="人社局",
        responsible_person="王",
        funds=None,
    )
    m1 = services.assistance_measure_record(household=household_pj, by=cw_baisha, **kw)
    record_registered.refresh_from_db()
    assert record_registered.status == S.ASSISTED and m1.record == record_registered
    services.assistance_measure_record(
        household=household_pj, by=cw_baisha, **kw | {"kind": "medical"}
    )
    record_registered.refresh_from_db()
    assert record_registered.status == S.ASSISTED
    assert [h[:3] for h in history(record_registered)][1:] == [
        ("record_measure", S.REGISTERED, S.ASSISTED),
        ("record_measure", S.ASSISTED, S.ASSISTED),
    ]
    assert m1.funds == Decimal("0")


def test_measures_for_a_household_outside_the_register(village_a, cw_baisha):
    household = household_of(village_a, {"age": 40})
    m = services.assistance_measure_record(
        household=household,
        kind="asset_income",
        started_on=MEASURE_ON,
        department="镇政府",
        responsible_person="陈",
        funds=Decimal("1200.50"),
        outcome="光伏分红",
        by=cw_baisha,
    )
    assert m.record is None and m.household == household


def test_measures_of_another_district_are_refused(village_taicheng, cw_baisha):
    household = household_of(village_taicheng, {"age": 40})
    with pytest.raises(PermissionDenied):
        services.assistance_measure_record(
            household=household,
            kind="industry",
            started_on=MEASURE_ON,
            department="x",
            responsible_person="y",
            funds=None,
            by=cw_baisha,
        )
    assert not AssistanceMeasure.objects.exists()


def test_the_confirmation_issues_a_certificate_with_the_hash_of_its_content(
    household_pj, po_pengjiang, po_pengjiang_2
):
    record = build_record(
        household_pj, to=S.EXIT_CONFIRMED, registrar=po_pengjiang, confirmer=po_pengjiang_2
    )
    cert = ExitCertificate.objects.get(record=record)
    assert cert.content["document_no"] == "蓬府〔2026〕12号"
    assert cert.content["confirmed_on"] == CONFIRMED_ON.isoformat()
    assert cert.content_hash == services.content_hash(cert.content)
    assert len(cert.content_hash) == 64
    assert len(cert.verification_code) == services.CODE_LENGTH
    assert set(cert.verification_code) <= set(services.CODE_ALPHABET)
    assert cert.issued_by == po_pengjiang_2


def test_cannot_exit_keeps_the_status_and_sends_the_signal(record_registered, po_pengjiang):
    with Catch(signals.cannot_exit_reported) as got:
        services.poverty_record_report_cannot_exit(
            record=record_registered, reason="重度残疾，无法通过产业就业脱贫", by=po_pengjiang
        )
    record_registered.refresh_from_db()
    assert record_registered.status == S.REGISTERED
    assert got.calls[0]["reason"] == "重度残疾，无法通过产业就业脱贫"
    assert history(record_registered)[-1][:3] == ("report_cannot_exit", S.REGISTERED, S.REGISTERED)


# --------------------------------------------------------------------------- bad input


def _count():  # type: ignore[no-untyped-def]
    return PovertyRecordTransition.objects.count()


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"registered_on": TODAY + dt.timedelta(days=1)}, "registered_on"),
        ({"causes": []}, "causes"),
        ({"causes": ["bad_luck"]}, "causes"),
    ],
)
def test_registration_bad_input(household_pj, po_pengjiang, kw, field):
    args = {
        "household": household_pj,
        "registered_on": REGISTERED_ON,
        "causes": ["illness"],
        "by": po_pengjiang,
    }
    with pytest.raises(ValidationError) as e:
        services.poverty_record_register(**(args | kw))
    assert field in e.value.message_dict
    assert not PovertyRecord.objects.exists()


def test_a_household_is_registered_once(record_registered, household_pj, po_pengjiang):
    with pytest.raises(ValidationError) as e:
        services.poverty_record_register(
            household=household_pj, registered_on=REGISTERED_ON, causes=["illness"], by=po_pengjiang
        )
    assert "household" in e.value.message_dict


def test_exit_of_a_household_never_assisted_is_the_wrong_status(record_registered, po_pengjiang):
    before = _count()
    with pytest.raises(ValidationError) as e:
        services.poverty_record_propose_exit(
            record=record_registered,
            on=PROPOSED_ON,
            income_per_capita=Decimal("900"),
            evidence="x",
            by=po_pengjiang,
        )
    assert e.value.code == "wrong_status"
    assert _count() == before


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"on": TODAY + dt.timedelta(days=1)}, "on"),
        ({"on": MEASURE_ON - dt.timedelta(days=1)}, "on"),  # before the latest measure
        ({"income_per_capita": None}, "income_per_capita"),
        ({"income_per_capita": Decimal("-1")}, "income_per_capita"),
        ({"income_per_capita": Decimal("300")}, "income_per_capita"),  # below 4000/12 a month
        ({"evidence": "  "}, "evidence"),
    ],
)
def test_exit_proposal_bad_input(household_pj, po_pengjiang, kw, field):
    record = build_record(household_pj, to=S.ASSISTED, registrar=po_pengjiang)
    before = _count()
    args = {
        "record": record,
        "on": PROPOSED_ON,
        "income_per_capita": Decimal("900"),
        "evidence": "稳定",
        "by": po_pengjiang,
    }
    with pytest.raises(ValidationError) as e:
        services.poverty_record_propose_exit(**(args | kw))
    assert list(e.value.message_dict) == [field]
    record.refresh_from_db()
    assert record.status == S.ASSISTED and record.exit_proposed_on is None
    assert _count() == before


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"confirmed_on": TODAY + dt.timedelta(days=1)}, "confirmed_on"),
        ({"confirmed_on": PROPOSED_ON - dt.timedelta(days=1)}, "confirmed_on"),
        ({"document_no": " "}, "document_no"),
        ({"confirming_level": "township"}, "confirming_level"),
    ],
)
def test_confirmation_bad_input(household_pj, po_pengjiang, po_pengjiang_2, kw, field):
    record = build_record(household_pj, to=S.EXIT_PROPOSED, registrar=po_pengjiang)
    args = {
        "record": record,
        "confirmed_on": CONFIRMED_ON,
        "document_no": "蓬府〔2026〕12号",
        "confirming_level": "county",
        "by": po_pengjiang_2,
    }
    with Catch(signals.exit_confirmed) as got, pytest.raises(ValidationError) as e:
        services.poverty_record_confirm_exit(**(args | kw))
    assert list(e.value.message_dict) == [field]
    assert not got.calls and not ExitCertificate.objects.exists()
    record.refresh_from_db()
    assert record.status == S.EXIT_PROPOSED


def test_return_bad_input(household_pj, po_pengjiang, po_pengjiang_2):
    record = build_record(
        household_pj, to=S.EXIT_CONFIRMED, registrar=po_pengjiang, confirmer=po_pengjiang_2
    )
    with pytest.raises(ValidationError) as e:
        services.poverty_record_return(
            record=record, on=CONFIRMED_ON - dt.timedelta(days=1), reason="", by=po_pengjiang
        )
    assert set(e.value.message_dict) == {"on", "reason"}


def test_measure_bad_input(record_registered, household_pj, cw_baisha):
    with pytest.raises(ValidationError) as e:
        services.assistance_measure_record(
            household=household_pj,
            kind="magic",
            started_on=TODAY + dt.timedelta(days=1),
            department="",
            responsible_person=" ",
            funds=Decimal("-5"),
            by=cw_baisha,
        )
    assert set(e.value.message_dict) == {
        "kind",
        "started_on",
        "department",
        "responsible_person",
        "funds",
    }
    record_registered.refresh_from_db()
    assert record_registered.status == S.REGISTERED and not AssistanceMeasure.objects.exists()


def test_a_failing_receiver_undoes_the_confirmation(household_pj, po_pengjiang, po_pengjiang_2):
    """Nothing half-written: the signal is sent inside the transaction."""
    record = build_record(household_pj, to=S.EXIT_PROPOSED, registrar=po_pengjiang)

    def boom(sender, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("receiver failed")

    signals.exit_confirmed.connect(boom, dispatch_uid="test-boom")
    try:
        with pytest.raises(RuntimeError):
            services.poverty_record_confirm_exit(
                record=record,
                confirmed_on=CONFIRMED_ON,
                document_no="蓬府〔2026〕12号",
                confirming_level="county",
                by=po_pengjiang_2,
            )
    finally:
        signals.exit_confirmed.disconnect(dispatch_uid="test-boom")
    record.refresh_from_db()
    assert record.status == S.EXIT_PROPOSED
    assert not ExitCertificate.objects.exists()


# --------------------------------------------------------------------------- separation of duties


def test_whoever_registered_assisted_or_proposed_never_confirms(
    village_a, po_pengjiang, po_pengjiang_2, po_pengjiang_3
):
    household = household_of(village_a, {"age": 45})
    record = build_record(household, to=S.REGISTERED, registrar=po_pengjiang)
    services.assistance_measure_record(
        household=household,
        kind="industry",
        started_on=MEASURE_ON,
        department="区扶贫办",
        responsible_person="李",
        funds=None,
        by=po_pengjiang_2,
    )
    services.poverty_record_propose_exit(
        record=record,
        on=PROPOSED_ON,
        income_per_capita=Decimal("900"),
        evidence="稳定",
        by=po_pengjiang_3,
    )
    record.refresh_from_db()
    for took_part in (po_pengjiang, po_pengjiang_2, po_pengjiang_3):
        assert "confirm_exit" not in POVERTY.allowed(record, took_part)
        with pytest.raises(PermissionDenied, match=r"不相容岗位分离|separation of duties"):
            services.poverty_record_confirm_exit(
                record=record,
                confirmed_on=CONFIRMED_ON,
                document_no="x号",
                confirming_level="county",
                by=took_part,
            )
    record.refresh_from_db()
    assert record.status == S.EXIT_PROPOSED
    from ..factories import UserFactory, region

    fourth = UserFactory(username="po_4", role="poverty_office_reviewer", region=region("440703"))
    assert "confirm_exit" in POVERTY.allowed(record, fourth)
    services.poverty_record_confirm_exit(
        record=record,
        confirmed_on=CONFIRMED_ON,
        document_no="x号",
        confirming_level="county",
        by=fourth,
    )


def test_a_caseworker_cannot_register_or_confirm(household_pj, cw_baisha, ca_pengjiang):
    for user in (cw_baisha, ca_pengjiang):
        with pytest.raises(PermissionDenied):
            services.poverty_record_register(
                household=household_pj, registered_on=REGISTERED_ON, causes=["illness"], by=user
            )


def test_a_withdrawn_proposal_is_assisted_again(household_pj, po_pengjiang):
    record = build_record(household_pj, to=S.EXIT_PROPOSED, registrar=po_pengjiang)
    with pytest.raises(ValidationError) as e:
        services.poverty_record_withdraw_exit(record=record, reason=" ", by=po_pengjiang)
    assert list(e.value.message_dict) == ["reason"]
    record = services.poverty_record_withdraw_exit(
        record=record, reason="区政府未予确认", by=po_pengjiang
    )
    assert record.status == S.ASSISTED and record.exit_proposed_on is None
    assert history(record)[-1][:3] == ("withdraw_exit", S.EXIT_PROPOSED, S.ASSISTED)
    # It can be proposed again later.
    services.poverty_record_propose_exit(
        record=record,
        on=TODAY,
        income_per_capita=Decimal("900"),
        evidence="再次核实",
        by=po_pengjiang,
    )
