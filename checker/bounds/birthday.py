r"""The birthday-paradox test of support size (Arora & Zhang 2017; Arora, Risteski, Zhang ICLR 2018).

Reference: docs/math/birthday.md (standard formulas, [R, standard]; theorems T-a, T-b as reported
by a secondary source [S]; the project's checks [D]).

Numerics: the products are evaluated as cumulative sums of :math:`\log(1-i/N)` (``log1p``), one
table per distinct :math:`N` for a whole vector of sample sizes, and probabilities close to 0
through ``expm1`` (a collision probability of :math:`3\cdot10^{-30}` keeps its digits). The
high-precision reference uses :math:`\log\prod_{i<M}(1-i/N)=\ln\Gamma(N)-\ln\Gamma(N-M+1)-(M-1)\ln N`
in mpmath. Both are registered with :func:`checker.bounds.evaluate.register_numeric` and tested
against the exact sympy product.

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
    can refute it (counterexamples in docs/math/birthday.md).

Symbols: ``N`` support size, ``M`` sample size, ``q`` target collision probability, ``rate``
observed collision rate (:math:`\gamma` in the reference; renamed to avoid Sinha's
:math:`\gamma`), ``rho`` mass of the set :math:`S` (:math:`\rho`).
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from checker.bounds import tolerances as tol
from checker.bounds._common import ARORA_BIRTHDAY
from checker.bounds.evaluate import evaluate, register_numeric
from checker.bounds.statement import Flag, Param, Statement, register
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
    paper=ARORA_BIRTHDAY, reference="docs/math/birthday.md, standard formulas [R, standard]",
    reliability="[R, standard]", form="derived",
    params=(P_N, P_M),
    exprs=(("collision", 1 - NO_COLLISION), ("no_collision", NO_COLLISION)),
    senses=(("collision", "ge"), ("no_collision", "le")),
    assumed=("samples are i.i.d. and uniform on N items",),
    module=__name__,
))

EXP_BOUND = register(Statement(
    id="birthday-exp-bound",
    title="Exponential upper bound on the no-collision probability",
    summary="P[no collision] <= exp(-M(M-1)/(2N))",
    paper=ARORA_BIRTHDAY, reference="docs/math/birthday.md, standard formulas [R, standard]",
    reliability="[R, standard]", form="derived",
    params=(P_N, P_M),
    exprs=(("bound", sp.exp(-M * (M - 1) / (2 * N))),
           ("collision_lower_bound", 1 - sp.exp(-M * (M - 1) / (2 * N)))),
    senses=(("bound", "le"), ("collision_lower_bound", "ge")),
    relations=(("bound", sp.Le(sp.Symbol("P_no_collision"), sp.exp(-M * (M - 1) / (2 * N)))),),
    module=__name__,
))

SAMPLE_SIZE = register(Statement(
    id="birthday-sample-size",
    title="Sample size for a collision probability q (uniform on N items)",
    summary="M = (1 + sqrt(1 + 8 N ln(1/(1-q))))/2 suffices (about 1.18 sqrt(N) for q = 1/2)",
    paper=ARORA_BIRTHDAY, reference="docs/math/birthday.md, standard formulas [R, standard]",
    reliability="[R, standard]", form="derived",
    params=(P_N, P_q),
    exprs=(("M_sufficient", (1 + sp.sqrt(1 + 8 * N * sp.log(1 / (1 - q)))) / 2),),
    senses=(("M_sufficient", "le"),),
    notes=("sufficient by the exp bound; sample_size_for() returns the exact smallest M",),
    module=__name__,
))

INVERSION = register(Statement(
    id="birthday-inversion",
    title="Support size from an observed collision rate (uniform inversion)",
    summary="N ~ M(M-1) / (2 ln(1/(1-rate))); about 0.72 M^2 at rate 1/2",
    paper=ARORA_BIRTHDAY, reference="docs/math/birthday.md, standard formulas [R, standard]",
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
    paper=ARORA_BIRTHDAY, reference="ICLR 2018 birthday theorem as reported by a secondary "
                                    "source [S]; docs/math/birthday.md",
    reliability="[S]", form="reported",
    params=(P_M, P_rate, P_rho),
    exprs=(("N", sp.Piecewise((2 * M * rho**2 / _tb_den, _tb_den > 0), (sp.oo, True))),
           ("denominator", _tb_den),
           ("vacuity_threshold", sp.sqrt(_tb_first / (2 * M)))),
    flags=(Flag(kind="vacuous", when=sp.Le(_tb_den, 0), exprs=("N",),
                message="T-b's denominator is <= 0: the estimate is +infinity (says nothing)"),),
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
    paper=ARORA_BIRTHDAY, reference="project derivation, docs/math/birthday.md [D]",
    reliability="[D]", form="derived",
    params=(P_N, P_rho, P_M),
    exprs=(("bound", 1 - _mass_sum),),
    senses=(("bound", "ge"),),
    notes=("equality for N atoms of mass rho/N each plus an atomless remainder",),
    module=__name__,
))

TA = register(Statement(
    id="birthday-ta",
    title="T-a (as reported; false for rho < 1): collision lower bound from a heavy set",
    summary="P[coll] >= 1 - exp(-(M^2-M) rho/(2N)) (refuted for rho < 1, docs/math/birthday.md)",
    paper=ARORA_BIRTHDAY, reference="ICLR 2018 birthday theorem as reported by a secondary "
                                    "source [S]; docs/math/birthday.md",
    reliability="[S]", form="reported",
    params=(P_N, P_rho, P_M),
    exprs=(("bound", 1 - sp.exp(-(M**2 - M) * rho / (2 * N))),
           ("bound_rho_squared", 1 - sp.exp(-(M**2 - M) * rho**2 / (2 * N)))),
    flags=(Flag(kind="outside_domain", when=sp.Lt(rho, 1), exprs=("bound",),
                message="T-a as reported is false for rho < 1 (counterexample (N, rho, M) = "
                        "(1, 0.1, 2)); this value is not a valid lower bound"),),
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


def _collision_at_least(N: int, M: int, q: float) -> bool:
    """Exact predicate ``P[collision](N, M) >= q`` (``q`` a float, taken exactly): exact rational
    arithmetic within the exact budget, else mpmath at a precision that settles the sign."""
    import mpmath

    from checker.bounds.evaluate import mp_reference

    if M > N:
        return True
    if (M - 1) * 2 * N.bit_length() <= tol.EXACT_BITS_BUDGET:  # M <= 1: the empty product, P = 0
        return 1 - _exact_no_collision(sp.Integer(N), sp.Integer(M)) >= sp.Rational(q)
    ref, dps, _ = mp_reference(COLLISION, "collision", {"N": N, "M": M})
    with mpmath.workdps(dps):
        return bool(ref >= mpmath.mpf(q))


def sample_size_for(q: float, N: int) -> int:
    """The smallest ``M`` with collision probability ≥ ``q`` for ``N`` uniform items.

    Bounded doubling from the exp-bound sample size, then integer bisection on the **exact**
    predicate (``≥``, decided in rational arithmetic within the exact budget, else in
    high-precision mpmath); at most ``N + 1`` (where the collision probability is 1)."""
    q = probability("q", q)
    N = positive_int("N", N)
    hi = math.ceil(float(evaluate(SAMPLE_SIZE, N=N, q=q, name="M_sufficient").value))  # pragma: no mutate: only the start of the doubling search; the bisection returns the same smallest M from any start
    hi = min(max(hi, 2), N + 1)  # pragma: no mutate: only clamps the start of the doubling search to [2, N+1]; the bisection returns the same smallest M from any start there
    lo = 1  # collision probability of one sample is 0 < q
    while not _collision_at_least(N, hi, q):  # the exp bound is sufficient; float safety only
        lo, hi = hi, min(2 * hi, N + 1)
    while hi - lo > 1:  # invariant: P(lo) < q <= P(hi)
        mid = (lo + hi) // 2
        if _collision_at_least(N, mid, q):
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
    """Rigorous ``1 − E_{K~Bin(M,ρ)} ∏_{i<K}(1 − i/N)`` (docs/math/birthday.md [D])."""
    N, M = positive_int("N", N), integer("M", M, min_value=1)
    return evaluate(MASS_LOWER_BOUND, N=N, rho=rho, M=M, name="bound",
                    mode="exact" if exact else "numpy").value


def ta_reported_bound(N: int, rho: float, M: int) -> float:
    """T-a as reported, ``1 − exp(−(M²−M)ρ/(2N))`` (false for ρ < 1; kept to refute it)."""
    return float(evaluate(TA, N=N, rho=rho, M=M, name="bound").value)


# -- numerics: cumulative log-sums (float64), log-gamma (mpmath), exact products -----------------
def _log_nc_float(N: np.ndarray, M: np.ndarray) -> np.ndarray:
    """log prod_{i<M}(1 - i/N) (-inf for M > N), vectorised: one cumulative log1p table per
    distinct N (O(max M) work per N), the log-gamma closed form in mpmath for larger M."""
    N, M = np.broadcast_arrays(np.asarray(N, dtype=float), np.asarray(M, dtype=float))
    out = np.full(N.shape, -np.inf)
    spent = 0  # total table length built so far (bounded by CUMSUM_TERMS_BUDGET)
    for n in np.unique(N):
        mask = N == n
        ms = M[mask]
        res = np.full(ms.shape, -np.inf)
        ok = ms <= n
        if ok.any():
            mmax = int(ms[ok].max())
            if spent + mmax <= tol.CUMSUM_TERMS_BUDGET:
                spent += mmax
                table = np.concatenate(([0.0], np.cumsum(np.log1p(-np.arange(1, mmax) / n))))
                res[ok] = table[ms[ok].astype(np.int64) - 1]
            else:
                res[ok] = [_log_nc_mp_float(n, m) for m in ms[ok]]
        out[mask] = res
    return out


def _log_nc_mp(N, M):
    import mpmath

    N, M = int(N), int(M)
    if M > N:
        return mpmath.ninf
    if M <= 1:
        return mpmath.mpf(0)
    # prod_{i=1}^{M-1} (N-i)/N = Gamma(N) / (Gamma(N-M+1) N^(M-1)); extra digits keep N exact
    with mpmath.workdps(mpmath.mp.dps + 2 * len(str(N))):
        v = mpmath.loggamma(N) - mpmath.loggamma(N - M + 1) - (M - 1) * mpmath.log(N)
    return +v


def _log_nc_mp_float(n: float, m: float) -> float:
    import mpmath

    digits = 30 + len(str(int(n)))
    with mpmath.workdps(digits):
        return float(_log_nc_mp(int(n), int(m)))


def _exact_no_collision(N: sp.Integer, M: sp.Integer) -> sp.Rational:
    N, M = int(N), int(M)
    if M > N:
        return sp.Integer(0)
    num = 1
    for i in range(1, M):
        num *= N - i
    return sp.Rational(num, N ** max(M - 1, 0))


def _vec_coll(N, M):
    return -np.expm1(_log_nc_float(N, M))


def _vec_nocoll(N, M):
    return np.exp(_log_nc_float(N, M))


def _mp_coll(N, M):
    import mpmath

    return -mpmath.expm1(_log_nc_mp(N, M))


def _mp_nocoll(N, M):
    import mpmath

    return mpmath.exp(_log_nc_mp(N, M))


register_numeric("birthday-collision", "collision", vec=_vec_coll, mp=_mp_coll,
                 exact=lambda N, M: 1 - _exact_no_collision(N, M))
register_numeric("birthday-collision", "no_collision", vec=_vec_nocoll, mp=_mp_nocoll,
                 exact=_exact_no_collision)


def _mass_float_one(n: float, r: float, m: float) -> float:
    from scipy.special import gammaln, logsumexp, xlog1py, xlogy

    m_i = int(m)
    # terms with K > N vanish (no collision-free sample of more than N items): sum K <= min(M, N)
    k_max = int(min(m_i, n))
    if k_max > tol.CUMSUM_TERMS_BUDGET:
        from checker.errors import InvalidArgument

        raise InvalidArgument("M", m_i, f"and N={int(n)} give {k_max + 1:,} terms; the mass bound "
                              f"is evaluated for min(M, N) <= {tol.CUMSUM_TERMS_BUDGET:,}")
    k = np.arange(k_max + 1, dtype=float)
    logpmf = (gammaln(m_i + 1) - gammaln(k + 1) - gammaln(m_i - k + 1)
              + xlogy(k, r) + xlog1py(m_i - k, -r))
    logp = _log_nc_float(np.full(k.shape, n), np.maximum(k, 1))
    s = logsumexp(logpmf + logp)
    return float(-np.expm1(s))


def _vec_mass(N, rho, M):
    N, rho, M = np.broadcast_arrays(np.asarray(N, float), np.asarray(rho, float),
                                    np.asarray(M, float))
    out = np.empty(N.shape)
    for t in np.ndindex(N.shape):
        out[t] = _mass_float_one(N[t], rho[t], M[t])
    return out


def _mp_mass(N, rho, M):
    import mpmath

    N, M = int(N), int(M)
    if M > tol.MASS_MP_TERMS:
        return None
    total = mpmath.mpf(0)
    log_p = mpmath.mpf(0)
    for k_ in range(M + 1):
        if k_ >= 2:
            log_p = mpmath.ninf if k_ > N else log_p + mpmath.log1p(-mpmath.mpf(k_ - 1) / N)
        if log_p == mpmath.ninf:
            break
        total += mpmath.binomial(M, k_) * rho**k_ * (1 - rho) ** (M - k_) * mpmath.exp(log_p)
    return 1 - total


def _exact_mass(N, rho, M):
    N, M = int(N), int(M)
    rho = sp.Rational(rho)
    total = sp.Integer(0)
    p = sp.Integer(1)
    for k_ in range(M + 1):
        if k_ >= 2:
            p = p * sp.Rational(N - (k_ - 1), N) if k_ <= N else sp.Integer(0)
        if p == 0:
            break
        total += sp.binomial(M, k_) * rho**k_ * (1 - rho) ** (M - k_) * p
    return 1 - total


register_numeric("birthday-mass-lower-bound", "bound", vec=_vec_mass, mp=_mp_mass,
                 exact=_exact_mass)
