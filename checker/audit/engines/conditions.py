"""Side conditions read from the source, and the gate from an engine's answer to a verdict.

Establishes: that the claim is *defined* wherever the domains and hypotheses hold: every
denominator, sqrt argument and log argument collected by :mod:`checker.audit.formula` before any
simplification (``x/x == 1`` needs x ≠ 0). How: a closed condition is decided exactly; otherwise
z3 proves hypotheses ∧ ¬condition unsat (``unknown`` is never proved), or a point where it fails
is found and replayed exactly (refuted). :func:`_gate_side_conditions` applies this to every
claim-checking engine's passing answer, and turns evidence into a *proved* verdict through
:func:`checker.audit.verdict.prove`, the only way there is.

No paper is formalised here; this module is infrastructure of the auditor.
"""

from __future__ import annotations

from dataclasses import replace

import sympy as sp

from checker.audit import budget
from checker.audit.engines.exact import _decide, _fmt_point, _truth_at
from checker.audit.engines.search import _as_sympy_point, _candidates, _hyps_hold
from checker.audit.engines.smt import DEFAULT_SMT_TIMEOUT_MS
from checker.audit.engines.vacuity import _model_point, _smt_timeout
from checker.audit.outline import CheckSpec, Node
from checker.audit.smt import Translation
from checker.audit.verdict import CheckResult, Evidence, prove
from checker.errors import CheckError


# ---------------------------------------------------------------------------------------------
# side conditions read from the source (issue 24.2)

#: Check kinds whose passing verdict speaks for the claim, and so counts only once the claim's
#: side conditions are proved (a claim holds only where it is defined).
CLAIM_KINDS = ("symbolic", "smt", "derive", "interval", "property", "evaluate")
#: Points the counterexample search tries for one side condition z3 could not settle.
CONDITION_SEARCH_POINTS = 300
_CONDITION_MEMO: dict = {}


def side_conditions(node: Node) -> dict:
    """Prove every side condition of ``node``'s claim from its domains and hypotheses.

    Returns ``{"proved": [text], "refuted": [{"condition", "point"}], "open": [text]}``. A
    condition is *proved* when it is closed and evaluates to true (exactly, or by a rigorous
    interval), or when z3 finds hypotheses ∧ ¬condition unsat (abstraction only ever makes this
    harder, never easier); *refuted* when a point of the domains satisfies every hypothesis and
    makes the condition false, replayed exactly; *open* otherwise (``unknown`` is never proved)."""
    import json

    st = node.statement
    key = (node.id, json.dumps(st.source, sort_keys=True, default=str))
    if key in _CONDITION_MEMO:
        return _CONDITION_MEMO[key]
    out: dict = {"proved": [], "refuted": [], "open": []}
    for text, rel in st.conditions:
        budget.poll()
        verdict, point = _prove_condition(node, rel)
        if verdict is True:
            out["proved"].append(text)
        elif verdict is False:
            out["refuted"].append({"condition": text, "point": point})
        else:
            out["open"].append(text)
    _CONDITION_MEMO[key] = out
    return out


def _prove_condition(node: Node, rel) -> tuple[bool | None, dict | None]:
    st = node.statement
    if rel is sp.true or rel is True:
        return True, None
    if rel is sp.false or rel is False:
        return False, {}
    if not rel.free_symbols:
        return _decide(rel), ({} if _decide(rel) is False else None)
    try:
        import z3

        t = Translation(domains=dict(st.domains))
        hyps = [t.expr(h.doit()) for h in st.hypotheses]
        c = t.expr(rel.doit())
        s = z3.Solver()
        s.set("timeout", _smt_timeout(DEFAULT_SMT_TIMEOUT_MS))
        s.add(*t.domain_facts(), *hyps, *t.facts, z3.Not(c))
        res = s.check()
        if res == z3.unsat:
            return True, None
        if res == z3.sat:
            pt = _model_point(s.model(), t, st)
            if pt is not None and _hyps_hold(st, pt) and _truth_at(rel, {st.symbols[k]: v for k, v in pt.items()}) is False:
                return False, {k: str(v) for k, v in pt.items()}
    except CheckError:
        pass
    for pt in _candidates(node, limit=CONDITION_SEARCH_POINTS):
        budget.poll()
        spt = _as_sympy_point(pt)
        if {s.name for s in rel.free_symbols} - set(spt):
            break
        if _hyps_hold(st, spt) and _truth_at(rel, {st.symbols[k]: v for k, v in spt.items()}) is False:
            return False, {k: str(v) for k, v in spt.items()}
    return None, None


def _gate_side_conditions(node: Node, spec: CheckSpec, res: CheckResult | Evidence) -> CheckResult:
    """The route from an engine's answer to a verdict. A passing answer of a claim-checking engine
    stands only if the claim is defined wherever the hypotheses hold: otherwise ``refuted`` (a
    point where a side condition fails, replayed exactly) or ``undecided`` (a condition neither
    proved nor refuted). Evidence becomes *proved* only through :func:`checker.audit.verdict.prove`,
    with the source's side conditions added to what it rests on."""
    said = "proved" if isinstance(res, Evidence) else res.verdict
    if spec.kind not in CLAIM_KINDS or said not in ("proved", "tested") or not node.statement.conditions:
        return prove(res) if isinstance(res, Evidence) else res
    sc = side_conditions(node)
    detail = {**res.detail, "side_conditions_from_source": sc}
    if sc["refuted"]:
        bad = sc["refuted"][0]
        where = _fmt_point(bad["point"]) if bad["point"] else "every point"
        return CheckResult(kind=res.kind, verdict="refuted", trust=res.trust,
                           summary=f"the claim is undefined at {where}, where the hypotheses hold: its side "
                                   f"condition {bad['condition']} (read from the source, before simplification) "
                                   f"is false there; {spec.kind} alone said {said}", detail=detail)
    if sc["open"]:
        return CheckResult(kind=res.kind, verdict="undecided", trust=res.trust,
                           summary=f"{spec.kind} said {said}, but the side condition(s) "
                                   f"{', '.join(sc['open'])} of the claim (read from the source) do not follow "
                                   "from the domains and hypotheses: not counted", detail=detail)
    summary = res.summary + f"; side conditions from the source proved: {', '.join(sc['proved'])}"
    if isinstance(res, Evidence):
        return prove(replace(res, summary=summary, detail=detail,
                             conditions=res.conditions + tuple((c, "proved") for c in sc["proved"])))
    return CheckResult(kind=res.kind, verdict=res.verdict, trust=res.trust, summary=summary, detail=detail)
