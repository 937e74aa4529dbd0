"""Issue 24: the seven ways false claims passed the audit, one regression test (or a few) each.

Each test builds a small outline whose claim is false (or whose evidence does not establish
it), audits it, and asserts that it does not pass; where a fix could over-reach, a negative
control shows the same machinery still passing the true neighbour of the false claim.
Reference truths are worked by hand in the comments (never computed by the code under test).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from checker.audit import audit
from checker.audit.auditor import _allowed
from checker.errors import OutlineError
from tests.audit._stubs import stub_experiments  # noqa: F401 - fixture
from tests.audit.helpers import node, write

from checker.audit import words  # noqa: E402

#: statuses under which a node counts as established (with the kernel off, "solver-checked")
PASS = tuple(s for s in words.PASS_STATUSES if s != "defined")


def _status(result, nid="n"):
    return result.nodes[nid].status


def _one(statement: str, *checks: str, nid: str = "n", kind: str = "lemma", extra: str = "") -> str:
    body = f"{extra}[node.statement]\n{statement}\n" + "".join(f"[[node.checks]]\n{c}\n" for c in checks)
    return node(nid, kind=kind, body=body)


# ---------------------------------------------------------------------------------------------
# 1. capture-avoiding uses

CAPTURE = (
    # u: Sum over k of the constant n, three terms: 3 n (true for every n)
    _one('symbols = { n = "positive", k = "positive_integer" }\nclaim = "Sum(n, k, 1, 3) == 3*n"',
         'kind = "symbolic"', nid="u")
    # d: k == 2 is false for k = 1; a substitution n := k captured by u's index k turns u into
    # Sum(k, (k, 1, 3)) = 6 = 3 k, i.e. k = 2, which "derives" the false claim
    + _one('symbols = { k = "positive_integer" }\nclaim = "k == 2"', nid="d",
           extra='[[node.uses]]\nnode = "u"\nsubs = { n = "k" }\n'))


def test_uses_substitution_cannot_be_captured_by_a_bound_index(tmp_path):
    r = audit([write(tmp_path, CAPTURE)], run_experiments=False, kernel=False)
    assert _status(r, "u") in PASS       # the used claim itself is fine
    assert _status(r, "d") not in PASS, r.nodes["d"].checks
    assert not r.passed


def test_premise_keeps_the_bound_index_apart():
    import sympy as sp

    from checker.audit.auditor import premise_of
    from checker.audit.outline import parse_outline_text
    from tests.audit.helpers import HEADER

    o = parse_outline_text(HEADER + CAPTURE)
    nodes = {n.id: n for n in o.nodes}
    prem = premise_of(nodes["d"], nodes["u"], {"n": "k"})
    k = nodes["d"].statement.symbols["k"]
    # the instance is Sum(k, (_bound0_k, 1, 3)) == 3 k: 3 k == 3 k once evaluated, for every k
    assert sp.simplify(prem.doit()) in (sp.true, True)
    assert not any(s.name == "k" for sub in sp.preorder_traversal(prem) if isinstance(sub, sp.Sum)
                   for s in [sub.limits[0][0]]), prem
    assert k in prem.free_symbols


# ---------------------------------------------------------------------------------------------
# 2. side conditions from the source

REAL = 'symbols = { x = "real" }'
UNDEFINED = ["x/x == 1", "sqrt(x)**2 == x", "exp(log(x)) == x", "0*log(x) == 0", "x**-1*x == 1"]
ENGINES = ['kind = "symbolic"', 'kind = "smt"', 'kind = "property"\nbox = { x = ["-3", "3"] }',
           'kind = "evaluate"\nat = { x = "2" }']


@pytest.mark.parametrize("engine", ENGINES, ids=["symbolic", "smt", "property", "evaluate"])
@pytest.mark.parametrize("claim", UNDEFINED)
def test_claim_undefined_somewhere_never_passes(tmp_path, claim, engine):
    # each claim is undefined at x = 0 (or for x <= 0), where nothing excludes it
    r = audit([write(tmp_path, _one(f'{REAL}\nclaim = "{claim}"', engine))], run_experiments=False,
              kernel=False)
    assert _status(r) not in PASS, r.nodes["n"].checks
    assert not r.passed


@pytest.mark.parametrize("statement", [
    'symbols = { x = "positive" }\nclaim = "x/x == 1"',                    # the domain excludes 0
    'symbols = { x = "real" }\nhypotheses = ["x > 0"]\nclaim = "exp(log(x)) == x"',
    'symbols = { x = "nonnegative" }\nclaim = "sqrt(x)**2 == x"',
])
def test_negative_control_defined_claims_still_pass(tmp_path, statement):
    r = audit([write(tmp_path, _one(statement, 'kind = "symbolic"'))], run_experiments=False, kernel=False)
    assert _status(r) in PASS, r.nodes["n"].checks


EMPTY = 'symbols = { i = "integer" }'


@pytest.mark.parametrize("engine", ['kind = "symbolic"', 'kind = "smt"', 'kind = "evaluate"'])
def test_empty_sum_has_one_value_in_every_engine(tmp_path, engine):
    # the empty range 5..1: 0 by the convention of every engine, never Karr's -3
    zero = audit([write(tmp_path, _one(f'{EMPTY}\nclaim = "Sum(1, i, 5, 1) == 0"', engine))],
                 run_experiments=False, kernel=False)
    assert _status(zero) in PASS, zero.nodes["n"].checks
    for other in ("-3", "4"):
        r = audit([write(tmp_path, _one(f'{EMPTY}\nclaim = "Sum(1, i, 5, 1) == {other}"', engine))],
                  run_experiments=False, kernel=False)
        assert _status(r) not in PASS, (other, r.nodes["n"].checks)


def test_symbolic_range_that_may_be_reversed_is_refused(tmp_path):
    # Sum_{i=5}^{n} 1 = n - 4 only for n >= 4; at n = 1 the range is 5..1 (empty: 0, not -3)
    st = 'symbols = { i = "positive_integer", n = "positive_integer" }\nclaim = "Sum(1, i, 5, n) == n - 4"'
    for engine in ('kind = "symbolic"', 'kind = "smt"'):
        r = audit([write(tmp_path, _one(st, engine))], run_experiments=False, kernel=False)
        assert _status(r) not in PASS, r.nodes["n"].checks
    ok = st.replace('claim = ', 'hypotheses = ["n >= 4"]\nclaim = ')
    r = audit([write(tmp_path, _one(ok, 'kind = "smt"'))], run_experiments=False, kernel=False)
    assert _status(r) in PASS, r.nodes["n"].checks


@pytest.mark.parametrize("claim,message", [
    ("Sum(i, i, 1, x) >= 0", "limits must be integer"),
    ("Sum(x, x, 1, 3) >= 0", "must be declared integer"),
    ("i + Sum(i, i, 1, 3) >= 0", "also used"),
])
def test_sum_limits_and_index_are_checked_at_load(tmp_path, claim, message):
    p = write(tmp_path, _one(f'symbols = {{ i = "positive_integer", x = "real" }}\nclaim = "{claim}"',
                             'kind = "symbolic"'))
    with pytest.raises(OutlineError) as info:
        audit([p], run_experiments=False, kernel=False)
    assert message in str(info.value) and "node 'n'" in str(info.value)


# ---------------------------------------------------------------------------------------------
# 3. checks that bind are not proofs

LIB = ('symbols = { p = "positive_integer", Delta = "positive", L = "positive", L_phi = "positive", '
       'R = "positive", eps = "positive", m = "positive" }\n'
       # false: the exponent is positive for small m (m -> 0 gives p log(...) + log 2 > 0 > -1)
       'claim = "p*log(1 + 16*R*L*L_phi/eps) + log(2) - m*eps**2/(8*Delta**2) < -1"')
LIB_CHECK = ('kind = "library"\nstatement = "arora-mstar"\nexpr = "log_failure_probability"\n'
             'equals = "p*log(1 + 16*R*L*L_phi/eps) + log(2) - m*eps**2/(8*Delta**2)"')


def test_library_binding_alone_does_not_prove_the_comparison(tmp_path):
    r = audit([write(tmp_path, _one(LIB, LIB_CHECK))], run_experiments=False, kernel=False)
    lib = r.nodes["n"].checks[0]
    assert lib.verdict == "proved"               # the expression *is* the library's
    assert _status(r) not in PASS                # but nothing checked the comparison
    assert r.nodes["n"].own == "unchecked"


def _experiment_outline(claim: str, nid: str = "birthday.inversion") -> str:
    return _one('symbols = { M = "positive", g = "positive" }\nhypotheses = ["g < 1", "M > 1"]\n'
                'define = { Nhat = "M*(M - 1)/(2*log(1/(1 - g)))" }\n' f'claim = "{claim}"',
                'kind = "experiment"\nname = "birthday.recovers_uniform_support"', nid=nid)


def test_experiment_is_bound_to_the_claim_not_the_node_id(tmp_path, stub_experiments):  # noqa: F811
    from checker.audit.checks import run_check
    from checker.audit.outline import parse_outline_text
    from tests.audit.helpers import HEADER

    def verdict(text):
        n = parse_outline_text(HEADER + text).nodes[0]
        return run_check(n, n.checks[0]).verdict

    shipped = "exp(-M*(M - 1)/(2*Nhat)) == 1 - g"
    assert verdict(_experiment_outline(shipped)) == "tested"
    assert verdict(_experiment_outline(shipped, nid="renamed.node")) == "tested"   # follows the claim
    assert verdict(_experiment_outline("exp(-M*(M - 1)/(2*Nhat)) == 1 - g/2")) == "error"  # edited: unbound


def test_allow_list_patterns_cannot_match_node_ids_by_accident(tmp_path):
    # undischarged hypotheses live in a reserved namespace: an assumption node whose id ends in
    # ".hypotheses" yields assumed:..., which a hypotheses: pattern never matches
    assert _allowed("hypotheses:birthday.exp_bound", ["hypotheses:birthday.*"])
    assert not _allowed("assumed:birthday.evil.hypotheses", ["hypotheses:birthday.*"])
    # '*' stays within one dotted segment of a node id
    assert _allowed("assumed:arora.hyp.nu", ["assumed:arora.hyp.*"])
    assert not _allowed("assumed:arora.hyp.nu.extra", ["assumed:arora.hyp.*"])
    # the old spelling is refused with the new one named
    allow = tmp_path / "allowlist.toml"
    allow.write_text('[theorem."t"]\nallow = ["assumed:birthday.*.hypotheses"]\n')
    from checker.audit.auditor import load_allowlist

    with pytest.raises(OutlineError) as info:
        load_allowlist(allow)
    assert "hypotheses:birthday.*" in str(info.value)


# ---------------------------------------------------------------------------------------------
# 4. the cache: a cached pass is re-checked unless trusted explicitly

def test_forged_cache_entry_cannot_turn_a_failing_node_into_a_pass(tmp_path, monkeypatch):
    from checker.audit import auditor

    monkeypatch.setenv("CHECKER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CHECKER_AUDIT_TRUST_CACHE", raising=False)
    p = write(tmp_path, _one('symbols = { x = "real" }\nclaim = "x**2 >= 1"', 'kind = "smt"'))  # false at 0
    r = audit([p], run_experiments=False, kernel=False)
    assert _status(r) == "refuted"
    # a forger rewrites the entry as a pass and recomputes its (unkeyed) hash
    def forge():
        entries = list((tmp_path / "cache").glob("*.json"))
        assert entries
        for e in entries:
            d = json.loads(e.read_text())
            d["result"]["verdict"] = "proved"
            d["hash"] = auditor._entry_hash(d["key"], d["result"])
            e.write_text(json.dumps(d))

    forge()
    r = audit([p], run_experiments=False, kernel=False)
    assert _status(r) == "refuted" and r.cache_rechecked >= 1
    # negative control: trusting the cache explicitly does read the forged pass, and says so
    forge()
    r = audit([p], run_experiments=False, kernel=False, trust_cache=True)
    assert r.cache_trusted >= 1 and r.nodes["n"].checks[0].cached


# ---------------------------------------------------------------------------------------------
# 5. limits before work

@pytest.mark.parametrize("body", [
    _one('symbols = { x = "positive" }\nclaim = "x <= exp(exp(exp(exp(100))))"', 'kind = "smt"'),
    _one('symbols = { x = "positive" }\nclaim = "x + 1 > x"', 'kind = "interval"\nbox = { x = ["0", "1e100000000"] }'),
    _one('symbols = { x = "positive" }\nclaim = "x + 1 > x"', 'kind = "evaluate"\nat = { x = "1e100000000" }'),
    _one('symbols = { x = "positive" }\nclaim = "x + 1 > x**(10**30 + 1/2)"', 'kind = "smt"'),
])
def test_huge_literals_are_refused_at_load_in_one_line(tmp_path, body):
    p = write(tmp_path, body)
    env = {**os.environ, "CHECKER_CACHE_DIR": str(tmp_path / "c")}
    proc = subprocess.run([sys.executable, "-m", "checker", "audit", str(p), "--no-cache", "--no-kernel"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert str(p) in err and "node 'n'" in err


# ---------------------------------------------------------------------------------------------
# 6. theorems that say nothing

def test_trivial_theorem_is_flagged_never_a_pass(tmp_path):
    p = write(tmp_path, _one('symbols = { x = "real" }\nclaim = "x == x"', 'kind = "symbolic"', kind="theorem"))
    r = audit([p], run_experiments=False, kernel=False)
    t = r.theorems["n"]
    assert t.status == "trivial" and not t.passed and "trivial" in t.disallowed
    assert not r.passed and r.verdict() == "FAILED (1 of 1 theorems trivial)"
    allow = tmp_path / "allow.toml"
    allow.write_text('[theorem."n"]\nallow = ["trivial"]\n')
    r = audit([p], run_experiments=False, kernel=False, allowlist=allow)
    assert r.passed and r.verdict() == "PASSED (1 of 1 theorems trivial)"


def test_stated_theorem_needs_stated_in_the_allow_list(tmp_path):
    p = write(tmp_path, node("n", kind="theorem", expressible="false"))
    r = audit([p], run_experiments=False, kernel=False)
    assert r.theorems["n"].status == "stated" and not r.passed
    assert r.verdict() == "FAILED (1 of 1 theorems stated only)"
    allow = tmp_path / "allow.toml"
    allow.write_text('[theorem."n"]\nallow = ["stated"]\n')
    r = audit([p], run_experiments=False, kernel=False, allowlist=allow)
    assert r.passed and r.verdict() == "PASSED (1 of 1 theorems stated only)"


def test_theorem_with_hypotheses_is_not_trivial(tmp_path):
    # negative control: a theorem proved from its hypotheses is a pass, not "trivial"
    p = write(tmp_path, _one('symbols = { x = "real" }\nhypotheses = ["x > 1"]\nclaim = "x**2 > x"',
                             'kind = "smt"', kind="theorem"))
    r = audit([p], run_experiments=False, kernel=False)
    assert r.theorems["n"].status in PASS and r.passed and r.verdict() == "PASSED"


# ---------------------------------------------------------------------------------------------
# 7. the shipped outlines

SHIPPED = Path(__file__).resolve().parents[2] / "proofs"


def _mutated_proofs(tmp_path, file: str, old: str, new: str) -> Path:
    d = tmp_path / "proofs"
    d.mkdir()
    for f in SHIPPED.glob("*.toml"):
        text = f.read_text()
        if f.name == file:
            assert text.count(old) == 1, old
            text = text.replace(old, new)
        (d / f.name).write_text(text)
    return d


def test_birthday_inversion_declares_m_above_one(tmp_path):
    # at M = 1, Nhat = 0/log(...) = 0 and the claim divides by it: dropping M > 1 must fail
    d = _mutated_proofs(tmp_path, "birthday.toml", 'hypotheses = ["g < 1", "M > 1"]', 'hypotheses = ["g < 1"]')
    r = audit([d], run_experiments=False, kernel=False)
    assert r.nodes["birthday.inversion"].status == "refuted", r.nodes["birthday.inversion"].checks


def test_birthday_exp_bound_catches_the_constant_1_999(tmp_path):
    # Product_{i<M}(1 - i/N) <= exp(-M(M-1)/(1.999 N)) is false at M = 2, N = 10^4:
    # 1 - 1e-4 = 0.9999 > exp(-2/19990) = 0.99989995...
    d = _mutated_proofs(tmp_path, "birthday.toml", 'claim = "Product(1 - i/N, i, 1, M - 1) <= exp(-M*(M - 1)/(2*N))"',
                        'claim = "Product(1 - i/N, i, 1, M - 1) <= exp(-M*(M - 1)/(1.999*N))"')
    r = audit([d], run_experiments=False, kernel=False)
    assert r.nodes["birthday.exp_bound"].status == "refuted"
    tags = [c.trust for c in r.nodes["birthday.exp_bound"].checks if c.verdict == "tested"]
    assert tags and all(t.startswith("tested[box-only") for t in tags)


def test_sinha_thm4_states_the_papers_8k2_and_derives_it_from_2k2():
    from checker.audit.outline import load_outlines

    nodes = {n.id: n for o in load_outlines([SHIPPED / "sinha.toml"]) for n in o.nodes}
    assert nodes["sinha.thm4"].statement.source["claim"] == "logP <= log(2) + logN - n*t**2/(8*K**2)"
    assert nodes["sinha.thm4.tight"].statement.source["claim"] == "logP <= log(2) + logN - n*t**2/(2*K**2)"
    assert [u for u, _ in nodes["sinha.thm4"].uses] == ["sinha.thm4.tight"]
