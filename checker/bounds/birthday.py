r"""The birthday-paradox test of support size (Arora & Zhang 2017; Arora, Risteski, Zhang ICLR 2018).

Reference: arora2018.md §6.2 (standard formulas, [R, standard]) and §6.3 (theorems T-a, T-b as
reported by a secondary source [S], and the project's checks [D]).

Statements
----------
``birthday-collision``
    For the uniform distribution on :math:`N` items and :math:`M` i.i.d. samples

    .. math:: \Pr[\text{no collision}] = \prod_{i=1}^{M-1}\Big(1-\frac iN\Big)\quad(=0 \text{ if } M>N).

``birthday-exp-bound``
    :math:`\Pr[\text{no collision}]\le\exp(-M(M-1)/(2N))` (from :math:`1-x\le e^{-x}`).
``birthday-sample-size``
    The sample size :math:`M_{\exp}=\tfrac12(1+\sqrt{1+8N\ln\frac1{1-q}})` at which the exp bound
    guarantees a collision probability :math:`\ge q` (sufficient; :func:`sample_size_for` finds the
    exact smallest integer :math:`M` from the product formula).
``birthday-inversion``
    :math:`N\approx M(M-1)/(2\ln\frac1{1-\gamma})` from an observed collision rate :math:`\gamma`.
``birthday-tb`` (form ``reported``, [S])
    T-b: :math:`N\le 2M\rho^2/\big((-3+\sqrt{9+\frac{24}{M}\ln\frac1{1-\gamma}})-2M(1-\rho)^2\big)`, a
    heuristic inversion; :math:`+\infty` (vacuous) once the denominator is :math:`\le0`, i.e. for
    :math:`1-\rho\ge\sqrt{(-3+\sqrt{9+24y/M})/(2M)}`.
``birthday-mass-lower-bound`` ([D], rigorous for every :math:`\rho`)
    .. math:: \Pr[\text{coll}]\ge 1-\mathbb E_{K\sim\mathrm{Bin}(M,\rho)}\prod_{i=1}^{K-1}\Big(1-\frac iN\Big)

    when a set :math:`S` of :math:`N` items carries mass :math:`\ge\rho`; equality for
    :math:`N` atoms of equal mass :math:`\rho/N` plus an atomless remainder.
``birthday-ta`` (form ``reported``, [S]; **false for** :math:`\rho<1`)
    T-a as reported: :math:`\Pr[\text{coll}]\ge1-\exp(-(M^2-M)\rho/(2N))`. Kept only so the audit
    can refute it (counterexamples in reference §6.3).

Symbols: ``N`` support size, ``M`` sample size, ``q`` target collision probability, ``rate``
observed collision rate (:math:`\gamma` in the reference; renamed to avoid Sinha's
:math:`\gamma`), ``rho`` mass of the set :math:`S` (:math:`\rho`).
"""

from __future__ import annotations

import math

import sympy as sp

from checker.bounds._common import ARORA_BIRTHDAY
from checker.bounds.evaluate import evaluate
from checker.bounds.statement import Param, Statement, register
from checker.validate import integer, positive_int, probability

__all__ = ["COLLISION", "EXP_BOUND", "SAMPLE_SIZE", "INVERSION", "TB", "MASS_LOWER_BOUND", "TA",
           "no_collision_probability", "collision_probability", "exp_upper_bound",
           "sample_size_for", "invert_uniform", "tb_estimate", "tb_vacuity_threshold",
           "mass_collision_lower_bound", "ta_reported_bound"]

P_N = Param(name="N", paper="N", description="support size (number of equally likely items)",
            domain="positive_int")
P_M = Param(name="M", paper="M", description="sample size", domain="positive_int")
P_q = Param(name="q", paper="q", description="target collision probability", domain="probability")
P_rate = Param(name="rate", paper=r"\gamma", description="observed collision rate",
               domain="probability")
P_rho = Param(name="rho", paper=r"\rho", description="probability mass of the set S",
              domain="unit_interval", default=1, default_note="rho=1: S carries all the mass")

N, M, q, rate, rho = P_N.symbol, P_M.symbol, P_q.symbol, P_rate.symbol, P_rho.symbol
i, k = sp.symbols("i k", integer=True, positive=True)

NO_COLLISION = sp.Piecewise((sp.Product(1 - i / N, (i, 1, M - 1)), M <= N), (0, True))
_y = sp.log(1 / (1 - rate))
_tb_first = -3 + sp.sqrt(9 + 24 * _y / M)
_tb_den = _tb_first - 2 * M * (1 - rho) ** 2
_mass_sum = sp.Sum(sp.binomial(M, k) * rho**k * (1 - rho) ** (M - k)
                   * sp.Piecewise((sp.Product(1 - i / N, (i, 1, k - 1)), k <= N), (0, True)),
                   (k, 0, M))

COLLISION = register(Statement(
    id="birthday-collision",
    title="Collision probability of M uniform samples from N items",
    summary="P[no collision] = prod_{i<M} (1 - i/N)",
    paper=ARORA_BIRTHDAY, reference="reference arora2018.md §6.2 [R, standard]",
    reliability="[R, standard]", form="derived",
    params=(P_N, P_M),
    exprs=(("collision", 1 - NO_COLLISION), ("no_collision", NO_COLLISION)),
    assumed=("samples are i.i.d. and uniform on N items",),
    module=__name__,
))

EXP_BOUND = register(Statement(
    id="birthday-exp-bound",
    title="Exponential upper bound on the no-collision probability",
    summary="P[no collision] <= exp(-M(M-1)/(2N))",
    paper=ARORA_BIRTHDAY, reference="reference arora2018.md §6.2 [R, standard]",
    reliability="[R, standard]", form="derived",
    params=(P_N, P_M),
    exprs=(("bound", sp.exp(-M * (M - 1) / (2 * N))),
           ("collision_lower_bound", 1 - sp.exp(-M * (M - 1) / (2 * N)))),
    relations=(("bound", sp.Le(sp.Symbol("P_no_collision"), sp.exp(-M * (M - 1) / (2 * N)))),),
    module=__name__,
))

SAMPLE_SIZE = register(Statement(
    id="birthday-sample-size",
    title="Sample size for a collision probability q (uniform on N items)",
    summary="M = (1 + sqrt(1 + 8 N ln(1/(1-q))))/2 suffices (about 1.18 sqrt(N) for q = 1/2)",
    paper=ARORA_BIRTHDAY, reference="reference arora2018.md §6.2 [R, standard]",
    reliability="[R, standard]", form="derived",
    params=(P_N, P_q),
    exprs=(("M_sufficient", (1 + sp.sqrt(1 + 8 * N * sp.log(1 / (1 - q)))) / 2),),
    notes=("sufficient by the exp bound; sample_size_for() returns the exact smallest M",),
    module=__name__,
))

INVERSION = register(Statement(
    id="birthday-inversion",
    title="Support size from an observed collision rate (uniform inversion)",
    summary="N ~ M(M-1) / (2 ln(1/(1-rate))); about 0.72 M^2 at rate 1/2",
    paper=ARORA_BIRTHDAY, reference="reference arora2018.md §6.2 [R, standard]",
    reliability="[R, standard]", form="derived",
    params=(P_M, P_rate),
    exprs=(("N", M * (M - 1) / (2 * _y)),),
    assumed=("the distribution is uniform on its support (the estimate is heuristic otherwise)",),
    module=__name__,
))

TB = register(Statement(
    id="birthday-tb",
    title="T-b (as reported): support estimate from an observed collision rate",
    summary="N <= 2 M rho^2 / ((-3 + sqrt(9 + 24 ln(1/(1-rate))/M)) - 2M(1-rho)^2); vacuous "
            "when the denominator is <= 0",
    paper=ARORA_BIRTHDAY, reference="ICLR 2018 birthday theorem as reported by D. Ray [S]; "
                                    "reference arora2018.md §6.3",
    reliability="[S]", form="reported",
    params=(P_M, P_rate, P_rho),
    exprs=(("N", sp.Piecewise((2 * M * rho**2 / _tb_den, _tb_den > 0), (sp.oo, True))),
           ("denominator", _tb_den),
           ("vacuity_threshold", sp.sqrt(_tb_first / (2 * M)))),
    hidden=("'realistic assumptions on parameters' of the source are not stated",),
    notes=("a heuristic inversion: with rho=1 it solves the second-order expansion "
           "y ~ M^2/(2N) + M^3/(6N^2) for N [D]",
           "vacuity_threshold is the value of 1-rho at which the denominator reaches 0"),
    module=__name__,
))

MASS_LOWER_BOUND = register(Statement(
    id="birthday-mass-lower-bound",
    title="Rigorous collision lower bound when N items carry mass rho",
    summary="P[coll] >= 1 - E_{K~Bin(M,rho)} prod_{i<K}(1 - i/N)",
    paper=ARORA_BIRTHDAY, reference="project derivation, reference arora2018.md §6.3 [D]",
    reliability="[D]", form="derived",
    params=(P_N, P_rho, P_M),
    exprs=(("bound", 1 - _mass_sum),),
    notes=("equality for N atoms of mass rho/N each plus an atomless remainder",),
    module=__name__,
))

TA = register(Statement(
    id="birthday-ta",
    title="T-a (as reported; false for rho < 1): collision lower bound from a heavy set",
    summary="P[coll] >= 1 - exp(-(M^2-M) rho/(2N)) (refuted for rho < 1, reference §6.3)",
    paper=ARORA_BIRTHDAY, reference="ICLR 2018 birthday theorem as reported by D. Ray [S]; "
                                    "reference arora2018.md §6.3",
    reliability="[S]", form="reported",
    params=(P_N, P_rho, P_M),
    exprs=(("bound", 1 - sp.exp(-(M**2 - M) * rho / (2 * N))),
           ("bound_rho_squared", 1 - sp.exp(-(M**2 - M) * rho**2 / (2 * N)))),
    notes=("kept only to be refuted: (N, rho, M) = (1, 0.1, 2) has true collision probability "
           "0.01 < 0.0952",
           "correct for rho = 1 (Schur-concavity and 1 - x <= exp(-x))"),
    module=__name__,
))


def no_collision_probability(N: int, M: int, *, exact: bool = False):
    """``∏_{i<M}(1 − i/N)`` (0 when ``M > N``): float64, or an exact sympy Rational."""
    N, M = positive_int("N", N), positive_int("M", M)
    return evaluate(COLLISION, N=N, M=M, name="no_collision",
                    mode="exact" if exact else "numpy").value


def collision_probability(N: int, M: int, *, exact: bool = False):
    """Probability of at least one collision among ``M`` uniform samples from ``N`` items."""
    N, M = positive_int("N", N), positive_int("M", M)
    return evaluate(COLLISION, N=N, M=M, name="collision",
                    mode="exact" if exact else "numpy").value


def exp_upper_bound(N: int, M: int) -> float:
    """``exp(−M(M−1)/(2N))`` ≥ the no-collision probability."""
    return float(evaluate(EXP_BOUND, N=N, M=M, name="bound").value)


def sample_size_for(q: float, N: int) -> int:
    """The smallest ``M`` with collision probability ≥ ``q`` for ``N`` uniform items
    (exact search on the product formula, bracketed by the exp-bound sample size)."""
    q = probability("q", q)
    N = positive_int("N", N)
    hi = math.ceil(float(evaluate(SAMPLE_SIZE, N=N, q=q, name="M_sufficient").value))
    hi = min(max(hi, 2), N + 1)
    lo = 1  # collision probability of one sample is 0 < q
    while collision_probability(N, hi) < q:  # float safety: the exp bound is sufficient
        hi += 1
    while hi - lo > 1:  # invariant: P(lo) < q <= P(hi)
        mid = (lo + hi) // 2
        if collision_probability(N, mid) >= q:
            hi = mid
        else:
            lo = mid
    return hi


def invert_uniform(rate: float, M: int) -> float:
    """Support size ``M(M−1)/(2 ln(1/(1−rate)))`` from an observed collision rate."""
    return float(evaluate(INVERSION, M=M, rate=rate, name="N").value)


def tb_estimate(M: int, rate: float, rho: float = 1) -> float:
    """T-b's estimate (as reported); ``math.inf`` where it is vacuous (denominator ≤ 0)."""
    return float(evaluate(TB, M=M, rate=rate, rho=rho, name="N").value)


def tb_vacuity_threshold(M: int, rate: float) -> float:
    """The value of ``1 − ρ`` at which T-b's denominator reaches 0 (vacuous beyond it)."""
    return float(evaluate(TB, M=M, rate=rate, name="vacuity_threshold").value)


def mass_collision_lower_bound(N: int, rho: float, M: int, *, exact: bool = False):
    """Rigorous ``1 − E_{K~Bin(M,ρ)} ∏_{i<K}(1 − i/N)`` (reference §6.3 [D])."""
    N, M = positive_int("N", N), integer("M", M, min_value=1)
    return evaluate(MASS_LOWER_BOUND, N=N, rho=rho, M=M, name="bound",
                    mode="exact" if exact else "numpy").value


def ta_reported_bound(N: int, rho: float, M: int) -> float:
    """T-a as reported, ``1 − exp(−(M²−M)ρ/(2N))`` (false for ρ < 1; kept to refute it)."""
    return float(evaluate(TA, N=N, rho=rho, M=M, name="bound").value)
