r"""Experiment checks of the certificate (Theorem 3, identity (13), Corollary 4) on explicitly
built small networks, cited by the proof outline ``proofs/sinha.toml``.

Paper: Sinha, Namkoong, Duchi, ICLR 2018 (arXiv 1710.10571), Theorem 3, eq. (13); arXiv v5
Corollary 4 [P via S] (docs/math/sinha.md). Each experiment is
sampled evidence (tested, never proved): its summary says what was sampled and the worst margin.

* ``sinha.identity_13``: :math:`\mathbb{E}_nf(\hat z)+\gamma\hat\rho_n=\mathbb{E}_n\ell(\hat z)` and
  weak duality :math:`\mathbb{E}_n\ell(z)\le\gamma\rho+\mathbb{E}_n\phi^{\rm sound}_\gamma` on a
  :math:`(\gamma,\rho)` grid, for random smooth networks.
* ``sinha.certificate_not_exceeded``: WRM multi-start, :math:`\ell_2` PGM, random and grid
  attacks never exceed the sound certificate; negative control: with the correction off and one
  inner step the same attacks must find a violation.
* ``sinha.lzz_bound_dominates_hessian``: the certified :math:`L_{zz}` bound is at least every
  eigenvalue of the exact input Hessian (2-D inputs, :func:`torch.autograd.functional.hessian`)
  and every power-iteration estimate.
"""

from __future__ import annotations

from checker.experiments import ExperimentResult, experiment
from checker.tolerances import CERTIFICATE_ABS, HESSIAN_REL_SLACK

__all__ = ["random_smooth_net", "sound_gamma", "identity_13", "certificate_not_exceeded",
           "lzz_bound_dominates_hessian"]

_ACTS = ("elu", "tanh", "softplus")


def random_smooth_net(*, seed: int, in_features: int = 2, hidden: tuple[int, ...] = (4, 2),
                      activation: str = "elu", scale: float = 1.0, n_classes: int = 2):
    """A float64 MLP with Gaussian weights :math:`N(0, (\\text{scale}/\\sqrt{\\text{fan-in}})^2)` and
    biases :math:`N(0, 0.25)` drawn from ``seed`` (built explicitly, not trained)."""
    import torch
    import torch.nn as nn

    gen = torch.Generator().manual_seed(int(seed))
    act = {"elu": nn.ELU, "tanh": nn.Tanh, "softplus": nn.Softplus}[activation]
    layers: list = []
    width = in_features
    for h in (*hidden, n_classes):
        lin = nn.Linear(width, h).to(torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.randn(h, width, generator=gen, dtype=torch.float64) * scale / width ** 0.5)
            lin.bias.copy_(torch.randn(h, generator=gen, dtype=torch.float64) * 0.5)
        layers.append(lin)
        if h != n_classes:
            layers.append(act())
        width = h
    return nn.Sequential(*layers)


def sound_gamma(model, in_features: int, factor: float = 1.5) -> float:
    """``factor * L_zz_bound / 2``: a penalty at which the certificate is sound (factor > 1)."""
    from checker.certify.smoothness import network_smoothness

    sb = network_smoothness(model, (in_features,))
    assert sb.supported and sb.lzz_bound is not None
    return factor * sb.lzz_bound / 2.0


def _data(seed: int, n: int, d: int):
    import torch

    gen = torch.Generator().manual_seed(int(seed) + 7919)
    x = torch.randn(n, d, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 2, (n,), generator=gen)
    return x, y


@experiment("sinha.identity_13",
            description="Identity (13) E f(z_hat) + gamma*rho_hat = E loss(z_hat) and weak duality "
                        "on a (gamma, rho) grid, random smooth networks")
def identity_13(*, seed: int, quick: bool) -> ExperimentResult:
    from checker.certify.certificate import certify
    from checker.certify.falsify import wrm_ascent, evaluate_attack

    nets = 3 if quick else 12
    worst_identity, worst_duality, cases = 0.0, float("inf"), 0
    for k in range(nets):
        act = _ACTS[k % 3]
        model = random_smooth_net(seed=seed * 1000 + k, activation=act)
        x, y = _data(seed * 1000 + k, 24 if quick else 100, 2)
        g0 = sound_gamma(model, 2)
        for factor in (1.0, 2.0):
            cert = certify(model, x, y, gamma=g0 * factor, hessian=False)
            gap = abs(cert.surrogate_lower_mean + cert.gamma * cert.rho_hat - cert.worst_case_loss)
            worst_identity = max(worst_identity, gap)
            for spread in (0.1, 0.5, 1.0):
                z = wrm_ascent(model, x, y, gamma=cert.gamma * spread * 2, starts=2,
                               steps=40 if quick else 200, seed=seed + k)
                out = evaluate_attack(cert, model, x, y, z, name="wrm")
                worst_duality = min(worst_duality, out.margin)
                cases += 1
    passed = worst_identity <= CERTIFICATE_ABS and worst_duality >= -CERTIFICATE_ABS
    return ExperimentResult(
        passed=passed,
        summary=(f"sampled {nets} random ELU/tanh/softplus 2-4-2 networks x 2 sound gammas: identity (13) "
                 f"worst gap {worst_identity:.2e}; weak duality over {cases} (gamma, rho) attack "
                 f"distributions, worst margin {worst_duality:.3g} (tolerance {CERTIFICATE_ABS:g})"),
        evidence={"networks": nets, "worst_identity_gap": worst_identity,
                  "worst_duality_margin": worst_duality, "cases": cases, "seed": seed})


@experiment("sinha.certificate_not_exceeded",
            description="WRM, l2-PGM, random and grid attacks never exceed the sound certificate; "
                        "negative control (no correction, one inner step) must find violations")
def certificate_not_exceeded(*, seed: int, quick: bool) -> ExperimentResult:
    from checker.certify.certificate import certify
    from checker.certify.falsify import falsify

    nets = 2 if quick else 10
    worst, worst_pt, control_found, control_worst = float("inf"), float("inf"), 0, 0.0
    n_out = 0
    for k in range(nets):
        act = _ACTS[k % 3]
        model = random_smooth_net(seed=seed * 1000 + k, activation=act, scale=1.5)
        x, y = _data(seed * 1000 + k, 16 if quick else 64, 2)
        g = sound_gamma(model, 2, factor=1.2)
        cert = certify(model, x, y, gamma=g, hessian=False)
        assert cert.sound, cert.reason
        rep = falsify(cert, model, x, y, seed=seed + k, quick=quick)
        worst, worst_pt = min(worst, rep.worst_margin), min(worst_pt, rep.worst_pointwise_margin)
        n_out += len(rep.outcomes)
        # Negative control: an underestimating phi (no correction, truncated solver, small step).
        bad = certify(model, x, y, gamma=g, sound=False, inner_steps=1, step_size=0.1 / (2 * g),
                      hessian=False)
        ctrl = falsify(bad, model, x, y, seed=seed + k, quick=True, attacks=("wrm", "grid"))
        control_found += int(ctrl.violated)
        control_worst = min(control_worst, ctrl.worst_pointwise_margin)
    ok = worst >= -CERTIFICATE_ABS and worst_pt >= -CERTIFICATE_ABS and control_found == nets
    return ExperimentResult(
        passed=ok,
        summary=(f"sampled {nets} random smooth 2-4-2 networks at gamma = 0.6 L_zz-bound: {n_out} attack "
                 f"distributions (WRM multi-start, l2-PGM, random, grid), worst margin {worst:.3g}, "
                 f"worst pointwise margin {worst_pt:.3g}; negative control found violations in "
                 f"{control_found}/{nets} networks (worst {control_worst:.3g})"),
        evidence={"networks": nets, "worst_margin": worst, "worst_pointwise_margin": worst_pt,
                  "attack_distributions": n_out, "negative_control_violations": control_found,
                  "negative_control_worst": control_worst, "seed": seed})


@experiment("sinha.lzz_bound_dominates_hessian",
            description="Corollary 4's certified L_zz bound >= every exact input-Hessian eigenvalue "
                        "and every power-iteration estimate, random smooth networks")
def lzz_bound_dominates_hessian(*, seed: int, quick: bool) -> ExperimentResult:
    import torch

    from checker.certify.hessian import hessian_lambda_max
    from checker.certify.smoothness import network_smoothness
    from checker.wrm.inner import default_loss

    nets = 3 if quick else 15
    points = 10 if quick else 50
    worst_ratio, checked = 0.0, 0
    for k in range(nets):
        act = _ACTS[k % 3]
        model = random_smooth_net(seed=seed * 1000 + k, activation=act, scale=2.0)
        bound = network_smoothness(model, (2,)).lzz_bound
        x, y = _data(seed * 1000 + k, points, 2)
        x = x * 2.0
        for i in range(points):
            h = torch.autograd.functional.hessian(
                lambda z: default_loss(model(z.reshape(1, 2)), y[i:i + 1]).sum(), x[i])
            eig = torch.linalg.eigvalsh(h)
            worst_ratio = max(worst_ratio, float(eig.abs().max()) / bound)
            checked += 1
        est = hessian_lambda_max(model, x, y, iters=20)
        worst_ratio = max(worst_ratio, float(est.abs_max.max()) / bound)
    ok = worst_ratio <= 1.0 + HESSIAN_REL_SLACK
    return ExperimentResult(
        passed=ok,
        summary=(f"sampled {nets} random ELU/tanh/softplus networks x {points} points: the largest "
                 f"|Hessian eigenvalue| / L_zz bound was {worst_ratio:.3g} (must be <= 1; margin "
                 f"{1 - worst_ratio:.3g})"),
        evidence={"networks": nets, "points": checked, "worst_ratio": worst_ratio, "seed": seed})
