"""The stratified draw: reproducible from its seed, allocation sizes, frames, design weights."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from verification.audits import services
from verification.models import AuditPlan, AuditPlanTransition, AuditSample, AuditStratum

from .conftest import excluded, make_plan, recipients, tekun

pytestmark = pytest.mark.django_db


@pytest.fixture
def frame(cw_baisha, village_a, village_b, village_chaolian, village_taicheng):  # type: ignore[no-untyped-def]
    """蓬江区: 白沙 60 dibao recipients (two villages), 潮连 30; 白沙 4 refused, 3 ended,
    5 tekun; 台山 (outside the plan) 20 recipients."""
    recipients(village_a, 40, by=cw_baisha)
    recipients(village_b, 20, by=cw_baisha)
    recipients(village_chaolian, 30, by=cw_baisha)
    excluded(village_a, 4, by=cw_baisha, to="refused")
    excluded(village_b, 3, by=cw_baisha, to="terminated")
    tekun(village_a, 5, by=cw_baisha)
    recipients(village_taicheng, 20, by=cw_baisha)


def drawn_ids(plan: AuditPlan) -> list[int]:
    return list(
        AuditSample.objects.filter(plan=plan)
        .order_by("household_id")
        .values_list("household_id", flat=True)
    )


def test_same_seed_same_frame_same_sample(frame, supervisor, auditor):  # type: ignore[no-untyped-def]
    one = services.audit_plan_draw(plan=make_plan(supervisor, [auditor], seed=7), by=supervisor)
    two = services.audit_plan_draw(plan=make_plan(supervisor, [auditor], seed=7), by=supervisor)
    assert drawn_ids(one) == drawn_ids(two)
    ranks = lambda p: list(  # noqa: E731
        AuditSample.objects.filter(plan=p)
        .order_by("stratum__town_id", "stratum__category", "rank")
        .values_list("household_id", flat=True)
    )
    assert ranks(one) == ranks(two)


def test_another_seed_another_sample(frame, supervisor, auditor):  # type: ignore[no-untyped-def]
    one = services.audit_plan_draw(plan=make_plan(supervisor, [auditor], seed=7), by=supervisor)
    two = services.audit_plan_draw(plan=make_plan(supervisor, [auditor], seed=8), by=supervisor)
    assert len(drawn_ids(one)) == len(drawn_ids(two))
    assert drawn_ids(one) != drawn_ids(two)


def test_proportional_allocation_sizes_and_weights(frame, supervisor, auditor):  # type: ignore[no-untyped-def]
    plan = services.audit_plan_draw(plan=make_plan(supervisor, [auditor]), by=supervisor)
    strata = {
        (s.town.name, s.category): (s.population, s.sample_size)
        for s in AuditStratum.objects.filter(plan=plan).select_related("town")
    }
    # 5 % (policy data), at least 2 per stratum, never more than the stratum holds.
    assert strata == {
        ("白沙街道", "dibao"): (60, 3),
        ("潮连街道", "dibao"): (30, 2),
        ("白沙街道", "tekun"): (5, 2),
        ("白沙街道", "refused"): (4, 2),
        ("白沙街道", "exited"): (3, 2),
    }
    plan.refresh_from_db()
    assert plan.sample_percent == Decimal("5.00")  # the rate used is kept on the plan
    weights = set(
        AuditSample.objects.filter(
            plan=plan, stratum__category="dibao", stratum__town__code="440703002"
        ).values_list("weight", flat=True)
    )
    assert weights == {Decimal("20.0000")}
    assert AuditSample.objects.filter(plan=plan).count() == 11
    history = AuditPlanTransition.objects.get(plan=plan, action="draw")
    assert (history.from_status, history.to_status, history.by) == ("draft", "drawn", supervisor)


def test_proportional_with_a_rate_of_the_plan(frame, supervisor, auditor):  # type: ignore[no-untyped-def]
    plan = make_plan(supervisor, [auditor], sample_percent=Decimal("10"), min_per_stratum=1)
    services.audit_plan_draw(plan=plan, by=supervisor)
    sizes = dict(
        AuditStratum.objects.filter(plan=plan, frame="recipient")
        .values_list("town__code", "sample_size")
        .filter(category="dibao")
    )
    assert sizes == {"440703002": 6, "440703005": 3}


def test_fixed_allocation_sizes(frame, supervisor, auditor):  # type: ignore[no-untyped-def]
    plan = make_plan(supervisor, [auditor], allocation="fixed", per_stratum=4)
    services.audit_plan_draw(plan=plan, by=supervisor)
    sizes = {
        (s.town.code, s.category): (s.population, s.sample_size, s.weight)
        for s in AuditStratum.objects.filter(plan=plan).select_related("town")
    }
    assert sizes[("440703002", "dibao")] == (60, 4, Decimal(15))
    assert sizes[("440703005", "dibao")] == (30, 4, Decimal("7.5"))
    assert sizes[("440703002", "exited")] == (3, 3, Decimal(1))  # the whole stratum


def test_excluded_frame_and_region(frame, supervisor, auditor):  # type: ignore[no-untyped-def]
    plan = services.audit_plan_draw(plan=make_plan(supervisor, [auditor]), by=supervisor)
    samples = AuditSample.objects.filter(plan=plan).select_related("stratum", "household__village")
    assert {s.household.village.code[:6] for s in samples} == {"440703"}  # 台山 never drawn
    refused = [s for s in samples if s.stratum.category == "refused"]
    assert all(s.stratum.frame == "excluded" and s.dibao_case.status == "refused" for s in refused)
    assert all(s.programme_case_id for s in samples if s.stratum.category == "tekun")


def test_city_plan_covers_every_district(frame, supervisor, auditor):  # type: ignore[no-untyped-def]
    plan = services.audit_plan_draw(
        plan=make_plan(supervisor, [auditor], where="440700"), by=supervisor
    )
    towns = set(AuditStratum.objects.filter(plan=plan).values_list("town__code", flat=True))
    assert towns == {"440703002", "440703005", "440781001"}


def test_empty_frame_draws_nothing(supervisor, auditor):  # type: ignore[no-untyped-def]
    plan = make_plan(supervisor, [auditor])
    with pytest.raises(ValidationError) as e:
        services.audit_plan_draw(plan=plan, by=supervisor)
    assert e.value.code == "empty_frame"
    plan.refresh_from_db()
    assert plan.status == "draft" and not AuditStratum.objects.filter(plan=plan).exists()


def test_draw_is_one_statement_whatever_the_frame(
    frame, supervisor, auditor, django_assert_max_num_queries
):  # type: ignore[no-untyped-def]
    plan = make_plan(supervisor, [auditor])
    with django_assert_max_num_queries(12):
        services.audit_plan_draw(plan=plan, by=supervisor)
