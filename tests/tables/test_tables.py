"""Flat result tables (checker/tables.py): written by sweep, certify and birthday, loaded with
pandas as a user would; every cell checked against the JSON the same run wrote."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from checker.cli import main
from checker.errors import InvalidArgument
from checker.tables import flatten, row, write_table


def test_rows_flatten_nested_groups_and_refuse_unprefixed_columns(tmp_path):
    r = row(config={"a": 1, "opt": {"lr": 0.1}}, metric={"rate": {"low": 0.2, "high": None}, "xs": [1, 2]},
            meta={"ok": True})
    assert r == {"config/a": 1, "config/opt/lr": 0.1, "metric/rate/low": 0.2, "metric/rate/high": None,
                 "metric/xs": "[1, 2]", "meta/ok": True}
    files = write_table([r, row(config={"a": 2}, metric={"inf": math.inf})], tmp_path / "t")
    df = pd.read_csv(files.csv)
    # groups in the order config, metric, meta; sorted within each
    assert list(df.columns) == ["config/a", "config/opt/lr", "metric/inf", "metric/rate/high",
                                "metric/rate/low", "metric/xs", "meta/ok"]
    assert df["config/a"].tolist() == [1, 2] and df["metric/inf"].iloc[1] == math.inf
    assert pd.isna(df["metric/rate/high"].iloc[0]) and json.loads(df["metric/xs"].iloc[0]) == [1, 2]
    with pytest.raises(InvalidArgument, match="column='x' must start with one of config/, metric/, meta/"):
        write_table([{"x": 1}], tmp_path / "bad")
    assert flatten("metric", 3) == {"metric": 3}


def test_parquet_when_pyarrow_is_installed(tmp_path):
    pytest.importorskip("pyarrow")
    files = write_table([row(config={"s": 1}, metric={"p": 0.5, "m": 1}),
                         row(config={"s": 2}, metric={"p": None, "m": 2.5})], tmp_path / "t")
    df = pd.read_parquet(files.parquet)
    assert df["config/s"].tolist() == [1, 2] and df["metric/m"].tolist() == [1.0, 2.5]


def test_sweep_writes_one_row_per_task_with_its_backend(tmp_path, capsys):
    spec = tmp_path / "b.toml"
    spec.write_text('name = "b"\n[[grid]]\nkind = "birthday-scale"\nseeds = [0]\n[grid.params]\nsupport = 200\n'
                    'trials = 3\nn_real = 100\nd = 16\n[grid.vary]\ns = [4, 8]\n')
    out = tmp_path / "o"
    assert main(["sweep", str(spec), "--workers", "0", "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    df = pd.read_csv(summary["table_files"]["csv"])
    assert len(df) == 2 and sorted(df["config/s"]) == [4, 8]
    assert set(df["meta/backend"]) == {"local"} and set(df["meta/status"]) == {"ok"}
    for _, r in df.iterrows():
        rec = json.loads((out / "tasks" / "birthday-scale" / f"{r['meta/hash']}.json").read_text())
        assert r["metric/row/p_duplicate"] == rec["result"]["row"]["p_duplicate"]
        assert r["config/support"] == rec["config"]["support"] == 200
    assert all(c.split("/")[0] in ("config", "metric", "meta") for c in df.columns)


def test_sweep_default_folders_differ_per_backend(tmp_path, capsys, monkeypatch):
    """Before: local and Ray runs shared sweep-results/<name>, so a Ray run after a local one
    computed nothing yet reported 'on backend ray'."""
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "b.toml"
    spec.write_text('name = "b"\n[[grid]]\nkind = "birthday-scale"\n[grid.params]\nsupport = 200\n'
                    'trials = 3\nn_real = 100\nd = 16\n[grid.vary]\ns = [4]\n')
    outs = {}
    for backend in ("local", "ray"):
        assert main(["sweep", str(spec), "--backend", backend, "--dry-run", "--json"]) == 0
        outs[backend] = json.loads(capsys.readouterr().out)["out"]
    assert outs == {"local": "sweep-results/b", "ray": "sweep-results/b-ray"}
    # a run that computes nothing does not claim a backend computed it
    assert main(["sweep", str(spec), "--workers", "0"]) == 0
    assert main(["sweep", str(spec), "--workers", "0"]) == 0
    last = capsys.readouterr().out.splitlines()
    line = [l for l in last if l.startswith("sweep b")][-1]
    assert "0 computed," in line and "on backend" not in line and "1 already done (found in sweep-results/b)" in line


def test_certify_writes_one_row_per_example(tmp_path, capsys):
    from checker.certify.experiments import random_smooth_net, sound_gamma
    from checker.wrm.models import save_model

    model = random_smooth_net(seed=0)
    path = save_model(model, tmp_path / "model.pt")
    g = sound_gamma(model, 2)
    out = tmp_path / "cert"
    rc = main(["certify", str(path), "--data", "synthetic", "--gamma", str(g), "--n", "12",
               "--out", str(out), "--json"])
    assert rc in (0, 1)
    d = json.loads(capsys.readouterr().out)
    df = pd.read_csv(d["table_files"]["csv"])
    assert len(df) == 12 and df["config/example"].tolist() == list(range(12))
    assert set(df["meta/status"]) == {d["status"]} and (df["config/gamma"] == d["gamma"]).all()
    # the certificate's E_n[phi] is the mean of the per-example phi the table holds (up to the
    # certificate's upward rounding of the mean)
    assert df["metric/phi"].mean() == pytest.approx(d["surrogate_mean"], rel=1e-12, abs=1e-12)
    assert (df["metric/phi_upper"] >= df["metric/phi_lower"]).all()


def test_birthday_writes_one_row_per_sample_size(tmp_path, capsys):
    out = tmp_path / "bd"
    assert main(["birthday", "--source", "uniform", "--support", "300", "--trials", "20",
                 "--s", "10,20,40", "--out", str(out), "--json", "--n-real", "200", "--k", "4"]) == 0
    d = json.loads(capsys.readouterr().out)
    df = pd.read_csv(d["table_files"]["csv"])
    assert df["config/s"].tolist() == [10, 20, 40]
    assert json.loads((out / "summary.json").read_text())["table"] == d["table"]
    for (_, r), t in zip(df.iterrows(), d["table"]):
        assert r["metric/duplicates"] == t["duplicates"] and r["metric/p_high"] == t["p_high"]
    assert (df["meta/support_estimate"] == d["support_estimate"]["value"]).all()
