import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from assistance.dibao import services
from assistance.models import BenefitAward, CaseTransition, DibaoStandard
from core.roles import Role

from ..factories import UserFactory, region
from .conftest import APPLIED_ON, S, build_case, head_of, on_day, poor_household

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    from django.utils import translation

    with translation.override("en"):
        yield


def test_whole_procedure_records_every_step(cw_baisha, cw_baisha_2, ca_pengjiang, village_a):
    h = poor_household(village_a)
    case = build_case(h, to=S.CONFIRMED, maker=cw_baisha, second=cw_baisha_2, checker=ca_pengjiang)
    steps = list(case.transitions.values_list("action", "to_status", "by__username"))
    # Status changes and the recorded steps that keep the status (who entered the basis).
    assert [s[:2] for s in steps] == [
        ("create", "draft"),
        ("sign", "draft"),
        ("apply", "applied"),
        ("accept", "accepted"),
        ("start_investigation", "investigating"),
        ("declare", "investigating"),
        ("investigate", "investigating"),
        ("propose", "proposed"),
        ("start_notice", "in_notice"),
        ("confirm", "confirmed"),
    ]
    assert steps[-1][2] == "ca_pengjiang"
    # 蓬江区 is area class 3; the 2023 standard (914, urban) is the latest in force in 2026.
    # pci (300 wages / 2) = 150 → (914 − 150) × 2 = 1528; the 11-year-old gets 20% = 182.80.
    award = BenefitAward.objects.get(case=case)
    assert award.total == Decimal("1711") and award.effective_month == dt.date(2026, 12, 1)
    assert case.payment_start_month == dt.date(2026, 12, 1)
    assert case.proposed_amount == Decimal("1711")


def test_clocks_use_working_days(cw_baisha, village_a):
    h = poor_household(village_a)
    case = services.dibao_case_create(household=h, applicant=head_of(h), by=cw_baisha)
    services.dibao_case_apply(case=case, applied_on=dt.date(2018, 9, 27), by=cw_baisha)
    case = services.dibao_case_accept(case=case, accepted_on=dt.date(2018, 9, 27), by=cw_baisha)
    # 28 Sep (Fri), 29 Sep (Sat, adjusted working day), 30 Sep (Sun, adjusted working day)
    assert case.investigation_due == dt.date(2018, 9, 30)
    # National Day holiday 1–7 October 2018 is skipped.
    assert case.procedure_due > dt.date(2018, 11, 1)


def test_maker_cannot_confirm(cw_baisha, cw_baisha_2, village_a):
    from assistance.models import DistrictSetting

    DistrictSetting.objects.create(county=region("440703"), confirmation_delegated=True)
    case = build_case(
        poor_household(village_a), to=S.IN_NOTICE, maker=cw_baisha, second=cw_baisha_2
    )
    with pytest.raises(PermissionDenied, match="another person"):
        services.dibao_case_confirm(case=case, on=dt.date(2026, 11, 13), by=cw_baisha)
    # The second investigator took part in the decision's basis too (whole history, not only
    # the proposer).
    with pytest.raises(PermissionDenied, match="separation of duties"):
        services.dibao_case_confirm(case=case, on=dt.date(2026, 11, 13), by=cw_baisha_2)
    # Delegated: a township caseworker who took no part may confirm.
    third = UserFactory(username="cw_baisha_3", role=Role.CASEWORKER, region=region("440703002"))
    services.dibao_case_confirm(case=case, on=dt.date(2026, 11, 13), by=third)


def test_township_cannot_confirm_without_delegation(cw_baisha, cw_baisha_2, village_a):
    case = build_case(
        poor_household(village_a), to=S.IN_NOTICE, maker=cw_baisha, second=cw_baisha_2
    )
    with pytest.raises(PermissionDenied, match="delegated"):
        services.dibao_case_confirm(case=case, on=dt.date(2026, 11, 13), by=cw_baisha_2)


def test_confirmation_waits_for_the_notice(cw_baisha, cw_baisha_2, ca_pengjiang, village_a):
    case = build_case(
        poor_household(village_a), to=S.IN_NOTICE, maker=cw_baisha, second=cw_baisha_2
    )
    notice = case.notices.get()
    assert (notice.starts_on, notice.ends_on) == (dt.date(2026, 11, 6), dt.date(2026, 11, 12))
    with pytest.raises(ValidationError):
        services.dibao_case_confirm(case=case, on=dt.date(2026, 11, 12), by=ca_pengjiang)


def test_objection_sends_back_to_investigation(cw_baisha, cw_baisha_2, village_a):
    case = build_case(
        poor_household(village_a), to=S.IN_NOTICE, maker=cw_baisha, second=cw_baisha_2
    )
    with on_day(dt.date(2026, 11, 8)):
        services.dibao_case_object(
            case=case, received_on=dt.date(2026, 11, 8), content="有车", by=cw_baisha
        )
    case.refresh_from_db()
    assert case.status == S.INVESTIGATING and case.proposed_amount is None
    with on_day(dt.date(2026, 11, 17)):
        services.dibao_case_propose(case=case, on=dt.date(2026, 11, 16), by=cw_baisha)
        notice = services.dibao_case_start_notice(
            case=case, starts_on=dt.date(2026, 11, 17), by=cw_baisha
        )
    assert case.notices.count() == 2 and not notice.objected


def test_outsider_cannot_act(cw_baisha, cw_baisha_2, ca_taishan, village_a):
    case = build_case(
        poor_household(village_a), to=S.IN_NOTICE, maker=cw_baisha, second=cw_baisha_2
    )
    with pytest.raises(PermissionDenied):
        services.dibao_case_confirm(case=case, on=dt.date(2026, 11, 13), by=ca_taishan)


def test_second_open_case_refused(cw_baisha, village_a):
    h = poor_household(village_a)
    services.dibao_case_create(household=h, applicant=head_of(h), by=cw_baisha)
    with pytest.raises(ValidationError, match="open dibao case"):
        services.dibao_case_create(household=h, applicant=head_of(h), by=cw_baisha)


def test_out_of_order_transition_is_refused_and_nothing_written(cw_baisha, ca_pengjiang, village_a):
    h = poor_household(village_a)
    case = services.dibao_case_create(household=h, applicant=head_of(h), by=cw_baisha)
    before = CaseTransition.objects.count()
    with pytest.raises(ValidationError) as e:
        services.dibao_case_propose(case=case, on=APPLIED_ON, by=cw_baisha)
    assert e.value.code == "wrong_status"
    assert CaseTransition.objects.count() == before
    case.refresh_from_db()
    assert case.status == S.DRAFT


def test_policy_change_mid_year_decision_date_picks_standard(
    cw_baisha, cw_baisha_2, ca_pengjiang, village_a, data_admin
):
    DibaoStandard.objects.filter(county=region("440703"), valid_to__isnull=True).update(
        valid_to=dt.date(2026, 11, 9)
    )
    DibaoStandard.objects.create(
        county=region("440703"),
        valid_from=dt.date(2026, 11, 10),
        urban=Decimal("1000"),
        rural=Decimal("1000"),
    )
    case = build_case(poor_household(village_a), to=S.PROPOSED, maker=cw_baisha, second=cw_baisha_2)
    assert case.proposed_amount == Decimal("1711")  # proposed 5 Nov: 914
    with on_day(dt.date(2026, 11, 6)):
        services.dibao_case_start_notice(case=case, starts_on=dt.date(2026, 11, 6), by=cw_baisha)
    with on_day(dt.date(2026, 11, 13)):
        services.dibao_case_confirm(case=case, on=dt.date(2026, 11, 13), by=ca_pengjiang)
    award = BenefitAward.objects.get(case=case)
    # confirmed 13 Nov: 1000 → (1000 − 150) × 2 = 1700 + 200 = 1900
    assert award.total == Decimal("1900")
    assert award.standard.urban == Decimal("1000")
    # Only the policy differs from the published 1711: confirmed, with the difference recorded.
    why = "Published 1711.00, confirmed 1900 because the standard changed from 914.00 to 1000.00"
    assert award.note.startswith(why) and "2026-11-10" in award.note
    assert award.computation["published_amount"] == "1711.00"
    assert why in case.transitions.get(action="confirm").reason


def test_declarations_for_non_members_are_refused(cw_baisha, village_a, village_b):
    from assistance.models import IncomeType

    h = poor_household(village_a)
    other = head_of(poor_household(village_b))
    case = services.dibao_case_create(household=h, applicant=head_of(h), by=cw_baisha)
    with pytest.raises(ValidationError) as e:
        services.declarations_replace(
            case=case,
            by=cw_baisha,
            expenditures=[],
            properties=[],
            incomes=[
                {
                    "person": other,
                    "income_type": IncomeType.objects.get(code="wages"),
                    "monthly_amount": Decimal("10"),
                },
                {
                    "person": head_of(h),
                    "income_type": IncomeType.objects.get(code="wages"),
                    "monthly_amount": Decimal("-5"),
                },
            ],
        )
    assert set(e.value.message_dict) == {"incomes.0.person", "incomes.1.monthly_amount"}
    assert case.incomes.count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_confirming_at_once_exactly_one_wins(village_a):
    from ..factories import VillageFactory  # noqa: F401

    maker = UserFactory(username="m", role=Role.CASEWORKER, region=region("440703002"))
    second = UserFactory(username="m2", role=Role.CASEWORKER, region=region("440703002"))
    r1 = UserFactory(username="r1", role=Role.CIVIL_AFFAIRS_REVIEWER, region=region("440703"))
    r2 = UserFactory(username="r2", role=Role.CIVIL_AFFAIRS_REVIEWER, region=region("440703"))
    case = build_case(poor_household(village_a), to=S.IN_NOTICE, maker=maker, second=second)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def confirm(user):  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            services.dibao_case_confirm(case=case, on=dt.date(2026, 11, 13), by=user)
            results.append("ok")
        except ValidationError as e:
            results.append(e.code or "error")
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(u,)) for u in (r1, r2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok", "wrong_status"]
    assert BenefitAward.objects.filter(case=case).count() == 1
    assert CaseTransition.objects.filter(case=case, to_status="confirmed").count() == 1


def test_review_ending_in_suspension_stops_payment_next_month(
    cw_baisha, cw_baisha_2, ca_pengjiang, village_a
):
    case = build_case(
        poor_household(village_a),
        to=S.CONFIRMED,
        maker=cw_baisha,
        second=cw_baisha_2,
        checker=ca_pengjiang,
    )
    with on_day(dt.date(2026, 11, 20)):
        review = services.review_open(
            case=case, kind="reported_change", reason="外出务工", by=cw_baisha
        )
        services.review_close(
            review=review, outcome="suspended", on=dt.date(2026, 11, 20), by=cw_baisha
        )
    case.refresh_from_db()
    assert case.status == S.SUSPENDED and case.payment_stop_month == dt.date(2026, 12, 1)


@pytest.mark.parametrize(
    ("wages", "outcome", "expected"),
    # was 1711 (wages 300). 100 → pci 50 → 864 × 2 + 182.80 = 1910.80 → 1911;
    # 600 → pci 300 → 614 × 2 + 182.80 = 1410.80 → 1411.
    [("100", "raised", Decimal("1911")), ("600", "lowered", Decimal("1411"))],
)
def test_review_raises_or_lowers_with_a_new_award(
    wages, outcome, expected, cw_baisha, cw_baisha_2, ca_pengjiang, village_a
):
    from assistance.models import IncomeType

    case = build_case(
        poor_household(village_a),
        to=S.CONFIRMED,
        maker=cw_baisha,
        second=cw_baisha_2,
        checker=ca_pengjiang,
    )
    travel = on_day(dt.date(2026, 11, 20))
    travel.start()
    review = services.review_open(
        case=case, kind="reported_change", reason="收入变化", by=cw_baisha
    )
    services.declarations_replace(
        case=case,
        by=cw_baisha,
        expenditures=[],
        properties=[],
        incomes=[
            {
                "person": head_of(case.household),
                "income_type": IncomeType.objects.get(code="wages"),
                "monthly_amount": Decimal(wages),
            }
        ],
    )
    services.review_close(review=review, outcome=outcome, on=dt.date(2026, 11, 20), by=cw_baisha)
    travel.stop()
    award = BenefitAward.objects.get(case=case, effective_month=dt.date(2026, 12, 1))
    assert award.total == expected and award.reason == "review"
    case.refresh_from_db()
    assert case.status == S.ACTIVE


def test_review_raise_refused_when_amount_not_higher(
    cw_baisha, cw_baisha_2, ca_pengjiang, village_a
):
    case = build_case(
        poor_household(village_a),
        to=S.CONFIRMED,
        maker=cw_baisha,
        second=cw_baisha_2,
        checker=ca_pengjiang,
    )
    with on_day(dt.date(2026, 11, 20)):
        review = services.review_open(case=case, kind="periodic", reason="", by=cw_baisha)
    with on_day(dt.date(2026, 11, 20)), pytest.raises(ValidationError, match="not higher"):
        services.review_close(
            review=review, outcome="raised", on=dt.date(2026, 11, 20), by=cw_baisha
        )
