"""The certificate envelope over gamma (checker.certify.envelope): sound values only, estimates
apart, attack worst cases on the same axes (docs/math/sinha.md, Theorem 3: weak duality)."""

from __future__ import annotations

import pytest
import torch

from checker.certify.envelope import certificate_envelope, default_gammas, plot_envelope
from checker.certify.experiments import random_smooth_net
from checker.certify.smoothness import network_smoothness


def _case():
    model = random_smooth_net(seed=2, scale=1.5)
    gen = torch.Generator().manual_seed(2)
    return model, torch.randn(12, 2, generator=gen, dtype=torch.float64), torch.randint(0, 2, (12,), generator=gen)


def test_envelope_is_the_minimum_over_sound_lines_and_dominates_attacks(tmp_path):
    model, x, y = _case()
    env = certificate_envelope(model, x, y, gammas=[0.5, 2.0, 8.0], paper_gamma=1.0)
    assert [p.gamma for p in env.points] == [0.5, 1.0, 2.0, 8.0] and env.paper_line_sound
    for rho in (0.0, 0.01, 0.3, 3.0):
        ref = min(p.gamma * rho + p.value for p in env.points)
        assert env.at(rho) == ref
        assert env.best_gamma(rho) in {p.gamma for p in env.points}
    assert env.estimate_at(0.1) is None  # every value here is sound
    assert env.worst_case_margin is not None and env.worst_case_margin >= 0
    for w in env.worst_cases:  # each attack point is feasible: the envelope lies above it
        assert w.loss <= env.at(w.rho)
    png = plot_envelope(env, tmp_path / "e.png")
    assert png.stat().st_size > 1000
    d = env.to_dict()
    assert d["paper_line_sound"] is True and len(d["points"]) == 4


def test_estimates_are_kept_apart():
    # Corollary 4 alone: penalties below L_zz/2 give estimates, which never enter at(rho)
    model, x, y = _case()
    lzz = network_smoothness(model, (2,)).lzz_bound
    env = certificate_envelope(model, x, y, gammas=[lzz / 8, lzz], method="global")
    sound = [p for p in env.points if p.sound]
    assert [p.gamma for p in sound] == [lzz]
    assert env.at(0.2) == pytest.approx(lzz * 0.2 + sound[0].value)
    assert env.estimate_at(0.2) == pytest.approx(lzz / 8 * 0.2 + env.points[0].value)


def test_default_gammas():
    g = default_gammas(2.0)
    assert g == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0]


def _plotted_lines(env, path, monkeypatch) -> dict:
    """label -> (x data, y data, line style) of every line plot_envelope draws, read back from
    the axes just before the figure is saved."""
    import matplotlib.figure

    seen = {}
    real = matplotlib.figure.Figure.savefig

    def capture(fig, *a, **k):
        for line in fig.axes[0].lines:
            seen[line.get_label()] = (list(line.get_xdata()), list(line.get_ydata()), line.get_linestyle())
        return real(fig, *a, **k)
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", capture)
    plot_envelope(env, path)
    return seen


def test_plotted_lines_are_the_envelope_the_paper_line_and_the_attacks(tmp_path, monkeypatch):
    """The figure draws what it labels: every line's data is read back from the axes before
    saving and compared with the envelope's own values (a wrong line would still make a PNG)."""
    model, x, y = _case()
    env = certificate_envelope(model, x, y, gammas=[0.5, 2.0], paper_gamma=1.0)
    seen = _plotted_lines(env, tmp_path / "e.png", monkeypatch)
    xs, ys, _ = seen["sound certificate (envelope over gamma)"]
    assert ys == [env.at(r) for r in xs] and len(xs) == 201 and xs[0] == 0.0
    paper = next(p for p in env.points if p.gamma == 1.0)
    xs, ys, _ = seen["gamma = 1 line (sound)"]
    assert ys == [1.0 * r + paper.value for r in xs]
    assert ys[-1] > ys[0]                      # the line rises with rho, slope gamma
    xs, ys, _ = seen["worst case found by attacks"]
    assert xs == [w.rho for w in env.worst_cases] and ys == [w.loss for w in env.worst_cases]
    assert not any("estimates" in k for k in seen)   # every value here is sound


def test_plotted_estimates_are_the_estimate_line(tmp_path, monkeypatch):
    """With gammas below L_zz/2 (Corollary 4 alone gives estimates there) the figure draws the
    estimates as their own dotted line, read back from the axes."""
    model, x, y = _case()
    lzz = network_smoothness(model, (2,)).lzz_bound
    env = certificate_envelope(model, x, y, gammas=[lzz / 8, lzz], method="global")
    seen = _plotted_lines(env, tmp_path / "e.png", monkeypatch)
    xs, ys, style = seen["estimates only (not a certificate)"]
    assert style == ":" and ys == [env.estimate_at(r) for r in xs] and ys[1] is not None
    xs, ys, style = seen["sound certificate (envelope over gamma)"]
    assert style == "-" and ys == [env.at(r) for r in xs]
