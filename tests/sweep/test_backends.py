"""The quick MNIST spec on the local backend (in this process, ``--workers 0``: the pool's
worker function without the spawn cost; the pool itself is exercised by test_run's Ctrl-C
test) and on a local Ray runtime (separate worker processes) gives the same numbers, bit for
bit; the concavity quick spec reuses the trained models of the same folder.

Issue 15: ``checker sweep sweeps/sinha-mnist.toml --quick --backend ray`` runs in CI and gives
the same numbers as ``--backend local``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.cli import main
from checker.sweep.task import read_task_file

ROOT = Path(__file__).resolve().parents[2]
MNIST = str(ROOT / "sweeps" / "sinha-mnist.toml")


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    rc = main(["sweep", MNIST, "--quick", "--workers", "0", "--out", str(out), "--json"])
    assert rc == 0
    return out


def _results(out: Path) -> dict[str, dict]:
    """The records in ``out`` by label (read from disk: the spec is not re-expanded, so a
    source edit between run and check cannot change the addresses looked up)."""
    recs = {}
    for f in sorted((out / "tasks").glob("*/*.json")):
        r = read_task_file(f)
        assert r is not None and r["status"] == "ok", f
        recs[r["label"]] = r
    return recs


def test_local_quick_mnist(local_run):
    recs = _results(local_run)
    assert len(recs) == 6
    wrm = recs["wrm-train-attack[method=wrm, seed=0]"]["result"]
    fgm = recs["wrm-train-attack[method=fgm, seed=0]"]["result"]
    # eq. (19): the baselines' eps is sqrt(rho_hat) of the WRM model with the same settings
    assert fgm["train"]["eps"] == pytest.approx(wrm["train"]["rho_hat"] ** 0.5, rel=1e-15)
    # gamma = 0.04 C2 of the (32) training images
    assert wrm["train"]["gamma"] == pytest.approx(0.04 * wrm["C2"], rel=1e-6)
    # the paper's 710,218-parameter convnet
    assert wrm["train"]["n_parameters"] == 710_218
    for f in ("figure3_pgm_attacks.png", "figure4a_rho_test.png", "figure2_certificate_seed0.png"):
        assert (local_run / "figures" / f).stat().st_size > 1000
    rep = json.loads((local_run / "report-sinha-mnist.json").read_text())
    assert rep["finished"] == 6 and rep["reproduction"]


def test_ray_gives_the_same_numbers(local_run, tmp_path):
    ray = pytest.importorskip("ray", reason="the optional ray extra is not installed")
    out = tmp_path / "ray"
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    try:
        rc = main(["sweep", MNIST, "--quick", "--backend", "ray", "--out", str(out)])
    finally:
        ray.shutdown()
    assert rc == 0
    a, b = _results(local_run), _results(out)
    assert a.keys() == b.keys()
    for label in a:
        assert a[label]["meta"]["backend"] == "local" and b[label]["meta"]["backend"] == "ray"
        assert a[label]["config"] == b[label]["config"]
        if a[label]["code"] == b[label]["code"]:  # same sources -> same address
            assert a[label]["hash"] == b[label]["hash"]
        # bit for bit: the JSON of the results (floats written with repr, exact round trip)
        assert json.dumps(a[label]["result"], sort_keys=True) == json.dumps(b[label]["result"], sort_keys=True), label


def test_concavity_quick_reuses_models(local_run):
    """Same folder: the ERM and WRM (0.04 C2) models of the MNIST sweep are reused, only the
    WRM model at 0.02 C2 is trained."""
    models_before = set((local_run / "models").iterdir())
    rc = main(["sweep", str(ROOT / "sweeps" / "sinha-concavity.toml"), "--quick", "--workers", "0",
               "--out", str(local_run)])
    assert rc == 0
    assert len(set((local_run / "models").iterdir()) - models_before) == 1
    recs = [r for r in _results(local_run).values() if r["kind"] == "concavity"]
    assert len(recs) == 3
    for rec in recs:
        r = rec["result"]
        fr = [row["fraction"] for row in r["rows"]]
        # a larger gamma raises the threshold 2 gamma: the fraction cannot grow
        assert all(x >= y for x, y in zip(fr, fr[1:])), fr
        assert r["n_points"] == 8
