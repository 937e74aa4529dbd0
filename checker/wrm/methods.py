r"""The five training methods behind one interface (Sinha, Namkoong, Duchi, ICLR 2018 §4):
ERM, FGM, IFGM, PGM and WRM.

Each method module exposes ``perturb(model, x, y, config, *, loss_fn=None, generator=None)``
returning the (detached) training input; :func:`train_step` is the one outer step all share:

.. math:: \theta \leftarrow \mathrm{opt}\big(\theta,\ \nabla_\theta \tfrac1B\sum_i \ell(\theta; \tilde x_i)\big),

with :math:`\tilde x = x` for ERM and the adversarial point otherwise. Baselines train on the
adversarial loss only (as the official WRM code does with its mixing weight ``p = 1``); the
paper states no mixing weight for FGM/IFGM/PGM [R].
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from checker.validate import one_of

__all__ = ["METHODS", "method_module", "make_config", "StepResult", "train_step", "perturb"]

METHODS = ("erm", "fgm", "ifgm", "pgm", "wrm")


def method_module(name: str) -> ModuleType:
    import importlib

    one_of("method", name, METHODS)
    return importlib.import_module(f"checker.wrm.{name}")


def make_config(name: str, *, gamma: float | None = None, eps: float | None = None,
                norm: str = "2", steps: int | None = None, clip=None):
    """The configuration object of method ``name`` from the shared knobs.

    ``steps`` is T_adv for IFGM/PGM (default 15) and the number of inner steps for WRM
    (default 16 = the official code's 1 + 15).
    """
    from checker.errors import InvalidArgument

    one_of("method", name, METHODS)
    if name == "erm":
        from checker.wrm.erm import ERMConfig

        return ERMConfig()
    if name == "wrm":
        from checker.wrm.inner import InnerConfig

        if gamma is None:
            raise InvalidArgument("gamma", None, "is required for WRM")
        return InnerConfig(gamma=gamma, steps=16 if steps is None else steps)
    if eps is None:
        raise InvalidArgument("eps", None, f"is required for {name.upper()}",
                              hint="give eps explicitly or match it to a WRM run (eps^2 = rho_hat)")
    if name == "fgm":
        from checker.wrm.fgm import FGMConfig

        return FGMConfig(eps=eps, norm=norm, clip=clip)
    if name == "ifgm":
        from checker.wrm.ifgm import IFGMConfig

        return IFGMConfig(eps=eps, norm=norm, steps=15 if steps is None else steps, clip=clip)
    from checker.wrm.pgm import PGMConfig

    return PGMConfig(eps=eps, norm=norm, steps=15 if steps is None else steps, clip=clip)


def perturb(name: str, model, x, y, config, *, loss_fn=None, generator=None):
    return method_module(name).perturb(model, x, y, config, loss_fn=loss_fn, generator=generator)


@dataclass(frozen=True, kw_only=True)
class StepResult:
    """One outer step: mean training loss at the (adversarial) inputs, accuracy on them, and for
    WRM the batch's mean transport cost (ρ̂ estimate) and mean objective (E[φ_γ] estimate)."""

    loss: float
    accuracy: float
    rho: float | None = None
    surrogate: float | None = None


def train_step(name: str, model, optimizer, x, y, config, *, loss_fn=None, generator=None) -> StepResult:
    """Perturb (no parameter gradients), then one optimizer step on the mean loss."""
    from checker.wrm.inner import default_loss, maximize_inner

    loss_fn = loss_fn or default_loss
    rho = surrogate = None
    if name == "wrm":
        res = maximize_inner(model, x, y, config, loss_fn=loss_fn)
        xt, rho, surrogate = res.z, res.rho_hat, res.surrogate
    else:
        xt = perturb(name, model, x, y, config, loss_fn=loss_fn, generator=generator)
    optimizer.zero_grad(set_to_none=True)
    logits = model(xt)
    loss = loss_fn(logits, y).mean()
    loss.backward()
    optimizer.step()
    acc = float((logits.detach().argmax(dim=1) == y).double().mean())
    return StepResult(loss=float(loss.detach()), accuracy=acc, rho=rho, surrogate=surrogate)
