r"""Experiment checks of the WRM inner maximisation, cited by ``proofs/sinha.toml``.

Both are sampled evidence (random problems drawn from a seed), never proofs.

* ``sinha.closed_form_linear`` — on random linear models with squared loss and
  :math:`\gamma = \lVert\theta\rVert^2/2 + \text{margin}`, the inner solver run to gradient-norm
  tolerance reaches :math:`\phi_\gamma = \gamma r^2/(2\gamma - \lVert\theta\rVert^2)` and
  :math:`z^\star` (docs/math/sinha.md, "A closed form for testing" [D]) within the bounds implied by the tolerance
  (gap :math:`\le \mathrm{tol}^2/(2\mu)`, distance :math:`\le \mathrm{tol}/\mu`, docs/math/sinha.md,
  "What makes a computed certificate sound").
* ``sinha.inner_ascent_monotone`` — on random smooth problems in the strongly concave regime
  :math:`\gamma > L_{zz}/2` (linear/squared with :math:`L_{zz} = \lVert\theta\rVert^2`, logistic with
  :math:`L_{zz} = \lVert\theta\rVert^2/4`, both exact), the official-schedule objective never
  decreases from one ascent step to the next.
"""

from __future__ import annotations

from checker.experiments import ExperimentResult, experiment
from checker.tolerances import WRM_FLOAT64_SLACK, WRM_INNER_GRAD_TOL

__all__ = ["closed_form_linear", "inner_ascent_monotone", "closed_form_worst", "monotone_worst"]


def _draw(gen, m: int, n: int, *, margin_lo=0.05, margin_hi=2.0):
    import torch

    theta = torch.randn(m, generator=gen, dtype=torch.float64) * 1.5
    x = torch.randn(n, m, generator=gen, dtype=torch.float64) * 2.0
    y = torch.randn(n, generator=gen, dtype=torch.float64) * 2.0
    margin = margin_lo + (margin_hi - margin_lo) * float(torch.rand(1, generator=gen, dtype=torch.float64))
    return theta, x, y, margin


def closed_form_worst(theta, x, y, gamma: float) -> dict:
    """Run the solver to tolerance on one problem; return the worst normalised margins
    (each must be <= 1 for the check to pass) and raw errors."""
    import torch

    from checker.wrm.inner import InnerConfig, maximize_inner
    from checker.wrm.toy import closed_form, linear_model, squared_loss

    cf = closed_form(theta, x, y, gamma)
    # constant step 1/(2γ) (the first official step): contracts the error along θ by
    # ||θ||²/(2γ) per step (§8.4), so the tolerance is reached fast.
    cfg = InnerConfig(gamma=gamma, step_rule="constant", step_size=1 / (2 * gamma),
                      tol=WRM_INNER_GRAD_TOL, max_steps=200000)
    res = maximize_inner(linear_model(theta), x, y, cfg, loss_fn=squared_loss)
    scale = 1.0 + cf.phi.abs()
    gap_bound = res.grad_norm**2 / (2 * cf.mu) + WRM_FLOAT64_SLACK * scale
    gap = cf.phi - res.objective                         # must be in [-slack, gap_bound]
    dist = (res.z - cf.z_star).norm(dim=1)
    dist_bound = res.grad_norm / cf.mu + WRM_FLOAT64_SLACK * (1 + cf.z_star.norm(dim=1))
    return {
        "converged": bool(res.converged),
        "steps": res.steps_taken,
        "gap_ratio": float(torch.max(gap / gap_bound)),
        "overshoot_ratio": float(torch.max(-gap / (WRM_FLOAT64_SLACK * scale))),
        "dist_ratio": float(torch.max(dist / dist_bound)),
        "max_abs_phi_error": float(gap.abs().max()),
        "max_z_error": float(dist.max()),
    }


@experiment("sinha.closed_form_linear",
            description="Inner solver run to tolerance reaches the closed-form phi_gamma and z* of a "
                        "linear model with squared loss (docs/math/sinha.md, A closed form for testing), on random problems.")
def closed_form_linear(*, seed: int, quick: bool) -> ExperimentResult:
    import torch

    gen = torch.Generator().manual_seed(int(seed))
    n_problems = 10 if quick else 200
    worst = {"gap_ratio": -float("inf"), "overshoot_ratio": -float("inf"), "dist_ratio": -float("inf"),
             "max_abs_phi_error": 0.0, "max_z_error": 0.0}
    all_conv = True
    for _ in range(n_problems):
        m = int(torch.randint(1, 6, (1,), generator=gen))
        theta, x, y, margin = _draw(gen, m, 8)
        gamma = float(theta @ theta) / 2 + margin
        w = closed_form_worst(theta, x, y, gamma)
        all_conv &= w["converged"]
        for k in worst:
            worst[k] = max(worst[k], w[k])
    passed = all_conv and worst["gap_ratio"] <= 1 and worst["overshoot_ratio"] <= 1 and worst["dist_ratio"] <= 1
    summary = (f"sampled {n_problems} random linear/squared-loss problems (8 points each, dims 1-5, "
               f"gamma = ||theta||^2/2 + margin in [0.05, 2]); solver run to ||grad|| <= {WRM_INNER_GRAD_TOL:g}; "
               f"worst |phi error| {worst['max_abs_phi_error']:.3g}, worst ||z - z*|| {worst['max_z_error']:.3g}; "
               f"worst used fraction of the allowed gap {worst['gap_ratio']:.3g} and distance {worst['dist_ratio']:.3g}")
    return ExperimentResult(passed=bool(passed), summary=summary,
                            evidence={"n_problems": n_problems, "seed": seed, "all_converged": all_conv,
                                      "tolerance": WRM_INNER_GRAD_TOL, "slack": WRM_FLOAT64_SLACK, **worst})


def monotone_worst(model, x, y, gamma: float, loss_fn, steps: int) -> float:
    """Largest decrease of the objective between consecutive official-schedule iterates,
    divided by the float slack (<= 1 means 'never decreased')."""
    import torch

    from checker.wrm.inner import InnerConfig, maximize_inner

    res = maximize_inner(model, x, y, InnerConfig(gamma=gamma, steps=steps), loss_fn=loss_fn, record=True)
    tr = res.trace
    drop = tr[:-1] - tr[1:]                              # > 0 means a decrease
    slack = WRM_FLOAT64_SLACK * (1 + tr[:-1].abs())
    return float(torch.max(drop / slack))


@experiment("sinha.inner_ascent_monotone",
            description="Official-schedule inner ascent never decreases the objective in the strongly "
                        "concave regime gamma > L_zz/2, on random linear/squared and logistic problems.")
def inner_ascent_monotone(*, seed: int, quick: bool) -> ExperimentResult:
    import torch

    from checker.wrm.toy import linear_model, logistic_loss, squared_loss

    gen = torch.Generator().manual_seed(int(seed))
    n_problems = 10 if quick else 200
    worst = -float("inf")
    for i in range(n_problems):
        m = int(torch.randint(1, 6, (1,), generator=gen))
        theta, x, y, margin = _draw(gen, m, 8)
        if i % 2 == 0:
            gamma, loss_fn, yy = float(theta @ theta) / 2 + margin, squared_loss, y
        else:
            gamma, loss_fn, yy = float(theta @ theta) / 8 + margin, logistic_loss, (y > 0).long()
        worst = max(worst, monotone_worst(linear_model(theta), x, yy, gamma, loss_fn, steps=32))
    passed = worst <= 1.0
    summary = (f"sampled {n_problems} random smooth problems (linear/squared and logistic, 8 points, "
               f"32 official steps, gamma = L_zz/2 + margin in [0.05, 2]); worst per-step decrease was "
               f"{worst:.3g} x the float64 slack {WRM_FLOAT64_SLACK:g} (<= 1 passes)")
    return ExperimentResult(passed=bool(passed), summary=summary,
                            evidence={"n_problems": n_problems, "seed": seed, "steps": 32,
                                      "worst_decrease_over_slack": worst, "slack": WRM_FLOAT64_SLACK})
