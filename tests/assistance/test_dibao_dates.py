"""Business dates are never in the future and never before the previous step; a notice starts no
earlier than the day it is recorded unless a written reason is given (issue 6 defect 6)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assistance.dibao import services
from assistance.models import CaseReview, DibaoCase, DistrictSetting

from ..factories import UserFactory, region
from .conftest import S, build_case, on_day, poor_household

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 20)  # a Friday; the case's steps were on 2–13 November
TOMORROW = TODAY + dt.timedelta(days=1)


def _case(stage, users, village):  # type: ignore[no-untyped-def]
    maker, second, checker = users
    return build_case(
        poor_household(village), to=stage, maker=maker, second=second, checker=checker
    )


def _investigated(users, village):  # type: ignore[no-untyped-def]
    case = _case(S.INVESTIGATING, users, village)
    with on_day(dt.date(2026, 11, 4)):
        services.investigation_record(
            case=case,
            home_visit_on=dt.date(2026, 11, 4),
            investigators=list(users[:2]),
            findings="家中无稳定收入",
            by=users[0],
        )
    return case


def _under_review(users, village):  # type: ignore[no-untyped-def]
    case = _case(S.CONFIRMED, users, village)
    with on_day(dt.date(2026, 11, 16)):
        services.review_open(case=case, kind="reported_change", reason="新增收入", by=users[0])
    return case


def _open_review(case):  # type: ignore[no-untyped-def]
    return CaseReview.objects.get(case=case, closed_on__isnull=True)


# name → (setup(users, village) → case, call(case, day, users), field, a day before the
# previous step or None where the step has no earlier one)
DATE_FIELDS = {
    "sign.authorization_on": (
        lambda u, v: _case(S.DRAFT, u, v),
        lambda c, d, u: services.dibao_case_sign(
            case=c, authorization_on=d, good_faith_on=dt.date(2026, 11, 2), by=u[0]
        ),
        "authorization_on",
        None,
    ),
    "sign.good_faith_on": (
        lambda u, v: _case(S.DRAFT, u, v),
        lambda c, d, u: services.dibao_case_sign(
            case=c, authorization_on=dt.date(2026, 11, 2), good_faith_on=d, by=u[0]
        ),
        "good_faith_on",
        None,
    ),
    "apply.applied_on": (
        lambda u, v: _case(S.DRAFT, u, v),
        lambda c, d, u: services.dibao_case_apply(case=c, applied_on=d, by=u[0]),
        "applied_on",
        None,
    ),
    "accept.accepted_on": (
        lambda u, v: _case(S.APPLIED, u, v),
        lambda c, d, u: services.dibao_case_accept(case=c, accepted_on=d, by=u[0]),
        "accepted_on",
        dt.date(2026, 11, 1),  # applied 2 November
    ),
    "investigate.home_visit_on": (
        lambda u, v: _case(S.INVESTIGATING, u, v),
        lambda c, d, u: services.investigation_record(
            case=c, home_visit_on=d, investigators=list(u[:2]), findings="走访", by=u[0]
        ),
        "home_visit_on",
        dt.date(2026, 11, 1),  # accepted 2 November
    ),
    "propose.on": (
        _investigated,
        lambda c, d, u: services.dibao_case_propose(case=c, on=d, by=u[0]),
        "on",
        dt.date(2026, 11, 3),  # home visit 4 November
    ),
    "object.received_on": (
        lambda u, v: _case(S.IN_NOTICE, u, v),
        lambda c, d, u: services.dibao_case_object(case=c, received_on=d, content="有车", by=u[0]),
        "received_on",
        dt.date(2026, 11, 5),  # notice from 6 November
    ),
    "confirm.on": (
        lambda u, v: _case(S.IN_NOTICE, u, v),
        lambda c, d, u: services.dibao_case_confirm(case=c, on=d, by=u[2]),
        "on",
        dt.date(2026, 11, 5),  # notice from 6 November
    ),
    "refuse.on": (
        lambda u, v: _case(S.PROPOSED, u, v),
        lambda c, d, u: services.dibao_case_refuse(case=c, on=d, reasons="收入超标", by=u[2]),
        "on",
        dt.date(2026, 11, 4),  # proposed 5 November
    ),
    "review_open.on": (
        lambda u, v: _case(S.CONFIRMED, u, v),
        lambda c, d, u: services.review_open(
            case=c, kind="reported_change", reason="新增收入", by=u[0], on=d
        ),
        "on",
        dt.date(2026, 11, 12),  # confirmed 13 November
    ),
    "review_close.on": (
        _under_review,
        lambda c, d, u: services.review_close(
            review=_open_review(c), outcome="unchanged", on=d, by=u[0]
        ),
        "on",
        dt.date(2026, 11, 15),  # opened 16 November
    ),
}


@pytest.fixture
def users(cw_baisha, cw_baisha_2, ca_pengjiang):  # type: ignore[no-untyped-def]
    return (cw_baisha, cw_baisha_2, ca_pengjiang)


def _field_error(call, field):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as e:
        call()
    assert field in e.value.message_dict, e.value
    return e.value.message_dict[field][0]


@pytest.mark.parametrize("name", DATE_FIELDS)
def test_no_business_date_in_the_future(name, users, village_a):
    setup, call, field, _earlier = DATE_FIELDS[name]
    case = setup(users, village_a)
    case.refresh_from_db()
    before = case.transitions.count()
    with on_day(TODAY):
        message = _field_error(lambda: call(case, TOMORROW, users), field)
    assert "future" in message or "notice period" in message
    assert case.transitions.count() == before  # nothing half-written
    assert DibaoCase.objects.get(pk=case.pk).status == case.status


@pytest.mark.parametrize("name", [n for n, v in DATE_FIELDS.items() if v[3] is not None])
def test_no_business_date_before_the_previous_step(name, users, village_a):
    setup, call, field, earlier = DATE_FIELDS[name]
    case = setup(users, village_a)
    before = case.transitions.count()
    with on_day(TODAY):
        _field_error(lambda: call(case, earlier, users), field)
    assert case.transitions.count() == before


def test_a_proposal_dated_2030_is_refused(users, village_a):
    """The reported case: a proposal dated 2030 took the 2023 standard and then was stuck."""
    case = _investigated(users, village_a)
    with on_day(TODAY):
        message = _field_error(
            lambda: services.dibao_case_propose(case=case, on=dt.date(2030, 1, 1), by=users[0]),
            "on",
        )
    assert message == "This date cannot be in the future."


def test_acceptance_dated_in_the_future_is_refused(users, village_a):
    case = _case(S.APPLIED, users, village_a)
    with on_day(TODAY):
        _field_error(
            lambda: services.dibao_case_accept(
                case=case, accepted_on=dt.date(2030, 1, 1), by=users[0]
            ),
            "accepted_on",
        )
        # today is fine
        services.dibao_case_accept(case=case, accepted_on=TODAY, by=users[0])


class TestNoticeStart:
    def test_a_notice_cannot_start_in_the_past_without_a_reason(self, users, village_a):
        case = _case(S.PROPOSED, users, village_a)  # proposed 5 November
        with on_day(dt.date(2026, 11, 23)):
            with pytest.raises(ValidationError) as e:
                services.dibao_case_start_notice(
                    case=case, starts_on=dt.date(2026, 11, 5), by=users[0]
                )
            assert set(e.value.message_dict) == {"starts_on", "backdate_reason"}
            assert "recorded on 2026-11-23" in e.value.message_dict["starts_on"][0]
            assert not case.notices.exists()
            notice = services.dibao_case_start_notice(
                case=case, starts_on=dt.date(2026, 11, 23), by=users[0]
            )
        assert notice.ends_on == dt.date(2026, 11, 29) and notice.backdate_reason == ""

    def test_backdated_with_a_reason_is_recorded_and_another_person_confirms(
        self, users, village_a
    ):
        maker, _second, checker = users
        # Delegated, so that a township caseworker who took no part could confirm…
        DistrictSetting.objects.create(county=region("440703"), confirmation_delegated=True)
        third = UserFactory(username="cw_baisha_3", role=maker.role, region=maker.region)
        case = _case(S.PROPOSED, users, village_a)
        with on_day(dt.date(2026, 11, 23)):
            # …but this one records a notice that was posted on paper on 6 November.
            notice = services.dibao_case_start_notice(
                case=case,
                starts_on=dt.date(2026, 11, 6),
                by=third,
                backdate_reason="  公示已于11月6日在村委张贴，系统补录  ",
            )
        assert notice.backdate_reason == "公示已于11月6日在村委张贴，系统补录"
        last = case.transitions.last()
        assert last.action == "start_notice" and last.by == third
        assert "recorded on 2026-11-23, started 17 days earlier" in last.reason
        assert "系统补录" in last.reason
        with on_day(dt.date(2026, 11, 23)):
            # The one who backdated it does not confirm it.
            with pytest.raises(PermissionDenied, match="another person confirms"):
                services.dibao_case_confirm(case=case, on=dt.date(2026, 11, 23), by=third)
            services.dibao_case_confirm(case=case, on=dt.date(2026, 11, 23), by=checker)
        case.refresh_from_db()
        assert case.status == S.CONFIRMED

    def test_a_notice_may_start_later_than_today(self, users, village_a):
        case = _case(S.PROPOSED, users, village_a)
        with on_day(dt.date(2026, 11, 6)):
            notice = services.dibao_case_start_notice(
                case=case, starts_on=dt.date(2026, 11, 9), by=users[0], backdate_reason="x"
            )
        assert notice.backdate_reason == ""  # nothing to justify
