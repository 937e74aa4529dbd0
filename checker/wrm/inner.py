r"""The inner maximisation of WRM: the robust surrogate :math:`\phi_\gamma` by gradient ascent.

Paper: A. Sinha, H. Namkoong, J. Duchi, *Certifying Some Distributional Robustness with
Principled Adversarial Training*, ICLR 2018 (arXiv 1710.10571), eq. (2b), Algorithm 1 and the
covariate-shift cost (8); the step schedule is the authors' released TF code
(``attacks_tf.wrm``; the soundness of the gradient-norm correction is in docs/math/sinha.md,
"What makes a computed certificate sound").

.. math::

    f(z) = \ell(\theta; (z, y)) - \gamma\, c(z, x), \qquad
    c(z, x) = \lVert z - x \rVert_2^2 \ \text{(summed over all feature dimensions, per example)},

    \phi_\gamma(\theta; (x, y)) = \sup_z f(z), \qquad
    z^{k+1} = z^k + \eta_k \nabla_z f(z^k),\quad z^0 = x .

Only the features move; the label :math:`y` never does (the :math:`\infty\cdot 1\{y\ne y'\}`
part of cost (8)).

==========================  =======================================================
paper symbol                argument
==========================  =======================================================
:math:`\gamma`              ``InnerConfig.gamma`` (the TF code's ``eps`` is ``1/(2γ)``)
:math:`\ell(\theta; z)`     ``loss_fn(model(z), y)`` (per-example; default cross-entropy)
:math:`x` / :math:`z_0`     ``x``
:math:`T_\gamma(\theta;x)`  ``InnerResult.z`` (an approximation of it)
:math:`\phi_\gamma`         ``InnerResult.objective`` (a *lower* estimate of it, §8.2)
:math:`c(T_\gamma, x)`      ``InnerResult.transport_cost`` (its mean is :math:`\hat\rho_n`)
==========================  =======================================================

Step rules:

* ``"official"`` [C]: :math:`\eta_k = \frac{1}{2\gamma}\frac{1}{\sqrt{k+1}}`, :math:`k=0..15` by
  default (16 gradient steps), exactly the released code (its ``eps`` is :math:`1/(2\gamma)`).
* ``"constant"`` [R]: :math:`\eta_k = ` ``step_size``.

With ``tol`` set the ascent runs until every example has :math:`\lVert\nabla_z f\rVert_2 \le`
``tol`` (at most ``max_steps`` steps) and reports whether it converged. Only with a certified
strong-concavity modulus :math:`\mu` does the returned gradient norm bound the gap,
:math:`\phi_\gamma \le f(\hat z) + \lVert\nabla f(\hat z)\rVert^2/(2\mu)` (§8.3, [D]); this module
computes the ingredients and claims nothing about :math:`\mu`.

Contract [R]: no parameter gradients are computed (``torch.autograd.grad`` with respect to
``z`` only, parameters frozen and restored), ``x`` is never mutated, the model runs in
``eval()`` mode during the ascent and its mode is restored in ``finally``; the per-example
objectives are summed before differentiation, so each example's gradient is exactly its own
(no batch coupling). Works for any input shape ``(N, ...)``, on CPU and CUDA, float32/float64.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from checker.errors import InvalidArgument
from checker.validate import integer, one_of, positive
from checker.wrm._mode import frozen_eval

__all__ = ["InnerConfig", "InnerResult", "maximize_inner", "transport_cost",
           "default_loss", "official_step", "gamma_from_tf_eps", "tf_eps_from_gamma"]

STEP_RULES = ("official", "constant")


@dataclass(frozen=True, kw_only=True)
class InnerConfig:
    """Configuration of the inner ascent (validated at construction).

    ``gamma``: the penalty :math:`\\gamma > 0`. ``steps``: number of ascent steps when ``tol``
    is None (the official code takes 16). ``step_rule``: ``"official"`` or ``"constant"``;
    ``step_size`` is required for (and only allowed with) ``"constant"``. ``tol``: stop when
    every example's :math:`\\lVert\\nabla_z f\\rVert_2 \\le` ``tol``; then ``max_steps`` bounds
    the work and ``steps`` is not used.
    """

    gamma: float
    steps: int = 16
    step_rule: str = "official"
    step_size: float | None = None
    tol: float | None = None
    max_steps: int = 10000

    def __post_init__(self) -> None:
        object.__setattr__(self, "gamma", positive("gamma", self.gamma))
        object.__setattr__(self, "steps", integer("steps", self.steps, min_value=0))
        one_of("step_rule", self.step_rule, STEP_RULES)
        if self.step_rule == "constant":
            if self.step_size is None:
                raise InvalidArgument("step_size", None, "is required when step_rule='constant'")
            object.__setattr__(self, "step_size", positive("step_size", self.step_size))
        elif self.step_size is not None:
            raise InvalidArgument("step_size", self.step_size,
                                  "must be None when step_rule='official' (its step is 1/(2*gamma))/sqrt(k+1))")
        if self.tol is not None:
            object.__setattr__(self, "tol", positive("tol", self.tol))
        object.__setattr__(self, "max_steps", integer("max_steps", self.max_steps, min_value=1))

    def step(self, k: int) -> float:
        """Step size :math:`\\eta_k` of ascent step ``k`` (0-based)."""
        if self.step_rule == "official":
            return official_step(self.gamma, k)
        assert self.step_size is not None
        return self.step_size


@dataclass(frozen=True, kw_only=True)
class InnerResult:
    """What the ascent returned, all evaluated at the returned ``z``.

    ``z``: detached, same shape/dtype/device as ``x``. ``objective`` (n,): :math:`f(z)`, a lower
    estimate of :math:`\\phi_\\gamma`. ``loss`` (n,): :math:`\\ell(\\theta; z)`.
    ``transport_cost`` (n,): :math:`\\lVert z - x\\rVert_2^2`. ``grad_norm`` (n,):
    :math:`\\lVert\\nabla_z f(z)\\rVert_2`. ``steps_taken``: ascent updates made.
    ``converged``: None when no ``tol`` was set, else whether every example met it.
    ``trace``: with ``record=True``, the objective at every iterate, shape
    ``(steps_taken + 1, n)`` (row 0 is :math:`f(x)`); else None.
    """

    z: object
    objective: object
    loss: object
    transport_cost: object
    grad_norm: object
    steps_taken: int
    converged: bool | None
    trace: object = None

    @property
    def rho_hat(self) -> float:
        """:math:`\\hat\\rho_n = ` mean transport cost (eq. (10))."""
        return float(self.transport_cost.mean())

    @property
    def surrogate(self) -> float:
        """Mean objective :math:`\\mathbb{E}_n[f(\\hat z)]` (a lower estimate of :math:`\\mathbb{E}_n\\phi_\\gamma`)."""
        return float(self.objective.mean())


def official_step(gamma: float, k: int) -> float:
    """:math:`\\frac{1}{2\\gamma\\sqrt{k+1}}`: step ``k`` of the authors' code (``eps/sqrt(k+1)``)."""
    return 1.0 / (2.0 * gamma * math.sqrt(k + 1))


def tf_eps_from_gamma(gamma: float) -> float:
    """The TF code's ``eps`` for a penalty :math:`\\gamma`: ``eps = 1/(2γ)`` ([D], §6.1)."""
    return 1.0 / (2.0 * positive("gamma", gamma))


def gamma_from_tf_eps(eps: float) -> float:
    """:math:`\\gamma = 1/(2\\,\\mathrm{eps})`; e.g. the official ``eps=1.3`` gives γ ≈ 0.3846."""
    return 1.0 / (2.0 * positive("eps", eps))


def default_loss(logits, y):
    """Per-example cross-entropy on logits, ``reduction="none"``."""
    import torch.nn.functional as F

    return F.cross_entropy(logits, y, reduction="none")


def transport_cost(z, x):
    """:math:`\\lVert z_i - x_i\\rVert_2^2` per example, summed over every feature dimension."""
    n = x.shape[0]
    return (z - x).reshape(n, -1).pow(2).sum(dim=1)


def _check_inputs(x, y) -> None:
    import torch

    if not isinstance(x, torch.Tensor):
        raise InvalidArgument("x", type(x).__name__, "must be a torch.Tensor of shape (N, ...)")
    if x.ndim < 1 or x.shape[0] == 0:
        raise InvalidArgument("x", tuple(x.shape), "must have shape (N, ...) with N >= 1")
    if not torch.is_floating_point(x):
        raise InvalidArgument("x", x.dtype, "must be a floating-point tensor")
    if not isinstance(y, torch.Tensor) or y.shape[:1] != x.shape[:1]:
        raise InvalidArgument("y", getattr(y, "shape", type(y).__name__),
                              f"must be a tensor with first dimension N={x.shape[0]}")


def _evaluate(model, z, x0, y, gamma: float, loss_fn: Callable):
    """f, ℓ, c and ∇_z f at ``z`` (per example); gradients w.r.t. z only."""
    import torch

    n = z.shape[0]
    with torch.enable_grad():
        zz = z.detach().requires_grad_(True)
        loss = loss_fn(model(zz), y)
        if not isinstance(loss, torch.Tensor) or tuple(loss.shape) != (n,):
            raise InvalidArgument("loss_fn", getattr(loss, "shape", type(loss).__name__),
                                  f"must return per-example losses of shape ({n},)")
        cost = transport_cost(zz, x0)
        obj = loss - gamma * cost
        # Summing per-example objectives keeps each example's gradient exactly its own.
        (grad,) = torch.autograd.grad(obj.sum(), zz)
    return obj.detach(), loss.detach(), cost.detach(), grad


def maximize_inner(model, x, y, config: InnerConfig, *, loss_fn: Callable | None = None,
                   record: bool = False) -> InnerResult:
    """Approximately maximise :math:`f(z) = \\ell(\\theta; z) - \\gamma\\lVert z - x\\rVert^2`.

    ``model`` maps ``(N, ...)`` inputs to logits; ``loss_fn(logits, y)`` returns per-example
    losses of shape ``(N,)`` (default cross-entropy). ``record=True`` keeps the objective at
    every iterate in ``InnerResult.trace``. Returns an :class:`InnerResult`.
    """
    import torch

    if not isinstance(config, InnerConfig):
        raise InvalidArgument("config", type(config).__name__, "must be an InnerConfig")
    _check_inputs(x, y)
    loss_fn = default_loss if loss_fn is None else loss_fn
    gamma = config.gamma
    n = x.shape[0]
    x0 = x.detach()
    with frozen_eval(model):
        z = x0.clone()
        limit = config.steps if config.tol is None else config.max_steps
        taken = 0
        obj, loss, cost, grad = _evaluate(model, z, x0, y, gamma, loss_fn)
        trace = [obj] if record else None
        for k in range(limit):
            if config.tol is not None and bool((grad.reshape(n, -1).norm(dim=1) <= config.tol).all()):
                break  # converged: every row's gradient is within tol
            z = z + config.step(k) * grad
            taken += 1
            obj, loss, cost, grad = _evaluate(model, z, x0, y, gamma, loss_fn)
            if trace is not None:
                trace.append(obj)
        gnorm = grad.reshape(n, -1).norm(dim=1)
        converged = None if config.tol is None else bool((gnorm <= config.tol).all())
    return InnerResult(z=z.detach(), objective=obj, loss=loss, transport_cost=cost,
                       grad_norm=gnorm, steps_taken=taken, converged=converged,
                       trace=None if trace is None else torch.stack(trace))
