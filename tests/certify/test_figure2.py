"""Figure 2: the certificate line against the test worst case, with the test-set check (15)."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from checker.certify.experiments import random_smooth_net, sound_gamma
from checker.certify.figure2 import default_gamma_adv, figure2


def _data(seed, n=40):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=gen, dtype=torch.float64)
    y = (x.norm(dim=1) > 1.2).long()
    return x, y


def test_figure2_sound_case_points_below_the_test_certificate(tmp_path):
    model = random_smooth_net(seed=0, scale=1.5)
    xtr, ytr = _data(0)
    xte, yte = _data(1)
    g = sound_gamma(model, 2, factor=1.5)
    res = figure2(model, xtr, ytr, xte, yte, gamma=g, gamma_adv=default_gamma_adv(g, 6),
                  out=tmp_path, name="fig")
    assert res.train["sound"] and res.test["sound"]
    ok, summary = res.checks["test_certificate_not_exceeded"]
    assert ok and "sound test-set certificate" in summary
    assert all(p.below_test_certificate for p in res.points)
    # points are feasible distributions: rho decreases as gamma_adv grows
    rhos = [p.rho_test for p in sorted(res.points, key=lambda p: p.gamma_adv)]
    assert all(a >= b - 1e-12 for a, b in zip(rhos, rhos[1:]))
    png = Path(res.png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads(Path(res.json).read_text())
    assert data["rho_train"] == res.rho_train and len(data["points"]) == 6


def test_figure2_trained_wrm_synthetic_elu_gamma2():
    # The paper's setting (ELU, gamma = 2) with the WRM engineer's trainer, tiny and quick.
    from checker.wrm.data import synthetic
    from checker.wrm.training import TrainConfig, train

    d = synthetic(300, seed=0)
    r = train(TrainConfig(method="wrm", dataset="synthetic", gamma=2.0, activation="elu", epochs=3,
                          n=300), data=d, device="cpu")
    res = figure2(r.model, d.x_train[:60], d.y_train[:60], d.x_test[:60], d.y_test[:60], gamma=2.0,
                  gamma_adv=[1.0, 2.0, 8.0], max_steps=300)
    assert res.checks["identity_13_train"][0]
    # Corollary 4's bound is conservative: at gamma = 2 this net is reported as an estimate.
    if not res.train["sound"]:
        assert "must exceed L_zz/2" in res.train["reason"]


def test_figure2_resumes_after_interruption(tmp_path, monkeypatch):
    import pytest

    import checker.certify.certificate as cc

    model = random_smooth_net(seed=1)
    xtr, ytr = _data(2, 20)
    xte, yte = _data(3, 20)
    g = sound_gamma(model, 2)
    grid = [g, 2 * g, 4 * g, 8 * g]
    real = cc.certify
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:  # train, test, point 1, then interrupted at point 2
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(cc, "certify", flaky)
    with pytest.raises(KeyboardInterrupt):
        figure2(model, xtr, ytr, xte, yte, gamma=g, gamma_adv=grid, out=tmp_path, name="f")
    calls["n"] = -100  # no more interruptions; count the work the resumed run does
    res = figure2(model, xtr, ytr, xte, yte, gamma=g, gamma_adv=grid, out=tmp_path, name="f")
    assert calls["n"] == -100 + 3  # only the 3 missing gamma_adv points were computed
    monkeypatch.setattr(cc, "certify", real)
    fresh = figure2(model, xtr, ytr, xte, yte, gamma=g, gamma_adv=grid)
    assert [p.value for p in res.points] == [p.value for p in fresh.points]


def test_an_estimate_test_certificate_gives_a_vacuous_check_never_a_pass():
    """ReLU networks are never certified sound, so the test-set check says nothing: it must be
    reported as vacuous (``passed`` false in JSON), and it must not fail the figure either."""
    import torch

    from checker.certify.figure2 import check_dict, check_outcome

    assert [check_outcome(v) for v in (True, False, None)] == ["pass", "fail", "vacuous"]
    assert check_dict(None, "s") == {"passed": False, "outcome": "vacuous", "summary": "s"}
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)).double()
    xtr, ytr = _data(0)
    xte, yte = _data(1)
    res = figure2(model, xtr[:20], ytr[:20], xte[:20], yte[:20], gamma=2.0, gamma_adv=[1.0, 4.0], max_steps=100)
    assert not res.test["sound"]
    ok, summary = res.checks["test_certificate_not_exceeded"]
    assert ok is None and summary.startswith("vacuous")
    assert res.to_dict()["checks"]["test_certificate_not_exceeded"]["outcome"] == "vacuous"
    assert res.passed == all(v is not False for v, _ in res.checks.values())
