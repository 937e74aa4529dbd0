r"""IFGM, the iterated fast gradient method (Kurakin et al. 2017), as used by Sinha et al.

The paper says only "FGM iterated :math:`T_{adv}` times" (ICLR 2018 §4, [P]); the step rule is
project-defined [R]: :math:`T_{adv}` FGM steps of size :math:`\epsilon/T_{adv}` each,
each step re-linearising at the current point,

.. math::

    z^0 = x, \qquad z^{t+1} = z^t + \frac{\epsilon}{T_{adv}}
        \arg\max_{\lVert\eta\rVert_p\le 1}\nabla_z\ell(\theta; z^t)^\top\eta .

By the triangle inequality :math:`\lVert z^{T} - x\rVert_p \le \epsilon`, so no projection is
needed (one is applied anyway, to absorb rounding). :math:`T_{adv} = 15` as in the paper.
"""

from __future__ import annotations

from dataclasses import dataclass

from checker.validate import nonnegative, positive_int
from checker.wrm._grad import apply_clip, ascent_direction, check_clip, check_norm, input_gradient, project
from checker.wrm._mode import frozen_eval

__all__ = ["IFGMConfig", "perturb"]


@dataclass(frozen=True, kw_only=True)
class IFGMConfig:
    eps: float
    norm: str = "2"
    steps: int = 15
    clip: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "eps", nonnegative("eps", self.eps))
        object.__setattr__(self, "norm", check_norm(self.norm))
        object.__setattr__(self, "steps", positive_int("steps", self.steps))


def perturb(model, x, y, config: IFGMConfig, *, loss_fn=None, generator=None):
    """``T_adv`` FGM steps of size ``eps/T_adv`` from ``x`` (detached; ``x`` not modified)."""
    from checker.wrm.inner import _check_inputs, default_loss

    _check_inputs(x, y)
    clip = check_clip(config.clip, x)
    x0 = x.detach()
    if config.eps == 0:
        return x0.clone()
    alpha = config.eps / config.steps
    z = x0.clone()
    with frozen_eval(model):
        for _ in range(config.steps):
            g = input_gradient(model, z, y, loss_fn or default_loss)  # fresh gradient each step
            z = x0 + project(z + alpha * ascent_direction(g, config.norm) - x0, config.eps, config.norm)
            z = apply_clip(z, clip)
    return z.detach()
