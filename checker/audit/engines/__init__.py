"""The audit's check engines, one per module (issue 24.10; the table is in :mod:`checker.audit.checks`).

Each engine establishes something different, and says so in its docstring. An engine returns
:class:`~checker.audit.verdict.Evidence` for what it proved, or a
:class:`~checker.audit.verdict.CheckResult` whose verdict claims no proof (``tested``,
``refuted``, ``undecided``, ``vacuous``, ...); only :func:`checker.audit.verdict.prove` makes a
*proved* verdict. Shared, trusted helpers: :mod:`.exact` (exact truth at a point),
:mod:`.enclosure` (rigorous interval enclosures), :mod:`.search` (counterexample search with
exact replay), :mod:`.vacuity` (are the hypotheses satisfiable), :mod:`.screen` (a float64
pre-screen that can only send a point to exact replay), :mod:`.conditions` (side conditions
read from the source, and the gate from evidence to verdict).

No paper is formalised here; this module is infrastructure of the auditor.
"""
