"""Code laws, block hashing, data sources and build_pair (docs/math/arora-thm1.md: Setting, Ideal generator).

The statistical tests (chi-square fit, Monte-Carlo ramp mass) use fixed seeds, so they are
deterministic; over a fresh seed each would fail falsely with probability STAT_ALPHA = 2e-6."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st
from scipy import stats

from checker.bounds.arora_construction import ramp_mass_bound, ramp_width
from checker.errors import InvalidArgument
from checker.gan import CODES, block_index, build_pair, code_distribution, load_images, thresholds
from checker.gan.checks import ramp_mass_exact, ramp_mass_rounding
from checker.gan.generator import pow2_floor
from checker.tolerances import STAT_ALPHA


@pytest.mark.parametrize("code,dist", [("gaussian", stats.norm()), ("laplace", stats.laplace()),
                                       ("uniform", stats.uniform(loc=-1, scale=2))])
def test_thresholds_are_quantiles(code, dist):
    # independent reference: scipy.stats ppf of the marginal
    m = 37
    t = thresholds(m, code)
    assert t[0] == -np.inf and t[-1] == np.inf
    np.testing.assert_allclose(t[1:-1], dist.ppf(np.arange(1, m) / m), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(code_distribution(code).cdf(t[1:-1]), np.arange(1, m) / m, rtol=1e-13)


@given(st.integers(1, 200), st.lists(st.floats(-10, 10), min_size=1, max_size=50))
def test_block_index_matches_brute_force(m, z1):
    edges = thresholds(m)
    z = torch.tensor([[v, 0.0] for v in z1], dtype=torch.float64)
    got = block_index(z, torch.as_tensor(edges)).tolist()
    # i(z) = j iff t_{j-1} <= z_1 < t_j (reference §3.2), 0-indexed
    want = [next(j for j in range(m) if edges[j] <= v < edges[j + 1]) for v in z1]
    assert got == want


@pytest.mark.parametrize("code", CODES)
def test_block_probabilities_chi_square(code):
    nu = code_distribution(code)
    m, n = 50, 100_000
    z = nu.sample(n, 3, generator=torch.Generator().manual_seed(11))
    counts = torch.bincount(block_index(z, torch.as_tensor(thresholds(m, nu))), minlength=m).numpy()
    assert stats.chisquare(counts).pvalue >= STAT_ALPHA


def test_chi_square_detects_a_wrong_partition():
    # the test must be able to fail: Gaussian codes hashed with Laplace edges are not uniform
    m, n = 50, 100_000
    z = code_distribution("gaussian").sample(n, 1, generator=torch.Generator().manual_seed(1))
    counts = torch.bincount(block_index(z, torch.as_tensor(thresholds(m, "laplace"))), minlength=m)
    assert stats.chisquare(counts.numpy()).pvalue < STAT_ALPHA


@given(st.integers(2, 10_000), st.floats(1e-9, 1e-3), st.sampled_from(CODES))
@example(m=3, delta=1.192092896e-07, code="uniform")  # uniform: nu(A) equals the bound exactly
def test_ramp_mass_exact_below_bound(m, delta, code):
    nu = code_distribution(code)
    exact = ramp_mass_exact(thresholds(m, nu), delta, nu)
    bound = (m - 1) * delta * nu.max_density
    assert 0 <= exact <= bound + ramp_mass_rounding(m)
    if code == "gaussian":
        assert math.isclose(bound, ramp_mass_bound(m, delta), rel_tol=1e-12)


def test_ramp_mass_monte_carlo():
    nu = code_distribution("gaussian")
    m, delta, n = 10, 0.05, 400_000
    edges = thresholds(m, nu)
    pair_mass = ramp_mass_exact(edges, delta, nu)
    # hand check of the exact value: sum_j Phi(t_j) - Phi(t_j - delta)
    assert math.isclose(pair_mass, float(sum(stats.norm.cdf(t) - stats.norm.cdf(t - delta)
                                             for t in edges[1:-1])), rel_tol=1e-12)
    z = nu.sample(n, 1, generator=torch.Generator().manual_seed(3))[:, 0].numpy()
    inside = np.zeros(n, dtype=bool)
    for t in edges[1:-1]:
        inside |= (z > t - delta) & (z < t)
    half = stats.norm.isf(STAT_ALPHA / 2) * math.sqrt(pair_mass * (1 - pair_mass) / n)
    assert abs(inside.mean() - pair_mass) <= half


@pytest.mark.parametrize("name,d,n,shape", [("digits", 64, 1797, (8, 8)), ("mnist", 784, 5000, (28, 28)),
                                             ("synthetic", 64, 2000, (8, 8))])
def test_load_images(name, d, n, shape):
    data = load_images(name)
    assert data.images.shape == (n, d) and data.images.dtype == torch.float64
    assert float(data.images.min()) >= 0 and float(data.images.max()) <= 1
    assert data.labels.shape == (n,) and data.image_shape == shape
    sub = load_images(name, n=100, seed=1)
    assert sub.n == 100


def test_load_images_errors():
    with pytest.raises(InvalidArgument, match="did you mean 'mnist'"):
        load_images("mnst")
    with pytest.raises(InvalidArgument, match="n=2000 must be <= 1797"):
        load_images("digits", n=2000)
    synth = load_images("synthetic", d=10, modes=3, n=50)
    assert synth.d == 10 and synth.image_shape is None and int(synth.labels.max()) <= 2


def test_build_pair_api_and_determinism():
    pair = build_pair(d_tilde=8, m=20, seed=5)
    assert (pair.d, pair.d_tilde, pair.m) == (64, 8, 20)
    assert pair.pool.shape == (20, 64) and pair.thresholds.shape == (21,)
    assert pair.noise_indices.tolist() == [7, 15, 23, 31, 39, 47, 55, 63]
    g1, g2 = torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    a, b = pair.sample(50, generator=g1), pair.sample(50, generator=g2, ideal=True)
    assert a.shape == b.shape == (50, 64)
    # same codes: the ReLU and the ideal generator copy z into the noise pixels identically
    assert torch.equal(a[:, pair.noise_indices], b[:, pair.noise_indices])
    same = build_pair(d_tilde=8, m=20, seed=5)
    assert torch.equal(same.pool, pair.pool)
    z = pair.sample_codes(10, generator=torch.Generator().manual_seed(0))
    assert pair.block_index(z).shape == (10,)
    # fresh codes on every call
    g = torch.Generator().manual_seed(0)
    assert not torch.equal(pair.sample(5, generator=g), pair.sample(5, generator=g))


@given(st.floats(0.001, 1.0), st.floats(1.0, 10.0), st.integers(2, 10**6))
def test_default_delta_keeps_hashing_error_within_eps_over_4(eps, Delta, m):
    from checker.gan.construction import default_delta

    delta = default_delta(eps, Delta, m)
    width = ramp_width(eps, Delta, m)
    # independent float64 evaluation of reference §3.3: sqrt(2 pi) eps / (8 Delta (m-1))
    assert math.isclose(width, math.sqrt(2 * math.pi) * eps / (8 * Delta * (m - 1)), rel_tol=1e-12)
    assert width / 2 < delta <= width and delta == pow2_floor(delta)
    assert 2 * Delta * (m - 1) * delta / math.sqrt(2 * math.pi) <= eps / 4 * (1 + 1e-12)


def test_build_pair_bad_input():
    with pytest.raises(InvalidArgument, match="m=0 must be >= 1"):
        build_pair(d_tilde=4, m=0)
    with pytest.raises(InvalidArgument, match="d_tilde=65 must be <= d=64"):
        build_pair(d_tilde=65, m=3)
    with pytest.raises(InvalidArgument, match="d=100 must be 64"):
        build_pair(d_tilde=4, m=3, d=100)
    with pytest.raises(InvalidArgument, match="eps=inf must be finite"):
        build_pair(d_tilde=4, m=3, eps=float("inf"))
    with pytest.raises(InvalidArgument, match="delta=-1"):
        build_pair(d_tilde=4, m=3, delta=-1.0)
    with pytest.raises(InvalidArgument, match="build_relu=False"):
        build_pair(d_tilde=4, m=3, build_relu=False).sample(2, generator=torch.Generator())
    if not torch.cuda.is_available():
        with pytest.raises(InvalidArgument, match="device='cuda'"):
            build_pair(d_tilde=4, m=3, device="cuda")


def test_synthetic_any_dimension():
    pair = build_pair(dataset="synthetic", d=10, d_tilde=4, m=7)
    assert pair.d == 10 and pair.noise_indices.tolist() == [1, 3, 5, 7]


@pytest.mark.gpu
def test_cuda_matches_cpu():
    cpu = build_pair(d_tilde=8, m=300, seed=2)
    gpu = build_pair(d_tilde=8, m=300, seed=2, device="cuda")
    z = cpu.sample_codes(2000, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        a, b = cpu.generator(z), gpu.generator(z.cuda()).cpu()
        assert torch.equal(gpu.encoder(gpu.generator(z.cuda())).cpu(), z)
    off = ~cpu.generator.on_ramp(z)
    assert (a - b)[off].abs().max().item() <= cpu.generator.offramp_error_bound()
    gen = torch.Generator(device="cuda").manual_seed(0)
    assert gpu.sample(10, generator=gen).device.type == "cuda"
