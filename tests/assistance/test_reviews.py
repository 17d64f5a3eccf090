"""Dynamic management: periodic reviews opened by the daily job, reviews for reported changes, and
the overdue-procedure selector."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from assistance.dibao import reviews, services
from assistance.dibao.tasks import open_due_reviews
from assistance.models import CaseReview, CaseTransition
from core.roles import Role

from ..factories import UserFactory, region
from .conftest import S, build_case, build_confirmed, poor_household

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: dt.date, hour: int = 1):  # type: ignore[no-untyped-def]
    return time_machine.travel(
        dt.datetime.combine(day, dt.time(hour, 0), tzinfo=SHANGHAI), tick=False
    )


@pytest.fixture(autouse=True)
def _english_and_after_the_builders():  # type: ignore[no-untyped-def]
    """The builders date cases in November 2026: run on a fixed day after them."""
    from django.utils import translation

    with translation.override("en"), at(dt.date(2026, 11, 28), 10):
        yield


@pytest.fixture
def unstable(cw_baisha, cw_baisha_2, ca_pengjiang, village_a):  # type: ignore[no-untyped-def]
    """Wages and a working-age head: reviewed every 6 months."""
    case = build_confirmed(village_a, maker=cw_baisha, second=cw_baisha_2, checker=ca_pengjiang)
    return services.dibao_case_activate(case=case, by=None)


@pytest.fixture
def stable(cw_baisha, cw_baisha_2, ca_pengjiang, village_a):  # type: ignore[no-untyped-def]
    """No wages: reviewed yearly."""
    return build_confirmed(
        village_a, maker=cw_baisha, second=cw_baisha_2, checker=ca_pengjiang, wages=Decimal("0")
    )


def test_interval_is_6_months_for_unstable_income_and_12_for_stable(unstable, stable):
    # Payments start in December 2026 (confirmed 13 November).
    assert (unstable.review_interval_months, unstable.next_review_due) == (6, dt.date(2027, 6, 1))
    assert (stable.review_interval_months, stable.next_review_due) == (12, dt.date(2027, 12, 1))


def test_due_reviews_are_opened_once_not_twice(unstable, stable):
    with at(dt.date(2027, 5, 31)):
        assert reviews.reviews_open_due(on=dt.date(2027, 5, 31)) == 0
    with at(dt.date(2027, 6, 1)):
        assert open_due_reviews.apply().get() == 1  # the beat task, on "today" in Shanghai
        assert open_due_reviews.apply().get() == 0  # idempotent: nothing new the second time
        assert reviews.reviews_open_due(on=dt.date(2027, 6, 1)) == 0
    review = CaseReview.objects.get()
    assert (review.case_id, review.kind, review.opened_on) == (
        unstable.pk,
        CaseReview.Kind.PERIODIC,
        dt.date(2027, 6, 1),
    )
    assert review.opened_by is None and review.closed_on is None
    assert review.due_on > review.opened_on
    unstable.refresh_from_db()
    stable.refresh_from_db()
    assert unstable.status == S.UNDER_REVIEW and stable.status == S.CONFIRMED
    last = CaseTransition.objects.filter(case=unstable).last()
    assert (last.to_status, last.by) == (S.UNDER_REVIEW, None)

    # Half a year later the yearly one is due; the first is still under review: not reopened.
    with at(dt.date(2027, 12, 1)):
        assert open_due_reviews.apply(kwargs={"on": "2027-12-01"}).get() == 1
    assert CaseReview.objects.filter(case=stable, kind="periodic").count() == 1
    assert CaseReview.objects.count() == 2


def test_closed_review_schedules_the_next_one(unstable, cw_baisha):
    with at(dt.date(2027, 6, 1)):
        reviews.reviews_open_due(on=dt.date(2027, 6, 1))
    review = CaseReview.objects.get()
    with at(dt.date(2027, 6, 10)):
        services.review_close(
            review=review,
            outcome=CaseReview.Outcome.UNCHANGED,
            on=dt.date(2027, 6, 10),
            by=cw_baisha,
        )
    unstable.refresh_from_db()
    assert unstable.status == S.ACTIVE and unstable.next_review_due == dt.date(2028, 1, 1)
    with at(dt.date(2027, 12, 31)):
        assert reviews.reviews_open_due(on=dt.date(2027, 12, 31)) == 0
    with at(dt.date(2028, 1, 1)):
        assert reviews.reviews_open_due(on=dt.date(2028, 1, 1)) == 1


def test_reported_change_opens_a_review_at_once(unstable, cw_baisha):
    review = reviews.household_change_reported(
        household=unstable.household, description="长子已就业，月薪3000元", by=cw_baisha
    )
    assert review.kind == CaseReview.Kind.REPORTED_CHANGE
    assert review.opened_on == dt.date(2026, 11, 28) and review.opened_by == cw_baisha
    assert "长子已就业" in review.reason
    unstable.refresh_from_db()
    assert unstable.status == S.UNDER_REVIEW
    # A second report while the review is open: a clear message, nothing written.
    with pytest.raises(ValidationError) as e:
        reviews.household_change_reported(
            household=unstable.household, description="又一变化", by=cw_baisha
        )
    assert e.value.code == "review_open"
    assert CaseReview.objects.count() == 1
    # The periodic job leaves a case under review alone.
    assert reviews.reviews_open_due(on=dt.date(2028, 1, 1)) == 0


def test_reported_change_needs_an_active_case_and_a_description(
    cw_baisha, cw_baisha_2, village_a, unstable
):
    nothing = poor_household(village_a)
    with pytest.raises(ValidationError) as e:
        reviews.household_change_reported(household=nothing, description="x", by=cw_baisha)
    assert e.value.code == "no_active_case"
    in_procedure = build_case(
        poor_household(village_a), to=S.INVESTIGATING, maker=cw_baisha, second=cw_baisha_2
    )
    with pytest.raises(ValidationError, match="no active dibao case"):
        reviews.household_change_reported(
            household=in_procedure.household, description="x", by=cw_baisha
        )
    with pytest.raises(ValidationError) as e:
        reviews.household_change_reported(
            household=unstable.household, description="  ", by=cw_baisha
        )
    assert "description" in e.value.message_dict


def test_reported_change_by_other_district_or_role_is_refused(unstable, cw_taicheng, va_baisha):
    with pytest.raises(PermissionDenied):
        reviews.household_change_reported(
            household=unstable.household, description="x", by=cw_taicheng
        )
    with pytest.raises(PermissionDenied):
        reviews.household_change_reported(
            household=unstable.household, description="x", by=va_baisha
        )
    assert not CaseReview.objects.exists()


def test_overdue_procedure_selector(cw_baisha, cw_baisha_2, ca_pengjiang, cw_taicheng, village_a):
    stuck = build_case(
        poor_household(village_a), to=S.INVESTIGATING, maker=cw_baisha, second=cw_baisha_2
    )
    build_confirmed(village_a, maker=cw_baisha, second=cw_baisha_2, checker=ca_pengjiang)
    due = stuck.procedure_due  # 30 working days after 2 November 2026
    assert list(reviews.procedure_overdue(user=cw_baisha, on=due)) == []
    day_after = due + dt.timedelta(days=1)
    assert list(reviews.procedure_overdue(user=cw_baisha, on=day_after)) == [stuck]
    assert list(reviews.procedure_overdue(user=ca_pengjiang, on=day_after)) == [stuck]
    assert list(reviews.procedure_overdue(user=cw_taicheng, on=day_after)) == []
    supervisor = UserFactory(username="sup", role=Role.SUPERVISOR, region=region("440700"))
    assert reviews.procedure_overdue(user=supervisor, on=day_after).count() == 1


def test_terminating_a_case_under_review_closes_the_review(
    cw_baisha, cw_baisha_2, ca_pengjiang, village_a
):  # type: ignore[no-untyped-def]
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC), tick=False):
        case = build_confirmed(village_a, maker=cw_baisha, second=cw_baisha_2, checker=ca_pengjiang)
        review = services.review_open(
            case=case, kind="reported_change", reason="新增收入", by=cw_baisha
        )
        services.dibao_case_terminate(case=case, reason="收入超标", by=cw_baisha)
    review.refresh_from_db()
    assert review.closed_on == dt.date(2026, 11, 20) and review.outcome == "terminated"
    assert not CaseReview.objects.filter(case=case, closed_on__isnull=True).exists()
