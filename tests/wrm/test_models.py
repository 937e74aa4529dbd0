"""Tests of checker.wrm.models: architectures, parameter counts, save/load."""

from __future__ import annotations

import pytest
import torch

import checker
from checker.errors import InvalidArgument
from checker.wrm.models import (describe, load_model, load_model_meta, mlp, mnist_convnet, n_parameters,
                                save_model)


def test_mnist_convnet_has_710218_parameters():
    # checker/wrm/models.py docstring table (authors' released code): 4,160 + 295,040 + 409,728 + 1,290 = 710,218 [D from the authors' code].
    m = mnist_convnet()
    assert n_parameters(m) == 710_218
    assert [n_parameters(layer) for layer in m if n_parameters(layer)] == [4160, 295040, 409728, 1290]


def test_mnist_convnet_shapes_follow_tf_same_then_valid():
    m = mnist_convnet()
    x = torch.rand(2, 1, 28, 28, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    h = m[1](m[0](x))
    assert h.shape == (2, 64, 14, 14)  # "same": ceil(28/2) = 14
    assert m(x).shape == (2, 10)


def test_same_padding_equivalent_to_3_4_split():
    # TF "same" pads 6 rows for k=8, s=2 on 28 (3 + 3). A (3, 4) split reads the same windows:
    # the last window starts at 26 and ends at 33, so padded row 34 is never used (hand count).
    m = mnist_convnet()
    conv = m[1]
    x = torch.rand(3, 1, 28, 28, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    a = conv(torch.nn.functional.pad(x, (3, 3, 3, 3)))
    b = conv(torch.nn.functional.pad(x, (3, 4, 3, 4)))
    assert torch.equal(a, b)


def test_mlp_matches_paper_size_and_flattens():
    assert n_parameters(mlp()) == 28  # 2*4+4 + 4*2+2 + 2*2+2 (docs/math/sinha.md, Experiments: a 2-4-2 net [D])
    m = mlp(64, (4, 2), "elu", 10)
    assert m(torch.rand(3, 1, 8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(0))).shape == (3, 10)
    assert next(m.parameters()).dtype == torch.float64


def test_init_is_seeded():
    a, b, c = mlp(seed=1), mlp(seed=1), mlp(seed=2)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not all(torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters()))


@pytest.mark.parametrize("build", [lambda: mlp(activation="softplus"), lambda: mnist_convnet(dtype=torch.float32),
                                   lambda: mlp(activation="tanh", dtype="float32")])
def test_save_load_roundtrip(tmp_path, build):
    m = build()
    path = save_model(m, tmp_path / "model.pt", meta={"method": "wrm", "rho_hat": 0.07})
    loaded = checker.load_model(path)
    assert describe(loaded) == describe(m)
    for p, q in zip(m.parameters(), loaded.parameters()):
        assert torch.equal(p, q) and p.dtype == q.dtype
    assert load_model_meta(tmp_path) == {"method": "wrm", "rho_hat": 0.07}
    assert not loaded.training


def test_user_sequential_with_supported_layers_roundtrips(tmp_path):
    m = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
                            torch.nn.Dropout(0.1), torch.nn.Linear(18, 2)).double()
    loaded = load_model(save_model(m, tmp_path / "u.pt"))
    x = torch.rand(2, 1, 3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    m.eval()
    assert torch.equal(m(x), loaded(x))


def test_unsupported_models_are_refused(tmp_path):
    class Custom(torch.nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(InvalidArgument, match="nn.Sequential"):
        save_model(Custom(), tmp_path / "c.pt")
    with pytest.raises(InvalidArgument, match="cannot be saved"):
        save_model(torch.nn.Sequential(torch.nn.BatchNorm1d(2)), tmp_path / "b.pt")


def test_load_refuses_foreign_files(tmp_path):
    (tmp_path / "junk.pt").write_bytes(b"not a model")
    with pytest.raises(InvalidArgument, match="not a checker model"):
        load_model(tmp_path / "junk.pt")
    torch.save({"a": torch.zeros(1)}, tmp_path / "plain.pt")
    with pytest.raises(InvalidArgument, match="not a checker model"):
        load_model(tmp_path / "plain.pt")
    with pytest.raises(InvalidArgument, match="must be a model file"):
        load_model(tmp_path / "missing.pt")


def test_bad_builder_arguments():
    with pytest.raises(InvalidArgument, match="did you mean"):
        mlp(activation="rel")
    with pytest.raises(InvalidArgument):
        mlp(n_classes=1)
    with pytest.raises(InvalidArgument):
        mlp(dtype=torch.int32)
