"""Only :mod:`checker.audit.verdict` can make a *proved* verdict (issue 24.10, LCF style)."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from checker.audit.checks import run_check
from checker.audit.outline import CheckSpec, parse_outline_text
from checker.audit.verdict import CheckResult, Evidence, prove, restate, revive_cached
from checker.errors import CheckError
from tests.audit.helpers import HEADER, node

AUDIT = Path(__file__).resolve().parents[2] / "checker" / "audit"


def _node(body: str):
    return parse_outline_text(HEADER + node("a", body="[node.statement]\n" + body + "\n"), file="t.toml").nodes[0]


def test_a_proved_verdict_made_outside_the_verdict_module_raises():
    with pytest.raises(CheckError, match="only be made by checker.audit.verdict.prove"):
        CheckResult(kind="symbolic", verdict="proved", trust="symbolic", summary="forged")
    tested = CheckResult(kind="property", verdict="tested", trust="tested[1 point]", summary="s")
    with pytest.raises(CheckError):
        dataclasses.replace(tested, verdict="proved")
    with pytest.raises(CheckError, match="keeps the verdict"):
        restate(tested, verdict="proved")
    # every other verdict claims no proof and may be made anywhere
    for v in ("tested", "trusted", "refuted", "undecided", "vacuous", "failed", "timeout", "error", "skipped"):
        assert CheckResult(kind="k", verdict=v, trust="t", summary="").verdict == v


def test_prove_needs_every_side_condition_discharged():
    ok = Evidence(kind="smt", trust="smt-nra", summary="s", conditions=(("x > 0", "proved"),))
    r = prove(ok)                                         # negative control: all discharged
    assert (r.verdict, r.kind, r.trust, r.summary, r.passed) == ("proved", "smt", "smt-nra", "s", True)
    bad = Evidence(kind="smt", trust="smt-nra", summary="s", conditions=(("x > 0", "proved"), ("y != 0", "open")))
    with pytest.raises(CheckError, match="y != 0 not discharged"):
        prove(bad)
    with pytest.raises(CheckError, match="needs Evidence"):
        prove(CheckResult(kind="k", verdict="tested", trust="t", summary=""))


def test_the_minting_flag_is_never_left_on():
    r = prove(Evidence(kind="k", trust="t", summary="s"))
    assert restate(r, seconds=1.5).verdict == "proved" and restate(r, seconds=1.5).seconds == 1.5
    assert revive_cached({"kind": "k", "verdict": "proved", "trust": "t", "summary": "s"}).cached is True
    with pytest.raises(CheckError):
        prove(Evidence(kind="k", trust="t", summary="s", conditions=(("c", "open"),)))
    with pytest.raises(CheckError):                       # after a refused prove, still closed
        CheckResult(kind="k", verdict="proved", trust="t", summary="s")
    with pytest.raises(TypeError):                        # a bad cache record: still closed afterwards
        revive_cached({"verdict": "proved", "nonsense": 1})
    with pytest.raises(CheckError):
        CheckResult(kind="k", verdict="proved", trust="t", summary="s")


def test_engines_return_evidence_and_run_check_proves_it():
    from checker.audit.engines import symbolic
    n = _node('symbols = { x = "real" }\nclaim = "x**2 >= 0"')
    spec = CheckSpec(kind="symbolic", options={}, index=0)
    assert isinstance(symbolic._symbolic(n, spec), Evidence)
    assert run_check(n, spec).verdict == "proved"
    # a claim with a source side condition: evidence alone does not make it proved
    n2 = _node('symbols = { x = "real" }\nclaim = "x/x == 1"')
    assert run_check(n2, CheckSpec(kind="symbolic", options={}, index=0)).verdict != "proved"


def _proved_constructions(source: str) -> list[int]:
    """Lines of ``source`` that call ``CheckResult(..., verdict="proved", ...)`` directly."""
    out = []
    for call in ast.walk(ast.parse(source)):
        if isinstance(call, ast.Call) and getattr(call.func, "id", getattr(call.func, "attr", None)) == "CheckResult":
            for kw in call.keywords:
                if kw.arg == "verdict" and isinstance(kw.value, ast.Constant) and kw.value.value == "proved":
                    out.append(call.lineno)
    return out


def test_no_module_but_verdict_writes_a_proved_result():
    assert _proved_constructions('CheckResult(kind="k", verdict="proved", trust="t", summary="")') == [1]  # control
    hits = {str(p.relative_to(AUDIT)): _proved_constructions(p.read_text(encoding="utf-8"))
            for p in sorted(AUDIT.rglob("*.py"))}
    assert {k: v for k, v in hits.items() if v} == {}
