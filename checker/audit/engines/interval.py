"""The ``interval`` engine: branch and bound with rigorous enclosures (trust ``interval`` or ``interval[box]``).

Establishes: claim over a box of exact rational endpoints: ``interval`` when the box is the whole
stated domain, else ``interval[box]`` (box-only, said so). How: the box is split on its widest
side; each sub-box is proved (the lower endpoint of g - f is ≥ 0, > 0 if strict), excluded (a
hypothesis is false on all of it) or split again, up to ``max_boxes``; comparisons use explicit
lower/upper endpoints (:mod:`.enclosure`). A midpoint that violates the claim is replayed
exactly and refutes; boxes left undecided are never counted as proved.

No paper is formalised here; this module is infrastructure of the auditor.
"""

from __future__ import annotations

import math
from fractions import Fraction

import sympy as sp

from checker.audit import budget
from checker.audit.engines.enclosure import _iv_bounds
from checker.audit.engines.exact import (DEFAULT_PREC, _combine3, _conjuncts, _fraction, _light, _relation_parts,
                                         _sign_verdict)
from checker.audit.engines.search import _free_names, _replay, _undecided_with_search
from checker.audit.engines.vacuity import _vacuous
from checker.audit.outline import CheckSpec, Node
from checker.audit.verdict import CheckResult, Evidence
from checker.errors import CheckError


#: Default most boxes an interval check evaluates (option ``max_boxes``).
DEFAULT_MAX_BOXES = 4000


def _box_of(node: Node, spec: CheckSpec, *, required: bool) -> dict[str, tuple[Fraction, Fraction]]:
    st = node.statement
    box = {k: (_fraction(v[0]), _fraction(v[1])) for k, v in spec.options.get("box", {}).items()}
    free = set(_free_names(node))
    missing = sorted(free - set(box))
    if missing and required:
        raise CheckError(f"box misses the free symbols {missing}")
    for name, (lo, hi) in box.items():
        dom = st.domains[name]
        if dom in ("positive", "positive_integer", "nonnegative", "nonnegative_integer") and lo < 0:
            raise CheckError(f"box for {name} must lie in its domain {dom} (low >= 0)")
        if dom == "negative" and hi > 0:
            raise CheckError(f"box for {name} must lie in its domain {dom} (high <= 0)")
        if dom.endswith("integer"):  # an integer symbol ranges over the integers of its box
            lo, hi = Fraction(math.ceil(lo)), Fraction(math.floor(hi))
            if lo > hi:
                raise CheckError(f"box for {name} contains no integer (its domain is {dom})")
            box[name] = (lo, hi)
    return box


def _stated_domain(node: Node) -> dict[str, tuple[Fraction | None, Fraction | None]]:
    """Per symbol, the interval its domain and the hypotheses of the form ``x <= c`` / ``x >= c``
    / ``x == c`` confine it to (``None`` = unbounded)."""
    st = node.statement
    out: dict[str, list] = {}
    for name, dom in st.domains.items():
        lo = Fraction(0) if dom in ("positive", "nonnegative", "nonnegative_integer") else (
            Fraction(1) if dom == "positive_integer" else None)
        hi = Fraction(0) if dom == "negative" else None
        out[name] = [lo, hi]
    hyps = []
    for h in st.hypotheses:
        hyps.extend(_conjuncts(h))
    for h in hyps:
        if not isinstance(h, (sp.LessThan, sp.StrictLessThan, sp.GreaterThan, sp.StrictGreaterThan, sp.Equality)):
            continue
        a, b = h.lhs, h.rhs
        for sym, num, sym_is_left in ((a, b, True), (b, a, False)):
            if isinstance(sym, sp.Symbol) and num.is_Rational and sym.name in out:
                v = Fraction(int(num.p), int(num.q))
                upper = isinstance(h, (sp.LessThan, sp.StrictLessThan)) == sym_is_left
                if isinstance(h, sp.Equality):
                    out[sym.name] = [v, v]
                elif upper:
                    out[sym.name][1] = v if out[sym.name][1] is None else min(out[sym.name][1], v)
                else:
                    out[sym.name][0] = v if out[sym.name][0] is None else max(out[sym.name][0], v)
    return {k: (v[0], v[1]) for k, v in out.items()}


def _box_is_whole_domain(node: Node, box: dict) -> bool:
    dom = _stated_domain(node)
    for name in _free_names(node):
        lo, hi = box.get(name, (None, None))
        dlo, dhi = dom[name]
        if lo is None or dlo is None or dhi is None or lo > dlo or hi < dhi:
            return False
    return True


def _box_text(box: dict) -> str:
    return ", ".join(f"{k}∈[{a},{b}]" for k, (a, b) in sorted(box.items()))


def _interval(node: Node, spec: CheckSpec) -> CheckResult | Evidence:
    st = node.statement
    box0 = _box_of(node, spec, required=True)
    rels = _conjuncts(st.claim)
    if any(_relation_parts(r)[2] for r in rels):
        raise CheckError("interval checks inequalities; use symbolic for an identity")
    parts = [(_light(_relation_parts(r)[0]), _relation_parts(r)[1]) for r in rels]
    prec = int(spec.options.get("prec", DEFAULT_PREC))
    max_boxes = int(spec.options.get("max_boxes", DEFAULT_MAX_BOXES))
    ints = {k for k in box0 if st.domains[k].endswith("integer")}
    whole = _box_is_whole_domain(node, box0)
    trust = "interval" if whole else f"interval[{_box_text(box0)}]"
    stack = [box0]
    proved = excluded = evaluated = 0
    undecided: list[dict] = []
    worst_lower: Fraction | None = None
    counter = None
    while stack:
        budget.poll()
        box = stack.pop()
        evaluated += 1
        hyp_state = [_box_truth(hyp, box, prec) for hyp in st.hypotheses]
        if False in hyp_state:
            excluded += 1
            continue
        ok = True
        for h, strict in parts:
            lo, hi = _iv_bounds(h, box, prec)
            if lo is not None and (lo > 0 or (not strict and lo >= 0)):
                worst_lower = lo if worst_lower is None else min(worst_lower, lo)
            else:
                ok = False
                break
        if ok:
            proved += 1
            continue
        mid = {}
        for k, (a, b) in box.items():
            m = (a + b) / 2
            if k in ints:  # integer ends (see _box_of and the split below): m stays in [a, b]
                m = Fraction(math.floor(m))
            mid[k] = sp.Rational(m.numerator, m.denominator)
        rep = _replay(node, mid)
        if rep["replayed"]:
            counter = rep
            break
        if evaluated + len(stack) >= max_boxes or _too_small(box, ints):
            undecided.append({k: [str(a), str(b)] for k, (a, b) in box.items()})
            continue
        k = max(box, key=lambda n: (box[n][1] - box[n][0]) if n not in ints or box[n][1] - box[n][0] >= 1
                else Fraction(-1))
        a, b = box[k]
        m = (a + b) / 2
        left, right = dict(box), dict(box)
        if k in ints:
            m = Fraction(math.floor(m))
            left[k], right[k] = (a, m), (m + 1, b)
        else:
            left[k], right[k] = (a, m), (m, b)
        stack.extend([right, left])
    detail = {"box": {k: [str(a), str(b)] for k, (a, b) in box0.items()}, "whole_domain": whole,
              "boxes_evaluated": evaluated, "boxes_proved": proved, "boxes_excluded_by_hypotheses": excluded,
              "undecided_boxes": undecided[:20], "n_undecided": len(undecided) + len(stack),
              "budget": max_boxes, "precision_bits": prec,
              "worst_lower_bound_of_margin": str(float(worst_lower)) if worst_lower is not None else None}
    if counter is not None:
        detail.update(counter)
        return CheckResult(kind="interval", verdict="refuted", trust=trust,
                           summary=f"counterexample at {counter['point']} (replayed: {counter['claim_value']})",
                           detail=detail)
    if not undecided and not stack:
        if proved == 0:
            return _vacuous("interval", trust, {"why": f"every sub-box of {_box_text(box0)} is excluded by "
                                                       "the hypotheses"}, detail)
        where = "the whole stated domain" if whole else f"the box {_box_text(box0)} only"
        return Evidence(kind="interval", trust=trust,
                        summary=f"mpmath iv branch and bound on {where}: {proved} boxes proved, {excluded} "
                                f"excluded by the hypotheses, 0 undecided (smallest lower bound of g - f: "
                                f"{detail['worst_lower_bound_of_margin']})", detail=detail)
    return _undecided_with_search(node, "interval", trust,
                                  f"{detail['n_undecided']} boxes undecided after {evaluated} evaluations "
                                  "(never counted as proved)", detail, box=box0)


def _too_small(box, ints) -> bool:
    return all((b - a) < Fraction(1, 10 ** 12) or (k in ints and b - a < 1) for k, (a, b) in box.items())


def _box_truth(rel, box, prec) -> bool | None:
    if isinstance(rel, (sp.And, sp.Or, sp.Not)):
        return _combine3(rel, [_box_truth(a, box, prec) for a in rel.args])
    if rel in (sp.true, sp.false):
        return bool(rel)
    h, strict, is_eq = _relation_parts(rel)
    if {s.name for s in h.free_symbols} - set(box):
        return None
    lo, hi = _iv_bounds(_light(h), box, prec)
    if lo is None:
        return None
    return _sign_verdict(lo, hi, strict=strict, is_eq=is_eq)
