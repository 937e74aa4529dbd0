r"""The robustness certificate of Sinha, Namkoong, Duchi (ICLR 2018; arXiv 1710.10571): Theorem 3,
eqs. (11)-(13), weak duality (docs/math/sinha.md, Theorem 3).

Statements
----------
``sinha-certificate`` ([P], eq. (11)/(12))
    .. math:: \sup_{W_c(P,P_0)\le\rho}\mathbb E_P\ell\le\gamma\rho+\mathbb E_{\widehat P_n}[\phi_\gamma]+\epsilon_n(t)

    with probability :math:`\ge1-e^{-t}`. The computable part is the certificate
    :math:`\gamma\rho+\mathbb E_{\widehat P_n}[\phi_\gamma]`; :math:`\epsilon_n(t)` involves the
    unspecified constants :math:`b_1,b_2` (``sinha-cor1``). Only ``certificate_with_eps_n`` is
    Theorem 3 ([P]); it stays symbolic. The computable expression ``certificate``
    (:math:`\gamma\rho+\mathbb E_{\widehat P_n}[\phi_\gamma]`, :math:`\epsilon_n` omitted as in the paper's
    plots) is **not** Theorem 3: it is weak duality for the empirical (or test) distribution,
    eq. (15) ([D] rendering, docs/math/sinha.md, Theorem 3), a certificate for
    :math:`W_c(P,\widehat P_n)\le\rho`, not for the population.
``sinha-weak-duality`` ([D]): for every :math:`\gamma,\rho\ge0`,
    :math:`\sup_{W_c(P,Q)\le\rho}\mathbb E_P\ell\le\gamma\rho+\mathbb E_Q\phi_\gamma`.
``sinha-identity13`` ([P], eq. (13)):
    :math:`\mathbb E_{\widehat P_n}\phi_\gamma+\gamma\widehat\rho_n=\mathbb E_{P_n^*}\ell`
    (surrogate loss + robustness = empirical worst-case loss), exact when the inner maximiser is.

Symbols: ``gamma`` (:math:`\gamma`), ``rho`` (:math:`\rho`), ``phi_mean``
(:math:`\mathbb E_{\widehat P_n}[\phi_\gamma]`), ``rho_hat`` (:math:`\widehat\rho_n(\theta)`),
``eps_n`` (:math:`\epsilon_n(t)`, hidden).
"""

from __future__ import annotations

import sympy as sp

from checker.bounds._common import SINHA
from checker.bounds.statement import Param, Statement, register

__all__ = ["CERTIFICATE", "WEAK_DUALITY", "IDENTITY13"]

P_gamma = Param(name="gamma", paper=r"\gamma", description="Lagrangian penalty",
                domain="nonnegative")
P_rho = Param(name="rho", paper=r"\rho", description="Wasserstein radius (robustness level)",
              domain="nonnegative")
P_phi = Param(name="phi_mean", paper=r"\mathbb E_{\widehat P_n}[\phi_\gamma(\theta;Z)]",
              description="mean robust surrogate over the data", domain="real")
P_rho_hat = Param(name="rho_hat", paper=r"\widehat\rho_n(\theta)",
                  description="achieved robustness: mean transport cost to the inner maximisers",
                  domain="nonnegative")
P_eps_n = Param(name="eps_n", paper=r"\epsilon_n(t)", description="complexity term of Theorem 3 "
                "(unspecified constants b_1, b_2)", domain="nonnegative", hidden=True)

gamma, rho, phi, rho_hat, eps_n = (P_gamma.symbol, P_rho.symbol, P_phi.symbol, P_rho_hat.symbol,
                                   P_eps_n.symbol)
worst = sp.Symbol("sup_P_E_loss")

CERTIFICATE = register(Statement(
    id="sinha-certificate",
    title="Certificate gamma rho + E_n[phi_gamma] for the empirical distribution (eq. (15), "
          "[D]); Theorem 3 adds eps_n(t) (symbolic) for the population",
    summary="empirical: sup_{W_c(P,P_n)<=rho} E_P loss <= gamma rho + E_n[phi_gamma] [D]; "
            "Theorem 3: sup_{W_c(P,P0)<=rho} E_P loss <= ... + eps_n(t), w.p. 1-e^-t [P]",
    paper=SINHA, reference="Theorem 3, eqs. (11), (12) [P] (certificate_with_eps_n); empirical "
                           "form eq. (15), docs/math/sinha.md, Theorem 3 [D] (certificate)",
    reliability="[D] certificate (eps_n omitted, empirical distribution); [P] "
                "certificate_with_eps_n (Theorem 3)", form="paper",
    params=(P_gamma, P_rho, P_phi, P_eps_n),
    exprs=(("certificate", gamma * rho + phi),
           ("certificate_with_eps_n", gamma * rho + phi + eps_n)),
    relations=(("theorem3", sp.Le(worst, gamma * rho + phi + eps_n)),),
    senses=(("certificate", "le"), ("certificate_with_eps_n", "le")),
    notes=("certificate (eps_n omitted) bounds the worst case over W_c(P, P_n) <= rho for the "
           "empirical distribution P_n only; it is not Theorem 3's population statement",),
    hidden=("eps_n(t): involves unspecified numerical constants b_1, b_2 and a covering "
            "integral; never evaluated to a number (see sinha-cor1)",),
    assumed=("|loss| <= M_l (bounded loss; unclipped cross-entropy violates it)",
             "phi_mean is the exact mean of phi_gamma; with an inexact inner maximiser it is an "
             "underestimate and the certificate is unsound unless corrected "
             "(sinha-inner-correction)",
             "for the population statement: probability >= 1 - e^-t over the sample"),
    module=__name__,
))

WEAK_DUALITY = register(Statement(
    id="sinha-weak-duality",
    title="Weak duality for Wasserstein balls",
    summary="sup_{W_c(P,Q)<=rho} E_P loss <= gamma rho + E_Q[phi_gamma] for every gamma >= 0",
    paper=SINHA, reference="docs/math/sinha.md, weak duality (elementary consequence of (2b)) [D]",
    reliability="[D]", form="derived",
    params=(P_gamma, P_rho, P_phi),
    exprs=(("upper_bound", gamma * rho + phi),),
    relations=(("weak_duality", sp.Le(worst, gamma * rho + phi)),),
    assumed=("phi_mean = E_Q[phi_gamma] exactly (a supremum per point)",),
    module=__name__,
))

worst_emp = sp.Symbol("E_Pn_star_loss")
IDENTITY13 = register(Statement(
    id="sinha-identity13",
    title="Identity (13): surrogate loss + robustness = empirical worst-case loss",
    summary="E_n[phi_gamma] + gamma rho_hat = E_{P_n^*}[loss]",
    paper=SINHA, reference="eq. (13)",
    reliability="[P]", form="paper",
    params=(P_gamma, P_phi, P_rho_hat),
    exprs=(("worst_case_loss", phi + gamma * rho_hat),),
    relations=(("identity13", sp.Eq(phi + gamma * rho_hat, worst_emp)),),
    assumed=("the inner maximisers are exact (T_gamma)",),
    module=__name__,
))
