"""Sweep kind ``arora-bigan`` (checker.sweep.kinds.bigan) and sweeps/arora-bigan.toml: the spec
parses (full and --quick), a bad value fails before anything runs, one tiny task gives the same
numbers with one and with two torch threads in the caller (the task pins its own threads), and
the aggregate's verdict needs separated intervals."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.errors import InvalidArgument
from checker.sweep import load_spec, parse_spec
from checker.sweep.kinds import KINDS
from checker.threads import torch_threads

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_spec_full_and_quick():
    full = load_spec(ROOT / "sweeps" / "arora-bigan.toml")
    quick = load_spec(ROOT / "sweeps" / "arora-bigan.toml", quick=True)
    assert sorted((t.config["disc_hidden"], t.config["seed"]) for t in full.tasks) == \
        [(w, s) for w in (32, 128, 256, 512) for s in (0, 1, 2)]
    assert {t.config["steps"] for t in full.tasks} == {3000}
    assert sorted(t.config["disc_hidden"] for t in quick.tasks) == [16, 64]
    assert {t.config["steps"] for t in quick.tasks} == {100}
    two = load_spec(ROOT / "sweeps" / "arora-bigan-2core.toml")
    assert sorted(t.config["disc_hidden"] for t in two.tasks) == [32, 128, 256, 512]
    assert {t.config["seed"] for t in two.tasks} == {0}


@pytest.mark.parametrize("key, bad", [("arch", "wgan"), ("dataset", "cifar"), ("steps", 0), ("s", [1])])
def test_bad_values_fail_the_spec(key, bad):
    spec = {"name": "t", "grid": [{"kind": "arora-bigan", "params": {key: bad}}]}
    with pytest.raises(InvalidArgument):
        parse_spec(spec)


def _task():
    kind = KINDS["arora-bigan"]
    c = {k: p.default for k, p in kind.params.items()}
    c |= {"steps": 20, "hidden": 16, "disc_hidden": 8, "latent_dim": 4, "batch_size": 32,
          "trials": 4, "s": [8, 16]}
    return kind, kind.normalise(c)


def test_task_numbers_do_not_depend_on_the_callers_threads(tmp_path):
    kind, c = _task()
    with torch_threads(1):
        a = kind.run(c, tmp_path)
    with torch_threads(2):
        b = kind.run(c, tmp_path)
    assert a["support_estimate"] == b["support_estimate"] and a["table"] == b["table"]
    assert a["disc_params"] == (64 + 4) * 8 + 8 + 8 * 8 + 8 + 8 + 1
    assert [r["s"] for r in a["table"]] == [8, 16]


def _rec(w, seed, value, low, high):
    return {"config": {"disc_hidden": w, "seed": seed, "arch": "bigan", "dataset": "digits", "steps": 10},
            "result": {"support_estimate": {"value": value, "low": low, "high": high},
                       "nonuniform_flagged": False, "disc_params": 10 * w}}


def test_aggregate_verdict_needs_separated_intervals(tmp_path):
    from checker.sweep.kinds.bigan import aggregate_bigan

    repro: list = []
    aggregate_bigan([_rec(8, 0, 100.0, 80.0, 120.0), _rec(64, 0, 400.0, 300.0, 500.0)], tmp_path, [], repro)
    assert repro[-1]["verdict"] == "reproduced"
    # negative control: the means grow, but the intervals overlap -> not reproduced
    aggregate_bigan([_rec(8, 0, 100.0, 80.0, 320.0), _rec(64, 0, 400.0, 300.0, 500.0)], tmp_path, [], repro)
    assert repro[-1]["verdict"] == "not reproduced"
    aggregate_bigan([_rec(8, 0, 400.0, 300.0, 500.0), _rec(64, 0, 100.0, 80.0, 120.0)], tmp_path, [], repro)
    assert repro[-1]["verdict"] == "not reproduced"
