"""The Coq kernel behind the audit (issue 23): every claim z3 or sympy proves is stated in Coq
and re-checked there; only a ``Qed`` makes it *kernel-checked*.

* :mod:`~checker.audit.kernel.translate` -- outline source text to Coq propositions (trusted);
* :mod:`~checker.audit.kernel.coqfile` -- the Coq files (axioms, lemmas, the tactic ladder);
* :mod:`~checker.audit.kernel.runner` -- ``coqc`` in parallel, the cache, ``Print Assumptions``;
* :mod:`~checker.audit.kernel.plan` -- which node becomes which entry (:func:`kernel_check`).

Coq's prelude lives in ``proofs/coq/``; hand-written proofs live in the outlines (``coq_proof``); the guide is
``docs/guide/kernel.md``.
"""

from checker.audit.kernel.plan import NO_COQC, KernelReport, kernel_check

__all__ = ["KernelReport", "kernel_check", "NO_COQC"]
