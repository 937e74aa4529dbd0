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
