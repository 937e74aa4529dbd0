r"""Lemma 1 consequences (Sinha, Namkoong, Duchi, ICLR 2018; arXiv 1710.10571): smoothness of the
robust surrogate and Lipschitz continuity of the transport map (docs/math/sinha.md,
Lemma 1).

.. math::

    L_\phi=L_{\theta\theta}+\frac{L_{\theta z}L_{z\theta}}{[\gamma-L_{zz}]_+},\qquad
    \|T_\gamma(\theta_1;z)-T_\gamma(\theta_2;z)\|\le\frac{L_{z\theta}}{[\gamma-L_{zz}]_+}\|\theta_1-\theta_2\|

(eq. (16) v5 / (14) submission). Both are stated for a 1-strongly convex cost (Assumption A);
for :math:`c=\|\cdot\|_2^2` replace :math:`\gamma-L_{zz}` by :math:`2\gamma-L_{zz}` (docs/math/sinha.md,
cost scaling [D]). The side condition :math:`\gamma>L_{zz}` is checked at evaluation.

Symbols: ``L_thth`` (:math:`L_{\theta\theta}`), ``L_thz`` (:math:`L_{\theta z}`), ``L_zth``
(:math:`L_{z\theta}`), ``L_zz``, ``gamma``.
"""

from __future__ import annotations

import sympy as sp

from checker.bounds._common import SINHA
from checker.bounds.statement import Condition, Param, Statement, register

__all__ = ["LPHI", "TRANSPORT", "P_Lthth", "P_Lthz", "P_Lzth", "P_Lzz", "P_gamma"]

P_Lthth = Param(name="L_thth", paper=r"L_{\theta\theta}", description="theta-smoothness of the "
                "loss", domain="nonnegative")
P_Lthz = Param(name="L_thz", paper=r"L_{\theta z}", description="Lipschitz constant of "
               "grad_theta loss in z", domain="nonnegative")
P_Lzth = Param(name="L_zth", paper=r"L_{z\theta}", description="Lipschitz constant of grad_z "
               "loss in theta", domain="nonnegative")
P_Lzz = Param(name="L_zz", paper="L_{zz}", description="z-smoothness of the loss",
              domain="nonnegative")
P_gamma = Param(name="gamma", paper=r"\gamma", description="Lagrangian penalty", domain="positive")

Lthth, Lthz, Lzth, Lzz, gamma = (P_Lthth.symbol, P_Lthz.symbol, P_Lzth.symbol, P_Lzz.symbol,
                                 P_gamma.symbol)
_COND = Condition(relation=sp.Gt(gamma, Lzz), param="gamma",
                  rule="must exceed L_zz for the inner problem to be strongly concave "
                       "(1-strongly convex cost)")

LPHI = register(Statement(
    id="sinha-lphi",
    title="Lemma 1: gradient-Lipschitz constant of the robust surrogate phi_gamma",
    summary="L_phi = L_thth + L_thz L_zth / (gamma - L_zz)",
    paper=SINHA, reference="Lemma 1 and its application to WRM (§2.1)",
    reliability="[P]", form="paper",
    params=(P_Lthth, P_Lthz, P_Lzth, P_Lzz, P_gamma),
    exprs=(("L_phi", Lthth + Lthz * Lzth / (gamma - Lzz)),),
    conditions=(_COND,),
    senses=(("L_phi", "le"),),
    assumed=("Assumptions A (1-strongly convex cost) and B (Lipschitz gradients)",
             "Z convex and closed, so the inner maximiser exists and is unique"),
    module=__name__,
))

TRANSPORT = register(Statement(
    id="sinha-transport-lipschitz",
    title="Lipschitz continuity of the transport map T_gamma in theta",
    summary="||T(theta1) - T(theta2)|| <= L_zth/(gamma - L_zz) ||theta1 - theta2||",
    paper=SINHA, reference="eq. (14) submission / (16) camera-ready and v5; Lemma 1",
    reliability="[P]", form="paper",
    params=(P_Lzth, P_Lzz, P_gamma),
    exprs=(("lipschitz", Lzth / (gamma - Lzz)),),
    conditions=(_COND,),
    senses=(("lipschitz", "le"),),
    assumed=("Assumptions A and B",),
    module=__name__,
))
