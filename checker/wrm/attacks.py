r"""Evaluation attacks of Sinha, Namkoong, Duchi, ICLR 2018 §4.2: test error against a sweep of
norm-ball budgets (Fig. 3: ℓ2 and ℓ∞ PGM; also FGM/IFGM) and the WRM (Lagrangian) attack at a
sweep of penalties :math:`\gamma_{adv}` (Fig. 4(a)):

.. math::

    \mathrm{err}(\epsilon) = \frac1n\sum_i 1\{\arg\max_k f_k(\tilde x_i(\epsilon)) \ne y_i\},
    \qquad
    \hat\rho_{test}(\gamma_{adv}) = \mathbb{E}_{\hat P_{test}}[c(T_{\gamma_{adv}}(\theta; Z), Z)].

A sweep is sampled evidence about one model on one data set; no result here is a certificate.
The WRM attack's points are feasible, so its loss is a *lower* bound on the worst case at the
radius it reaches (docs/math/sinha.md, "What makes a computed certificate sound").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from checker.errors import InvalidArgument
from checker.validate import nonnegative, one_of, positive, positive_int

__all__ = ["BudgetSweep", "WRMSweep", "budget_sweep", "wrm_sweep", "ATTACKS"]

ATTACKS = ("pgm", "fgm", "ifgm")


@dataclass(frozen=True, kw_only=True)
class BudgetSweep:
    """Test error of one norm-ball attack at each budget (``errors[i]`` at ``budgets[i]``)."""

    attack: str
    norm: str
    budgets: tuple[float, ...]
    errors: tuple[float, ...]
    mean_loss: tuple[float, ...]
    n: int
    steps: int
    seed: int


@dataclass(frozen=True, kw_only=True)
class WRMSweep:
    """The WRM attack at each γ_adv: ρ̂_test, mean loss at ẑ, mean objective and error."""

    gammas: tuple[float, ...]
    rho_test: tuple[float, ...]
    mean_loss: tuple[float, ...]
    surrogate: tuple[float, ...]
    errors: tuple[float, ...]
    n: int
    steps: int


def _batches(n, bs):
    return [(i, min(i + bs, n)) for i in range(0, n, bs)]


def budget_sweep(model, x, y, *, attack: str = "pgm", norm: str = "2",
                 budgets: Sequence[float], steps: int = 15, seed: int = 0,
                 batch_size: int = 500, clip=None, loss_fn=None) -> BudgetSweep:
    """Error of ``attack`` (pgm, fgm, ifgm) in the ``norm`` ball at each budget."""
    import torch

    from checker.wrm._grad import check_norm
    from checker.wrm._mode import frozen_eval
    from checker.wrm.inner import default_loss
    from checker.wrm.methods import make_config, perturb

    one_of("attack", attack, ATTACKS)
    norm = check_norm(norm)
    budgets = tuple(nonnegative("budget", b) for b in budgets)
    if not budgets:
        raise InvalidArgument("budgets", budgets, "must contain at least one budget")
    steps = positive_int("steps", steps)
    loss_fn = loss_fn or default_loss
    dev = next(model.parameters()).device
    gen = torch.Generator(device=dev).manual_seed(int(seed))
    errors, losses = [], []
    from checker.wrm._threads import threads_for

    with threads_for(model):
        for eps in budgets:
            cfg = make_config(attack, eps=eps, norm=norm, steps=steps, clip=clip)
            wrong, tot = 0, 0.0
            for a, b in _batches(x.shape[0], batch_size):
                z = perturb(attack, model, x[a:b], y[a:b], cfg, loss_fn=loss_fn, generator=gen)
                with frozen_eval(model), torch.no_grad():
                    logits = model(z)
                    wrong += int((logits.argmax(1) != y[a:b]).sum())
                    tot += float(loss_fn(logits, y[a:b]).sum())
            errors.append(wrong / x.shape[0])
            losses.append(tot / x.shape[0])
    return BudgetSweep(attack=attack, norm=norm, budgets=budgets, errors=tuple(errors),
                       mean_loss=tuple(losses), n=int(x.shape[0]), steps=steps, seed=int(seed))


def wrm_sweep(model, x, y, *, gammas: Sequence[float], steps: int = 16,
              batch_size: int = 500, loss_fn=None) -> WRMSweep:
    """The Lagrangian (WRM) attack, official schedule, at each ``γ_adv``."""


    gammas = tuple(positive("gamma_adv", g) for g in gammas)
    if not gammas:
        raise InvalidArgument("gammas", gammas, "must contain at least one gamma_adv")
    from checker.wrm._threads import threads_for

    with threads_for(model):
        return _wrm_sweep(model, x, y, gammas, steps, batch_size, loss_fn)


def _wrm_sweep(model, x, y, gammas, steps, batch_size, loss_fn) -> WRMSweep:
    import torch

    from checker.wrm._mode import frozen_eval
    from checker.wrm.inner import InnerConfig, maximize_inner

    rho, loss, sur, err = [], [], [], []
    n = x.shape[0]
    for g in gammas:
        cfg = InnerConfig(gamma=g, steps=steps)
        s = {"rho": 0.0, "loss": 0.0, "sur": 0.0, "wrong": 0}
        for a, b in _batches(n, batch_size):
            r = maximize_inner(model, x[a:b], y[a:b], cfg, loss_fn=loss_fn)
            s["rho"] += float(r.transport_cost.sum())
            s["loss"] += float(r.loss.sum())
            s["sur"] += float(r.objective.sum())
            with frozen_eval(model), torch.no_grad():
                s["wrong"] += int((model(r.z).argmax(1) != y[a:b]).sum())
        rho.append(s["rho"] / n)
        loss.append(s["loss"] / n)
        sur.append(s["sur"] / n)
        err.append(s["wrong"] / n)
    return WRMSweep(gammas=gammas, rho_test=tuple(rho), mean_loss=tuple(loss),
                    surrogate=tuple(sur), errors=tuple(err), n=int(n), steps=int(steps))
