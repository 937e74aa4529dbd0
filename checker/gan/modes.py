r"""Mode counting: how many classes a generator's samples fall into, by a classifier trained here.

The birthday test (:mod:`checker.birthday`) counts near-duplicates under a pixel distance;
mode counting is its learned-similarity complement (the approach of the mode-collapse
literature that Arora & Zhang discuss): a classifier trained on the real labelled images
assigns each of :math:`n` generator samples to a class, and the report gives

* the class histogram and the number of classes that receive at least ``min_share`` of the
  samples (default 1%, i.e. at least one sample in 100),
* :math:`\mathrm{KL}(\hat q\,\|\,u)` of the histogram :math:`\hat q` from the uniform law
  :math:`u` over the classes (:math:`\ln K` when every sample lands in one class, 0 when they
  are spread evenly),
* the classifier's held-out accuracy on real images, without which the counts mean little,
  and the same histogram for the held-out real images as a reference.

The classifier is scikit-learn's multinomial logistic regression on the pixels (a project
choice [R]: fast on a CPU and with no tuning). Sampled evidence: tested, never proved. The
stacked-digits variant with 1,000 known modes is not built here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from checker.validate import in_range, integer, positive_int

__all__ = ["ModeCount", "train_classifier", "mode_count", "histogram_kl_uniform"]


@dataclass(frozen=True, kw_only=True)
class ModeCount:
    """Classes among ``n`` generator samples (see the module docstring)."""

    n: int
    counts: tuple[int, ...]
    classes_covered: int
    n_classes: int
    kl_to_uniform: float
    min_share: float
    classifier_accuracy: float
    real_counts: tuple[int, ...]
    real_classes_covered: int


def histogram_kl_uniform(counts) -> float:
    r""":math:`\sum_k q_k\ln(K q_k)` for :math:`q = ` counts / total (terms with :math:`q_k=0`
    are 0), in float64 with ``math.fsum``."""
    c = [int(v) for v in counts]
    total, K = sum(c), len(c)
    if total <= 0 or K == 0:
        from checker.errors import InvalidArgument

        raise InvalidArgument("counts", c, "must have a positive total")
    return math.fsum((v / total) * math.log(K * v / total) for v in c if v > 0)


def train_classifier(x_train, y_train, *, seed: int = 0):
    """A multinomial logistic regression on flattened pixels (scikit-learn, lbfgs)."""
    from sklearn.linear_model import LogisticRegression

    x = np.asarray(torch.as_tensor(x_train).reshape(len(x_train), -1).double().cpu())
    y = np.asarray(torch.as_tensor(y_train).cpu())
    clf = LogisticRegression(max_iter=500, random_state=integer("seed", seed, min_value=0))
    import warnings

    with warnings.catch_warnings():  # an lbfgs ConvergenceWarning at max_iter: the accuracy is reported
        warnings.simplefilter("ignore")
        clf.fit(x, y)
    return clf


def mode_count(samples, *, classifier, x_test, y_test, n_classes: int, min_share: float = 0.01) -> ModeCount:
    """Classes of ``samples`` (``(n, d)``) by ``classifier``, with its accuracy on
    ``(x_test, y_test)`` and the held-out images' own histogram."""
    n_classes = positive_int("n_classes", n_classes)
    min_share = in_range("min_share", min_share, 0.0, 1.0, lo_open=True)
    s = np.asarray(torch.as_tensor(samples).reshape(len(samples), -1).double().cpu())
    xt = np.asarray(torch.as_tensor(x_test).reshape(len(x_test), -1).double().cpu())
    yt = np.asarray(torch.as_tensor(y_test).cpu())
    pred = classifier.predict(s)
    counts = np.bincount(pred, minlength=n_classes)[:n_classes]
    real = np.bincount(classifier.predict(xt), minlength=n_classes)[:n_classes]
    acc = float((classifier.predict(xt) == yt).mean())
    need = min_share * len(s)
    return ModeCount(n=int(len(s)), counts=tuple(int(v) for v in counts),
                     classes_covered=int((counts >= need).sum()), n_classes=n_classes,
                     kl_to_uniform=histogram_kl_uniform(counts), min_share=min_share,
                     classifier_accuracy=acc, real_counts=tuple(int(v) for v in real),
                     real_classes_covered=int((real >= min_share * len(xt)).sum()))
