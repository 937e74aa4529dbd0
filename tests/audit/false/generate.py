"""Generate the false-claim corpus (issue 24.8) from the shipped outlines in ``proofs/``.

    python3 -m tests.audit.false.generate        # rewrites tests/audit/false/mutants.json

Every node of ``proofs/`` that has a claim and is checked by an engine (not a cited, assumed or
erratum node: those are taken on trust, or expected to be false) is mutated in four ways:

* **constant**: each number literal c becomes 2c, c/2 or c + 1;
* **relation**: each comparison is reversed (``<=`` becomes ``>``, ``==`` becomes ``<`` and ``>``);
* **exponent**: each literal exponent k becomes k + 1 or k - 1;
* **dropped hypothesis**: each hypothesis is removed in turn.

A mutant joins the corpus only if it is *false*: a point of the declared domains is found where
every (remaining) hypothesis holds, every claim the node uses holds (instantiated as in its
``uses``: a derived claim is only false where its premises are true), and the claim fails by a
clear margin. The point is found and
checked by a small interpreter below, with mpmath at 60 significant digits, independent of the
checker's parser and engines (the reference must not come from the code under test). Mutants
that stay true (a weakened constant, say) or whose falsity could not be shown are dropped and
counted. A mutant keeps its node's engine checks (experiment checks are dropped: an experiment is
bound to the claim it tests, so an edited claim would fail for that reason alone) and the nodes
it ``uses``, with their own checks, so that derivations are re-run against the mutated claim.
"""

from __future__ import annotations

import ast
import json
import math
import random
import re
import tomllib
from pathlib import Path

import mpmath

ROOT = Path(__file__).resolve().parents[3]
OUT = Path(__file__).with_name("mutants.json")
SEED = 20261207
#: Random candidate points tried per mutant (after the fixed grid).
RANDOM_POINTS = 3000
#: A claim is false at a point when its margin is below -REL_MARGIN * (1 + |sides|).
REL_MARGIN = mpmath.mpf(10) ** -25

mpmath.mp.dps = 60


# ---------------------------------------------------------------------------------------------
# an independent evaluator of the formula language (mpmath, 60 digits)

class Undefined(Exception):
    pass


def _ev(n, env):
    if isinstance(n, ast.Expression):
        return _ev(n.body, env)
    if isinstance(n, ast.Constant):
        return mpmath.mpf(ast.unparse(n)) if isinstance(n.value, float) else mpmath.mpf(n.value)
    if isinstance(n, ast.Name):
        if n.id in env:
            return env[n.id]
        if n.id == "pi":
            return mpmath.pi
        if n.id == "E":
            return mpmath.e
        raise KeyError(n.id)
    if isinstance(n, ast.UnaryOp):
        v = _ev(n.operand, env)
        return -v if isinstance(n.op, ast.USub) else v
    if isinstance(n, ast.BinOp):
        a, b = _ev(n.left, env), _ev(n.right, env)
        if isinstance(n.op, ast.Add):
            return a + b
        if isinstance(n.op, ast.Sub):
            return a - b
        if isinstance(n.op, ast.Mult):
            return a * b
        if isinstance(n.op, ast.Div):
            if b == 0:
                raise Undefined("division by 0")
            return a / b
        if isinstance(n.op, ast.Pow):
            if a < 0 and b != int(b):
                raise Undefined("fractional power of a negative number")
            if a == 0 and b < 0:
                raise Undefined("0 to a negative power")
            if abs(b) > 200 or (abs(a) > 1e6 and abs(b) > 20):
                raise Undefined("too large")
            return a ** b
    if isinstance(n, ast.Call):
        f = n.func.id
        if f in ("Sum", "Product"):
            body, var = n.args[0], n.args[1].id
            lo, hi = _ev(n.args[2], env), _ev(n.args[3], env)
            if lo != int(lo) or hi != int(hi) or hi - lo > 5000:
                raise Undefined("range")
            acc = mpmath.mpf(0) if f == "Sum" else mpmath.mpf(1)
            for k in range(int(lo), int(hi) + 1):
                v = _ev(body, {**env, var: mpmath.mpf(k)})
                acc = acc + v if f == "Sum" else acc * v
            return acc
        args = [_ev(a, env) for a in n.args]
        if f == "sqrt":
            if args[0] < 0:
                raise Undefined("sqrt of a negative number")
            return mpmath.sqrt(args[0])
        if f == "log":
            if args[0] <= 0:
                raise Undefined("log of a nonpositive number")
            return mpmath.log(args[0])
        if f == "exp":
            if args[0] > 10 ** 5:
                raise Undefined("too large")
            return mpmath.exp(args[0])
        if f == "Abs":
            return abs(args[0])
        if f == "Min":
            return min(args)
        if f == "Max":
            return max(args)
        if f == "ceiling":
            return mpmath.ceil(args[0])
        if f == "floor":
            return mpmath.floor(args[0])
        if f == "factorial":
            return mpmath.factorial(args[0])
        if f == "binomial":
            return mpmath.binomial(args[0], args[1])
    raise Undefined(f"unsupported syntax {type(n).__name__}")


def _truth(n, env) -> bool:
    """Truth of a comparison / conjunction, False only by a clear margin (else raises)."""
    if isinstance(n, ast.Expression):
        return _truth(n.body, env)
    if isinstance(n, ast.BoolOp):
        vals = [_truth(v, env) for v in n.values]
        return all(vals) if isinstance(n.op, ast.And) else any(vals)
    if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.Not):
        return not _truth(n.operand, env)
    if isinstance(n, ast.Compare):
        left = _ev(n.left, env)
        for op, comp in zip(n.ops, n.comparators):
            right = _ev(comp, env)
            tol = REL_MARGIN * (1 + abs(left) + abs(right))
            d = right - left
            if isinstance(op, ast.Lt):
                ok = d > tol if True else None
                amb = abs(d) <= tol
            elif isinstance(op, ast.LtE):
                ok, amb = d >= -tol, abs(d) <= tol
            elif isinstance(op, ast.Gt):
                ok, amb = -d > tol, abs(d) <= tol
            elif isinstance(op, ast.GtE):
                ok, amb = -d >= -tol, abs(d) <= tol
            elif isinstance(op, ast.Eq):
                ok, amb = abs(d) <= tol, False
            else:
                raise Undefined("comparison")
            if amb and not isinstance(op, ast.Eq):
                raise Undefined("too close to call")
            if not ok:
                return False
            left = right
        return True
    raise Undefined("not a comparison")


def _env_of(point: dict, defines: dict) -> dict:
    env = dict(point)
    for name, text in defines.items():
        env[name] = _ev(ast.parse(text, mode="eval"), env)
    return env


# ---------------------------------------------------------------------------------------------
# candidate points

_GRID = {
    "real": [-3, -1, mpmath.mpf(-1) / 2, 0, mpmath.mpf(1) / 3, mpmath.mpf(1) / 2, 1, 2, 3, 5, 10, 100, 1000],
    "positive": [mpmath.mpf(1) / 100, mpmath.mpf(1) / 10, mpmath.mpf(1) / 3, mpmath.mpf(1) / 2, 1, 2, 3, 5, 10,
                 100, 1000, 10 ** 4, 10 ** 6],
    "nonnegative": [0, mpmath.mpf(1) / 10, mpmath.mpf(1) / 2, 1, 2, 3, 10, 100, 1000],
    "negative": [-1000, -10, -3, -1, mpmath.mpf(-1) / 2, mpmath.mpf(-1) / 10],
    "integer": [-3, -1, 0, 1, 2, 3, 5, 10, 100],
    "positive_integer": [1, 2, 3, 4, 5, 10, 22, 23, 40, 100, 1000, 10 ** 4, 10 ** 6],
    "nonnegative_integer": [0, 1, 2, 3, 5, 10, 100, 1000],
}


def _points(symbols: dict, rng: random.Random):
    names = sorted(symbols)
    grids = {n: [mpmath.mpf(v) for v in _GRID[symbols[n]]] for n in names}
    # small corners first, then random combinations
    for v in range(6):
        yield {n: grids[n][min(v, len(grids[n]) - 1)] for n in names}
    for _ in range(RANDOM_POINTS):
        yield {n: rng.choice(grids[n]) for n in names}


def _instance(text: str, subs: dict) -> ast.AST:
    """``text`` with its names replaced by the parsed ``subs`` formulas (a used claim, instantiated)."""
    tree = ast.parse(text, mode="eval")

    class R(ast.NodeTransformer):
        def visit_Name(self, n):
            return ast.parse(f"({subs[n.id]})", mode="eval").body if n.id in subs else n

    return ast.fix_missing_locations(R().visit(tree))


_DOMAIN_OK = {"real": lambda v: True, "positive": lambda v: v > 0, "nonnegative": lambda v: v >= 0,
              "negative": lambda v: v < 0, "integer": lambda v: v == int(v),
              "positive_integer": lambda v: v > 0 and v == int(v),
              "nonnegative_integer": lambda v: v >= 0 and v == int(v)}


def premises_of(raw: dict, nodes: dict) -> list:
    """The claims ``raw`` uses, instantiated: (domain checks, hypotheses, claim) of each."""
    out = []
    for u in raw.get("uses") or []:
        used = nodes[u["node"]]
        ust = used.get("statement") or {}
        subs = dict(u.get("subs") or {})
        doms = [(ast.parse(f"({subs[k]})", mode="eval"), d) for k, d in (ust.get("symbols") or {}).items() if k in subs]
        hyps = [_instance(h, subs) for h in ust.get("hypotheses") or []]
        out.append((doms, hyps, _instance(ust["claim"], subs)))
    return out


def _premise_holds(prem, env) -> bool:
    doms, hyps, claim = prem
    if not all(_DOMAIN_OK[d](_ev(t, env)) for t, d in doms) or not all(_truth(h, env) for h in hyps):
        return True   # the implication holds vacuously
    return _truth(claim, env)


def find_witness(st: dict, hyps: list[str], claim: str, seed: int, premises=()) -> dict | None:
    """A point of the domains where every hypothesis and every used claim (instantiated) holds
    and the claim is false (or ``None``)."""
    rng = random.Random(seed)
    symbols = dict(st.get("symbols") or {})
    defines = dict(st.get("define") or {})
    htrees = [ast.parse(h, mode="eval") for h in hyps]
    ctree = ast.parse(claim, mode="eval")
    # Sum/Product indices are bound, not free: never choose them
    bound = {c.args[1].id for t in [ctree, *htrees] for c in ast.walk(t)
             if isinstance(c, ast.Call) and getattr(c.func, "id", "") in ("Sum", "Product")}
    free = {k: v for k, v in symbols.items() if k not in bound}
    for pt in _points(free, rng):
        try:
            env = _env_of(pt, defines)
            if not all(_truth(h, env) for h in htrees) or not all(_premise_holds(p, env) for p in premises):
                continue
            if _truth(ctree, env) is False:
                return {k: mpmath.nstr(v, 20) for k, v in pt.items()}
        except (Undefined, ZeroDivisionError, ValueError, OverflowError, TypeError, KeyError):
            continue
    return None


# ---------------------------------------------------------------------------------------------
# mutations of a claim's source text

_FLIP = {ast.Lt: ast.GtE, ast.LtE: ast.Gt, ast.Gt: ast.LtE, ast.GtE: ast.Lt}


def _mutants_of(claim: str):
    tree = ast.parse(claim, mode="eval")
    out = []
    # constants
    consts = [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and not isinstance(n.value, bool)]
    for k, c in enumerate(consts):
        src = ast.unparse(c)
        for new in (f"(2*{src})", f"({src}/2)", f"({src} + 1)"):
            t = ast.parse(claim, mode="eval")
            target = [n for n in ast.walk(t) if isinstance(n, ast.Constant) and not isinstance(n.value, bool)][k]
            _replace(t, target, ast.parse(new, mode="eval").body)
            out.append(("constant", f"{src} -> {new}", ast.unparse(t)))
    # relations
    comps = [n for n in ast.walk(tree) if isinstance(n, ast.Compare)]
    for k, c in enumerate(comps):
        for j, op in enumerate(c.ops):
            news = [_FLIP[type(op)]()] if type(op) in _FLIP else [ast.Lt(), ast.Gt()]
            for new in news:
                t = ast.parse(claim, mode="eval")
                target = [n for n in ast.walk(t) if isinstance(n, ast.Compare)][k]
                target.ops[j] = new
                out.append(("relation", f"{type(op).__name__} -> {type(new).__name__}", ast.unparse(t)))
    # exponents
    pows = [n for n in ast.walk(tree) if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow)
            and isinstance(n.right, ast.Constant) and isinstance(n.right.value, int)]
    for k, p in enumerate(pows):
        e = p.right.value
        for new in (e + 1, e - 1):
            if new == 0:
                continue
            t = ast.parse(claim, mode="eval")
            target = [n for n in ast.walk(t) if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow)
                      and isinstance(n.right, ast.Constant) and isinstance(n.right.value, int)][k]
            target.right = ast.Constant(new)
            out.append(("exponent", f"**{e} -> **{new}", ast.unparse(t)))
    return out


def _replace(tree, old, new):
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list):
                for i, v in enumerate(value):
                    if v is old:
                        value[i] = new
                        return
    raise ValueError("node not found")


# ---------------------------------------------------------------------------------------------
# outline text of one mutant

def _toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def _toml_value(v) -> str:
    if isinstance(v, str):
        return _toml_str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(type(v))


def _key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_\-]+", k) else _toml_str(k)


def node_toml(raw: dict, *, claim: str | None = None, hypotheses: list | None = None,
              new_id: str | None = None, keep_experiments: bool = False) -> str:
    lines = ["[[node]]"]
    for k in ("id", "kind", "title", "expressible", "provenance", "variant", "paper_statement", "notes"):
        if k in raw:
            v = new_id if (k == "id" and new_id) else raw[k]
            lines.append(f"{k} = {_toml_value(v)}")
    st = dict(raw.get("statement") or {})
    if claim is not None:
        st["claim"] = claim
    if hypotheses is not None:
        st["hypotheses"] = hypotheses
        if not hypotheses:
            st.pop("hypotheses")
    if st:
        lines.append("[node.statement]")
        for k, v in st.items():
            lines.append(f"{k} = {_toml_value(v)}")
    for u in raw.get("uses") or []:
        lines.append("[[node.uses]]")
        lines.append(f"node = {_toml_str(u['node'])}")
        lines.append(f"subs = {_toml_value(u.get('subs', {}))}")
    for c in raw.get("checks") or []:
        if c.get("kind") == "experiment" and not keep_experiments:
            continue
        if c.get("kind") == "symbolic" and hypotheses is not None and "slack" in c:
            c = {**c, "slack": [s for s in c["slack"] if s in hypotheses]}
        lines.append("[[node.checks]]")
        for k, v in c.items():
            lines.append(f"{k} = {_toml_value(v)}")
    return "\n".join(lines) + "\n"


def outline_text(nodes: dict, target: dict, mutated: str) -> str:
    """The mutated node plus every node it uses (recursively), with their own checks."""
    head = '[outline]\nid = "false"\ntitle = "false-claim corpus"\npaper = "corpus"\n\n'
    parts, seen, stack = [], set(), [u["node"] for u in target.get("uses") or []]
    while stack:
        nid = stack.pop()
        if nid in seen:
            continue
        seen.add(nid)
        raw = nodes[nid]
        parts.append(node_toml(raw))
        stack += [u["node"] for u in raw.get("uses") or []]
    return head + mutated + "\n" + "\n".join(parts)


ENGINE_KINDS = ("symbolic", "smt", "interval", "property", "evaluate")


def generate() -> dict:
    nodes = {}
    for f in sorted((ROOT / "proofs").glob("*.toml")):
        if f.name == "allowlist.toml":
            continue
        for raw in tomllib.loads(f.read_text())["node"]:
            nodes[raw["id"]] = raw
    cases, dropped = [], {"true or not shown false": 0, "no engine check": 0, "diff (not evaluated)": 0}
    for nid, raw in nodes.items():
        st = raw.get("statement") or {}
        if "claim" not in st or raw["kind"] in ("cited", "assumption", "erratum"):
            continue
        if not any(c.get("kind") in ENGINE_KINDS for c in raw.get("checks") or []) and not raw.get("uses"):
            dropped["no engine check"] += 1
            continue
        texts = [st["claim"], *st.get("hypotheses", []), *dict(st.get("define") or {}).values()]
        if any("diff(" in t for t in texts):
            dropped["diff (not evaluated)"] += 1
            continue
        hyps = list(st.get("hypotheses") or [])
        muts = [(cls, what, claim, hyps) for cls, what, claim in _mutants_of(st["claim"])]
        for k in range(len(hyps)):
            muts.append(("dropped hypothesis", f"without {hyps[k]!r}", st["claim"], hyps[:k] + hyps[k + 1:]))
        for j, (cls, what, claim, hs) in enumerate(muts):
            w = find_witness(st, hs, claim, SEED + j, premises_of(raw, nodes))
            if w is None:
                dropped["true or not shown false"] += 1
                continue
            cid = f"{nid}~{j}"
            mutated = node_toml(raw, claim=claim, hypotheses=hs if cls == "dropped hypothesis" else None)
            cases.append({"id": cid, "class": cls, "node": nid, "mutation": what, "claim": claim,
                          "hypotheses": hs, "witness": w, "outline": outline_text(nodes, raw, mutated)})
    return {"seed": SEED, "count": len(cases), "dropped": dropped, "cases": cases}


if __name__ == "__main__":
    data = generate()
    OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    by = {}
    for c in data["cases"]:
        by[c["class"]] = by.get(c["class"], 0) + 1
    print(f"{data['count']} false mutants {by}; dropped {data['dropped']} -> {OUT}")
    _ = math  # (kept for interactive use)
