"""Translation of outline formulas to z3 (nonlinear real arithmetic), soundly.

Rules (issue 11.5, docs/guide/audit.md "Engine soundness"):

* **Collision-free auxiliary names.** Every variable the translation invents (square roots,
  abstracted transcendental terms, tracking literals) is named with a leading underscore
  (``_sqrt0``, ``_t3``, ``_p1``); outline symbols may not start with an underscore (the loader
  rejects them), so an auxiliary can never capture a user symbol.
* **Abstraction, not approximation.** A term z3 cannot reason about (``log``, ``exp``, ``pi``,
  ``ceiling``, ``Sum`` ...) becomes a fresh variable, the same variable for the same term, with
  only *true* defining facts (``exp(t) > 0``, ``t <= ceiling(t) < t + 1``, ``3 < pi < 4`` ...).
  Abstraction is sound for proofs (an unsat answer holds for the real values as well); a ``sat``
  model may be spurious, so every model is replayed exactly before it counts as a counterexample.
* **Guards are side conditions.** Denominators (``!= 0``), square-root and log arguments
  (``>= 0`` / ``> 0``) are collected as *obligations* that the caller must prove from the domains
  and hypotheses; they are never added as assumptions (which would let an ill-defined claim
  "prove" itself).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp

from checker.errors import CheckError

__all__ = ["Translation", "domain_constraint", "AUX_PREFIX"]

#: Prefix of every auxiliary z3 name; outline symbols cannot start with "_".
AUX_PREFIX = "_"

#: Rational enclosures of the constants pi and E used as their defining facts (both true:
#: 3.14159 < pi < 3.14160, 2.71828 < e < 2.71829).
_PI = (Fraction(314159, 100000), Fraction(314160, 100000))
_E = (Fraction(271828, 100000), Fraction(271829, 100000))


@dataclass
class Translation:
    """One z3 translation context: user variables, auxiliaries, facts and side conditions."""

    domains: dict
    vars: dict = field(default_factory=dict)
    facts: list = field(default_factory=list)          # true definitional facts (assumable)
    obligations: list = field(default_factory=list)    # (text, z3 bool) side conditions to prove
    abstracted: list = field(default_factory=list)     # sympy terms replaced by variables
    _terms: dict = field(default_factory=dict)
    _n: int = 0

    def __post_init__(self):
        import z3

        for name, dom in self.domains.items():
            if name.startswith(AUX_PREFIX):  # pragma: no cover - the loader rejects these
                raise CheckError(f"symbol {name!r} may not start with {AUX_PREFIX!r}")
            self.vars[name] = z3.Real(name)

    def fresh(self, stem: str):
        import z3

        name = f"{AUX_PREFIX}{stem}{self._n}"
        self._n += 1
        assert name not in self.vars
        v = z3.Real(name)
        self.vars[name] = v
        return v

    def domain_facts(self) -> list:
        return [domain_constraint(self.vars[n], d) for n, d in self.domains.items()
                if domain_constraint(self.vars[n], d) is not None]

    # -----------------------------------------------------------------------------------------
    def _abstract(self, expr, stem: str):
        key = sp.srepr(expr)
        if key in self._terms:
            return self._terms[key]
        v = self.fresh(stem)
        self._terms[key] = v
        self.abstracted.append(sp.sstr(expr))
        return v

    def expr(self, e):
        import z3

        if isinstance(e, sp.Symbol):
            if e.name not in self.vars:
                raise CheckError(f"symbol {e.name!r} is not declared in this statement")
            return self.vars[e.name]
        if e.is_Rational:
            return z3.Q(int(e.p), int(e.q)) if e.q != 1 else z3.RealVal(int(e.p))
        if e is sp.pi or e is sp.E:
            v = self._abstract(e, "pi" if e is sp.pi else "e")
            lo, hi = _PI if e is sp.pi else _E
            self.facts.append(z3.And(v > z3.Q(lo.numerator, lo.denominator), v < z3.Q(hi.numerator, hi.denominator)))
            return v
        if isinstance(e, sp.Add):
            return z3.Sum([self.expr(a) for a in e.args])
        if isinstance(e, sp.Mul):
            num, den = sp.fraction(e)
            if den != 1:
                d = self.expr(den)
                self.obligations.append((f"{sp.sstr(den)} != 0", d != 0))
                return self.expr(num) / d
            out = None
            for a in e.args:
                t = self.expr(a)
                out = t if out is None else out * t
            return out
        if isinstance(e, sp.Pow):
            base, ex = e.args
            if ex.is_Integer:
                n = int(ex)
                b = self.expr(base)
                if n == 0:
                    return z3.RealVal(1)
                p = b
                for _ in range(abs(n) - 1):
                    p = p * b
                if n < 0:
                    self.obligations.append((f"{sp.sstr(base)} != 0", b != 0))
                    return 1 / p
                return p
            if ex == sp.S.Half or ex == -sp.S.Half:
                b = self.expr(base)
                s = self._abstract(sp.sqrt(base), "sqrt")
                # definition of the square root (true wherever the argument is >= 0, which is
                # a side condition below)
                self.facts.append(z3.Implies(b >= 0, z3.And(s >= 0, s * s == b)))
                self.obligations.append((f"{sp.sstr(base)} >= 0", b >= 0))
                if ex == -sp.S.Half:
                    self.obligations.append((f"{sp.sstr(base)} != 0", b != 0))
                    return 1 / s
                return s
            b = self.expr(base)
            self.obligations.append((f"{sp.sstr(base)} > 0", b > 0))
            v = self._abstract(e, "pow")
            self.facts.append(z3.Implies(b > 0, v > 0))
            return v
        if isinstance(e, sp.exp):
            v = self._abstract(e, "exp")
            a = self.expr(e.args[0])
            self.facts.append(v > 0)
            self.facts.append(v >= 1 + a)  # exp(a) >= 1 + a for every real a (convexity)
            return v
        if isinstance(e, sp.log):
            a = self.expr(e.args[0])
            self.obligations.append((f"{sp.sstr(e.args[0])} > 0", a > 0))
            v = self._abstract(e, "log")
            # log(a) <= a - 1 for a > 0 (concavity); log(a) >= 0 iff a >= 1, > 0 iff a > 1
            self.facts.append(z3.Implies(a > 0, z3.And(v <= a - 1, (v >= 0) == (a >= 1), (v > 0) == (a > 1))))
            return v
        if isinstance(e, sp.Abs):
            a = self.expr(e.args[0])
            return z3.If(a >= 0, a, -a)
        if isinstance(e, (sp.Min, sp.Max)):
            vals = [self.expr(a) for a in e.args]
            out = vals[0]
            for v in vals[1:]:
                out = z3.If(v < out, v, out) if isinstance(e, sp.Min) else z3.If(v > out, v, out)
            return out
        if isinstance(e, (sp.floor, sp.ceiling)):
            a = self.expr(e.args[0])
            v = self._abstract(e, "ceil" if isinstance(e, sp.ceiling) else "floor")
            self.facts.append(z3.IsInt(v))
            if isinstance(e, sp.ceiling):
                self.facts.append(z3.And(a <= v, v < a + 1))
            else:
                self.facts.append(z3.And(v <= a, a < v + 1))
            return v
        if isinstance(e, (sp.Sum, sp.Product, sp.factorial, sp.binomial, sp.Function)):
            done = e.doit() if isinstance(e, (sp.Sum, sp.Product)) else e
            if done != e and not done.has(sp.Sum, sp.Product):
                return self.expr(done)
            return self._abstract(e, "t")
        if isinstance(e, sp.Equality):
            return self.expr(e.lhs) == self.expr(e.rhs)
        if isinstance(e, sp.Unequality):
            return self.expr(e.lhs) != self.expr(e.rhs)
        if isinstance(e, sp.StrictLessThan):
            return self.expr(e.lhs) < self.expr(e.rhs)
        if isinstance(e, sp.LessThan):
            return self.expr(e.lhs) <= self.expr(e.rhs)
        if isinstance(e, sp.StrictGreaterThan):
            return self.expr(e.lhs) > self.expr(e.rhs)
        if isinstance(e, sp.GreaterThan):
            return self.expr(e.lhs) >= self.expr(e.rhs)
        if isinstance(e, sp.And):
            return z3.And([self.expr(a) for a in e.args])
        if isinstance(e, sp.Or):
            return z3.Or([self.expr(a) for a in e.args])
        if isinstance(e, sp.Not):
            return z3.Not(self.expr(e.args[0]))
        if isinstance(e, sp.Implies):
            return z3.Implies(self.expr(e.args[0]), self.expr(e.args[1]))
        if e is sp.true:
            return z3.BoolVal(True)
        if e is sp.false:
            return z3.BoolVal(False)
        if e.is_number and not e.is_real:
            raise CheckError(f"{sp.sstr(e)[:60]} is not a real number")
        raise CheckError(f"smt cannot translate {type(e).__name__} in {sp.sstr(e)[:80]}")


def domain_constraint(v, dom: str):
    """The z3 constraint of a declared domain (``None`` for ``real``)."""
    import z3

    parts = []
    if dom in ("positive", "positive_integer"):
        parts.append(v > 0)
    if dom in ("nonnegative", "nonnegative_integer"):
        parts.append(v >= 0)
    if dom == "negative":
        parts.append(v < 0)
    if dom.endswith("integer"):
        parts.append(z3.IsInt(v))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else z3.And(parts)
