"""Noising operator and encoder (docs/math/arora-thm1.md: Noised images, Encoder; claim C1)."""

from __future__ import annotations

import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from checker.errors import InvalidArgument
from checker.gan import NoiseEncoder, apply_noise, noise_indices, split_noise
from checker.tolerances import INVERSION_ABS, NOISE_SCALE_REL
from tests.strategies.gan import codes_for, layouts, pools


def _one_indexed_reference(d: int, d_tilde: int, clean: list[float], z: list[float]) -> list[float]:
    """Direct transcription of the 1-indexed formula of reference §1.2 (independent of the code)."""
    k = d // d_tilde
    out = []
    for i in range(1, d + 1):
        if i % k == 0 and i // k <= d_tilde:
            out.append(z[i // k - 1])
        else:
            out.append(clean[i - 1])
    return out


def test_noise_indices_worked_example():
    # reference §1.2: d=10, d~=4 gives k=2 and noise pixels 2,4,6,8 (1-indexed); pixel 10 stays
    assert noise_indices(10, 4).tolist() == [1, 3, 5, 7]
    # "every 100th pixel": d=1000, d~=10
    assert noise_indices(1000, 10).tolist() == [99 + 100 * j for j in range(10)]


@given(layouts(max_d=60), st.data())
@example((10, 4), None)
def test_apply_noise_matches_one_indexed_formula(layout, data):
    d, d_tilde = layout
    if data is None:  # the side-condition case of reference §1.2
        clean = [float(i) for i in range(d)]
        z = [-1.0 - j for j in range(d_tilde)]
    else:
        clean = data.draw(st.lists(st.floats(0, 1), min_size=d, max_size=d))
        z = data.draw(st.lists(st.floats(-5, 5), min_size=d_tilde, max_size=d_tilde))
    got = apply_noise(torch.tensor([clean], dtype=torch.float64), torch.tensor([z], dtype=torch.float64))
    assert got[0].tolist() == _one_indexed_reference(d, d_tilde, clean, z)


@given(layouts(), st.data(), st.booleans())
def test_encoder_extracts_noise_exactly(layout, data, relu):
    d, d_tilde = layout
    z = data.draw(codes_for(d_tilde=d_tilde))
    clean = data.draw(pools(m=z.shape[0], d=d))
    x = apply_noise(clean, z)
    enc = NoiseEncoder(d=d, d_tilde=d_tilde, relu=relu)
    with torch.no_grad():
        err = (enc(x) - z).abs().max().item()
    assert err <= INVERSION_ABS
    assert enc.nonzero_weights() == (4 * d_tilde if relu else d_tilde)


@given(layouts(), st.data())
def test_split_inverts_noising(layout, data):
    d, d_tilde = layout
    z = data.draw(codes_for(d_tilde=d_tilde))
    clean = data.draw(pools(m=z.shape[0], d=d))
    x = apply_noise(clean, z)
    sp = split_noise(x, d_tilde)
    assert torch.equal(sp.z, z)
    assert torch.equal(apply_noise(sp.clean, sp.z), x)
    assert (sp.clean[:, noise_indices(d, d_tilde)] == 0).all()


@given(st.floats(min_value=0.01, max_value=100.0), st.data())
# regression found by Hypothesis (thorough profile): a subnormal code, where rounding errors
# are absolute (2^-1075 per operation), not relative
@example(0.25, None)
def test_noise_scale_round_trip_within_stated_tolerance(sigma, data):
    d, d_tilde = 30, 7
    if data is None:
        z = torch.tensor([[2.2251e-309, -0.29, 2.18, 0.57, -1.08, -1.40, 0.40]], dtype=torch.float64)
    else:
        z = data.draw(codes_for(d_tilde=d_tilde))
    x = apply_noise(torch.zeros(z.shape[0], d, dtype=torch.float64), z, sigma=sigma)
    enc = NoiseEncoder(d=d, d_tilde=d_tilde, sigma=sigma)
    with torch.no_grad():
        err = (enc(x) - z).abs()
    # relative bound for normal numbers; in the subnormal range fl(sigma z) errs by up to
    # 2^-1075 absolutely, amplified by 1/sigma, plus 2^-1075 for the second rounding
    subnormal = (1.0 / sigma + 1.0) * 2.0 ** -1074  # 2^-1075 itself underflows to 0 in float64
    assert (err <= NOISE_SCALE_REL * z.abs() + subnormal).all()


def test_encoder_rejects_bad_layouts():
    with pytest.raises(InvalidArgument, match="d_tilde=5 must be <= d=4"):
        NoiseEncoder(d=4, d_tilde=5)
    with pytest.raises(InvalidArgument, match="d_tilde=0"):
        noise_indices(4, 0)
    with pytest.raises(InvalidArgument, match="sigma=0"):
        NoiseEncoder(d=4, d_tilde=2, sigma=0)
    with pytest.raises(InvalidArgument, match="z.shape"):
        apply_noise(torch.zeros(3, 10), torch.zeros(2, 4))
