r"""FGM, the fast gradient method, as a perturbation and as a training method.

Paper: Sinha, Namkoong, Duchi, ICLR 2018, eq. (3) [P] (Goodfellow et al. 2015; ℓ2 variant):

.. math::

    \Delta_{x_i}(\theta) = \arg\max_{\lVert\eta\rVert_p \le \epsilon}
        \nabla_x \ell(\theta; (x_i, y_i))^\top \eta
    = \begin{cases} \epsilon\, \nabla/\lVert\nabla\rVert_2 & p = 2 \\
                    \epsilon\, \operatorname{sign}(\nabla) & p = \infty \end{cases}

===============  =========================
paper symbol     argument
===============  =========================
:math:`\epsilon`  ``FGMConfig.eps``
:math:`p`         ``FGMConfig.norm`` ("2" or "inf")
===============  =========================

No clamping to a data range unless ``clip=(lo, hi)`` is given.
"""

from __future__ import annotations

from dataclasses import dataclass

from checker.validate import nonnegative
from checker.wrm._grad import apply_clip, ascent_direction, check_clip, check_norm, input_gradient
from checker.wrm._mode import frozen_eval

__all__ = ["FGMConfig", "perturb"]


@dataclass(frozen=True, kw_only=True)
class FGMConfig:
    eps: float
    norm: str = "2"
    clip: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "eps", nonnegative("eps", self.eps))
        object.__setattr__(self, "norm", check_norm(self.norm))


def perturb(model, x, y, config: FGMConfig, *, loss_fn=None, generator=None):
    """``x + Δ`` with the FGM step (detached; ``x`` is not modified)."""
    from checker.wrm.inner import _check_inputs, default_loss

    _check_inputs(x, y)
    clip = check_clip(config.clip, x)
    if config.eps == 0:
        return x.detach().clone()
    with frozen_eval(model):
        g = input_gradient(model, x, y, loss_fn or default_loss)
    return apply_clip(x.detach() + config.eps * ascent_direction(g, config.norm), clip).detach()
