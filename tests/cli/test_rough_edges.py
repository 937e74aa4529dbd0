"""The newcomer's rough edges of issue 28, each pinned: error lines name the option as typed and
the rule broken (never an exception class), ``trust`` refuses an unknown node without running
the audit, progress lines spell their units out, ``run --help`` names every method it trains."""

from __future__ import annotations

import re

import pytest

from checker.cli import EXIT_USAGE, main

ARORA = ["bound", "arora-thm1", "--p", "1000", "--Delta", "1", "--L", "1", "--L-phi", "1"]


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert not re.search(r"\b[A-Z][A-Za-z]*(Error|Exception)\b", err[0]), err[0]  # no class names
    return err[0]


@pytest.mark.parametrize("argv,needle", [
    # before: "parameter='--foo' is not a parameter" although the user typed --solve-for foo
    ([*ARORA, "--solve-for", "foo", "--target", "10"], "--solve-for='foo' is not a parameter of 'arora-thm1'"),
    ([*ARORA, "--solve-for", "epss", "--target", "10"], "(did you mean 'eps'?)"),
    # before: "target=None is required"
    ([*ARORA, "--solve-for", "eps"], "--target is required with --solve-for"),
    (["bound", "arora-thm1", "--L-phi", "x"], "--L-phi='x' must be a number"),
    ([*ARORA, "--eps", "0"], "--eps=0 must be > 0"),
    (["bound", "arora-thm1", "--p"], "--p needs a value (--p VALUE)"),
    (["run", "--only", "nosuchstage", "--out", "o"], "--only='nosuchstage' must be one of"),
])
def test_bound_errors_name_the_option_as_typed(capsys, argv, needle):
    assert main(argv) == EXIT_USAGE
    line = _one_error_line(capsys)
    assert needle in line and "--foo" not in line


def test_bound_internal_failure_is_worded_not_a_class_name(capsys, monkeypatch):
    import checker.cli.bound as bound

    def boom(args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(bound, "_run", boom)
    assert main(["bound", "arora-thm1"]) == EXIT_USAGE
    line = _one_error_line(capsys)
    assert "(a division by zero)" in line and "ZeroDivisionError" not in line


def test_trust_unknown_node_suggests_without_running_the_audit(capsys, monkeypatch):
    import checker.audit as audit_pkg

    def no_audit(*a, **k):  # the audit must not run for an unknown node
        raise AssertionError("the audit ran")

    monkeypatch.setattr(audit_pkg, "audit", no_audit)
    assert main(["trust", "sinha.thm22"]) == EXIT_USAGE
    line = _one_error_line(capsys)
    assert "NODE='sinha.thm22' is not a node of the outlines" in line and "nothing was audited" in line
    assert "did you mean 'sinha.thm2'" in line
    assert main(["trust", "thm3"]) == EXIT_USAGE  # a part of an id
    assert "did you mean 'sinha.thm3'?" in _one_error_line(capsys)


def test_progress_lines_spell_their_units_out(capsys, monkeypatch):
    from checker.progress import duration, progress, scope

    assert [duration(s) for s in (0, 1, 59.4, 60, 61, 3600, 3725)] == [
        "0 seconds", "1 second", "59 seconds", "1 minute", "1 minute 1 second", "1 hour", "1 hour 2 minutes"]
    monkeypatch.setenv("CHECKER_PROGRESS", "lines")
    monkeypatch.setenv("CHECKER_PROGRESS_INTERVAL", "0")
    with scope("2/5 demo", heartbeat=False):
        for _ in progress(range(2), desc="loop", total=2):
            pass
    err = capsys.readouterr().err.splitlines()
    assert err and all(re.fullmatch(r"\[2/5 demo, \d+ seconds? elapsed\] loop: \d/2 done, loop time \d+ seconds?", l)
                       for l in err), err
    assert not any(re.search(r"\d s\b", l) for l in err)


def test_run_help_names_every_method_the_run_trains(capsys):
    from checker.wrm.figures import METHOD_ORDER  # what the training stage trains (Figure 1)

    assert main(["run", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for m in METHOD_ORDER:
        assert m.upper() in text, m
    assert "ERM/FGM/WRM" not in text
