r"""Arora, Risteski, Zhang (ICLR 2018; arXiv 1711.02651), Theorem 1 (Main), with explicit constants.

Statements
----------
``arora-thm1``
    The paper's pool size with its hidden absolute constant made explicit (``C``, default 1,
    form ``paper-hidden-constant``; source [S]: a secondary restatement of the theorem, see
    docs/math/arora-thm1.md; the authors write :math:`O(p\log^2(pL)/\varepsilon^2)` [A]) together
    with the project's explicit pool size :math:`m^\star` and its failure probability (form
    ``derived``, [R], docs/math/arora-thm1.md):

    .. math::

        m_{\rm paper} = C\,\frac{p\Delta^2\ln^2(p\Delta L L_\varphi/\varepsilon)}{\varepsilon^2},\qquad
        m^\star = \Big\lceil\frac{8\Delta^2}{\varepsilon^2}\Big(p\ln\big(1+\tfrac{16RLL_\varphi}{\varepsilon}\big)
                  + \ln\tfrac{2}{\delta}\Big)\Big\rceil + 1 .

``arora-mstar``
    :math:`m^\star`, its continuous relaxation (used for inversion: the ceiling is dropped and the
    inversion is exact because :math:`\lceil X\rceil + 1 \le m \iff X + 1 \le m` for integer
    :math:`m`) and the failure probability, Hoeffding route (docs/math/arora-thm1.md):

    .. math:: \Pr[\text{fail}] \le 2\Big(1+\tfrac{16RLL_\varphi}{\varepsilon}\Big)^p e^{-m\varepsilon^2/(8\Delta^2)} .

``arora-mcdiarmid``
    The McDiarmid + Markov route (docs/math/arora-thm1.md, [R]):

    .. math::

        m = \Big\lceil\tfrac{32\Delta^2}{\varepsilon^2}\Big(p\ln\big(1+\tfrac{16RLL_\varphi}{\varepsilon}\big)
            + \ln\tfrac{16\Delta}{\varepsilon}\Big)\Big\rceil+1,\qquad
        \Pr[\text{fail}] \le \Big(1+\tfrac{16RLL_\varphi}{\varepsilon}\Big)^p\,\tfrac{16\Delta}{\varepsilon}\,
            e^{-m\varepsilon^2/(32\Delta^2)} .

Symbols
-------
=================  ==============  =====================================================
paper              argument        meaning
=================  ==============  =====================================================
:math:`p`          ``p``           discriminator capacity (number of parameters)
:math:`\Delta`     ``Delta``       range bound, :math:`\varphi\in[-\Delta,\Delta]`
:math:`L`          ``L``           Lipschitz constant of :math:`D_v` in :math:`v`
:math:`L_\varphi`  ``L_phi``       Lipschitz constant of :math:`\varphi`
:math:`\varepsilon` ``eps``        fooling accuracy
:math:`R`          ``R``           radius of the parameter ball (ours; default 1)
:math:`\delta`     ``fail_prob``   target failure probability (ours; default 1 = ln 2 term)
:math:`C`          ``C``           the paper's hidden absolute constant (default 1, labelled)
:math:`m`          ``m``           pool size
=================  ==============  =====================================================

Constants: ``8``, ``16``, ``32`` and ``2`` are **our derivation** ([R], docs/math/arora-thm1.md),
not the paper's; the paper's form has only the hidden ``C``. The logarithm is natural (the paper
does not name the base). A failure "probability" above 1 means the bound is vacuous at that ``m``:
the helpers return it unclipped and :func:`~checker.bounds.evaluate` flags it ``vacuous``.

Domain flags: the paper form is flagged ``outside_domain`` when its log argument
:math:`p\Delta LL_\varphi/\varepsilon` is below 1 (there :math:`\ln^2` grows again as the argument
shrinks, so the formula no longer describes a pool size; inversions label this branch) and when
:math:`\Delta<1` (the paper assumes :math:`\Delta\ge1`).

Numerics: :math:`m^\star` is an exact integer at every size (ceiling taken on a high-precision
value, never in float64), and the log failure probability is recomputed in mpmath whenever its
terms cancel in float64 (e.g. :math:`p\approx2^{53}`).
"""

from __future__ import annotations


import math

import sympy as sp

from checker.bounds._common import ARORA, P_Delta, P_eps, P_L, P_Lphi, P_m, P_p, P_R, S
from checker.bounds.evaluate import evaluate, mp_reference, value
from checker.bounds.statement import Flag, Param, Statement, register
from checker.errors import InvalidArgument
from checker.validate import positive_int

__all__ = ["THM1", "MSTAR", "MCDIARMID", "paper_m", "mstar", "mstar_failure_probability",
           "mcdiarmid_m", "mcdiarmid_failure_probability", "explicit_eps"]

p, Delta, L, L_phi, eps, R = (S("p", "positive_int"), S("Delta"), S("L"), S("L_phi"), S("eps"),
                              S("R"))
m = S("m", "positive_int")
fail_prob = S("fail_prob", "unit_interval")
C = S("C")

P_C = Param(name="C", paper="C", description="the paper's hidden absolute constant",
            default=1, default_note="C=1 is a placeholder: the paper hides this constant "
                                    "(O(.) in the authors' blog)", hidden=True)
P_fail = Param(name="fail_prob", paper=r"\delta", description="target failure probability",
               domain="unit_interval", default=1,
               default_note="fail_prob=1 gives the ln 2 term (docs/math/arora-thm1.md; success "
                            "probability only guaranteed positive)")

_cover = 1 + 16 * R * L * L_phi / eps            # (1 + 2R/eta)^(1/p) with eta = eps/(8 L L_phi)
_x_hoeffding = 8 * Delta**2 / eps**2 * (p * sp.log(_cover) + sp.log(2 / fail_prob))
_log_fail_h = sp.log(2) + p * sp.log(_cover) - m * eps**2 / (8 * Delta**2)
_x_mcd = 32 * Delta**2 / eps**2 * (p * sp.log(_cover) + sp.log(16 * Delta / eps))
_log_fail_m = p * sp.log(_cover) + sp.log(16 * Delta / eps) - m * eps**2 / (32 * Delta**2)

PAPER_M = C * p * Delta**2 * sp.log(p * Delta * L * L_phi / eps) ** 2 / eps**2
_log_arg = p * Delta * L * L_phi / eps

_VACUOUS_H = Flag(kind="vacuous", when=sp.Gt(_log_fail_h, 0),
                  exprs=("failure_probability", "log_failure_probability"),
                  message="the failure bound exceeds 1 at this m: it guarantees nothing")
_VACUOUS_M = Flag(kind="vacuous", when=sp.Gt(_log_fail_m, 0),
                  exprs=("failure_probability", "log_failure_probability"),
                  message="the failure bound exceeds 1 at this m: it guarantees nothing")
_SENSES_M = (("log_failure_probability", "le"), ("failure_probability", "le"))

_ASSUMED = (
    "discriminator parameters lie in a ball of radius R (bounded V; R defaults to 1)",
    "D_v is L-Lipschitz in its parameters v, uniformly over inputs",
    "phi maps into [-Delta, Delta] and is L_phi-Lipschitz",
    "the code distribution nu is atomless (N(0, I) in the paper)",
)

MSTAR = register(Statement(
    id="arora-mstar",
    title="Explicit sufficient pool size m* (Hoeffding + eps-net route)",
    summary="m* = ceil((8 Delta^2/eps^2)(p ln(1+16RLL_phi/eps) + ln(2/delta))) + 1 and its "
            "failure probability",
    paper=ARORA, reference="project derivation, docs/math/arora-thm1.md (explicit m*, Hoeffding route)",
    reliability="[R]", form="derived",
    params=(P_p, P_Delta, P_L, P_Lphi, P_eps, P_R, P_fail, P_m),
    exprs=(("m_star", sp.ceiling(_x_hoeffding) + 1),
           ("m_star_continuous", _x_hoeffding + 1),
           ("log_failure_probability", _log_fail_h),
           ("failure_probability", sp.exp(_log_fail_h, evaluate=False))),
    primary="m_star",
    flags=(_VACUOUS_H,),
    senses=(("m_star", "le"), ("m_star_continuous", "le"), *_SENSES_M),
    relations=(("guarantee", sp.Le(sp.Symbol("gap"), sp.Rational(3, 4) * eps)),),
    hidden=(),
    assumed=_ASSUMED + ("the ReLU generator adds at most eps/4 (arora-ramp-width), "
                        "so the total error is eps",),
    notes=("with probability >= 1 - failure_probability over the pool, every discriminator "
           "satisfies gap <= 3 eps/4",
           "a failure probability > 1 means the bound is vacuous at that m (not clipped)",
           "m_star_continuous drops the ceiling; inverting it is exact for integer m"),
    module=__name__,
))

MCDIARMID = register(Statement(
    id="arora-mcdiarmid",
    title="Sufficient pool size on the McDiarmid + Markov route",
    summary="m = ceil((32 Delta^2/eps^2)(p ln(1+16RLL_phi/eps) + ln(16 Delta/eps))) + 1",
    paper=ARORA, reference="project derivation, docs/math/arora-thm1.md (McDiarmid + Markov route, "
                           "t=eps/4, s=eps/(8 Delta))",
    reliability="[R]", form="derived",
    params=(P_p, P_Delta, P_L, P_Lphi, P_eps, P_R, P_m),
    exprs=(("m_mcdiarmid", sp.ceiling(_x_mcd) + 1),
           ("m_mcdiarmid_continuous", _x_mcd + 1),
           ("log_failure_probability", _log_fail_m),
           ("failure_probability", sp.exp(_log_fail_m, evaluate=False))),
    flags=(_VACUOUS_M,),
    senses=(("m_mcdiarmid", "le"), ("m_mcdiarmid_continuous", "le"), *_SENSES_M),
    assumed=_ASSUMED,
    notes=("final error eps/2 + eps/4 (concentration plus eps-net)",),
    module=__name__,
))

THM1 = register(Statement(
    id="arora-thm1",
    title="Theorem 1 (Main): a generator of support m and an encoder with d~ nonzero weights "
          "eps-fool every L-Lipschitz discriminator with p parameters",
    summary="paper pool size C p Delta^2 ln^2(p Delta L L_phi/eps)/eps^2 (C hidden) and the "
            "explicit m* with its failure probability",
    paper=ARORA, reference="Theorem 1 (Main), as restated by a secondary source [S] "
                           "(docs/math/arora-thm1.md); explicit constants: docs/math/arora-thm1.md [R]",
    reliability="[S] statement, [R] explicit constants", form="paper-hidden-constant",
    params=(P_p, P_Delta, P_L, P_Lphi, P_eps, P_C, P_R, P_fail, P_m),
    exprs=(("m_paper", PAPER_M),
           ("m_star", sp.ceiling(_x_hoeffding) + 1),
           ("failure_probability", sp.exp(_log_fail_h, evaluate=False))),
    primary="m_paper",
    flags=(Flag(kind="outside_domain", when=sp.Lt(_log_arg, 1), exprs=("m_paper",),
                message="log argument p Delta L L_phi / eps < 1: the paper form's ln^2 grows as "
                        "the argument shrinks, so it is no pool size here"),
           Flag(kind="outside_domain", when=sp.Lt(Delta, 1), exprs=("m_paper",),
                message="Delta < 1: the paper assumes Delta >= 1 (the explicit m* holds for any "
                        "Delta > 0)"),
           _VACUOUS_H),
    senses=(("m_paper", "le"), ("m_star", "le"), ("failure_probability", "le")),
    relations=(("fooling", sp.Le(sp.Symbol("gap"), eps)),),
    hidden=("C: the paper's absolute constant (the authors write O(p log^2(pL)/eps^2)); "
            "evaluated with the labelled placeholder C=1",
            "the log base (natural log used)"),
    assumed=_ASSUMED,
    notes=("m_paper is the paper's form; m_star and failure_probability are our explicit "
           "derivation (form 'derived', statement arora-mstar), which the proof audit checks",
           "support m refers to the non-noise pixels only; G copies the noise from z"),
    module=__name__,
))


def paper_m(p: int, Delta: float, L: float, L_phi: float, eps: float, C: float = 1) -> float:
    """The paper's pool size :math:`C p\\Delta^2\\ln^2(p\\Delta LL_\\varphi/\\varepsilon)/\\varepsilon^2`
    (before rounding; ``C=1`` is a placeholder for the hidden constant)."""
    return float(value(THM1, "m_paper", p=p, Delta=Delta, L=L, L_phi=L_phi, eps=eps, C=C))


def mstar(p: int, Delta: float, L: float, L_phi: float, eps: float, *, R: float = 1,
          fail_prob: float | None = None) -> int:
    """Explicit sufficient pool size :math:`m^\\star` (docs/math/arora-thm1.md); with
    ``fail_prob=δ`` the ``ln 2`` term becomes ``ln(2/δ)``. An exact integer at every size (the
    ceiling is taken on a high-precision value, never in float64)."""
    v = value(MSTAR, "m_star", p=p, Delta=Delta, L=L, L_phi=L_phi, eps=eps, R=R,
              fail_prob=fail_prob)
    return int(v)


def mstar_failure_probability(m: int, p: int, Delta: float, L: float, L_phi: float,
                              eps: float, *, R: float = 1) -> float:
    """Upper bound :math:`2(1+16RLL_\\varphi/\\varepsilon)^p e^{-m\\varepsilon^2/(8\\Delta^2)}` on the
    probability that a random pool of size ``m`` fails. **Not clipped**: a value above 1 (or
    ``inf`` on float overflow) means the bound says nothing at this ``m``."""
    return float(value(MSTAR, "failure_probability", m=m, p=p, Delta=Delta, L=L, L_phi=L_phi,
                       eps=eps, R=R))


def mcdiarmid_m(p: int, Delta: float, L: float, L_phi: float, eps: float, *,
                R: float = 1) -> int:
    """Sufficient pool size on the McDiarmid + Markov route (docs/math/arora-thm1.md); exact."""
    return int(value(MCDIARMID, "m_mcdiarmid", p=p, Delta=Delta, L=L, L_phi=L_phi, eps=eps, R=R))


def mcdiarmid_failure_probability(m: int, p: int, Delta: float, L: float, L_phi: float,
                                  eps: float, *, R: float = 1) -> float:
    """Failure bound of the McDiarmid + Markov route at pool size ``m`` (not clipped)."""
    return float(value(MCDIARMID, "failure_probability", m=m, p=p, Delta=Delta, L=L,
                       L_phi=L_phi, eps=eps, R=R))


def _mstar_at(eps: float, base: dict) -> int:
    """m*(eps) as an exact integer (high-precision ceiling)."""
    ref, _, _ = mp_reference(MSTAR, "m_star", {**base, "eps": eps})
    return int(ref)  # ref is an integer-valued mpf (ceiling); int() is exact


def explicit_eps(m: int, p: int, Delta: float, L: float, L_phi: float, *, R: float = 1,
                 fail_prob: float | None = None) -> float:
    """The smallest float64 ε with ``m >= m*(ε)``: the accuracy the explicit bound guarantees at
    pool size ``m`` (``m >= 2``).

    Contract (tested on both sides): ``m*(ε) <= m`` and ``m*(ε') > m`` for the next float
    ``ε'`` below ``ε``. Since :math:`m^\\star(\\varepsilon)` is non-increasing, the predicate
    ``m*(ε) <= m`` is monotone, and an integer bisection over the bit patterns of the positive
    floats (at most 64 steps, each an exact-integer evaluation of ``m*``) finds that float.
    """
    m = positive_int("m", m)
    if m < 2:
        raise InvalidArgument("m", m, "must be >= 2 (m* >= 2 for every eps)")
    # validates every other parameter (one point inside the domain)
    ev = evaluate(MSTAR, dict(p=p, Delta=Delta, L=L, L_phi=L_phi, R=R, fail_prob=fail_prob,
                              eps=1.0), name="m_star_continuous")
    base = {k: v for k, v in ev.params.items() if k != "eps"}
    import struct

    def as_float(bits: int) -> float:
        return struct.unpack("<d", struct.pack("<q", bits))[0]

    top = struct.unpack("<q", struct.pack("<d", math.inf))[0] - 1  # the largest float
    if _mstar_at(as_float(top), base) > m:
        raise InvalidArgument("m", m, "is below m* even at the largest float eps")
    # start next to a float64 estimate of the root, then search outwards exponentially in ulps
    # (a handful of exact evaluations instead of 64); the bisection below decides exactly
    lo, hi = 0, top
    try:
        from checker.bounds.invert import solve_for

        guess = solve_for(MSTAR, "eps", target=m, name="m_star_continuous",
                          values={k: v for k, v in base.items() if k != "m"}).roots[0].value
        g = struct.unpack("<q", struct.pack("<d", guess))[0]
        ok_g = _mstar_at(guess, base) <= m
        step = 1
        while True:
            cand = min(max(g + (-step if ok_g else step), 0), top)
            if (_mstar_at(as_float(cand), base) <= m if cand > 0 else False) != ok_g:
                lo, hi = (cand, g) if ok_g else (g, cand)
                break
            # no separate stop at the ends is needed: the search reaches cand = 0 only going
            # down (ok_g true) and cand = top only going up (ok_g false), and the test above
            # fires there (eps -> 0+ counts as m* > m; m*(top) <= m was checked above)
            g, step = cand, step * 2
    except InvalidArgument:
        pass
    # invariant: m*(as_float(lo)) > m (lo = 0 stands for eps -> 0+), m*(as_float(hi)) <= m
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _mstar_at(as_float(mid), base) <= m:
            hi = mid
        else:
            lo = mid
    return as_float(hi)
