"""BiGAN/ALI (checker.gan.bigan, checker.gan.train, checker.gan.reconstruction): the objective
against an independent formula, the ALI reparameterisation, training with checkpoints, resume
after an interruption (bit-identical on CPU), the saved run, and the CLI's exits."""

from __future__ import annotations

import json
import math

import pytest
import torch

from checker.cli import main
from checker.gan.bigan import build_networks, discriminator_loss, generator_encoder_loss, value
from checker.gan.train import GanTrainConfig, load_run, train_gan

TINY = dict(dataset="digits", latent_dim=4, hidden=16, steps=30, batch_size=32, checkpoint_every=10)


def _log_sigmoid(t: float) -> float:
    # reference: log(1 / (1 + e^-t)) in plain floats (independent of torch's logsigmoid)
    return -math.log1p(math.exp(-t)) if t > -30 else t - math.log1p(math.exp(t))


def test_value_matches_the_minimax_formula():
    real = torch.tensor([2.0, -1.0, 0.5], dtype=torch.float64)
    fake = torch.tensor([-3.0, 0.25], dtype=torch.float64)
    ref = (sum(_log_sigmoid(t) for t in real.tolist()) / 3
           + sum(math.log(1 - 1 / (1 + math.exp(-t))) for t in fake.tolist()) / 2)
    assert float(value(real, fake)) == pytest.approx(ref, rel=1e-12)
    assert float(discriminator_loss(real, fake)) == pytest.approx(-ref, rel=1e-12)
    assert float(generator_encoder_loss(real, fake, loss="minimax")) == pytest.approx(ref, rel=1e-12)
    ns = -(sum(_log_sigmoid(-t) for t in real.tolist()) / 3 + sum(_log_sigmoid(t) for t in fake.tolist()) / 2)
    assert float(generator_encoder_loss(real, fake, loss="nonsaturating")) == pytest.approx(ns, rel=1e-12)


def test_ali_encoder_is_reparameterised_and_bigan_is_deterministic():
    G, E, D = build_networks(arch="ali", d=6, latent_dim=3, hidden=8, disc_hidden=8, dtype=torch.float64)
    x = torch.rand(5, 6, dtype=torch.float64)
    eps = torch.randn(5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    mu, log_std = E.moments(x)
    assert torch.equal(E(x, eps), mu + log_std.exp() * eps)
    assert torch.equal(E(x), mu)  # no noise: the mean
    E(x, eps).sum().backward()
    last = E.net[-1]
    # the gradient reaches both halves of the last layer (mean and log-std outputs)
    assert last.weight.grad[:3].abs().sum() > 0 and last.weight.grad[3:].abs().sum() > 0
    G2, E2, _ = build_networks(arch="bigan", d=6, latent_dim=3, hidden=8, disc_hidden=8, dtype=torch.float64)
    assert torch.equal(E2(x, eps), E2(x)) and E2(x).shape == (5, 3)
    out = G2(torch.randn(4, 3, dtype=torch.float64))
    assert out.shape == (4, 6) and bool(((out >= 0) & (out <= 1)).all())


def test_train_saves_a_loadable_run_and_resumes_bit_identically(tmp_path, monkeypatch):
    cfg = GanTrainConfig(arch="ali", **TINY)
    full = train_gan(cfg, out=tmp_path / "full", device="cpu")
    assert full.finished and full.steps_done == 30 and [h.step for h in full.history] == [10, 20, 30]
    for name in ("model.pt", "generator.ts", "result.json", "samples.png", "reconstructions.png", "checkpoint.pt"):
        assert (tmp_path / "full" / name).is_file(), name
    res = json.loads((tmp_path / "full" / "result.json").read_text())
    assert res["arch"] == "ali" and res["reconstruction"]["n_data"] == res["n_test"] == 359
    # interrupted after one chunk, then resumed: the same weights as the uninterrupted run
    part = train_gan(cfg, out=tmp_path / "part", device="cpu", stop_after=1)
    assert not part.finished and part.steps_done == 10 and not (tmp_path / "part" / "model.pt").exists()
    done = train_gan(cfg, out=tmp_path / "part", device="cpu")
    assert done.resumed_from_step == 10 and done.finished
    for a, b in zip(full.trained.generator.state_dict().values(), done.trained.generator.state_dict().values()):
        assert torch.equal(a, b)
    # negative control: another seed gives other weights
    other = train_gan(GanTrainConfig(arch="ali", **(TINY | {"seed": 1})), device="cpu", recon=False)
    assert not torch.equal(next(iter(other.trained.generator.state_dict().values())),
                           next(iter(full.trained.generator.state_dict().values())))
    # the saved run loads with the same generator; TorchScript gives the same samples
    run = load_run(tmp_path / "full")
    import warnings

    with warnings.catch_warnings():  # TorchScript is deprecated in torch >= 2.10, still supported
        warnings.simplefilter("ignore", DeprecationWarning)
        ts = torch.jit.load(str(tmp_path / "full" / "generator.ts"))
    z = torch.randn(7, 4, generator=torch.Generator().manual_seed(3))
    assert torch.equal(run.generator(z), full.trained.generator(z))
    assert torch.equal(ts(z), run.generator(z)) and int(ts.latent_dim) == 4
    # a different configuration refuses the checkpoint
    from checker.errors import ResumeError

    with pytest.raises(ResumeError):
        train_gan(GanTrainConfig(arch="bigan", **TINY), out=tmp_path / "part", device="cpu")


def test_cli_train_json_ctrl_c_and_resume(tmp_path, capsys, monkeypatch):
    import checker.io as cio

    out = tmp_path / "run"
    argv = ["gan", "train", "--arch", "bigan", "--out", str(out), "--steps", "30", "--latent-dim", "4",
            "--hidden", "16", "--batch-size", "32", "--checkpoint-every", "10", "--json"]
    real_save = cio.save_checkpoint
    calls = {"n": 0}

    def interrupting_save(*a, **kw):  # Ctrl-C right after the second checkpoint was written
        real_save(*a, **kw)
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(cio, "save_checkpoint", interrupting_save)
    assert main(argv) == 130
    assert "interrupted" in capsys.readouterr().err
    assert (out / "checkpoint.pt").is_file() and not (out / "model.pt").exists()
    monkeypatch.setattr(cio, "save_checkpoint", real_save)
    assert main(argv) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["resumed_from_step"] == 20 and d["finished"] and d["arch"] == "bigan"
    assert d["reconstruction"]["latent_rel_error"] >= 0 and (out / "model.pt").is_file()
    m = d["modes"]  # classes of 2,000 samples by a classifier trained on the real digits
    assert m["n"] == 2000 == sum(m["counts"]) and m["n_classes"] == 10 and m["classifier_accuracy"] > 0.9


@pytest.mark.parametrize("argv, name", [
    (["--arch", "began"], "--arch"),
    (["--arch", "bigan", "--steps", "0"], "steps"),
    (["--arch", "bigan", "--steps", "x"], "--steps"),
    (["--arch", "bigan", "--dataset", "cifar"], "dataset"),
    (["--arch", "bigan", "--lr", "-1"], "lr"),
    (["--arch", "bigan", "--device", "tpu"], "device"),
    (["--arch", "bigan", "--dataset", "missing.npz"], "dataset"),
])
def test_cli_bad_input_is_one_line_exit_2(tmp_path, capsys, argv, name):
    rc = main(["gan", "train", "--out", str(tmp_path / "r"), *argv])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and name in err and "Traceback" not in err


def test_npz_outside_unit_interval_is_refused(tmp_path, capsys):
    import numpy as np

    p = tmp_path / "d.npz"
    np.savez(p, x=np.full((20, 4), 3.0), y=np.arange(20) % 2)
    rc = main(["gan", "train", "--arch", "ali", "--dataset", str(p), "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert rc == 2 and "[0, 1]" in err and len(err.strip().splitlines()) == 1


def test_reconstruction_stats_identity_and_null_encoders():
    """Exact inverse -> 0; an encoder that returns 0 -> latent ratio E|z|^2/(2k) = 1/2."""
    from types import SimpleNamespace

    from checker.gan.reconstruction import reconstruction_stats

    class Scale(torch.nn.Module):
        def __init__(self, c):
            super().__init__()
            self.c = torch.nn.Parameter(torch.tensor(float(c), dtype=torch.float64))

        def forward(self, v):
            return self.c * v

    k = 5
    x = torch.rand(300, k, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    ident = SimpleNamespace(config=SimpleNamespace(latent_dim=k), generator=Scale(1.0), encoder=Scale(1.0))
    r = reconstruction_stats(ident, x, n_latent=4000)
    assert r.latent_rel_error == 0.0 and r.data_rel_error == 0.0 and r.latent_corr == pytest.approx(1.0, abs=1e-12)
    null = SimpleNamespace(config=SimpleNamespace(latent_dim=k), generator=Scale(1.0), encoder=Scale(0.0))
    r0 = reconstruction_stats(null, x, n_latent=4000)
    # sd of |z|^2/(2k) with 4000 draws: sqrt(2k)/(2k)/sqrt(4000) = 0.005; 6 sd
    assert abs(r0.latent_rel_error - 0.5) < 0.03
    assert r0.data_rel_error > 0.3
