"""The check kinds a proof-outline node can carry, each producing a :class:`CheckResult`.

========== ============================================== ================= ==================
kind       what establishes the claim                     trust tag         success verdict
========== ============================================== ================= ==================
symbolic   sympy normal form with an obvious sign          ``symbolic``      proved
smt        z3 nonlinear real arithmetic: hyps ∧ ¬claim     ``smt-nra``       proved (unsat)
           unsat; a sat model is replayed exactly
interval   mpmath ``iv`` branch and bound over a box       ``interval``      proved
property   Hypothesis search for a counterexample          ``tested``        tested
evaluate   exact evaluation at a point (rigorous interval  ``exact-eval``    proved (no free
           sign for transcendental values)                                   symbol) / tested
experiment a named check of :mod:`checker.experiments`     ``experiment``    tested
cited      an external result                              ``cited:NAME``    trusted
assumed    a hypothesis of a theorem                       ``assumed:NODE``  trusted
library    the node's formula equals the bound library's   ``symbolic``      proved
========== ============================================== ================= ==================

Verdicts: ``proved``, ``tested``, ``trusted`` (the check passed), ``refuted`` (an exactly
replayed counterexample, or a symbolic proof of the negation), ``failed`` (an experiment found
counter-evidence), ``undecided`` (the tool could not decide: never success), ``error`` (the check
could not run), ``skipped``.

Pitfalls handled (``shared/reference/anchors.md`` §b): sympy's ``None`` is never success; z3 gets
every denominator guarded nonzero and no transcendental functions; interval comparisons are
made on explicit lower/upper endpoints; box endpoints are exact rationals.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy as sp

from checker.audit.outline import CheckSpec, Node
from checker.errors import CheckError

__all__ = ["CheckResult", "PASS_VERDICTS", "run_check", "ENGINE_VERSION"]

#: Bumped when a check engine changes meaning; part of the cache key.
ENGINE_VERSION = "1"
PASS_VERDICTS = ("proved", "tested", "trusted")

#: Default limits of the engines (each may be overridden per check).
DEFAULT_SMT_TIMEOUT_MS = 10_000
DEFAULT_MAX_BOXES = 4000
DEFAULT_PREC = 80
DEFAULT_MAX_EXAMPLES = 200


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    kind: str
    verdict: str
    trust: str
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    cached: bool = False

    @property
    def passed(self) -> bool:
        return self.verdict in PASS_VERDICTS


# ---------------------------------------------------------------------------------------------
# helpers

def _relation_parts(rel):
    """Return (h, strict, is_eq) with the claim equivalent to h >= 0 (h > 0 if strict; h == 0)."""
    if isinstance(rel, sp.Equality):
        return rel.lhs - rel.rhs, False, True
    if isinstance(rel, (sp.LessThan, sp.StrictLessThan)):
        return rel.rhs - rel.lhs, isinstance(rel, sp.StrictLessThan), False
    if isinstance(rel, (sp.GreaterThan, sp.StrictGreaterThan)):
        return rel.lhs - rel.rhs, isinstance(rel, sp.StrictGreaterThan), False
    raise CheckError(f"unsupported claim {rel}")


def _domain_ok(value, domain: str) -> bool:
    v = value if isinstance(value, sp.Basic) else sp.Rational(value)
    if domain in ("positive", "positive_integer") and not v > 0:
        return False
    if domain in ("nonnegative", "nonnegative_integer") and not v >= 0:
        return False
    if domain == "negative" and not v < 0:
        return False
    if domain.endswith("integer") and not v.is_integer:
        return False
    return True


def _combine3(rel, vals: list) -> bool | None:
    """Three-valued And/Or/Not: ``None`` (undecided) never becomes True or False by itself."""
    if isinstance(rel, sp.Not):
        return None if vals[0] is None else not vals[0]
    if isinstance(rel, sp.And):
        return False if False in vals else (None if None in vals else True)
    return True if True in vals else (None if None in vals else False)


def _sign_verdict(lo, hi, *, strict: bool, is_eq: bool) -> bool | None:
    """Verdict of ``h >= 0`` (``> 0`` if strict, ``== 0`` if is_eq) from a rigorous enclosure
    [lo, hi] of h; ``None`` when the enclosure does not decide it."""
    if is_eq:
        return False if (lo > 0 or hi < 0) else None
    if strict:
        return True if lo > 0 else (False if hi <= 0 else None)
    return True if lo >= 0 else (False if hi < 0 else None)


def _decide(rel_or_expr, prec: int = DEFAULT_PREC) -> bool | None:
    """Truth value of a closed relation / boolean: exact when sympy decides it, else a rigorous
    interval evaluation of both sides; ``None`` when undecided."""
    if rel_or_expr is sp.true or rel_or_expr is True:
        return True
    if rel_or_expr is sp.false or rel_or_expr is False:
        return False
    if isinstance(rel_or_expr, (sp.And, sp.Or, sp.Not)):
        return _combine3(rel_or_expr, [_decide(a, prec) for a in rel_or_expr.args])
    h, strict, is_eq = _relation_parts(rel_or_expr)
    h = sp.simplify(h.doit()) if h.has(sp.Sum, sp.Product) else h
    if h.free_symbols:
        return None
    hs = h
    if hs.is_Rational:
        if is_eq:
            return hs == 0
        return bool(hs > 0) if strict else bool(hs >= 0)
    if is_eq:
        z = sp.simplify(hs)
        if z.is_zero is True:
            return True
        if z.is_zero is False:
            return False
    lo, hi = _iv_bounds(hs, {}, prec)
    if lo is None:
        return None
    return _sign_verdict(lo, hi, strict=strict, is_eq=is_eq)


# ---------------------------------------------------------------------------------------------
# interval arithmetic (mpmath iv)

def _iv_enclose(expr, env, iv):
    if expr.is_Symbol:
        return env[expr.name]
    if expr.is_Integer:
        return iv.mpf(int(expr))
    if expr.is_Rational:
        return iv.mpf(int(expr.p)) / iv.mpf(int(expr.q))
    if expr is sp.pi:
        return iv.pi
    if expr is sp.E:
        return iv.e
    if expr.is_Float:
        raise CheckError("float in a claim (use exact decimals)")
    if isinstance(expr, sp.Add):
        out = iv.mpf(0)
        for a in expr.args:
            out = out + _iv_enclose(a, env, iv)
        return out
    if isinstance(expr, sp.Mul):
        out = iv.mpf(1)
        for a in expr.args:
            out = out * _iv_enclose(a, env, iv)
        return out
    if isinstance(expr, sp.Pow):
        base, ex = expr.args
        b = _iv_enclose(base, env, iv)
        if ex.is_Integer:
            n = int(ex)
            if n >= 0:
                return b ** n
            den = b ** (-n)
            dlo, dhi = _ends(den)
            if dlo <= 0 <= dhi:
                raise _Undecided("division by an interval containing 0")
            return 1 / den
        if ex == sp.S.Half:
            if _ends(b)[0] < 0:
                raise _Undecided("sqrt of an interval containing negatives")
            return iv.sqrt(b)
        if _ends(b)[0] <= 0:
            raise _Undecided("power of an interval not strictly positive")
        return iv.exp(_iv_enclose(ex, env, iv) * iv.log(b))
    if isinstance(expr, sp.exp):
        return iv.exp(_iv_enclose(expr.args[0], env, iv))
    if isinstance(expr, sp.log):
        a = _iv_enclose(expr.args[0], env, iv)
        if _ends(a)[0] <= 0:
            raise _Undecided("log of an interval not strictly positive")
        return iv.log(a)
    if isinstance(expr, sp.Abs):
        a = _iv_enclose(expr.args[0], env, iv)
        lo, hi = _ends(a)
        if lo >= 0:
            return a
        if hi <= 0:
            return -a
        return iv.mpf([0, _up(max(hi, -lo))])
    if isinstance(expr, (sp.Min, sp.Max)):
        vals = [_iv_enclose(a, env, iv) for a in expr.args]
        ends = [_ends(v) for v in vals]
        pick = min if isinstance(expr, sp.Min) else max
        lo, hi = pick(e[0] for e in ends), pick(e[1] for e in ends)
        return iv.mpf([_down(lo), _up(hi)])
    if isinstance(expr, (sp.floor, sp.ceiling)):
        a = _iv_enclose(expr.args[0], env, iv)
        f = math.floor if isinstance(expr, sp.floor) else math.ceil
        lo, hi = _ends(a)
        return iv.mpf([f(lo), f(hi)])
    if isinstance(expr, (sp.Sum, sp.Product)):
        done = expr.doit()
        if done.has(sp.Sum, sp.Product):
            raise _Undecided("unevaluated Sum/Product")
        return _iv_enclose(done, env, iv)
    raise _Undecided(f"no interval rule for {type(expr).__name__}")


class _Undecided(Exception):
    pass


def _ends(x) -> tuple[Fraction, Fraction]:
    """Exact endpoints of an mpmath ``iv`` interval as Fractions (raises on inf/nan)."""
    from mpmath import libmp

    out = []
    for raw in x._mpi_:
        if raw in (libmp.finf, libmp.fninf, libmp.fnan):
            raise _Undecided("unbounded or NaN enclosure")
        p, q = libmp.to_rational(raw)
        out.append(Fraction(int(p), int(q)))
    return out[0], out[1]


def _iv_bounds(expr, box: dict, prec: int):
    """Rigorous (lower, upper) of ``expr`` over ``box`` (name -> (Fraction lo, Fraction hi)) as
    Fractions, or (None, None) if no enclosure could be computed."""
    from mpmath import iv

    old = iv.prec
    iv.prec = prec
    try:
        env = {name: iv.mpf(int(lo.numerator)) / iv.mpf(int(lo.denominator)) if lo == hi else
               iv.mpf([_down(lo), _up(hi)]) for name, (lo, hi) in box.items()}
        try:
            val = _iv_enclose(expr, env, iv)
            if not hasattr(val, "_mpi_"):
                val = iv.mpf(val)
            return _ends(val)
        except (_Undecided, ZeroDivisionError, ValueError, OverflowError, TypeError):
            return None, None
    finally:
        iv.prec = old


def _down(q: Fraction):
    from mpmath import iv

    import mpmath

    return mpmath.mp.make_mpf((iv.mpf(q.numerator) / iv.mpf(q.denominator))._mpi_[0])


def _up(q: Fraction):
    from mpmath import iv

    import mpmath

    return mpmath.mp.make_mpf((iv.mpf(q.numerator) / iv.mpf(q.denominator))._mpi_[1])


# ---------------------------------------------------------------------------------------------
# the engines

def _symbolic(node: Node, spec: CheckSpec) -> CheckResult:
    st = node.statement
    rel = st.claim
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
    h, strict, is_eq = _relation_parts(rel)
    if subs:
        h = h.subs(subs)
    h = h.doit()
    forms = [("as stated", lambda e: e), ("expand", sp.expand), ("cancel", sp.cancel),
             ("together", sp.together), ("factor", sp.factor),
             ("expand_log+simplify", lambda e: sp.simplify(sp.expand_log(e))),
             ("powsimp+simplify", lambda e: sp.simplify(sp.powsimp(sp.expand_power_base(e)))),
             ("simplify", sp.simplify),
             ("factor(simplify)", lambda e: sp.factor(sp.simplify(e)))]
    tried = []
    for name, f in forms:
        try:
            e = f(h)
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
            return CheckResult(kind="symbolic", verdict="proved", trust="symbolic",
                               summary=f"sympy: g - f normalises ({name}) to {sp.sstr(e)[:200]} {what} "
                                       "under the declared domains",
                               detail={"normal_form": sp.sstr(e), "latex": sp.latex(e), "method": name,
                                       "slack": slack_syms, "tried": tried})
        if bad is True:
            return CheckResult(kind="symbolic", verdict="refuted", trust="symbolic",
                               summary=f"sympy proves the negation: g - f = {sp.sstr(e)[:200]} "
                                       f"is {'nonzero' if is_eq else 'of the wrong sign'} everywhere "
                                       "on the declared domains",
                               detail={"normal_form": sp.sstr(e), "method": name, "slack": slack_syms,
                                       "tried": tried})
    return CheckResult(kind="symbolic", verdict="undecided", trust="symbolic",
                       summary="sympy could not decide the sign (unknown is never success)",
                       detail={"tried": tried, "slack": slack_syms})


def _to_z3(expr, vars_, guards):
    import z3

    if isinstance(expr, sp.Symbol):
        return vars_[expr.name]
    if expr.is_Rational:
        return z3.Q(int(expr.p), int(expr.q)) if expr.q != 1 else z3.RealVal(int(expr.p))
    if isinstance(expr, sp.Add):
        return z3.Sum([_to_z3(a, vars_, guards) for a in expr.args])
    if isinstance(expr, sp.Mul):
        num, den = sp.fraction(expr)
        if den != 1:
            d = _to_z3(den, vars_, guards)
            guards.append((den, d != 0))
            return _to_z3(num, vars_, guards) / d
        out = None
        for a in expr.args:
            t = _to_z3(a, vars_, guards)
            out = t if out is None else out * t
        return out
    if isinstance(expr, sp.Pow):
        base, ex = expr.args
        if ex.is_Integer:
            n = int(ex)
            b = _to_z3(base, vars_, guards)
            if n == 0:
                return z3.RealVal(1)
            p = b
            for _ in range(abs(n) - 1):
                p = p * b
            if n < 0:
                guards.append((base, b != 0))
                return 1 / p
            return p
        if ex == sp.S.Half:
            b = _to_z3(base, vars_, guards)
            name = f"sqrt_{len(vars_)}"
            s = z3.Real(name)
            vars_[name] = s
            guards.append((sp.sqrt(base), z3.And(s >= 0, s * s == b, b >= 0)))
            return s
    if isinstance(expr, sp.Equality):
        return _to_z3(expr.lhs, vars_, guards) == _to_z3(expr.rhs, vars_, guards)
    if isinstance(expr, sp.Unequality):
        return _to_z3(expr.lhs, vars_, guards) != _to_z3(expr.rhs, vars_, guards)
    if isinstance(expr, sp.StrictLessThan):
        return _to_z3(expr.lhs, vars_, guards) < _to_z3(expr.rhs, vars_, guards)
    if isinstance(expr, sp.LessThan):
        return _to_z3(expr.lhs, vars_, guards) <= _to_z3(expr.rhs, vars_, guards)
    if isinstance(expr, sp.StrictGreaterThan):
        return _to_z3(expr.lhs, vars_, guards) > _to_z3(expr.rhs, vars_, guards)
    if isinstance(expr, sp.GreaterThan):
        return _to_z3(expr.lhs, vars_, guards) >= _to_z3(expr.rhs, vars_, guards)
    if isinstance(expr, sp.And):
        return z3.And([_to_z3(a, vars_, guards) for a in expr.args])
    if isinstance(expr, sp.Or):
        return z3.Or([_to_z3(a, vars_, guards) for a in expr.args])
    if isinstance(expr, sp.Not):
        return z3.Not(_to_z3(expr.args[0], vars_, guards))
    raise CheckError(f"smt handles polynomial/rational arithmetic (and sqrt) only; "
                     f"{type(expr).__name__} in {sp.sstr(expr)[:80]} needs an interval check")


def _smt(node: Node, spec: CheckSpec) -> CheckResult:
    import z3

    st = node.statement
    timeout = int(spec.options.get("timeout_ms", DEFAULT_SMT_TIMEOUT_MS))
    vars_ = {name: z3.Real(name) for name in st.symbols}
    guards: list = []
    solver = z3.Solver()
    solver.set("timeout", timeout)
    for name, dom in st.domains.items():
        v = vars_[name]
        if dom in ("positive", "positive_integer"):
            solver.add(v > 0)
        if dom in ("nonnegative", "nonnegative_integer"):
            solver.add(v >= 0)
        if dom == "negative":
            solver.add(v < 0)
        if dom.endswith("integer"):
            solver.add(z3.IsInt(v))
    for h in st.hypotheses:
        solver.add(_to_z3(h.doit(), vars_, guards))
    claim = _to_z3(st.claim.doit(), vars_, guards)
    for _, g in guards:
        solver.add(g)
    solver.add(z3.Not(claim))
    t0 = time.perf_counter()
    res = solver.check()
    dt = time.perf_counter() - t0
    guard_text = [f"{sp.sstr(e)} != 0" if not isinstance(e, sp.Pow) or e.exp != sp.S.Half else
                  f"{sp.sstr(e.base)} >= 0" for e, _ in guards]
    detail = {"solver": f"z3 {z3.get_version_string()}", "implicit_conditions": guard_text,
              "solve_seconds": round(dt, 4)}
    if res == z3.unsat:
        return CheckResult(kind="smt", verdict="proved", trust="smt-nra",
                           summary="z3 (nonlinear real arithmetic): hypotheses ∧ ¬claim is unsat"
                                   + (f" (implicit: {', '.join(guard_text)})" if guard_text else ""),
                           detail=detail)
    if res == z3.sat:
        model = solver.model()
        point = {}
        for name in st.symbols:
            val = model.eval(vars_[name], model_completion=True)
            if isinstance(val, z3.RatNumRef):
                point[name] = sp.Rational(val.numerator_as_long(), val.denominator_as_long())
            elif isinstance(val, z3.AlgebraicNumRef):
                point[name] = sp.Rational(val.approx(30).as_fraction().numerator,
                                          val.approx(30).as_fraction().denominator)
                detail["approximated"] = detail.get("approximated", []) + [name]
            else:
                point[name] = sp.Rational(str(val))
        replay = _replay(node, point)
        detail.update(replay)
        if replay["replayed"]:
            return CheckResult(kind="smt", verdict="refuted", trust="smt-nra",
                               summary=f"counterexample {_fmt_point(point)} (replayed exactly: "
                                       f"{replay['claim_value']})", detail=detail)
        return CheckResult(kind="smt", verdict="undecided", trust="smt-nra",
                           summary=f"z3 model {_fmt_point(point)} did not replay exactly; undecided",
                           detail=detail)
    detail["reason_unknown"] = solver.reason_unknown()
    return CheckResult(kind="smt", verdict="undecided", trust="smt-nra",
                       summary=f"z3 returned unknown ({solver.reason_unknown()}); not a proof",
                       detail=detail)


def _fmt_point(point) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in point.items()) + "}"


def _replay(node: Node, point: dict) -> dict:
    """Re-evaluate domains, hypotheses and claim exactly at ``point`` (sympy Rationals)."""
    st = node.statement
    subs = {st.symbols[k]: v for k, v in point.items() if k in st.symbols}
    for name, v in point.items():
        if name in st.domains and not _domain_ok(v, st.domains[name]):
            return {"replayed": False, "why": f"{name}={v} violates its domain {st.domains[name]}"}
    for h in st.hypotheses:
        val = _decide(h.subs(subs))
        if val is not True:
            return {"replayed": False, "why": f"hypothesis {sp.sstr(h)} is {val} at the point"}
    c = st.claim.subs(subs)
    val = _decide(c)
    h, _, _ = _relation_parts(st.claim)
    hv = h.subs(subs).doit()
    text = sp.sstr(hv) if hv.is_Rational else f"{sp.N(hv, 15)}"
    return {"replayed": val is False, "claim_value": f"g - f = {text}",
            "point": {k: str(v) for k, v in point.items()}, "claim_holds": val}


def _box_of(node: Node, spec: CheckSpec, *, required: bool) -> dict[str, tuple[Fraction, Fraction]]:
    st = node.statement
    box = {k: (Fraction(str(v[0])), Fraction(str(v[1]))) for k, v in spec.options.get("box", {}).items()}
    free = {s.name for s in (st.claim.free_symbols | set().union(*(h.free_symbols for h in st.hypotheses)))
            } if st.claim is not None else set()
    missing = sorted(free - set(box))
    if missing and required:
        raise CheckError(f"box misses the free symbols {missing}")
    for name, (lo, hi) in box.items():
        dom = st.domains[name]
        if dom in ("positive", "positive_integer") and lo <= 0:
            raise CheckError(f"box for {name} must lie in its domain {dom} (low > 0)")
        if dom in ("nonnegative", "nonnegative_integer") and lo < 0:
            raise CheckError(f"box for {name} must lie in its domain {dom} (low >= 0)")
    return box


def _interval(node: Node, spec: CheckSpec) -> CheckResult:
    st = node.statement
    box0 = _box_of(node, spec, required=True)
    h, strict, is_eq = _relation_parts(st.claim)
    if is_eq:
        raise CheckError("interval checks inequalities; use symbolic for an identity")
    h = h.doit()
    prec = int(spec.options.get("prec", DEFAULT_PREC))
    budget = int(spec.options.get("max_boxes", DEFAULT_MAX_BOXES))
    ints = {k for k in box0 if st.domains[k].endswith("integer")}
    stack = [box0]
    proved = excluded = evaluated = 0
    undecided: list[dict] = []
    worst_lower: Fraction | None = None
    counter = None
    while stack:
        box = stack.pop()
        evaluated += 1
        hyp_state = []
        for hyp in st.hypotheses:
            hyp_state.append(_box_truth(hyp, box, prec))
        if False in hyp_state:
            excluded += 1
            continue
        lo, hi = _iv_bounds(h, box, prec)
        if lo is not None and (lo > 0 or (not strict and lo >= 0)):
            proved += 1
            worst_lower = lo if worst_lower is None else min(worst_lower, lo)
            continue
        # try the midpoint (rounded for integer symbols) as a counterexample
        mid = {}
        for k, (a, b) in box.items():
            m = (a + b) / 2
            if k in ints:
                m = Fraction(math.floor(m))
                m = min(max(m, Fraction(math.ceil(a))), Fraction(math.floor(b)))
            mid[k] = sp.Rational(m.numerator, m.denominator)
        rep = _replay(node, mid)
        if rep["replayed"]:
            counter = rep
            break
        if evaluated + len(stack) >= budget or _too_small(box, ints):
            undecided.append({k: [str(a), str(b)] for k, (a, b) in box.items()})
            continue
        k = max(box, key=lambda n: (box[n][1] - box[n][0]) if n not in ints or box[n][1] - box[n][0] >= 1
                else Fraction(-1))
        a, b = box[k]
        m = (a + b) / 2
        if k in ints:
            m = Fraction(math.floor(m))
            left, right = dict(box), dict(box)
            left[k], right[k] = (a, m), (m + 1, b)
        else:
            left, right = dict(box), dict(box)
            left[k], right[k] = (a, m), (m, b)
        stack.extend([right, left])
    detail = {"box": {k: [str(a), str(b)] for k, (a, b) in box0.items()}, "boxes_evaluated": evaluated,
              "boxes_proved": proved, "boxes_excluded_by_hypotheses": excluded,
              "undecided_boxes": undecided[:20], "n_undecided": len(undecided) + len(stack),
              "budget": budget, "precision_bits": prec,
              "worst_lower_bound_of_margin": str(float(worst_lower)) if worst_lower is not None else None}
    if counter is not None:
        detail.update(counter)
        return CheckResult(kind="interval", verdict="refuted", trust="interval",
                           summary=f"counterexample at {counter['point']} (replayed: {counter['claim_value']})",
                           detail=detail)
    if not undecided and not stack:
        return CheckResult(kind="interval", verdict="proved", trust="interval",
                           summary=f"mpmath iv branch and bound: {proved} boxes proved, {excluded} excluded "
                                   f"by the hypotheses, 0 undecided (smallest lower bound of g - f: "
                                   f"{detail['worst_lower_bound_of_margin']})", detail=detail)
    return CheckResult(kind="interval", verdict="undecided", trust="interval",
                       summary=f"{detail['n_undecided']} boxes undecided after {evaluated} evaluations "
                               "(never counted as proved)", detail=detail)


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
    lo, hi = _iv_bounds(h.doit(), box, prec)
    if lo is None:
        return None
    return _sign_verdict(lo, hi, strict=strict, is_eq=is_eq)


def _property(node: Node, spec: CheckSpec) -> CheckResult:
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis import strategies as st_
    from hypothesis.errors import NoSuchExample, Unsatisfiable

    st = node.statement
    box = _box_of(node, spec, required=False)
    free = sorted({s.name for s in st.claim.free_symbols} |
                  {s.name for h in st.hypotheses for s in h.free_symbols})
    strategies = {}
    for name in free:
        dom = st.domains.get(name, "real")
        lo, hi = box.get(name, (Fraction(-100), Fraction(100)))
        if dom in ("positive", "positive_integer") and lo <= 0:
            lo = Fraction(1, 1000) if not dom.endswith("integer") else Fraction(1)
        if dom in ("nonnegative", "nonnegative_integer") and lo < 0:
            lo = Fraction(0)
        if dom.endswith("integer"):
            strategies[name] = st_.integers(math.ceil(lo), math.floor(hi)).map(sp.Integer)
        else:
            strategies[name] = st_.fractions(lo, hi, max_denominator=10 ** 6).map(
                lambda f: sp.Rational(f.numerator, f.denominator))
    stats = {"evaluated": 0, "undecided": 0, "rejected_by_hypotheses": 0}

    def violates(point) -> bool:
        rep = _replay(node, point)
        stats["evaluated"] += 1
        if rep.get("why", "").startswith("hypothesis"):
            stats["rejected_by_hypotheses"] += 1
        elif rep.get("claim_holds") is None and "claim_holds" in rep:
            stats["undecided"] += 1
        return bool(rep["replayed"])

    n = int(spec.options.get("max_examples", DEFAULT_MAX_EXAMPLES))
    seed = int(spec.options.get("seed", 0))
    s = settings(max_examples=n, derandomize=True, database=None, deadline=None,
                 phases=[Phase.generate, Phase.shrink],
                 suppress_health_check=list(HealthCheck))
    strategy = st_.fixed_dictionaries(strategies)
    import random

    state = random.getstate()
    random.seed(seed)
    try:
        found = find(strategy, violates, settings=s)
    except (NoSuchExample, Unsatisfiable):
        found = None
    finally:
        random.setstate(state)
    detail = {"max_examples": n, "derandomized": True, **stats,
              "box": {k: [str(a), str(b)] for k, (a, b) in box.items()}}
    if found is not None:
        rep = _replay(node, found)
        detail.update(rep)
        return CheckResult(kind="property", verdict="refuted", trust="tested",
                           summary=f"Hypothesis found and shrank a counterexample {_fmt_point(found)} "
                                   f"(replayed exactly: {rep['claim_value']})", detail=detail)
    return CheckResult(kind="property", verdict="tested", trust="tested",
                       summary=f"Hypothesis: no counterexample in {stats['evaluated']} evaluated points "
                               f"({stats['rejected_by_hypotheses']} outside the hypotheses, "
                               f"{stats['undecided']} undecided); tested, not proved", detail=detail)


def _evaluate(node: Node, spec: CheckSpec) -> CheckResult:
    st = node.statement
    point = {k: sp.Rational(str(v)) for k, v in spec.options.get("at", {}).items()}
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
    declared_free = {s.name for s in st.claim.doit().free_symbols} - set(point)
    if not point or not {s.name for s in st.claim.doit().free_symbols}:
        return CheckResult(kind="evaluate", verdict="proved", trust="exact-eval",
                           summary=f"closed claim evaluated exactly: {rep['claim_value']}", detail=detail)
    del declared_free
    return CheckResult(kind="evaluate", verdict="tested", trust="tested",
                       summary=f"claim holds at the single point {_fmt_point(point)} "
                               f"({rep['claim_value']}); tested, not proved", detail=detail)


def _experiment(node: Node, spec: CheckSpec, *, quick: bool) -> CheckResult:
    from checker import experiments
    from checker.errors import InvalidArgument

    name = spec.options["name"]
    try:
        exp = experiments.get(name)
    except InvalidArgument as exc:
        return CheckResult(kind="experiment", verdict="error", trust="experiment",
                           summary=f"unknown experiment: {exc}", detail={"name": name})
    seed = int(spec.options.get("seed", 0))
    try:
        res = experiments.run(name, seed=seed, quick=quick)
    except Exception as exc:  # an experiment that crashes is reported, never passed  # noqa: BLE001
        return CheckResult(kind="experiment", verdict="error", trust="experiment",
                           summary=f"experiment {name} raised {type(exc).__name__}: {exc}",
                           detail={"name": name, "seed": seed, "quick": quick})
    return CheckResult(kind="experiment", verdict="tested" if res.passed else "failed",
                       trust="experiment",
                       summary=f"{name} (seed {seed}, {'quick' if quick else 'full'}): {res.summary}",
                       detail={"name": name, "seed": seed, "quick": quick, "module": exp.module,
                               "description": exp.description, "evidence": res.evidence})


def _library(node: Node, spec: CheckSpec) -> CheckResult:
    from checker.audit.formula import parse_formula

    st = node.statement
    sid, ename = spec.options["statement"], spec.options["expr"]
    try:
        from checker import bounds
        stmt = bounds.get(sid)
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
    # identify symbols by name (assumptions may differ between the two sources)
    by_name = {s.name: sp.Symbol(s.name) for s in lib.free_symbols | mine.free_symbols}
    a = lib.subs({s: by_name[s.name] for s in lib.free_symbols})
    b = mine.subs({s: by_name[s.name] for s in mine.free_symbols})
    names_lib, names_mine = {s.name for s in a.free_symbols}, {s.name for s in b.free_symbols}
    if names_lib != names_mine:
        return CheckResult(kind="library", verdict="refuted", trust="symbolic",
                           summary=f"symbols differ: library {sorted(names_lib)} vs outline {sorted(names_mine)}")
    d = sp.simplify(a - b)
    if d == 0:
        return CheckResult(kind="library", verdict="proved", trust="symbolic",
                           summary=f"outline formula is the bound library's {sid}:{ename} (difference "
                                   "simplifies to 0)", detail={"library": sp.sstr(lib)})
    return CheckResult(kind="library", verdict="refuted" if d.is_zero is False else "undecided",
                       trust="symbolic", summary=f"differs from {sid}:{ename}: difference {sp.sstr(d)[:160]}",
                       detail={"library": sp.sstr(lib)})


def run_check(node: Node, spec: CheckSpec, *, quick: bool = True, run_experiments: bool = True) -> CheckResult:
    """Run one check of ``node``; never raises for a check that cannot run (verdict ``error``)."""
    t0 = time.perf_counter()
    try:
        if spec.kind == "symbolic":
            res = _symbolic(node, spec)
        elif spec.kind == "smt":
            res = _smt(node, spec)
        elif spec.kind == "interval":
            res = _interval(node, spec)
        elif spec.kind == "property":
            res = _property(node, spec)
        elif spec.kind == "evaluate":
            res = _evaluate(node, spec)
        elif spec.kind == "experiment":
            if not run_experiments:
                res = CheckResult(kind="experiment", verdict="skipped", trust="experiment",
                                  summary=f"experiment {spec.options['name']} skipped (--skip-experiments): "
                                          "not checked")
            else:
                res = _experiment(node, spec, quick=quick)
        elif spec.kind == "cited":
            res = CheckResult(kind="cited", verdict="trusted", trust=f"cited:{spec.options['name']}",
                              summary=f"cited, not checked: {spec.options['reference']}",
                              detail={"reference": spec.options["reference"]})
        elif spec.kind == "assumed":
            res = CheckResult(kind="assumed", verdict="trusted", trust=f"assumed:{node.id}",
                              summary=f"assumed, not checked: {spec.options['reason']}")
        elif spec.kind == "library":
            res = _library(node, spec)
        else:  # pragma: no cover - the loader rejects unknown kinds
            raise CheckError(f"unknown check kind {spec.kind!r}")
    except CheckError as exc:
        res = CheckResult(kind=spec.kind, verdict="error", trust=spec.kind, summary=f"check could not run: {exc}")
    dt = time.perf_counter() - t0
    return CheckResult(kind=res.kind, verdict=res.verdict, trust=res.trust, summary=res.summary,
                       detail=res.detail, seconds=round(dt, 4))
