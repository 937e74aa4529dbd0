"""The ``library`` engine: the claim's side equals the bound library's expression (trust ``symbolic``).

Establishes: an identity of *expressions* (the claim's ``equals`` side minus the library's
expression simplifies to 0), and that the library's float64 evaluator agrees with that
expression within :data:`LIBRARY_NUMERIC_RTOL`. It binds a formula to the code; it does not by
itself prove a comparison (issue 24.3; the auditor counts it as binding only).

No paper is formalised here; this module is infrastructure of the auditor.
"""

from __future__ import annotations

import sympy as sp

from checker.audit.budget import CheckTimeout
from checker.audit.engines.exact import _conjuncts, _fmt_point, _relation_parts
from checker.audit.outline import CheckSpec, Node
from checker.audit.verdict import CheckResult, Evidence


#: Relative agreement required between the bound library's numeric (float64) evaluator and the
#: exact value of its own expression at the check point (float64 rounding of a few dozen
#: operations stays below 1e-12 relative; 1e-9 leaves margin and still catches any changed
#: constant or term).
LIBRARY_NUMERIC_RTOL = 1e-9


def _library(node: Node, spec: CheckSpec) -> CheckResult | Evidence:
    """The claim is bound to the bound library: ``equals`` must be one side of a claim comparison
    (or its margin g - f) and equal, symbolically, to the library's expression; the library's
    numeric evaluator must agree with that expression at a sample point."""
    from checker.audit.formula import parse_formula

    st = node.statement
    sid, ename = spec.options["statement"], spec.options["expr"]
    try:
        from checker import bounds
        stmt = bounds.get(sid)
    except (CheckTimeout, KeyboardInterrupt):
        raise
    except Exception as exc:  # noqa: BLE001 - missing library or id: reported as an error
        return CheckResult(kind="library", verdict="error", trust="symbolic",
                           summary=f"bound library statement {sid!r} unavailable: {type(exc).__name__}: {exc}")
    exprs = dict(stmt.exprs)
    if ename not in exprs:
        return CheckResult(kind="library", verdict="error", trust="symbolic",
                           summary=f"statement {sid!r} has no expression {ename!r} (has {sorted(exprs)})")
    lib = exprs[ename]
    table = dict(st.symbols)
    table.update(st.defines)
    mine = parse_formula(spec.options["equals"], table, file=node.file, node=node.id)
    # binding: `equals` is a side (or the margin) of one of the claim's comparisons
    sides = []
    for rel in _conjuncts(st.claim):
        h, _, _ = _relation_parts(rel)
        sides += [rel.lhs, rel.rhs, h, -h]
    if not any(sp.simplify(mine - s) == 0 for s in sides):
        return CheckResult(kind="library", verdict="error", trust="symbolic",
                           summary=f"library check not bound to the claim: {spec.options['equals']!r} is no side "
                                   "of the node's claim; a library check must test the claim itself")
    by_name = {s.name: sp.Symbol(s.name) for s in lib.free_symbols | mine.free_symbols}
    a = lib.subs({s: by_name[s.name] for s in lib.free_symbols})
    b = mine.subs({s: by_name[s.name] for s in mine.free_symbols})
    names_lib, names_mine = {s.name for s in a.free_symbols}, {s.name for s in b.free_symbols}
    if names_lib != names_mine:
        return CheckResult(kind="library", verdict="refuted", trust="symbolic",
                           summary=f"symbols differ: library {sorted(names_lib)} vs outline {sorted(names_mine)}")
    d = sp.simplify(a - b)
    if d != 0:
        return CheckResult(kind="library", verdict="refuted" if d.is_zero is False else "undecided",
                           trust="symbolic", summary=f"differs from {sid}:{ename}: difference {sp.sstr(d)[:160]}",
                           detail={"library": sp.sstr(lib)})
    # the library's numeric evaluator against the exact expression at a sample point
    numeric = "not compared"
    pt = {}
    for s in sorted(lib.free_symbols, key=lambda s: s.name):
        pt[s.name] = sp.Integer(3) if s.is_integer else sp.Rational(7, 5)
    try:
        got = float(bounds.evaluate(stmt, {k: (int(v) if v.is_Integer else float(v)) for k, v in pt.items()},
                                    name=ename, mode="numpy").values[ename])
        exact = sp.N(lib.subs({s: pt[s.name] for s in lib.free_symbols}), 30)  # pragma: no mutate[const:int+1 -> 31]: 30 or 31 digits, both far past float64
        ok = abs(got - float(exact)) <= LIBRARY_NUMERIC_RTOL * max(1.0, abs(float(exact)))
        numeric = f"float64 evaluator {got!r} vs exact {sp.N(exact, 17)} at {_fmt_point(pt)}"
        if not ok:
            return CheckResult(kind="library", verdict="refuted", trust="symbolic",
                               summary=f"the bound library's numeric evaluator disagrees with its own expression: "
                                       f"{numeric}", detail={"library": sp.sstr(lib)})
    except (CheckTimeout, KeyboardInterrupt):
        raise
    except Exception as exc:  # noqa: BLE001 - reported in the detail, not a pass by itself
        numeric = f"numeric evaluator could not run: {type(exc).__name__}: {exc}"
    return Evidence(kind="library", trust="symbolic",
                    summary=f"the claim's {spec.options['equals']!r} is the bound library's {sid}:{ename} "
                            f"(difference simplifies to 0); {numeric}",
                    detail={"library": sp.sstr(lib), "numeric": numeric})
