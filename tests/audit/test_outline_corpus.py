"""Malformed outlines: each gives a clear OutlineError naming file and node, and runs no code."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.audit import audit
from checker.errors import OutlineError
from tests.audit.helpers import HEADER, node, write

CLAIM = '[node.statement]\nsymbols = { x = "positive" }\nclaim = "x + 1 > x"\n[[node.checks]]\nkind = "symbolic"\n'

CORPUS = {
    "cycle": (node("a", uses_proof='["b"]') + CLAIM + node("b", uses_proof='["a"]') + CLAIM, "cycle"),
    "dangling": (node("a", uses_proof='["nope"]') + CLAIM, "unknown node 'nope'"),
    "duplicate": (node("a") + CLAIM + node("a") + CLAIM, "duplicate node id 'a'"),
    "bad_toml": ("[[node]\nid = ", "not valid TOML"),
    "unknown_symbol": (node("a", body='[node.statement]\nsymbols = { x = "positive" }\nclaim = "y > 0"\n'),
                       "unknown name 'y'"),
    "malicious": (node("a", body='[node.statement]\nsymbols = { x = "positive" }\n'
                               'claim = "__import__(\'os\').system(\'touch pwned\')"\n'), "allow-listed"),
    "attribute": (node("a", body='[node.statement]\nsymbols = { x = "positive" }\nclaim = "x.real > 0"\n'),
                  "Attribute"),
    "lambda": (node("a", body='[node.statement]\nsymbols = { x = "positive" }\nclaim = "(lambda: 1)() > 0"\n'),
               "only calls of allow-listed functions"),
    "subscript": (node("a", body='[node.statement]\nsymbols = { x = "positive" }\nclaim = "x[0] > 0"\n'),
                  "Subscript"),
    "status_by_hand": (node("a", status='"proved"') + CLAIM, "'status' may not be written by hand"),
    "unknown_key": (node("a", uses_proofs='[]') + CLAIM, "did you mean 'uses_proof'"),
    "unknown_check_kind": (node("a", body='[node.statement]\nsymbols = { x = "positive" }\nclaim = "x > 0"\n'
                                      '[[node.checks]]\nkind = "symbolc"\n'), "did you mean 'symbolic'"),
    "unknown_domain": (node("a", body='[node.statement]\nsymbols = { x = "postive" }\nclaim = "x > 0"\n'),
                       "did you mean 'positive'"),
    "float_box": (node("a", body='[node.statement]\nsymbols = { x = "positive" }\nclaim = "x > 0"\n'
                             '[[node.checks]]\nkind = "interval"\nbox = { x = [0.1, 1] }\n'), "as a string"),
    "memory_source": (node("a").replace("[D]", "[M]") + CLAIM, "[M]"),
    "erratum_without_expect": (node("a", kind="erratum", slide='"s"') + CLAIM, "expect"),
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_malformed_outline_rejected(name, tmp_path):
    text, message = CORPUS[name]
    path = tmp_path / f"{name}.toml"
    path.write_text(text if name == "bad_toml" else HEADER + text)
    with pytest.raises(OutlineError) as info:
        audit([path], run_experiments=False)
    assert message in str(info.value)
    assert str(path) in str(info.value)
    if name not in ("bad_toml",):
        assert "node 'a'" in str(info.value) or "node 'b'" in str(info.value)
    assert not Path("pwned").exists()


def test_cli_malformed_is_exit_2(tmp_path, capsys):
    from checker.cli import main

    p = write(tmp_path, CORPUS["cycle"][0])
    assert main(["audit", str(p)]) == 2
    err = capsys.readouterr().err
    assert "cycle" in err and "Traceback" not in err
