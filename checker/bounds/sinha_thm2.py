r"""Theorem 2 (convergence of nonconvex SGD with approximate inner maximisation): Sinha, Namkoong,
Volpi, Duchi, arXiv 1710.10571v5, p. 6, proof §B.3 ([P via S]); docs/math/sinha.md, Theorem 2.

v5 constants (self-consistent, checked symbolically in the tests): step
:math:`\alpha=\sqrt{\Delta_F/(L_\phi T\sigma^2)}`, condition :math:`T\ge L_\phi\Delta_F/\sigma^2`
(so :math:`\alpha\le1/L_\phi`), and

.. math::

    \frac1T\sum_{t=0}^{T-1}\mathbb E\|\nabla F(\theta^t)\|_2^2
    \le 4\sigma\sqrt{\frac{L_\phi\Delta_F}{T}}+\frac{4L_{\theta z}^2}{\gamma-L_{zz}}\epsilon .

Gradient bias (§B.3; ``sinha-gradient-bias``):
:math:`\|\nabla_\theta\ell(\theta;\widehat z)-\nabla_\theta\phi_\gamma\|_2^2\le\frac{2L_{\theta z}^2}{\gamma-L_{zz}}\epsilon`
for an :math:`\epsilon`-approximate inner maximiser.

The one-step bound :math:`\mathbb EF(\theta^+)-F(\theta)\le-\frac\alpha2\|\nabla F\|^2+\alpha\hat\epsilon+L_\phi\alpha^2\sigma^2`
is kept as expression ``one_step_rhs`` so the tests can re-derive the theorem from it.

``sinha-thm2-iclr`` (form ``reported``): the ICLR-submission constants
(:math:`\alpha=\sqrt{2\Delta_F/(L_\phi\sigma^2T)}`, bound :math:`\sigma\sqrt{8L_\phi\Delta_F/T}` plus
bias :math:`2L_{\theta z}^2\epsilon/(\gamma-L_{zz})`), which do **not** follow from the one-step
bound; kept only to show that.

Symbols: ``Delta_F`` (:math:`\Delta_F`), ``L_phi`` (:math:`L_\phi`), ``sigma``, ``T``,
``L_thz`` (:math:`L_{\theta z}`), ``L_zz``, ``gamma``, ``eps`` (inner accuracy :math:`\epsilon`),
``alpha`` (step), ``grad_sq`` (:math:`\|\nabla F(\theta)\|^2`, one-step bound only).
"""

from __future__ import annotations

import sympy as sp

from checker.bounds._common import SINHA, SINHA_V5
from checker.bounds.statement import Condition, Flag, Param, Statement, register

__all__ = ["THM2", "THM2_ICLR", "GRADIENT_BIAS"]

P_DF = Param(name="Delta_F", paper=r"\Delta_F", description="initial suboptimality bound "
             "F(theta_0) - inf F")
P_Lphi = Param(name="L_phi", paper=r"L_\phi", description="gradient-Lipschitz constant of "
               "phi_gamma (sinha-lphi)")
P_sigma = Param(name="sigma", paper=r"\sigma", description="stochastic-gradient standard "
                "deviation bound")
P_T = Param(name="T", paper="T", description="number of SGD steps", domain="positive_int")
P_Lthz = Param(name="L_thz", paper=r"L_{\theta z}", description="Lipschitz constant of "
               "grad_theta loss in z", domain="nonnegative")
P_Lzz = Param(name="L_zz", paper="L_{zz}", description="z-smoothness of the loss",
              domain="nonnegative")
P_gamma = Param(name="gamma", paper=r"\gamma", description="Lagrangian penalty", domain="positive")
P_eps = Param(name="eps", paper=r"\epsilon", description="inner-maximisation accuracy",
              domain="nonnegative", default=0, default_note="eps=0: exact inner maximiser")
P_alpha = Param(name="alpha", paper=r"\alpha", description="step size")
P_grad = Param(name="grad_sq", paper=r"\|\nabla F(\theta)\|_2^2", description="squared "
               "gradient norm at theta", domain="nonnegative")

DF, Lphi, sigma, T, Lthz, Lzz, gamma, eps, alpha, grad_sq = (
    P_DF.symbol, P_Lphi.symbol, P_sigma.symbol, P_T.symbol, P_Lthz.symbol, P_Lzz.symbol,
    P_gamma.symbol, P_eps.symbol, P_alpha.symbol, P_grad.symbol)

BIAS = 2 * Lthz**2 / (gamma - Lzz) * eps          # epsilon-hat of §B.3
_COND = Condition(relation=sp.Gt(gamma, Lzz), param="gamma",
                  rule="must exceed L_zz (Theorem 2 needs gamma > L_zz; the text's >= is not "
                       "enough)")

GRADIENT_BIAS = register(Statement(
    id="sinha-gradient-bias",
    title="Gradient bias of an eps-approximate inner maximiser",
    summary="||grad_theta loss(z_hat) - grad phi_gamma||^2 <= 2 L_thz^2 eps / (gamma - L_zz)",
    paper=SINHA_V5, reference="v5 §B.3 [P via S]; derivation docs/math/sinha.md (gradient bias) [D]",
    reliability="[P via S]", form="paper",
    params=(P_Lthz, P_Lzz, P_gamma, P_eps),
    exprs=(("bias_sq", BIAS),),
    conditions=(_COND,),
    senses=(("bias_sq", "le"),),
    assumed=("1-strongly convex cost (for ||.||^2 use 2 gamma - L_zz)",),
    module=__name__,
))

THM2 = register(Statement(
    id="sinha-thm2",
    title="Theorem 2 (v5 constants): convergence of SGD on the robust surrogate",
    summary="avg E||grad F||^2 <= 4 sigma sqrt(L_phi Delta_F / T) + 4 L_thz^2 eps/(gamma - L_zz)",
    paper=SINHA_V5, reference="Theorem 2 (v5 p. 6), proof §B.3, inequality (32)",
    reliability="[P via S]", form="paper",
    params=(P_DF, P_Lphi, P_sigma, P_T, P_Lthz, P_Lzz, P_gamma, P_eps, P_alpha, P_grad),
    exprs=(("bound", 4 * sigma * sp.sqrt(Lphi * DF / T) + 4 * Lthz**2 * eps / (gamma - Lzz)),
           ("step_size", sp.sqrt(DF / (Lphi * T * sigma**2))),
           ("T_min", Lphi * DF / sigma**2),
           ("one_step_rhs", -alpha / 2 * grad_sq + alpha * BIAS + Lphi * alpha**2 * sigma**2)),
    primary="bound",
    relations=(("T_condition", sp.Ge(T, Lphi * DF / sigma**2)),
               ("step_condition", sp.Le(Lphi * alpha, 1))),
    conditions=(_COND,),
    flags=(Flag(kind="outside_domain", when=sp.Lt(T, Lphi * DF / sigma**2), exprs=("bound",),
                message="T < T_min = L_phi Delta_F / sigma^2: Theorem 2 assumes T >= T_min (the "
                        "step would exceed 1/L_phi)"),
           Flag(kind="outside_domain", when=sp.Gt(Lphi * alpha, 1), exprs=("one_step_rhs",),
                message="L_phi alpha > 1: the one-step bound assumes alpha <= 1/L_phi")),
    senses=(("bound", "le"), ("one_step_rhs", "le")),
    assumed=("Assumptions A and B with the l2 norm; Theta = R^d",
             "E||grad F - grad phi_gamma(theta; Z)||^2 <= sigma^2",
             "T >= L_phi Delta_F / sigma^2 (flagged outside_domain when it fails; see T_min)"),
    notes=("the ICLR-printed constants do not follow from the one-step bound "
           "(statement sinha-thm2-iclr)",),
    module=__name__,
))

THM2_ICLR = register(Statement(
    id="sinha-thm2-iclr",
    title="Theorem 2 as printed in the ICLR submission (constants do not follow)",
    summary="avg E||grad F||^2 - 2 L_thz^2 eps/(gamma - L_zz) <= sigma sqrt(8 L_phi Delta_F / T)",
    paper=SINHA, reference="Theorem 2, ICLR 2018 submission (OpenReview) [P]",
    reliability="[P]", form="reported",
    params=(P_DF, P_Lphi, P_sigma, P_T, P_Lthz, P_Lzz, P_gamma, P_eps),
    exprs=(("bound", sigma * sp.sqrt(8 * Lphi * DF / T) + 2 * Lthz**2 * eps / (gamma - Lzz)),
           ("step_size", sp.sqrt(2 * DF / (Lphi * sigma**2 * T)))),
    conditions=(_COND,),
    notes=("summing the one-step bound with this step gives 3 sqrt(2) sigma sqrt(L_phi "
           "Delta_F/T) + 4 L_thz^2 eps/(gamma - L_zz), not the printed constants",),
    module=__name__,
))
