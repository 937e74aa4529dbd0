"""The ``evaluate`` engine: exact evaluation at one point (trust ``exact-eval`` or ``tested[1 point]``).

Establishes: for a claim with no free symbol after evaluation, its truth (exactly, or by a
rigorous interval sign of a transcendental value: *proved*); otherwise only that it holds at the
single given point (*tested*). How: :func:`._replay` at the check's ``at`` point, which checks
domains and hypotheses there too.

No paper is formalised here; this module is infrastructure of the auditor.
"""

from __future__ import annotations

from checker.audit.engines.exact import _fmt_point
from checker.audit.engines.search import _replay
from checker.audit.formula import parse_exact_number
from checker.audit.outline import CheckSpec, Node
from checker.audit.verdict import CheckResult, Evidence
from checker.errors import CheckError


def _evaluate(node: Node, spec: CheckSpec) -> CheckResult | Evidence:
    st = node.statement
    point = {k: parse_exact_number(str(v)) for k, v in spec.options.get("at", {}).items()}
    subs = {st.symbols[k]: v for k, v in point.items()}
    claim = st.claim.subs(subs)
    remaining = sorted(s.name for s in claim.doit().free_symbols)
    if remaining:
        raise CheckError(f"evaluate: symbols {remaining} have no value in 'at'")
    rep = _replay(node, point)
    if "why" in rep:
        raise CheckError(f"evaluate: the point {_fmt_point(point)} is not admissible: {rep['why']}")
    detail = dict(rep)
    if rep["claim_holds"] is False:
        return CheckResult(kind="evaluate", verdict="refuted", trust="exact-eval",
                           summary=f"counterexample {_fmt_point(point)}: {rep['claim_value']} "
                                   "(exact / rigorous interval evaluation)", detail=detail)
    if rep["claim_holds"] is None:
        return CheckResult(kind="evaluate", verdict="undecided", trust="exact-eval",
                           summary=f"could not decide the claim at {_fmt_point(point)}", detail=detail)
    if not {s.name for s in st.claim.doit().free_symbols}:
        return Evidence(kind="evaluate", trust="exact-eval",
                        summary=f"closed claim evaluated exactly: {rep['claim_value']}", detail=detail)
    return CheckResult(kind="evaluate", verdict="tested", trust=f"tested[1 point, {_fmt_point(point)}]",
                       summary=f"claim holds at the single point {_fmt_point(point)} "
                               f"({rep['claim_value']}); tested, not proved", detail=detail)
