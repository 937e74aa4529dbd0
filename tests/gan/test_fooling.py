"""The fooling experiment: Hoeffding interval, threshold rule, checkpoint/resume, mode collapse."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from checker.errors import InvalidArgument, ResumeError
from checker.gan.fooling import FoolingConfig, FoolingRow, _threshold, hoeffding_half_width, run_fooling

TINY = dict(dataset="digits", d_tilde=8, m_grid=(1, 64), restarts=1, steps=30, batch=128,
            n_val=512, n_test=4000, support_draws=2000)


def test_hoeffding_half_width_hand_value():
    # hand derivation: w sqrt(ln(2/alpha)/n) with w=1, n=10^4, alpha=0.05 -> sqrt(ln 40)/100
    assert math.isclose(hoeffding_half_width(10_000, 1.0, 0.05), math.sqrt(math.log(40)) / 100)


def _row(m, low):
    return FoolingRow(m=m, generator="ideal", gap=low, gap_ci_low=low, gap_ci_high=low + 0.1,
                      best_val_gap=low, explicit_eps=1.0, distinct_nonnoise_outputs=m,
                      support_draws=10, train_seconds=0.0)


def test_threshold_is_first_m_from_which_the_gap_stays_low():
    rows = [_row(1, 0.9), _row(4, 0.05), _row(16, 0.3), _row(64, 0.01), _row(256, 0.0)]
    assert _threshold(rows, 0.1) == 64  # m=4 dips below but m=16 is above again
    assert _threshold(rows, 0.001) == 256
    assert _threshold(rows[:-1], 0.001) is None  # last row still above the level
    assert _threshold(rows, 1.0) == 1


def test_tiny_run_detects_collapse_and_resumes(tmp_path):
    cfg = FoolingConfig(**TINY)
    res = run_fooling(cfg, out=tmp_path)
    small, large = res.rows
    # a single pool image is trivially detected; hand bound: held-out gap CI excludes 0.3
    assert small.gap_ci_low > 0.3
    assert large.gap < small.gap
    # mode collapse: at most m distinct non-noise outputs
    assert small.distinct_nonnoise_outputs == 1
    assert large.distinct_nonnoise_outputs <= 64
    assert res.distinct_real_images == 1797
    assert res.p == 2 * 72 + 2 + 2 + 1  # hidden=2 MLP on d + d~ = 72 inputs: H(d+d~) + 2H + 1
    assert math.isinf(small.explicit_eps) and large.explicit_eps > 0
    assert res.mstar > 64
    # resume: the same config skips both rows and returns identical numbers
    again = run_fooling(cfg, out=tmp_path)
    assert again.resumed == (1, 64) and again.rows == res.rows
    # another config refuses the checkpoint
    with pytest.raises(ResumeError):
        run_fooling(replace(cfg, steps=31), out=tmp_path)


def test_ideal_generator_used_above_relu_max_m(tmp_path):
    cfg = FoolingConfig(**{**TINY, "m_grid": (2, 8), "relu_max_m": 4, "steps": 5})
    res = run_fooling(cfg)
    assert [r.generator for r in res.rows] == ["relu", "ideal"]


@pytest.mark.parametrize("kw,match", [
    (dict(m_grid=()), "m_grid"),
    (dict(m_grid=(4, 4)), "must not repeat"),
    (dict(m_grid=(0, 4)), "m=0 must be >= 1"),
    (dict(d_tilde=65), "d_tilde=65 must be <= d=64"),
    (dict(phi="lg"), "did you mean 'log'"),
    (dict(eps=float("nan")), "eps=nan must be finite"),
    (dict(disc_kind="cnn"), "disc_kind='cnn'"),
])
def test_config_rejects_bad_input(kw, match):
    with pytest.raises(InvalidArgument, match=match):
        FoolingConfig(**kw)


def test_config_sorts_grid():
    assert FoolingConfig(m_grid=(64, 1, 4)).m_grid == (1, 4, 64)


def _result(rows, *, phi="identity", distinct_real=100):
    from checker.gan.fooling import FoolingConfig, FoolingResult

    return FoolingResult(config=FoolingConfig(phi=phi, m_grid=tuple(r.m for r in rows)), rows=tuple(rows),
                         p=10, L=1.0, L_phi=1.0, Delta=1.0, mstar=10**6, level=0.25,
                         empirical_threshold=None, threshold_ratio=None, distinct_real_images=distinct_real)


def _vrow(m, *, gap_low, eps, distinct, draws=1000):
    from checker.gan.fooling import FoolingRow

    return FoolingRow(m=m, generator="relu", gap=gap_low + 0.01, gap_ci_low=gap_low,
                      gap_ci_high=gap_low + 0.02, best_val_gap=0.0, explicit_eps=eps,
                      distinct_nonnoise_outputs=distinct, support_draws=draws, train_seconds=0.0)


def test_verdicts_are_three_valued_and_vacuous_where_they_cannot_fail():
    # identity phi on D's outputs in [0, 1]: range width w = 1 (<= 2 Delta = 2); |gap| <= w
    rows = [_vrow(4, gap_low=0.5, eps=math.inf, distinct=4),       # eps = inf: vacuous bound
            _vrow(8, gap_low=0.5, eps=1.0, distinct=9),            # eps = w exactly: vacuous; 9 > 8: fail
            _vrow(16, gap_low=0.3, eps=0.29, distinct=16),         # 0.3 > 0.29: bound fails
            _vrow(32, gap_low=0.1, eps=0.5, distinct=20),          # both pass
            _vrow(100, gap_low=0.0, eps=0.01, distinct=100),       # m >= distinct real images: vacuous
            _vrow(2000, gap_low=0.0, eps=0.01, distinct=100)]      # m >= draws: vacuous
    res = _result(rows)
    assert res.gap_range == 1.0
    v = res.verdicts()
    assert [x.bound for x in v] == ["vacuous", "vacuous", "fail", "pass", "pass", "pass"]
    assert [x.support for x in v] == ["pass", "fail", "pass", "pass", "vacuous", "vacuous"]
    assert v[0].bound_vacuous_because and "range" in v[0].bound_vacuous_because
    assert v[4].support_vacuous_because and v[3].support_vacuous_because is None
    assert res.outcome() == "fail"
    # only vacuous checks: nothing established, never a pass
    only = _result([_vrow(4, gap_low=0.5, eps=math.inf, distinct=4, draws=4)])
    assert only.verdicts()[0].support == "vacuous" and only.outcome() == "vacuous"
    assert _result([_vrow(32, gap_low=0.1, eps=0.5, distinct=20)]).outcome() == "pass"


def test_bound_just_below_the_range_is_not_vacuous():
    # eps(m) a hair below w = 1: the check can fail, so it is judged (<= is inclusive)
    below = math.nextafter(1.0, 0.0)
    res = _result([_vrow(4, gap_low=0.9999999, eps=below, distinct=4), _vrow(8, gap_low=below, eps=below, distinct=4)])
    assert [x.bound for x in res.verdicts()] == ["pass", "pass"]
    res = _result([_vrow(4, gap_low=0.95, eps=0.9, distinct=4)])
    assert res.verdicts()[0].bound == "fail"
