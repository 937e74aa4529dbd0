"""The dispatcher of the check kinds a proof-outline node can carry (issue 24.10: one engine per
module under :mod:`checker.audit.engines`), each producing a :class:`CheckResult`.

========== ============================================== ===================== ==============
kind       what establishes the claim                     trust tag             success verdict
========== ============================================== ===================== ==============
symbolic   sympy normal form with an obvious sign          ``symbolic``          proved
smt        z3 nonlinear real arithmetic: vacuity, then     ``smt-nra``           proved (unsat)
           hyps ∧ ¬claim unsat, then side conditions;
           a sat model is replayed exactly
derive     z3: hyps ∧ used claims ⟹ claim (added by the    ``derived``           proved
           auditor for ``uses``)
interval   mpmath ``iv`` branch and bound over a box       ``interval`` (whole   proved
                                                           domain) or
                                                           ``interval[box]``
property   exhaustive small lattices, box corners, then    ``tested[n, box]``    tested
           Hypothesis; counterexamples replayed exactly
evaluate   exact evaluation at a point (rigorous interval  ``exact-eval``        proved (no free
           sign for transcendental values)                                       symbol) / tested
experiment a named check of :mod:`checker.experiments`,    ``experiment``        tested
           bound to the node's claim
cited      an external result (cited nodes only)           ``cited:NAME``        trusted
assumed    a hypothesis (assumption nodes only)            ``assumed:NODE``      trusted
library    the claim's side equals the bound library's     ``symbolic``          proved
           expression; its float evaluator agrees
========== ============================================== ===================== ==============

Verdicts: ``proved``, ``tested``, ``trusted`` (the check passed), ``refuted`` (an exactly
replayed counterexample, or a symbolic proof of the negation), ``failed`` (an experiment found
counter-evidence), ``vacuous`` (the hypotheses are unsatisfiable), ``undecided`` (the tool could
not decide and the counterexample search found nothing: never success), ``timeout``, ``error``
(the check could not run: never success, never a refutation), ``skipped``.

Pitfalls handled (docs/guide/audit.md, "Engine soundness"): sympy's ``None`` is never success;
z3's auxiliary names cannot capture user symbols; guards are proved, not assumed; every engine
checks vacuity; interval comparisons are made on explicit lower/upper endpoints; box endpoints are
exact rationals; every check runs under a wall-clock budget (:mod:`checker.audit.budget`).

Engines return :class:`~checker.audit.verdict.Evidence` for what they establish; the only route
from evidence to a *proved* verdict is :func:`checker.audit.verdict.prove`, called by the
source side-condition gate (:func:`checker.audit.engines.conditions._gate_side_conditions`)
here. ``cited`` and ``assumed`` checks are decided here: they establish nothing, they record trust.
"""

from __future__ import annotations

import time
from dataclasses import replace

from checker.audit import budget
from checker.audit.budget import CheckTimeout
from checker.audit.engines import conditions as _conditions
from checker.audit.engines import evaluate as _evaluate_engine
from checker.audit.engines import experiment as _experiment_engine
from checker.audit.engines import interval as _interval_engine
from checker.audit.engines import library as _library_engine
from checker.audit.engines import property as _property_engine
from checker.audit.engines import smt as _smt_engine
from checker.audit.engines import symbolic as _symbolic_engine
from checker.audit.outline import CheckSpec, Node
from checker.audit.verdict import PASS_VERDICTS, CheckResult, Evidence, restate
from checker.errors import CheckError

__all__ = ["CheckResult", "PASS_VERDICTS", "run_check", "ENGINE_VERSION"]

#: Bumped when a check engine changes meaning; part of the cache key.
ENGINE_VERSION = "5"


def run_check(node: Node, spec: CheckSpec, *, quick: bool = True, run_experiments: bool = True,
              premises=(), seconds: float | None = None) -> CheckResult:
    """Run one check of ``node`` under a wall-clock limit of ``seconds`` (default
    :data:`~checker.audit.budget.DEFAULT_CHECK_SECONDS`); never raises for a check that cannot
    run (verdict ``error``) or runs out of time (verdict ``timeout``). ``premises`` are the
    instantiated statements of used nodes (for the ``derive`` check)."""
    t0 = time.perf_counter()
    limit = budget.DEFAULT_CHECK_SECONDS if seconds is None else float(seconds)
    try:
        with budget.deadline(limit):
            res = _dispatch(node, spec, quick=quick, run_experiments=run_experiments, premises=premises)
            res = _conditions._gate_side_conditions(node, spec, res)
    except CheckTimeout:
        res = CheckResult(kind=spec.kind, verdict="timeout", trust=spec.kind,
                          summary=f"ran out of its wall-clock limit of {limit:g} s (never a pass)")
    except CheckError as exc:
        res = CheckResult(kind=spec.kind, verdict="error", trust=spec.kind, summary=f"check could not run: {exc}")
    except KeyboardInterrupt:
        raise
    except RecursionError:
        res = CheckResult(kind=spec.kind, verdict="error", trust=spec.kind,
                          summary="check could not run: expression nested too deeply")
    except Exception as exc:  # noqa: BLE001 - any engine failure is an error verdict, never a crash
        if time.perf_counter() - t0 >= limit:  # a library wrapped the timeout signal in its own error
            res = CheckResult(kind=spec.kind, verdict="timeout", trust=spec.kind,
                              summary=f"ran out of its wall-clock limit of {limit:g} s (never a pass)")
        else:
            res = CheckResult(kind=spec.kind, verdict="error", trust=spec.kind,
                              summary=f"check could not run: {type(exc).__name__}: {str(exc)[:200]}")
    dt = time.perf_counter() - t0
    return restate(res, seconds=round(dt, 4))


def _dispatch(node: Node, spec: CheckSpec, *, quick: bool, run_experiments: bool,
              premises) -> CheckResult | Evidence:
    if spec.kind in ("symbolic", "smt", "interval", "property", "evaluate", "derive") and node.statement.claim is None:
        raise CheckError(f"a {spec.kind} check needs a statement.claim")
    if spec.kind == "symbolic":
        return _symbolic_engine._symbolic(node, spec)
    if spec.kind == "smt":
        return _smt_engine._smt(node, spec)
    if spec.kind == "derive":
        res = _smt_engine._smt(node, spec, premises=premises)
        if isinstance(res, Evidence):
            return replace(res, kind="derive", trust="derived")
        return CheckResult(kind="derive", verdict=res.verdict, trust="derived", summary=res.summary,
                           detail=res.detail)
    if spec.kind == "interval":
        return _interval_engine._interval(node, spec)
    if spec.kind == "property":
        return _property_engine._property(node, spec)
    if spec.kind == "evaluate":
        return _evaluate_engine._evaluate(node, spec)
    if spec.kind == "experiment":
        if not run_experiments:
            return CheckResult(kind="experiment", verdict="skipped", trust="experiment",
                               summary=f"experiment {spec.options['name']} skipped (--skip-experiments): "
                                       "not checked")
        return _experiment_engine._experiment(node, spec, quick=quick)
    if spec.kind == "cited":
        if node.kind != "cited":
            return CheckResult(kind="cited", verdict="error", trust=f"cited:{spec.options['name']}",
                               summary=f"a citation may support only a 'cited' node whose statement is the cited "
                                       f"result, not a {node.kind} of the project (citation laundering)")
        return CheckResult(kind="cited", verdict="trusted", trust=f"cited:{spec.options['name']}",
                           summary=f"cited, not checked: {spec.options['reference']}",
                           detail={"reference": spec.options["reference"]})
    if spec.kind == "assumed":
        if node.kind != "assumption":
            return CheckResult(kind="assumed", verdict="error", trust=f"assumed:{node.id}",
                               summary=f"only an 'assumption' node may be assumed; a {node.kind} that assumes "
                                       "itself is never checked")
        return CheckResult(kind="assumed", verdict="trusted", trust=f"assumed:{node.id}",
                           summary=f"assumed, not checked: {spec.options['reason']}")
    if spec.kind == "library":
        return _library_engine._library(node, spec)
    raise CheckError(f"unknown check kind {spec.kind!r}")  # pragma: no cover - the loader rejects it
