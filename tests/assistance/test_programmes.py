"""Programme rules (pure, exact yuan) and the programme / outreach services."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from assistance.models import DibaoCase, OutreachReport, ProgrammeCase, ProgrammeTransition
from assistance.programmes import outreach, rules
from assistance.programmes import selectors as programme_selectors
from assistance.programmes import services as pg
from households.ages import AgeBands
from households.models import Household

from ..factories import HouseholdFactory, PersonFactory, unique_id_number
from .conftest import head_of, poor_household

D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")
PS = ProgrammeCase.Status
APPLIED = dt.date(2026, 11, 2)  # a Monday; no holiday in the following two weeks
DECIDED = dt.date(2026, 11, 3)


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    from django.utils import translation

    with translation.override("en"):
        yield


# ============================================================================ pure rules


class TestPureRules:
    def test_tekun_floor_is_1_6_times_the_standard_rounded_up_to_the_yuan(self):
        # A monthly total: rounded once, up to the whole yuan, as dibao's (issue 6 defect 8).
        assert str(rules.tekun_floor(standard=D("914"), multiple=D("1.6"))) == "1463"  # 1462.4
        assert str(rules.tekun_floor(standard=D("600"), multiple=D("1.6"))) == "960"
        assert str(rules.tekun_floor(standard=D("857.33"), multiple=D("1.6"))) == "1372"  # 1371.728
        assert str(rules.tekun_floor(standard=D("857"), multiple=D("1.6"))) == "1372"  # 1371.2

    @pytest.mark.parametrize(
        ("age", "capacity", "severe", "income", "supporter", "ok"),
        [
            (65, "none", False, False, False, True),
            (12, "none", False, False, False, True),
            (40, "none", True, False, False, True),  # severe disability at working age
            (40, "none", False, False, False, False),  # working age, not severely disabled
            (65, "partial", False, False, False, False),  # has labour capacity
            (65, "none", False, True, False, False),  # has income
            (65, "none", False, False, True, False),  # has a legal supporter
        ],
    )
    def test_tekun_three_nos_and_age_or_disability(
        self, age, capacity, severe, income, supporter, ok
    ):
        findings = rules.tekun_findings(
            age=age,
            labour_capacity=capacity,
            severely_disabled=severe,
            has_income=income,
            has_legal_supporter=supporter,
            bands=AgeBands(working_from=16, elderly_from=60, adult_from=18),
        )
        assert (findings == []) is ok

    @pytest.mark.parametrize(
        ("pci", "band"),
        [
            ("0", "dibao"),
            ("913.99", "dibao"),
            ("914", "low_income"),
            ("1370.99", "low_income"),
            ("1371.00", "above"),
            ("2000", "above"),
        ],
    )
    def test_low_income_band_is_standard_to_below_1_5_times(self, pci, band):
        result = rules.low_income_band(
            per_capita_income=D(pci), standard=D("914"), multiple=D("1.5")
        )
        assert result.threshold == D("1371.00")
        assert result.band == band

    def test_temporary_cap_is_10_times_standard_times_members(self):
        assert str(rules.temporary_cap(standard=D("914"), multiple=D("10"), members=3)) == "27420"
        assert str(rules.temporary_cap(standard=D("600"), multiple=D("10"), members=1)) == "6000"
        # 2.5 × 857.33 × 3 = 6429.975: once, up to the yuan
        assert str(rules.temporary_cap(standard=D("857.33"), multiple=D("2.5"), members=3)) == (
            "6430"
        )

    def test_medical_formula_and_annual_cap(self):
        kw = {"rate_pct": D("70"), "capacity_pct": D("10"), "annual_cap": D("50000")}
        m = rules.medical_aid(out_of_pocket=D("30000"), annual_income=D("40000"), **kw)
        # capacity = 10% × 40000 = 4000; (30000 − 4000) × 70% = 18200
        assert (m.capacity, m.formula_amount, m.aid) == (D("4000.00"), D("18200"), D("18200"))
        m = rules.medical_aid(
            out_of_pocket=D("100000"),
            annual_income=D("40000"),
            already_awarded=D("18200"),
            **kw,
        )
        # (100000 − 4000) × 70% = 67200, but only 50000 − 18200 = 31800 remains this year
        assert (m.formula_amount, m.remaining_cap, m.aid) == (
            D("67200.00"),
            D("31800"),
            D("31800"),
        )
        m = rules.medical_aid(out_of_pocket=D("3000"), annual_income=D("40000"), **kw)
        assert m.aid == 0  # within the household's capacity
        m = rules.medical_aid(
            out_of_pocket=D("12345.67"), annual_income=D("33333.33"), **kw
        )  # capacity 3333.33 (a component, to the fen); 9012.34 × 0.7 = 6308.638 → 6309
        assert str(m.capacity) == "3333.33" and str(m.aid) == "6309"

    def test_decided_amount_bounds(self):
        assert rules.check_decided_amount("1000000") == D("1000000")
        for bad in ("-1", "1000000.01", "0", "abc", "1.234"):
            with pytest.raises(ValidationError):
                rules.check_decided_amount(bad)
        assert rules.check_decided_amount("0", allow_zero=True) == 0
        # A decided amount is whole yuan: refused with a message, never rounded silently.
        for bad in ("1462.40", "0.5", "27419.99"):
            with pytest.raises(ValidationError) as e:
                rules.check_decided_amount(bad)
            assert "whole yuan" in e.value.message_dict["amount"][0]
        assert rules.check_decided_amount("1463.00") == D("1463")


# ============================================================================ services


def elderly_household(village, hukou="urban"):  # type: ignore[no-untyped-def]
    return poor_household(village, members=((65, "head"), (40, "child")), hukou=hukou)


def apply(programme, household, by, **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("applied_on", APPLIED)
    return pg.programme_apply(programme=programme, household=household, by=by, **kw)


class TestTekun:
    def test_floor_enforced_on_approval_with_history(self, cw_baisha, ca_pengjiang, village_a):
        h = elderly_household(village_a)
        case = apply(
            "tekun", h, cw_baisha, person=head_of(h), no_income=True, no_legal_supporter=True
        )
        # 1.6 × 914 = 1462.4 → 1463 yuan a month (the whole yuan, as dibao's total)
        assert case.computation["floor"] == "1463" and case.computation["findings"] == []
        for short in (D("1462"), D("1462.40")):
            with pytest.raises(ValidationError) as e:
                pg.programme_approve(case=case, amount=short, on=DECIDED, by=ca_pengjiang)
        assert "whole yuan" in e.value.message_dict["amount"][0]  # 1462.40
        with pytest.raises(ValidationError) as e:
            pg.programme_approve(case=case, amount=D("1462"), on=DECIDED, by=ca_pengjiang)
        assert "at least 1463 yuan" in e.value.message_dict["amount"][0]
        case = pg.programme_approve(case=case, amount=D("1463"), on=DECIDED, by=ca_pengjiang)
        assert case.status == PS.APPROVED and case.amount == D("1463")
        case = pg.programme_pay(case=case, on=DECIDED, by=cw_baisha)
        rows = list(case.transitions.values_list("from_status", "to_status", "by__username"))
        assert rows == [
            ("", "applied", "cw_baisha"),
            ("applied", "approved", "ca_pengjiang"),
            ("approved", "paid", "cw_baisha"),
        ]

    def test_rural_taishan_floor(self, cw_taicheng, ca_taishan, village_taicheng):
        h = elderly_household(village_taicheng, hukou="rural")
        case = apply(
            "tekun", h, cw_taicheng, person=head_of(h), no_income=True, no_legal_supporter=True
        )
        assert case.computation["standard"] == "600.00" and case.computation["floor"] == "960"
        with pytest.raises(ValidationError, match="at least 960 yuan"):
            pg.programme_approve(case=case, amount=D("959"), on=DECIDED, by=ca_taishan)

    def test_working_age_or_supported_person_is_not_tekun(self, cw_baisha, village_a):
        h = elderly_household(village_a)
        younger = h.memberships.get(relation="child").person
        with pytest.raises(ValidationError) as e:
            apply("tekun", h, cw_baisha, person=younger, no_income=True, no_legal_supporter=True)
        assert "aged 60 or over" in str(e.value) and "labour capacity" in str(e.value)
        with pytest.raises(ValidationError, match="legal supporter"):
            apply("tekun", h, cw_baisha, person=head_of(h), no_income=True)
        with pytest.raises(ValidationError, match="one person"):
            apply("tekun", h, cw_baisha, no_income=True, no_legal_supporter=True)
        assert not ProgrammeCase.objects.exists()

    def test_one_open_tekun_case_per_person(self, cw_baisha, village_a):
        h = elderly_household(village_a)
        kw = {"person": head_of(h), "no_income": True, "no_legal_supporter": True}
        apply("tekun", h, cw_baisha, **kw)
        with pytest.raises(ValidationError, match="already has an open tekun case"):
            apply("tekun", h, cw_baisha, **kw)


class TestLowIncome:
    def test_thresholds_and_no_cash(self, cw_baisha, ca_pengjiang, village_a):
        h = elderly_household(village_a)
        with pytest.raises(ValidationError, match="open a dibao case instead"):
            apply("low_income", h, cw_baisha, per_capita_income=D("913.99"))
        with pytest.raises(ValidationError, match=r"1371\.00"):
            apply("low_income", h, cw_baisha, per_capita_income=D("1371"))
        case = apply("low_income", h, cw_baisha, per_capita_income=D("914"))
        assert case.computation["band"] == "low_income"
        with pytest.raises(ValidationError, match="no cash"):
            pg.programme_approve(case=case, amount=D("100"), on=DECIDED, by=ca_pengjiang)
        case = pg.programme_approve(case=case, on=DECIDED, by=ca_pengjiang)
        assert case.amount == 0 and case.status == PS.APPROVED
        with pytest.raises(ValidationError, match="no cash"):
            pg.programme_pay(case=case, on=DECIDED, by=cw_baisha)
        assert programme_selectors.household_recognitions(h) == ["low_income"]

    def test_per_capita_income_is_required(self, cw_baisha, village_a):
        h = elderly_household(village_a)
        with pytest.raises(ValidationError) as e:
            apply("low_income", h, cw_baisha)
        assert "per_capita_income" in e.value.message_dict


class TestTemporary:
    def test_cap_is_10_times_standard_times_members(self, cw_baisha, ca_pengjiang, village_a):
        h = poor_household(village_a, members=((45, "head"), (15, "child"), (12, "child")))
        case = apply("temporary", h, cw_baisha, cause="fire", event_date=dt.date(2026, 10, 30))
        assert case.computation["cap"] == "27420" and case.computation["members"] == 3
        with pytest.raises(ValidationError, match="cap of 27420 yuan"):
            pg.programme_approve(case=case, amount=D("27421"), on=DECIDED, by=ca_pengjiang)
        with pytest.raises(ValidationError, match="whole yuan"):
            pg.programme_approve(case=case, amount=D("27419.99"), on=DECIDED, by=ca_pengjiang)
        case = pg.programme_approve(case=case, amount=D("27420"), on=DECIDED, by=ca_pengjiang)
        assert case.amount == D("27420.00")

    def test_one_award_per_cause_per_calendar_year(self, cw_baisha, ca_pengjiang, village_a):
        h = elderly_household(village_a)
        first = apply("temporary", h, cw_baisha, cause="fire", event_date=dt.date(2026, 3, 1))
        second = apply("temporary", h, cw_baisha, cause="fire", event_date=dt.date(2026, 9, 1))
        pg.programme_approve(case=first, amount=D("5000"), on=DECIDED, by=ca_pengjiang)
        with pytest.raises(ValidationError, match="one award per cause per year"):
            pg.programme_approve(case=second, amount=D("5000"), on=DECIDED, by=ca_pengjiang)
        with pytest.raises(ValidationError, match="one award per cause per year"):
            apply("temporary", h, cw_baisha, cause="fire", event_date=dt.date(2026, 10, 1))
        # another cause the same year, or the same cause another year, is allowed
        other = apply(
            "temporary", h, cw_baisha, cause="traffic_accident", event_date=dt.date(2026, 9, 1)
        )
        pg.programme_approve(case=other, amount=D("3000"), on=DECIDED, by=ca_pengjiang)
        last_year = apply("temporary", h, cw_baisha, cause="fire", event_date=dt.date(2025, 12, 20))
        pg.programme_approve(case=last_year, amount=D("3000"), on=DECIDED, by=ca_pengjiang)
        # a refused award does not count
        pg.programme_refuse(case=second, on=DECIDED, by=ca_pengjiang, reason="重复申请")
        assert ProgrammeCase.objects.get(pk=second.pk).status == PS.REFUSED

    def test_cause_and_event_date_required(self, cw_baisha, village_a):
        h = elderly_household(village_a)
        with pytest.raises(ValidationError) as e:
            apply("temporary", h, cw_baisha, cause="flood")
        assert set(e.value.message_dict) == {"cause", "event_date"}

    def test_emergency_paid_first_documents_due_in_10_working_days(
        self, cw_baisha, ca_pengjiang, village_a
    ):
        h = elderly_household(village_a)
        case = apply(
            "temporary",
            h,
            cw_baisha,
            cause="sudden_serious_illness",
            event_date=dt.date(2026, 11, 1),
            emergency=True,
        )
        case = pg.programme_approve(case=case, amount=D("8000"), on=APPLIED, by=ca_pengjiang)
        case = pg.programme_pay(case=case, on=APPLIED, by=cw_baisha)
        # Monday 2 Nov 2026 + 10 working days = Monday 16 Nov
        assert case.status == PS.PAID and case.documentation_due == dt.date(2026, 11, 16)
        assert not programme_selectors.documentation_overdue(case, today=dt.date(2026, 11, 16))
        assert programme_selectors.documentation_overdue(case, today=dt.date(2026, 11, 17))
        assert list(
            ProgrammeCase.objects.filter(
                documentation_due__lt=dt.date(2026, 11, 17), documented_on__isnull=True
            )
        ) == [case]
        case = pg.programme_document(case=case, on=dt.date(2026, 11, 17), by=cw_baisha)
        assert case.documented_on == dt.date(2026, 11, 17) and case.status == PS.PAID
        assert "late" in case.transitions.last().reason
        assert not programme_selectors.documentation_overdue(case, today=dt.date(2026, 11, 20))
        with pytest.raises(ValidationError, match="already recorded"):
            pg.programme_document(case=case, on=dt.date(2026, 11, 18), by=cw_baisha)

    def test_non_emergency_is_documented_before_payment(self, cw_baisha, ca_pengjiang, village_a):
        h = elderly_household(village_a)
        case = apply("temporary", h, cw_baisha, cause="other", event_date=dt.date(2026, 11, 1))
        case = pg.programme_approve(case=case, amount=D("2000"), on=DECIDED, by=ca_pengjiang)
        with pytest.raises(ValidationError, match="only emergencies"):
            pg.programme_pay(case=case, on=DECIDED, by=cw_baisha)
        pg.programme_document(case=case, on=DECIDED, by=cw_baisha)
        case = pg.programme_pay(case=case, on=DECIDED, by=cw_baisha)
        assert case.status == PS.PAID and case.documentation_due is None

    def test_only_temporary_aid_is_paid_first(self, cw_baisha, village_a):
        h = elderly_household(village_a)
        with pytest.raises(ValidationError, match="emergencies"):
            apply("education", h, cw_baisha, emergency=True)


class TestMedical:
    def test_formula_and_annual_cap_across_cases(self, cw_baisha, ca_pengjiang, village_a):
        h = elderly_household(village_a)
        income = {"annual_household_income": D("40000")}
        first = apply("medical", h, cw_baisha, compliant_out_of_pocket=D("30000"), **income)
        first = pg.programme_approve(case=first, on=DECIDED, by=ca_pengjiang)
        assert first.amount == D("18200")
        assert first.computation["capacity"] == "4000.00" and first.computation["aid"] == "18200"
        second = apply("medical", h, cw_baisha, compliant_out_of_pocket=D("100000"), **income)
        with pytest.raises(ValidationError, match=r"At most 31800\.00 yuan"):
            pg.programme_approve(case=second, amount=D("31801"), on=DECIDED, by=ca_pengjiang)
        second = pg.programme_approve(case=second, on=DECIDED, by=ca_pengjiang)
        assert second.amount == D("31800.00")  # 50000 − 18200, not the formula's 67200
        third = apply("medical", h, cw_baisha, compliant_out_of_pocket=D("10000"), **income)
        with pytest.raises(ValidationError, match="annual cap is used up"):
            pg.programme_approve(case=third, on=DECIDED, by=ca_pengjiang)
        # next year the cap starts again
        third.applied_on = dt.date(2025, 1, 5)
        third.save()
        pg.programme_approve(case=third, on=dt.date(2025, 1, 6), by=ca_pengjiang)
        assert ProgrammeCase.objects.get(pk=third.pk).amount == D("4200.00")

    def test_formula_amount_is_rounded_once_up_to_the_yuan(
        self, cw_baisha, ca_pengjiang, village_a
    ):
        h = elderly_household(village_a)
        case = apply(
            "medical",
            h,
            cw_baisha,
            compliant_out_of_pocket=D("12345.67"),
            annual_household_income=D("33333.33"),
        )
        # capacity 3333.33; (12345.67 − 3333.33) × 70% = 6308.638 → 6309, not 6308.64
        assert case.computation["aid"] == "6309"
        case = pg.programme_approve(case=case, on=DECIDED, by=ca_pengjiang)
        assert case.amount == D("6309")

    def test_lower_amount_needs_a_reason(self, cw_baisha, ca_pengjiang, village_a):
        h = elderly_household(village_a)
        case = apply(
            "medical",
            h,
            cw_baisha,
            compliant_out_of_pocket=D("30000"),
            annual_household_income=D("40000"),
        )
        with pytest.raises(ValidationError, match="reason"):
            pg.programme_approve(case=case, amount=D("10000"), on=DECIDED, by=ca_pengjiang)
        case = pg.programme_approve(
            case=case, amount=D("10000"), on=DECIDED, by=ca_pengjiang, reason="部分已由商业保险报销"
        )
        assert case.amount == D("10000") and case.reason == "部分已由商业保险报销"


class TestDiscretionary:
    @pytest.mark.parametrize("programme", ["education", "disaster", "housing"])
    def test_amount_with_reason_and_bounds(self, programme, cw_baisha, ca_pengjiang, village_a):
        h = elderly_household(village_a)
        case = apply(programme, h, cw_baisha, description="说明")
        with pytest.raises(ValidationError, match="reason"):
            pg.programme_approve(case=case, amount=D("3000"), on=DECIDED, by=ca_pengjiang)
        for bad in (D("-5"), D("1000000.01"), D("0"), D("2999.50")):
            with pytest.raises(ValidationError):
                pg.programme_approve(case=case, amount=bad, on=DECIDED, by=ca_pengjiang, reason="x")
        case = pg.programme_approve(
            case=case, amount=D("3000"), on=DECIDED, by=ca_pengjiang, reason="学费"
        )
        assert case.amount == D("3000") and case.transitions.last().reason == "学费"

    def test_unknown_details_are_refused(self, cw_baisha, village_a):
        h = elderly_household(village_a)
        with pytest.raises(ValidationError) as e:
            apply("education", h, cw_baisha, per_capita_income=D("1"))
        assert "per_capita_income" in e.value.message_dict


class TestGuards:
    def test_roles(self, cw_baisha, ca_pengjiang, va_baisha, village_a):
        h = elderly_household(village_a)
        with pytest.raises(PermissionDenied):
            apply("education", h, ca_pengjiang)
        with pytest.raises(PermissionDenied):
            apply("education", h, va_baisha)
        case = apply("education", h, cw_baisha)
        with pytest.raises(PermissionDenied):
            pg.programme_approve(case=case, amount=D("1"), on=DECIDED, by=cw_baisha, reason="x")
        with pytest.raises(PermissionDenied):
            pg.programme_refuse(case=case, on=DECIDED, by=cw_baisha, reason="x")
        with pytest.raises(PermissionDenied):
            pg.programme_close(case=case, by=va_baisha, reason="x")

    def test_other_district_cannot_act(self, cw_baisha, cw_taicheng, ca_taishan, village_a):
        h = elderly_household(village_a)
        with pytest.raises(PermissionDenied):
            apply("education", h, cw_taicheng)
        case = apply("education", h, cw_baisha)
        with pytest.raises(PermissionDenied):
            pg.programme_approve(case=case, amount=D("1"), on=DECIDED, by=ca_taishan, reason="x")
        with pytest.raises(PermissionDenied):
            pg.programme_close(case=case, by=cw_taicheng, reason="x")
        assert ProgrammeCase.objects.get(pk=case.pk).status == PS.APPLIED

    def test_status_guards(self, cw_baisha, ca_pengjiang, village_a):
        h = elderly_household(village_a)
        case = apply("education", h, cw_baisha)
        pg.programme_refuse(case=case, on=DECIDED, by=ca_pengjiang, reason="不符合条件")
        with pytest.raises(ValidationError, match="Refused"):
            pg.programme_approve(case=case, amount=D("1"), on=DECIDED, by=ca_pengjiang, reason="x")
        with pytest.raises(ValidationError, match="Refused"):
            pg.programme_pay(case=case, on=DECIDED, by=cw_baisha)
        with pytest.raises(ValidationError, match="reasons"):
            pg.programme_refuse(
                case=apply("education", h, cw_baisha), on=DECIDED, by=ca_pengjiang, reason=" "
            )

    def test_refusal_is_not_dated_in_the_future(self, cw_baisha, ca_pengjiang, village_a):
        case = apply("education", elderly_household(village_a), cw_baisha, description="说明")
        moment = dt.datetime(2026, 11, 20, 10, tzinfo=SHANGHAI)
        with time_machine.travel(moment, tick=False), pytest.raises(ValidationError) as e:
            pg.programme_refuse(
                case=case, on=dt.date(2026, 11, 21), by=ca_pengjiang, reason="不符合"
            )
        assert "future" in e.value.message_dict["on"][0]

    def test_dates(self, cw_baisha, ca_pengjiang, village_a):
        h = elderly_household(village_a)
        with pytest.raises(ValidationError, match="future"):
            apply("education", h, cw_baisha, applied_on=dt.date(2099, 1, 1))
        case = apply("education", h, cw_baisha)
        with pytest.raises(ValidationError, match="precede"):
            pg.programme_approve(
                case=case, amount=D("1"), on=dt.date(2026, 11, 1), by=ca_pengjiang, reason="x"
            )

    def test_close_an_ongoing_recognition(self, cw_baisha, ca_pengjiang, village_a):
        h = elderly_household(village_a)
        case = apply(
            "tekun", h, cw_baisha, person=head_of(h), no_income=True, no_legal_supporter=True
        )
        pg.programme_approve(case=case, amount=D("1500"), on=DECIDED, by=ca_pengjiang)
        pg.programme_pay(case=case, on=DECIDED, by=ca_pengjiang)
        case = pg.programme_close(case=case, by=cw_baisha, reason="本人去世")
        assert case.status == PS.CLOSED
        t = ProgrammeTransition.objects.filter(case=case).last()
        assert (t.from_status, t.to_status, t.reason) == ("paid", "closed", "本人去世")


class TestOutreach:
    def test_village_assistant_reports_in_own_village_only(self, va_baisha, village_a, village_b):
        report = outreach.outreach_report(
            village=village_a, subject_name="王大爷", description="独居老人，无人照料", by=va_baisha
        )
        assert report.status == OutreachReport.Status.OPEN and report.reported_by == va_baisha
        with pytest.raises(PermissionDenied):
            outreach.outreach_report(
                village=village_b, subject_name="李", description="困难", by=va_baisha
            )
        with pytest.raises(ValidationError) as e:
            outreach.outreach_report(
                village=village_a, subject_name=" ", description="", by=va_baisha
            )
        assert set(e.value.message_dict) == {"subject_name", "description"}
        assert [r.pk for r in programme_selectors.outreach_reports(user=va_baisha)] == [report.pk]

    def test_convert_to_dibao_case(self, va_baisha, cw_baisha, village_a):
        h = elderly_household(village_a)
        report = outreach.outreach_report(
            village=village_a, subject_name="王", description="困难", by=va_baisha, household=h
        )
        with pytest.raises(PermissionDenied):
            outreach.outreach_convert(report=report, by=va_baisha)
        report = outreach.outreach_convert(report=report, by=cw_baisha)
        assert report.status == OutreachReport.Status.CONVERTED
        case = DibaoCase.objects.get(pk=report.dibao_case_id)
        assert case.household == h and case.status == DibaoCase.Status.DRAFT
        assert "outreach report" in case.agent_name
        assert report.handled_by == cw_baisha and report.handled_at is not None
        with pytest.raises(ValidationError, match="already"):
            outreach.outreach_close(report=report, reason="x", by=cw_baisha)

    def test_convert_to_programme_case(self, va_baisha, cw_baisha, village_a):
        h = elderly_household(village_a)
        report = outreach.outreach_report(
            village=village_a, subject_name="王", description="火灾", by=va_baisha
        )
        with pytest.raises(ValidationError, match="Register the household"):
            outreach.outreach_convert(report=report, by=cw_baisha, programme="temporary")
        report = outreach.outreach_convert(
            report=report,
            by=cw_baisha,
            programme="temporary",
            household=h,
            cause="fire",
            event_date=dt.date(2026, 11, 20),
            emergency=True,
        )
        case = report.programme_case
        assert case.programme == "temporary" and case.household == h and case.emergency
        assert f"outreach report {report.pk}" in case.transitions.get().reason

    def test_household_must_be_in_the_reported_village(
        self, va_baisha, cw_baisha, village_a, village_b
    ):
        report = outreach.outreach_report(
            village=village_a, subject_name="王", description="困难", by=va_baisha
        )
        other = elderly_household(village_b)
        with pytest.raises(ValidationError, match="not in the reported village"):
            outreach.outreach_convert(report=report, by=cw_baisha, household=other)

    def test_close_with_reason(self, va_baisha, cw_baisha, cw_taicheng, village_a):
        report = outreach.outreach_report(
            village=village_a, subject_name="王", description="困难", by=va_baisha
        )
        with pytest.raises(PermissionDenied):
            outreach.outreach_close(report=report, reason="x", by=va_baisha)
        with pytest.raises(PermissionDenied):
            outreach.outreach_close(report=report, reason="x", by=cw_taicheng)
        with pytest.raises(ValidationError, match="reason"):
            outreach.outreach_close(report=report, reason="", by=cw_baisha)
        report = outreach.outreach_close(
            report=report, reason="家庭收入稳定，无需救助", by=cw_baisha
        )
        assert report.status == OutreachReport.Status.CLOSED
        assert report.closed_reason == "家庭收入稳定，无需救助"


def test_severely_disabled_working_age_person_is_tekun(cw_baisha, ca_pengjiang, village_a):
    h = HouseholdFactory(village=village_a, hukou_type=Household.Hukou.URBAN)
    person = PersonFactory(
        region=village_a,
        id_number=unique_id_number(birth=dt.date(1986, 3, 1)),
        disability_category="physical",
        disability_grade=1,
    )
    h.memberships.create(person=person, relation="head", start_date=dt.date(2020, 1, 1))
    case = apply("tekun", h, cw_baisha, person=person, no_income=True, no_legal_supporter=True)
    assert case.computation["findings"] == []


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_approving_the_same_cause_at_once_award_once(village_a):
    """Two temporary-aid applications for the same fire, approved at the same moment by two
    reviewers: the household lock serialises them and the second is refused by the rule."""
    import threading

    from django.db import connection

    from core.roles import Role

    from ..factories import UserFactory, region

    maker = UserFactory(username="m", role=Role.CASEWORKER, region=region("440703002"))
    r1 = UserFactory(username="r1", role=Role.CIVIL_AFFAIRS_REVIEWER, region=region("440703"))
    r2 = UserFactory(username="r2", role=Role.CIVIL_AFFAIRS_REVIEWER, region=region("440703"))
    h = elderly_household(village_a)
    cases = [
        apply("temporary", h, maker, cause="fire", event_date=dt.date(2026, 11, 1))
        for _i in range(2)
    ]
    barrier = threading.Barrier(2)
    results: list[str] = []

    def approve(case, user):  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            pg.programme_approve(case=case, amount=D("1000"), on=DECIDED, by=user)
            results.append("ok")
        except ValidationError as e:
            results.append(next(iter(e.message_dict)))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=approve, args=(c, u)) for c, u in zip(cases, (r1, r2), strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["cause", "ok"]
    assert ProgrammeCase.objects.filter(status=PS.APPROVED).count() == 1
