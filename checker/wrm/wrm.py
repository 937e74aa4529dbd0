r"""WRM (Algorithm 1 of Sinha, Namkoong, Duchi, ICLR 2018): Wasserstein-robust training.

.. math::

    \hat z_i \approx \arg\max_z\{\ell(\theta; (z, y_i)) - \gamma\lVert z - x_i\rVert_2^2\},
    \qquad \theta \leftarrow \theta - \alpha\, \nabla_\theta \tfrac1B \sum_i \ell(\theta; \hat z_i).

The outer gradient is Danskin's (Lemma 1 [P]): :math:`\nabla_\theta\phi_\gamma(\theta; x) =
\nabla_\theta\ell(\theta; z^\star)`, so :math:`\hat z` is a constant in the outer step (no
gradient through the ascent). The inner maximisation is :mod:`checker.wrm.inner` with the
authors' official schedule by default.

Penalty choices of the paper [P]: :math:`\gamma = 2` on the synthetic task;
:math:`\gamma = 0.04\,C_2` on MNIST with :math:`C_2 = \mathbb{E}_n\lVert X\rVert_2` computed from
the training data (:func:`paper_gamma`). The TF code's ``eps`` equals :math:`1/(2\gamma)`.
"""

from __future__ import annotations

from checker.wrm.inner import InnerConfig, InnerResult, maximize_inner

__all__ = ["WRMConfig", "perturb", "inner", "paper_gamma", "MNIST_GAMMA_FACTOR", "SYNTHETIC_GAMMA"]

WRMConfig = InnerConfig

#: γ = 0.04·C₂ on MNIST [P §4.2].
MNIST_GAMMA_FACTOR = 0.04
#: γ = 2 on the synthetic task [P §4.1].
SYNTHETIC_GAMMA = 2.0


def paper_gamma(dataset_name: str, x_train) -> float:
    """The paper's γ: 2 for ``synthetic``; otherwise 0.04·C₂ of ``x_train`` (the MNIST rule,
    applied to other image/tabular sets as a project choice [R])."""
    if dataset_name == "synthetic":
        return SYNTHETIC_GAMMA
    from checker.wrm.data import C2

    return MNIST_GAMMA_FACTOR * C2(x_train)


def inner(model, x, y, config: InnerConfig, *, loss_fn=None, generator=None) -> InnerResult:
    """The inner maximisation (see :func:`checker.wrm.inner.maximize_inner`)."""
    return maximize_inner(model, x, y, config, loss_fn=loss_fn)


def perturb(model, x, y, config: InnerConfig, *, loss_fn=None, generator=None):
    """:math:`\\hat z` of the WRM (Lagrangian) attack/training step at penalty ``config.gamma``."""
    return maximize_inner(model, x, y, config, loss_fn=loss_fn).z
