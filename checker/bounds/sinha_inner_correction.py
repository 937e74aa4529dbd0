r"""Sound upper correction for an approximate inner maximiser (project derivation,
docs/math/sinha.md, inner-maximiser correction, [D]; used to make the certificate of Sinha, Namkoong, Duchi, ICLR 2018,
Theorem 3, sound when the inner problem is solved inexactly).

If :math:`f(z)=\ell(\theta;z)-\gamma c(z,z_0)` is :math:`\mu`-strongly concave on a convex
:math:`\mathcal Z` and differentiable at :math:`\widehat z`,

.. math:: f(\widehat z)\le\phi_\gamma(\theta;z_0)\le f(\widehat z)+\frac{\|\nabla_zf(\widehat z)\|_*^2}{2\mu}.

:math:`\mu=2\gamma-L_{zz}` for the cost :math:`\|\cdot\|_2^2` and :math:`\gamma-L_{zz}` for a
1-strongly convex cost (``sinha-concavity``). Soundness needs a certified lower bound on
:math:`\mu` (a certified upper bound on :math:`L_{zz}`); with an estimated :math:`L_{zz}` the
correction is a heuristic.

Symbols: ``f_hat`` (:math:`f(\widehat z)`), ``grad_norm`` (:math:`\|\nabla_zf(\widehat z)\|_*`),
``mu`` (:math:`\mu`).
"""

from __future__ import annotations

import sympy as sp

from checker.bounds._common import SINHA
from checker.bounds.statement import Param, Statement, register

__all__ = ["INNER_CORRECTION"]

P_f = Param(name="f_hat", paper=r"f(\widehat z)", description="inner objective at the "
            "approximate maximiser", domain="real")
P_g = Param(name="grad_norm", paper=r"\|\nabla_z f(\widehat z)\|_*", description="dual norm of "
            "the inner gradient at the approximate maximiser", domain="nonnegative")
P_mu = Param(name="mu", paper=r"\mu", description="strong-concavity modulus (certified lower "
             "bound)")
f_hat, g, mu = P_f.symbol, P_g.symbol, P_mu.symbol

INNER_CORRECTION = register(Statement(
    id="sinha-inner-correction",
    title="Sound upper bound on phi_gamma from an approximate inner maximiser",
    summary="phi_gamma <= f(z_hat) + ||grad f(z_hat)||^2 / (2 mu)",
    paper=SINHA, reference="project derivation, docs/math/sinha.md (inner-maximiser correction) [D]",
    reliability="[D]", form="derived",
    params=(P_f, P_g, P_mu),
    exprs=(("upper", f_hat + g**2 / (2 * mu)), ("lower", f_hat), ("gap", g**2 / (2 * mu))),
    senses=(("upper", "le"), ("gap", "le")),
    relations=(("sandwich", sp.And(sp.Le(f_hat, sp.Symbol("phi_gamma")),
                                   sp.Le(sp.Symbol("phi_gamma"), f_hat + g**2 / (2 * mu)))),),
    assumed=("f is mu-strongly concave on a convex Z (needs a certified upper bound on L_zz)",),
    module=__name__,
))
