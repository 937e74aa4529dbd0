"""The ideal and ReLU generators (docs/math/arora-thm1.md: Ideal generator, ReLU generator and
the ramp width; claims C1, C8)."""

from __future__ import annotations

import math

import numpy as np
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from checker.bounds.arora_construction import generator_param_count
from checker.gan import IdealGenerator, NoiseEncoder, ReluGenerator, thresholds
from checker.gan.generator import pow2_floor
from checker.tolerances import INVERSION_ABS
from tests.strategies.gan import codes_for, construction_inputs


def _build(pool, d_tilde, m, delta, code="gaussian"):
    edges = thresholds(m, code)
    return (ReluGenerator(pool=pool, d_tilde=d_tilde, edges=edges, delta=delta),
            IdealGenerator(pool=pool, d_tilde=d_tilde, edges=edges))


def _edge_codes(gen: ReluGenerator, z: torch.Tensor) -> torch.Tensor:
    """Codes on and next to every edge and ramp end (the hardest places for rounding)."""
    t = gen.edges[1:-1].numpy()
    if t.size == 0:
        return z
    pts = np.concatenate([t, np.nextafter(t, np.inf), np.nextafter(t, -np.inf), t - gen.delta,
                          np.nextafter(t - gen.delta, -np.inf), t - gen.delta / 2])
    extra = z[:1].repeat(pts.size, 1).clone()
    extra[:, 0] = torch.as_tensor(pts)
    return torch.cat([z, extra])


@given(construction_inputs(), st.data())
def test_param_count_equals_formula(inputs, data):
    pool, d_tilde, m, delta = inputs
    gen, _ = _build(pool, d_tilde, m, delta)
    assert gen.param_count() == generator_param_count(m, pool.shape[1], d_tilde)
    # independent hand count, reference §3.3
    d = pool.shape[1]
    assert gen.param_count() == 2 * (m - 1) + 2 * (m - 1) + 2 * (m - 1) * (d - d_tilde) + (d - d_tilde) + d_tilde


@given(construction_inputs(), st.data())
def test_encoder_inverts_both_generators(inputs, data):
    pool, d_tilde, m, delta = inputs
    gen, ideal = _build(pool, d_tilde, m, delta)
    z = _edge_codes(gen, data.draw(codes_for(d_tilde=d_tilde)))
    enc = NoiseEncoder(d=pool.shape[1], d_tilde=d_tilde)
    with torch.no_grad():
        assert (enc(gen(z)) - z).abs().max().item() <= INVERSION_ABS
        assert (enc(ideal(z)) - z).abs().max().item() <= INVERSION_ABS


@given(construction_inputs(), st.data())
@example((torch.tensor([[0.1, 0.2], [0.3, 0.7]], dtype=torch.float64), 1, 2, 2.0 ** -30), None)
def test_relu_equals_ideal_off_ramp_within_bound(inputs, data):
    pool, d_tilde, m, delta = inputs
    gen, ideal = _build(pool, d_tilde, m, delta)
    z0 = data.draw(codes_for(d_tilde=d_tilde)) if data is not None else torch.zeros(1, d_tilde, dtype=torch.float64)
    z = _edge_codes(gen, z0)
    with torch.no_grad():
        diff = (gen(z) - ideal(z)).abs().amax(1)
    off = ~gen.on_ramp(z)
    assert off.any()
    assert diff[off].max().item() <= gen.offramp_error_bound()


_DYADIC_REGRESSION = torch.tensor([[0.875, 0.625], [0.5, 0.25], [0.3125, 0.0], [0.0625, 0.0],
                                   [0.125, 0.8125], [0.6875, 0.9375]], dtype=torch.float64)


@given(construction_inputs(dyadic=True), st.data())
# regression found by Hypothesis: the ramp was read from the unit with the rounded bias
# 1 - t_j/delta, so z_1 = t_j gave s_j = 1 - 2e-15 instead of exactly 1
@example((_DYADIC_REGRESSION, 1, 6, 0.0625), None)
def test_relu_equals_ideal_exactly_off_ramp_for_dyadic_pools(inputs, data):
    # pixels k/16 (like the 8x8 digits): every difference and prefix sum is exact in float64
    pool, d_tilde, m, delta = inputs
    gen, ideal = _build(pool, d_tilde, m, delta)
    z0 = data.draw(codes_for(d_tilde=d_tilde)) if data is not None else torch.zeros(1, d_tilde, dtype=torch.float64)
    z = _edge_codes(gen, z0)
    off = ~gen.on_ramp(z)
    with torch.no_grad():
        assert torch.equal(gen(z)[off], ideal(z)[off])


@given(construction_inputs(), st.data())
def test_on_ramp_outputs_are_blends_of_neighbours(inputs, data):
    pool, d_tilde, m, delta = inputs
    if m == 1:
        return
    gen, ideal = _build(pool, d_tilde, m, delta)
    j = data.draw(st.integers(1, m - 1))
    frac = data.draw(st.floats(0.01, 0.99))
    t = float(gen.edges[j])
    z = torch.zeros(1, d_tilde, dtype=torch.float64)
    z[0, 0] = t - frac * delta
    if not bool(gen.on_ramp(z)[0]):  # rounding put it on an end point
        return
    s = 1.0 - frac  # ramp value (z1 - t)/delta + 1
    keep = gen.keep_indices
    if keep.numel() == 0:  # d == d_tilde: every pixel is noise, nothing to blend
        return
    expect = (1 - s) * pool[j - 1, keep] + s * pool[j, keep]
    with torch.no_grad():
        got = gen(z)[0, keep]
    # tolerance: rounding of s (|z1/delta| up to ~1e9 * 2^-53) times pixel differences <= 1
    assert (got - expect).abs().max().item() <= 1e-6


@given(construction_inputs(max_m=30), st.data())
# regression found by Hypothesis: d == d_tilde (no non-noise pixel) crashed the bound
@example((torch.tensor([[0.637], [0.2698]], dtype=torch.float64), 1, 2, 0.0625), None)
def test_dense_literal_evaluation_within_cancellation_bound(inputs, data):
    pool, d_tilde, m, delta = inputs
    gen, _ = _build(pool, d_tilde, m, delta)
    z0 = data.draw(codes_for(d_tilde=d_tilde)) if data is not None else torch.zeros(1, d_tilde, dtype=torch.float64)
    z = _edge_codes(gen, z0)
    with torch.no_grad():
        diff = (gen.forward_dense(z) - gen(z)).abs().amax(1)
    assert (diff <= gen.dense_error_bound(z)).all()


@given(construction_inputs(), st.data())
def test_on_ramp_mask_matches_definition(inputs, data):
    pool, d_tilde, m, delta = inputs
    gen, _ = _build(pool, d_tilde, m, delta)
    z = _edge_codes(gen, data.draw(codes_for(d_tilde=d_tilde)))
    t = gen.edges[1:-1].tolist()
    # Python floats are IEEE float64: the same difference fl(z1 - t_j) the generator uses
    want = [any(-delta < z1 - tj < 0 for tj in t) for z1 in z[:, 0].tolist()]
    assert gen.on_ramp(z).tolist() == want


def test_paper_scale_delta_is_exact_off_ramp():
    # reference §3.3: with the §2.2 numbers delta ~ 7.7e-9; a pool of 2000 random images
    m, d, d_tilde = 2000, 30, 3
    g = torch.Generator().manual_seed(0)
    pool = torch.rand(m, d, generator=g, dtype=torch.float64)
    gen, ideal = _build(pool, d_tilde, m, pow2_floor(7.7e-9))
    z = _edge_codes(gen, torch.randn(5000, d_tilde, generator=g, dtype=torch.float64))
    off = ~gen.on_ramp(z)
    with torch.no_grad():
        dev = (gen(z) - ideal(z))[off].abs().max().item()
        dense = (gen.forward_dense(z) - ideal(z))[off].abs().max().item()
    assert dev <= gen.offramp_error_bound() < 1e-9
    # the literal evaluation is measurably worse: this is why forward() uses the tied form
    assert dense > dev


@given(st.floats(min_value=1e-300, max_value=1e300))
def test_pow2_floor(x):
    p = pow2_floor(x)
    assert p <= x < 2 * p
    assert math.frexp(p)[0] == 0.5


def test_m_equals_one_is_a_constant_image_plus_noise():
    pool = torch.tensor([[0.25, 0.5, 0.75, 1.0]], dtype=torch.float64)
    gen, ideal = _build(pool, 2, 1, 1.0)
    z = torch.tensor([[3.0, -4.0]], dtype=torch.float64)
    # hand derivation: k = 2, noise pixels 1 and 3 (0-indexed) hold z
    expect = torch.tensor([[0.25, 3.0, 0.75, -4.0]], dtype=torch.float64)
    assert torch.equal(gen(z), expect) and torch.equal(ideal(z), expect)
    assert gen.param_count() == 4
