r"""Corollary 1 (Lipschitz parametric families) of Sinha, Namkoong, Duchi (ICLR 2018; arXiv
1710.10571): the complexity term of Theorem 3 (docs/math/sinha.md, Corollary 1), as printed:

.. math::

    \epsilon_n(t)=b_1\sqrt{\frac{d\,(L\operatorname{diam}(\Theta)+M_{\theta_0})}{n}}
                 +b_2\,(L\operatorname{diam}(\Theta)+M_{\theta_0})\sqrt{\frac tn}.

:math:`b_1,b_2` are **unspecified numerical constants** of the paper: they are hidden parameters
without defaults, so the bridge never turns :math:`\epsilon_n(t)` into a number unless the caller
supplies both (it returns the expression in :math:`b_1,b_2` otherwise).

**The printed form is dimensionally inconsistent**: :math:`L\operatorname{diam}(\Theta)+M_{\theta_0}`
has the units of the loss, so scaling the loss by :math:`c` scales the second term by :math:`c`
but the first only by :math:`\sqrt c` (the loss scale sits inside the square root). The standard
chaining argument for an :math:`L`-Lipschitz class in :math:`\mathbb R^d` (entropy
:math:`\log N(\epsilon)\le d\log(1+L\operatorname{diam}(\Theta)/\epsilon)` in sup norm, Dudley's
integral) gives the consistent form ([D], our derivation; docs/math/sinha.md, Corollary 1):

.. math::

    \epsilon_n^{\rm consistent}(t)=b_1\,(L\operatorname{diam}(\Theta)+M_{\theta_0})\sqrt{\frac dn}
        +b_2\,(L\operatorname{diam}(\Theta)+M_{\theta_0})\sqrt{\frac tn},

which scales linearly with the loss in both terms. Both expressions are kept: ``eps_n`` (printed,
[P]) and ``eps_n_consistent`` ([D]).

Symbols: ``d`` (parameter dimension), ``L`` (Lipschitz constant of :math:`\ell(\cdot;z)`),
``diam`` (:math:`\operatorname{diam}(\Theta)`), ``M0`` (:math:`M_{\theta_0}`), ``n`` (sample
size), ``t`` (confidence: probability :math:`\ge1-e^{-t}`), ``b1``, ``b2``.
"""

from __future__ import annotations

import sympy as sp

from checker.bounds._common import SINHA
from checker.bounds.statement import Param, Statement, register

__all__ = ["COR1"]

_P = dict(
    d=Param(name="d", paper="d", description="dimension of Theta", domain="positive_int"),
    L=Param(name="L", paper="L", description="Lipschitz constant of loss(.; z) in theta"),
    diam=Param(name="diam", paper=r"\operatorname{diam}(\Theta)", description="diameter of Theta"),
    M0=Param(name="M0", paper=r"M_{\theta_0}", description="bound on |loss(theta_0; z)|",
             domain="nonnegative"),
    n=Param(name="n", paper="n", description="sample size", domain="positive_int"),
    t=Param(name="t", paper="t", description="confidence parameter (probability >= 1 - e^-t)"),
    b1=Param(name="b1", paper="b_1", description="unspecified numerical constant", hidden=True),
    b2=Param(name="b2", paper="b_2", description="unspecified numerical constant", hidden=True),
)
d, L, diam, M0, n, t, b1, b2 = (p.symbol for p in _P.values())
_scale = L * diam + M0

COR1 = register(Statement(
    id="sinha-cor1",
    title="Corollary 1: eps_n(t) for Lipschitz parametric families (b_1, b_2 unspecified); "
          "printed form dimensionally inconsistent, consistent form [D]",
    summary="printed: eps_n(t) = b1 sqrt(d (L diam + M0)/n) + b2 (L diam + M0) sqrt(t/n); "
            "consistent [D]: b1 (L diam + M0) sqrt(d/n) + b2 (L diam + M0) sqrt(t/n)",
    paper=SINHA, reference="Corollary 1 (proof App. C.5), as printed [P]; consistent form: "
                           "docs/math/sinha.md, Corollary 1 [D]",
    reliability="[P] as printed (dimensionally inconsistent); [D] eps_n_consistent", form="paper",
    params=tuple(_P.values()),
    exprs=(("eps_n", b1 * sp.sqrt(d * _scale / n) + b2 * _scale * sp.sqrt(t / n)),
           ("eps_n_consistent", b1 * _scale * sp.sqrt(d / n) + b2 * _scale * sp.sqrt(t / n))),
    hidden=("b1, b2: numerical constants the paper does not specify; eps_n(t) is never "
            "evaluated to a number without them",),
    assumed=("loss(.; z) is L-Lipschitz for all z; diam(Theta) < infinity",
             "|loss(theta_0; z)| <= M0 for some theta_0 and all z",
             "|loss| <= M_l (Theorem 3)"),
    notes=("eps_n is the printed form, with d(.) inside the square root: dimensionally "
           "inconsistent (the loss scale enters the first term as a square root)",
           "eps_n_consistent is our derivation [D] (chaining for an L-Lipschitz class), linear in "
           "the loss scale in both terms; b1, b2 remain unspecified"),
    module=__name__,
))
