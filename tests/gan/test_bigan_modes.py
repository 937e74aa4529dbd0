"""checker.gan.modes: the KL of a class histogram to uniform against hand values, and the
classifier's mode count on real images of one class (one mode) and of all classes (ten)."""

from __future__ import annotations

import math

import pytest
import torch

from checker.gan.modes import histogram_kl_uniform, mode_count, train_classifier


def test_kl_to_uniform_by_hand():
    assert histogram_kl_uniform([5, 0, 0, 0]) == pytest.approx(math.log(4), rel=1e-15)
    assert histogram_kl_uniform([7, 7, 7]) == 0.0
    ref = 0.25 * math.log(0.5) + 0.75 * math.log(1.5)
    assert histogram_kl_uniform([1, 3]) == pytest.approx(ref, rel=1e-15)


def test_mode_count_on_real_digits():
    from checker.gan.train import load_gan_data, load_gan_labels

    xtr, xte, _ = load_gan_data("digits", seed=0)
    ytr, yte, K = load_gan_labels("digits", seed=0)
    clf = train_classifier(xtr, ytr, seed=0)
    full = mode_count(xte, classifier=clf, x_test=xte, y_test=yte, n_classes=K)
    assert full.classifier_accuracy > 0.9 and full.classes_covered == 10 and full.kl_to_uniform < 0.05
    threes = xte[yte == 3]
    one = mode_count(threes, classifier=clf, x_test=xte, y_test=yte, n_classes=K, min_share=0.1)
    assert one.classes_covered == 1 and one.counts[3] >= 0.9 * len(threes)
    assert one.kl_to_uniform > 0.8 * math.log(10)
    assert isinstance(torch.as_tensor(one.counts).sum().item(), int)
