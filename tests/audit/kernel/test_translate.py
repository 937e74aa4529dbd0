"""The translator (checker.audit.kernel.translate), the new trusted part: round trips and names.

Round trip: every shipped claim, hypothesis and definition is translated to Coq, the Coq term is
parsed back by a small reader written here (fully parenthesised output makes it short), and its
value at random points is compared with the value of the *source text* computed by an evaluator
also written here (mpmath, Python's ast), independently of the translator and of sympy. Points
where the source is undefined (division by zero, log or sqrt out of domain) are skipped: Coq's
total functions are allowed to differ exactly there.
"""

from __future__ import annotations

import ast
import random
import re
import zlib
from fractions import Fraction

import mpmath as mp
import pytest

from checker.audit.auditor import default_proofs_dir
from checker.audit.kernel.translate import (DOMAIN_TYPES, Untranslatable, coq_name, instance, term,
                                            translate_statement)
from checker.audit.outline import load_outlines, outline_files

mp.mp.dps = 40


class Undefined(Exception):
    pass


# --------------------------------------------------------------------------------------------
# reference semantics of the source text (independent of the translator)

def ev_src(node, env):
    if isinstance(node, ast.Expression):
        return ev_src(node.body, env)
    if isinstance(node, ast.Constant):
        return mp.mpf(Fraction(str(node.value)).numerator) / Fraction(str(node.value)).denominator
    if isinstance(node, ast.Name):
        if node.id in env:
            return env[node.id]
        return {"pi": mp.pi, "E": mp.e}[node.id]
    if isinstance(node, ast.UnaryOp):
        return -ev_src(node.operand, env) if isinstance(node.op, ast.USub) else ev_src(node.operand, env)
    if isinstance(node, ast.BinOp):
        a, b = ev_src(node.left, env), ev_src(node.right, env)
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        if isinstance(node.op, ast.Div):
            if b == 0:
                raise Undefined
            return a / b
        if isinstance(node.op, ast.Pow):
            if a == 0 and b < 0:
                raise Undefined
            return a ** b
    if isinstance(node, ast.Call):
        f = node.func.id
        if f == "diff":  # numerical (mpmath), the definitions recomputed at every moved point
            return _diff_src(node.args[0], [a.id for a in node.args[1:]], env)
        if f in ("Sum", "Product"):
            body, idx, lo, hi = node.args
            lo, hi = int(ev_src(lo, env)), int(ev_src(hi, env))
            acc = mp.mpf(0 if f == "Sum" else 1)
            for k in range(lo, hi + 1):  # the empty range (hi < lo) is 0 / 1
                v = ev_src(body, {**env, idx.id: mp.mpf(k)})
                acc = acc + v if f == "Sum" else acc * v
            return acc
        args = [ev_src(a, env) for a in node.args]
        if f == "sqrt":
            if args[0] < 0:
                raise Undefined
            return mp.sqrt(args[0])
        if f == "log":
            if args[0] <= 0:
                raise Undefined
            return mp.log(args[0])
        if f == "exp":
            return mp.exp(args[0])
        if f == "Abs":
            return abs(args[0])
        if f == "Max":
            return max(args)
        if f == "Min":
            return min(args)
        if f == "ceiling":
            return mp.ceil(args[0])
        if f == "floor":
            return mp.floor(args[0])
    raise AssertionError(f"reference evaluator: unexpected {ast.dump(node)}")


def _with_defines(env):
    """``env`` with its definitions (``env["__defines__"]``, in order) recomputed from its symbols."""
    out = dict(env)
    for d, tree in env.get("__defines__", ()):
        out[d] = ev_src(tree, out)
    return out


def _diff_src(expr, names, env):
    """sympy's ``diff(expr, x1, ..., xk)``: d/dxk ... d/dx1 expr, by mpmath's numerical
    differentiation of the source evaluator (independent of the translator and of Coq)."""
    if not names:
        return ev_src(expr, _with_defines(env))
    *rest, last = names
    return mp.diff(lambda t: _diff_src(expr, rest, {**env, last: t}), env[last])


# --------------------------------------------------------------------------------------------
# a reader of the translator's Coq output

TOKEN = re.compile(r"\s*(/\\|\\/|->|<=|>=|=>|%Z|[()+\-*/^<>=~:]|[A-Za-z_][\w.']*|\d+)")


def tokens(text):
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        assert m, f"cannot read Coq at {text[pos:pos + 30]!r}"
        out.append(m.group(1))
        pos = m.end()
    return out


class Reader:
    FUN = {"sqrt": 1, "exp": 1, "ln": 1, "Rabs": 1, "IZR": 1, "ck_floor": 1, "ck_ceil": 1, "Rmax": 2,
           "Rmin": 2, "Z.max": 2, "Z.min": 2, "Z.abs": 1, "ck_sum": 3, "ck_prod": 3, "Derive": 2}

    def __init__(self, toks, env):
        self.t, self.i, self.env = toks, 0, env

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else None

    def take(self, want=None):
        tok = self.t[self.i]
        assert want is None or tok == want, (tok, want, self.t[self.i - 5:self.i + 5])
        self.i += 1
        return tok

    def atom(self):
        tok = self.take()
        if tok == "(":
            v = self.inner()
            self.take(")")
        elif tok.isdigit():
            v = mp.mpf(int(tok))
        elif tok == "PI":
            v = mp.pi
        else:
            assert tok in self.env, f"unbound Coq name {tok}"
            v = self.env[tok]
        if self.peek() == "%Z":
            self.take()
        return v

    def inner(self):
        tok = self.peek()
        if tok == "-":
            self.take()
            return -self.atom()
        if tok == "/":
            self.take()
            d = self.atom()
            if d == 0:
                raise Undefined
            return 1 / d
        if tok == "~":
            self.take()
            return not self.atom()
        if tok == "fun":
            self.take()
            name = self.take()
            self.take(":")
            assert self.take() in ("Z", "R")
            self.take("=>")
            start = self.i
            depth = 0
            while not (self.peek() == ")" and depth == 0):  # the body, read lazily per index
                depth += {"(": 1, ")": -1}.get(self.take(), 0)
            body = self.t[start:self.i]
            return ("fun", name, body)
        if tok in self.FUN:
            self.take()
            args = [self.atom() for _ in range(self.FUN[tok])]
            return self.apply(tok, args)
        left = self.atom()
        op = self.take()
        right = self.atom()
        out = self.binop(op, left, right)
        while self.peek() in ("/\\", "\\/"):  # chains of conjunctions
            op2 = self.take()
            nxt = self.atom()
            out = (out and nxt) if op2 == "/\\" else (out or nxt)
        return out

    def apply(self, f, args):
        if f == "sqrt":
            if args[0] < 0:
                raise Undefined
            return mp.sqrt(args[0])
        if f == "ln":
            if args[0] <= 0:
                raise Undefined
            return mp.log(args[0])
        if f == "Derive":  # Coquelicot's Derive f p, numerically (mpmath)
            (_, name, body), p = args
            return mp.diff(lambda t: Reader(body, {**self.env, name: t}).expr_all(), p)
        if f in ("ck_sum", "ck_prod"):
            lo, hi, (_, name, body) = args
            acc = mp.mpf(0 if f == "ck_sum" else 1)
            for k in range(int(lo), int(hi) + 1):
                v = Reader(body, {**self.env, name: mp.mpf(k)}).expr_all()
                acc = acc + v if f == "ck_sum" else acc * v
            return acc
        return {"exp": mp.exp, "Rabs": abs, "IZR": lambda x: x, "ck_floor": mp.floor,
                "ck_ceil": mp.ceil, "Rmax": max, "Rmin": min, "Z.max": max, "Z.min": min,
                "Z.abs": abs}[f](*args)

    def binop(self, op, a, b):
        if op in ("+", "-", "*"):
            return {"+": a + b, "-": a - b, "*": a * b}[op]
        if op == "/":
            if b == 0:
                raise Undefined
            return a / b
        if op == "^":
            return a ** int(b)
        if op in ("/\\", "\\/"):
            return (a and b) if op == "/\\" else (a or b)
        return ("cmp", op, a, b)

    def expr_all(self):
        v = self.atom() if self.peek() == "(" else self.atom()
        assert self.i == len(self.t), self.t[self.i:]
        return v


# --------------------------------------------------------------------------------------------

def _nodes():
    outs = load_outlines(outline_files([default_proofs_dir()]))
    return [n for o in outs for n in o.nodes if n.statement.claim is not None]


def _sample(domain, rng):
    if domain.endswith("integer"):
        lo = 1 if domain == "positive_integer" else 0 if domain == "nonnegative_integer" else -6
        return mp.mpf(rng.randint(lo, 12))
    x = mp.mpf(rng.uniform(0.05, 7.0))
    return {"real": x * rng.choice([-1, 1]), "positive": x, "nonnegative": x, "negative": -x}[domain]


def _compare_side(src_node, coq_text, env_src, env_coq):
    """Values of a source term and its Coq translation at one point (None when undefined)."""
    try:
        want = ev_src(src_node, env_src)
    except (Undefined, ZeroDivisionError, ValueError):
        return None
    got = Reader(tokens(coq_text), env_coq).expr_all()
    return want, got


def _sides(tree):
    if isinstance(tree, ast.Compare):
        out, left = [], tree.left
        for right in tree.comparators:
            out += [left, right]
            left = right
        return out
    if isinstance(tree, ast.BoolOp):
        return [s for v in tree.values for s in _sides(v)]
    return [tree]


def _texts(n):
    src = n.statement.source
    out = [("claim", str(src["claim"]))] + [("hyp", str(h)) for h in src.get("hypotheses") or []]
    out += [("define", str(t)) for t in (src.get("define") or {}).values()]
    return out


@pytest.mark.parametrize("node", _nodes(), ids=lambda n: n.id)
def test_round_trip_every_shipped_formula(node):
    src = node.statement.source
    symbols = dict(src.get("symbols") or {})
    types = {s: DOMAIN_TYPES[d][0] for s, d in symbols.items()}
    rng = random.Random(zlib.crc32(node.id.encode()))
    checked = 0
    for kind, text in _texts(node):
        tree = ast.parse(text.strip(), mode="eval").body
        try:
            defines = {}
            for d, t in (src.get("define") or {}).items():
                defines[d] = term(str(t), types, "R", defines)
            for side in _sides(tree):
                side_text = ast.get_source_segment(text.strip(), side)
                coq = term(side_text, types, "R", defines)
                for _ in range(12):
                    env = {s: _sample(d, rng) for s, d in symbols.items()}
                    # definitions are inlined in the Coq term (term(..., defines)); evaluate them
                    # for the source side in order
                    env_src = dict(env)
                    env_src["__defines__"] = [(d, ast.parse(str(t).strip(), mode="eval").body)
                                              for d, t in (src.get("define") or {}).items()]
                    try:
                        for d, t in (src.get("define") or {}).items():
                            env_src[d] = ev_src(ast.parse(str(t).strip(), mode="eval").body, env_src)
                    except (Undefined, ZeroDivisionError, ValueError):
                        continue
                    env_coq = {f"v_{s}": v for s, v in env.items()}
                    try:
                        pair = _compare_side(side, coq, env_src, env_coq)
                    except Undefined:
                        pair = None
                    if pair is None:
                        continue
                    want, got = pair
                    # both sides of a derivative are numerical differences (nested for second
                    # derivatives), good to about 20 of the 40 digits; everything else is exact
                    eps = mp.mpf(10) ** (-15 if "diff" in side_text else -25)
                    assert mp.almosteq(want, got, rel_eps=eps, abs_eps=eps), \
                        (node.id, kind, side_text, coq, env, want, got)
                    checked += 1
        except Untranslatable as exc:
            pytest.fail(f"{node.id}: every shipped formula is translated today, got {exc}")
    assert checked > 0 or not symbols, f"{node.id}: no point was compared"


def test_names_are_prefixed_so_no_outline_name_meets_a_coq_name():
    # R, E, exp, S are Coq names; as outline symbols they must not shadow them
    st = translate_statement("t.x", {"symbols": {"R": "positive", "S": "real"},
                                     "claim": "R*S <= exp(R) + S"})
    assert "forall (v_R : R) (v_S : R)" in st.text
    assert "(exp v_R)" in st.text and " R " not in st.text.replace("(v_R : R)", "").replace("(v_S : R)", "")
    assert coq_name("sinha.thm2.one_step") == "sinha__thm2__one_step"
    assert coq_name("a-b.c") == "a_h_b__c"


def test_integers_are_Z_with_IZR_and_sums_bind_their_index():
    st = translate_statement("t.s", {"symbols": {"i": "positive_integer", "M": "positive_integer"},
                                     "claim": "Sum(i, i, 1, M - 1) == M*(M - 1)/2"})
    # i occurs only as the index: it is bound by the sum, not quantified
    assert st.binders == (("M", "v_M", "Z"),)
    assert "(0 < v_M)%Z" in st.text
    assert "(ck_sum 1%Z (v_M - 1%Z)%Z (fun k_i : Z => (IZR k_i)))" in st.text
    assert "(IZR v_M)" in st.text


def test_defines_are_lets_and_decimals_are_exact():
    st = translate_statement("t.d", {"symbols": {"x": "positive"}, "define": {"h": "x/2"},
                                     "claim": "h <= 0.1*x + x"})
    assert "let d_h : R := (v_x / 2) in" in st.text
    assert "(1 / 10)" in st.text  # 0.1 exactly, never a binary float


def test_instances_apply_the_lemma_to_translated_subs_without_textual_substitution():
    used = translate_statement("u", {"symbols": {"a": "real", "b": "real"}, "claim": "a <= b + 1"})
    inst = instance({"symbols": {"x": "positive", "y": "real"}, "define": {"z": "x + y"}},
                    used, {"a": "x*y", "b": "z"})
    assert inst == "(u (v_x * v_y) (v_x + v_y))"
    with pytest.raises(Untranslatable):
        instance({"symbols": {"x": "positive"}}, used, {"a": "x"})  # b is not instantiated


def test_what_is_not_translated_is_refused_by_name():
    for claim, why in [("diff(x**2, n) == 0", "diff with respect to something other than a declared real"),
                       ("diff(x**2, 2*x) == 0", "diff with respect"),
                       # Derive's value where no derivative exists is a convention: refused
                       ("diff(1/x, x) == -1/x**2", "not differentiable everywhere"),
                       ("diff(Abs(x), x) == 0", "not differentiable everywhere"),
                       ("diff(sqrt(x), x) >= 0", "not differentiable everywhere"),
                       ("x**y <= 1", "exponent"),
                       ("factorial(n) >= 1", "factorial")]:
        with pytest.raises(Untranslatable, match=why):
            translate_statement("t", {"symbols": {"x": "real", "y": "real", "n": "positive_integer"},
                                      "claim": claim})
    with pytest.raises(Untranslatable, match="no claim"):
        translate_statement("t", {"symbols": {}})


def test_negative_control_the_round_trip_sees_a_wrong_translation():
    """The comparison can fail: a translation with one operator changed is caught."""
    text = "M*(M - 1)/(2*log(2)) <= M**2"
    tree = ast.parse(text, mode="eval").body
    good = term("M*(M - 1)/(2*log(2))", {"M": "Z"})
    bad = good.replace(" - 1", " + 1", 1)
    assert bad != good
    env = {"M": mp.mpf(7)}
    want, got = _compare_side(tree.left, good, env, {"v_M": mp.mpf(7)})
    assert mp.almosteq(want, got)
    want, got = _compare_side(tree.left, bad, env, {"v_M": mp.mpf(7)})
    assert not mp.almosteq(want, got)
