"""Tests of checker.wrm.training: accuracy on the synthetic task, checkpoint/resume, config."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from checker.errors import InvalidArgument, ResumeError
from checker.io import read_json
from checker.wrm.data import synthetic
from checker.wrm.methods import train_step, make_config
from checker.wrm.models import load_model, mlp
from checker.wrm.training import TrainConfig, eps_from_wrm_run, load_config_file, train

DATA = synthetic(2000, seed=0)


@pytest.mark.parametrize("method", ["erm", "wrm"])
@pytest.mark.parametrize("activation", ["relu", "elu"])
def test_short_runs_reach_95_percent(method, activation):
    # Stated target: >= 95% clean test accuracy on the paper's synthetic task. Seed 0 is fixed,
    # so the test is deterministic; the CPU is pinned (checker/device.py). False-failure rate at
    # an untuned seed, measured with `scripts/false_failure.py training 1 21` (2026-11-30): 0 of
    # 80 runs (seeds 1-20 x these 4 configurations) below 0.95, lowest 0.9935; so the per-run
    # false-failure probability is <= 0.037 (one-sided 95 %, Clopper-Pearson).
    r = train(TrainConfig(method=method, activation=activation, epochs=30, seed=0), data=DATA, device="cpu")
    assert r.test_accuracy >= 0.95
    if method == "wrm":
        # γ = 2 [P §4.1]; ρ̂ is positive and the mean inner objective >= mean clean loss would be
        # f(z_hat) >= f(x) = loss(x) (ascent from x never decreases f in practice here).
        assert r.gamma == 2.0 and r.rho_hat > 0 and r.surrogate is not None


@pytest.mark.parametrize("method, extra", [("wrm", {}), ("pgm", {"eps": 0.2}), ("ifgm", {"eps": 0.2, "norm": "inf"})])
def test_resume_gives_identical_weights(tmp_path, method, extra):
    # Bit identity is claimed on one device type only (checker/device.py): pin the CPU.
    cfg = TrainConfig(method=method, epochs=4, n=300, seed=3, **extra)
    data = synthetic(300, seed=3)
    full = train(cfg, data=data, device="cpu")
    part = train(cfg, data=data, out=tmp_path / "run", stop_after=2, device="cpu")
    assert len(part.history) == 2 and not (tmp_path / "run" / "model.pt").exists()
    resumed = train(cfg, data=data, out=tmp_path / "run", device="cpu")
    assert resumed.resumed_from_epoch == 2 and len(resumed.history) == 4
    for p, q in zip(full.model.parameters(), resumed.model.parameters()):
        assert torch.equal(p, q)
    saved = load_model(tmp_path / "run")
    for p, q in zip(full.model.parameters(), saved.parameters()):
        assert torch.equal(p.cpu(), q)
    res = read_json(tmp_path / "run" / "result.json")
    assert res["test_accuracy"] == full.test_accuracy and res["method"] == method
    with pytest.raises(ResumeError):
        train(dataclasses.replace(cfg, seed=4), data=data, out=tmp_path / "run", device="cpu")


def test_wrm_outer_step_uses_danskin_gradient():
    # The outer gradient must be grad_theta loss(z_hat) with z_hat held fixed (Lemma 1):
    # compare one train_step against an independent computation on the returned z.
    model = mlp(activation="elu", seed=5)
    ref = mlp(activation="elu", seed=5)
    x = DATA.x_train[:32]
    y = DATA.y_train[:32]
    cfg = make_config("wrm", gamma=2.0)
    from checker.wrm.inner import maximize_inner

    z = maximize_inner(ref, x, y, cfg).z
    torch.nn.functional.cross_entropy(ref(z), y).backward()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    train_step("wrm", model, opt, x, y, cfg)
    for p, q in zip(model.parameters(), ref.parameters()):
        assert torch.allclose(p, q.detach() - 0.1 * q.grad, atol=1e-14, rtol=0)


def test_eps_matching_reads_rho_hat(tmp_path):
    r = train(TrainConfig(method="wrm", epochs=2, n=200), out=tmp_path / "w")
    assert eps_from_wrm_run(tmp_path / "w") == pytest.approx(math.sqrt(r.rho_hat), rel=1e-15)
    train(TrainConfig(method="erm", epochs=1, n=200), out=tmp_path / "e")
    with pytest.raises(InvalidArgument, match="WRM"):
        eps_from_wrm_run(tmp_path / "e")


@pytest.mark.parametrize("kw, name", [
    ({"method": "pgd"}, "method"), ({"method": "pgm"}, "eps"), ({"epochs": 0}, "epochs"),
    ({"gamma": 0}, "gamma"), ({"dataset": "mnits"}, "dataset"), ({"norm": "3"}, "norm"),
    ({"lr": -1}, "lr"), ({"model": "cnn"}, "model"), ({"clip": (1, 0)}, "clip"),
])
def test_config_validation(kw, name):
    with pytest.raises(InvalidArgument) as info:
        TrainConfig(**kw)
    assert info.value.name == name


def test_config_file_and_unknown_keys(tmp_path):
    (tmp_path / "c.toml").write_text('[train]\nmethod = "wrm"\nepochs = 3\nhidden = [4, 2]\n')
    cfg = TrainConfig.from_mapping(load_config_file(tmp_path / "c.toml"))
    assert cfg.method == "wrm" and cfg.epochs == 3 and cfg.hidden == (4, 2)
    with pytest.raises(InvalidArgument, match="did you mean 'epochs'"):
        TrainConfig.from_mapping({"epoch": 3})


def test_conv_needs_images():
    with pytest.raises(InvalidArgument, match="image"):
        train(TrainConfig(model="conv", epochs=1, n=50), data=synthetic(50, seed=0))


def test_official_label_smoothing_equals_the_authors_clip():
    # Authors' released code: labels clipped to [0.1/9, 0.9] for K = 10. Torch's
    # smoothing s gives (1 - s) + s/K on the true class and s/K elsewhere; check the targets.
    from checker.wrm.training import official_label_smoothing, training_loss

    s = official_label_smoothing(10)
    assert (1 - s) + s / 10 == pytest.approx(0.9, abs=1e-15) and s / 10 == pytest.approx(0.1 / 9, abs=1e-15)
    logits = torch.randn(3, 10, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([1, 4, 9])
    target = torch.full((3, 10), 0.1 / 9, dtype=torch.float64)
    target[torch.arange(3), y] = 0.9
    expect = -(target * torch.log_softmax(logits, dim=1)).sum(dim=1)
    assert torch.allclose(training_loss(s)(logits, y), expect, atol=1e-14, rtol=0)
    r = train(TrainConfig(method="wrm", epochs=1, n=100, label_smoothing=s), data=synthetic(100, seed=0))
    assert r.summary()["label_smoothing"] == s
    with pytest.raises(InvalidArgument):
        TrainConfig(label_smoothing=1.0)
