"""checker.gan.facing: the Lipschitz bound of the trained discriminator class holds on sampled
parameters and inputs (a derived bound, tested here), and the facing run / CLI produce rows."""

from __future__ import annotations

import json
import math

import pytest
import torch

from checker.cli import main
from checker.gan.bigan import JointDiscriminator
from checker.gan.facing import mlp_lipschitz_bound


def test_bound_formula_depth_one_by_hand():
    U, R = 2.0, 3.0
    A1 = R * math.sqrt(U * U + 1)
    hand = 0.25 * math.sqrt(R ** 2 * (U * U + 1) + (A1 * A1 + 1))
    assert mlp_lipschitz_bound(U=U, R=R, depth=1) == pytest.approx(hand, rel=1e-15)


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_parameter_gradient_never_exceeds_the_bound(depth):
    g = torch.Generator().manual_seed(depth)
    d, k, c = 5, 3, 2.0
    U = c * math.sqrt(d + k)
    worst = 0.0
    for trial in range(20):
        D = JointDiscriminator(d, k, 6, depth).double()
        R = 0.5 + 2.5 * float(torch.rand(1, generator=g))
        with torch.no_grad():
            flat = torch.cat([p.flatten() for p in D.parameters()])
            scale = R / float(flat.norm())
            for p in D.parameters():
                p.mul_(scale)  # the parameters lie on the sphere of radius R
        u = (torch.rand(1, d + k, generator=g, dtype=torch.float64) * 2 - 1) * c * 3
        u = u.clamp(-c, c)
        out = torch.sigmoid(D(u[:, :d], u[:, d:])).sum()
        grads = torch.autograd.grad(out, list(D.parameters()))
        gn = float(torch.sqrt(sum((q ** 2).sum() for q in grads)))
        L = mlp_lipschitz_bound(U=U, R=R, depth=depth)
        worst = max(worst, gn / L)
        assert gn <= L
    assert worst > 0  # the gradients were not all zero (the check can fail)


def test_face_cli_runs_on_a_tiny_run(tmp_path, capsys):
    from checker.gan.train import GanTrainConfig, train_gan

    run = tmp_path / "run"
    train_gan(GanTrainConfig(arch="bigan", dataset="digits", latent_dim=4, hidden=16, steps=10,
                             batch_size=32, checkpoint_every=10), out=run, device="cpu", recon=False)
    rc = main(["gan", "face", "--model", str(run), "--m", "2,8", "--steps", "3", "--n-test", "400",
               "--batch", "32", "--out", str(tmp_path / "f"), "--json"])
    assert rc == 0
    d = json.loads(capsys.readouterr().out)
    assert [r["m"] for r in d["rows"]] == [2, 8] and d["d_tilde"] == 4
    for r in d["rows"]:
        assert r["gap_ci_low"] <= abs(r["gap"]) <= r["gap_ci_high"]
        assert r["p"] == (64 + 4) * 16 + 16 + 16 * 16 + 16 + 16 + 1
        eps = r["explicit_eps"]
        assert eps == "inf" or eps > 1  # vacuous for such a class: reported, never a pass
    assert (tmp_path / "f" / "facing.png").read_bytes()[:4] == b"\x89PNG"
    rc = main(["gan", "face", "--model", str(tmp_path / "nope")])
    err = capsys.readouterr().err
    assert rc == 2 and "--model" in err and len(err.strip().splitlines()) == 1
