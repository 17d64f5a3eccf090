"""The stratified estimator on small examples computed by hand (see estimates' docstring)."""

import pytest

from verification.audits.estimates import StratumCount, stratified, wilson


def test_hand_computed_example():
    # A: N=100, 10 audited, 1 wrong (p=0.1); B: N=300, 20 audited, none wrong.
    e = stratified([StratumCount(100, 10, 1), StratumCount(300, 20, 0)])
    # W = 0.25, 0.75: p̂ = 0.25 × 0.1 = 0.025 (= design weight 10 × 1 wrong / 400)
    assert e.rate == pytest.approx(0.025)
    # v̂ = 0.25² × (1 − 10/100) × 0.1 × 0.9 / 9 = 0.0005625 (B adds nothing)
    assert e.variance == pytest.approx(0.0005625)
    # n* = 0.025 × 0.975 / 0.0005625 = 43.3, capped at the 30 audited; Wilson at 0.025, n=30:
    # centre (0.025 + 1.96²/60) / (1 + 1.96²/30) = 0.07892, half-width 0.07533
    assert e.low == pytest.approx(0.00359, abs=5e-5)
    assert e.high == pytest.approx(0.15425, abs=5e-5)
    assert (e.percent, e.low_percent, e.high_percent) == (2.5, 0.36, 15.42)
    assert (e.examined, e.wrong, e.population, e.coverage) == (30, 1, 400, 1.0)


def test_no_discrepancy_keeps_an_upper_bound():
    e = stratified([StratumCount(100, 10, 0), StratumCount(300, 20, 0)])
    assert e.rate == 0 and e.low == 0
    # Wilson at p = 0, n = 30: z² / (n + z²) = 3.8415 / 33.8415
    assert e.high == pytest.approx(0.11351, abs=5e-5)


def test_census_has_no_sampling_error():
    e = stratified([StratumCount(4, 4, 1), StratumCount(6, 6, 0)])
    assert e.rate == pytest.approx(0.1)
    assert e.low == e.high == pytest.approx(0.1)


def test_strata_not_yet_audited_are_left_out_and_said_so():
    e = stratified([StratumCount(100, 10, 1), StratumCount(300, 0, 0)])
    assert e.rate == pytest.approx(0.1)
    assert e.coverage == pytest.approx(0.25)
    assert stratified([StratumCount(100, 0, 0)]).rate is None


def test_wilson_symmetric_case():
    low, high = wilson(0.5, 100)
    assert low == pytest.approx(0.4038, abs=1e-4) and high == pytest.approx(0.5962, abs=1e-4)
