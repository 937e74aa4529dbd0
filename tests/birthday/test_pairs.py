"""Exact closest-pair search against brute force (reference: exact rational arithmetic on the
float64 inputs via fractions.Fraction, and an independent numpy float64 direct-difference
computation)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

from checker.birthday.pairs import (
    closest_pairs,
    fast_sqdist,
    nearest_neighbours,
    pairs_within,
)
from tests.strategies.birthday import near_duplicate_sets

# direct differences in float64 have relative error <= (d+1) u; d <= 24 here
DIRECT_REL = 64 * 2.0**-53


def exact_sq(a: np.ndarray, b: np.ndarray) -> Fraction:
    """Exact squared distance of two float64 vectors (every float is a rational)."""
    return sum(((Fraction(float(u)) - Fraction(float(v))) ** 2 for u, v in zip(a, b)), Fraction(0))


def brute_sorted(x: np.ndarray):
    n = x.shape[0]
    d2 = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    iu = np.triu_indices(n, 1)
    vals = d2[iu]
    order = np.lexsort((iu[1], iu[0], vals))
    return iu[0][order], iu[1][order], vals[order]


@settings(max_examples=40)
@given(near_duplicate_sets(), st.integers(1, 10), st.sampled_from([3, 7, 64]))
@example((np.array([[1e5, 1e5], [1e5, 1e5 + 1e-6], [0.0, 1.0], [3.0, 4.0]]), [(0, 1)]), 2, 3)
def test_exact_mode_matches_exact_arithmetic(case, k, block):
    x, planted = case
    n = x.shape[0]
    k = min(k, n * (n - 1) // 2)
    res = closest_pairs(torch.as_tensor(x), k=k, block=block)
    bi, bj, bd = brute_sorted(x)
    # the same k pairs as the brute-force direct computation, in the same order
    assert list(zip(res.i, res.j)) == list(zip(bi[:k], bj[:k]))
    for i, j, d2 in zip(res.i, res.j, res.squared):
        ex = exact_sq(x[i], x[j])
        assert abs(Fraction(float(d2)) - ex) <= Fraction(DIRECT_REL) * ex
    # planted duplicates: exact zeros stay zero
    for i, j in planted:
        if np.array_equal(x[i], x[j]):
            assert exact_sq(x[i], x[j]) == 0


def test_fast_form_fails_where_exact_mode_does_not():
    # hand-built: norm 1e5 vectors differing by 1e-6 in one coordinate: true squared distance
    # 1e-12; the matmul form's rounding error is ~ u * |a|^2 ~ 1e-6, so it returns garbage.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 16)) * 1e5
    x[7] = x[3]
    x[7, 5] += 1e-6
    t = torch.as_tensor(x)
    true = float(exact_sq(x[3], x[7]))
    fast = fast_sqdist(t[3:4], t[7:8]).item()
    assert abs(fast - true) > 1e3 * true  # the fast form is wrong by orders of magnitude
    res = closest_pairs(t, k=1)
    assert (res.i[0], res.j[0]) == (3, 7)
    assert res.squared[0] == pytest.approx(true, rel=1e-12)
    fast_res = closest_pairs(t, k=1, exact=False)
    # clamped at 0 or far off: either way not within 50% of the truth
    assert abs(fast_res.squared[0] - true) >= 0.5 * true


@settings(max_examples=30)
@given(near_duplicate_sets(max_n=30), st.sampled_from([4, 16]))
def test_pairs_within_matches_brute_force(case, block):
    x, _ = case
    bi, bj, bd = brute_sorted(x)
    # a threshold between two well-separated squared distances (at an exact tie the answer
    # would depend on the last ulp of the summation order, which is not what is tested here)
    gaps = [m for m in range(len(bd) - 1) if bd[m + 1] > 2 * bd[m] + 1e-300]
    m = gaps[min(2, len(gaps) - 1)] if gaps else len(bd) - 1
    tau = float(np.sqrt((bd[m] + bd[m + 1]) / 2)) if gaps else float(np.sqrt(bd[-1]) * 2)
    res = pairs_within(torch.as_tensor(x), tau, block=block)
    got = sorted(zip(res.i.tolist(), res.j.tolist()))
    want = sorted((int(a), int(b)) for a, b, v in zip(bi, bj, bd) if v <= tau * tau)
    assert got == want


@settings(max_examples=30)
@given(near_duplicate_sets(max_n=30), st.sampled_from([5, 64]))
def test_nearest_neighbours_match_brute_force(case, block):
    x, _ = case
    d2 = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d2, np.inf)
    res = nearest_neighbours(torch.as_tensor(x), block=block)
    # equal up to the summation order of two direct float64 computations
    np.testing.assert_allclose(res.distance, np.sqrt(d2.min(1)), rtol=DIRECT_REL, atol=0)
    np.testing.assert_allclose(d2[np.arange(len(x)), res.index], d2.min(1), rtol=DIRECT_REL, atol=0)


def test_nearest_neighbours_against_reference_set():
    rng = np.random.default_rng(1)
    q, r = rng.random((30, 10)), rng.random((45, 10))
    d2 = ((q[:, None] - r[None]) ** 2).sum(-1)
    res = nearest_neighbours(torch.as_tensor(q), torch.as_tensor(r), block=8)
    np.testing.assert_array_equal(res.index, d2.argmin(1))


def test_blocking_does_not_change_the_answer():
    rng = np.random.default_rng(2)
    x = torch.as_tensor(rng.random((120, 20)))
    a = closest_pairs(x, k=25, block=17)
    b = closest_pairs(x, k=25, block=4096)
    np.testing.assert_array_equal(a.i, b.i)
    np.testing.assert_array_equal(a.j, b.j)
    np.testing.assert_array_equal(a.squared, b.squared)


@pytest.mark.gpu
def test_cuda_matches_cpu():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((500, 32)) * 1e4
    x[10] = x[400] + 1e-9
    cpu = closest_pairs(torch.as_tensor(x), k=10)
    gpu = closest_pairs(torch.as_tensor(x, device="cuda"), k=10)
    np.testing.assert_array_equal(cpu.i, gpu.i)
    np.testing.assert_allclose(gpu.squared, cpu.squared, rtol=1e-12)
