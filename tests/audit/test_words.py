"""The trust vocabulary is defined once (checker.audit.words) and rendered the same everywhere."""

from __future__ import annotations

import pytest

from checker.audit import words


@pytest.mark.parametrize("tag,category", [
    ("symbolic", "proved"), ("smt-nra", "proved"), ("interval", "proved"), ("exact-eval", "proved"),
    ("derived", "proved"), ("interval[x∈[0,1]]", "box-only"), ("tested[40 points, x∈[0,1]]", "tested"),
    ("experiment", "experiment"), ("cited:hoeffding", "cited"), ("assumed:a.b", "assumed"),
    ("assumed:a.b.hypotheses", "assumed"), ("unchecked", "unchecked"), ("reconstructed", "source"),
])
def test_category_of(tag, category):
    assert words.category_of(tag) == category


def test_render_status_words():
    assert words.render_status("fully checked") == "fully checked"
    assert words.render_status("checked modulo", {"cited": 2, "experiment": 1}) == \
        "checked modulo 1 experiment, 2 cited"
    assert words.render_status("checked modulo", {"assumed": 1, "box-only": 1, "tested": 3}) == \
        "checked modulo 1 box-only, 3 tested, 1 assumed"
    with pytest.raises(ValueError):
        words.render_status("proved-ish")


def test_weakest_orders_categories():
    assert words.weakest(["symbolic", "smt-nra"]) == "proved"
    assert words.weakest(["symbolic", "interval[x∈[0,1]]"]) == "box-only"
    assert words.weakest(["cited:x", "experiment", "tested[1 point, {x=1}]"]) == "cited"
    assert words.weakest(["cited:x", "assumed:y"]) == "assumed"
    assert words.weakest(["reconstructed"]) == "proved"


def test_cli_and_report_use_the_same_words(tmp_path, capsys):
    from checker.audit import audit, render_html
    from checker.cli import main
    from tests.audit.helpers import node, write

    cited = ('[node.statement]\nsymbols = { a = "real", b = "real" }\nclaim = "a <= b"\n'
             '[[node.checks]]\nkind = "cited"\nname = "h"\nreference = "r"\n')
    # x <= y + 1 needs the cited a <= b at a = x, b = y (a theorem that needs nothing is "trivial")
    derived = ('[node.statement]\nsymbols = { x = "real", y = "real" }\nclaim = "x <= y + 1"\n'
               '[[node.uses]]\nnode = "c"\nsubs = { a = "x", b = "y" }\n')
    p = write(tmp_path, node("c", kind="cited", body=cited) + node("t", kind="theorem", body=derived))
    (tmp_path / "allowlist.toml").write_text('[default]\nallow = ["cited:h"]\n')
    r = audit([p])
    text = r.theorems["t"].status_text
    assert text in ("checked modulo 1 cited", "fully checked")
    assert text in render_html(r)
    assert main(["trust", "t", str(p)]) == 0
    assert f"({text})" in capsys.readouterr().out
