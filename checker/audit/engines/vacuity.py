"""Vacuity: are the domains and hypotheses satisfiable at all? (every engine asks first)

Establishes: ``vacuous`` when z3 proves domains ∧ hypotheses unsat (the claim then says nothing,
and is never counted as proved); ``ok`` with a witness point when a z3 model replays exactly or
the witness search (:mod:`.search`) finds one; ``unknown`` otherwise. Also the two z3 helpers
every engine shares: reading a rational model back (:func:`_model_point`), and a solver time
limit that never outlives the check's budget (:func:`_smt_timeout`).

No paper is formalised here; this module is infrastructure of the auditor.
"""

from __future__ import annotations

import sympy as sp

from checker.audit import budget
from checker.audit.engines.search import _find_witness, _hyps_hold
from checker.audit.outline import Node
from checker.audit.smt import Translation
from checker.audit.verdict import CheckResult
from checker.errors import CheckError


def _vacuous(kind: str, trust: str, vac: dict, detail: dict) -> CheckResult:
    detail = {**detail, "vacuity": vac.get("why", "")}
    return CheckResult(kind=kind, verdict="vacuous", trust=trust,
                       summary="vacuous: the hypotheses (with the domains) are unsatisfiable, so the "
                               f"claim says nothing ({vac.get('why', '')}); never counted as proved",
                       detail=detail)


def _nonvacuity(node: Node, extra=()) -> dict:
    """Are the domains and hypotheses (and ``extra`` z3 premises) satisfiable?

    ``{"state": "ok", "witness": point}`` when a point satisfying them was found (z3 model
    replayed exactly, or the witness search); ``{"state": "vacuous", "why": ...}`` when z3 proves
    them unsatisfiable; ``{"state": "unknown"}`` otherwise."""
    st = node.statement
    if not st.hypotheses and not extra:
        return {"state": "ok", "witness": "no hypotheses (every declared domain is nonempty)"}
    try:
        import z3

        t = Translation(domains=dict(st.domains))
        hyps = [t.expr(h.doit()) for h in st.hypotheses]
        s = z3.Solver()
        s.set("timeout", _smt_timeout(2000))
        s.add(*t.domain_facts(), *hyps, *extra)
        s.add(*t.facts)
        res = s.check()
        if res == z3.unsat:
            return {"state": "vacuous", "why": "z3: domains and hypotheses are unsat"}
        if res == z3.sat:
            pt = _model_point(s.model(), t, st)
            if pt is not None and _hyps_hold(st, pt):
                return {"state": "ok", "witness": {k: str(v) for k, v in pt.items()}}
    except CheckError:
        pass
    w = _find_witness(node)
    if w is not None:
        return {"state": "ok", "witness": w}
    return {"state": "unknown"}


def _model_point(model, t: Translation, st) -> dict | None:
    import z3

    point = {}
    for name in st.symbols:
        val = model.eval(t.vars[name], model_completion=True)
        if isinstance(val, z3.RatNumRef):
            point[name] = sp.Rational(val.numerator_as_long(), val.denominator_as_long())
        elif isinstance(val, z3.AlgebraicNumRef):
            f = val.approx(30).as_fraction()
            point[name] = sp.Rational(f.numerator, f.denominator)
        elif isinstance(val, z3.IntNumRef):
            point[name] = sp.Integer(val.as_long())
        else:
            return None
    return point


# ---------------------------------------------------------------------------------------------
# z3 time limits

def _smt_timeout(ms: int) -> int:
    left = budget.remaining()
    if left is not None:
        ms = min(ms, max(int(left * 1000) - 50, 1))
    return max(int(ms), 1)
