"""``checker bound``: listing, evaluation, JSON, LaTeX, inversion, per-layer lists, errors."""

from __future__ import annotations

import json

import pytest

from checker.cli import main

ARORA = ["arora-thm1", "--p", "1000", "--Delta", "1", "--L", "1", "--L-phi", "1", "--eps", "0.1"]


def run_json(capsys, argv):
    rc = main(["bound", *argv, "--json"])
    out = capsys.readouterr().out
    return rc, json.loads(out)


def test_list(capsys):
    rc, obj = run_json(capsys, ["--list"])
    assert rc == 0
    ids = {r["id"] for r in obj["statements"]}
    assert "arora-thm1" in ids and "sinha-nn-smoothness" in ids
    assert main(["bound", "--list"]) == 0
    assert "birthday-ta" in capsys.readouterr().out


def test_arora_thm1_json(capsys):
    rc, obj = run_json(capsys, ARORA)
    assert rc == 0
    assert obj["id"] == "arora-thm1"
    assert round(obj["value"]) == 8_483_037  # docs/math/arora-thm1.md, worked example
    assert obj["values"]["m_star"] == 4_065_680
    assert "C" in obj["defaults_used"] and obj["latex"]


def test_human_output_and_latex(capsys):
    assert main(["bound", *ARORA]) == 0
    out = capsys.readouterr().out
    assert "4,065,680" in out and "Assumed" in out and "default used: C=1" in out
    assert main(["bound", *ARORA, "--latex"]) == 0
    assert r"\log" in capsys.readouterr().out


def test_solve_for(capsys):
    rc, obj = run_json(capsys, ["arora-mstar", "--p", "1000", "--Delta", "1", "--L", "1",
                                "--L-phi", "1", "--solve-for", "eps", "--target", "4065680"])
    assert rc == 0 and obj["method"] == "brentq"
    assert obj["value"] == pytest.approx(0.1, rel=1e-6)  # the exact root is 0.0999999889 (< 0.1: m* has a +1)
    rc, obj = run_json(capsys, ["sinha-concavity", "--L-zz", "1.5", "--solve-for", "gamma",
                                "--target", "0"])
    assert obj["value"] == pytest.approx(0.75) and obj["method"] == "symbolic"


def test_nn_smoothness_lists(capsys):
    rc, obj = run_json(capsys, ["sinha-nn-smoothness", "--op-norms", "1.5,0.8,1.2",
                                "--activation", "elu"])
    assert rc == 0
    assert obj["value"] == pytest.approx(2**0.5 * 1.44 * 4.14 + 1.44**2)  # hand derivation
    assert obj["per_layer"]["alphas"][0] == 1.0


def test_hidden_constants_stay_symbolic(capsys):
    rc, obj = run_json(capsys, ["sinha-cor1", "--d", "28", "--L", "1", "--diam", "2", "--M0", "1",
                                "--n", "1000", "--t", "3"])
    assert rc == 0 and obj["symbolic"] is True
    assert "b1" in obj["value"] and "b2" in obj["value"]


@pytest.mark.parametrize("argv,needle", [
    (["arora-thm"], "did you mean 'arora-thm1'"),
    (["arora-thm1", "--p", "10", "--Delta", "1", "--L", "1", "--L-ph", "1", "--eps", "0.1"],
     "did you mean '--L-phi'"),
    (["arora-thm1", "--p", "10", "--Delta", "1", "--L", "1", "--eps", "0.1"], "L_phi"),
    (["arora-thm1", "--p", "10", "--Delta", "1", "--L", "1", "--L-phi", "1", "--eps", "0"],
     "eps=0 must be > 0"),
    (["arora-thm1", "--p", "ten"], "p='ten' must be a number"),
    (["sinha-nn-smoothness", "--op-norms", "1,2", "--activation", "relu"], "relu"),
    (["sinha-nn-smoothness", "--op-norm", "1,2"], "did you mean '--op-norms'"),
    (["arora-mstar", "--p", "10", "--solve-for", "eps"], "target"),
    (["arora-thm1", "--p"], "needs a value"),
    ([], "is required"),
])
def test_usage_errors_exit_2(capsys, argv, needle):
    assert main(["bound", *argv]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_flags_in_text_and_json(capsys):
    argv = ["arora-mstar", "--p", "10", "--Delta", "1", "--L", "1", "--L-phi", "1", "--eps",
            "0.1", "--m", "2"]
    rc, obj = run_json(capsys, argv)
    assert rc == 0 and obj["vacuous"] is True and obj["flags"][0]["kind"] == "vacuous"
    assert main(["bound", *argv]) == 0
    assert "VACUOUS" in capsys.readouterr().out


def test_dps_validated_and_honoured(capsys):
    base = ["birthday-inversion", "--M", "10", "--rate", "1/3", "--mode", "mpmath"]
    for bad in ("0", "3", "-1", "abc"):
        assert main(["bound", *base, "--dps", bad]) == 2
        assert "dps=" in capsys.readouterr().err
    rc, obj = run_json(capsys, [*base, "--dps", "40"])
    # 45/ln(3/2) = 110.98... (40 significant digits in the JSON string)
    digits = obj["value"].replace(".", "").lstrip("0")
    assert rc == 0 and len(digits) == 40 and obj["value"].startswith("110.98")
    assert main(["bound", *base, "--dps", "25"]) == 0
    out = capsys.readouterr().out.split("Values")[1]
    line = next(x for x in out.splitlines() if x.strip().startswith("N ="))
    assert len(line.split("=")[1].strip().replace(".", "")) == 25


def test_solve_for_reports_every_branch(capsys):
    rc, obj = run_json(capsys, ["arora-thm1", "--p", "1", "--Delta", "1", "--L-phi", "1",
                                "--eps", "1", "--solve-for", "L", "--target", "100"])
    assert rc == 0 and len(obj["roots"]) == 2
    assert obj["value"] == pytest.approx(2.718281828459045**10, rel=1e-12)  # e^10 (hand)
    assert any(r["flags"] for r in obj["roots"])  # the e^-10 branch is labelled outside


def test_huge_exact_values_print_within_limits(capsys):
    argv = ["arora-mstar", "--p", "10", "--Delta", "1e200", "--L", "1", "--L-phi", "1",
            "--eps", "1e-200"]
    assert main(["bound", *argv]) == 0
    out = capsys.readouterr().out
    assert "m_star =" in out and "inf" not in out.split("m_star =")[1].split("\n")[0]


def test_bound_imports_no_torch_and_one_statement_module():
    import subprocess
    import sys

    code = ("import sys, io, contextlib\n"
            "from checker.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    rc = main(['bound', 'sinha-concavity', '--gamma', '1', '--L-zz', '1'])\n"
            "mods = sorted(m for m in sys.modules if m.startswith('checker.bounds.'))\n"
            "stmts = [m for m in mods if m.split('.')[-1].startswith(('arora', 'sinha', 'birthday'))]\n"
            "print(rc, 'torch' in sys.modules, 'sympy.physics.units' in sys.modules, stmts)\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.stdout.split() == ["0", "False", "False", "['checker.bounds.sinha_concavity']"], \
        res.stdout + res.stderr
