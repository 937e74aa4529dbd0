"""The robustness certificate of Sinha, Namkoong, Duchi (ICLR 2018), made sound and tested.

* :mod:`checker.certify.certificate`: :func:`certify` -> :class:`Certificate` (Theorem 3,
  identity (13), the test-set certificate (15), the sound strong-concavity correction).
* :mod:`checker.certify.smoothness`: a certified :math:`L_{zz}` bound from layer norms
  (Corollary 4).
* :mod:`checker.certify.hessian`: per-example Hessian power-iteration estimates.
* :mod:`checker.certify.falsify`: attacks that try to exceed a certificate.
* :mod:`checker.certify.finite_sample`: the finite-sample term :math:`\\epsilon_n(t)`, symbolic.
* :mod:`checker.certify.figure2`: Figure 2 (certificate versus test worst case).

Heavy modules (torch) load on first use.
"""

from __future__ import annotations

from checker.certify.certificate import Certificate, certify, validate_model_data
from checker.certify.smoothness import SmoothnessBound, network_smoothness

__all__ = ["Certificate", "certify", "validate_model_data", "SmoothnessBound", "network_smoothness"]
