"""The ``symbolic`` engine: a sympy normal form with an obvious sign (trust tag ``symbolic``).

Establishes: claim g ≥ f (or >, ==) for every point of the declared domains. How: g - f is put in
several normal forms (cancel, factor, together, simplify ...) under the domains' assumptions,
and sympy must *decide* the sign (``is_nonnegative is True``; ``None`` is never success).
Hypotheses enter only as declared ``slack`` substitutions (``a > b`` becomes ``a = b + s`` with
``s > 0``); otherwise the claim must hold on the whole domains, and the hypotheses must still be
satisfiable (:mod:`.vacuity`): a vacuous node is never proved. A decided wrong sign without
hypotheses refutes, confirmed by an exactly replayed point where possible.

No paper is formalised here; this module is infrastructure of the auditor.
"""

from __future__ import annotations

import sympy as sp

from checker.audit.budget import CheckTimeout
from checker.audit.engines.exact import _conjuncts, _fmt_point, _has_hypotheses, _relation_parts
from checker.audit.engines.search import _search_counterexample, _undecided_with_search
from checker.audit.engines.vacuity import _nonvacuity, _vacuous
from checker.audit.outline import CheckSpec, Node
from checker.audit.verdict import CheckResult, Evidence
from checker.errors import CheckError


def _symbolic(node: Node, spec: CheckSpec) -> CheckResult | Evidence:
    st = node.statement
    subs = {}
    slack_syms = []
    for k, text in enumerate(spec.options.get("slack", ())):
        hyp = st.hypotheses[st.source["hypotheses"].index(text)]
        if isinstance(hyp, (sp.StrictGreaterThan, sp.GreaterThan)):
            big, small = hyp.lhs, hyp.rhs
        elif isinstance(hyp, (sp.StrictLessThan, sp.LessThan)):
            big, small = hyp.rhs, hyp.lhs
        else:
            raise CheckError(f"slack {text!r} must be a hypothesis 'a > b' or 'a >= b'")
        if not (big.is_Symbol and big.name in st.symbols and st.domains[big.name] in ("real", "positive")):
            raise CheckError(f"slack {text!r}: the larger side must be a declared real symbol")
        strict = isinstance(hyp, (sp.StrictGreaterThan, sp.StrictLessThan))
        s = sp.Symbol(f"_slack{k}", positive=True) if strict else sp.Symbol(f"_slack{k}", nonnegative=True)
        if st.domains[big.name] == "positive" and not small.is_nonnegative:
            raise CheckError(f"slack {text!r}: cannot keep the positivity of {big} after substitution")
        subs[big] = small + s
        slack_syms.append(f"{big} = {small} + s{k} with s{k} {'> 0' if strict else '>= 0'}")
    forms = [("as stated", lambda e: e), ("expand", sp.expand), ("cancel", sp.cancel),
             ("together", sp.together), ("factor", sp.factor),
             ("expand_log+simplify", lambda e: sp.simplify(sp.expand_log(e))),
             ("powsimp+simplify", lambda e: sp.simplify(sp.powsimp(sp.expand_power_base(e)))),
             ("simplify", sp.simplify),
             ("factor(simplify)", lambda e: sp.factor(sp.simplify(e)))]
    tried: list[str] = []
    normal_forms = []
    refuted_by = None
    for rel in _conjuncts(st.claim):
        h, strict, is_eq = _relation_parts(rel)
        if subs:
            h = h.subs(subs)
        h = h.doit()
        verdict = None
        for name, f in forms:
            try:
                e = f(h)
            except (CheckTimeout, KeyboardInterrupt):
                raise
            except Exception as exc:  # sympy internals may raise on exotic input  # noqa: BLE001
                tried.append(f"{name}: {type(exc).__name__}")
                continue
            if is_eq:
                good, bad = e.is_zero, (e.is_zero is False)
            elif strict:
                good, bad = e.is_positive, e.is_nonpositive
            else:
                good, bad = e.is_nonnegative, e.is_negative
            tried.append(f"{name}: {sp.sstr(e)[:120]}")
            if good is True:
                what = "== 0" if is_eq else ("> 0" if strict else ">= 0")
                normal_forms.append((name, f"{sp.sstr(e)[:200]} {what}"))
                verdict = True
                break
            if bad is True and not slack_syms and not _has_hypotheses(node):
                # the negation holds everywhere on the domains (no hypotheses narrow them)
                refuted_by = (name, sp.sstr(e)[:200], is_eq)
                verdict = False
                break
        if verdict is not True:
            break
    if refuted_by is None and len(normal_forms) == len(_conjuncts(st.claim)):
        vac = _nonvacuity(node)
        detail = {"normal_form": "; ".join(f for _, f in normal_forms), "method": normal_forms[0][0],
                  "slack": slack_syms, "tried": tried, "premises_satisfiable": vac["state"]}
        if vac["state"] == "vacuous":
            return _vacuous("symbolic", "symbolic", vac, detail)
        if vac["state"] == "unknown" and slack_syms:
            return CheckResult(kind="symbolic", verdict="undecided", trust="symbolic",
                               summary="sympy proved the claim using the hypotheses, but no point "
                                       "satisfying the hypotheses was found (could be vacuous): "
                                       "not counted as proved", detail=detail)
        return Evidence(kind="symbolic", trust="symbolic",
                        summary="sympy: g - f normalises (" + "; ".join(f"{n}: {f}" for n, f in normal_forms)
                                + ") under the declared domains", detail=detail)
    if refuted_by is not None:
        name, text, is_eq = refuted_by
        # confirm with a concrete, exactly replayed point when one is found quickly
        ce = _search_counterexample(node, limit=200)
        detail = {"normal_form": text, "method": name, "tried": tried}
        if ce is not None:
            detail.update(ce)
        return CheckResult(kind="symbolic", verdict="refuted", trust="symbolic",
                           summary=f"sympy proves the negation: g - f = {text} is "
                                   f"{'nonzero' if is_eq else 'of the wrong sign'} everywhere on the declared "
                                   "domains" + (f"; e.g. at {_fmt_point(ce['point'])}" if ce else ""),
                           detail=detail)
    return _undecided_with_search(node, "symbolic", "symbolic",
                                  "sympy could not decide the sign (unknown is never success)",
                                  {"tried": tried, "slack": slack_syms})
