"""The check kinds a proof-outline node can carry, each producing a :class:`CheckResult`.

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
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy as sp

from checker.audit import budget
from checker.audit.budget import CheckTimeout
from checker.audit.formula import parse_exact_number
from checker.audit.outline import CheckSpec, Node
from checker.audit.smt import AUX_PREFIX, Translation
from checker.errors import CheckError

__all__ = ["CheckResult", "PASS_VERDICTS", "run_check", "ENGINE_VERSION"]

#: Bumped when a check engine changes meaning; part of the cache key.
ENGINE_VERSION = "5"
PASS_VERDICTS = ("proved", "tested", "trusted")

#: Default limits of the engines (each may be overridden per check).
DEFAULT_SMT_TIMEOUT_MS = 10_000
DEFAULT_MAX_BOXES = 4000
DEFAULT_PREC = 80
DEFAULT_MAX_EXAMPLES = 200
#: Longest Sum/Product evaluated term by term in interval arithmetic.
MAX_LOOP_TERMS = 100_000


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


def _truth_at(rel, subs: dict, prec: int = DEFAULT_PREC) -> bool | None:
    """Truth of ``rel`` at the exact point ``subs`` (symbol -> Rational), substituting into the
    two sides only (a substituted relation would make sympy evaluate it with floats)."""
    if rel is sp.true or rel is True:
        return True
    if rel is sp.false or rel is False:
        return False
    if isinstance(rel, (sp.And, sp.Or, sp.Not)):
        return _combine3(rel, [_truth_at(a, subs, prec) for a in rel.args])
    h, strict, is_eq = _relation_parts(rel)
    hv = h.xreplace(subs)
    ctor = sp.Eq if is_eq else (sp.StrictGreaterThan if strict else sp.GreaterThan)
    return _decide(ctor(hv, 0, evaluate=False), prec)


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
    h = h.doit() if h.has(sp.Sum, sp.Product) else h
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
    verdict = None if lo is None else _sign_verdict(lo, hi, strict=strict, is_eq=is_eq)
    if verdict is None and not hs.is_Rational:
        z = sp.simplify(hs)
        if z.is_Rational:
            return (z == 0) if is_eq else (bool(z > 0) if strict else bool(z >= 0))
    return verdict


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
        (var, a, b), = expr.limits
        lo_a, hi_a = _ends(_iv_enclose(a, env, iv) if a.free_symbols else iv.mpf(int(a)) if a.is_Integer
                           else _iv_enclose(a, env, iv))
        lo_b, hi_b = _ends(_iv_enclose(b, env, iv) if b.free_symbols else iv.mpf(int(b)) if b.is_Integer
                           else _iv_enclose(b, env, iv))
        if lo_a == hi_a and lo_b == hi_b and lo_a.denominator == 1 and lo_b.denominator == 1:
            n_terms = int(lo_b) - int(lo_a) + 1
            if n_terms > MAX_LOOP_TERMS:
                raise _Undecided(f"Sum/Product of {n_terms} terms exceeds {MAX_LOOP_TERMS}")
            out = iv.mpf(0) if isinstance(expr, sp.Sum) else iv.mpf(1)
            for k in range(int(lo_a), int(lo_b) + 1):
                env2 = dict(env)
                env2[var.name] = iv.mpf(k)
                t = _iv_enclose(expr.function, env2, iv)
                out = out + t if isinstance(expr, sp.Sum) else out * t
            return out
        done = expr.doit()
        if done.has(sp.Sum, sp.Product):
            raise _Undecided("unevaluated Sum/Product")
        return _iv_enclose(done, env, iv)
    if isinstance(expr, sp.factorial) and expr.args[0].is_Integer:
        return iv.mpf(int(expr))
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
            return _ends(_iv_enclose(expr, env, iv))   # every rule returns an mpmath iv value
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

def _light(e):
    """Evaluate derivatives only (Sum/Product stay loops, evaluated term by term at points)."""
    if e.has(sp.Derivative):
        return e.replace(lambda x: isinstance(x, sp.Derivative), lambda x: x.doit())
    return e


def _conjuncts(rel) -> list:
    """The comparisons of a claim (a single comparison or a conjunction of them)."""
    if isinstance(rel, sp.And):
        out = []
        for a in rel.args:
            out.extend(_conjuncts(a))
        return out
    return [rel]


def _has_hypotheses(node: Node) -> bool:
    return bool(node.statement.hypotheses)


def _symbolic(node: Node, spec: CheckSpec) -> CheckResult:
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
        return CheckResult(kind="symbolic", verdict="proved", trust="symbolic",
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


# ---------------------------------------------------------------------------------------------
# vacuity, witnesses and counterexample search

def _vacuous(kind: str, trust: str, vac: dict, detail: dict) -> CheckResult:
    detail = {**detail, "vacuity": vac.get("why", "")}
    return CheckResult(kind=kind, verdict="vacuous", trust=trust,
                       summary="vacuous: the hypotheses (with the domains) are unsatisfiable, so the "
                               f"claim says nothing ({vac.get('why', '')}); never counted as proved",
                       detail=detail)


def _undecided_with_search(node: Node, kind: str, trust: str, why: str, detail: dict,
                           box: dict | None = None) -> CheckResult:
    """An engine could not decide: look for a counterexample and replay it exactly."""
    ce = _search_counterexample(node, box=box)
    if ce is not None:
        return CheckResult(kind=kind, verdict="refuted", trust=trust,
                           summary=f"{why}; counterexample search found {_fmt_point(ce['point'])} "
                                   f"(replayed exactly: {ce['claim_value']})", detail={**detail, **ce})
    return CheckResult(kind=kind, verdict="undecided", trust=trust,
                       summary=f"{why}; no counterexample among {detail.get('searched', SEARCH_POINTS)} "
                               "searched points (small integer boxes, boundary and random points)",
                       detail=detail)


#: Points the counterexample search replays at most (small integer grid, boundary values,
#: seeded random rationals), and its own share of the check's wall-clock budget in seconds.
SEARCH_POINTS = 1500
SEARCH_SECONDS = 8.0
#: Seed of the counterexample and witness search (deterministic audit).
SEARCH_SEED = 20180430


def _free_names(node: Node) -> list[str]:
    st = node.statement
    names = set()
    if st.claim is not None:
        names |= {s.name for s in st.claim.free_symbols}
    for h in st.hypotheses:
        names |= {s.name for h_ in [h] for s in h_.free_symbols}
    return sorted(n for n in names if n in st.symbols)


def _numbers_in(node: Node) -> list[Fraction]:
    st = node.statement
    out = set()
    exprs = list(st.hypotheses) + ([st.claim] if st.claim is not None else [])
    for e in exprs:
        for a in e.atoms(sp.Rational):
            if abs(a.p) < 10 ** 9 and a.q < 10 ** 9:
                out.add(Fraction(int(a.p), int(a.q)))
    return sorted(out)


def _values_for(dom: str, consts: list[Fraction], lo=None, hi=None) -> list[Fraction]:
    base = [Fraction(0), Fraction(1), Fraction(-1), Fraction(1, 2), Fraction(-1, 2), Fraction(2), Fraction(-2),
            Fraction(3), Fraction(-3), Fraction(1, 3), Fraction(3, 2), Fraction(4), Fraction(5), Fraction(1, 10),
            Fraction(10), Fraction(-10), Fraction(1, 100), Fraction(100)]
    near = []
    for c in consts:
        near += [c, -c, c + 1, c - 1, c / 2, 2 * c, c + Fraction(1, 1000), c - Fraction(1, 1000)]
    vals = []
    for v in base + near:
        if dom.endswith("integer") and v.denominator != 1:
            continue
        if dom in ("positive", "positive_integer") and v <= 0:
            continue
        if dom in ("nonnegative", "nonnegative_integer") and v < 0:
            continue
        if dom == "negative" and v >= 0:
            continue
        if lo is not None and v < lo or hi is not None and v > hi:
            continue
        if v not in vals:
            vals.append(v)
    if lo is not None and lo not in vals:
        vals.insert(0, lo)
    if hi is not None and hi not in vals:
        vals.insert(1, hi)
    return vals


def _candidates(node: Node, *, box: dict | None = None, limit: int = SEARCH_POINTS):
    """Deterministic candidate points: an exhaustive small grid (small integers, simple fractions,
    the formula's own constants and their neighbours, box endpoints), then seeded random points."""
    import itertools
    import random

    st = node.statement
    names = _free_names(node)
    consts = _numbers_in(node)
    per = {}
    for n in names:
        lo, hi = (box or {}).get(n, (None, None))
        per[n] = _values_for(st.domains[n], consts, lo, hi)[:12]
    count = 0
    if not names:
        yield {}
        return
    small = [per[n][:6] for n in names]
    for combo in itertools.product(*small):
        yield dict(zip(names, combo))
        count += 1
        if count >= limit // 2:
            break
    rng = random.Random(SEARCH_SEED)
    while count < limit:
        pt = {}
        for n in names:
            dom = st.domains[n]
            lo, hi = (box or {}).get(n, (None, None))
            if rng.random() < 0.5:
                v = rng.choice(per[n]) if per[n] else Fraction(1)
            else:
                a = lo if lo is not None else Fraction(-50)
                b = hi if hi is not None else Fraction(50)
                if dom.endswith("integer"):
                    v = Fraction(rng.randint(math.ceil(a), math.floor(b))) if math.ceil(a) <= math.floor(b) else a
                else:
                    v = a + (b - a) * Fraction(rng.randint(0, 10 ** 6), 10 ** 6)
            if dom in ("positive", "positive_integer") and v <= 0:
                v = Fraction(1) if dom.endswith("integer") else Fraction(1, 7)
            if dom in ("nonnegative", "nonnegative_integer") and v < 0:
                v = -v
            if dom == "negative" and v >= 0:
                v = -v - 1
            pt[n] = v
        yield pt
        count += 1


def _as_sympy_point(pt: dict) -> dict:
    return {k: sp.Rational(v.numerator, v.denominator) for k, v in pt.items()}


def _search_counterexample(node: Node, *, box: dict | None = None, limit: int = SEARCH_POINTS) -> dict | None:
    """First candidate point where the hypotheses hold and the claim is false, replayed exactly."""
    if node.statement.claim is None:
        return None
    t0 = time.monotonic()
    for k, pt in enumerate(_candidates(node, box=box, limit=limit)):
        if time.monotonic() - t0 > SEARCH_SECONDS:
            break
        budget.poll()
        rep = _replay(node, _as_sympy_point(pt))
        if rep["replayed"]:
            rep["searched"] = k + 1
            return rep
    return None


def _find_witness(node: Node, *, limit: int = SEARCH_POINTS) -> dict | None:
    """A point of the domains where every hypothesis holds exactly (the premises are satisfiable)."""
    st = node.statement
    t0 = time.monotonic()
    for pt in _candidates(node, limit=limit):
        if time.monotonic() - t0 > SEARCH_SECONDS:
            break
        budget.poll()
        spt = _as_sympy_point(pt)
        if _hyps_hold(st, spt):
            return {k: str(v) for k, v in spt.items()}
    return None


def _hyps_hold(st, point: dict) -> bool:
    subs = {st.symbols[k]: v for k, v in point.items() if k in st.symbols}
    for name, v in point.items():
        if name in st.domains and not _domain_ok(v, st.domains[name]):
            return False
    free = {s.name for h in st.hypotheses for s in h.free_symbols}
    if free - set(point):
        return False
    return all(_truth_at(h, subs) is True for h in st.hypotheses)


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
# SMT

def _smt_timeout(ms: int) -> int:
    left = budget.remaining()
    if left is not None:
        ms = min(ms, max(int(left * 1000) - 50, 1))
    return max(int(ms), 1)


def _smt(node: Node, spec: CheckSpec, premises=()) -> CheckResult:
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
        return CheckResult(kind="smt", verdict="proved", trust="smt-nra",
                           summary="z3 (nonlinear real arithmetic): hypotheses ∧ "
                                   + ("used claims ∧ " if premises else "") + "¬claim is unsat"
                                   + (f"; side conditions proved: {', '.join(side['proved'])}" if side["proved"] else "")
                                   + (f"; abstracted: {', '.join(t.abstracted)}" if t.abstracted else ""),
                           detail=detail)
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
        val = _truth_at(h, subs)
        if val is not True:
            return {"replayed": False, "why": f"hypothesis {sp.sstr(h)} is {val} at the point"}
    val = _truth_at(st.claim, subs)
    texts = []
    for rel in _conjuncts(st.claim):
        h, _, _ = _relation_parts(rel)
        hv = h.xreplace(subs).doit()
        texts.append(sp.sstr(hv) if hv.is_Rational else f"{sp.N(hv, 15)}")
    return {"replayed": val is False, "claim_value": f"g - f = {'; '.join(texts)}",
            "point": {k: str(v) for k, v in point.items()}, "claim_holds": val}


def _fraction(v) -> Fraction:
    q = parse_exact_number(str(v))
    return Fraction(int(q.p), int(q.q))


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


def _interval(node: Node, spec: CheckSpec) -> CheckResult:
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
        return CheckResult(kind="interval", verdict="proved", trust=trust,
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


#: Largest integer lattice a property check enumerates exhaustively (every point, not a sample).
MAX_LATTICE = 30_000
#: Working precision (bits) of the fast rigorous point evaluation that screens lattice points;
#: a point whose enclosure does not decide the claim is replayed exactly.
SCREEN_PREC = 64


def _point_truth(node: Node, point: dict, stats: dict | None = None) -> bool | None:
    """Rigorous truth of hypotheses ⟹ claim at an exact point, by interval evaluation at a
    degenerate box (``None`` = not decided at this precision; the caller replays exactly). A point
    outside the hypotheses is counted in ``stats["rejected_by_hypotheses"]`` (vacuity needs it)."""
    st = node.statement
    box = {k: (v, v) for k, v in point.items()}
    for h in st.hypotheses:
        t = _box_truth(h, box, SCREEN_PREC)
        if t is False:
            if stats is not None:
                stats["rejected_by_hypotheses"] += 1
            return True          # outside the hypotheses: nothing claimed
        if t is None:
            return None
    return _box_truth(st.claim, box, SCREEN_PREC)


def _property(node: Node, spec: CheckSpec) -> CheckResult:
    import itertools

    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis import strategies as st_
    from hypothesis.errors import NoSuchExample, Unsatisfiable

    st = node.statement
    box = _box_of(node, spec, required=False)
    free = _free_names(node)
    ranges = {}
    for name in free:
        dom = st.domains.get(name, "real")
        lo, hi = box.get(name, (Fraction(-100), Fraction(100)))
        if dom in ("positive", "positive_integer") and lo <= 0:
            lo = Fraction(1, 1000) if not dom.endswith("integer") else Fraction(1)
        if dom in ("nonnegative", "nonnegative_integer") and lo < 0:
            lo = Fraction(0)
        ranges[name] = (lo, hi)  # integral for an integer symbol (_box_of rounds its box inwards)
    stats = {"evaluated": 0, "undecided": 0, "rejected_by_hypotheses": 0, "lattice_points": 0,
             "boundary_points": 0, "screened": 0}

    screen = _float_screen(node)

    def violates(point) -> bool:
        budget.poll()  # the only poll of the lattice and boundary loops: once per point
        stats["evaluated"] += 1
        verdict = screen(point) if screen is not None else None
        if verdict is True:
            stats["screened"] += 1
            return False
        if verdict is False:
            stats["rejected_by_hypotheses"] += 1
            return False
        fast = _point_truth(node, {k: Fraction(int(v.p), int(v.q)) for k, v in point.items()}, stats)
        if fast is True:
            return False
        rep = _replay(node, point)
        if rep.get("why", "").startswith("hypothesis"):
            stats["rejected_by_hypotheses"] += 1
        elif rep.get("claim_holds") is None and "claim_holds" in rep:
            stats["undecided"] += 1
        return bool(rep["replayed"])

    found = None
    # 1. exhaustive lattice when every symbol is an integer and the box is small
    all_int = free and all(st.domains[n].endswith("integer") for n in free)
    size = math.prod(int(ranges[n][1] - ranges[n][0]) + 1 for n in free) if all_int else None
    if all_int and size <= MAX_LATTICE:
        for combo in itertools.product(*(range(int(ranges[n][0]), int(ranges[n][1]) + 1) for n in free)):
            pt = {n: sp.Integer(v) for n, v in zip(free, combo)}
            stats["lattice_points"] += 1
            if violates(pt):
                found = pt
                break
    else:
        # 2. boundary and near-boundary points: every corner and edge midpoint of the box
        if free:
            cands = []
            for n in free:
                lo, hi = ranges[n]
                vals = [lo, hi, (lo + hi) / 2]
                if not st.domains[n].endswith("integer"):
                    eps = (hi - lo) / 10 ** 6
                    vals += [lo + eps, hi - eps]
                else:
                    vals = [Fraction(math.floor(v)) for v in vals] + [min(lo + 1, hi), max(hi - 1, lo)]
                cands.append(sorted(set(vals)))
            for combo in itertools.islice(itertools.product(*cands), 4096):
                pt = {n: sp.Rational(v.numerator, v.denominator) for n, v in zip(free, combo)}
                stats["boundary_points"] += 1
                if violates(pt):
                    found = pt
                    break
        # 3. Hypothesis search (derandomized, seeded)
        if found is None:
            strategies = {}
            for name in free:
                lo, hi = ranges[name]
                if st.domains[name].endswith("integer"):
                    strategies[name] = st_.integers(int(lo), int(hi)).map(sp.Integer)
                else:
                    strategies[name] = st_.fractions(lo, hi, max_denominator=10 ** 6).map(
                        lambda f: sp.Rational(f.numerator, f.denominator))
            n = int(spec.options.get("max_examples", DEFAULT_MAX_EXAMPLES))
            seed = int(spec.options.get("seed", 0))
            s = settings(max_examples=n, database=None, deadline=None,
                         derandomize=True,  # pragma: no mutate[const:bool -> False]: find(random=...) below fixes the examples
                         phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
            import random

            # the seed reaches Hypothesis through find(random=...): with derandomize=True the
            # global random state is ignored, so seeding it made the documented option a no-op
            try:
                found = find(st_.fixed_dictionaries(strategies), violates, settings=s,
                             random=random.Random(seed))
            except (NoSuchExample, Unsatisfiable):
                found = None
    box_txt = _box_text(ranges)
    detail = {"max_examples": int(spec.options.get("max_examples", DEFAULT_MAX_EXAMPLES)), "derandomized": True,
              **stats, "box": {k: [str(a), str(b)] for k, (a, b) in ranges.items()},
              "exhaustive": bool(all_int and size is not None and size <= MAX_LATTICE)}
    if found is not None:
        rep = _replay(node, found)
        detail.update(rep)
        return CheckResult(kind="property", verdict="refuted", trust=f"tested[{box_txt}]",
                           summary=f"counterexample {_fmt_point(found)} (replayed exactly: {rep['claim_value']})",
                           detail=detail)
    inside = stats["evaluated"] - stats["rejected_by_hypotheses"]
    if stats["evaluated"] and inside == 0:
        return _vacuous("property", f"tested[{box_txt}]",
                        {"why": f"none of the {stats['evaluated']} sampled points satisfies the hypotheses"}, detail)
    # a sample of a box smaller than the stated domain says so in its tag (issue 24.7): evidence
    # on N <= 300 says nothing about N = 10^4
    whole = _box_is_whole_domain(node, ranges)
    detail["whole_domain"] = whole
    only = "" if whole else "box-only, "
    if detail["exhaustive"]:
        how = (f"all {stats['lattice_points']} lattice points of {box_txt} (exhaustive on the box"
               + ("" if whole else "; the stated domain is larger") + ")")
        trust = f"tested[{only}exhaustive {box_txt}]"
    else:
        how = (f"{stats['evaluated']} points of {box_txt} ({stats['boundary_points']} boundary points, "
               f"the rest by Hypothesis" + ("" if whole else "; the stated domain is larger") + ")")
        trust = f"tested[{only}{stats['evaluated']} points, {box_txt}]"
    return CheckResult(kind="property", verdict="tested", trust=trust,
                       summary=f"no counterexample among {how}; {stats['rejected_by_hypotheses']} outside "
                               f"the hypotheses, {stats['undecided']} undecided; tested, not proved",
                       detail=detail)


def _evaluate(node: Node, spec: CheckSpec) -> CheckResult:
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
        return CheckResult(kind="evaluate", verdict="proved", trust="exact-eval",
                           summary=f"closed claim evaluated exactly: {rep['claim_value']}", detail=detail)
    return CheckResult(kind="evaluate", verdict="tested", trust=f"tested[1 point, {_fmt_point(point)}]",
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
    from checker.audit.bindings import bound_to, claim_hash

    bound = experiments.tests_of(name)
    mine = claim_hash(node)
    if mine not in bound_to(name):
        return CheckResult(kind="experiment", verdict="error", trust="experiment",
                           summary=f"experiment {name} is not bound to this claim (claim hash {mine}; it is "
                                   f"bound to {', '.join(bound_to(name)) or 'no claim'}, written for "
                                   f"{', '.join(bound) or 'no declared node'}): an experiment is evidence only "
                                   "for the claim it was bound to, and editing a claim unbinds it",
                           detail={"name": name, "binds": list(bound), "claim_hash": mine})
    seed = int(spec.options.get("seed", 0))
    try:
        res = experiments.run(name, seed=seed, quick=quick)
    except (CheckTimeout, KeyboardInterrupt):
        raise
    except Exception as exc:  # an experiment that crashes is reported, never passed  # noqa: BLE001
        return CheckResult(kind="experiment", verdict="error", trust="experiment",
                           summary=f"experiment {name} raised {type(exc).__name__}: {exc}",
                           detail={"name": name, "seed": seed, "quick": quick})
    return CheckResult(kind="experiment", verdict="tested" if res.passed else "failed",
                       trust="experiment",
                       summary=f"{name} (seed {seed}, {'quick' if quick else 'full'}): {res.summary}",
                       detail={"name": name, "seed": seed, "quick": quick, "module": exp.module,
                               "description": exp.description, "evidence": res.evidence,
                               "binds": list(bound)})


#: Relative agreement required between the bound library's numeric (float64) evaluator and the
#: exact value of its own expression at the check point (float64 rounding of a few dozen
#: operations stays below 1e-12 relative; 1e-9 leaves margin and still catches any changed
#: constant or term).
LIBRARY_NUMERIC_RTOL = 1e-9


def _library(node: Node, spec: CheckSpec) -> CheckResult:
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
    return CheckResult(kind="library", verdict="proved", trust="symbolic",
                       summary=f"the claim's {spec.options['equals']!r} is the bound library's {sid}:{ename} "
                               f"(difference simplifies to 0); {numeric}",
                       detail={"library": sp.sstr(lib), "numeric": numeric})


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


def _gate_side_conditions(node: Node, spec: CheckSpec, res: CheckResult) -> CheckResult:
    """A passing verdict of a claim-checking engine stands only if the claim is defined wherever
    the hypotheses hold: otherwise ``refuted`` (a point where a side condition fails, replayed
    exactly) or ``undecided`` (a condition neither proved nor refuted)."""
    if spec.kind not in CLAIM_KINDS or res.verdict not in ("proved", "tested") or not node.statement.conditions:
        return res
    sc = side_conditions(node)
    detail = {**res.detail, "side_conditions_from_source": sc}
    if sc["refuted"]:
        bad = sc["refuted"][0]
        where = _fmt_point(bad["point"]) if bad["point"] else "every point"
        return CheckResult(kind=res.kind, verdict="refuted", trust=res.trust,
                           summary=f"the claim is undefined at {where}, where the hypotheses hold: its side "
                                   f"condition {bad['condition']} (read from the source, before simplification) "
                                   f"is false there; {spec.kind} alone said {res.verdict}", detail=detail)
    if sc["open"]:
        return CheckResult(kind=res.kind, verdict="undecided", trust=res.trust,
                           summary=f"{spec.kind} said {res.verdict}, but the side condition(s) "
                                   f"{', '.join(sc['open'])} of the claim (read from the source) do not follow "
                                   "from the domains and hypotheses: not counted", detail=detail)
    return CheckResult(kind=res.kind, verdict=res.verdict, trust=res.trust,
                       summary=res.summary + f"; side conditions from the source proved: {', '.join(sc['proved'])}",
                       detail=detail)


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
            res = _gate_side_conditions(node, spec, res)
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
    return CheckResult(kind=res.kind, verdict=res.verdict, trust=res.trust, summary=res.summary,
                       detail=res.detail, seconds=round(dt, 4))


def _dispatch(node: Node, spec: CheckSpec, *, quick: bool, run_experiments: bool, premises) -> CheckResult:
    if spec.kind in ("symbolic", "smt", "interval", "property", "evaluate", "derive") and node.statement.claim is None:
        raise CheckError(f"a {spec.kind} check needs a statement.claim")
    if spec.kind == "symbolic":
        return _symbolic(node, spec)
    if spec.kind == "smt":
        return _smt(node, spec)
    if spec.kind == "derive":
        res = _smt(node, spec, premises=premises)
        return CheckResult(kind="derive", verdict=res.verdict, trust="derived", summary=res.summary,
                           detail=res.detail)
    if spec.kind == "interval":
        return _interval(node, spec)
    if spec.kind == "property":
        return _property(node, spec)
    if spec.kind == "evaluate":
        return _evaluate(node, spec)
    if spec.kind == "experiment":
        if not run_experiments:
            return CheckResult(kind="experiment", verdict="skipped", trust="experiment",
                               summary=f"experiment {spec.options['name']} skipped (--skip-experiments): "
                                       "not checked")
        return _experiment(node, spec, quick=quick)
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
        return _library(node, spec)
    raise CheckError(f"unknown check kind {spec.kind!r}")  # pragma: no cover - the loader rejects it


# ---------------------------------------------------------------------------------------------
# fast float screening of sampled points (property checks)

#: A sampled point whose float64 margin g - f exceeds this multiple of the evaluation's own
#: magnitude is accepted by the screen without an exact replay (float64 with a few hundred
#: operations errs by < 1e-13 relative); every other point is replayed exactly.
SCREEN_RTOL = 1e-9


def _compile_float(expr):
    """A float64 closure ``env -> (value, magnitude)`` of ``expr`` (``None`` if unsupported)."""
    if expr.is_Symbol:
        name = expr.name
        return lambda env: (env[name], abs(env[name]))
    if expr.is_Rational or expr is sp.pi or expr is sp.E:
        v = float(expr)
        return lambda env: (v, abs(v))
    if isinstance(expr, (sp.Add, sp.Mul)):
        fs = [_compile_float(a) for a in expr.args]
        if any(f is None for f in fs):
            return None
        add = isinstance(expr, sp.Add)

        def f(env):
            vals = [g(env) for g in fs]
            if add:
                return sum(v for v, _ in vals), sum(m for _, m in vals)
            out, mag = 1.0, 1.0
            for v, m in vals:
                out *= v
                mag *= m
            return out, abs(mag)
        return f
    if isinstance(expr, sp.Pow):
        fb, fe = _compile_float(expr.base), _compile_float(expr.exp)
        if fb is None or fe is None:
            return None

        def f(env):
            b, mb = fb(env)
            e, _ = fe(env)
            v = b ** e
            if isinstance(v, complex):
                raise ValueError("complex power")
            return v, abs(v)
        return f
    unary = {sp.exp: math.exp, sp.log: math.log, sp.Abs: abs, sp.floor: math.floor, sp.ceiling: math.ceil}
    for cls, fn in unary.items():
        if isinstance(expr, cls):
            fa = _compile_float(expr.args[0])
            if fa is None:
                return None
            return lambda env, fa=fa, fn=fn: (lambda v: (float(fn(v)), abs(float(fn(v)))))(fa(env)[0])
    if isinstance(expr, (sp.Sum, sp.Product)):
        (var, a, b), = expr.limits
        fa, fb, ft = _compile_float(a), _compile_float(b), _compile_float(expr.function)
        if None in (fa, fb, ft):
            return None
        is_sum = isinstance(expr, sp.Sum)
        vname = var.name

        def f(env):
            lo, hi = fa(env)[0], fb(env)[0]
            if lo != int(lo) or hi != int(hi) or hi - lo > MAX_LOOP_TERMS:
                raise ValueError("non-integer or huge bounds")
            out, mag = (0.0, 0.0) if is_sum else (1.0, 1.0)
            env2 = dict(env)
            for k in range(int(lo), int(hi) + 1):
                env2[vname] = float(k)
                v, m = ft(env2)
                if is_sum:
                    out += v
                    mag += m
                else:
                    out *= v
                    mag *= m
            return out, abs(mag)
        return f
    return None


def _float_screen(node: Node):
    """A function ``point -> True`` when the float64 screen is sure hypotheses ⟹ claim holds at
    the point (``False``/``None``: replay exactly)."""
    st = node.statement
    claims = []
    for rel in _conjuncts(st.claim):
        h, strict, is_eq = _relation_parts(rel)
        if is_eq:
            return None
        f = _compile_float(h)
        if f is None:
            return None
        claims.append(f)

    hyps = []
    for hyp in st.hypotheses:
        for rel in _conjuncts(hyp):
            if isinstance(rel, sp.core.relational.Relational) and not isinstance(rel, (sp.Equality, sp.Unequality)):
                h, strict, _ = _relation_parts(rel)
                f = _compile_float(h)
                if f is not None:
                    hyps.append(f)

    def screen(point: dict) -> bool | None:
        env = {k: float(v) for k, v in point.items()}
        try:
            for f in hyps:
                v, mag = f(env)
                if math.isfinite(v) and v < -SCREEN_RTOL * max(mag, 1e-300):
                    return False     # clearly outside the hypotheses: nothing claimed here
            for f in claims:
                v, mag = f(env)
                if not (math.isfinite(v) and v > SCREEN_RTOL * max(mag, 1e-300) and v > 0):
                    return None
        except (ValueError, OverflowError, ZeroDivisionError, KeyError, TypeError):
            return None
        return True
    return screen
