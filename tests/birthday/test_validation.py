"""Validation of the whole birthday test on distributions of known support.

The stated accuracy is checker.tolerances.BIRTHDAY_SUPPORT_FACTOR (a factor 2) on the collision
support 1/sum p_i^2, which equals N for a uniform distribution over N images.

Every draw is fixed by a seed, so these tests are deterministic. Their false-failure
probability over a fresh seed, per assertion: the factor-2 accuracy < 1e-6 (>= ~100 expected
collisions, Chernoff; see BIRTHDAY_SUPPORT_FACTOR); a wrong non-uniformity flag on a uniform
source NONUNIFORM_ALPHA = 1e-3; the crossing outside [0.59, 1.77] sqrt(N): the interpolated value
lies in the grid [0.8, 1.8] sqrt(N), and leaves it only when the rate at 1.8 sqrt(N) (true value
1 - exp(-1.62) = 0.80) is below 1/2 in 60 trials, probability < 1e-5 (binomial tail).
"""

from __future__ import annotations

import math

import pytest

from checker.birthday.calibrate import calibrate_threshold
from checker.birthday.procedure import BirthdayConfig, run_birthday_test
from checker.birthday.sources import drop_coordinates, skewed_source, uniform_source
from checker.tolerances import BIRTHDAY_SUPPORT_FACTOR as F


def _grid(N: int) -> tuple[int, ...]:
    # sizes around the 50% point 1.18 sqrt(N) (docs/math/birthday.md, "Collision formulas"), so that >= ~100 collisions
    # are expected in total (the basis of the stated factor)
    r = math.sqrt(N)
    return (max(4, int(0.8 * r)), int(1.2 * r), int(1.8 * r))


@pytest.mark.parametrize("N", [100, 500, 2000, 5000])
def test_uniform_support_recovered_within_factor(N):
    src = uniform_source(N, d=32, noise_std=0.02, seed=N)
    thr = calibrate_threshold(src.real_data(500, seed=N + 1))
    res = run_birthday_test(src, threshold=thr, config=BirthdayConfig(s_values=_grid(N), trials=60, seed=1))
    est = res.support_estimate.value
    assert N / F <= est <= N * F
    assert res.support_estimate.low <= est <= res.support_estimate.high
    assert not res.nonuniformity.flagged
    assert res.s_half.value is not None and res.s_half.value == pytest.approx(1.18 * math.sqrt(N), rel=0.5)


@pytest.mark.parametrize("N,heavy", [(1000, 0.1), (5000, 0.05)])
def test_skewed_distribution_is_flagged(N, heavy):
    src = skewed_source(N, heavy=heavy, d=32, seed=3)
    thr = calibrate_threshold(src.real_data(500, seed=4))
    res = run_birthday_test(src, threshold=thr, config=BirthdayConfig(trials=60, seed=2))
    assert res.nonuniformity.flagged
    # the estimate measures the collision support 1/sum p^2, far below the true support N
    target = src.collision_support
    assert target / F <= res.support_estimate.value <= target * F
    assert res.support_estimate.value < N / 5


@pytest.mark.parametrize("m", [50, 300])
def test_construction_pool_size_recovered(m):
    import torch

    from checker.gan.construction import build_pair

    pair = build_pair(dataset="digits", d_tilde=8, m=m, seed=m)
    fmap = drop_coordinates(pair.noise_indices, pair.d)
    src = lambda n, generator: pair.sample(n, generator=generator)  # noqa: E731
    thr = calibrate_threshold(pair.data.images[:800], feature_map=fmap)
    res = run_birthday_test(src, threshold=thr, feature_map=fmap,
                            config=BirthdayConfig(trials=60, seed=5), train=pair.data.images)
    _, counts = torch.unique(fmap(pair.pool), dim=0, return_counts=True)
    collision_support = m * m / float((counts.double() ** 2).sum())  # pool drawn with replacement
    est = res.support_estimate.value
    assert m / F <= est <= m * F
    assert collision_support / F <= est <= collision_support * F
    # the construction reproduces training images: memorisation is (almost) total
    assert res.memorisation is not None and res.memorisation.fraction_within.value > 0.9
