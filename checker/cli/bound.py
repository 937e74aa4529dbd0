"""``checker bound``: look up, evaluate and invert the bound statements of :mod:`checker.bounds`.

Examples::

    checker bound --list
    checker bound arora-thm1 --p 1000 --Delta 1 --L 1 --L-phi 1 --eps 0.1
    checker bound arora-mstar --p 1000 --Delta 1 --L 1 --L-phi 1 --solve-for eps --target 4065680
    checker bound sinha-nn-smoothness --op-norms 1.5,0.8,1.2 --activation elu --json

Parameters are per statement: ``--NAME VALUE`` (or ``--NAME=VALUE``), dashes standing for the
underscores of the symbol names (``--L-phi`` is ``L_phi``). Values are exact decimals or
fractions (``0.1``, ``1/3``). Exit codes: 0 evaluated, 2 bad usage (unknown id or parameter,
missing or invalid value). The bound command runs no check, so it never exits 1.

Every value is printed with its flags (``OUTSIDE DOMAIN`` / ``VACUOUS``) and its notes (a float64
value recomputed in high precision, an exact value computed in mpmath over the size budget).
``--mode mpmath`` prints ``--dps`` significant digits (15 to 10,000) in text and JSON; exact
values too long to print are shown to ``--dps`` digits with their length.
"""

from __future__ import annotations

import argparse
import json
import sys

from checker.errors import InvalidArgument

_OWN_FLAGS = {"--json": "json", "--latex": "latex"}
_OWN_OPTS = {"--solve-for": "solve_for", "--target": "target", "--expr": "expr",
             "--mode": "mode", "--dps": "dps"}


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "bound", help="look up, evaluate and invert the symbolic bound statements",
        description=("Show a bound statement of the two papers (exact sympy), substitute "
                     "parameter values (--NAME VALUE, per statement), or solve for one parameter "
                     "(--solve-for NAME --target VALUE). Hidden constants stay symbolic."),
        epilog="`checker bound ID` with no parameters shows the statement and its parameters.")
    p.add_argument("id", nargs="?", help="statement id (see --list)")
    p.add_argument("--list", action="store_true", help="list the statements")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--latex", action="store_true", help="print the statement as LaTeX")
    p.add_argument("--solve-for", dest="solve_for", default=None, metavar="NAME",
                   help="parameter to solve for")
    p.add_argument("--target", default=None, help="value the expression must take (--solve-for)")
    p.add_argument("--expr", default=None, help="expression name (default: the primary one)")
    p.add_argument("--mode", default="numpy", help="numpy (default), exact or mpmath")
    p.add_argument("--dps", default=None, help="decimal digits for --mode mpmath and for printing "
                   "exact values (15 to 10000; default 50)")
    p.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.set_defaults(_parser=p)
    return p


def _split(rest: list[str], args) -> dict[str, str]:
    """Statement parameters from the remaining tokens; the command's own options may also appear
    there (argparse stops parsing at the first unknown option)."""
    params: dict[str, str] = {}
    toks = list(rest)
    k = 0
    while k < len(toks):
        tok = toks[k]
        if not tok.startswith("--") or tok == "--":
            raise InvalidArgument("argument", tok, "must be a --NAME VALUE pair")
        key, eq, val = tok.partition("=")
        if key in _OWN_FLAGS and not eq:
            setattr(args, _OWN_FLAGS[key], True)
            k += 1
            continue
        if not eq:
            if k + 1 >= len(toks):
                from checker.errors import CheckerError

                raise CheckerError(f"{key} needs a value ({key} VALUE)")
            val = toks[k + 1]
            k += 2
        else:
            k += 1
        if key in _OWN_OPTS:
            setattr(args, _OWN_OPTS[key], val)
            continue
        name = key[2:].replace("-", "_")
        if name in params:
            raise InvalidArgument(key, val, "is given twice")
        params[name] = val
        typed = getattr(args, "typed_options", None)
        if typed is None:
            typed = args.typed_options = {}
        typed[name] = key  # errors name the option as the user typed it
    return params


#: Longest exact value printed in full (characters); longer ones are shown to --dps digits.
_MAX_EXACT_CHARS = 2000


def _fmt(v, dps: int = 50) -> str:
    """Text of one value: floats to 10 significant digits, ints with separators, mpmath numbers
    to ``dps`` digits, exact sympy numbers exactly (when short) with a decimal approximation."""
    import math

    import numpy as np
    import sympy as sp

    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        digits = len(str(abs(v)))
        if digits <= _MAX_EXACT_CHARS:
            return f"{v:,}"
        return f"{sp.Float(sp.Integer(v), dps)}  ({digits} digits)"
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        if v == int(v) and abs(v) < 1e15:
            return f"{int(v):,}"
        return f"{v:.10g}"
    if isinstance(v, np.ndarray):
        return np.array2string(v, precision=6, threshold=50)
    if type(v).__module__.startswith("mpmath"):
        import mpmath

        return mpmath.nstr(v, dps, strip_zeros=False)
    if isinstance(v, sp.Basic) and v.is_number:
        if v.is_Integer:
            return _fmt(int(v), dps)
        text = sp.sstr(v)
        approx = sp.N(v, min(dps, 17))
        if len(text) > _MAX_EXACT_CHARS:
            return f"{sp.N(v, dps)}  (exact value has {len(text)} characters)"
        return text if v.is_Float else f"{text}  (≈ {approx})"
    text = str(v)
    return text if len(text) <= _MAX_EXACT_CHARS else text[:_MAX_EXACT_CHARS] + " ..."


def _jsonable_value(v, dps: int):
    """JSON form of one value: numbers stay numbers (non-finite as strings), mpmath numbers are
    decimal strings with ``dps`` digits, exact sympy numbers are their exact text (or ``dps``
    digits when longer than the print limit), symbolic expressions their text."""
    import numpy as np
    import sympy as sp

    from checker.io import to_jsonable

    if isinstance(v, (bool, int, float, np.ndarray, np.generic)):
        if isinstance(v, int) and len(str(abs(v))) > _MAX_EXACT_CHARS:
            return str(sp.Float(sp.Integer(v), dps))
        return to_jsonable(v)
    if type(v).__module__.startswith("mpmath"):
        import mpmath

        return mpmath.nstr(v, dps, strip_zeros=False)
    if isinstance(v, sp.Basic):
        if v.is_Integer and len(str(v)) <= _MAX_EXACT_CHARS:
            return int(v)
        text = sp.sstr(v)
        if v.is_number and (len(text) > _MAX_EXACT_CHARS or v.is_Float):
            return str(sp.N(v, dps))
        return text if len(text) <= _MAX_EXACT_CHARS else text[:_MAX_EXACT_CHARS] + " ..."
    return to_jsonable(v)


def _list(args) -> int:
    from checker.bounds import statements

    rows = [{"id": s.id, "paper": s.paper, "form": s.form, "reliability": s.reliability,
             "summary": s.summary, "title": s.title} for s in statements()]
    if args.json:
        print(json.dumps({"statements": rows}))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Bound statements (checker bound ID --NAME VALUE ...)")
    for col in ("id", "form", "reliability", "title"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["id"], r["form"], r["reliability"], r["title"])
    Console(width=140).print(table)
    return 0


#: Most layers accepted on the command line (200 layers take microseconds; this only bounds
#: the size of the printed per-layer lists).
_MAX_LAYERS = 100_000


def _nn_smoothness(stmt, params: dict[str, str], args) -> dict:
    from checker.bounds.sinha_nn_smoothness import smoothness_constants, activation_constants
    from checker.validate import suggest

    allowed = ("op_norms", "activation", "L0", "L1")
    for key in params:
        if key not in allowed:
            close = suggest(key, allowed)
            raise InvalidArgument(key, params[key], f"is not a parameter of {stmt.id!r} "
                                  "(parameters: --op-norms, --activation or --L0/--L1)",
                                  hint=f"did you mean {' or '.join(repr('--' + c.replace('_', '-')) for c in close)}?"
                                  if close else None)
    if "op_norms" not in params:
        raise InvalidArgument("op_norms", None, "is required (comma-separated per-layer operator "
                              "norms, e.g. --op-norms 1.5,0.8,1.2)")

    def floats(name):
        out = []
        parts = params[name].split(",")
        if len(parts) > _MAX_LAYERS:
            raise InvalidArgument(name, f"{len(parts)} entries", f"must have at most {_MAX_LAYERS} "
                                  "layers")
        for t, x in enumerate(parts):
            try:
                out.append(float(x))
            except ValueError:
                raise InvalidArgument(f"{name}[{t}]", x, "must be a number") from None
        return out

    ops = floats("op_norms")
    if "activation" in params:
        if "L0" in params or "L1" in params:
            raise InvalidArgument("activation", params["activation"], "cannot be combined with "
                                  "--L0/--L1")
        acts = params["activation"].split(",")
        if len(acts) == 1:
            acts = acts * len(ops)
        if len(acts) != len(ops):
            raise InvalidArgument("activation", params["activation"],
                                  f"must name one activation or one per layer ({len(ops)})")
        consts = [activation_constants(a) for a in acts]
        l0, l1 = [c[0] for c in consts], [c[1] for c in consts]
    else:
        if "L0" not in params or "L1" not in params:
            raise InvalidArgument("activation", None, "is required (or give both --L0 and --L1 "
                                  "as per-layer lists)")
        l0, l1, acts = floats("L0"), floats("L1"), None
    res = smoothness_constants(ops, l0, l1)
    lzz = res.lzz_bound_tight if stmt.id == "sinha-cor4-tight" else res.lzz_bound
    return {"values": {"alpha_L": res.alphas[-1], "beta_L": res.betas[-1], "lzz_bound": lzz},
            "per_layer": {"alphas": list(res.alphas), "betas": list(res.betas)},
            "params": {"op_norms": ops, "L0": l0, "L1": l1, "activation": acts},
            "defaults_used": [], "notes": list(res.notes) + list(stmt.notes)}


def _typed(args, name: str) -> str:
    """The option of parameter ``name`` as the user typed it (``--L-phi``)."""
    return (getattr(args, "typed_options", None) or {}).get(name, "--" + name.replace("_", "-"))


def _check_unknown(stmt, name: str) -> None:
    """``--solve-for NAME``: NAME must be one of the statement's parameters."""
    from checker.validate import suggest

    known = [p.name for p in stmt.params]
    if name not in known:
        close = suggest(name, known)
        raise InvalidArgument("--solve-for", name, f"is not a parameter of {stmt.id!r} (parameters: "
                              + ", ".join(known) + ")",
                              hint=("did you mean " + " or ".join(repr(c) for c in close) + "?") if close else None)


def _check_names(stmt, names, typed=None) -> None:
    from checker.validate import suggest

    known = [p.name for p in stmt.params]
    for name in names:
        if name not in known:
            close = suggest(name, known)
            raise InvalidArgument(
                "parameter", (typed or {}).get(name, "--" + name.replace("_", "-")),
                f"is not a parameter of {stmt.id!r} (parameters: "
                + ", ".join("--" + k.replace("_", "-") for k in known) + ")",
                hint=("did you mean " + " or ".join(repr("--" + c.replace("_", "-")) for c in close)
                      + "?") if close else None)


def run(args) -> int:
    try:
        return _run(args)
    except InvalidArgument as exc:
        typed = getattr(args, "typed_options", None) or {}
        if exc.name in typed:  # a statement parameter: name the option as the user typed it
            raise InvalidArgument(typed[exc.name], exc.value, exc.rule, hint=exc.hint) from None
        raise
    except (OverflowError, ZeroDivisionError, ValueError, TypeError, ArithmeticError,
            RecursionError, MemoryError) as exc:  # never a traceback: one line, exit 2
        raise InvalidArgument("bound", getattr(args, "id", None), "could not be evaluated at "
                              f"these parameters ({_reason(exc)}); internal error, please report it") from None


def _reason(exc: BaseException) -> str:
    """What went wrong, in words (never the exception's class name)."""
    words = {OverflowError: "a value overflows the number range", ZeroDivisionError: "a division by zero",
             RecursionError: "the expression is nested too deeply", MemoryError: "it needs more memory than is available"}
    for kind, text in words.items():
        if isinstance(exc, kind):
            return text
    detail = " ".join(str(exc).split())[:120]
    return detail or "the arithmetic failed"


def _run(args) -> int:
    from checker.bounds import evaluate, get, solve_for
    from checker.bounds.evaluate import MODES, check_dps, parse_number
    from checker.io import to_jsonable
    from checker.validate import one_of

    if any(t in ("-h", "--help") for t in (args.rest or [])):  # `checker bound ID --help`
        print(args._parser.format_help().rstrip())
        if args.id and not args.id.startswith("-"):
            stmt = get(args.id)
            print(f"\nparameters of {stmt.id}:")
            for prm in stmt.params:
                default = "" if prm.default is None else f" (default {prm.default})"
                print(f"  {prm.cli:<14} {prm.description}{default}")
        return 0
    params = _split(args.rest or [], args)
    mode = one_of("mode", args.mode, MODES)
    dps = 50 if args.dps is None else check_dps(args.dps)
    if args.list:
        return _list(args)
    if not args.id:
        raise InvalidArgument("id", None, "is required (or use --list)")
    if args.id.startswith("-"):
        raise InvalidArgument("id", args.id, "must be a statement id (see --list)")
    stmt = get(args.id)
    out: dict = {"id": stmt.id, "title": stmt.title, "paper": stmt.paper,
                 "reference": stmt.reference, "reliability": stmt.reliability, "form": stmt.form,
                 "latex": stmt.latex(), "hidden": list(stmt.hidden),
                 "assumed": list(stmt.assumed), "flags": [], "outside_domain": False,
                 "vacuous": False}
    if stmt.sequence_params:
        if args.solve_for:
            raise InvalidArgument("--solve-for", args.solve_for, f"is not supported for {stmt.id}")
        res = _nn_smoothness(stmt, params, args)
        out.update(res)
        out["value"] = res["values"]["lzz_bound"]
    elif not params and not args.solve_for:  # show the statement and its parameters only
        out.update({"values": {}, "params": {}, "defaults_used": [], "notes": list(stmt.notes),
                    "parameters": stmt.describe()["params"]})
    elif args.solve_for:
        if args.target is None:
            from checker.errors import CheckerError

            raise CheckerError("--target is required with --solve-for (the value the expression must take)")
        target = parse_number("--target", args.target)
        _check_names(stmt, list(params), typed=getattr(args, "typed_options", None))
        _check_unknown(stmt, args.solve_for)
        vals = {k: parse_number(_typed(args, k), v) for k, v in params.items()}
        inv = solve_for(stmt, args.solve_for, target=target, values=vals, name=args.expr)
        out.update({"solve_for": inv.unknown, "expression": inv.expression,
                    "target": inv.target, "value": inv.value, "values": {inv.unknown: inv.value},
                    "method": inv.method, "solutions": list(inv.solutions),
                    "roots": [{"value": r.value, "branch": r.branch, "verified": r.verified,
                               "flags": list(r.flags)} for r in inv.roots],
                    "params": {k: str(v) for k, v in vals.items()},
                    "notes": list(inv.notes), "defaults_used": []})
    else:
        _check_names(stmt, params, typed=getattr(args, "typed_options", None))
        vals = {k: parse_number(_typed(args, k), v) for k, v in params.items()}
        ev = evaluate(stmt, vals, name=args.expr, mode=mode, dps=dps)
        out.update({"values": ev.values, "params": {k: str(v) for k, v in ev.params.items()},
                    "defaults_used": list(ev.defaults_used), "symbolic": ev.symbolic,
                    "notes": list(ev.notes) + list(stmt.notes), "mode": ev.mode, "dps": dps,
                    "flags": [{"kind": f.kind, "message": f.message, "where": f.where,
                               "expressions": list(f.exprs)} for f in ev.flags],
                    "outside_domain": ev.outside_domain, "vacuous": ev.vacuous})
        if stmt.primary in ev.values:
            out["value"] = ev.values[stmt.primary]
        elif len(ev.values) == 1:
            out["value"] = next(iter(ev.values.values()))
        out["default_notes"] = {p.name: p.default_note for p in stmt.params
                                if p.name in ev.defaults_used and p.default_note}
    if args.json:
        out["values"] = {k: _jsonable_value(v, dps) for k, v in out.get("values", {}).items()}
        if "value" in out:
            out["value"] = _jsonable_value(out["value"], dps)
        print(json.dumps(to_jsonable(out)))
        return 0
    _render(stmt, out, latex=args.latex, dps=dps)
    return 0


def _render(stmt, out: dict, *, latex: bool, dps: int = 50) -> None:
    import sympy as sp
    from rich.console import Console

    con = Console(width=110, highlight=False)
    con.print(f"[bold]{stmt.id}[/bold]: {stmt.title}")
    con.print(f"  paper: {stmt.paper}")
    con.print(f"  reference: {stmt.reference}")
    con.print(f"  reliability: {stmt.reliability}    form: {stmt.form}")
    con.print("\n[bold]Statement[/bold]")
    items = list(stmt.exprs) + list(stmt.relations)
    for key, e in items:
        if latex:
            con.print(f"  {key}: {sp.latex(e)}", markup=False)
        else:  # one-line text form (sympy's 2-D pretty printer is slow to import)
            con.print((f"  {key} = " if key in stmt.expressions else f"  {key}: ") + sp.sstr(e),
                      markup=False)
    if out.get("method"):
        con.print("\n[bold]Solved[/bold]")
        con.print(f"  {out['expression']} = {_fmt(out['target'], dps)} for "
                  f"{out['solve_for']}: {out['solve_for']} = {_fmt(out['value'], dps)}  "
                  f"(method: {out['method']})", markup=False)
        for r in out.get("roots", []):
            con.print(f"  root {out['solve_for']} = {_fmt(r['value'], dps)}: {r['branch']}, "
                      f"verified ({r['verified']})"
                      + "".join(f"; {f}" for f in r["flags"]), markup=False)
    elif out.get("values"):
        con.print("\n[bold]Values[/bold]" + (f" (mode {out['mode']})" if out.get("mode") else ""))
        for k, v in out["values"].items():
            con.print(f"  {k} = {_fmt(v, dps)}", markup=False)
        if out.get("per_layer"):
            for key in ("alphas", "betas"):
                xs = out["per_layer"][key]
                shown = ", ".join(f"{x:.6g}" for x in xs[:20]) + (", ..." if len(xs) > 20 else "")
                con.print(f"  {key} (l=0..L) = [{shown}]", markup=False)
    for f in out.get("flags", []):
        kind = "OUTSIDE DOMAIN" if f["kind"] == "outside_domain" else "VACUOUS"
        where = "" if f.get("where", "all") == "all" else f" (at {f['where']})"
        con.print(f"  {kind}{where}: {f['message']}", markup=False)
    if "parameters" in out:
        con.print("\n[bold]Parameters[/bold] (give as --NAME VALUE)")
        for p in out["parameters"]:
            extra = f"  [default {p['default']}: {p['default_note']}]" if p["default"] else ""
            hid = "  (hidden constant)" if p["hidden"] else ""
            con.print(f"  --{p['name'].replace('_', '-')}: {p['description']} "
                      f"({p['domain']}){hid}{extra}", markup=False)
    given = {k: v for k, v in out.get("params", {}).items()
             if k not in out.get("defaults_used", [])}
    if given:
        con.print("  with " + ", ".join(f"{k}={v}" for k, v in given.items()), markup=False)
    for name in out.get("defaults_used", []):
        note = out.get("default_notes", {}).get(name, "")
        con.print(f"  default used: {name}={out['params'][name]}" + (f" ({note})" if note else ""),
                  markup=False)
    if stmt.hidden:
        con.print("\n[bold]Hidden[/bold]")
        for h in stmt.hidden:
            con.print(f"  - {h}", markup=False)
    if stmt.assumed:
        con.print("\n[bold]Assumed (not checked by this command)[/bold]")
        for a in stmt.assumed:
            con.print(f"  - {a}", markup=False)
    if out.get("notes"):
        con.print("\n[bold]Notes[/bold]")
        for n in out["notes"]:
            con.print(f"  - {n}", markup=False)


if __name__ == "__main__":  # pragma: no cover
    from checker.cli import main

    sys.exit(main(["bound", *sys.argv[1:]]))
