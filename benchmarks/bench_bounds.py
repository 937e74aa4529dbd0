"""Benchmark of the bound library's evaluation bridge.

Figure: vectorised evaluation (``sympy.lambdify`` to numpy, one call over all points) against the
naive per-point route (``expr.subs(values).evalf()``), on the same statement and the same random
parameter points, in the same run on the same device (CPU; the bound library never uses a GPU).

The naive route is timed on a small number of points (200; 50 in quick mode) and extrapolated
linearly to the vectorised path's number of points (10^6): the per-point cost of ``subs`` does
not depend on the number of points, and timing it on 10^6 points would take minutes. The rows
say so.
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


def run(*, quick: bool) -> list[Row]:
    n_naive = 50 if quick else 200
    repeat = 3 if quick else 5
    return [
        _case("arora-thm1", "m_paper", 10**6, n_naive, repeat),
        _case("arora-mstar", "m_star", 10**6, n_naive, repeat),
        _scalar_loop_case(10**6, 20_000 if quick else 100_000, repeat),
    ]
