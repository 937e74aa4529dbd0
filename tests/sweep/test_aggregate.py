"""Reproduction verdicts of the aggregator, on constructed records (the logic, not the data):
the concavity claim of App. A.4 (> 10% at gamma = 0.02 C2) and the Figure 3 ordering."""

from __future__ import annotations

import pytest

from checker.sweep import aggregate, parse_spec
from checker.sweep.aggregate import CONCAVITY_CLAIM_FRACTION


def _concavity_spec():
    return parse_spec({"name": "c", "grid": [{"kind": "concavity", "params": {"gamma_c2": 0.02}}]}, path="c")


def _concavity_record(task, fraction):
    rows = [{"gamma_rel": g, "gamma": g * 9.0, "threshold_2gamma": 18 * g,
             "n_not_strongly_concave": 0, "fraction": f}
            for g, f in ((0.01, min(1.0, 2 * fraction)), (0.02, fraction), (0.04, fraction / 2))]
    return {"kind": "concavity", "hash": task.hash, "label": task.label, "config": task.config,
            "status": "ok", "result": {"train": {"method": "wrm", "seed": 0, "model": "conv", "epochs": 1,
                                                 "test_accuracy": 0.9, "n_train": 10},
                                       "C2": 9.0, "n_points": 100, "split": "train", "rows": rows,
                                       "lambda_quantiles": {}, "hessian_iters": 5}}


@pytest.mark.parametrize("fraction,verdict", [
    (CONCAVITY_CLAIM_FRACTION + 0.01, "reproduced"),
    (CONCAVITY_CLAIM_FRACTION, "not reproduced"),  # the paper says "over 10%"
    (0.0, "not reproduced"),
])
def test_concavity_verdict(tmp_path, fraction, verdict):
    spec = _concavity_spec()
    rep = aggregate(spec, [_concavity_record(spec.tasks[0], fraction)], out=tmp_path)
    (row,) = [r for r in rep.reproduction if "App. A.4" in r["claim"]]
    assert row["verdict"] == verdict and row["paper"] == "> 10%"
    assert "estimate" in row["ours"]


def _attack_records(errors_by_method):
    spec = parse_spec({"name": "a", "grid": [{"kind": "wrm-train-attack",
                                              "vary": {"method": list(errors_by_method)}}]}, path="a")
    recs = []
    for t in spec.tasks:
        m = t.config["method"]
        errs = errors_by_method[m]
        recs.append({"kind": t.kind, "hash": t.hash, "label": t.label, "config": t.config, "status": "ok",
                     "result": {"train": {"method": m, "seed": 0, "model": "conv", "epochs": 1, "dataset": "mnist",
                                          "train_accuracy": 0.99, "test_accuracy": 0.995, "eps": None,
                                          "gamma": None, "rho_hat": None, "n_train": 10},
                                "C2": 9.21, "C_inf": 1.0,
                                "attacks": {"2": {"budgets_rel": [0.0, 0.1, 0.2], "errors": errs, "n": 100}},
                                "wrm_attack": None}})
    return spec, recs


def test_figure3_verdicts(tmp_path):
    good = {"erm": [0.01, 0.5, 0.9], "fgm": [0.01, 0.3, 0.6], "wrm": [0.01, 0.2, 0.4]}
    spec, recs = _attack_records(good)
    rep = aggregate(spec, recs, out=tmp_path)
    (row,) = [r for r in rep.reproduction if r["claim"].startswith("Figure 3")]
    assert row["verdict"] == "reproduced"
    acc = [r for r in rep.reproduction if "99%" in r["claim"]][0]
    assert acc["verdict"] == "reproduced"
    bad = {"erm": [0.01, 0.5, 0.9], "fgm": [0.01, 0.1, 0.6], "wrm": [0.01, 0.2, 0.4]}
    spec, recs = _attack_records(bad)
    rep = aggregate(spec, recs, out=tmp_path)
    (row,) = [r for r in rep.reproduction if r["claim"].startswith("Figure 3")]
    assert row["verdict"] == "partly reproduced"  # WRM not lowest at 0.1 C2


def test_figure3_ties_are_ties_not_wins(tmp_path):
    """Issue 26: five methods at the same error (a five-way tie, e.g. all 0 on a tiny quick
    sweep) rank nothing: the table says so, and does not call it 'partly reproduced'."""
    tied = {m: [0.0, 0.0, 0.0] for m in ("erm", "fgm", "ifgm", "pgm", "wrm")}
    spec, recs = _attack_records(tied)
    rep = aggregate(spec, recs, out=tmp_path)
    (row,) = [r for r in rep.reproduction if r["claim"].startswith("Figure 3")]
    assert row["verdict"] == "not reproduced (ties: no method ranked)"
    assert "strictly lowest error at 0/2 budgets (tied for lowest at 2)" in row["ours"]
    # a tie at one budget and a strict win at the other: partly, with the tie counted apart
    half = {"erm": [0.01, 0.5, 0.9], "fgm": [0.01, 0.2, 0.6], "wrm": [0.01, 0.2, 0.4]}
    spec, recs = _attack_records(half)
    rep = aggregate(spec, recs, out=tmp_path)
    (row,) = [r for r in rep.reproduction if r["claim"].startswith("Figure 3")]
    assert row["verdict"] == "partly reproduced"
    assert "strictly lowest error at 1/2 budgets (tied for lowest at 1)" in row["ours"]
