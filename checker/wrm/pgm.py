r"""PGM, the projected gradient method (Madry et al. 2018), as used by Sinha et al.

Paper: Sinha, Namkoong, Duchi, ICLR 2018, eq. (16) of the submission / (18) camera-ready [P]:

.. math::

    \Delta x_i^{t}(\theta) = \arg\max_{\lVert\eta\rVert_p\le\epsilon}
        \nabla_x\ell(\theta; x_i^t, y_i)^\top\eta, \qquad
    x_i^{t+1} = \Pi_{\mathcal{B}_{\epsilon,p}(x_i)}\{x_i^t + \alpha_t \Delta x_i^t(\theta)\}.

=================  ==========================================
paper symbol       argument
=================  ==========================================
:math:`\epsilon`   ``PGMConfig.eps``
:math:`p`          ``PGMConfig.norm`` ("2" or "inf")
:math:`T_{adv}`    ``PGMConfig.steps`` (15, as in the paper)
:math:`\alpha_t`   ``PGMConfig.step_size`` (a multiple of Δ's unit-budget direction)
=================  ==========================================

The paper does not give :math:`\alpha_t`; our default [R] moves :math:`2.5\,\epsilon/T_{adv}`
per step (Madry et al.'s rule), i.e. :math:`\alpha_t\Delta = 2.5/T_{adv}\cdot\Delta`. The random
start [R] is uniform in the ball (``random_start=True``; for ℓ2 a Gaussian direction times
:math:`\epsilon U^{1/d}`), drawn from the given ``torch.Generator``.
"""

from __future__ import annotations

from dataclasses import dataclass

from checker.validate import nonnegative, positive, positive_int
from checker.wrm._grad import (apply_clip, ascent_direction, check_clip, check_norm, input_gradient,
                               project, uniform_ball)
from checker.wrm._mode import frozen_eval

__all__ = ["PGMConfig", "perturb", "PGM_STEP_FACTOR"]

#: Default per-step move as a multiple of eps/steps (Madry et al.'s 2.5·ε/T rule) [R].
PGM_STEP_FACTOR = 2.5


@dataclass(frozen=True, kw_only=True)
class PGMConfig:
    eps: float
    norm: str = "2"
    steps: int = 15
    step_size: float | None = None
    random_start: bool = True
    clip: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "eps", nonnegative("eps", self.eps))
        object.__setattr__(self, "norm", check_norm(self.norm))
        object.__setattr__(self, "steps", positive_int("steps", self.steps))
        if self.step_size is not None:
            object.__setattr__(self, "step_size", positive("step_size", self.step_size))

    @property
    def alpha(self) -> float:
        """Length (in the attack norm) of each step before projection."""
        return self.step_size if self.step_size is not None else PGM_STEP_FACTOR * self.eps / self.steps


def perturb(model, x, y, config: PGMConfig, *, loss_fn=None, generator=None):
    """Projected steepest ascent in the ``eps``-ball around ``x`` (detached; ``x`` not modified)."""
    from checker.wrm.inner import _check_inputs, default_loss

    _check_inputs(x, y)
    clip = check_clip(config.clip, x)
    x0 = x.detach()
    if config.eps == 0:
        return x0.clone()
    z = x0.clone()
    if config.random_start:
        z = apply_clip(x0 + uniform_ball(x0, config.eps, config.norm, generator), clip)
    with frozen_eval(model):
        for _ in range(config.steps):
            g = input_gradient(model, z, y, loss_fn or default_loss)
            z = x0 + project(z + config.alpha * ascent_direction(g, config.norm) - x0, config.eps, config.norm)
            z = apply_clip(z, clip)
    return z.detach()
