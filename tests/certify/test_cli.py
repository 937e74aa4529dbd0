"""``checker certify``: JSON output, human output, figure, exit codes, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch.nn as nn

from checker.certify.experiments import random_smooth_net, sound_gamma
from checker.cli import main
from checker.wrm.models import save_model


@pytest.fixture()
def model_path(tmp_path):
    model = random_smooth_net(seed=0)
    return str(save_model(model, tmp_path / "model.pt", meta={"note": "test"})), sound_gamma(model, 2)


def test_json_output_sound(model_path, capsys):
    path, g = model_path
    rc = main(["certify", path, "--data", "synthetic", "--gamma", str(g), "--n", "30", "--json"])
    out = capsys.readouterr().out
    assert rc == 0
    d = json.loads(out)  # exactly one JSON object on stdout
    for key in ("gamma", "rho_hat", "surrogate_mean", "certificate_at_rho_hat", "sound", "reason",
                "fraction_not_strongly_concave", "lzz_bound", "mu", "epsilon_n_expression"):
        assert key in d
    assert d["sound"] is True and d["n"] == 30 and d["gamma"] == pytest.approx(g)
    assert d["certificate_at_rho_hat"] == pytest.approx(d["surrogate_mean"] + g * d["rho_hat"])
    assert "b1" in d["epsilon_n_expression"]


def test_human_output_estimate_and_require_sound(model_path, capsys):
    path, g = model_path
    # Corollary 4 alone (--method global) below L_zz/2: an estimate
    rc = main(["certify", path, "--data", "synthetic", "--gamma", str(g / 4), "--n", "20",
               "--method", "global"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "certificate (ESTIMATE)" in out and "must exceed L_zz/2" in out
    assert "not strongly concave" in out and "eps_n(t) omitted" in out
    rc = main(["certify", path, "--data", "synthetic", "--gamma", str(g / 4), "--n", "20",
               "--method", "global", "--require-sound"])
    assert rc == 1


def test_human_output_local_sound_below_corollary4(model_path, capsys, monkeypatch):
    # the default per-example bounds are sound at the same gamma and say which argument gave them
    monkeypatch.setenv("CHECKER_PROGRESS", "lines")
    monkeypatch.setenv("CHECKER_PROGRESS_INTERVAL", "0")
    path, g = model_path
    rc = main(["certify", path, "--data", "synthetic", "--gamma", str(g / 4), "--n", "20",
               "--require-sound"])
    captured = capsys.readouterr()
    assert rc == 0
    assert "certificate (SOUND)" in captured.out and "sound bound per example" in captured.out
    assert "branch-and-bound" in captured.out and "rounding allowance" in captured.out
    assert "certify: 1/1 done" in captured.err  # a progress line although stderr is no terminal


def test_sweep_writes_figure(model_path, tmp_path, capsys):
    path, g = model_path
    out = tmp_path / "fig"
    rc = main(["certify", path, "--data", "synthetic", "--gamma", str(g), "--n", "30", "--sweep",
               "--out", str(out), "--json"])
    d = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert Path(d["figure2"]["png"]).is_file() and (out / "certificate.json").is_file()
    assert d["figure2"]["checks"]["test_certificate_not_exceeded"]["passed"]


def test_relu_model_not_sound(tmp_path, capsys):
    model = nn.Sequential(nn.Flatten(), nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2)).double()
    path = save_model(model, tmp_path / "relu.pt")
    rc = main(["certify", str(path), "--data", "synthetic", "--gamma", "100", "--n", "10", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert rc == 0 and d["sound"] is False and "ReLU" in d["reason"]


@pytest.mark.parametrize("argv, msg", [
    (["--gamma", "0"], "gamma=0.0 must be > 0"),
    (["--gamma", "-2"], "gamma=-2.0 must be > 0"),
    (["--gamma", "1", "--n", "0"], "n=0 must be >= 1"),
    ([], "gamma=None is required"),
])
def test_bad_usage_exit_2_one_line(model_path, capsys, argv, msg):
    path, _ = model_path
    rc = main(["certify", path, "--data", "synthetic", *argv])
    err = capsys.readouterr().err
    assert rc == 2
    assert msg in err and "Traceback" not in err


def test_bad_data_and_model(tmp_path, capsys, model_path):
    path, _ = model_path
    assert main(["certify", path, "--data", "synthetc", "--gamma", "1"]) == 2
    assert "did you mean 'synthetic'" in capsys.readouterr().err
    assert main(["certify", str(tmp_path / "none.pt"), "--data", "synthetic", "--gamma", "1"]) == 2
    # a model for 64 features does not fit 2-D synthetic data
    big = save_model(random_smooth_net(seed=0, in_features=64), tmp_path / "big.pt")
    assert main(["certify", str(big), "--data", "synthetic", "--gamma", "1", "--n", "5"]) == 2
    assert "does not fit the model's input" in capsys.readouterr().err


def test_sweep_certifies_the_training_split_once(model_path, tmp_path, capsys, monkeypatch):
    """Figure 2 reuses the training certificate the command just computed (same points, same
    settings) instead of certifying the training set a second time."""
    import checker.certify.certificate as cc

    calls = []
    real = cc.certify

    def counting(*a, **k):
        calls.append(k.get("split"))
        return real(*a, **k)

    monkeypatch.setattr(cc, "certify", counting)
    path, g = model_path
    rc = main(["certify", path, "--data", "synthetic", "--gamma", str(g), "--n", "30", "--sweep",
               "--out", str(tmp_path / "fig"), "--json"])
    capsys.readouterr()
    assert rc == 0
    assert calls.count("train") == 1 and calls.count("test") >= 1


def test_crown_flag_reaches_the_certificate_and_never_loosens_it(tmp_path, capsys):
    # --crown adds the linear loss bound to the per-example fallback and keeps the smaller bound,
    # so the sound mean can only go down; the JSON says which bound was used. Inputs of
    # dimension 6 (> 3: no branch-and-bound) at a small gamma, so the fallback runs.
    import numpy as np

    model = random_smooth_net(seed=3, in_features=6, hidden=(8,), activation="tanh")
    path = str(save_model(model, tmp_path / "m6.pt", meta={"note": "test"}))
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d6.npz", x=rng.normal(size=(40, 6)), y=rng.integers(0, 2, size=40))
    runs = {}
    for flag in ([], ["--crown"]):
        rc = main(["certify", path, "--data", str(tmp_path / "d6.npz"), "--gamma", "0.02", "--n", "6",
                   "--json", *flag])
        assert rc == 0
        runs[bool(flag)] = json.loads(capsys.readouterr().out)
    plain, crown = runs[False], runs[True]
    assert plain["crown"] is False and crown["crown"] is True
    assert plain["sound"] and crown["sound"]
    assert crown["method_fractions"]["fallback"] > 0  # the fallback ran, so crown was tried
    assert crown["surrogate_mean"] <= plain["surrogate_mean"]


@pytest.mark.parametrize("name,value", [("crown", "yes"), ("sound", 1), ("bnb", None), ("hessian", 0.0)])
def test_flags_of_the_python_api_are_booleans_not_truthy_values(name, value):
    import torch

    from checker.certify import certify
    from checker.errors import InvalidArgument

    model = random_smooth_net(seed=0)
    x, y = torch.zeros(2, 2, dtype=torch.float64), torch.tensor([0, 1])
    with pytest.raises(InvalidArgument, match=f"{name}.*must be True or False"):
        certify(model, x, y, gamma=1.0, **{name: value})
