"""Sweep specs: strict validation (file and key named, exit 2), expansion, content addresses.

No experiment runs here: these tests only parse and expand (fast)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checker.cli import main
from checker.errors import InvalidArgument
from checker.sweep import load_spec, parse_spec

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ["sinha-mnist", "sinha-concavity", "arora-fooling", "birthday-scale",
           "sinha-mnist-2core", "sinha-concavity-2core", "arora-fooling-2core", "birthday-scale-2core"]


def _spec(**grid_extra):
    grid = {"kind": "birthday-scale", "params": {"support": 100, "trials": 2}, "vary": {"s": [4, 8]}}
    grid.update(grid_extra)
    return {"name": "t", "grid": [grid]}


@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize("quick", [False, True])
def test_shipped_specs_parse(name, quick):
    spec = load_spec(ROOT / "sweeps" / f"{name}.toml", quick=quick)
    assert spec.tasks
    assert len({t.hash for t in spec.tasks}) == len(spec.tasks)


def test_sinha_mnist_has_the_papers_settings():
    """The full spec: the paper's convnet, all five methods, gamma = 0.04 C2 and eps matched to
    WRM (docs/math/sinha.md, §4.2), plus the Figure 2 certificate."""
    spec = load_spec(ROOT / "sweeps" / "sinha-mnist.toml")
    ta = [t for t in spec.tasks if t.kind == "wrm-train-attack"]
    assert sorted(t.config["method"] for t in ta) == ["erm", "fgm", "ifgm", "pgm", "wrm"]
    for t in ta:
        assert t.config["model"] == "conv" and t.config["activation"] == "elu"
        assert t.config["gamma_c2"] == 0.04 and t.config["eps"] == "match-wrm"
        assert t.config["attack_norms"] == ["2", "inf"]
    assert [t.kind for t in spec.tasks].count("certify-rho") == 1
    # baselines matched to WRM run after it
    assert {t.phase for t in ta if t.config["method"] in ("fgm", "ifgm", "pgm")} == {1}
    assert {t.phase for t in ta if t.config["method"] in ("erm", "wrm")} == {0}


def test_quick_section_overrides():
    full = load_spec(ROOT / "sweeps" / "arora-fooling.toml")
    quick = load_spec(ROOT / "sweeps" / "arora-fooling.toml", quick=True)
    assert len(full.tasks) == 9 * 3 * 3
    assert sorted(t.config["m"] for t in quick.tasks) == [4, 64]
    assert all(t.config["steps"] == 10 for t in quick.tasks)


@pytest.mark.parametrize("data,key", [
    ({"name": "t", "grid": [{"kind": "birthday-scale"}], "gird": 1}, "gird"),
    (_spec(varry={"s": [4]}), "grid[0].varry"),
    (_spec(params={"suport": 100}), "grid[0].params.suport"),
    (_spec(vary={"ss": [4]}), "grid[0].vary.ss"),
    (_spec(kind="birthday-scael"), "grid[0].kind"),
    (_spec(resources={"num_cpu": 1}), "grid[0].resources.num_cpu"),
    (_spec(params={"trials": "two"}), "grid[0].params.trials"),
    (_spec(params={"trials": 0}), "grid[0].params.trials"),
    (_spec(vary={"s": []}), "grid[0].vary.s"),
    (_spec(seeds=[0, 0]), "grid[0].seeds"),
    ({**_spec(), "quick": {"params": {"trails": 3}}}, "quick.params.trails"),
    ({**_spec(), "quick": {"prams": {}}}, "quick.prams"),
    ({"grid": [{"kind": "birthday-scale"}]}, "name"),
])
def test_bad_keys_are_named(data, key):
    with pytest.raises(InvalidArgument) as ei:
        parse_spec(data, path="spec.toml", quick=True)
    msg = str(ei.value)
    assert msg.startswith(f"spec.toml: {key}"), msg
    assert "\n" not in msg


def test_suggestion_for_misspelled_parameter():
    with pytest.raises(InvalidArgument, match="did you mean 'support'"):
        parse_spec(_spec(params={"suport": 100}), path="s.toml")


def test_cli_bad_spec_is_one_line_exit_2(tmp_path, capsys):
    p = tmp_path / "bad.toml"
    p.write_text('name = "x"\n[[grid]]\nkind = "wrm-train-attack"\n[grid.params]\nmethd = "wrm"\n')
    assert main(["sweep", str(p), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(p) in err and "grid[0].params.methd" in err and "did you mean 'method'" in err


def test_cli_invalid_toml_and_missing_file(tmp_path, capsys):
    p = tmp_path / "bad.toml"
    p.write_text("name = \n")
    assert main(["sweep", str(p)]) == 2
    assert main(["sweep", str(tmp_path / "missing.toml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all("error:" in e for e in err)


def test_semantic_rule_names_the_key():
    data = {"name": "t", "grid": [{"kind": "wrm-train-attack", "vary": {"method": ["erm", "wrm", "sgd"]}}]}
    with pytest.raises(InvalidArgument, match=r"^s\.toml: grid\[0\]\.vary\.method='sgd'"):
        parse_spec(data, path="s.toml")


def test_content_address_normalised_and_stable():
    a = parse_spec(_spec(params={"support": 100, "trials": 2, "noise_std": 0}), path="a")
    b = parse_spec(_spec(params={"support": 100, "trials": 2, "noise_std": 0.0}), path="b")
    assert [t.hash for t in a.tasks] == [t.hash for t in b.tasks]  # 0 and 0.0 are one value
    c = parse_spec(_spec(params={"support": 100, "trials": 3}), path="c")
    assert not {t.hash for t in a.tasks} & {t.hash for t in c.tasks}


def test_extending_a_grid_keeps_old_addresses():
    small = parse_spec(_spec(vary={"s": [4, 8]}), path="s")
    big = parse_spec(_spec(vary={"s": [4, 8, 16]}), path="s")
    assert {t.hash for t in small.tasks} < {t.hash for t in big.tasks}


def test_gpu_resources():
    data = {"name": "t", "grid": [{"kind": "wrm-train-attack", "params": {"device": "cuda"}}]}
    spec = parse_spec(data, path="s")
    assert spec.tasks[0].num_gpus == 1.0  # a cuda task asks for a GPU by default
    data["grid"][0]["resources"] = {"num_gpus": 0}
    with pytest.raises(InvalidArgument, match="num_gpus"):
        parse_spec(data, path="s")
    data["grid"][0]["resources"] = {"num_gpus": 0.5, "num_cpus": 2}
    t = parse_spec(data, path="s").tasks[0]
    assert (t.num_gpus, t.num_cpus) == (0.5, 2.0)


def test_ray_missing_says_how_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    assert main(["sweep", str(ROOT / "sweeps" / "birthday-scale.toml"), "--quick", "--backend", "ray",
                 "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "pip install" in err and "ray" in err


def test_address_needs_ray_backend(tmp_path):
    assert main(["sweep", str(ROOT / "sweeps" / "birthday-scale.toml"), "--address", "auto",
                 "--out", str(tmp_path)]) == 2


def test_only_and_dry_run(tmp_path, capsys):
    spec = str(ROOT / "sweeps" / "sinha-mnist.toml")
    assert main(["sweep", spec, "--only", "certify-rho", "--dry-run", "--json", "--out", str(tmp_path)]) == 0
    listed = json.loads(capsys.readouterr().out)["tasks"]
    assert [t["label"].split("[")[0] for t in listed] == ["certify-rho"] and listed[0]["status"] == "todo"
    assert main(["sweep", spec, "--only", "certfy", "--dry-run", "--out", str(tmp_path)]) == 2
    assert "--only='certfy'" in capsys.readouterr().err


@given(s_values=st.lists(st.integers(2, 10_000), min_size=1, max_size=4, unique=True),
       seeds=st.lists(st.integers(0, 50), min_size=1, max_size=3, unique=True),
       trials=st.integers(1, 100), reverse=st.booleans())
def test_expansion_is_the_cartesian_product_and_order_free(s_values, seeds, trials, reverse):
    """Every combination is one task with its own address; the order of keys and of the listed
    values does not change the set of addresses (the address hashes the normalised config)."""
    params = {"support": 500, "trials": trials, "d": 8}
    if reverse:
        params = dict(reversed(list(params.items())))
    a = parse_spec({"name": "p", "grid": [{"kind": "birthday-scale", "seeds": seeds,
                                           "params": params, "vary": {"s": s_values}}]}, path="p")
    b = parse_spec({"name": "p", "grid": [{"kind": "birthday-scale", "seeds": seeds[::-1],
                                           "params": {"support": 500, "trials": trials, "d": 8},
                                           "vary": {"s": s_values[::-1]}}]}, path="p")
    assert len(a.tasks) == len(s_values) * len(seeds)
    assert len({t.hash for t in a.tasks}) == len(a.tasks)
    assert {t.hash for t in a.tasks} == {t.hash for t in b.tasks}
    assert {(t.config["s"], t.config["seed"]) for t in a.tasks} == {(s, z) for s in s_values for z in seeds}
