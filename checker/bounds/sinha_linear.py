r"""Closed form of the robust surrogate for a linear model with squared loss (project derivation,
docs/math/sinha.md, linear closed form, [D]; a test oracle for Sinha, Namkoong, Duchi, ICLR 2018, eq. (2b)).

For :math:`\ell(\theta;z)=\tfrac12(\theta^\top z-y)^2`, :math:`c(z,x)=\|z-x\|_2^2`,
:math:`\mathcal Z=\mathbb R^m`, :math:`r=\theta^\top x-y` and :math:`\gamma>\|\theta\|^2/2`:

.. math::

    \phi_\gamma=\frac{\gamma r^2}{2\gamma-\|\theta\|^2},\qquad
    z^\star=x+\frac{r}{2\gamma-\|\theta\|^2}\theta,\qquad
    c(z^\star,x)=\frac{r^2\|\theta\|^2}{(2\gamma-\|\theta\|^2)^2},\qquad
    \ell(\theta;z^\star)=\frac{2\gamma^2r^2}{(2\gamma-\|\theta\|^2)^2}.

Symbols: ``gamma`` (:math:`\gamma`), ``r`` (residual), ``theta_sq`` (:math:`\|\theta\|_2^2`,
which is also :math:`L_{zz}`). The tests solve :math:`\nabla_zf=0` with sympy for :math:`m=3`.
"""

from __future__ import annotations

import sympy as sp

from checker.bounds._common import SINHA
from checker.bounds.statement import Condition, Param, Statement, register

__all__ = ["LINEAR_CLOSED_FORM"]

P_gamma = Param(name="gamma", paper=r"\gamma", description="Lagrangian penalty")
P_r = Param(name="r", paper="r", description="residual theta^T x - y", domain="real")
P_th = Param(name="theta_sq", paper=r"\|\theta\|_2^2", description="squared norm of theta "
             "(= L_zz of this loss)", domain="nonnegative")
gamma, r, th = P_gamma.symbol, P_r.symbol, P_th.symbol
_den = 2 * gamma - th

LINEAR_CLOSED_FORM = register(Statement(
    id="sinha-linear-closed-form",
    title="Robust surrogate of the linear model with squared loss (closed form)",
    summary="phi_gamma = gamma r^2 / (2 gamma - ||theta||^2) for gamma > ||theta||^2/2",
    paper=SINHA, reference="project derivation, docs/math/sinha.md (linear closed form) [D]",
    reliability="[D]", form="derived",
    params=(P_gamma, P_r, P_th),
    exprs=(("phi", gamma * r**2 / _den),
           ("step", r / _den),
           ("transport_cost", r**2 * th / _den**2),
           ("worst_loss", 2 * gamma**2 * r**2 / _den**2),
           ("modulus", _den)),
    conditions=(Condition(relation=sp.Gt(2 * gamma, th), param="gamma",
                          rule="must exceed ||theta||^2/2 (otherwise phi_gamma is +infinity "
                               "for r != 0)"),),
    notes=("z* = x + step * theta", "phi + gamma * transport_cost = worst_loss (identity (13))"),
    module=__name__,
))
