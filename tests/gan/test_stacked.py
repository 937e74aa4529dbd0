"""Stacked digits with 1,000 modes (issue 27, item 4): the mode count on known samplers.

References are independent of the counting code: the modes of real stacked images come from
their true labels (100 c1 + 10 c2 + c3, by construction), the uniform reference
K(1 - (1 - 1/K)^n) is recomputed here by a direct product, and a sampler restricted to k classes
has at most k^3 modes by counting.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from checker.cli import main
from checker.errors import InvalidArgument
from checker.gan.stacked import (N_MODES, count_stacked_modes, stack, stacked_digits, train_stacked_classifier,
                                 uniform_coverage)

#: Real stacked held-out images must cover at least this fraction of what a uniform sampler
#: covers on average with the same n: the split's class frequencies differ from 1/10 by up to
#: about 10%, and the classifier's 5% per-digit errors move mass between modes, so the rarest
#: modes have probability about 0.7/1000 (at n = 10,000 about one mode in 1,000 is expected
#: to be missed); 0.98 leaves room for that and fails on any real loss of coverage.
REAL_COVERAGE_FRACTION = 0.98


@pytest.fixture(scope="module")
def data():
    return stacked_digits("digits", n_train=2000, n_test=5000, seed=0)


@pytest.fixture(scope="module")
def clf(data):
    return train_stacked_classifier(data, seed=0)


def test_stacks_hold_their_digits_and_modes(data):
    rng = np.random.default_rng(1)
    s, modes = stack(data.x_test, data.y_test, 50, rng=rng)
    assert s.shape == (50, 3 * data.d) and modes.min() >= 0 and modes.max() < N_MODES
    for row, m in zip(s, modes):  # each channel is one held-out digit of the mode's class
        for c, digit in enumerate((m // 100, (m // 10) % 10, m % 10)):
            ch = row[c * data.d:(c + 1) * data.d]
            hits = np.flatnonzero((data.x_test == ch).all(axis=1))
            assert hits.size and (data.y_test[hits] == digit).all()
    # the true modes of real stacks are close to uniform over all 1,000
    assert len(set(data.mode_test.tolist())) > 0.98 * uniform_coverage(5000)


def test_uniform_coverage_reference():
    for n in (0, 1, 10, 1000, 10000):
        direct = N_MODES * (1 - math.prod([1 - 1 / N_MODES] * n)) if n else 0.0
        assert uniform_coverage(n) == pytest.approx(direct, rel=1e-12, abs=1e-12)


def test_real_stacked_images_cover_about_every_mode(data, clf):
    rng = np.random.default_rng(2)
    n = 10000
    real, _ = stack(data.x_test, data.y_test, n, rng=rng)
    c = count_stacked_modes(real, classifier=clf, data=data)
    assert c.n == n and c.n_modes == N_MODES
    assert c.modes_covered >= REAL_COVERAGE_FRACTION * uniform_coverage(n)
    assert c.uniform_expected == pytest.approx(uniform_coverage(n))
    # the classifier's stacked accuracy is about its per-digit accuracy cubed (independent digits)
    assert abs(c.stacked_accuracy - c.digit_accuracy ** 3) < 0.03
    assert c.stacked_accuracy > 0.8  # logistic regression on digits: 0.953 per digit


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_a_sampler_restricted_to_k_classes_covers_at_most_k_cubed_modes(data, clf, k):
    # training digits of the first k classes that the classifier reads right (so the count tests
    # the counting, not the classifier's errors): exactly k^3 triples exist
    read = clf.digit.predict(data.x_train)
    keep = (data.y_train < k) & (read == data.y_train)
    s, modes = stack(data.x_train[keep], data.y_train[keep], 4000, rng=np.random.default_rng(k))
    c = count_stacked_modes(s, classifier=clf, data=data)
    assert c.modes_covered <= k ** 3
    assert c.modes_covered == len(set(modes.tolist())) == k ** 3  # 4,000 draws hit all of <= 125 triples
    assert c.real_modes_covered > c.modes_covered or k ** 3 >= N_MODES


def test_a_collapsed_sampler_has_one_mode(data, clf):
    one = np.repeat(data.stack_test[:1], 500, axis=0)
    c = count_stacked_modes(one, classifier=clf, data=data)
    assert c.modes_covered == 1 and c.top_modes[0][1] == 500
    assert c.kl_to_uniform == pytest.approx(math.log(N_MODES))


def test_min_count_and_shape_are_checked(data, clf):
    with pytest.raises(InvalidArgument, match="pixels per row"):
        count_stacked_modes(data.x_test[:10], classifier=clf, data=data)
    with pytest.raises(InvalidArgument, match="min_count"):
        count_stacked_modes(data.stack_test[:10], classifier=clf, data=data, min_count=0)


def test_cli_stacked_counts_a_trained_generator(tmp_path, capsys):
    out = tmp_path / "stk"
    rc = main(["gan", "stacked", "--out", str(out), "--steps", "20", "--n", "300", "--n-train", "500", "--json"])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    d = json.loads(cap.out)
    c = d["count"]
    assert 1 <= c["modes_covered"] <= min(N_MODES, 300) and c["n"] == 300
    assert c["uniform_expected"] == pytest.approx(uniform_coverage(300))
    assert (out / "stacked.png").exists() and json.loads((out / "stacked.json").read_text())["count"] == c
    rc = main(["gan", "stacked", "--out", str(out), "--steps", "20", "--n", "0"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "--n" in err and len(err.splitlines()) == 1
