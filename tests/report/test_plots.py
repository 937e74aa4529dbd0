"""Value-level tests of the report's figures: the plotted numbers, axis ranges and legend entries
are read back from the matplotlib figures; every written file decodes as an image."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from checker.report import plots  # noqa: E402

#: Agreement between plotted float64 values and an independent float64 recomputation of the
#: same product of at most ~100 factors (a few ulps of rounding each).
REL_TOL = 1e-12


def _legend(ax) -> list[str]:
    leg = ax.get_legend()
    return [t.get_text() for t in leg.get_texts()] if leg else []


def _no_collision(N: int, M: int) -> float:
    """Independent reference: the textbook product prod_{i<M} (1 - i/N) (docs/math/birthday.md)."""
    return math.prod(1 - i / N for i in range(1, M))


def _decodes(path):
    img = mpimg.imread(path)
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    assert float(np.std(img)) > 0.01  # not a blank canvas


TABLE = [{"s": s, "p_duplicate": p, "p_low": max(0.0, p - 0.1), "p_high": min(1.0, p + 0.1)}
         for s, p in [(4, 0.05), (8, 0.2), (16, 0.55), (32, 0.95)]]


def test_birthday_figure_values(tmp_path):
    fig = plots.birthday_figure(TABLE, support=200, s_half={"value": 16.7})
    ax = fig.axes[0]
    exact = next(l for l in ax.get_lines() if l.get_label().startswith("exact"))
    xs, ys = exact.get_xdata(), exact.get_ydata()
    assert xs[0] == 2 and xs[-1] >= 32  # the exact curve spans every measured s
    for x, y in zip(xs, ys):
        assert y == pytest.approx(1 - _no_collision(200, int(x)), rel=REL_TOL, abs=1e-15)
    # measured points with their intervals
    pts = ax.containers[0]
    assert list(pts.lines[0].get_xdata()) == [4, 8, 16, 32]
    assert list(pts.lines[0].get_ydata()) == [0.05, 0.2, 0.55, 0.95]
    assert ax.get_ylim() == (-0.02, 1.02)
    lo, hi = ax.get_xlim()
    assert lo < 2 and hi > 32 * 1.3
    assert ax.get_xscale() == "log"
    fig.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert "10" in ticks and "20" in ticks and not any("times" in t or "^" in t for t in ticks)
    assert _legend(ax) == ["exact, uniform over N = 200", "P = 1/2", "s½ ≈ 16.7",
                           "measured P(duplicate | s), 95% CI"]
    # the legend is outside the axes (below), so it hides no data
    assert ax.get_legend().get_bbox_to_anchor().y1 < ax.get_window_extent().y0 + 1
    plt.close(fig)
    path = plots.birthday_curve(tmp_path / "b.png", TABLE, support=200, s_half=None)
    _decodes(path)


ATTACKS = {"erm": {"pgm": {"budgets": [0.0, 0.5, 1.0], "errors": [0.0, 0.3, 0.9]},
                   "wrm": {"gammas": [4.0, 2.0, 1.0], "rho_test": [0.01, 0.04, 0.2]}},
           "wrm": {"pgm": {"budgets": [0.0, 0.5, 1.0], "errors": [0.0, 0.1, 0.4]},
                   "wrm": {"gamma_adv": [4.0, 2.0, 1.0], "rho": [0.001, 0.004, 0.02]}}}


def test_attack_figure_values(tmp_path):
    fig = plots.attack_figure(ATTACKS)
    a1, a2 = fig.axes
    lines = {l.get_label(): l for l in a1.get_lines()}
    assert list(lines["WRM"].get_ydata()) == [0.0, 0.1, 0.4]
    right = {l.get_label(): l for l in a2.get_lines()}
    assert list(right["ERM"].get_xdata()) == [0.25, 0.5, 1.0]  # 1 / gamma_adv
    assert list(right["WRM"].get_ydata()) == [0.001, 0.004, 0.02]
    assert a2.get_yscale() == "log"
    assert _legend(a1) == ["ERM", "WRM"] and _legend(a2) == ["ERM", "WRM"]
    assert a1.get_ylim() == (-0.02, 1.02)
    plt.close(fig)
    # no WRM-attack data: the panel says so instead of an empty log axis
    fig = plots.attack_figure({"erm": {"pgm": ATTACKS["erm"]["pgm"]}})
    assert "no WRM-attack data" in [t.get_text() for t in fig.axes[1].texts]
    assert fig.axes[1].get_yscale() == "linear"
    plt.close(fig)
    _decodes(plots.attack_curves(tmp_path / "a.png", ATTACKS))


def _rows():
    inf = float("inf")
    return [
        {"m": 1, "generator": "relu", "gap": 0.9, "gap_ci_low": 0.8, "gap_ci_high": 1.0, "explicit_eps": inf},
        {"m": 4, "generator": "relu", "gap": 0.5, "gap_ci_low": 0.4, "gap_ci_high": 0.6, "explicit_eps": 3.0},
        {"m": 16, "generator": "relu", "gap": 0.3, "gap_ci_low": 0.2, "gap_ci_high": 0.4, "explicit_eps": 1.5},
        {"m": 64, "generator": "ideal", "gap": 0.1, "gap_ci_low": 0.05, "gap_ci_high": 0.15, "explicit_eps": 0.8},
        {"m": 256, "generator": "ideal", "gap": 0.05, "gap_ci_low": 0.01, "gap_ci_high": 0.09, "explicit_eps": 0.4},
    ]


def test_fooling_figure_marks_switch_and_vacuous_region(tmp_path):
    fig = plots.fooling_figure(_rows(), mstar=1000, level=0.25, gap_range=2.0, empirical_threshold=64)
    ax = fig.axes[0]
    labels = _legend(ax)
    switch = next(l for l in ax.get_lines() if l.get_label().startswith("switch"))
    assert switch.get_label() == "switch: ReLU up to m = 16, ideal from m = 64"
    assert switch.get_xdata()[0] == pytest.approx(math.sqrt(16 * 64))  # between the two, on a log axis
    eps_line = next(l for l in ax.get_lines() if l.get_label().startswith("explicit"))
    # eps(m) >= 2 Delta = 2 (m = 1, 4) cannot fail: not drawn as a bound, shaded as vacuous instead
    assert list(eps_line.get_xdata()) == [16, 64, 256]
    assert list(eps_line.get_ydata()) == [1.5, 0.8, 0.4]
    assert "vacuous: ε(m) ≥ 2, the whole range of the gap (the bound cannot fail)" in labels
    span = next(p for p in ax.patches if p.get_label().startswith("vacuous"))
    x0, x1 = span.get_x(), span.get_x() + span.get_width()
    assert x0 < 1 and 4 < x1 < 16
    relu = next(c for c in ax.containers if "ReLU" in c.get_label())
    ideal = next(c for c in ax.containers if "ideal" in c.get_label())
    assert list(relu.lines[0].get_xdata()) == [1, 4, 16] and list(ideal.lines[0].get_xdata()) == [64, 256]
    assert relu.lines[0].get_marker() != ideal.lines[0].get_marker()
    lo, hi = ax.get_xlim()
    assert lo < 1 and hi > 1000  # m* is inside the axes
    assert ax.get_ylim()[1] >= 1.0  # the largest interval (up to 1.0) is inside the axes
    assert "m* = 1,000" in labels and "empirical threshold = 64" in labels
    plt.close(fig)
    # the same rows after a JSON round trip (non-finite floats stored as "inf") draw the same data
    from checker.io import to_jsonable

    fig2 = plots.fooling_figure(to_jsonable(_rows()), mstar=1000, level=0.25, gap_range=2.0)
    eps2 = next(l for l in fig2.axes[0].get_lines() if l.get_label().startswith("explicit"))
    assert list(eps2.get_ydata()) == [1.5, 0.8, 0.4]
    plt.close(fig2)
    _decodes(plots.fooling_curve(tmp_path / "f.png", _rows(), mstar=1000, level=0.25, gap_range=2.0))


def test_figure2_keeps_every_point_and_draws_the_certificate_line(tmp_path):
    pts = [{"rho_test": r, "value": 0.2 + 1.5 * r} for r in (0.001, 0.01, 0.1, 2.0)]
    fig = plots.figure2_figure(gamma=2.0, rho_train=0.05, train_surrogate=0.3, test_surrogate=0.35, points=pts)
    ax = fig.axes[0]
    red = next(l for l in ax.get_lines() if l.get_label().startswith("test worst case"))
    assert list(red.get_xdata()) == [0.001, 0.01, 0.1, 2.0]  # the far point is not dropped
    assert ax.get_xscale() == "log"  # the points span more than two decades
    lo, hi = ax.get_xlim()
    assert lo <= 0.001 and hi >= 2.0
    cert = next(l for l in ax.get_lines() if l.get_label().startswith("certificate, train"))
    for x, y in zip(cert.get_xdata(), cert.get_ydata()):
        assert y == pytest.approx(0.3 + 2.0 * x, rel=REL_TOL)
    bar = next(l for l in ax.get_lines() if l.get_label().startswith("ρ̂_train"))
    assert bar.get_xdata()[0] == 0.05
    assert not ax.texts  # more than one point: no notice
    plt.close(fig)


def test_figure2_single_point_says_so(tmp_path):
    pts = [{"rho_test": 1e-4, "value": 0.31}] * 5  # every gamma_adv gave the same worst case
    fig = plots.figure2_figure(gamma=80.0, rho_train=2e-4, train_surrogate=0.3, points=pts)
    ax = fig.axes[0]
    notes = [t.get_text() for t in ax.texts]
    assert len(notes) == 1 and notes[0].startswith("only one distinct test point: ρ = 0.0001, value = 0.31")
    lo, hi = ax.get_xlim()
    assert lo <= 1e-4 and hi >= 2e-4
    ylo, yhi = ax.get_ylim()
    assert ylo <= 0.3 and yhi >= 0.3 + 80.0 * 2e-4
    plt.close(fig)
    _decodes(plots.figure2_panel(tmp_path / "f2.png", gamma=80.0, rho_train=2e-4, train_surrogate=0.3, points=pts))
