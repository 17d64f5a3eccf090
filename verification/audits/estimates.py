"""Pure estimation of a rate from a stratified sample (no database).

For strata h with population N_h, households examined m_h (results recorded; the draw's n_h
less those not yet audited) and households found wrong d_h:

- p_h = d_h / m_h, W_h = N_h / N with N = Σ N_h over the strata with m_h ≥ 1 (a stratum with no
  result yet cannot be estimated and is left out: `coverage` says how much of the population the
  estimate speaks for);
- the stratified estimator p̂ = Σ W_h p_h — the same as Σ (N_h/n_h) d_h / N, the design weights
  of the samples summed over the wrong ones;
- its variance with the finite population correction,
  v̂ = Σ W_h² (1 − m_h/N_h) p_h (1 − p_h) / (m_h − 1)   (strata with m_h = 1 add nothing);
- the 95 % interval: Wilson's score interval at p̂ with the *effective sample size*
  n* = p̂(1 − p̂) / v̂ (Kish; the sample size a simple random sample of the same precision would
  need), capped at Σ m_h. Why not p̂ ± 1.96 √v̂: audits mostly find rates near 0, where that
  interval collapses to [0, 0] as soon as no stratum has a discrepancy — an audit of 40
  households would "prove" a 0 % rate. Wilson's interval stays inside [0, 1] and keeps a
  sensible upper bound at p̂ = 0. When v̂ = 0 (p̂ ∈ {0, 1}, or every p_h ∈ {0, 1}: n* is
  undefined) n* = Σ m_h; when every stratum was audited in full (m_h = N_h: a census, no
  sampling error) the interval is [p̂, p̂].

The figures are floats (they are estimates, shown as percentages to two decimals); the targets
they are compared with are policy data (verification.AuditPolicy).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

Z95 = 1.959963984540054


@dataclass(frozen=True)
class StratumCount:
    population: int  # N_h
    examined: int  # m_h
    wrong: int  # d_h


@dataclass(frozen=True)
class Estimate:
    rate: float | None  # p̂ (None: nothing examined yet)
    low: float | None
    high: float | None
    variance: float
    examined: int  # Σ m_h
    wrong: int  # Σ d_h
    population: int  # N of the estimated strata
    coverage: float  # that N over the population of every stratum

    @property
    def percent(self) -> float | None:
        return None if self.rate is None else round(100 * self.rate, 2)

    @property
    def low_percent(self) -> float | None:
        return None if self.low is None else round(100 * self.low, 2)

    @property
    def high_percent(self) -> float | None:
        return None if self.high is None else round(100 * self.high, 2)


def wilson(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval at proportion p for (effective) sample size n."""
    if n <= 0:
        return (0.0, 1.0)
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def stratified(strata: Iterable[StratumCount]) -> Estimate:
    rows = list(strata)
    total = sum(s.population for s in rows)
    used = [s for s in rows if s.examined > 0 and s.population > 0]
    n_pop = sum(s.population for s in used)
    examined = sum(s.examined for s in used)
    wrong = sum(s.wrong for s in used)
    if not used:
        return Estimate(None, None, None, 0.0, 0, 0, 0, 0.0)
    rate = 0.0
    variance = 0.0
    for s in used:
        w = s.population / n_pop
        p = s.wrong / s.examined
        rate += w * p
        if s.examined > 1:
            fpc = 1 - s.examined / s.population
            variance += w * w * fpc * p * (1 - p) / (s.examined - 1)
    rate = min(1.0, max(0.0, rate))
    census = all(s.examined >= s.population for s in used)
    if census:
        low = high = rate
    else:
        if variance > 0 and 0 < rate < 1:
            n_eff = min(float(examined), rate * (1 - rate) / variance)
        else:
            n_eff = float(examined)
        low, high = wilson(rate, n_eff)
        low, high = min(low, rate), max(high, rate)
    return Estimate(
        rate=rate,
        low=low,
        high=high,
        variance=variance,
        examined=examined,
        wrong=wrong,
        population=n_pop,
        coverage=n_pop / total if total else 0.0,
    )
