"""Named tolerances and budgets of the bound library (each with its reason).

The shared :mod:`checker.tolerances` keeps the project-wide ones (``FLOAT64_REL``, ``ROOT_REL``,
``BOUND_ROUND_TRIP_REL``); these are specific to :mod:`checker.bounds`.
"""

from __future__ import annotations

#: A float64 value is accepted when it agrees with the high-precision (mpmath) reference to this
#: relative error: a few ulps of rounding in a lambdified expression of a dozen operations. A
#: larger disagreement means float64 lost digits (cancellation, overflow, underflow): the value is
#: then replaced by the reference and a note says so.
FLOAT_AGREE_REL = 1e-12

#: The adaptive-precision reference is accepted once two evaluations at d and 2d decimal digits
#: agree to this relative error (well below float64's 1.1e-16, so the float we return is the
#: correctly rounded reference up to one ulp).
MP_CONVERGED_REL = 1e-20

#: Starting and largest working precision (decimal digits) of the adaptive reference. 4,000
#: digits cover cancellations between terms up to 10^3900 (inputs are at most 1e308 as floats,
#: exact rationals from the CLI may be larger: beyond that the result carries a note).
MP_START_DPS = 30
MP_MAX_DPS = 4000

#: Precision bounds of ``--mode mpmath`` (``--dps``): below 15 digits mpmath is less precise than
#: float64 (values were silently wrong); the cap keeps a single evaluation to seconds.
MIN_DPS = 15
MAX_DPS = 10_000

#: Exact (sympy) arithmetic budget: an exact power, product or sum whose result would need more
#: than this many bits is not built (it would hang); the evaluation falls back to mpmath and says
#: so. 2^20 bits (~315,000 decimal digits) take well under a second to build.
EXACT_BITS_BUDGET = 2**20

#: Largest number of loop terms (finite sums / products) evaluated term by term (exact mode, or
#: mpmath cross-checks of a statement without a closed-form reference).
LOOP_TERMS_BUDGET = 20_000

#: Largest cumulative table (terms) a vectorised birthday evaluation builds in float64; beyond it
#: the per-point closed form through log-gamma in mpmath is used.
CUMSUM_TERMS_BUDGET = 10_000_000

#: Wall-clock limit (seconds) of one inversion (``solve_for``): scans, symbolic solves and
#: verification stop there with a one-line error naming ``solve_for``.
SOLVE_TIME_LIMIT_S = 20.0

#: An exact sympy comparison or simplification inside an inversion's verification is attempted
#: only for expressions up to this many operations (larger ones are verified in mpmath).
SYMBOLIC_VERIFY_OPS = 400

#: Largest sample size M for which the birthday mass bound's mpmath reference (a sum of M + 1
#: binomial terms, each evaluated at 30-120 digits) is computed; larger M is evaluated only by
#: the float64 log-sum-exp routine, and the value says it was not cross-checked.
MASS_MP_TERMS = 3000
