"""The poverty score on a hand-computed household; the weights version it records; the batch
equal to the single computation; set-based (query counts)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assistance.dibao.services import case_breakdown
from verification.models import HouseholdScore, ScoreWeights
from verification.scores import services
from verification.scores.seed import DEFAULT

from ...factories import household_with_members
from .conftest import ON, record, scored_household, snapshot

pytestmark = pytest.mark.django_db


def test_each_factor_contribution_by_hand(scored, cw_baisha):  # type: ignore[no-untyped-def]
    household, case = scored
    s = services.household_score_compute(household=household, case=case, on=ON, by=cw_baisha)
    f = s.factors
    # Income: 1371 counted ÷ 3 = 457.00 per person = 0.5 × 914; 1 − 0.5 ÷ 1.5 = 0.6667; × 50.
    assert f["income"]["per_capita_income"] == "457.00"
    assert f["income"]["standard"] == "914.00"
    assert f["income"]["input"] == "0.5000"
    assert f["income"]["normalised"] == "0.6667"
    assert f["income"]["contribution"] == "33.34"
    # Property: max(declared 21,936, recorded 10,000) + recorded securities 2,742 = 24,678
    # = 9 months of 914 per person; one car (the motorcycle is exempt, one home is allowed):
    # 1 − 9 ÷ 24 − 0.25 = 0.375; × 30.
    assert f["property"]["financial_assets"] == "24678.00"
    assert f["property"]["input"] == "9.0000"
    assert f["property"]["disqualifying_items"] == "1"
    assert f["property"]["normalised"] == "0.3750"
    assert f["property"]["contribution"] == "11.25"
    # Rigid expenditure: 411.30 ÷ 3 = 137.10 = 0.15 × 914; 0.15 ÷ 0.5 + 0.25 (one disabled
    # member) = 0.55; × 20. The employment cost is not rigid.
    assert f["expenditure"]["rigid_per_capita"] == "137.10"
    assert f["expenditure"]["burdened_members"] == "1"
    assert f["expenditure"]["normalised"] == "0.5500"
    assert f["expenditure"]["contribution"] == "11.00"
    assert s.score == Decimal("55.59")
    assert s.case == case and s.computed_by == cw_baisha and s.on == ON
    assert s.weights.version == DEFAULT["version"]
    assert set(f["snapshots"]) == {"bank_deposit", "securities", "motor_vehicle"}


def test_income_agrees_with_the_case_computation(scored, cw_baisha):  # type: ignore[no-untyped-def]
    household, case = scored
    s = services.household_score_compute(household=household, case=case, on=ON, by=cw_baisha)
    b = case_breakdown(case, on=ON)
    assert Decimal(s.factors["income"]["standard"]) == b.standard
    assert Decimal(s.factors["income"]["per_capita_income"]) == (
        b.counted_income / b.members
    ).quantize(Decimal("0.01"))


def test_only_the_current_snapshot_counts(scored, cw_baisha, data_admin):  # type: ignore[no-untyped-def]
    household, case = scored
    head = household.memberships.order_by("id").first().person
    old = snapshot("bank_deposit", by=data_admin, as_of=dt.date(2024, 1, 1))
    record("bank_deposit", old, head.id_number, bank="旧", balance=Decimal("900000"))
    pending = snapshot("bank_deposit", by=data_admin, as_of=dt.date(2025, 6, 1), status="validated")
    record("bank_deposit", pending, head.id_number, bank="新", balance=Decimal("900000"))
    s = services.household_score_compute(household=household, case=case, on=ON, by=cw_baisha)
    assert s.factors["property"]["deposits"] == "21936.00"


def test_new_weights_version_is_recorded(scored, cw_baisha, time_machine):  # type: ignore[no-untyped-def]
    household, case = scored
    time_machine.move_to(dt.datetime(2026, 3, 2, 10, 0), tick=False)
    ScoreWeights.objects.filter(version=DEFAULT["version"]).update(valid_to=dt.date(2025, 12, 31))
    ScoreWeights.objects.create(
        **{
            **DEFAULT,
            "version": "2026",
            "valid_from": dt.date(2026, 1, 1),
            "income_weight": Decimal("60"),
            "property_weight": Decimal("20"),
        }
    )
    before = services.household_score_compute(household=household, case=case, on=ON, by=None)
    after = services.household_score_compute(
        household=household, case=case, on=dt.date(2026, 3, 2), by=None
    )
    assert before.weights.version == DEFAULT["version"]
    assert after.weights.version == "2026"
    assert after.factors["income"]["weight"] == "60.00"
    # 0.6667 × 60 + 0.375 × 20 + 0.55 × 20
    assert after.score == Decimal("40.00") + Decimal("7.50") + Decimal("11.00")
    before.refresh_from_db()
    assert before.weights.version == DEFAULT["version"]  # an old score keeps its version


def test_weights_must_add_up_to_100(db):  # type: ignore[no-untyped-def]
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ScoreWeights.objects.create(
            **{**DEFAULT, "version": "bad", "valid_from": dt.date(2090, 1, 1), "income_weight": 10}
        )


def test_no_weights_in_force_is_a_clear_error(scored, cw_baisha):  # type: ignore[no-untyped-def]
    household, case = scored
    with pytest.raises(ValidationError, match="No poverty score weights"):
        services.household_score_compute(
            household=household, case=case, on=dt.date(2016, 1, 1), by=cw_baisha
        )


def test_a_case_of_another_household_is_refused(scored, household_b, cw_baisha):  # type: ignore[no-untyped-def]
    _, case = scored
    with pytest.raises(ValidationError) as e:
        services.household_score_compute(household=household_b, case=case, on=ON, by=cw_baisha)
    assert "case" in e.value.message_dict
    assert not HouseholdScore.objects.exists()


def test_batch_equals_single(village_a, village_b, cw_baisha, data_admin):  # type: ignore[no-untyped-def]
    h1, c1 = scored_household(village_a, maker=cw_baisha, data_admin=data_admin)
    h2 = household_with_members(village_b, members=2)  # no case: no declarations
    singles = {
        h.pk: services.household_score_compute(household=h, on=ON, by=cw_baisha) for h in (h1, h2)
    }
    assert singles[h1.pk].case == c1  # the newest case by default
    assert services.household_scores_compute(household_ids=[h1.pk, h2.pk], on=ON, by=None) == 2
    batch = {s.household_id: s for s in HouseholdScore.objects.filter(computed_by__isnull=True)}
    for pk, single in singles.items():
        assert batch[pk].score == single.score
        assert batch[pk].factors == single.factors
        assert batch[pk].case_id == single.case_id
    # No income, no assets, no burden: 50 + 30 + 0.
    assert singles[h2.pk].score == Decimal("80.00")


def test_batch_is_set_based(village_a, cw_baisha, data_admin):  # type: ignore[no-untyped-def]
    def queries(n: int) -> int:
        ids = [household_with_members(village_a, members=2).pk for _ in range(n)]
        with CaptureQueriesContext(connection) as ctx:
            services.household_scores_compute(household_ids=ids, on=ON, by=None)
        return len(ctx.captured_queries)

    scored_household(village_a, maker=cw_baisha, data_admin=data_admin)  # snapshots exist
    assert queries(2) == queries(12) <= 8


def test_single_compute_query_count(scored, cw_baisha, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    household, case = scored
    with django_assert_max_num_queries(6):
        services.household_score_compute(household=household, case=case, on=ON, by=cw_baisha)


def test_task_scores_with_a_job(scored, cw_baisha):  # type: ignore[no-untyped-def]
    from core.models import Job
    from verification.scores.tasks import household_scores_compute_task

    household, _ = scored
    job = Job.objects.create(kind="household_scores", created_by=cw_baisha)
    result = household_scores_compute_task(
        household_ids=[household.pk], on=ON.isoformat(), by_id=cw_baisha.pk, job_id=job.pk
    )
    assert result == {"scored": 1}
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert HouseholdScore.objects.get().computed_by == cw_baisha
