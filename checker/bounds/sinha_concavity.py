r"""Strong concavity of the inner problem (Sinha, Namkoong, Duchi, ICLR 2018; arXiv 1710.10571),
§2, eq. (4) and Lemma 1's hypothesis, with the cost-scaling caveat (docs/math/sinha.md, Lemma 1).

If :math:`\nabla_z\ell(\theta;\cdot)` is :math:`L_{zz}`-Lipschitz and :math:`c(\cdot,z_0)` is
1-strongly convex (Assumption A), :math:`z\mapsto\ell(\theta;z)-\gamma c(z,z_0)` is
:math:`(\gamma-L_{zz})`-strongly concave [P]. For the experiments' cost
:math:`c=\|z-z_0\|_2^2`, which is 2-strongly convex, the modulus is :math:`2\gamma-L_{zz}` and the
threshold is :math:`\gamma>L_{zz}/2` [D]. Provenance, honestly: the paper states only the
1-strongly convex form (:math:`\gamma-L_{zz}`, [P]); the squared-cost modulus, this statement's
primary expression, is our derivation ([D]), so the statement's form is ``derived``.

A modulus :math:`\le0` is flagged ``vacuous`` (no strong concavity: the statement gives nothing).

.. math:: \mu_{\rm squared}=2\gamma-L_{zz},\qquad \mu_{\rm strongly\text{-}convex}=\gamma-L_{zz}.

Symbols: ``gamma`` = :math:`\gamma` (penalty), ``L_zz`` = :math:`L_{zz}`. A modulus
:math:`\le 0` means no strong concavity (the bound gives nothing; the helper returns it signed).
"""

from __future__ import annotations

import sympy as sp

from checker.bounds._common import SINHA
from checker.bounds.evaluate import evaluate
from checker.bounds.statement import Flag, Param, Statement, register
from checker.validate import nonnegative, one_of

__all__ = ["CONCAVITY", "COSTS", "P_gamma", "P_Lzz", "concavity_modulus", "gamma_for_concavity"]

COSTS = ("squared", "strongly-convex")

P_gamma = Param(name="gamma", paper=r"\gamma", description="Lagrangian penalty",
                domain="nonnegative")
P_Lzz = Param(name="L_zz", paper="L_{zz}", description="Lipschitz constant of the input "
              "gradient of the loss", domain="nonnegative")
gamma, Lzz = P_gamma.symbol, P_Lzz.symbol

CONCAVITY = register(Statement(
    id="sinha-concavity",
    title="Strong-concavity modulus of the inner problem, both cost scalings",
    summary="mu = 2 gamma - L_zz for c = ||z - z0||^2; mu = gamma - L_zz for a 1-strongly "
            "convex cost",
    paper=SINHA, reference="§2 eq. (4), Lemma 1 [P] for gamma - L_zz; the squared-cost modulus "
                           "2 gamma - L_zz is our derivation, docs/math/sinha.md (Lemma 1) [D]",
    reliability="[D] (primary, squared cost); [P] gamma - L_zz (1-strongly convex cost)",
    form="derived",
    params=(P_gamma, P_Lzz),
    exprs=(("modulus_squared", 2 * gamma - Lzz),
           ("modulus_strongly_convex", gamma - Lzz),
           ("threshold_squared", Lzz / 2),
           ("threshold_strongly_convex", Lzz)),
    primary="modulus_squared",
    flags=(Flag(kind="vacuous", when=sp.Le(2 * gamma - Lzz, 0), exprs=("modulus_squared",),
                message="modulus <= 0 for the squared cost: not strongly concave, no guarantee"),
           Flag(kind="vacuous", when=sp.Le(gamma - Lzz, 0), exprs=("modulus_strongly_convex",),
                message="modulus <= 0 for a 1-strongly convex cost: not strongly concave, no "
                        "guarantee")),
    senses=(("modulus_squared", "ge"), ("modulus_strongly_convex", "ge")),
    assumed=("grad_z loss is L_zz-Lipschitz on a convex Z (Assumption B)",),
    notes=("the paper's experiments use c = ||z - z0||_2^2 (2-strongly convex): threshold "
           "gamma > L_zz/2, not gamma > L_zz",),
    module=__name__,
))


def _expr(cost: str) -> str:
    cost = one_of("cost", cost, COSTS)
    return "modulus_squared" if cost == "squared" else "modulus_strongly_convex"


def concavity_modulus(gamma: float, Lzz: float, *, cost: str = "squared") -> float:
    """Strong-concavity modulus ``2γ − L_zz`` (``cost="squared"``) or ``γ − L_zz``
    (``cost="strongly-convex"``); ``<= 0`` means not strongly concave."""
    return float(evaluate(CONCAVITY, gamma=gamma, L_zz=Lzz, name=_expr(cost)).value)


def gamma_for_concavity(Lzz: float, *, cost: str = "squared", margin: float = 0) -> float:
    """The γ at which the modulus equals ``margin``: ``(L_zz+margin)/2`` or ``L_zz+margin``.
    Strong concavity with modulus ≥ ``margin`` needs γ ≥ this value (strictly greater when
    ``margin=0``). Solved symbolically through :func:`checker.bounds.solve_for`."""
    from checker.bounds.invert import solve_for

    margin = nonnegative("margin", margin)
    Lzz = nonnegative("Lzz", Lzz)
    res = solve_for(CONCAVITY, "gamma", target=margin, name=_expr(cost), values={"L_zz": Lzz})
    return float(res.value)
