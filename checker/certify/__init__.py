"""The robustness certificate of Sinha, Namkoong, Duchi (ICLR 2018), made sound and tested.

* :mod:`checker.certify.certificate`: :func:`certify` -> :class:`Certificate` (Theorem 3,
  identity (13), the test-set certificate (15), the sound strong-concavity correction).
* :mod:`checker.certify.smoothness`: a certified :math:`L_{zz}` bound from layer norms
  (Corollary 4).
* :mod:`checker.certify.local`: per-example sound bounds of :math:`\\phi_\\gamma` at every
  :math:`\\gamma` (local strong concavity, Lipschitz fallback) on top of
  :mod:`checker.certify.propagate` (rigorous enclosures, rounding included) and
  :mod:`checker.certify.bnb` (branch-and-bound for inputs of dimension <= 3).
* :mod:`checker.certify.exact`: which models the sound bounds accept (an allow-list of exact
  call paths; hooks, overrides and compiled wrappers refused by name).
* :mod:`checker.certify.external`: ONNX and TorchScript files read into the same layer chain.
* :mod:`checker.certify.planted`: networks with planted narrow maxima (the soundness bench).
* :mod:`checker.certify.envelope`: the certificate against :math:`\\rho` (envelope over
  :math:`\\gamma`, sound values only) with the attacks' worst cases.
* :mod:`checker.certify.hessian`: per-example Hessian power-iteration estimates.
* :mod:`checker.certify.falsify`: attacks that try to exceed a certificate.
* :mod:`checker.certify.finite_sample`: the finite-sample term :math:`\\epsilon_n(t)`, symbolic.
* :mod:`checker.certify.figure2`: Figure 2 (certificate versus test worst case).

Heavy modules (torch) load on first use.
"""

from __future__ import annotations

from checker.certify.certificate import Certificate, certify, validate_model_data
from checker.certify.envelope import CertificateEnvelope, certificate_envelope
from checker.certify.smoothness import SmoothnessBound, network_smoothness

__all__ = ["Certificate", "certify", "validate_model_data", "SmoothnessBound", "network_smoothness",
           "CertificateEnvelope", "certificate_envelope"]
