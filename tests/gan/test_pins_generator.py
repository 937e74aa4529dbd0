"""Pins for ``checker.gan.generator`` and ``checker.gan.encoder``: every weight of the built
networks, the counts, the noise copy, the ramps and their boundaries, the error bounds and
every validation branch, each against a reference written out here.

References: the construction of docs/math/arora-thm1.md ("ReLU generator and the ramp width",
"Encoder"): hidden weights :math:`1/\\delta`, biases :math:`[1-t_j/\\delta \\mid -t_j/\\delta]`,
``out_weight`` :math:`[C\\mid -C]` with :math:`C_{:,j}=\\bar x_{j+1}-\\bar x_j` on the non-noise
pixels, ``out_bias`` :math:`\\bar x_1`, ``skip_weight`` :math:`\\sigma`; the noise pixels of a
:math:`d`-pixel image with code dimension :math:`\\tilde d` are computed here by
``checker.gan.noising.noise_indices`` (pinned in ``test_noising_encoder.py``). Pools and
edges are dyadic numbers, so every weight is exact and compared with ``==``. Nothing here is
random.
"""

from __future__ import annotations

import math
import types
from fractions import Fraction

import numpy as np
import pytest
import torch

import checker.gan.generator as gmod
from checker.bounds.arora_construction import generator_param_count
from checker.errors import InvalidArgument
from checker.gan.encoder import NoiseEncoder, encoder_nonzero_count
from checker.gan.generator import IdealGenerator, ReluGenerator, gamma_n, pow2_floor
from checker.gan.noising import noise_indices
from checker.tolerances import FLOAT64_UNIT_ROUNDOFF

U = Fraction(FLOAT64_UNIT_ROUNDOFF)


def _pool(m, d):
    """A dyadic (m, d) pool: entry (i, k) = ((3 i + 5 k) mod 16) / 16 - 1/4 (exact differences)."""
    return torch.tensor([[((3 * i + 5 * k) % 16) / 16 - 0.25 for k in range(d)] for i in range(m)],
                        dtype=torch.float64)


def _edges(m):
    """Dyadic edges -inf < -1 + 0.5 j ... < inf (m + 1 of them)."""
    return np.array([-np.inf] + [-1.0 + 0.5 * j for j in range(m - 1)] + [np.inf])


def _keep(d, d_tilde):
    keep = np.ones(d, dtype=bool)
    keep[noise_indices(d, d_tilde).numpy()] = False
    return keep


def _gen(m=4, d=6, d_tilde=2, delta=2.0 ** -3, sigma=1.0):
    return ReluGenerator(pool=_pool(m, d), d_tilde=d_tilde, edges=_edges(m), delta=delta, sigma=sigma)


# -- small helpers ---------------------------------------------------------------------------

def test_pow2_floor_exact_values():
    for k in (-1074, -1060, -30, -1, 0, 1, 7, 52, 1000, 1023):
        p = math.ldexp(1.0, k)
        assert pow2_floor(p) == p
        if k >= -1022:  # subnormal neighbours of a power of two can be powers of two themselves
            assert pow2_floor(math.nextafter(p, math.inf)) == p
        if k > -1074:
            assert pow2_floor(math.nextafter(p, 0.0)) == math.ldexp(1.0, k - 1)
    assert pow2_floor(3.0) == 2.0 and pow2_floor(0.75) == 0.5 and pow2_floor(1e-8) == 2.0 ** -27
    with pytest.raises(InvalidArgument, match="delta"):
        pow2_floor(0.0)


@pytest.mark.parametrize("err", [+1e-9, -1e-9])
def test_pow2_floor_corrects_a_misrounded_log2(monkeypatch, err):
    # a libm whose log2 errs by one step either way must not change the result (the two
    # correction branches of pow2_floor); simulated by a log2 that is off by +-1e-9
    fake = types.SimpleNamespace(floor=math.floor, ldexp=math.ldexp, log2=lambda x: math.log2(x) + err)
    monkeypatch.setattr(gmod, "math", fake)
    for k in (-20, -3, 0, 5):
        p = math.ldexp(1.0, k)
        assert pow2_floor(p) == p
        assert pow2_floor(math.nextafter(p, 0.0)) == math.ldexp(1.0, k - 1)
        assert pow2_floor(1.5 * p) == p


def test_gamma_n_is_nu_over_one_minus_nu():
    for n in (1, 2, 3, 10, 2 ** 20):
        ref = n * U / (1 - n * U)  # exact rational, then compared to the float result
        assert abs(Fraction(gamma_n(n)) - ref) <= ref * Fraction(2) ** -51
    assert gamma_n(0) == 0.0
    assert gamma_n(2 ** 53) == math.inf  # n u = 1 exactly: no bound
    assert gamma_n(2 ** 54) == math.inf
    assert math.isfinite(gamma_n(2 ** 53 - 1))


# -- validation -------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [IdealGenerator, ReluGenerator])
def test_generators_reject_bad_pools_and_edges(cls):
    extra = {"delta": 0.125} if cls is ReluGenerator else {}
    bad_nan = _pool(3, 4)
    bad_nan[1, 2] = float("nan")  # one non-finite entry among finite ones
    cases = [(torch.zeros(4, dtype=torch.float64), _edges(3), "pool.shape"),
             (torch.zeros(3, 4, 1, dtype=torch.float64), _edges(3), "pool.shape"),
             (bad_nan, _edges(3), "finite"),
             (_pool(3, 4), _edges(2), "edges"),
             (_pool(3, 4), _edges(4), "edges")]
    for pool, edges, words in cases:
        with pytest.raises(InvalidArgument, match=words):
            cls(pool=pool, d_tilde=2, edges=edges, **extra)
    assert cls(pool=_pool(3, 4), d_tilde=2, edges=_edges(3), **extra).m == 3


def test_generators_reject_bad_codes():
    gen = _gen(m=3, d=5, d_tilde=2)
    ideal = IdealGenerator(pool=_pool(3, 5), d_tilde=2, edges=_edges(3))
    for z in (torch.zeros(4, dtype=torch.float64), torch.zeros(4, 3, dtype=torch.float64),
              torch.zeros(4, 2, 1, dtype=torch.float64), torch.zeros(4, 1, dtype=torch.float64)):
        for f in (gen.forward, gen.forward_dense, ideal.forward):
            with pytest.raises(InvalidArgument, match="z.shape"):
                f(z)


@pytest.mark.parametrize("kw", [{"delta": 0.0}, {"delta": -0.5}, {"sigma": 0.0}])
def test_relu_generator_rejects_bad_widths(kw):
    with pytest.raises(InvalidArgument, match=next(iter(kw))):
        _gen(**kw)


# -- the built weights ------------------------------------------------------------------------

@pytest.mark.parametrize("m, d, d_tilde, sigma", [(1, 3, 1, 1.0), (2, 4, 1, 2.0), (4, 6, 2, 0.5),
                                                   (5, 7, 3, 1.0), (3, 3, 3, 4.0)])
def test_relu_generator_weights_are_the_construction(m, d, d_tilde, sigma):
    delta = 2.0 ** -3
    gen = _gen(m=m, d=d, d_tilde=d_tilde, delta=delta, sigma=sigma)
    pool = _pool(m, d).numpy()
    keep = _keep(d, d_tilde)
    clean = pool[:, keep]
    t = _edges(m)[1:-1]
    k = m - 1
    assert gen.hidden_weight.shape == (2 * k, 1) and bool((gen.hidden_weight == 1.0 / delta).all())
    np.testing.assert_array_equal(gen.hidden_bias.numpy(), np.concatenate([1.0 - t / delta, -t / delta]))
    c = (clean[1:] - clean[:-1]).T
    np.testing.assert_array_equal(gen.out_weight.numpy(), np.concatenate([c, -c], axis=1).reshape(len(clean[0]), 2 * k))
    np.testing.assert_array_equal(gen.out_bias.numpy(), clean[0])
    np.testing.assert_array_equal(gen.skip_weight.numpy(), np.full(d_tilde, sigma))
    np.testing.assert_array_equal(gen.noise_indices.numpy(), noise_indices(d, d_tilde).numpy())
    np.testing.assert_array_equal(gen.keep_indices.numpy(), np.nonzero(keep)[0])
    np.testing.assert_array_equal(gen.edges.numpy(), _edges(m))
    assert "edges" in gen.state_dict() and "noise_indices" not in gen.state_dict()
    assert "keep_indices" not in gen.state_dict()
    # pool recovered from the weights: the first m - 1 columns are C (exact for a dyadic pool)
    np.testing.assert_array_equal(gen.pool_clean.numpy(), clean)
    # counts: the tensors' entries, the formula of the bound library and the hand formula
    hand = 2 * k + 2 * k + 2 * k * (d - d_tilde) + (d - d_tilde) + d_tilde
    assert gen.param_count() == hand == generator_param_count(m, d, d_tilde) == 2 * k * (d - d_tilde + 2) + d
    assert gen.m == m and gen.d == d and gen.d_tilde == d_tilde and gen.delta == delta and gen.sigma == sigma


def test_default_noise_scale_is_one():
    pool = _pool(3, 4)
    ideal = IdealGenerator(pool=pool, d_tilde=2, edges=_edges(3))
    relu = ReluGenerator(pool=pool, d_tilde=2, edges=_edges(3), delta=0.125)
    assert ideal.sigma == 1.0 and relu.sigma == 1.0
    z = _codes([-2.0, 3.0], 2)
    idx = noise_indices(4, 2)
    assert torch.equal(ideal(z)[:, idx], z) and torch.equal(relu(z)[:, idx], z)


def test_ideal_generator_buffers():
    pool = _pool(4, 6)
    ideal = IdealGenerator(pool=pool, d_tilde=2, edges=_edges(4), sigma=2.0)
    want = pool.clone()
    want[:, noise_indices(6, 2)] = 0.0
    assert torch.equal(ideal.pool_clean, want) and torch.equal(ideal.edges, torch.as_tensor(_edges(4)))
    assert torch.equal(ideal.noise_indices, noise_indices(6, 2)) and ideal.sigma == 2.0
    assert (ideal.m, ideal.d, ideal.d_tilde) == (4, 6, 2)
    assert "pool_clean" in ideal.state_dict() and "noise_indices" not in ideal.state_dict()


# -- evaluation --------------------------------------------------------------------------------

def _codes(z1, d_tilde, rest=0.375):
    z = torch.full((len(z1), d_tilde), rest, dtype=torch.float64)
    z[:, 0] = torch.tensor(z1, dtype=torch.float64)
    if d_tilde > 1:
        z[:, 1:] = torch.arange(1, d_tilde, dtype=torch.float64) * -0.625
    return z


@pytest.mark.parametrize("sigma", [1.0, 2.0, 3.0, 0.5])
def test_outputs_and_noise_copy_exact(sigma):
    # off the ramps G_delta(z) = clean pool image of z's block + sigma z on the noise pixels;
    # halfway up ramp j (z1 = t_j - delta/2) it is the average of the neighbouring images
    m, d, d_tilde, delta = 4, 6, 2, 2.0 ** -3
    gen = _gen(m=m, d=d, d_tilde=d_tilde, delta=delta, sigma=sigma)
    ideal = IdealGenerator(pool=_pool(m, d), d_tilde=d_tilde, edges=_edges(m), sigma=sigma)
    pool = _pool(m, d).numpy()
    keep, idx = _keep(d, d_tilde), noise_indices(d, d_tilde).numpy()
    t = _edges(m)[1:-1]  # -1, -0.5, 0
    z1 = [-3.0, float(t[0] - delta), float(t[0]), -0.75, float(t[1]) - delta, 0.0, 7.5,
          float(t[2]) - delta / 2]
    block = [0, 0, 1, 1, 1, 3, 3, 2]  # searchsorted(t, z1, right)
    z = _codes(z1, d_tilde)
    for out in (gen(z), gen.forward_dense(z)):
        assert out.shape == (len(z1), d)
        np.testing.assert_array_equal(out[:, idx].numpy(), sigma * z.numpy())  # the noise copy
        for r in range(len(z1) - 1):
            np.testing.assert_array_equal(out[r, keep].numpy(), pool[block[r], keep])
        np.testing.assert_array_equal(out[-1, keep].numpy(), (pool[2, keep] + pool[3, keep]) / 2)
    io = ideal(z)
    np.testing.assert_array_equal(io[:, idx].numpy(), sigma * z.numpy())
    for r in range(len(z1)):
        np.testing.assert_array_equal(io[r, keep].numpy(), pool[block[r], keep])


def test_ramps_preactivations_and_ramp_set_boundaries():
    m, delta = 4, 2.0 ** -3
    gen = _gen(m=m, delta=delta)
    t = _edges(m)[1:-1]
    z1 = [t[1] - delta, math.nextafter(t[1] - delta, math.inf), t[1] - delta / 4, math.nextafter(t[1], -math.inf),
          t[1], t[2] + 0.01, -5.0, t[0] - delta / 2]
    z = _codes(z1, 2)
    on = gen.on_ramp(z).tolist()
    assert on == [False, True, True, True, False, False, False, True]
    s = gen.ramps(z).numpy()
    # s_j = clamp((z1 - t_j)/delta + 1, 0, 1), exact for dyadic z1, t and delta
    want = np.clip((np.array(z1)[:, None] - t[None, :]) / delta + 1.0, 0.0, 1.0)
    np.testing.assert_array_equal(s, want)
    assert s[2, 1] == 0.75 and s[7, 0] == 0.5
    pre = gen.preactivations(z).numpy()
    u = (np.array(z1)[:, None] - t[None, :]) / delta
    np.testing.assert_array_equal(pre, np.concatenate([u + 1.0, u], axis=1))
    # a single block has no ramp
    one = _gen(m=1, d=3, d_tilde=1)
    assert one.on_ramp(_codes([0.0, 1.0], 1)).tolist() == [False, False]


def test_chunks_bound_the_ramp_matrix():
    assert gmod._CHUNK_ENTRIES == 2 ** 22
    for m, want in ((1, 2 ** 22), (2, 2 ** 21), (4, 2 ** 22 // 6), (2 ** 21 + 1, 1), (2 ** 22, 1)):
        assert ReluGenerator._chunks(types.SimpleNamespace(m=m)) == want


def test_forward_in_several_chunks_and_empty_batches(monkeypatch):
    gen = _gen(m=4)
    z = _codes([-3.0, -0.9, -0.5625, 0.25, 2.0, -1.0, -0.25], 2)
    full, dense = gen(z), gen.forward_dense(z)
    monkeypatch.setattr(gmod, "_CHUNK_ENTRIES", 12)  # 2 codes per chunk (2(m-1) = 6 units)
    assert torch.equal(gen(z), full) and torch.equal(gen.forward_dense(z), dense)
    empty = torch.zeros(0, 2, dtype=torch.float64)
    assert gen(empty).shape == (0, 6) and gen.forward_dense(empty).shape == (0, 6)
    one = _gen(m=1, d=3, d_tilde=1, sigma=2.0)
    zz = _codes([0.5, -4.0], 1)
    for out in (one(zz), one.forward_dense(zz)):
        np.testing.assert_array_equal(out[:, _keep(3, 1)].numpy(), np.tile(_pool(1, 3).numpy()[0, _keep(3, 1)], (2, 1)))
        np.testing.assert_array_equal(out[:, noise_indices(3, 1).numpy()].numpy(), 2.0 * zz.numpy())


# -- error bounds ------------------------------------------------------------------------------

def _gamma(n):
    return n * U / (1 - n * U)


def test_offramp_error_bound_exact_formula():
    # per pixel gamma_{m-1} (|b| + sum_j |c_j|) + gamma_2 sum_j |c_j|, max over pixels (rationals)
    m, d, d_tilde = 5, 7, 3
    gen = _gen(m=m, d=d, d_tilde=d_tilde, delta=2.0 ** -4)
    clean = _pool(m, d).numpy()[:, _keep(d, d_tilde)]
    c = np.abs(clean[1:] - clean[:-1])
    per = [_gamma(m - 1) * (Fraction(abs(clean[0, p])) + sum(Fraction(v) for v in c[:, p]))
           + _gamma(2) * sum(Fraction(v) for v in c[:, p]) for p in range(clean.shape[1])]
    ref = max(per)
    got = Fraction(gen.offramp_error_bound())
    assert abs(got - ref) <= ref * Fraction(2) ** -48
    assert min(per) < ref * Fraction(99, 100)  # the max over pixels matters here
    assert _gen(m=5, delta=0.1).offramp_error_bound() == math.inf  # not a power of two
    assert _gen(m=1, d=3, d_tilde=1).offramp_error_bound() == 0.0
    assert _gen(m=3, d=3, d_tilde=3).offramp_error_bound() == 0.0  # no non-noise pixel


def test_dense_error_bound_exact_formula():
    m, d, d_tilde, delta = 4, 6, 2, 2.0 ** -3
    gen = _gen(m=m, d=d, d_tilde=d_tilde, delta=delta)
    clean = _pool(m, d).numpy()[:, _keep(d, d_tilde)]
    t = _edges(m)[1:-1]
    z1 = [-3.0, -0.5625, 4.0]
    z = _codes(z1, d_tilde)
    c = np.abs(clean[1:] - clean[:-1])  # (k, p)
    k = m - 1
    got = gen.dense_error_bound(z).numpy()
    for r, v in enumerate(z1):
        u = [Fraction(v - tj) / Fraction(delta) for tj in t]
        wts = [abs(uj + 1) + abs(uj) + 1 for uj in u]
        worst = max(sum(wts[j] * Fraction(c[j, p]) for j in range(k)) for p in range(c.shape[1]))
        base = _gamma(k) * (max(Fraction(abs(b)) for b in clean[0]) + max(sum(Fraction(x) for x in c[:, p]) for p in range(c.shape[1])))
        ref = 2 * ((_gamma(2 * k) + 2 * _gamma(2)) * worst + base)
        assert abs(Fraction(float(got[r])) - ref) <= ref * Fraction(2) ** -45
    assert torch.equal(_gen(m=1, d=3, d_tilde=1).dense_error_bound(_codes([0.0], 1)), torch.zeros(1, dtype=torch.float64))
    assert torch.equal(_gen(m=3, d=3, d_tilde=3).dense_error_bound(_codes([0.0, 1.0], 3)),
                       torch.zeros(2, dtype=torch.float64))


# -- the encoder -------------------------------------------------------------------------------

@pytest.mark.parametrize("d, d_tilde", [(1, 1), (3, 1), (5, 2), (8, 8), (11, 4)])
@pytest.mark.parametrize("sigma", [1.0, 0.5, 3.0])
def test_encoder_weights_and_counts_for_all_shapes(d, d_tilde, sigma):
    idx = noise_indices(d, d_tilde).numpy()
    lin = NoiseEncoder(d=d, d_tilde=d_tilde, sigma=sigma)
    w = np.zeros((d_tilde, d))
    w[np.arange(d_tilde), idx] = 1.0 / sigma
    np.testing.assert_array_equal(lin.linear.weight.detach().numpy(), w)
    assert lin.linear.bias is None and not lin.relu and lin.sigma == sigma
    assert lin.nonzero_weights() == d_tilde == encoder_nonzero_count(d_tilde)
    relu = NoiseEncoder(d=d, d_tilde=d_tilde, relu=True, sigma=sigma)
    np.testing.assert_array_equal(relu.hidden.weight.detach().numpy(), np.concatenate([w, -w]))
    out = np.concatenate([np.eye(d_tilde), -np.eye(d_tilde)], axis=1)
    np.testing.assert_array_equal(relu.out.weight.detach().numpy(), out)
    assert relu.hidden.bias is None and relu.out.bias is None and relu.relu
    assert relu.nonzero_weights() == 4 * d_tilde == encoder_nonzero_count(d_tilde, relu=True)
    assert sum(p.numel() for p in relu.parameters()) == 2 * d_tilde * d + 2 * d_tilde * d_tilde
    assert torch.equal(relu.noise_indices, torch.as_tensor(idx))
    for enc in (lin, relu):  # index buffers are derived, not saved
        assert "noise_indices" not in enc.state_dict()
    # E reads the noise pixels: x with x[idx] = sigma z gives z (exact for these sigmas)
    z = torch.tensor([[0.5 * (j + 1) * (-1) ** j for j in range(d_tilde)]], dtype=torch.float64)
    x = torch.full((1, d), 7.0, dtype=torch.float64)
    x[:, idx] = sigma * z
    with torch.no_grad():
        assert torch.equal(lin(x), z) and torch.equal(relu(x), z)


def test_encoder_dtype_and_defaults():
    enc = NoiseEncoder(d=4, d_tilde=2)
    assert enc.linear.weight.dtype == torch.float64 and not enc.relu and enc.sigma == 1.0
    assert NoiseEncoder(d=4, d_tilde=2, dtype=torch.float32).linear.weight.dtype == torch.float32
    with pytest.raises(InvalidArgument, match="sigma"):
        NoiseEncoder(d=4, d_tilde=2, sigma=0.0)


def test_two_blocks_and_one_block_with_wider_codes():
    # m = 2: one edge t_1 = -1, one ramp; m = 1: a constant image. Codes have d_tilde = 2 and
    # n = 3 rows, so no shape coincides with another.
    d, d_tilde, delta = 5, 2, 2.0 ** -2
    keep, idx = _keep(d, d_tilde), noise_indices(d, d_tilde).numpy()
    two = _gen(m=2, d=d, d_tilde=d_tilde, delta=delta)
    pool = _pool(2, d).numpy()
    z = _codes([-3.0, -1.0 - delta / 2, 0.5], d_tilde)
    want = np.stack([pool[0, keep], (pool[0, keep] + pool[1, keep]) / 2, pool[1, keep]])
    for out in (two(z), two.forward_dense(z)):
        np.testing.assert_array_equal(out[:, keep].numpy(), want)
        np.testing.assert_array_equal(out[:, idx].numpy(), z.numpy())
    c = np.abs(pool[1, keep] - pool[0, keep])
    per = [_gamma(1) * (Fraction(abs(b)) + Fraction(cc)) + _gamma(2) * Fraction(cc) for b, cc in zip(pool[0, keep], c)]
    assert max(per) > 0
    assert abs(Fraction(two.offramp_error_bound()) - max(per)) <= max(per) * Fraction(2) ** -48
    one = _gen(m=1, d=d, d_tilde=d_tilde)
    for out in (one(z), one.forward_dense(z)):
        np.testing.assert_array_equal(out[:, keep].numpy(), np.tile(_pool(1, d).numpy()[0, keep], (3, 1)))
        np.testing.assert_array_equal(out[:, idx].numpy(), z.numpy())
