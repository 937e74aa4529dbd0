"""The Coq kernel behind the audit (issue 23): Qed decides, Print Assumptions is compared with
checker's trust, the files re-check with plain coqc, and the audit without coqc says so.

Needs ``coqc`` (with Coq-Interval) on PATH; without it these tests are skipped with that reason
(test_no_coqc_on_path_says_so_once runs everywhere).
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from checker.audit import audit
from checker.audit.kernel import coqfile, plan
from checker.audit.kernel.runner import compile_file, parse_assumptions
from checker.audit.kernel.translate import translate_statement
from checker.audit.outline import load_outlines, outline_files
from checker.cli import main

FIXTURE = Path(__file__).parent / "fixture"
COQC = shutil.which("coqc")
needs_coq = pytest.mark.skipif(COQC is None, reason="coqc is not on PATH (apt-get install coq libcoq-interval)")
_FLIP = {ast.Lt: ast.GtE, ast.LtE: ast.Gt, ast.Gt: ast.LtE, ast.GtE: ast.Lt}


def _prelude_file(body: str) -> str:
    return coqfile.prelude_text() + "\n" + body + "\n"


@needs_coq
def test_prelude_defines_the_empty_range_once():
    ok = _prelude_file("""
Goal ck_sum 5 1 (fun i => IZR i) = 0. unfold ck_sum; simpl; reflexivity. Qed.
Goal ck_prod 5 1 (fun i => IZR i) = 1. unfold ck_prod; simpl; reflexivity. Qed.
Goal ck_sum 1 3 (fun i => IZR i) = 6. unfold ck_sum; simpl; lra. Qed.
Goal ck_prod 1 3 (fun i => IZR i) = 6. unfold ck_prod; simpl; lra. Qed.
Goal ~ (ck_sum 5 1 (fun i => IZR i) = 1). unfold ck_sum; simpl; lra. Qed.
Goal IZR (ck_ceil (5 / 2)) = 3 /\\ IZR (ck_floor (5 / 2)) = 2.
Proof.
  unfold ck_ceil, ck_floor.
  assert (F: forall x (k : Z), IZR k <= x < IZR k + 1 -> Int_part x = k).
  { intros x k [H1 H2]. unfold Int_part. apply Z.sub_move_r. symmetry. apply tech_up; rewrite plus_IZR; simpl; lra. }
  rewrite (F (5 / 2) 2%Z) by (simpl; lra). rewrite (F (- (5 / 2)) (-3)%Z) by (simpl; lra). simpl. lra.
Qed.
""")
    rc, out = compile_file(COQC, ok, 120)
    assert rc == 0, out
    # negative control: a wrong value of the empty range does not compile
    rc, out = compile_file(COQC, _prelude_file(
        "Goal ck_sum 5 1 (fun i => IZR i) = 1. unfold ck_sum; simpl; lra. Qed."), 120)
    assert rc != 0


@needs_coq
def test_fixture_is_kernel_checked_and_print_assumptions_matches_trust():
    r = audit(FIXTURE, cache=False, kernel=True)
    assert r.passed, r.failures()
    for nid in ("kfix.square", "kfix.strict", "kfix.expand", "kfix.empty", "kfix.thm"):
        assert r.nodes[nid].kernel == "kernel-checked", (nid, r.nodes[nid].kernel_reason)
    assert r.nodes["kfix.square"].status == "fully checked"
    v = r.kernel.verdicts["kfix.thm"]
    assert v.assumptions == ("kfix.cite",) and v.foreign == ()
    assert r.nodes["kfix.thm"].coq.startswith("forall (v_a : R) (v_b : R)")


def _write(tmp_path: Path, name: str, text: str) -> Path:
    d = tmp_path / name
    d.mkdir()
    (d / "o.toml").write_text(text, encoding="utf-8")
    return d


_FALSE = '''
[outline]
id = "kfalse"
title = "claims that need a side condition they do not state"
paper = "none (test)"
{nodes}
'''
_NODE = '''
[[node]]
id = "{id}"
kind = "step"
title = "t"
provenance = {{ paper = "standard", version = "test", where = "test", reliability = "[D]" }}
[node.statement]
symbols = {{ {symbols} }}
{define}hypotheses = [{hyps}]
claim = "{claim}"
[[node.checks]]
kind = "symbolic"
'''


@needs_coq
def test_claims_without_their_side_conditions_are_never_kernel_checked(tmp_path):
    """Coq's division, sqrt and ln are total: x/x = 1 at x = 0 is false there, so even when a
    solver is (wrongly) taken to have proved these, the kernel leaves them open. Among them the
    shipped birthday.inversion as it was declared before issue 24 (M only positive)."""
    cases = [("f.div", 'x = "real"', "", "", "x/x == 1"),
             ("f.sqrt", 'x = "real"', "", "", "sqrt(x)**2 == x"),
             ("f.log", 'x = "real"', "", "", "exp(log(x)) == x"),
             ("f.inversion", 'M = "positive", g = "positive"',
              'define = { Nhat = "M*(M - 1)/(2*log(1/(1 - g)))" }\n', '"g < 1"',
              "exp(-M*(M - 1)/(2*Nhat)) == 1 - g")]
    nodes = "".join(_NODE.format(id=i, symbols=s, define=d, hyps=h, claim=c) for i, s, d, h, c in cases)
    d = _write(tmp_path, "false", _FALSE.format(nodes=nodes))
    outs = load_outlines(outline_files([d]))
    order = [n.id for n in outs[0].nodes]
    kr = plan.kernel_check(outs, order, {i: [] for i, *_ in cases}, cache_dir=None, hand={})
    for i, *_ in cases:
        assert kr.verdicts[i].state == "solver-checked", (i, kr.verdicts[i])
    # ... and the negation at the point the source leaves undefined is provable in Coq
    rc, out = compile_file(COQC, _prelude_file(
        "Goal ~ (forall x : R, x / x = 1). intro H. specialize (H 0). unfold Rdiv in H. "
        "rewrite Rinv_0, Rmult_0_r in H. lra. Qed."), 120)
    assert rc == 0, out



@needs_coq
def test_derivatives_are_stated_with_coquelicots_derive_and_only_true_ones_close(tmp_path):
    """``diff`` is translated to Coquelicot's total ``Derive`` (definitions inlined, the
    variable rebound): a right derivative closes by the tactic ladder after ``ck_derive``
    computes it; a wrong one, or one whose definition is differentiated as a constant (the
    ``let`` trap the inlining avoids), stays open. Reference values: d/dx x^3 = 3x^2, and
    d/dy d/dx (x^2 y) = 2x, by hand."""
    cases = [("d.cube", 'x = "real"', "", "", "diff(x**3, x) == 3*x**2", "kernel-checked"),
             ("d.mixed", 'x = "real", y = "real"', 'define = { f = "x**2*y" }\n', "",
              "diff(f, x, y) == 2*x", "kernel-checked"),
             ("d.wrong", 'x = "real"', "", "", "diff(x**3, x) == 3*x**3", "solver-checked"),
             ("d.const", 'x = "real", y = "real"', 'define = { f = "x**2*y" }\n', "",
              "diff(f, x) == 0", "solver-checked")]
    nodes = "".join(_NODE.format(id=i, symbols=s, define=d, hyps=h, claim=c) for i, s, d, h, c, _ in cases)
    d = _write(tmp_path, "deriv", _FALSE.format(nodes=nodes))
    outs = load_outlines(outline_files([d]))
    text = translate_statement("d.mixed", outs[0].nodes[1].statement.source).text
    assert "(Derive (fun v_y : R => (Derive (fun v_x : R => ((v_x ^ 2) * v_y)) v_x)) v_y)" in text
    order = [n.id for n in outs[0].nodes]
    kr = plan.kernel_check(outs, order, {i: [] for i, *_ in cases}, cache_dir=None, hand={})
    for i, *_, want in cases:
        assert kr.verdicts[i].state == want, (i, kr.verdicts[i])


def _flip(stmt_src: dict) -> dict | None:
    """The source with the claim's comparison negated (None for equalities and conjunctions)."""
    tree = ast.parse(str(stmt_src["claim"]).strip(), mode="eval").body
    if not isinstance(tree, ast.Compare) or len(tree.ops) != 1 or type(tree.ops[0]) not in _FLIP:
        return None
    tree.ops = [_FLIP[type(tree.ops[0])]()]
    return {**stmt_src, "claim": ast.unparse(tree)}


def _flip_files(files: dict[str, str], outlines, verdicts) -> list[tuple[str, str]]:
    """For every kernel-checked lemma whose claim is an inequality: the file cut after that
    lemma, with its claim flipped."""
    nodes = {n.id: n for o in outlines for n in o.nodes}
    out = []
    for text in files.values():
        for nid, v in verdicts.items():
            if v.state != "kernel-checked" or f"Lemma {v.name} :" not in text:
                continue
            flipped = _flip(dict(nodes[nid].statement.source))
            if flipped is None:
                continue
            uses = [t for _, subs in nodes[nid].uses for t in subs.values()]
            new = translate_statement(nid, flipped, uses).text
            head = f"Lemma {v.name} :\n  {v.statement}."
            assert head in text
            cut = text[:text.index("Qed.", text.index(head)) + 4]
            out.append((nid, cut.replace(head, f"Lemma {v.name} :\n  {new}.")))
    return out


def _check_files(folder: Path, files: dict[str, str], declared: set[str]):
    """Plain coqc compiles every file from a clean folder; no Admitted; every Axiom is declared."""
    for name, text in files.items():
        assert "Admitted" not in text
        axioms = set(re.findall(r"^Axiom (\w+) :", text, re.M))
        assert axioms <= declared, axioms - declared
        path = folder / name
        path.write_text(text, encoding="utf-8")
        proc = subprocess.run([COQC, "-q", path.name], cwd=folder, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout + proc.stderr


@needs_coq
def test_coq_out_recompiles_from_a_clean_folder_and_every_flipped_inequality_fails(tmp_path, capsys):
    out = tmp_path / "coq"
    assert main(["audit", str(FIXTURE), "--coq-out", str(out), "--json", "--no-cache"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["kernel"]["ran"] and summary["kernel"]["solver_checked"] == 0
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted(out.glob("*.v"))}
    assert list(files) == ["ck_kfix.v"]
    clean = tmp_path / "clean"
    clean.mkdir()
    _check_files(clean, files, {"kfix__cite", "kfix__cite2"})
    r = audit(FIXTURE, cache=False, kernel=True)
    flips = _flip_files(r.kernel.files, list(r.outlines), r.kernel.verdicts)
    assert {nid for nid, _ in flips} == {"kfix.square", "kfix.strict", "kfix.thm"}
    for nid, text in flips:
        rc, log = compile_file(COQC, text, 300)
        assert rc != 0, f"flipping {nid}'s inequality still compiled"


def _fixture_with(tmp_path: Path, lines: dict[str, str], files: dict[str, str] | None = None) -> Path:
    """A copy of the fixture outline with ``lines`` (TOML key lines) added to the given nodes,
    and ``files`` (relative path -> text) written beside it."""
    d = tmp_path / "fx"
    d.mkdir(parents=True)
    text = (FIXTURE / "kfix.toml").read_text(encoding="utf-8")
    for nid, line in lines.items():
        head = f'[[node]]\nid = "{nid}"\n'
        assert head in text, nid
        text = text.replace(head, head + line + "\n")
    (d / "kfix.toml").write_text(text, encoding="utf-8")
    shutil.copy(FIXTURE / "allowlist.toml", d / "allowlist.toml")
    for rel, body in (files or {}).items():
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        (d / rel).write_text(body, encoding="utf-8")
    return d


@needs_coq
def test_print_assumptions_disagreement_fails_the_audit(tmp_path):
    """Negative control of the trust comparison: a proof of kfix.thm (its coq_proof) that also
    rests on kfix.cite2 (which checker's support graph does not list) makes the audit fail."""
    d = _fixture_with(tmp_path, {"kfix.thm": "coq_proof = 'pose proof (kfix__cite2 v_a) as X. lra.'"})
    r = audit(d, cache=False, kernel=True)
    assert r.nodes["kfix.thm"].kernel == "kernel-checked"
    assert set(r.kernel.verdicts["kfix.thm"].assumptions) == {"kfix.cite", "kfix.cite2"}
    assert not r.passed
    assert any("Print Assumptions disagrees" in e and "kfix.cite2" in e for e in r.errors)


@needs_coq
def test_a_wrong_coq_proof_leaves_the_node_solver_checked_with_coqs_message_a_right_one_closes_it(tmp_path):
    """The outline's coq_proof is checked by the kernel like any other proof: `lra` cannot prove
    x*x <= y*y (Coq says so, and the node stays solver-checked with that message); `nra` can."""
    bad = _fixture_with(tmp_path / "bad", {"kfix.square": "coq_proof = 'lra.'"})
    r = audit(bad, cache=False, kernel=True)
    rep = r.nodes["kfix.square"]
    assert rep.kernel == "solver-checked" and "hand proof failed" in rep.kernel_reason
    assert "Error" in rep.kernel_reason or "lra" in rep.kernel_reason.lower(), rep.kernel_reason
    assert rep.status == "solver-checked"
    assert r.nodes["kfix.strict"].kernel == "kernel-checked"
    good = _fixture_with(tmp_path / "good", {"kfix.square": "coq_proof = \"\"\"\nnra.\n\"\"\""})
    r = audit(good, cache=False, kernel=True)
    assert r.passed, r.failures()
    assert r.nodes["kfix.square"].kernel == "kernel-checked"
    assert r.kernel.verdicts["kfix.square"].rung == "hand"
    assert "nra." in r.kernel.files["kfix"]


@needs_coq
def test_editing_a_coq_proof_rechecks_it(tmp_path):
    """The final file's cache key is the SHA-256 of its text, which holds the coq_proof: a
    cached Qed never survives an edit of the proof."""
    cache = tmp_path / "cache"
    ok = _fixture_with(tmp_path / "a", {"kfix.square": "coq_proof = 'nra.'"})
    outs = load_outlines(outline_files([ok]))
    order = ["kfix.cite", "kfix.cite2", "kfix.square"]
    first = plan.kernel_check(outs, order, {"kfix.square": []}, cache_dir=cache)
    assert first.verdicts["kfix.square"].state == "kernel-checked"
    bad = _fixture_with(tmp_path / "b", {"kfix.square": "coq_proof = 'lra.'"})
    outs = load_outlines(outline_files([bad]))
    second = plan.kernel_check(outs, order, {"kfix.square": []}, cache_dir=cache)
    assert second.coqc_runs >= 1
    assert second.verdicts["kfix.square"].state == "solver-checked"


@needs_coq
def test_cache_warm_run_compiles_nothing_and_a_corrupted_entry_is_recomputed(tmp_path):
    outs = load_outlines(outline_files([FIXTURE]))
    order = ["kfix.cite", "kfix.cite2", "kfix.square", "kfix.strict", "kfix.expand", "kfix.empty", "kfix.thm"]
    proved = {"kfix.square": [], "kfix.strict": [], "kfix.expand": [], "kfix.empty": [], "kfix.thm": ["kfix.cite"]}
    cold = plan.kernel_check(outs, order, proved, cache_dir=tmp_path, hand={})
    warm = plan.kernel_check(outs, order, proved, cache_dir=tmp_path, hand={})
    assert cold.coqc_runs >= 2 and warm.coqc_runs == 0
    assert {k: v.state for k, v in warm.verdicts.items()} == {k: v.state for k, v in cold.verdicts.items()}
    for p in tmp_path.glob("*.json"):  # flip every cached verdict's bytes: all are rejected
        d = json.loads(p.read_text())
        d["value"] = ["x", "y"] if isinstance(d["value"], list) else {**d["value"], "rc": 0, "assumptions": {}}
        p.write_text(json.dumps(d))
    again = plan.kernel_check(outs, order, proved, cache_dir=tmp_path, hand={})
    assert again.coqc_runs >= 2
    assert {k: v.state for k, v in again.verdicts.items()} == {k: v.state for k, v in cold.verdicts.items()}


def test_no_coqc_on_path_says_so_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # no coqc here
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    assert main(["audit", str(FIXTURE), "--no-cache"]) == 0
    text = capsys.readouterr().out
    assert text.count("coqc is not on PATH") == 1
    r = audit(FIXTURE, cache=False, kernel=True)
    assert r.kernel is not None and not r.kernel.ran
    assert r.nodes["kfix.square"].kernel == "solver-checked"
    assert r.nodes["kfix.square"].status == "solver-checked"  # never "fully checked" without Qed


def test_no_kernel_skips_coq_and_labels_solver_checked(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(plan, "run_files", lambda *a, **k: calls.append(1))
    assert main(["audit", str(FIXTURE), "--no-cache", "--no-kernel", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert calls == []
    assert not summary["kernel"]["ran"] and "skipped" in summary["kernel"]["note"]
    assert summary["nodes"]["kfix.square"]["status"] == "solver-checked"
    assert summary["nodes"]["kfix.square"]["kernel"] == "solver-checked"


def test_parse_assumptions_reads_coqs_print_assumptions_output():
    # the shape of coqc 8.16.1's output for `Print Assumptions` (one axiom with a long type on the
    # next line, then the closed case), as produced by the files of this package
    out = """@@CK ASSUMPTIONS a__thm
Axioms:
ClassicalDedekindReals.sig_forall_dec
  : forall P : nat -> Prop,
    (forall n : nat, {P n} + {~ P n}) -> {n : nat | ~ P n} + {forall n : nat, P n}
kfix__cite : forall v_a v_b : R, v_a <= v_b + 1
@@CK ASSUMPTIONS a__step
Closed under the global context
"""
    assert parse_assumptions(out) == {"a__thm": ["ClassicalDedekindReals.sig_forall_dec", "kfix__cite"],
                                      "a__step": []}


_THEOREM_V = """From Coq Require Import Reals Lra.
Open Scope R_scope.
Axiom kfix__cite : forall a b : R, a <= b + 1.
Theorem kfix_real : forall a b : R, b <= 0 -> a <= 1.
Proof. intros a b H. pose proof (kfix__cite a b). lra. Qed.
Lemma kfix_admitted : forall a : R, a <= a + 1.
Admitted.
Theorem kfix_on_admitted : forall a : R, a <= a + 1.
Proof. exact kfix_admitted. Qed.
"""


@needs_coq
def test_coq_theorem_is_kernel_checked_modulo_exactly_its_declared_axioms(tmp_path):
    """A node's coq_theorem compiles with plain coqc; Print Assumptions, mapped to nodes by the
    naming map (kfix__cite -> kfix.cite), must equal the declared axioms. Negative controls: the
    same theorem declared to rest on nothing, a theorem resting on an Admitted lemma (an axiom
    outside the naming map), and a declared axiom the node does not depend on all fail."""
    from checker.audit.kernel.coqfile import prelude_text
    from checker.audit.kernel.theorems import check_theorems, coq_theorem_jobs

    d = _fixture_with(tmp_path, {
        "kfix.thm": 'coq_theorem = { file = "coq/T.v", name = "kfix_real", axioms = ["kfix.cite"] }',
        "kfix.square": 'coq_theorem = { file = "coq/T.v", name = "kfix_real", axioms = [] }',
        "kfix.strict": 'coq_theorem = { file = "coq/T.v", name = "kfix_on_admitted", axioms = [] }',
        "kfix.expand": 'coq_theorem = { file = "coq/T.v", name = "kfix_real", axioms = ["kfix.cite2"] }',
    }, {"coq/T.v": _THEOREM_V})
    nodes = {n.id: n for o in load_outlines(outline_files([d])) for n in o.nodes}
    jobs, bad = coq_theorem_jobs(nodes)
    assert set(bad) == {"kfix.expand"} and "kfix.cite2" in bad["kfix.expand"].reason
    got = {**check_theorems(COQC, nodes, jobs, prelude=prelude_text(), cache_dir=None), **bad}
    assert got["kfix.thm"].state == "kernel-checked" and got["kfix.thm"].axioms == ("kfix.cite",)
    assert "b <= 0 -> a <= 1" in got["kfix.thm"].statement
    assert got["kfix.square"].state == "failed" and "declares []" in got["kfix.square"].reason
    assert got["kfix.strict"].state == "failed" and "kfix_admitted" in got["kfix.strict"].reason
    # through the audit: the words, the Coq statement in the report, and a mismatch fails it
    only = _fixture_with(tmp_path / "only", {
        "kfix.thm": 'coq_theorem = { file = "coq/T.v", name = "kfix_real", axioms = ["kfix.cite"] }'},
        {"coq/T.v": _THEOREM_V})
    r = audit(only, cache=False, kernel=True)
    assert r.passed, r.failures()
    assert "kernel-checked modulo kfix.cite" in r.theorems["kfix.thm"].status_text
    assert "kfix_real" in r.nodes["kfix.thm"].coq and "b <= 0 -> a <= 1" in r.nodes["kfix.thm"].coq
    wrong = _fixture_with(tmp_path / "wrong", {
        "kfix.thm": 'coq_theorem = { file = "coq/T.v", name = "kfix_real", axioms = [] }'},
        {"coq/T.v": _THEOREM_V})
    r = audit(wrong, cache=False, kernel=True)
    assert not r.passed
    assert any("coq_theorem" in e and "kfix.cite" in e for e in r.errors)


@pytest.mark.parametrize("value,message", [
    ('{ file = "../T.v", name = "t" }', "below the outline's folder"),
    ('{ file = "coq/T.v", name = "not an ident" }', "Coq identifier"),
    ('{ file = "coq/T.v", name = "t", axiom = [] }', "unknown key 'axiom'"),
    ('"coq/T.v"', "must be a table"),
])
def test_coq_theorem_and_coq_proof_are_validated_at_load(tmp_path, value, message):
    from checker.errors import OutlineError

    d = _fixture_with(tmp_path, {"kfix.thm": f"coq_theorem = {value}"})
    with pytest.raises(OutlineError, match=re.escape(message)):
        load_outlines(outline_files([d]))
    d2 = _fixture_with(tmp_path / "p", {"kfix.thm": "coq_proof = 3"})
    with pytest.raises(OutlineError, match="coq_proof"):
        load_outlines(outline_files([d2]))


@needs_coq
def test_shipped_theorems_stated_for_real_are_kernel_checked_modulo_their_named_axioms():
    """The three shipped coq_theorems (proofs/coq/): the birthday collision bound for every
    1 <= M <= N from the cited counting fact; Corollary 4 for any depth from the cited
    Proposition 5; Sinha's Lemma 1 in R^n (Coquelicot) on Coq's standard axioms only. Plain
    coqc compiles each file, nothing is admitted, and each theorem's Print Assumptions maps
    exactly to its declared cited nodes."""
    from checker.audit.kernel.coqfile import prelude_text
    from checker.audit.kernel.theorems import check_theorems, coq_theorem_jobs

    nodes = {n.id: n for o in load_outlines(outline_files([coqfile.coq_dir().parent])) for n in o.nodes}
    jobs, bad = coq_theorem_jobs(nodes)
    assert bad == {}
    got = check_theorems(COQC, nodes, jobs, prelude=prelude_text(), cache_dir=None)
    want = {"birthday.support_test": ("birthday_collision_exp_bound", ("cite.counting",)),
            "sinha.cor4": ("cor4_softmax", ("cite.prop5",)),
            "sinha.lemma1": ("lemma1n_value", ())}
    assert {k: (v.name, v.axioms) for k, v in got.items()} == want
    assert all(v.state == "kernel-checked" for v in got.values()), {k: v.reason for k, v in got.items()}
    for path in jobs:
        assert "Admitted" not in path.read_text(encoding="utf-8")
    assert "forall (n : nat)" in got["sinha.lemma1"].statement          # R^n, not one dimension
    assert "sqrt 2 * beta ls + alpha ls ^ 2" in got["sinha.cor4"].statement


@needs_coq
@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("CHECKER_KERNEL_FULL"),
                    reason="paper-scale (4 min on 2 cores): set CHECKER_KERNEL_FULL=1; the fixture "
                           "outline's version of this check runs in every suite")
def test_shipped_outlines_recompile_from_a_clean_folder_and_every_flipped_inequality_fails(tmp_path, monkeypatch):
    """The issue's check on the shipped proofs/: --coq-out files compile with plain coqc from a
    clean folder, contain no Admitted, declare only leaves (cited/assumed) and open nodes as
    axioms, and flipping any kernel-checked inequality makes coqc fail."""
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setenv("CHECKER_CACHE_DIR", str(tmp_path / "cache"))
    r = audit(None, kernel=True)
    assert r.passed, r.failures()
    leaves = {v.name for v in r.kernel.verdicts.values() if v.state in ("axiom", "solver-checked")}
    clean = tmp_path / "clean"
    clean.mkdir()
    _check_files(clean, {f"ck_{k}.v": t for k, t in r.kernel.files.items()}, leaves)
    flips = _flip_files(r.kernel.files, list(r.outlines), r.kernel.verdicts)
    assert len(flips) >= 20

    def one(item):
        nid, text = item
        return nid, compile_file(COQC, text, 600)[0]

    with ThreadPoolExecutor(max_workers=2) as pool:
        still = [nid for nid, rc in pool.map(one, flips) if rc == 0]
    assert not still, f"flipped inequalities that still compile: {still}"


def test_audit_init_template_shows_a_coq_proof_that_loads_when_uncommented(tmp_path):
    """The `checker audit init` template carries a commented coq_proof example; uncommented, it
    is a valid key of its node (the kernel then checks it like any proof)."""
    from importlib.resources import files

    text = files("checker.data").joinpath("outline_template.toml").read_text(encoding="utf-8")
    assert "#   coq_proof = '''" in text and "#   coq_theorem = {" in text
    lines = text.replace("@NAME@", "demo").splitlines()
    k = lines.index("#   coq_proof = '''")
    example = [ln[4:] for ln in lines[k:k + 3]]
    head = lines.index('id = "demo.lemma.square"')
    lines[head + 1:head + 1] = example
    (tmp_path / "demo.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (node,) = [n for o in load_outlines(outline_files([tmp_path / "demo.toml"])) for n in o.nodes
               if n.id == "demo.lemma.square"]
    assert node.coq_proof.strip() == "nra."


@pytest.mark.skipif(COQC is None, reason="coqc is not installed")
def test_coqc_helpers_leave_no_scratch_files_behind(tmp_path, monkeypatch):
    # psatz calls csdp, which writes sos*.dat-s files into TMPDIR and never removes them; the
    # runner points TMPDIR into its own temporary folder, so nothing is left in the system's
    import tempfile

    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(system_tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
    text = ("Require Import Reals Psatz.\nOpen Scope R_scope.\n"
            "Lemma ck_sq (x y : R) : 0 <= x * x + y * y - 2 * x * y.\nProof. psatz R 2. Qed.\n")
    rc, out = compile_file(COQC, text, 300)
    assert rc == 0, out
    assert list(system_tmp.iterdir()) == []
