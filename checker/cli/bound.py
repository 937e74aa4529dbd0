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
    p.add_argument("--dps", default="50", help="decimal digits for --mode mpmath")
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
                raise InvalidArgument(key.lstrip("-").replace("-", "_"), None,
                                      f"needs a value ({key} VALUE)")
            val = toks[k + 1]
            k += 2
        else:
            k += 1
        if key in _OWN_OPTS:
            setattr(args, _OWN_OPTS[key], val)
            continue
        name = key[2:].replace("-", "_")
        if name in params:
            raise InvalidArgument(name, val, "is given twice")
        params[name] = val
    return params


def _fmt(v) -> str:
    import numpy as np
    import sympy as sp

    if isinstance(v, float):
        if v == int(v) and abs(v) < 1e15:
            return f"{int(v):,}"
        return f"{v:.10g}"
    if isinstance(v, np.ndarray):
        return np.array2string(v, precision=6)
    if isinstance(v, sp.Basic) and v.is_number:
        approx = float(v)
        return f"{sp.sstr(v)}  (≈ {approx:.10g})" if not v.is_Integer else f"{int(v):,}"
    return str(v)


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


def _nn_smoothness(stmt, params: dict[str, str], args) -> dict:
    from checker.bounds.sinha_nn_smoothness import smoothness_constants, activation_constants
    from checker.validate import suggest

    allowed = ("op_norms", "activation", "L0", "L1")
    for key in params:
        if key not in allowed:
            close = suggest(key, allowed)
            raise InvalidArgument(key, params[key], "is not a parameter of 'sinha-nn-smoothness' "
                                  "(parameters: --op-norms, --activation or --L0/--L1)",
                                  hint=f"did you mean {' or '.join(repr('--' + c.replace('_', '-')) for c in close)}?"
                                  if close else None)
    if "op_norms" not in params:
        raise InvalidArgument("op_norms", None, "is required (comma-separated per-layer operator "
                              "norms, e.g. --op-norms 1.5,0.8,1.2)")

    def floats(name):
        out = []
        for t, x in enumerate(params[name].split(",")):
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
    return {"values": {"alpha_L": res.alphas[-1], "beta_L": res.betas[-1],
                       "lzz_bound": res.lzz_bound},
            "per_layer": {"alphas": list(res.alphas), "betas": list(res.betas)},
            "params": {"op_norms": ops, "L0": l0, "L1": l1, "activation": acts},
            "defaults_used": [], "notes": []}


def _check_names(stmt, names) -> None:
    from checker.validate import suggest

    known = [p.name for p in stmt.params]
    for name in names:
        if name not in known:
            close = suggest(name, known)
            raise InvalidArgument(
                "parameter", "--" + name.replace("_", "-"),
                f"is not a parameter of {stmt.id!r} (parameters: "
                + ", ".join("--" + k.replace("_", "-") for k in known) + ")",
                hint=("did you mean " + " or ".join(repr("--" + c.replace("_", "-")) for c in close)
                      + "?") if close else None)


def run(args) -> int:
    from checker.bounds import evaluate, get, solve_for
    from checker.bounds.evaluate import parse_number
    from checker.io import to_jsonable

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
                 "assumed": list(stmt.assumed)}
    if stmt.id == "sinha-nn-smoothness":
        if args.solve_for:
            raise InvalidArgument("solve_for", args.solve_for, "is not supported for "
                                  "sinha-nn-smoothness")
        res = _nn_smoothness(stmt, params, args)
        out.update(res)
        out["value"] = res["values"]["lzz_bound"]
    elif not params and not args.solve_for:  # show the statement and its parameters only
        out.update({"values": {}, "params": {}, "defaults_used": [], "notes": list(stmt.notes),
                    "parameters": stmt.describe()["params"]})
    elif args.solve_for:
        if args.target is None:
            raise InvalidArgument("target", None, "is required with --solve-for "
                                  "(the value the expression must take)")
        target = float(parse_number("target", args.target))
        _check_names(stmt, list(params) + [args.solve_for])
        vals = {k: parse_number(k, v) for k, v in params.items()}
        inv = solve_for(stmt, args.solve_for, target=target, values=vals, name=args.expr)
        out.update({"solve_for": inv.unknown, "expression": inv.expression, "target": target,
                    "value": inv.value, "values": {inv.unknown: inv.value},
                    "method": inv.method, "solutions": list(inv.solutions),
                    "params": {k: str(v) for k, v in vals.items()},
                    "notes": list(inv.notes), "defaults_used": []})
    else:
        _check_names(stmt, params)
        vals = {k: parse_number(k, v) for k, v in params.items()}
        try:
            dps = int(args.dps)
        except ValueError:
            raise InvalidArgument("dps", args.dps, "must be an integer") from None
        ev = evaluate(stmt, vals, name=args.expr, mode=args.mode, dps=dps)
        out.update({"values": ev.values, "params": {k: str(v) for k, v in ev.params.items()},
                    "defaults_used": list(ev.defaults_used), "symbolic": ev.symbolic,
                    "notes": list(ev.notes) + list(stmt.notes), "mode": ev.mode})
        if stmt.primary in ev.values:
            out["value"] = ev.values[stmt.primary]
        elif len(ev.values) == 1:
            out["value"] = next(iter(ev.values.values()))
        out["default_notes"] = {p.name: p.default_note for p in stmt.params
                                if p.name in ev.defaults_used and p.default_note}
    if args.json:
        import sympy as sp

        def conv(v):
            if isinstance(v, sp.Basic) and not v.is_number:
                return str(v)
            return v
        out["values"] = {k: conv(v) for k, v in out.get("values", {}).items()}
        if "value" in out:
            out["value"] = conv(out["value"])
        print(json.dumps(to_jsonable(out)))
        return 0
    _render(stmt, out, latex=args.latex)
    return 0


def _render(stmt, out: dict, *, latex: bool) -> None:
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
        else:
            pretty = sp.pretty(e, use_unicode=True, wrap_line=False)
            lines = pretty.splitlines()
            con.print(f"  {key} =" if key in stmt.expressions else f"  {key}:", markup=False)
            for line in lines:
                con.print("      " + line, markup=False)
    if out.get("method"):
        con.print(f"\n[bold]Solved[/bold] {out['expression']} = {_fmt(out['target'])} for "
                  f"{out['solve_for']}: {out['solve_for']} = {_fmt(out['value'])}  "
                  f"(method: {out['method']})")
    elif out.get("values"):
        con.print("\n[bold]Values[/bold]" + (f" (mode {out['mode']})" if out.get("mode") else ""))
        for k, v in out["values"].items():
            con.print(f"  {k} = {_fmt(v)}", markup=False)
        if out.get("per_layer"):
            con.print(f"  alphas (l=0..L) = {[round(a, 6) for a in out['per_layer']['alphas']]}")
            con.print(f"  betas  (l=0..L) = {[round(b, 6) for b in out['per_layer']['betas']]}")
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
