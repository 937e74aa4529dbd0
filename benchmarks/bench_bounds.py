"""Benchmark of the bound library's evaluation bridge.

Figure: vectorised evaluation (``sympy.lambdify`` to numpy, one call over all points) against the
naive per-point route (``expr.subs(values).evalf()``), on the same statement and the same random
parameter points, in the same run on the same device (CPU; the bound library never uses a GPU).

The naive route is timed on a small number of points (200; 50 in quick mode) and extrapolated
linearly to the vectorised path's number of points (10^6): the per-point cost of ``subs`` does
not depend on the number of points, and timing it on 10^6 points would take minutes. The rows
say so.

Issue 13.7 rows (before -> after, same run):

* birthday collision probability at 10^4 sample sizes: the previous per-point route (a Python
  sum of ``log(1 - i/N)`` per point, what ``np.vectorize`` over the lambdified product did)
  against the cumulative log1p table, with the vectorised log-gamma closed form
  (``scipy.special.gammaln``, fast but it cancels for large N) as the arithmetic peer;
* Corollary 4 smoothness constants: the previous route (the closed form (21) instantiated by
  sympy and lambdified per depth, exponential in the depth: timed at 12 layers) against the
  recursion at 12 and 200 layers;
* ``checker bound`` start-up: eager loading of every statement module against the lazy path
  (subprocess wall time, both in this run).
"""

from __future__ import annotations

import os
import platform
import time

import numpy as np

from benchmarks._harness import Row, time_call

__all__ = ["run"]

AREA = "bounds"


def _device() -> str:
    return f"cpu ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)"


def _points(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"p": rng.integers(1, 10**6, n).astype(float), "Delta": rng.uniform(1, 10, n),
            "L": rng.uniform(0.1, 10, n), "L_phi": rng.uniform(0.1, 10, n),
            "eps": rng.uniform(0.01, 1, n)}


def _case(stmt_id: str, name: str, n_vec: int, n_naive: int, repeat: int) -> Row:
    from checker.bounds import evaluate, get

    rng = np.random.default_rng(0)
    pts = _points(n_vec, rng)
    stmt = get(stmt_id)
    used = {s.name for s in stmt.expressions[name].free_symbols}
    pts = {k: v for k, v in pts.items() if k in used}
    evaluate(stmt, pts, name=name)  # compile once (cached), as in real use
    cand = time_call(lambda: evaluate(stmt, pts, name=name), repeat=repeat, warmup=1)
    expr = stmt.expressions[name]
    syms = stmt.symbols
    defaults = {syms[p.name]: p.default for p in stmt.params
                if p.default is not None and p.name in used}

    def naive():
        out = []
        for t in range(n_naive):
            sub = {syms[k]: float(v[t]) for k, v in pts.items()}
            sub.update(defaults)
            out.append(float(expr.subs(sub).evalf()))
        return out

    t0 = time.perf_counter()
    naive_vals = naive()
    naive_s = time.perf_counter() - t0
    vec_vals = evaluate(stmt, {k: v[:n_naive] for k, v in pts.items()}, name=name).value
    assert np.allclose(vec_vals, naive_vals, rtol=1e-9), "vectorised and subs disagree"
    base = naive_s / n_naive * n_vec
    return Row(area=AREA, name=f"evaluate {stmt_id}:{name} at {n_vec:,} points",
               baseline=f"sympy subs+evalf per point (timed on {n_naive} points, extrapolated "
                        f"linearly to {n_vec:,})",
               candidate=f"lambdify/numpy vectorised, one call on {n_vec:,} points",
               baseline_s=base, candidate_s=cand, ratio=base / cand, device=_device(),
               extra={"naive_points": n_naive, "naive_measured_s": naive_s,
                      "vector_points": n_vec})


def _scalar_loop_case(n_vec: int, n_loop: int, repeat: int) -> Row:
    """Vectorised call against a Python loop over the same compiled (lambdified) function, to
    separate the gain of vectorisation from the gain of compilation."""
    from checker.bounds import evaluate
    from checker.bounds.evaluate import numeric_function

    rng = np.random.default_rng(1)
    pts = _points(n_vec, rng)
    fn, names = numeric_function("arora-thm1", "m_paper")
    pts["C"] = np.ones(n_vec)
    cols = [pts[k] for k in names]
    cand = time_call(lambda: evaluate("arora-thm1", {k: pts[k] for k in names}, name="m_paper"),
                     repeat=repeat, warmup=1)

    def loop():
        return [fn(*[float(c[t]) for c in cols]) for t in range(n_loop)]

    loop_s = time_call(loop, repeat=1, warmup=0)
    base = loop_s / n_loop * n_vec
    return Row(area=AREA, name=f"evaluate arora-thm1:m_paper at {n_vec:,} points (vs scalar loop)",
               baseline=f"Python loop calling the lambdified function per point (timed on "
                        f"{n_loop:,} points, extrapolated linearly to {n_vec:,})",
               candidate=f"lambdify/numpy vectorised, one call on {n_vec:,} points",
               baseline_s=base, candidate_s=cand, ratio=base / cand, device=_device(),
               extra={"loop_points": n_loop, "loop_measured_s": loop_s})


def _birthday_case(n_points: int, repeat: int) -> Row:
    import math

    from checker.bounds import evaluate

    N = 10**6
    Ms = np.arange(1, n_points + 1)
    evaluate("birthday-collision", N=N, M=Ms, name="collision")
    cand = time_call(lambda: evaluate("birthday-collision", N=N, M=Ms, name="collision"),
                     repeat=repeat, warmup=1)

    def per_point(ms):
        return [-math.expm1(math.fsum(math.log1p(-i / N) for i in range(1, int(m)))) for m in ms]

    n_old = min(n_points, 2000)
    old_s = time_call(lambda: per_point(Ms[:n_old]), repeat=1, warmup=0)
    # the per-point cost grows linearly in M, so the total is quadratic: extrapolate by sum(M)
    base = old_s * float(Ms.sum()) / float(Ms[:n_old].sum())

    from scipy.special import gammaln

    from checker.bounds.birthday import _vec_coll

    table_only = time_call(lambda: _vec_coll(np.array(float(N)), Ms.astype(float)),
                           repeat=repeat, warmup=1)

    peer = time_call(lambda: -np.expm1(gammaln(N) - gammaln(N - Ms + 1) - (Ms - 1) * np.log(N)),
                     repeat=repeat, warmup=1)
    return Row(area=AREA, name=f"birthday collision probability at {n_points:,} sample sizes "
                               f"(N = 10^6)",
               baseline=f"per-point sum of log1p(-i/N) (the previous route; timed on the first "
                        f"{n_old:,} points, extrapolated by the total number of terms)",
               candidate="cumulative log1p table, one pass (plus 16 mpmath cross-checks)",
               baseline_s=base, candidate_s=cand, ratio=base / cand, device=_device(),
               extra={"peer_gammaln_closed_form_s": peer,
                      "cumulative_table_only_s": table_only,
                      "peer_note": "vectorised log-gamma closed form: the arithmetic floor, but "
                                   "it cancels (loses all digits) for large N",
                      "old_measured_points": n_old, "old_measured_s": old_s})


def _smoothness_case(repeat: int) -> Row:
    import sympy as sp

    from checker.bounds.sinha_nn_smoothness import (ALPHA_L, BETA_L, LZZ, L0, L1, Lyr, op,
                                                    smoothness_constants)

    depth_old = 12

    def old_route(n):  # the previous implementation: closed form per depth, lambdified
        ops = sp.symbols(f"op1:{n + 1}", positive=True)
        l0s = sp.symbols(f"a1:{n + 1}", positive=True)
        l1s = sp.symbols(f"b1:{n + 1}", nonnegative=True)
        rep = {}
        for t in range(1, n + 1):
            rep[op[t]], rep[L0[t]], rep[L1[t]] = ops[t - 1], l0s[t - 1], l1s[t - 1]
        args = [*ops, *l0s, *l1s]
        fns = [(sp.lambdify(args, ALPHA_L.subs(Lyr, k).doit().xreplace(rep), "math"),
                sp.lambdify(args, BETA_L.subs(Lyr, k).doit().xreplace(rep), "math"))
               for k in range(1, n + 1)]
        lzz = sp.lambdify(args, LZZ.subs(Lyr, n).doit().xreplace(rep), "math")
        vals = [1.1] * n + [1.0] * n + [1.0] * n
        return [a(*vals) for a, _ in fns], lzz(*vals)

    old_s = time_call(lambda: old_route(depth_old), repeat=1, warmup=0)
    new_12 = time_call(lambda: smoothness_constants([1.1] * depth_old, [1.0] * depth_old,
                                                    [1.0] * depth_old), repeat=repeat, warmup=1)
    new_200 = time_call(lambda: smoothness_constants([1.1] * 200, [1.0] * 200, [1.0] * 200),
                        repeat=repeat, warmup=1)
    return Row(area=AREA, name=f"Corollary 4 smoothness constants, {depth_old} layers",
               baseline="closed form (21) instantiated by sympy and lambdified per depth (the "
                        "previous route; cost grows super-linearly with the depth)",
               candidate="recursion of v5 §B.9 in float64 (O(L))",
               baseline_s=old_s, candidate_s=new_12, ratio=old_s / new_12, device=_device(),
               extra={"recursion_200_layers_s": new_200,
                      "note": "the previous route did not finish 200 layers in minutes "
                              "(measured 2.2 s at 20 layers, 11 s at 40 layers on this machine "
                              "type before the change)"})


def _startup_case(repeat: int) -> Row:
    import subprocess
    import sys

    def run(code):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        return time.perf_counter() - t0

    lazy = ("from checker.cli import main; import io, contextlib\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    main(['bound', 'sinha-concavity', '--gamma', '1', '--L-zz', '1'])")
    eager = ("import checker.bounds as b; b.statements(); import sympy; "
             "sympy.pretty(sympy.Symbol('x')); import sympy.physics.units\n" + lazy)
    base = min(run(eager) for _ in range(repeat))
    cand = min(run(lazy) for _ in range(repeat))
    return Row(area=AREA, name="`checker bound sinha-concavity` process wall time",
               baseline="eager: every statement module, the 2-D pretty printer and "
                        "sympy.physics.units loaded first (the previous import path)",
               candidate="lazy: only the requested statement module (static id -> module table)",
               baseline_s=base, candidate_s=cand, ratio=base / cand, device=_device(),
               extra={"note": "best of the repeats; both include interpreter start-up, numpy and "
                              "sympy import, which dominate"})


def run(*, quick: bool) -> list[Row]:
    n_naive = 50 if quick else 200
    repeat = 3 if quick else 5
    return [
        _case("arora-thm1", "m_paper", 10**6, n_naive, repeat),
        _case("arora-mstar", "m_star", 10**6, n_naive, repeat),
        _scalar_loop_case(10**6, 20_000 if quick else 100_000, repeat),
        _birthday_case(10**4, repeat),
        _smoothness_case(repeat),
        _startup_case(3 if quick else 5),
    ]
