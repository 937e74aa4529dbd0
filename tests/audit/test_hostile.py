"""Hostile outlines (issue 13, audit part): every one ends as a one-line OutlineError naming the
file (and node), or as a result with a verdict; nothing hangs, nothing passes by accident."""

from __future__ import annotations

import pytest

from checker.audit import audit
from checker.errors import OutlineError
from tests.audit.helpers import HEADER, node, write

POS = 'symbols = { x = "positive" }'


def _stmt(statement: str, check: str = 'kind = "symbolic"') -> str:
    return node("n", body=f"[node.statement]\n{statement}\n[[node.checks]]\n{check}\n")


@pytest.mark.parametrize("check,message", [
    ('kind = "smt"\ntimeout_ms = 0', "timeout_ms=0 must be between 1"),
    ('kind = "smt"\ntimeout_ms = 100000000', "must be between 1"),
    ('kind = "property"\nmax_examples = 100000000', "max_examples=100000000 must be between"),
    ('kind = "interval"\nbox = { x = ["1", "2"] }\nprec = 1000000', "prec=1000000 must be between"),
    ('kind = "interval"\nbox = { x = ["1", "1e30"] }', "exceeds the cap"),
    ('kind = "interval"\nbox = { x = ["1", "10000000000000000000000000000000000000000000"] }', "short exact rational"),
    ('kind = "interval"\nbox = { x = ["1", "10"] }\nmax_boxes = 10000000', "max_boxes=10000000 must be between"),
])
def test_check_option_caps(tmp_path, check, message):
    p = write(tmp_path, _stmt(f'{POS}\nclaim = "x + 1 > x"', check))
    with pytest.raises(OutlineError) as info:
        audit([p], run_experiments=False)
    assert message in str(info.value) and "node 'n'" in str(info.value) and str(p) in str(info.value)


@pytest.mark.parametrize("claim,message", [
    ("((2**64)**64)**64 > x", "bits"),
    ("factorial(5000) > x", "bits"),
    ("Product(i, i, 1, 100000) > x", "more than 10000 terms"),
    ("sqrt(-1) < x", "not a finite real"),
    ("log(-1) < x", "real"),
    ("x > ℯ", "non-ASCII"),        # U+212F folds to 'e' under NFKC
    ("𝐱 > 0", "non-ASCII"),         # mathematical bold x folds to 'x'
])
def test_hostile_formulas_rejected_with_node(tmp_path, claim, message):
    statement = 'symbols = { x = "positive", i = "positive_integer" }\n' + f'claim = "{claim}"'
    p = write(tmp_path, _stmt(statement))
    with pytest.raises(OutlineError) as info:
        audit([p], run_experiments=False)
    assert message in str(info.value) and "node 'n'" in str(info.value)


def test_non_ascii_symbol_name_rejected(tmp_path):
    p = write(tmp_path, _stmt('symbols = { "ℯ" = "positive" }\nclaim = "1 > 0"'))
    with pytest.raises(OutlineError, match="node 'n'.*must be ASCII"):
        audit([p], run_experiments=False)


def test_deep_toml_nesting_is_one_line_error(tmp_path):
    p = tmp_path / "deep.toml"
    p.write_text(HEADER + "x = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(OutlineError) as info:
        audit([p], run_experiments=False)
    assert str(p) in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("allow,message", [
    ('[default]\nallow = "cited:*"\n', "must be a list of non-empty strings"),
    ('[default]\nallow = [1, 2]\n', "must be a list of non-empty strings"),
    ('[default]\nallow = ["*"]\n', "would allow everything"),
    ("theorem = 3\n", "must be a table"),
    ('[theorem.t]\nallow = "x"\n', "must be a list"),
    ("[default\n", "allow-list unreadable"),
    ('[default]\nalow = []\n', "unknown key"),
])
def test_malformed_allowlist_is_an_error_never_a_pass(tmp_path, allow, message):
    p = write(tmp_path, _stmt(f'{POS}\nclaim = "x + 1 > x"'))
    (tmp_path / "allowlist.toml").write_text(allow)
    with pytest.raises(OutlineError) as info:
        audit([p], run_experiments=False)
    assert message in str(info.value) and "allowlist.toml" in str(info.value)


def test_cli_hostile_inputs_exit_2_without_traceback(tmp_path, capsys):
    from checker.cli import main

    p = write(tmp_path, _stmt(f'{POS}\nclaim = "x + 1 > x"', 'kind = "smt"\ntimeout_ms = 0'))
    assert main(["audit", str(p)]) == 2
    err = capsys.readouterr().err
    assert "timeout_ms" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    p = write(tmp_path, _stmt(f'{POS}\nclaim = "x + 1 > x"'), name="ok.toml")
    assert main(["audit", str(p), "--check-seconds", "0"]) == 2


def test_definition_may_not_carry_a_claim(tmp_path):
    p = write(tmp_path, node("d", kind="definition", body=f'[node.statement]\n{POS}\nclaim = "x < 0"\n'))
    with pytest.raises(OutlineError, match="node 'd'.*definition node may declare symbols"):
        audit([p], run_experiments=False)


def test_theorem_assuming_itself_is_never_checked(tmp_path):
    p = write(tmp_path, node("t", kind="theorem", body='[[node.checks]]\nkind = "assumed"\nreason = "r"\n'))
    r = audit([p], run_experiments=False)
    assert r.nodes["t"].status == "error" and not r.passed


def test_citation_laundering_is_refused(tmp_path):
    # a citation whose name is on the allow-list may not support a claim of the project
    p = write(tmp_path, node("s", kind="step", body=f'[node.statement]\n{POS}\nclaim = "x > x + 1"\n'
                             '[[node.checks]]\nkind = "cited"\nname = "hoeffding"\nreference = "r"\n'))
    (tmp_path / "allowlist.toml").write_text('[default]\nallow = ["cited:hoeffding"]\n')
    r = audit([p], run_experiments=False)
    assert r.nodes["s"].status == "error" and "citation laundering" in r.nodes["s"].checks[0].summary
    assert not r.passed


def test_audit_pass_is_linear_in_the_outline(tmp_path):
    # a chain of 2,000 nodes: the status/trust pass visits each support edge once (a quadratic
    # ancestor walk would visit about n^2/2 = 2,000,000)
    n = 2000
    parts = [node("c0", kind="cited", body='[[node.checks]]\nkind = "cited"\nname = "x"\nreference = "r"\n')]
    for k in range(1, n):
        parts.append(node(f"c{k}", body='[[node.checks]]\nkind = "experiment"\nname = "fake.ok"\n',
                          uses_proof=f'["c{k - 1}"]'))
    p = write(tmp_path, "".join(parts))
    r = audit([p], run_experiments=False)
    assert len(r.nodes) == n
    assert r.operations <= 2 * n
    assert r.nodes[f"c{n - 1}"].status == "skipped"
