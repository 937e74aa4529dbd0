"""Regressions of the fresh-machine trial (issue 26): output paths checked before any work and
never created outside an existing folder, worker counts validated, audit counts that add up,
and errata coloured by "as expected", not by the raw verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

import checker.audit
import checker.sweep
from checker.cli import EXIT_USAGE, main

ROOT = Path(__file__).resolve().parents[2]


def _no_work(*_a, **_k):
    raise AssertionError("the command started its work before validating its output path")


def test_graph_out_in_a_missing_folder_is_refused_and_creates_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(checker.audit, "audit", _no_work)
    target = tmp_path / "nonexistent" / "dir" / "g.svg"
    assert main(["graph", "--format", "svg", "--out", str(target)]) == EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("checker graph: error: --out=")  # the option as typed
    assert "must be in an existing folder" in err
    assert not (tmp_path / "nonexistent").exists()


def test_graph_out_that_is_a_folder_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(checker.audit, "audit", _no_work)
    assert main(["graph", "--format", "dot", "--out", str(tmp_path)]) == EXIT_USAGE
    assert "must be a file path, but it is a folder" in capsys.readouterr().err


@pytest.mark.parametrize("where", ["missing", "below-a-file"])
def test_audit_html_is_checked_before_the_audit(tmp_path, capsys, monkeypatch, where):
    monkeypatch.setattr(checker.audit, "audit", _no_work)
    if where == "missing":
        target = tmp_path / "no" / "report.html"
    else:
        (tmp_path / "a-file").write_text("x")
        target = tmp_path / "a-file" / "report.html"
    assert main(["audit", "--html", str(target)]) == EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("checker audit: error: --html=")
    assert not (tmp_path / "no").exists()


def test_sweep_out_below_a_file_is_refused_before_running(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(checker.sweep, "run_sweep", _no_work)
    monkeypatch.setattr(checker.sweep, "aggregate", _no_work)
    (tmp_path / "f").write_text("x")
    out = tmp_path / "f" / "results"
    assert main(["sweep", str(ROOT / "sweeps" / "birthday-scale.toml"), "--quick", "--out", str(out)]) == EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("checker sweep: error: --out=")
    assert "a file is in the way" in err


def test_sweep_workers_are_validated_even_when_nothing_is_left_to_run(tmp_path, capsys, monkeypatch):
    """Before: with every task already done, --workers -2 was accepted (the pool that would
    have refused it was never built)."""
    monkeypatch.setattr(checker.sweep, "run_sweep", _no_work)
    spec = ROOT / "sweeps" / "birthday-scale.toml"
    assert main(["sweep", str(spec), "--quick", "--workers", "-2", "--out", str(tmp_path)]) == EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert err == "checker sweep: error: --workers=-2 must be an integer >= 0 (0 = run in this process)"


def test_audit_counts_add_up(tmp_path, monkeypatch):
    """Before: progress counted 104 checks, the end line '1 run, 76 from cache' (27 cited or
    assumed checks, which nothing runs, were in neither)."""
    monkeypatch.setenv("CHECKER_CACHE_DIR", str(tmp_path / "cache"))
    outline = ROOT / "proofs" / "birthday.toml"
    cold = checker.audit.audit([outline], run_experiments=False)
    warm = checker.audit.audit([outline], run_experiments=False)
    for r in (cold, warm):
        assert r.checks_run + r.cache_hits + r.checks_on_trust == r.checks_total > 0
        assert r.checks_on_trust > 0  # the outline has cited nodes: the third term is exercised
    assert cold.cache_hits == 0 and cold.checks_run > 0
    assert warm.cache_hits > 0 and warm.checks_total == cold.checks_total


def test_an_erratum_refuted_as_expected_is_not_painted_as_a_failure(tmp_path, monkeypatch):
    from checker.audit.report import FILL, fill_of, render_graph

    monkeypatch.setenv("CHECKER_CACHE_DIR", str(tmp_path / "cache"))
    r = checker.audit.audit([ROOT / "proofs" / "birthday.toml"], run_experiments=False)
    (er,) = [e for e in r.errata.values() if e.expect == "refuted"]
    assert er.passed and r.nodes[er.id].status == "refuted"  # refuted, as expected
    assert fill_of(r.nodes[er.id], r.errata) == FILL["erratum as expected"] != FILL["not established"]
    dot = render_graph(r, "dot")
    (line,) = [ln for ln in dot.splitlines() if ln.strip().startswith(f'"{er.id}" [')]
    assert f'fillcolor="{FILL["erratum as expected"]}"' in line
    # negative control: the same erratum with the wrong outcome is painted as a failure
    import dataclasses

    wrong = {er.id: dataclasses.replace(er, passed=False)}
    assert fill_of(r.nodes[er.id], wrong) == FILL["not established"]
