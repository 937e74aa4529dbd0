"""Bad input: a clear InvalidArgument naming the problem (and CLI exit 2), never a traceback."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from checker.birthday.calibrate import calibrate_threshold
from checker.birthday.memorisation import memorisation_check
from checker.birthday.pairs import closest_pairs, nearest_neighbours
from checker.birthday.procedure import BirthdayConfig, run_birthday_test
from checker.birthday.sources import ArraySource, GeneratorSource
from checker.cli import main
from checker.errors import InvalidArgument


def test_mismatched_shapes():
    with pytest.raises(InvalidArgument, match="reference.shape"):
        nearest_neighbours(np.zeros((3, 4)), np.zeros((5, 6)))
    with pytest.raises(InvalidArgument, match="train.shape"):
        memorisation_check(np.zeros((3, 4)), np.zeros((5, 6)), threshold=0.1)


def test_nan_samples():
    x = np.random.default_rng(0).random((10, 4))
    x[3, 1] = np.nan
    with pytest.raises(InvalidArgument, match="must be finite"):
        closest_pairs(x, k=2)
    with pytest.raises(InvalidArgument, match="must be finite"):
        calibrate_threshold(x)


def test_s_larger_than_saved_samples():
    src = ArraySource(np.random.default_rng(0).random((30, 4)))
    with pytest.raises(InvalidArgument, match="s=40 must be <= the number of saved samples"):
        run_birthday_test(src, threshold=0.1, config=BirthdayConfig(s_values=(10, 40), trials=2))


@pytest.mark.parametrize("bad,match", [
    (lambda n: torch.zeros(0, 5), "empty batch"),
    (lambda n: torch.zeros(n - 1, 5), "must equal the requested number"),
    (lambda n: torch.zeros(n), r"must be \(n, d\)"),
    (lambda n: None, "returned None"),
    (lambda n: torch.full((n, 3), float("nan")), "must be finite"),
])
def test_broken_generators(bad, match):
    with pytest.raises(InvalidArgument, match=match):
        run_birthday_test(GeneratorSource(bad), threshold=0.1,
                          config=BirthdayConfig(s_values=(5,), trials=1))


def test_generator_changing_dimension():
    calls = []

    def gen(n):
        calls.append(n)
        return torch.zeros(n, 3 + len(calls))

    src = GeneratorSource(gen)
    src.draw(4, generator=torch.Generator())
    with pytest.raises(InvalidArgument, match="must stay d=4"):
        src.draw(4, generator=torch.Generator())


def test_k_too_large_and_bad_config():
    with pytest.raises(InvalidArgument, match="k=20 must be <= the number of pairs"):
        closest_pairs(np.zeros((3, 2)), k=20)
    with pytest.raises(InvalidArgument, match="trials=0"):
        BirthdayConfig(trials=0)
    with pytest.raises(InvalidArgument, match="s=1"):
        BirthdayConfig(s_values=(1, 4))


def test_cli_bad_inputs_exit_2(tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.random.default_rng(0).random((20, 4)))
    nan = np.random.default_rng(0).random((20, 4))
    nan[0, 0] = np.nan
    np.save(tmp_path / "nan.npy", nan)
    cases = [
        ["birthday", "--source", "samples"],  # no --samples
        ["birthday", "--source", "samples", "--samples", str(tmp_path / "x.npy")],  # no --real
        ["birthday", "--source", "samples", "--samples", str(tmp_path / "x.npy"), "--threshold", "0.1",
         "--s", "50"],  # s > saved samples
        ["birthday", "--source", "samples", "--samples", str(tmp_path / "nan.npy"), "--threshold", "0.1"],
        ["birthday", "--source", "samples", "--samples", str(tmp_path / "missing.npy"), "--threshold", "0.1"],
        ["birthday", "--source", "uniform", "--s", "a,b"],
        ["birthday", "--source", "uniform", "--trials", "0"],
    ]
    for argv in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("checker birthday: error:") and "Traceback" not in err, err


def test_cli_samples_with_fixed_threshold_runs(tmp_path, capsys):
    rng = np.random.default_rng(0)
    atoms = rng.random((40, 16))
    x = atoms[rng.integers(0, 40, 300)] + 1e-3 * rng.standard_normal((300, 16))
    np.save(tmp_path / "x.npy", x.reshape(300, 4, 4))
    rc = main(["birthday", "--source", "samples", "--samples", str(tmp_path / "x.npy"),
               "--threshold", "0.05", "--s", "5,10,20", "--trials", "10", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert out["threshold"]["pair_false_alarm"] is None  # not calibrated: reported as unknown
    assert out["checks"] == []
