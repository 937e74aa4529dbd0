r"""Sizes of the explicit encoder/generator of Arora, Risteski, Zhang (ICLR 2018), Theorem 1.

The construction is **our reconstruction** ([A] for the idea, [R] for the details;
docs/math/arora-thm1.md, construction): an encoder that copies the :math:`\tilde d` noise pixels and a one-hidden-layer
ReLU generator that approximates the equal-measure hash partition with ramps of width
:math:`\delta`.

Statements
----------
``arora-encoder-size`` (docs/math/arora-thm1.md)
    :math:`\tilde d` nonzero weights (linear encoder); :math:`4\tilde d` for the all-ReLU variant
    :math:`E(x)=\mathrm{ReLU}(Wx)-\mathrm{ReLU}(-Wx)`.
``arora-generator-size`` (docs/math/arora-thm1.md)
    structural parameters of the compact ReLU generator:

    .. math:: 2(m-1) + 2(m-1) + 2(m-1)(d-\tilde d) + (d-\tilde d) + \tilde d = 2(m-1)(d-\tilde d+2)+d .

    (first-layer weights act on :math:`z_1` only; biases; output weights on the
    :math:`d-\tilde d` non-noise pixels; output bias; the :math:`\tilde d` skip weights
    :math:`Pz`.)
``arora-ramp-width`` (docs/math/arora-thm1.md)
    :math:`\delta = \sqrt{2\pi}\,\varepsilon/(8\Delta(m-1))`, which makes the ReLU error
    :math:`2\Delta\nu(A)\le\varepsilon/4`. For :math:`m=1` there is no ramp (the generator is
    constant off the noise pixels): :func:`ramp_width` returns ``math.inf``.
``arora-ramp-mass`` (docs/math/arora-thm1.md)
    :math:`\nu(A)\le(m-1)\delta/\sqrt{2\pi}` (the standard Gaussian density is at most
    :math:`1/\sqrt{2\pi}`), and the induced error bound :math:`2\Delta\nu(A)`.

Symbols: ``m`` pool size, ``d`` image dimension, ``d_tilde`` code dimension
(:math:`\tilde d`), ``eps`` (:math:`\varepsilon`), ``Delta`` (:math:`\Delta`), ``delta`` ramp
width (:math:`\delta`). All constants are our derivation ([R]).
"""

from __future__ import annotations

import math

import sympy as sp

from checker.bounds._common import ARORA, P_Delta, P_eps
from checker.bounds.evaluate import evaluate
from checker.bounds.statement import Condition, Flag, Param, Statement, register
from checker.errors import InvalidArgument
from checker.validate import integer, positive_int

__all__ = ["ENCODER_SIZE", "GENERATOR_SIZE", "RAMP_WIDTH", "RAMP_MASS", "generator_param_count",
           "encoder_nonzeros", "ramp_width", "ramp_mass_bound"]

P_d = Param(name="d", paper="d", description="image dimension", domain="positive_int")
P_dt = Param(name="d_tilde", paper=r"\tilde d", description="code (noise) dimension",
             domain="positive_int")
P_delta = Param(name="delta", paper=r"\delta", description="ramp width of the ReLU hash",
                domain="nonnegative")
P_mr = Param(name="m", paper="m", description="pool size", domain="positive_int")

m, d, dt = P_mr.symbol, P_d.symbol, P_dt.symbol
eps, Delta, delta = P_eps.symbol, P_Delta.symbol, P_delta.symbol

_parts = {
    "first_layer_weights": 2 * (m - 1),
    "hidden_biases": 2 * (m - 1),
    "output_weights": 2 * (m - 1) * (d - dt),
    "output_bias": d - dt,
    "skip_weights": dt,
}

ENCODER_SIZE = register(Statement(
    id="arora-encoder-size",
    title="Encoder size: d~ nonzero weights (4 d~ if only ReLU units are allowed)",
    summary="nonzeros of the noise-extracting encoder E(x) = x_S",
    paper="Arora, Risteski, Zhang, ICLR 2018 (arXiv 1711.02651)",
    reference="Theorem 1 ('at most d~ non-zero weights') [S]; construction: "
              "docs/math/arora-thm1.md [R]",
    reliability="[S] claim, [R] construction", form="derived",
    params=(P_dt,),
    exprs=(("linear", dt), ("relu", 4 * dt)),
    assumed=("noise pixels at positions k, 2k, ..., d~ k with k = floor(d/d~) (docs/math/arora-thm1.md)",),
    module=__name__,
))

GENERATOR_SIZE = register(Statement(
    id="arora-generator-size",
    title="Parameter count of the one-hidden-layer ReLU generator",
    summary="2(m-1)(d-d~+2)+d structural parameters = O(md)",
    paper=ARORA, reference="'ReLU network with O(md)' as restated by a secondary source [S]; "
                           "count: docs/math/arora-thm1.md [R]",
    reliability="[R]", form="derived",
    params=(P_mr, P_d, P_dt),
    exprs=(("count", sp.expand(2 * (m - 1) * (d - dt + 2) + d)),
           *_parts.items()),
    conditions=(Condition(relation=sp.Le(dt, d), param="d_tilde", rule="must be <= d"),),
    notes=("structural parameters of the network as built; first-layer weights act on z_1 only",),
    module=__name__,
))

RAMP_WIDTH = register(Statement(
    id="arora-ramp-width",
    title="Ramp width making the ReLU approximation error at most eps/4",
    summary="delta = sqrt(2 pi) eps / (8 Delta (m-1))",
    paper=ARORA, reference="docs/math/arora-thm1.md, ReLU generator [R]",
    reliability="[R]", form="derived",
    params=(P_eps, P_Delta, P_mr),
    exprs=(("delta", sp.sqrt(2 * sp.pi) * eps / (8 * Delta * (m - 1))),),
    conditions=(Condition(relation=sp.Ge(m, 2), param="m",
                          rule="must be >= 2 for a ramp (m=1 needs none)"),),
    assumed=("nu = N(0, I) (density at most 1/sqrt(2 pi))", "|phi| <= Delta"),
    module=__name__,
))

RAMP_MASS = register(Statement(
    id="arora-ramp-mass",
    title="Gaussian mass of the ramp region A and the induced error",
    summary="nu(A) <= (m-1) delta / sqrt(2 pi); error <= 2 Delta nu(A)",
    paper=ARORA, reference="docs/math/arora-thm1.md, ReLU generator [R]",
    reliability="[R]", form="derived",
    params=(P_mr, P_delta, P_Delta),
    exprs=(("mass", (m - 1) * delta / sp.sqrt(2 * sp.pi)),
           ("error", 2 * Delta * (m - 1) * delta / sp.sqrt(2 * sp.pi))),
    relations=(("mass_bound", sp.Le(sp.Symbol("nu_A"), (m - 1) * delta / sp.sqrt(2 * sp.pi))),),
    flags=(Flag(kind="vacuous", when=sp.Gt((m - 1) * delta / sp.sqrt(2 * sp.pi), 1),
                exprs=("mass",), message="mass bound > 1: a probability bound above 1 says "
                                         "nothing"),),
    senses=(("mass", "le"), ("error", "le")),
    assumed=("nu = N(0, I)",),
    module=__name__,
))


def generator_param_count(m: int, d: int, d_tilde: int) -> int:
    """Exact structural parameter count ``2(m-1)(d-d̃+2)+d`` of the ReLU generator (docs/math/arora-thm1.md)."""
    m, d, d_tilde = positive_int("m", m), positive_int("d", d), positive_int("d_tilde", d_tilde)
    if d_tilde > d:
        raise InvalidArgument("d_tilde", d_tilde, f"must be <= d={d}")
    v = evaluate(GENERATOR_SIZE, m=m, d=d, d_tilde=d_tilde, name="count", mode="exact").value
    return int(v)


def encoder_nonzeros(d_tilde: int, *, relu: bool = False) -> int:
    """Nonzero weights of the encoder: ``d̃`` (linear) or ``4d̃`` (all-ReLU variant, docs/math/arora-thm1.md)."""
    d_tilde = positive_int("d_tilde", d_tilde)
    return int(evaluate(ENCODER_SIZE, d_tilde=d_tilde, name="relu" if relu else "linear",
                        mode="exact").value)


def ramp_width(eps: float, Delta: float, m: int) -> float:
    """Ramp width ``δ = sqrt(2π) ε / (8Δ(m−1))`` (so ``2Δν(A) ≤ ε/4``); ``math.inf`` for
    ``m = 1`` (a single pool image: no ramp, the ReLU generator is exact)."""
    m = integer("m", m, min_value=1)
    if m == 1:
        evaluate(RAMP_WIDTH, eps=eps, Delta=Delta, m=2)  # still validate eps and Delta
        return math.inf
    return float(evaluate(RAMP_WIDTH, eps=eps, Delta=Delta, m=m, name="delta").value)


def ramp_mass_bound(m: int, delta: float) -> float:
    """Upper bound ``(m−1)δ/sqrt(2π)`` on the Gaussian mass of the ramp region ``A``."""
    return float(evaluate(RAMP_MASS, m=m, delta=delta, name="mass").value)
