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

#: IEEE-754 float64 unit roundoff u = 2**-53 (round to nearest). The ReLU generator's a priori
#: off-ramp error bound (checker.gan.generator, Higham's gamma_n = n u / (1 - n u)) is built
#: from it; it is a property of the arithmetic, not a tuning knob.
FLOAT64_UNIT_ROUNDOFF = 2.0 ** -53

#: Relative error of E(G(z)) = z when the noise scale sigma is not a power of two: the code
#: goes through fl(sigma z) then fl(1/sigma) * that, two roundings of at most u each (plus the
#: rounding of 1/sigma), so |E(G(z)) - z| <= 3u |z| (+ u^2 terms); 4u leaves margin for them.
NOISE_SCALE_REL = 4 * 2.0 ** -53

#: Relative safety factor on a computed spectral norm used as a *certified* upper bound (layer
#: operator norms for the L_zz bound, checker.certify.smoothness): a float64 SVD's largest
#: singular value is accurate to ~ min(m, n) * 2.2e-16 * sigma_max, < 1e-11 relative for layers
#: up to 1e4 wide; 1e-9 leaves two orders of magnitude of margin and is invisible in a report.
OPNORM_REL_SAFETY = 1e-9

#: Default gradient-norm tolerance of the inner maximisation when a certificate is computed
#: (checker.certify): with the sound correction the residual contributes ||g||^2/(2 mu) to
#: phi, i.e. <= 5e-13/mu per example, far below any reported digit for mu >= 1e-3.
CERTIFY_GRAD_TOL = 1e-6

#: Relative slack when a Rayleigh-quotient (power-iteration) estimate of a Hessian eigenvalue
#: is compared with the certified L_zz bound: the estimate is computed by double backward in
#: float64 through O(10) layers, so rounding is ~1e-13 relative; 1e-9 keeps the check exact in
#: spirit while never flagging rounding as a violation.
HESSIAN_REL_SLACK = 1e-9

#: Safety factor on the rigorous float64 rounding bound used to screen pair distances computed
#: in the fast form ||a||^2 + ||b||^2 - 2 a.b (birthday.pairs). The bound (2d + 8) u (||a||^2 +
#: ||b||^2) already holds for any summation order (Higham, Accuracy and Stability, §3.1); the
#: factor 2 covers BLAS kernels that split sums differently. It only widens the candidate set
#: (each candidate is recomputed by direct differences), so it costs time, never correctness.
PAIR_SCREEN_SAFETY = 2.0

#: False-alarm rate of the birthday test's non-uniformity flag (a one-sided Poisson test of the
#: triple-collision count against the uniform prediction): one uniform run in a thousand is
#: flagged by chance (up to the Poisson approximation, see birthday.nonuniformity).
NONUNIFORM_ALPHA = 1e-3

#: Stated accuracy of the birthday test's support estimate in its validation tests: the
#: collision-count estimate must lie within this factor of the true collision support
#: 1/sum(p_i^2). With >= 100 expected collisions a Poisson count misses by a factor 2 with
#: probability < 1e-6 (Chernoff), the same order as STAT_ALPHA.
BIRTHDAY_SUPPORT_FACTOR = 2.0

#: Float64 slack for WRM inner-solver checks on O(1)-O(10) problems: the objective and iterates
#: are computed through O(100) float64 operations per step on values of size <= ~1e2, so
#: rounding stays below ~1e-12; 1e-10 leaves margin while catching any real optimisation gap.
WRM_FLOAT64_SLACK = 1e-10

#: Gradient-norm tolerance to which the inner solver is run when compared with a closed form:
#: with modulus mu the gap is <= tol^2/(2 mu) and ||z - z*|| <= tol/mu (docs/math/sinha.md,
#: "What makes a computed certificate sound").
WRM_INNER_GRAD_TOL = 1e-9

#: Relative rounding slack when a perturbation's norm is compared with its budget eps: the
#: projection rescales by eps/||delta||, exact up to a few ulps of the norm computation.
NORM_BUDGET_REL = 1e-12

#: Attacking an example alone versus inside a batch runs the same float64 arithmetic except for
#: BLAS blocking of the matrix products, which reorders sums: differences of a few ulps of O(1)
#: values, amplified by at most ~16 ascent steps; 1e-10 is far below any real coupling effect.
BATCH_CONSISTENCY_ABS = 1e-10

#: Rounding slack when ||z - x|| is compared with the budget eps after z = x + delta was formed
#: in float64: the sum is rounded at the scale of |x| (0.5 + 1e-9 - 0.5 != 1e-9, a Hypothesis
#: find), so the slack is relative to eps + ||x|| + ||z||, a few ulps of the largest operand.
NORM_BUDGET_OPERAND_REL = 1e-12

#: Relative agreement required when a bound is inverted and re-evaluated (or evaluated by two
#: routes: numpy vs exact/mpmath): brentq stops at ROOT_REL, and float64 evaluation of the log /
#: sqrt expressions of the bound library loses a few more digits when values reach ~1e17
#: (e.g. m* with p = 1e7, eps = 1e-3). Added by the bounds area.
BOUND_ROUND_TRIP_REL = 1e-9

#: A numerically evaluated closed-form root (np.emath.sqrt of an argument that rounding made
#: slightly negative) is treated as real when its imaginary part is below this fraction of its
#: magnitude. Added by the bounds area (checker.bounds.invert).
CLOSED_FORM_IMAG_REL = 1e-12
