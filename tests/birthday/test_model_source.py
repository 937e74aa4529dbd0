"""``checker birthday --source model``: a module:function sampler of known support is
recovered within the test's interval (and a 4x larger pool is not), TorchScript generators,
a ``checker gan train`` folder with its references, and one-line refusals (exit 2)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from checker.cli import main
from tests.birthday import pool_sampler


@pytest.fixture(scope="module")
def real_npy(tmp_path_factory):
    p = tmp_path_factory.mktemp("real") / "real.npy"
    np.save(p, pool_sampler.real())
    return str(p)


def _run(capsys, argv):
    rc = main(argv)
    cap = capsys.readouterr()
    return rc, cap


def test_known_pool_recovered_through_module_function(capsys, real_npy):
    N = len(pool_sampler.POOL_400)
    argv = ["birthday", "--source", "model", "--model", "tests.birthday.pool_sampler:sample",
            "--real", real_npy, "--s", "20,40", "--trials", "40", "--json"]
    rc, cap = _run(capsys, argv)
    assert rc == 0, cap.err
    d = json.loads(cap.out)
    est = d["support_estimate"]
    assert est["low"] <= N <= est["high"], est  # the truth lies inside the test's interval
    assert d["model"]["kind"] == "function"
    # negative control: the same test on a pool four times larger excludes N = 400
    argv[4] = "tests.birthday.pool_sampler:sample_1600"
    rc, cap = _run(capsys, argv)
    d4 = json.loads(cap.out)
    assert rc == 0 and d4["support_estimate"]["low"] > N
    assert d4["support_estimate"]["low"] <= 1600 <= d4["support_estimate"]["high"]


def test_sampler_trials_are_seeded(capsys, real_npy):
    """Same command twice: the same table (each call's seed comes from the trial generator)."""
    argv = ["birthday", "--source", "model", "--model", "tests.birthday.pool_sampler:sample",
            "--real", real_npy, "--s", "16", "--trials", "10", "--json"]
    a = json.loads(_run(capsys, argv)[1].out)
    b = json.loads(_run(capsys, argv)[1].out)
    assert a["table"] == b["table"]


def test_torchscript_generator(tmp_path, capsys, real_npy):
    import warnings

    class Pool(torch.nn.Module):  # z -> one of 50 images, chosen by the sign pattern of z
        def __init__(self):
            super().__init__()
            self.latent_dim = 6
            self.pool = torch.nn.Parameter(torch.rand(64, 64, generator=torch.Generator().manual_seed(0)),
                                           requires_grad=False)

        def forward(self, z):
            bits = (z > 0).long()
            idx = (bits * (2 ** torch.arange(6))).sum(1)
            return self.pool[idx]

    path = tmp_path / "g.ts"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.script(Pool()), str(path))
    argv = ["birthday", "--source", "model", "--model", str(path), "--real", real_npy,
            "--s", "8,16", "--trials", "20", "--json"]
    rc, cap = _run(capsys, argv)
    assert rc == 0, cap.err
    d = json.loads(cap.out)
    est = d["support_estimate"]
    assert d["model"]["kind"] == "torchscript"
    assert est["low"] <= 64 <= est["high"]  # 2^6 equally likely images
    rc, cap = _run(capsys, argv + ["--latent-dim", "5"])
    assert rc == 2 and "--latent-dim" in cap.err and len(cap.err.strip().splitlines()) == 1


@pytest.mark.parametrize("model, words", [
    ("gen.onnx", "must have exactly one data input"),  # an ONNX file with an empty graph (issue 27)
    ("no_such_module_xyz:f", "cannot be imported"),
    ("tests.birthday.pool_sampler:nope", "no function"),
    ("tests.birthday.pool_sampler:short", "rows"),
    ("/nonexistent/folder", "must be an existing"),
])
def test_bad_models_are_one_line_exit_2(tmp_path, capsys, real_npy, model, words):
    if model.endswith(".onnx"):
        (tmp_path / model).write_bytes(b"\x08\x01")
        model = str(tmp_path / model)
    rc, cap = _run(capsys, ["birthday", "--source", "model", "--model", model, "--real", real_npy,
                            "--s", "8", "--trials", "2"])
    err = cap.err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and words in err and "Traceback" not in err


def test_model_flags_are_checked(capsys, real_npy):
    rc, cap = _run(capsys, ["birthday", "--source", "model", "--real", real_npy])
    assert rc == 2 and "--model" in cap.err
    rc, cap = _run(capsys, ["birthday", "--source", "uniform", "--model", "x:y"])
    assert rc == 2 and "--model" in cap.err
    rc, cap = _run(capsys, ["birthday", "--source", "model", "--model", "tests.birthday.pool_sampler:sample"])
    assert rc == 2 and "--real" in cap.err


def test_gan_run_folder_with_references(tmp_path, capsys):
    from checker.gan.train import GanTrainConfig, train_gan

    run = tmp_path / "run"
    train_gan(GanTrainConfig(arch="bigan", dataset="digits", latent_dim=4, hidden=16, steps=20,
                             batch_size=32, checkpoint_every=10), out=run, device="cpu")
    out = tmp_path / "bd"
    rc, cap = _run(capsys, ["birthday", "--source", "model", "--model", str(run), "--s", "8,16",
                            "--trials", "10", "--k", "4", "--out", str(out), "--json"])
    assert rc == 0, cap.err
    d = json.loads(cap.out)
    m = d["model"]
    assert m["kind"] == "run" and d["truth"]["dataset"] == "digits"
    assert [r["s"] for r in m["data"]["rows"]] == [8, 16]
    est = d["support_estimate"]["value"]
    if isinstance(est, float) and 1 <= est <= 10**6:  # a pool size: the construction ran at m = round(estimate)
        assert m["construction"]["m"] == round(est) and [r["s"] for r in m["construction"]["rows"]] == [8, 16]
    else:
        assert m["construction"] is None and any("construction" in s for s in m["skipped"])
    assert (out / "pairs_s8.png").read_bytes()[:4] == b"\x89PNG"
    assert d["memorisation"] is not None  # the run's training split is checked for memorisation
