"""Tests of ``checker train`` and ``checker attack``."""

from __future__ import annotations

import json
import math

import pytest

from checker.cli import main


def _json(capsys):
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1
    return json.loads(lines[0])


def test_train_wrm_then_matched_pgm_then_attack(tmp_path, capsys):
    run = str(tmp_path / "wrm")
    assert main(["train", "--method", "wrm", "--epochs", "3", "--n", "300", "--out", run, "--json"]) == 0
    w = _json(capsys)
    assert w["method"] == "wrm" and w["gamma"] == 2.0 and w["rho_hat"] > 0 and 0 <= w["test_accuracy"] <= 1
    assert main(["train", "--method", "pgm", "--match-wrm", run, "--epochs", "2", "--n", "300", "--json"]) == 0
    p = _json(capsys)
    assert p["eps"] == pytest.approx(math.sqrt(w["rho_hat"]), rel=1e-15)
    assert main(["attack", run, "--attack", "pgm", "--norm", "inf", "--budgets", "0,0.1", "--max-test", "50",
                 "--json"]) == 0
    a = _json(capsys)
    assert a["sweep"]["budgets"] == [0.0, 0.1] and len(a["sweep"]["errors"]) == 2
    assert a["rho_hat"] == w["rho_hat"]
    assert main(["attack", run, "--attack", "wrm", "--gammas", "4,2", "--max-test", "50", "--json"]) == 0
    assert len(_json(capsys)["sweep"]["rho_test"]) == 2
    assert main(["attack", run, "--max-test", "20"]) == 0
    assert "nothing is certified" in capsys.readouterr().out


def test_train_human_output_and_resume(tmp_path, capsys):
    run = str(tmp_path / "erm")
    assert main(["train", "--epochs", "2", "--n", "200", "--out", run, "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "test accuracy" in out and "ERM on synthetic" in out
    # same command again: already complete, resumes at epoch 2 and does no more work
    assert main(["train", "--epochs", "2", "--n", "200", "--out", run, "--device", "cpu", "--json"]) == 0
    assert _json(capsys)["resumed_from_epoch"] == 2
    # a different configuration on the same folder is refused, one line, exit 2
    assert main(["train", "--epochs", "3", "--n", "200", "--out", run, "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "different configuration" in err and "Traceback" not in err


@pytest.mark.parametrize("argv, needle", [
    (["train", "--method", "pgmm"], "did you mean 'pgm'"),
    (["train", "--method", "fgm"], "eps=None is required"),
    (["train", "--gamma", "-1"], "gamma=-1.0 must be > 0"),
    (["train", "--dataset", "nope.npz"], "must be an existing .npz file"),
    (["train", "--config", "missing.toml"], "must be an existing TOML file"),
    (["train", "--figure", "2"], "figure='2' must be one of"),
    (["attack", "missing-run"], "must be a model file"),
    (["train", "--method", "pgm", "--eps", "0.1", "--match-wrm", "x"], "cannot be combined"),
])
def test_bad_usage_exit_2_one_line(argv, needle, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
