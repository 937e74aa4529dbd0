r"""Smoothness constants of neural networks: Sinha, Namkoong, Volpi, Duchi, arXiv 1710.10571v5,
§4, eqs. (19)-(21), Proposition 5 and Corollary 4 ([P via S]: known through a third-party Lean
formalisation citing v5 pp. 12-13; the ICLR version has no such section).

Network (20): :math:`F_0=x`, :math:`F_l=\sigma_l(\theta_lF_{l-1})`, no biases. Assumption E:
:math:`\sigma_l` is :math:`L^0_l`-Lipschitz with an :math:`L^1_l`-Lipschitz Jacobian. Then (21)

.. math::

    \alpha_l=\prod_{j=1}^{l}L^0_j\|\theta_j\|_{\rm op},\qquad
    \beta_l=\alpha_l\sum_{j=1}^{l}\frac{L^1_j}{(L^0_j)^2}\,\alpha_j,\qquad
    \alpha_0=1,\ \beta_0=0

(v5 misprints :math:`\beta_0=1`), with the recursion (§B.9)
:math:`\alpha_{l+1}=L^0_{l+1}\|\theta_{l+1}\|\alpha_l`,
:math:`\beta_{l+1}=L^0_{l+1}\|\theta_{l+1}\|\beta_l+\frac{L^1_{l+1}}{(L^0_{l+1})^2}\alpha_{l+1}^2`.

Corollary 4: the input gradient of the softmax cross-entropy loss (19) is
:math:`(\sqrt2\,\beta_L+\alpha_L^2)`-Lipschitz, an upper bound on :math:`L_{zz}`.

``sinha-cor4-tight`` ([D], our derivation, docs/math/sinha.md, Corollary 4): the same argument
with the exact curvature of the softmax cross-entropy gives

.. math:: L_{zz}\le\sqrt2\,\beta_L+\tfrac12\,\alpha_L^2 .

Derivation. Write :math:`\ell(z)=\mathrm{CE}(F(z))` with :math:`F=F_L` the logits and
:math:`\mathrm{CE}(u)=-u_y+\log\sum_k e^{u_k}`, so :math:`\nabla_z\ell=J_F(z)^\top g(F(z))` with
:math:`g=\nabla\mathrm{CE}=s-e_y` (:math:`s` the softmax). (i) :math:`\|g\|_2^2=(1-s_y)^2+
\sum_{k\ne y}s_k^2\le2(1-s_y)^2\le2`, so :math:`\|g\|_2\le\sqrt2`. (ii) :math:`\nabla^2\mathrm{CE}=
\mathrm{diag}(s)-ss^\top`; for a unit vector :math:`v`, :math:`v^\top(\mathrm{diag}(s)-ss^\top)v`
is the variance of :math:`v_K` under :math:`K\sim s`, at most :math:`(\max_kv_k-\min_kv_k)^2/4
\le(|v_i|+|v_j|)^2/4\le(v_i^2+v_j^2)/2\le\tfrac12` (Popoviciu), so :math:`g` is
:math:`\tfrac12`-Lipschitz. (iii) :math:`F` is :math:`\alpha_L`-Lipschitz and :math:`J_F` is
:math:`\beta_L`-Lipschitz in operator norm (eq. (21)). Then
:math:`\|J(z)^\top g(F(z))-J(z')^\top g(F(z'))\|\le\|J(z)-J(z')\|\,\|g(F(z))\|+\|J(z')\|\,
\|g(F(z))-g(F(z'))\|\le(\sqrt2\beta_L+\alpha_L\cdot\tfrac12\alpha_L)\|z-z'\|`. The printed
Corollary 4 uses the Lipschitz constant 1 for :math:`g` in step (ii), hence :math:`\alpha_L^2`.

Numerics: :math:`\alpha_l,\beta_l` are computed by the recursion (linear in the depth; 200
layers take microseconds); the tests check it against the closed form (21) of the statement. A
value beyond the float64 range is returned as ``inf`` with a note giving its magnitude.

**How the softmax enters** (v5's own device): the softmax loss is treated as one extra layer
:math:`L+1` with :math:`\|\theta_{L+1}\|=1`, :math:`L^0_{L+1}=\sqrt2`, :math:`L^1_{L+1}=1`. One
recursion step then gives :math:`\beta_{L+1}=\sqrt2\beta_L+\tfrac12(\sqrt2\alpha_L)^2=\sqrt2\beta_L+\alpha_L^2`,
exactly Corollary 4's constant, so ``lzz_bound`` :math:`=\beta_{L+1}` of the extended network.
(:math:`\alpha_{L+1}=\sqrt2\alpha_L` is not reported: it is not the loss's Lipschitz constant in
Corollary 4.) The tests check both this identity and recursion = closed form (21).

Symbols: ``op_norms[j]`` = :math:`\|\theta_j\|_{\rm op}` (weights only, never biases), ``L0[j]``
= :math:`L^0_j`, ``L1[j]`` = :math:`L^1_j`, ``n_layers`` = :math:`L`.

Activation constants (:data:`ACTIVATION_CONSTANTS_EXACT`, exact, and :data:`ACTIVATION_CONSTANTS`,
the same as floats; derived by us [D]):

* ``elu`` (parameter 1): derivative 1 for x>0 and e^x for x<=0, so L0=1; the derivative is
  continuous with slope at most 1, so L1=1.
* ``tanh``: tanh' = 1 - tanh^2 <= 1; |tanh''| = 2|t|(1-t^2) with t=tanh(x), maximal at
  t=1/sqrt(3): L1 = 4/(3 sqrt 3).
* ``softplus``: softplus' = sigmoid <= 1; softplus'' = sigmoid' <= 1/4.
* ``sigmoid``: sigmoid' = s(1-s) <= 1/4; |sigmoid''| = s(1-s)|1-2s| <= 1/(6 sqrt 3) (at
  s=(3-sqrt 3)/6).
* ``identity``: L0=1, L1=0.
* ``relu``: **no bound** (not differentiable; Assumption E fails): mapped to ``None`` and
  :func:`activation_constants` raises.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp

from checker.bounds._common import SINHA_V5
from checker.bounds.statement import Param, Statement, register
from checker.errors import InvalidArgument
from checker.validate import finite, one_of

__all__ = ["NN_SMOOTHNESS", "COR4_TIGHT", "ACTIVATION_CONSTANTS", "ACTIVATION_CONSTANTS_EXACT",
           "SmoothnessConstants", "activation_constants", "smoothness_constants",
           "smoothness_for_activation", "corollary4_tight_lzz"]

#: Exact ``(L0, L1)`` per activation (sympy); ``None``: no bound (ReLU).
ACTIVATION_CONSTANTS_EXACT: dict[str, tuple[sp.Expr, sp.Expr] | None] = {
    "elu": (sp.Integer(1), sp.Integer(1)),
    "tanh": (sp.Integer(1), 4 / (3 * sp.sqrt(3))),
    "softplus": (sp.Integer(1), sp.Rational(1, 4)),
    "sigmoid": (sp.Rational(1, 4), 1 / (6 * sp.sqrt(3))),
    "identity": (sp.Integer(1), sp.Integer(0)),
    "relu": None,
}

#: The same table as float64 pairs, safe to mix with numpy / torch arithmetic.
ACTIVATION_CONSTANTS: dict[str, tuple[float, float] | None] = {
    k: (None if v is None else (float(v[0]), float(v[1])))
    for k, v in ACTIVATION_CONSTANTS_EXACT.items()
}

P_layers = Param(name="n_layers", paper="L", description="number of layers (softmax excluded)",
                 domain="positive_int")
Lyr = P_layers.symbol
op = sp.IndexedBase("op_norm", positive=True)
L0 = sp.IndexedBase("L0", positive=True)
L1 = sp.IndexedBase("L1", nonnegative=True)
j, i, ell = sp.symbols("j i l", integer=True, positive=True)


def _alpha(upto):
    return sp.Product(L0[i] * op[i], (i, 1, upto))


ALPHA_L = _alpha(Lyr)
BETA_L = ALPHA_L * sp.Sum(L1[j] / L0[j] ** 2 * _alpha(j), (j, 1, Lyr))
LZZ = sp.sqrt(2) * BETA_L + ALPHA_L**2
LZZ_TIGHT = sp.sqrt(2) * BETA_L + ALPHA_L**2 / 2
_SEQ = (
    Param(name="op_norm", paper=r"\|\theta_l\|_{\rm op}",
          description="per-layer operator norms of the weights (biases excluded)",
          domain="nonnegative"),
    Param(name="L0", paper="L^0_l", description="per-layer Lipschitz constants of the "
          "activations"),
    Param(name="L1", paper="L^1_l", description="per-layer Lipschitz constants of the "
          "activations' derivatives", domain="nonnegative"))

NN_SMOOTHNESS = register(Statement(
    id="sinha-nn-smoothness",
    title="Corollary 4: input smoothness L_zz of a softmax network",
    summary="L_zz <= sqrt(2) beta_L + alpha_L^2 with alpha, beta of eq. (21)",
    paper=SINHA_V5, reference="v5 §4, eqs. (20)-(21), Proposition 5, Corollary 4, §B.8-B.9",
    reliability="[P via S]", form="paper",
    params=(P_layers,),
    sequence_params=_SEQ,
    exprs=(("alpha_L", ALPHA_L), ("beta_L", BETA_L), ("lzz_bound", LZZ)),
    primary="lzz_bound",
    assumed=("each activation is L0-Lipschitz with an L1-Lipschitz derivative (Assumption E); "
             "ReLU violates it",
             "the network has no biases, or biases are excluded from the operator norms",
             "operator norms are exact or upper bounds (an estimate gives a heuristic L_zz)"),
    notes=("the softmax cross-entropy enters as an extra layer with norm 1, L0 = sqrt(2), "
           "L1 = 1; beta of that layer equals sqrt(2) beta_L + alpha_L^2",
           "v5 misprints beta_0 = 1; beta_0 = 0 is used",
           "sinha-cor4-tight gives the smaller sqrt(2) beta_L + alpha_L^2/2 [D]"),
    module=__name__,
))

COR4_TIGHT = register(Statement(
    id="sinha-cor4-tight",
    title="Corollary 4 tightened: L_zz <= sqrt(2) beta_L + alpha_L^2 / 2 (softmax curvature <= 1/2)",
    summary="L_zz <= sqrt(2) beta_L + alpha_L^2/2: the softmax cross-entropy Hessian in the "
            "logits has operator norm <= 1/2",
    paper=SINHA_V5, reference="project derivation from v5 Corollary 4, docs/math/sinha.md "
                              "(Corollary 4) [D]",
    reliability="[D]", form="derived",
    params=(P_layers,),
    sequence_params=_SEQ,
    exprs=(("alpha_L", ALPHA_L), ("beta_L", BETA_L), ("lzz_bound", LZZ_TIGHT)),
    primary="lzz_bound",
    assumed=("as sinha-nn-smoothness (Assumption E, no biases in the norms, exact or upper-bound "
             "operator norms)",
             "the loss is the softmax cross-entropy of the last layer's outputs (the logits)"),
    notes=("derivation in the module docstring: ||grad CE|| <= sqrt(2), ||Hess CE|| <= 1/2 "
           "(variance of a vector's entries under the softmax, Popoviciu)",
           "never larger than Corollary 4's sqrt(2) beta_L + alpha_L^2"),
    module=__name__,
))


@dataclass(frozen=True, kw_only=True)
class SmoothnessConstants:
    """``alphas[l]`` = α_l and ``betas[l]`` = β_l for l = 0..L (α_0=1, β_0=0), ``lzz_bound``
    = √2·β_L + α_L² (Corollary 4) and ``lzz_bound_tight`` = √2·β_L + α_L²/2 (``sinha-cor4-tight``,
    [D]). ``notes`` says when a value exceeded the float64 range (returned as ``inf``)."""

    alphas: tuple[float, ...]
    betas: tuple[float, ...]
    lzz_bound: float
    op_norms: tuple[float, ...]
    L0: tuple[float, ...]
    L1: tuple[float, ...]
    lzz_bound_tight: float = math.nan
    notes: tuple[str, ...] = ()

    def __post_init__(self):
        n = len(self.op_norms)
        if not (len(self.alphas) == len(self.betas) == n + 1):
            raise InvalidArgument("alphas", self.alphas, f"must have {n + 1} entries")


def _floats(name: str, xs: Sequence[float], *, allow_zero: bool) -> tuple[float, ...]:
    if isinstance(xs, (str, bytes)) or not isinstance(xs, Sequence) and not hasattr(xs, "__iter__"):
        raise InvalidArgument(name, xs, "must be a sequence of numbers")
    vals = tuple(finite(f"{name}[{t}]", x) for t, x in enumerate(xs))
    for t, x in enumerate(vals):
        if x < 0 or (x == 0 and not allow_zero):
            raise InvalidArgument(f"{name}[{t}]", x, "must be >= 0" if allow_zero else "must be > 0")
    return vals


def smoothness_constants(op_norms: Sequence[float], L0: Sequence[float],
                         L1: Sequence[float]) -> SmoothnessConstants:
    """α_l, β_l of (21) and Corollary 4's bound √2·β_L + α_L² for per-layer operator norms
    (weights only) and activation constants ``L0`` (> 0) and ``L1`` (>= 0)."""
    ops = _floats("op_norms", op_norms, allow_zero=True)
    l0 = _floats("L0", L0, allow_zero=False)
    l1 = _floats("L1", L1, allow_zero=True)
    if not ops:
        raise InvalidArgument("op_norms", list(op_norms), "must have at least one layer")
    if not (len(ops) == len(l0) == len(l1)):
        raise InvalidArgument("L0", list(l0), f"must have one entry per layer ({len(ops)}), like "
                              f"L1 (got {len(l1)})")
    # recursion of §B.9 (equal to the closed form (21); O(L) operations)
    alphas, betas = [1.0], [0.0]
    log10_alpha = 0.0
    for n, a0, a1 in zip(ops, l0, l1):
        a = a0 * n * alphas[-1]
        # (L1 / L0^2) alpha_l^2 = L1 (||W|| alpha_{l-1})^2: L0 cancels, so no L0^2 can underflow
        # to a division by 0 (L0 = 5e-324 is a valid input). L1 = 0 (a linear layer) adds
        # exactly 0, also when alpha overflowed (0 * inf is nan).
        m = n * alphas[-1]  # (m * m, not m ** 2: a float power raises on overflow)
        b = a0 * n * betas[-1] + (a1 * m * m if a1 else 0.0)
        alphas.append(a)
        betas.append(b)
        log10_alpha += math.log10(a0) + math.log10(n) if n > 0 else -math.inf
    aL, bL = alphas[-1], betas[-1]
    lzz = math.sqrt(2.0) * bL + aL * aL
    tight = math.sqrt(2.0) * bL + 0.5 * aL * aL
    notes = ()
    if not math.isfinite(lzz):
        notes = (f"alpha_L ~ 10^{log10_alpha:.4g}: the bounds exceed the float64 range and are "
                 "reported as inf (Corollary 4 gives nothing usable at these norms)",)
    elif lzz < sys.float_info.min and log10_alpha > -math.inf:
        # every norm > 0, so the true bounds are > 0: 0 or a subnormal is an underflow
        notes = (f"alpha_L ~ 10^{log10_alpha:.4g}: the bounds fall below the float64 normal range "
                 f"and are reported as {lzz:g} (underflow; the true values are positive)",)
    return SmoothnessConstants(alphas=tuple(alphas), betas=tuple(betas), lzz_bound=lzz,
                               op_norms=ops, L0=l0, L1=l1, lzz_bound_tight=tight, notes=notes)


def corollary4_tight_lzz(op_norms: Sequence[float], L0: Sequence[float],
                         L1: Sequence[float]) -> float:
    """The tightened Corollary 4 constant √2·β_L + α_L²/2 (``sinha-cor4-tight``, [D]; derivation
    in this module's docstring) for per-layer operator norms and activation constants."""
    return smoothness_constants(op_norms, L0, L1).lzz_bound_tight


def activation_constants(name: str) -> tuple[float, float]:
    """``(L0, L1)`` of an activation as floats; ReLU (no Lipschitz derivative) raises."""
    name = one_of("activation", str(name).lower(), list(ACTIVATION_CONSTANTS))
    consts = ACTIVATION_CONSTANTS_EXACT[name]
    if consts is None:
        raise InvalidArgument("activation", name, "has no Lipschitz derivative (Assumption E "
                              "fails), so Corollary 4 gives no bound",
                              hint="use a smooth activation such as 'elu', 'softplus' or 'tanh'")
    return float(consts[0]), float(consts[1])


def smoothness_for_activation(op_norms: Sequence[float], activation: str | Sequence[str]
                              ) -> SmoothnessConstants:
    """:func:`smoothness_constants` with the same activation for every layer (or one per layer).
    The last layer of a classifier is usually linear: pass e.g. ``["elu", "elu", "identity"]``."""
    n = len(list(op_norms))
    acts = [activation] * n if isinstance(activation, str) else list(activation)
    if len(acts) != n:
        raise InvalidArgument("activation", acts, f"must name one activation per layer ({n})")
    consts = [activation_constants(a) for a in acts]
    return smoothness_constants(op_norms, [c[0] for c in consts], [c[1] for c in consts])
