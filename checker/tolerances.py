"""Every numerical tolerance of checker, named, in one place, each with its reason.

Add a constant here rather than a literal in code; tests import from here too.
"""

from __future__ import annotations

#: Relative tolerance when a float64 evaluation is compared with an exact (sympy) value of a
#: well-conditioned closed form: a few ulps of accumulated rounding in lambdified numpy code.
FLOAT64_REL = 1e-12

#: Absolute slack for float64 identities that hold exactly in real arithmetic but are evaluated
#: through O(10) floating-point operations on O(1) quantities.
FLOAT64_ABS = 1e-12

#: Relative tolerance of bracketed root finding when a bound is inverted numerically
#: (scipy.optimize.brentq with xtol/rtol set to this); far below any quantity a user reads.
ROOT_REL = 1e-12

#: Exactness of E(G(z)) = z in float64: the encoder reads copied coordinates, so the error is
#: exactly 0; anything above this means a wiring bug, not rounding.
INVERSION_ABS = 0.0

#: Two-sided false-alarm rate of statistical property tests (goodness of fit, Monte-Carlo
#: confidence intervals). With ~50 such tests per CI run the family-wise false-alarm
#: probability stays below 1e-4 (Bonferroni), while the tests remain sensitive.
STAT_ALPHA = 2e-6

#: Relative gap at which an inner maximisation is considered converged when it runs "to
#: tolerance" for a certificate (gradient-norm criterion is separate, see wrm.inner).
INNER_REL_TOL = 1e-8

#: Absolute slack when an attack's loss is compared with a certificate: float64 rounding of
#: sums over a batch of O(1) losses (n <= 1e5 terms of size <= 1e2 gives ~1e-9 worst case).
CERTIFICATE_ABS = 1e-8
