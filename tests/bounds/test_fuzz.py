"""Fuzz tests of ``checker bound`` and the bound API (issue 13.4 / 13.6, bounds surface).

Hypothesis draws a statement, values for its parameters from a pool of hostile and ordinary
strings (zero, negatives, 1/0, nan, inf, 1e-400, 1e400, huge integers, garbage), a mode, a
``--dps`` and optionally an inversion, and runs the CLI entry point in-process. Every run must end
as exit 0 (a result, with its flags and notes) or exit 2 with a one-line error naming a
parameter; never a traceback, never the defensive "internal error" message. Hangs are excluded by
the library's budgets (exact-size budget, precision cap, inversion time limit), so a hang would
show as a CI timeout, not as a timing assert here.

The API test draws in-domain float parameters over many orders of magnitude and checks that a
float64 answer never disagrees with the 50-digit mpmath answer beyond FLOAT_AGREE_REL unless a
note says the value was recomputed (or exceeds the float range).
"""

from __future__ import annotations

import json
import math

import mpmath
from hypothesis import HealthCheck, example, given, settings, strategies as st

from checker.bounds import evaluate, get, ids
from checker.bounds.tolerances import FLOAT_AGREE_REL
from checker.cli import main
from checker.errors import InvalidArgument
from tests.strategies.bounds import HOSTILE_PY as PY_HOSTILE
from tests.strategies.bounds import HOSTILE_TEXT as HOSTILE

SCALAR_IDS = [i for i in ids() if not get(i).sequence_params]


@st.composite
def cli_args(draw):
    sid = draw(st.sampled_from(ids()))
    stmt = get(sid)
    argv = [sid]
    if stmt.sequence_params:
        n = draw(st.integers(0, 4))
        norms = ",".join(draw(st.sampled_from(HOSTILE)) for _ in range(n))
        argv += ["--op-norms", norms]
        if draw(st.booleans()):
            argv += ["--activation", draw(st.sampled_from(["elu", "relu", "tanh", "x", ""]))]
        else:
            argv += ["--L0", norms, "--L1", norms]
    else:
        for p in stmt.params:
            if draw(st.integers(0, 4)):  # mostly given
                argv += [p.cli, draw(st.sampled_from(HOSTILE))]
        if draw(st.integers(0, 3)) == 0 and stmt.params:
            argv += ["--solve-for", draw(st.sampled_from([p.name for p in stmt.params] + ["zz"])),
                     "--target", draw(st.sampled_from(HOSTILE))]
    argv += ["--mode", draw(st.sampled_from(["numpy", "exact", "mpmath", "fast"]))]
    dps = draw(st.sampled_from([None, "15", "30", "0", "-3", "abc", "100000"]))
    if dps is not None:
        argv += ["--dps", dps]
    if draw(st.booleans()):
        argv.append("--json")
    return argv


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                               HealthCheck.function_scoped_fixture])
@given(argv=cli_args())
@example(argv=["arora-thm1", "--p", "1/0", "--Delta", "1", "--L", "1", "--L-phi", "1", "--eps", "1"])
@example(argv=["sinha-concavity", "--gamma", "1", "--L-zz", "1", "--mode", "mpmath", "--json"])
@example(argv=["sinha-concavity", "--gamma", "1", "--L-zz", "1", "--mode", "mpmath", "--dps", "0"])
@example(argv=["arora-mstar", "--p", "10", "--Delta", "1e200", "--L", "1", "--L-phi", "1", "--eps",
          "1e-200"])
@example(argv=["sinha-nn-smoothness", "--op-norms", "1e300,1e300", "--activation", "elu"])
@example(argv=["sinha-nn-smoothness", "--op-norms", "5e-324", "--L0", "5e-324", "--L1", "5e-324",
               "--mode", "numpy"])
@example(argv=["arora-mstar", "--p", "10000000", "--Delta", "1", "--L", "1", "--L-phi", "1", "--eps",
          "1e-30", "--m", "5", "--mode", "exact"])
@example(argv=["birthday-mass-lower-bound", "--N", "1000", "--rho", "0.5", "--M", "100000",
          "--mode", "exact"])
@example(argv=["arora-thm1", "--p", "1", "--Delta", "1", "--L-phi", "1", "--eps", "1",
          "--solve-for", "L", "--target", "100", "--json"])
def test_cli_never_tracebacks(argv, capsys):
    rc = main(["bound", *argv])
    cap = capsys.readouterr()
    assert rc in (0, 2), (argv, rc, cap.err)
    assert "Traceback" not in cap.err and "internal error" not in cap.err, (argv, cap.err)
    if rc == 2:
        lines = cap.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("checker bound: error:"), cap.err
    elif "--json" in argv:
        obj = json.loads(cap.out)
        assert "flags" in obj and "vacuous" in obj


@st.composite
def api_points(draw):
    sid = draw(st.sampled_from(SCALAR_IDS))
    stmt = get(sid)
    vals = {}
    for p in stmt.params:
        if p.hidden and p.default is None:
            vals[p.name] = draw(st.floats(0.5, 2))
            continue
        if p.is_integer:
            vals[p.name] = draw(st.integers(1, 10**draw(st.integers(1, 18))))
        elif p.domain in ("probability", "unit_interval"):
            vals[p.name] = draw(st.floats(1e-300, 1 - 1e-12) | st.sampled_from([1e-20, 0.5]))
        elif p.domain == "at_least_one":
            vals[p.name] = draw(st.floats(1, 1e200))
        elif p.domain == "real":
            vals[p.name] = draw(st.floats(-1e200, 1e200))
        else:
            vals[p.name] = draw(st.floats(1e-200, 1e200) | st.sampled_from([1.0, 1e-3, 1e3]))
    return sid, vals


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(api_points())
@example(("arora-mstar", dict(p=2**53, Delta=1.0, L=1.0, L_phi=1.0, eps=1.0, R=1.0,
                              fail_prob=1.0, m=204_158_897_713_891_744)))
@example(("birthday-collision", dict(N=330_000_000_000_000_000_000_000_000_000, M=2)))
@example(("birthday-inversion", dict(M=10, rate=1e-20)))
@example(("birthday-ta", dict(N=1, rho=1e-20, M=2)))  # found by Hypothesis: 1 - exp cancelled
def test_float_answers_agree_with_mpmath_or_say_so(point):
    sid, vals = point
    stmt = get(sid)
    try:
        ev = evaluate(sid, vals)
    except InvalidArgument:
        return  # a side condition (e.g. gamma > L_zz) or a budget: a clear one-line error
    try:
        hp = evaluate(sid, vals, mode="mpmath", dps=50)
    except InvalidArgument:
        return  # e.g. too many loop terms for plain mpmath: the numpy value carries its own check
    for name, v in ev.values.items():
        ref = hp.values[name]
        if not isinstance(v, (int, float)) or isinstance(ref, complex):
            continue
        if isinstance(ref, mpmath.mpc) or mpmath.isnan(ref):
            continue
        noted = any(n.startswith(name) or f" {name}" in n for n in ev.notes)
        fref = float(ref) if abs(ref) < mpmath.mpf("1.7e308") else math.inf * mpmath.sign(ref)
        if isinstance(v, int) and not isinstance(v, bool):
            if name in stmt.expressions and stmt.expressions[name].has(__import__("sympy").ceiling):
                continue  # integer-valued: compared exactly in test_numerics (m*)
        if math.isinf(fref) or math.isinf(v):
            assert v == fref or noted, (sid, name, v, ref)
            continue
        agree = v == fref or abs(v - fref) <= FLOAT_AGREE_REL * abs(fref) + 1e-300
        assert agree or noted, (sid, name, v, ref, ev.notes)




@st.composite
def api_hostile(draw):
    sid = draw(st.sampled_from(SCALAR_IDS))
    stmt = get(sid)
    vals = {}
    for p in stmt.params:
        if draw(st.integers(0, 3)):
            vals[p.name] = draw(st.sampled_from(PY_HOSTILE))
    mode = draw(st.sampled_from(["numpy", "exact", "mpmath"]))
    return sid, vals, mode


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(api_hostile())
@example(("birthday-mass-lower-bound", {"N": 10, "rho": 0.5, "M": 10**12}, "numpy"))
@example(("arora-mstar", {"p": 10**400, "Delta": 1, "L": 1, "L_phi": 1, "eps": 1}, "numpy"))
def test_api_never_raises_anything_but_invalid_argument(case):
    sid, vals, mode = case
    try:
        ev = evaluate(sid, vals, mode=mode)
    except InvalidArgument:
        return
    assert ev.id == sid
