"""checker.testing.strategies: what each strategy draws, and that drawn networks are exactly
the numbers drawn."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from checker.errors import InvalidArgument
from checker.testing import (conv_specs, datasets, gammas, net_specs, smooth_convnets, smooth_mlps,
                             theorem1_pairs)
from checker.testing.strategies import SMOOTH_ACTIVATIONS


@given(spec=net_specs(in_features=st.integers(1, 3)))
def test_net_specs_build_the_drawn_weights(spec):
    net = spec.build()
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    assert [l.out_features for l in linears] == list(spec.widths)
    for lin, w, b in zip(linears, spec.weights, spec.biases):
        assert lin.weight.dtype == torch.float64
        assert lin.weight.tolist() == [list(r) for r in w] and lin.bias.tolist() == list(b)
    assert spec.activation in SMOOTH_ACTIVATIONS


@given(net=smooth_mlps(in_features=3), data=datasets(3, max_n=4))
def test_smooth_mlps_take_drawn_datasets(net, data):
    x, y = data
    out = net(x)
    assert out.shape == (x.shape[0], 2) and out.dtype == torch.float64


@given(spec=conv_specs(), data=st.data())
def test_convnets_accept_images_of_their_shape(spec, data):
    x, y = data.draw(datasets(spec.input_shape, max_n=3))
    assert x.shape[1:] == spec.input_shape
    out = spec.build()(x)
    assert out.shape == (x.shape[0], spec.n_classes)
    assert torch.equal(out, spec.build()(x))  # rebuilt from the spec: the same network


@given(net=smooth_convnets())
def test_smooth_convnets_are_float64(net):
    assert all(p.dtype == torch.float64 for p in net.parameters())


@given(g=gammas(min_value=0.5, max_value=4.0))
def test_gammas_lie_in_the_range(g):
    assert 0.5 <= g <= 4.0


def test_gammas_refuse_an_empty_range():
    with pytest.raises(InvalidArgument, match="min_value, max_value"):
        gammas(min_value=2.0, max_value=1.0)


def test_unknown_activation_is_refused_by_name():
    with pytest.raises(InvalidArgument, match="activations='swish' must be one of"):
        net_specs(activations=("swish",))


@given(pair=theorem1_pairs(max_m=6, max_d=10))
def test_theorem1_pairs_invert_exactly(pair):
    """E(G(z)) = z exactly (Theorem 1's construction; INVERSION_ABS = 0)."""
    z = pair.sample_codes(32, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(pair.encoder(pair.ideal_generator(z)), z)
    assert 1 <= pair.d_tilde <= pair.d and not math.isnan(pair.delta)
