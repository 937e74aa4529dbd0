"""Capture-avoiding substitution into a used claim (issue 24.1): a trusted piece of the audit.

When node N uses node U with ``subs = { x = "..." }``, the auditor instantiates U's statement by
replacing each of U's symbols with a formula over N's symbols. Sympy binds names inside
``Sum``/``Product`` (the index ``i`` of Σ_{i=a}^{b} f(i)); a value that mentions a name equal to
a bound index would be captured by the binder and change the meaning of U's claim. The two
functions here rename every bound index to a fresh name first (α-conversion), which no outline
symbol can spell (outline symbols cannot start with an underscore); then a plain ``xreplace``
of the free symbols is capture-avoiding. Used by :func:`checker.audit.auditor.premise_of`.

No paper is formalised here; this module is infrastructure of the auditor.
"""

from __future__ import annotations

import sympy as sp

__all__ = ["fresh_bound_names", "rename_bound"]


def fresh_bound_names(exprs) -> dict:
    """Bound symbol -> a fresh symbol with the same assumptions, named ``_bound<k>_<name>``
    (outline symbols cannot start with an underscore, so no substituted value can meet it)."""
    out: dict = {}
    for e in exprs:
        for sub in sp.preorder_traversal(e):
            if isinstance(sub, (sp.Sum, sp.Product)):
                for lim in sub.limits:
                    v = lim[0]
                    if v not in out:
                        out[v] = sp.Symbol(f"_bound{len(out)}_{v.name}", **v.assumptions0)
    return out


def rename_bound(e, fresh: dict):
    """``e`` with the index of every Sum/Product renamed (inside its own scope only)."""
    if not fresh or not e.has(sp.Sum, sp.Product):
        return e

    def ren(x):
        if isinstance(x, (sp.Sum, sp.Product)):
            body = rename_bound(x.function, fresh)
            lims = []
            for lim in x.limits:
                v, rest = lim[0], [rename_bound(b, fresh) for b in lim[1:]]
                new = fresh.get(v, v)
                body = body.xreplace({v: new})
                lims.append((new, *rest))
            return type(x)(body, *lims)
        if x.args:
            return x.func(*[ren(a) for a in x.args], evaluate=False) if isinstance(x, (sp.Add, sp.Mul, sp.Pow)) \
                else x.func(*[ren(a) for a in x.args])
        return x

    return ren(e)
