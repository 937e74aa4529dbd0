"""Experiment checks of the birthday test (cited by ``proofs/birthday.toml``).

Sampled evidence, never proof: each summary says what was sampled and the worst margin found.

* ``birthday.collision_probability_simulation``: simulated collision frequency of ``M``
  uniform draws from ``N`` items against the exact formula
  :func:`checker.bounds.birthday.collision_probability` [R, standard], inside a
  Clopper–Pearson interval at level ``1 - STAT_ALPHA``.
* ``birthday.recovers_uniform_support``: the full pipeline (fresh draws, calibrated threshold,
  exact pair search) on a uniform distribution over ``N`` noisy random images; the
  collision-count estimate must lie within ``BIRTHDAY_SUPPORT_FACTOR`` of ``N``.
"""

from __future__ import annotations

import math

import numpy as np

from checker.experiments import ExperimentResult, experiment
from checker.tolerances import BIRTHDAY_SUPPORT_FACTOR, STAT_ALPHA

__all__ = ["collision_probability_simulation", "recovers_uniform_support", "simulate_collisions"]


def simulate_collisions(N: int, M: int, trials: int, *, seed: int) -> int:
    """Number of trials (of ``M`` i.i.d. uniform draws from ``N`` items) with a repeated item."""
    rng = np.random.default_rng(seed)
    draws = np.sort(rng.integers(0, N, size=(trials, M)), axis=1)
    return int((np.diff(draws, axis=1) == 0).any(axis=1).sum())


@experiment("birthday.collision_probability_simulation",
            description="simulated collision frequency vs the exact formula, within a binomial CI")
def collision_probability_simulation(*, seed: int, quick: bool) -> ExperimentResult:
    from checker.birthday.stats import clopper_pearson
    from checker.bounds.birthday import collision_probability

    cases = [(365, 23), (1000, 38), (50, 5), (10_000, 118), (7, 4)]
    if not quick:
        cases += [(100_000, 372), (2, 2), (300, 10)]
    trials = 20_000 if quick else 200_000
    rows = []
    worst = math.inf
    ok = True
    for t, (N, M) in enumerate(cases):
        k = simulate_collisions(N, M, trials, seed=seed * 1000 + t)
        ci = clopper_pearson(k, trials, confidence=1 - STAT_ALPHA)
        p = float(collision_probability(N, M))
        margin = min(p - ci.low, ci.high - p)  # > 0 iff the exact value lies inside the CI
        worst = min(worst, margin)
        ok &= margin >= 0
        rows.append({"N": N, "M": M, "exact": p, "simulated": k / trials, "ci": [ci.low, ci.high]})
    return ExperimentResult(
        passed=bool(ok),
        summary=(f"sampled {len(cases)} (N, M) cases x {trials} trials of uniform draws: the exact "
                 f"collision probability lies inside every {1 - STAT_ALPHA:.6f} Clopper-Pearson "
                 f"interval; worst margin to an interval end {worst:.3g} (tested, not proved)"),
        evidence={"cases": rows, "trials": trials, "alpha": STAT_ALPHA, "worst_margin": worst})


@experiment("birthday.recovers_uniform_support",
            description="uniform over N noisy images: the birthday test's estimate within the stated factor")
def recovers_uniform_support(*, seed: int, quick: bool) -> ExperimentResult:
    from checker.birthday.calibrate import calibrate_threshold
    from checker.birthday.procedure import BirthdayConfig, run_birthday_test
    from checker.birthday.sources import uniform_source

    supports = [200, 1000] if quick else [100, 500, 2000, 5000]
    F = BIRTHDAY_SUPPORT_FACTOR
    rows = []
    worst = 0.0
    ok = True
    for N in supports:
        src = uniform_source(N, d=32, noise_std=0.02, seed=seed)
        thr = calibrate_threshold(src.real_data(400 if quick else 1000, seed=seed + 1))
        s_hi = int(2 * math.sqrt(N)) + 2
        cfg = BirthdayConfig(s_values=(max(2, s_hi // 2), s_hi), trials=40 if quick else 100, seed=seed)
        res = run_birthday_test(src, threshold=thr, config=cfg)
        est = res.support_estimate.value
        ratio = abs(math.log(est / N)) if math.isfinite(est) and est > 0 else math.inf
        worst = max(worst, ratio)
        ok &= ratio <= math.log(F)
        rows.append({"N": N, "estimate": est, "low": res.support_estimate.low,
                     "high": res.support_estimate.high, "s_half": res.s_half.value,
                     "flagged_nonuniform": res.nonuniformity.flagged})
    return ExperimentResult(
        passed=bool(ok),
        summary=(f"sampled the birthday test on uniform distributions over N in {supports} noisy "
                 f"random images: collision-count estimates within a factor {math.exp(worst):.3g} "
                 f"of N (stated factor {F:g}; tested, not proved)"),
        evidence={"rows": rows, "factor": F, "worst_factor": math.exp(worst)})
