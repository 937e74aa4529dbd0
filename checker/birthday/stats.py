r"""Statistics of the birthday-paradox test: intervals, the 1/2 crossing, support estimates,
and the non-uniformity flag.

Arora & Zhang 2017 / Arora, Risteski, Zhang, ICLR 2018, docs/math/birthday.md
("Collision formulas", "T-b as reported").
The collision formulas are [R, standard] and come from :mod:`checker.bounds.birthday` (single
source of truth); T-b is the heuristic reported by a secondary source [S]. The estimators and
the non-uniformity test are the project's design [R].

==============================  =================  ==============================================
symbol                          argument           meaning
==============================  =================  ==============================================
:math:`s` (paper :math:`M`)     ``s``              sample size of one trial
:math:`\gamma`                  ``rate``           observed P(duplicate | s)
:math:`N`                       support            number of (equally likely) distinct images
:math:`C`                       ``collisions``     number of duplicate *pairs* over all trials
:math:`T_3`                     ``triples``        number of mutually duplicate *triples*
==============================  =================  ==============================================

* **Clopper–Pearson** interval for a binomial proportion (``scipy.stats.beta``).
* **Collision-count estimator** [R]: for :math:`p` the image distribution, each pair of a trial
  collides with probability :math:`\sum_i p_i^2`, so

  .. math:: \hat N = \frac{\sum_{\text{trials}} \binom{s}{2}}{C}

  estimates the *collision support* :math:`1/\sum_i p_i^2` (:math:`=N` when uniform). Its
  interval inverts an exact Poisson (Garwood) interval on :math:`C` (an approximation: pair
  indicators are only pairwise independent).
* **Uniform inversion** [R, standard]: :math:`N \approx s(s-1)/(2\ln\frac1{1-\gamma})`
  (``invert_uniform``), with the Clopper–Pearson interval of :math:`\gamma` mapped through it.
* **Non-uniformity flag** [R]: by Cauchy–Schwarz :math:`\sum p_i^3 \ge (\sum p_i^2)^2`, with
  equality iff :math:`p` is uniform on its support. Under uniformity over :math:`N` images a
  trial has :math:`\mathbb E[T_3] = \binom s3/N^2`. The flag is a one-sided Poisson test of the
  observed :math:`T_3` against that mean with :math:`N` set to the *lower* end of the
  collision-count interval (conservative); false-alarm rate about
  :data:`checker.tolerances.NONUNIFORM_ALPHA` (Poisson approximation).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as _st

from checker.errors import InvalidArgument
from checker.tolerances import NONUNIFORM_ALPHA
from checker.validate import integer, probability

__all__ = [
    "Interval",
    "SHalf",
    "SupportEstimate",
    "NonUniformity",
    "clopper_pearson",
    "poisson_interval",
    "s_half",
    "collision_count_estimate",
    "uniform_inversion_estimate",
    "tb_heuristic_estimate",
    "nonuniformity_test",
]


@dataclass(frozen=True, kw_only=True)
class Interval:
    """A point estimate with a two-sided interval at ``confidence``."""

    value: float
    low: float
    high: float
    confidence: float


@dataclass(frozen=True, kw_only=True)
class SHalf:
    r"""Sample size where P(duplicate | s) crosses 1/2.

    ``value``: linear interpolation of the estimated probability in :math:`\log s` between the
    two grid points around the first crossing (``None`` if it never crosses in the grid).
    ``low``/``high``: the bracket: the largest grid ``s`` whose interval lies wholly below 1/2
    and the smallest whose interval lies wholly above (``None`` when no grid point qualifies).
    """

    value: float | None
    low: int | None
    high: int | None
    note: str


@dataclass(frozen=True, kw_only=True)
class SupportEstimate:
    """A support-size estimate with its interval, method and the assumptions it rests on."""

    value: float
    low: float
    high: float
    method: str
    assumptions: str
    s: int | None = None


@dataclass(frozen=True, kw_only=True)
class NonUniformity:
    """Result of the triple-collision test (``flagged`` means: evidence against uniformity)."""

    flagged: bool
    testable: bool
    triples_observed: int
    triples_expected_uniform: float
    p_value: float
    alpha: float
    test: str


def clopper_pearson(k: int, n: int, *, confidence: float = 0.95) -> Interval:
    """Exact (Clopper–Pearson) interval for a binomial proportion ``k / n``."""
    n = integer("n", n, min_value=1)
    k = integer("k", k, min_value=0, max_value=n)
    conf = probability("confidence", confidence)
    a = 1.0 - conf
    lo = 0.0 if k == 0 else float(_st.beta.ppf(a / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(_st.beta.ppf(1 - a / 2, k + 1, n - k))
    return Interval(value=k / n, low=lo, high=hi, confidence=conf)


def poisson_interval(k: int, *, confidence: float = 0.95) -> Interval:
    """Exact (Garwood) interval for a Poisson mean from one count ``k``."""
    k = integer("k", k, min_value=0)
    conf = probability("confidence", confidence)
    a = 1.0 - conf
    lo = 0.0 if k == 0 else float(_st.chi2.ppf(a / 2, 2 * k) / 2)
    hi = float(_st.chi2.ppf(1 - a / 2, 2 * k + 2) / 2)
    return Interval(value=float(k), low=lo, high=hi, confidence=conf)


def s_half(s_values: Sequence[int], rates: Sequence[Interval]) -> SHalf:
    """Where the estimated P(duplicate | s) first reaches 1/2 on the grid (see :class:`SHalf`)."""
    if len(s_values) != len(rates) or not s_values:
        raise InvalidArgument("s_values", list(s_values), "must be non-empty and match the rates")
    order = np.argsort(np.asarray(s_values))
    s = [int(s_values[i]) for i in order]
    r = [rates[i] for i in order]
    below = [si for si, ri in zip(s, r) if ri.high < 0.5]
    above = [si for si, ri in zip(s, r) if ri.low > 0.5]
    low = max(below) if below else None
    high = min(above) if above else None
    value = None
    note = "P(duplicate) never reaches 1/2 on the grid: support is larger than the grid resolves"
    for t in range(len(s)):
        if r[t].value >= 0.5:
            if t == 0:
                value = float(s[0])
                note = "P(duplicate) >= 1/2 already at the smallest s: support is smaller than the grid resolves"
            else:
                p0, p1 = r[t - 1].value, r[t].value
                l0, l1 = math.log(s[t - 1]), math.log(s[t])
                frac = (0.5 - p0) / (p1 - p0)  # p0 < 1/2 <= p1: t is the first crossing
                value = float(math.exp(l0 + frac * (l1 - l0)))
                note = "interpolated linearly in log s between the grid points around the first crossing"
            break
    return SHalf(value=value, low=low, high=high, note=note)


_UNIFORM_SIM = ("similarity: duplicates are pairs within the calibrated threshold in the chosen "
                "feature space; a better similarity finds more duplicates, so this is an upper "
                "bound on the support [A]")


def collision_count_estimate(pairs_total: int, collisions: int, *,
                             confidence: float = 0.95) -> SupportEstimate:
    r""":math:`\hat N = \text{pairs}/C` with the Poisson (Garwood) interval on :math:`C` mapped through."""
    pairs_total = integer("pairs_total", pairs_total, min_value=1)
    collisions = integer("collisions", collisions, min_value=0)
    ci = poisson_interval(collisions, confidence=confidence)
    value = math.inf if collisions == 0 else pairs_total / collisions
    low = pairs_total / ci.high
    high = math.inf if ci.low == 0 else pairs_total / ci.low
    return SupportEstimate(
        value=value, low=low, high=high, method="collision_count",
        assumptions=("estimates 1/sum p_i^2 (= N exactly when the distribution is uniform over N "
                     "images; smaller otherwise); interval: exact Poisson interval on the "
                     "collision count (approximate: pairs are only pairwise independent); "
                     + _UNIFORM_SIM))


def uniform_inversion_estimate(s: int, rate: Interval) -> SupportEstimate | None:
    r"""``invert_uniform`` at one ``s`` (``None`` when the rate is 0 or 1: not invertible)."""
    from checker.bounds.birthday import invert_uniform

    if not 0.0 < rate.value < 1.0:
        return None
    value = float(invert_uniform(rate.value, s))
    high = math.inf if rate.low <= 0.0 else float(invert_uniform(rate.low, s))
    low = 0.0 if rate.high >= 1.0 else float(invert_uniform(rate.high, s))
    return SupportEstimate(
        value=value, low=low, high=high, method="uniform_inversion", s=int(s),
        assumptions=("assumes the generator is uniform over N images: N = s(s-1)/(2 ln(1/(1-rate))) "
                     "[R, standard]; interval: Clopper-Pearson interval of the rate mapped through; "
                     + _UNIFORM_SIM))


def tb_heuristic_estimate(s: int, rate: Interval) -> SupportEstimate | None:
    """The reported T-b heuristic with rho = 1 (``None`` where the rate is 0/1 or T-b is vacuous)."""
    from checker.bounds.birthday import tb_estimate

    if not 0.0 < rate.value < 1.0:
        return None
    value = float(tb_estimate(s, rate.value, 1))
    if not math.isfinite(value):
        return None
    hi_v = math.inf if rate.low <= 0.0 else float(tb_estimate(s, rate.low, 1))
    lo_v = 0.0 if rate.high >= 1.0 else float(tb_estimate(s, rate.high, 1))
    return SupportEstimate(
        value=value, low=lo_v, high=hi_v, method="tb_heuristic", s=int(s),
        assumptions=("T-b as reported by a secondary source [S], with rho = 1; a heuristic "
                     "second-order inversion, not a theorem checker has established; "
                     + _UNIFORM_SIM))


def nonuniformity_test(*, triples: int, triple_opportunities: float, n_low: float,
                       alpha: float = NONUNIFORM_ALPHA) -> NonUniformity:
    r"""One-sided Poisson test of the triple count against uniformity over ``n_low`` images.

    ``triple_opportunities`` is :math:`\sum_{\text{trials}}\binom s3`; the uniform mean is
    ``triple_opportunities / n_low**2``.
    """
    triples = integer("triples", triples, min_value=0)
    alpha = probability("alpha", alpha)
    test = ("one-sided Poisson test of the number of mutually-duplicate triples against the "
            "uniform prediction sum_trials C(s,3)/N^2, with N the lower end of the collision-count "
            f"interval (conservative); false-alarm rate about {alpha:g} (Poisson approximation)")
    if not math.isfinite(n_low) or n_low <= 0 or triple_opportunities <= 0:
        return NonUniformity(flagged=False, testable=False, triples_observed=triples,
                             triples_expected_uniform=math.nan, p_value=1.0, alpha=alpha,
                             test=test + "; not testable: no collisions observed")
    mu = float(triple_opportunities) / (n_low * n_low)
    p = float(_st.poisson.sf(triples - 1, mu)) if triples > 0 else 1.0
    return NonUniformity(flagged=p < alpha, testable=True, triples_observed=triples,
                         triples_expected_uniform=mu, p_value=p, alpha=alpha, test=test)
