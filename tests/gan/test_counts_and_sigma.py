"""The construction's promised counts against the built networks, the noise scale sigma, and
the a-priori off-ramp error bound pinned to its formula (docs/math/arora-thm1.md,
"Construction").

References are computed here from the pool and the layout alone (hand counts of nonzero
entries, fl(sigma * z) in numpy, Higham's gamma_n from its definition), never read back from
the network under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from checker.bounds.arora_construction import generator_param_count
from checker.gan import IdealGenerator, NoiseEncoder, ReluGenerator, thresholds
from checker.gan.construction import build_pair
from checker.gan.checks import inspect_pair
from checker.gan.encoder import encoder_nonzero_count
from checker.gan.generator import pow2_floor
from checker.gan.noising import apply_noise, noise_indices
from checker.tolerances import NOISE_SCALE_REL
from tests.strategies.gan import codes_for, construction_inputs, layouts, pools, sigmas

U = 2.0**-53


def _gamma(n: int) -> float:
    return n * U / (1 - n * U)


def _nonzeros(module: torch.nn.Module) -> int:
    """Nonzero entries of every parameter tensor, counted from the state dict."""
    return sum(int(np.count_nonzero(p.detach().cpu().numpy())) for p in module.parameters())


@given(layouts(), sigmas(), st.booleans())
@example((784, 10), 3.0, True)
@example((1, 1), 1.0, True)
def test_encoder_count_is_the_promised_count(layout, sigma, relu):
    d, d_tilde = layout
    enc = NoiseEncoder(d=d, d_tilde=d_tilde, relu=relu, sigma=sigma)
    hand = 4 * d_tilde if relu else d_tilde  # docs/math/arora-thm1.md, Encoder
    assert encoder_nonzero_count(d_tilde, relu=relu) == hand
    assert enc.nonzero_weights() == hand == _nonzeros(enc)
    idx = noise_indices(d, d_tilde).tolist()
    rows = list(range(d_tilde))
    inv = 1.0 / sigma
    if relu:
        h, o = enc.hidden.weight.detach(), enc.out.weight.detach()
        assert h[rows, idx].tolist() == [inv] * d_tilde
        assert h[[r + d_tilde for r in rows], idx].tolist() == [-inv] * d_tilde
        assert o[rows, rows].tolist() == [1.0] * d_tilde
        assert o[rows, [r + d_tilde for r in rows]].tolist() == [-1.0] * d_tilde
    else:
        assert enc.linear.weight.detach()[rows, idx].tolist() == [inv] * d_tilde


@given(layouts(), sigmas(), st.booleans(), st.data())
def test_encoder_inverts_noising_at_any_sigma(layout, sigma, relu, data):
    d, d_tilde = layout
    z = data.draw(codes_for(d_tilde=d_tilde))
    x = apply_noise(data.draw(pools(m=z.shape[0], d=d)), z, sigma=sigma)
    # the noise pixels hold fl(sigma z) exactly, computed here in numpy
    ref = z.numpy() if sigma == 1.0 else np.float64(sigma) * z.numpy()
    np.testing.assert_array_equal(x[:, noise_indices(d, d_tilde)].numpy(), ref)
    with torch.no_grad():
        got = NoiseEncoder(d=d, d_tilde=d_tilde, relu=relu, sigma=sigma)(x)
    err = (got - z).abs()
    assert bool((err <= NOISE_SCALE_REL * z.abs() + (1 / sigma + 1) * 2.0**-1074).all())
    if pow2_floor(sigma) == sigma:  # powers of two: exact round trip
        assert torch.equal(got, z)


def _hand_generator_nonzeros(pool: np.ndarray, d_tilde: int, m: int, delta: float,
                             edges: np.ndarray, sigma: float) -> int:
    """Nonzero entries of G_delta from the pool alone (docs/math/arora-thm1.md, ReLU generator):
    2(m-1) hidden weights 1/delta, hidden biases 1 - t_j/delta and -t_j/delta, out weights
    [C | -C] with C = differences of consecutive non-noise pool rows, out bias = first non-noise
    row, d_tilde skip weights sigma."""
    d = pool.shape[1]
    keep = np.ones(d, dtype=bool)
    keep[noise_indices(d, d_tilde).numpy()] = False
    clean = pool[:, keep]
    t = np.asarray(edges, dtype=np.float64)[1:-1]
    inv = 1.0 / delta
    c = clean[1:] - clean[:-1]
    return (2 * (m - 1) + int(np.count_nonzero(1.0 - t * inv)) + int(np.count_nonzero(-t * inv))
            + 2 * int(np.count_nonzero(c)) + int(np.count_nonzero(clean[0])) + d_tilde)


@given(construction_inputs(pow2_delta=None, with_sigma=True))
def test_generator_counts_equal_the_formula_and_the_built_network(inputs):
    pool, d_tilde, m, delta, sigma = inputs
    d = pool.shape[1]
    edges = thresholds(m, "gaussian")
    gen = ReluGenerator(pool=pool, d_tilde=d_tilde, edges=edges, delta=delta, sigma=sigma)
    hand = 2 * (m - 1) + 2 * (m - 1) + 2 * (m - 1) * (d - d_tilde) + (d - d_tilde) + d_tilde
    assert gen.param_count() == generator_param_count(m, d, d_tilde) == hand
    assert _nonzeros(gen) == _hand_generator_nonzeros(pool.numpy(), d_tilde, m, delta, edges, sigma)
    assert gen.skip_weight.tolist() == [sigma] * d_tilde


@given(construction_inputs(pow2_delta=None, with_sigma=True), st.data())
@example((torch.tensor([[0.1, 0.2, 0.3], [0.3, 0.7, 0.9]], dtype=torch.float64), 2, 2, 0.01, 3.0), None)
def test_noise_pixels_are_sigma_times_the_code_in_every_generator(inputs, data):
    pool, d_tilde, m, delta, sigma = inputs
    edges = thresholds(m, "gaussian")
    gen = ReluGenerator(pool=pool, d_tilde=d_tilde, edges=edges, delta=delta, sigma=sigma)
    ideal = IdealGenerator(pool=pool, d_tilde=d_tilde, edges=edges, sigma=sigma)
    z = data.draw(codes_for(d_tilde=d_tilde)) if data is not None else \
        torch.linspace(-2, 2, 2 * d_tilde, dtype=torch.float64).reshape(2, d_tilde)
    ref = z.numpy() if sigma == 1.0 else np.float64(sigma) * z.numpy()
    idx = noise_indices(pool.shape[1], d_tilde)
    with torch.no_grad():
        for out in (gen(z), gen.forward_dense(z), ideal(z)):
            np.testing.assert_array_equal(out[:, idx].numpy(), ref)
        # sigma only touches the noise pixels
        base = IdealGenerator(pool=pool, d_tilde=d_tilde, edges=edges)(z)
        keep = torch.ones(pool.shape[1], dtype=torch.bool)
        keep[idx] = False
        assert torch.equal(ideal(z)[:, keep], base[:, keep])


def _offramp_bound_reference(pool: np.ndarray, d_tilde: int, m: int) -> float:
    """max over non-noise pixels of gamma_{m-1}(|x1| + sum|c~_j|) + gamma_2 sum|c~_j|, with
    c~_j = fl(x_{j+1} - x_j) (docstring of ReluGenerator.offramp_error_bound)."""
    d = pool.shape[1]
    keep = np.ones(d, dtype=bool)
    keep[noise_indices(d, d_tilde).numpy()] = False
    clean = pool[:, keep]
    if m == 1:
        return 0.0
    if clean.shape[1] == 0:
        return 0.0
    absc = np.abs(clean[1:] - clean[:-1]).sum(0)
    return float((_gamma(m - 1) * (np.abs(clean[0]) + absc) + _gamma(2) * absc).max())


@given(construction_inputs(pow2_delta=None))
@example((torch.tensor([[0.1, 0.2], [0.3, 0.7], [0.9, 0.4]], dtype=torch.float64), 1, 3, 2.0**-10))
def test_offramp_error_bound_is_its_formula(inputs):
    pool, d_tilde, m, delta = inputs
    gen = ReluGenerator(pool=pool, d_tilde=d_tilde, edges=thresholds(m, "gaussian"), delta=delta)
    got = gen.offramp_error_bound()
    if pow2_floor(delta) != delta:
        assert got == math.inf  # no exactness claim without a power-of-two width
        return
    ref = _offramp_bound_reference(pool.numpy(), d_tilde, m)
    assert got == pytest.approx(ref, rel=1e-12, abs=0.0)


@pytest.mark.parametrize("sigma,relu_encoder,m", [(1.0, True, 7), (3.0, True, 16), (0.3, False, 5),
                                                   (2.0, True, 1)])
def test_built_pair_reports_its_true_counts(sigma, relu_encoder, m):
    pair = build_pair(dataset="digits", d_tilde=8, m=m, seed=1, sigma=sigma, relu_encoder=relu_encoder)
    rep = inspect_pair(pair, n=256, seed=2)
    assert rep.encoder_nonzeros == encoder_nonzero_count(8, relu=relu_encoder) == _nonzeros(pair.encoder)
    assert rep.generator_params == generator_param_count(m, 64, 8)
    assert _nonzeros(pair.generator) == _hand_generator_nonzeros(
        pair.pool.numpy(), 8, m, pair.delta, pair.thresholds.numpy(), sigma)
    # E(G(z)) = z up to the rounding of sigma and 1/sigma (exact for powers of two)
    tol = 0.0 if pow2_floor(sigma) == sigma else NOISE_SCALE_REL * 10.0  # |z| <= ~10 here
    assert rep.max_inversion_error <= tol and rep.max_inversion_error_ideal <= tol
    assert rep.max_offramp_deviation <= rep.offramp_error_bound


def test_encoder_count_default_is_the_linear_encoder():
    assert encoder_nonzero_count(5) == 5 == NoiseEncoder(d=20, d_tilde=5).nonzero_weights()


@given(construction_inputs(dyadic=True))
def test_pool_recovered_from_the_weights(inputs):
    # dyadic pools: the differences and prefix sums are exact, so the recovery is exact
    pool, d_tilde, m, delta = inputs
    gen = ReluGenerator(pool=pool, d_tilde=d_tilde, edges=thresholds(m, "gaussian"), delta=delta)
    keep = torch.ones(pool.shape[1], dtype=torch.bool)
    keep[noise_indices(pool.shape[1], d_tilde)] = False
    assert torch.equal(gen.pool_clean, pool[:, keep])


@given(construction_inputs(max_m=12), st.data())
def test_dense_error_bound_is_its_formula(inputs, data):
    """2((gamma_2k + 2 gamma_2) max_p sum_j (|a_j^hi|+|a_j^lo|+1)|c_pj| + gamma_k (max|b| + max_p
    sum_j |c_pj|)), recomputed in numpy from the pool, the edges and delta (docstring of
    ReluGenerator.dense_error_bound)."""
    pool, d_tilde, m, delta = inputs
    edges = thresholds(m, "gaussian")
    gen = ReluGenerator(pool=pool, d_tilde=d_tilde, edges=edges, delta=delta)
    z = data.draw(codes_for(d_tilde=d_tilde, n_max=8))
    got = gen.dense_error_bound(z).numpy()
    d = pool.shape[1]
    keep = np.ones(d, dtype=bool)
    keep[noise_indices(d, d_tilde).numpy()] = False
    clean = pool.numpy()[:, keep]
    k = m - 1
    if k == 0 or clean.shape[1] == 0:
        assert (got == 0).all()
        return
    t = np.asarray(edges, dtype=np.float64)[1:-1]
    u_lo = z.numpy()[:, :1] * (1.0 / delta) - t / delta  # u_j
    a_hi, a_lo = np.abs(u_lo + 1.0), np.abs(u_lo)
    c = np.abs(clean[1:] - clean[:-1])  # (k, p)
    worst = ((a_hi + a_lo + 1.0) @ c).max(1)
    base = _gamma(k) * (np.abs(clean[0]).max() + c.sum(0).max())
    want = 2.0 * ((_gamma(2 * k) + 2 * _gamma(2)) * worst + base)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=0)
