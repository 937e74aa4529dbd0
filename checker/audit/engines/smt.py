"""The ``smt`` and ``derive`` engines: z3 nonlinear real arithmetic (trust tags ``smt-nra``, ``derived``).

Establishes: hypotheses (∧ the used claims, for ``derive``) ⟹ claim, over the declared domains.
How: (1) vacuity (:mod:`.vacuity`); (2) hypotheses ∧ premises ∧ the claim's definedness
obligations ∧ ¬claim is unsat, every assumption tracked so the minimised unsat core says which
premises were used; (3) the claim's side conditions (denominators, sqrt and log arguments, from
:mod:`checker.audit.smt`'s translation) are *proved* from the hypotheses, never assumed, and are
carried in the :class:`~checker.audit.verdict.Evidence`. ``sat`` gives a refutation only after
the model replays exactly; ``unknown`` is never a proof. Transcendental terms are abstracted
(fresh names under sound facts), which only makes a proof harder, never easier.

No paper is formalised here; this module is infrastructure of the auditor.
"""

from __future__ import annotations

import time
from typing import Any

import sympy as sp

from checker.audit.engines.exact import _fmt_point
from checker.audit.engines.search import _replay, _undecided_with_search
from checker.audit.engines.vacuity import _model_point, _nonvacuity, _smt_timeout, _vacuous
from checker.audit.outline import CheckSpec, Node
from checker.audit.smt import AUX_PREFIX, Translation
from checker.audit.verdict import CheckResult, Evidence


#: Default z3 time limit of one smt/derive check (option ``timeout_ms``; never beyond the check's budget).
DEFAULT_SMT_TIMEOUT_MS = 10_000


def _smt(node: Node, spec: CheckSpec, premises=()) -> CheckResult | Evidence:
    """z3: hypotheses ∧ premises ∧ ¬claim unsat (after the vacuity check and the side conditions).

    ``premises``: ``(label, sympy boolean)`` pairs, the instantiated statements of the nodes this
    one uses; each is tracked, and the unsat core says which were needed (``detail["used"]``)."""
    import z3

    st = node.statement
    timeout = _smt_timeout(int(spec.options.get("timeout_ms", DEFAULT_SMT_TIMEOUT_MS)))
    t = Translation(domains=dict(st.domains))
    hyps = [(f"hypothesis {k}: {sp.sstr(h)}", t.expr(h.doit())) for k, h in enumerate(st.hypotheses)]
    prem = [(label, t.expr(f)) for label, f in premises]
    n_prem_obl = len(t.obligations)
    claim = t.expr(st.claim.doit())
    detail: dict[str, Any] = {"solver": f"z3 {z3.get_version_string()}", "timeout_ms": timeout,
                              "abstracted": list(t.abstracted)}
    # 1. vacuity: domains ∧ hypotheses ∧ premises satisfiable?
    vac = _nonvacuity(node, extra=[p for _, p in prem]) if (hyps or prem) else {"state": "ok"}
    detail["premises_satisfiable"] = vac["state"]
    if vac["state"] == "vacuous":
        return _vacuous("smt", "smt-nra", vac, detail)
    # 2. hypotheses ∧ premises ∧ ¬claim, every assumption tracked for the unsat core
    s = z3.Solver()
    s.set("timeout", timeout)
    s.set("unsat_core", True)
    s.add(*t.domain_facts())
    s.add(*t.facts)
    tracked = {}
    for k, (label, f) in enumerate(hyps + prem):
        lit = z3.Bool(f"{AUX_PREFIX}p{k}")
        tracked[str(lit)] = label
        s.assert_and_track(f, lit)
    # look for a counterexample where the claim is defined; whether it is defined everywhere the
    # hypotheses hold is a separate obligation (proved below, never assumed)
    claim_obl = t.obligations[n_prem_obl:]
    s.add(*[c for _, c in claim_obl])
    s.add(z3.Not(claim))
    t0 = time.perf_counter()
    res = s.check()
    detail["solve_seconds"] = round(time.perf_counter() - t0, 4)
    detail["result"] = str(res)
    if res == z3.unsat:
        used = [tracked[str(c)] for c in s.unsat_core()]
        used = _minimise_core(t, hyps, prem, claim_obl, claim, used, timeout)
        detail["used"] = used
        side = _prove_side_conditions(t, [f for _, f in hyps], claim_obl, timeout)
        detail["side_conditions"] = side
        if side["unproved"]:
            return _undecided_with_search(
                node, "smt", "smt-nra",
                f"z3: the claim follows where it is defined, but the side condition(s) "
                f"{', '.join(side['unproved'])} do not follow from the hypotheses", detail)
        if vac["state"] != "ok":
            return CheckResult(kind="smt", verdict="undecided", trust="smt-nra",
                               summary="z3: unsat, but no point satisfying the hypotheses was exhibited "
                                       "(could be vacuous): not counted as proved", detail=detail)
        detail["witness"] = vac.get("witness")
        return Evidence(kind="smt", trust="smt-nra",
                        summary="z3 (nonlinear real arithmetic): hypotheses ∧ "
                                + ("used claims ∧ " if premises else "") + "¬claim is unsat"
                                + (f"; side conditions proved: {', '.join(side['proved'])}" if side["proved"] else "")
                                + (f"; abstracted: {', '.join(t.abstracted)}" if t.abstracted else ""),
                        detail=detail, conditions=tuple((c, "proved") for c in side["proved"]))
    if res == z3.sat:
        point = _model_point(s.model(), t, st)
        if point is not None:
            replay = _replay(node, point)
            detail.update(replay)
            if replay["replayed"]:
                return CheckResult(kind="smt", verdict="refuted", trust="smt-nra",
                                   summary=f"counterexample {_fmt_point(point)} (replayed exactly: "
                                           f"{replay['claim_value']})", detail=detail)
        why = ("z3 model did not replay exactly (abstracted terms or premises insufficient)"
               if point is not None else "z3 model has non-rational values")
        return _undecided_with_search(node, "smt", "smt-nra", why, detail)
    detail["reason_unknown"] = s.reason_unknown()
    return _undecided_with_search(node, "smt", "smt-nra",
                                  f"z3 returned unknown ({s.reason_unknown()}); not a proof", detail)


def _minimise_core(t: Translation, hyps, prem, claim_obl, claim, used: list[str], timeout: int) -> list[str]:
    """Drop used claims one at a time (in their listed order) while the rest still proves the
    claim: a deterministic minimal set of used claims, so the trust report does not depend on
    which core z3 happened to return. A used claim whose removal gives unknown is kept."""
    import z3

    keep = [label for label, _ in prem if label in used]
    for label in list(keep):
        trial = [lab for lab in keep if lab != label]
        s = z3.Solver()
        s.set("timeout", max(1, timeout // 4))
        s.add(*t.domain_facts(), *t.facts, *[f for _, f in hyps])
        s.add(*[f for lab, f in prem if lab in trial])
        s.add(*[c for _, c in claim_obl])
        s.add(z3.Not(claim))
        if s.check() == z3.unsat:
            keep = trial
    return [label for label, _ in hyps if label in used] + keep


def _prove_side_conditions(t: Translation, hyps: list, obligations: list, timeout: int) -> dict:
    import z3

    proved, unproved = [], []
    seen = set()
    for text, cond in obligations:
        if text in seen:
            continue
        seen.add(text)
        s = z3.Solver()
        s.set("timeout", timeout)
        s.add(*t.domain_facts(), *t.facts, *hyps)
        s.add(z3.Not(cond))
        (proved if s.check() == z3.unsat else unproved).append(text)
    return {"proved": proved, "unproved": unproved}
