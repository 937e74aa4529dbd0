"""Progress display: modes from the environment, throttled lines when stderr is not a terminal,
the stage prefix and the heartbeat of :func:`checker.progress.scope`."""

from __future__ import annotations

import time

import pytest

from checker import progress as pg


@pytest.mark.parametrize("flag, mode", [("0", "off"), ("no", "off"), ("", "off"), ("lines", "lines"),
                                        ("1", "lines")])  # "1" on a non-terminal (pytest's stderr)
def test_mode_from_environment(monkeypatch, capsys, flag, mode):  # capsys: stderr is no tty
    monkeypatch.setenv("CHECKER_PROGRESS", flag)
    assert pg.mode() == mode and pg.enabled() == (mode != "off")


def test_off_yields_everything_and_prints_nothing(monkeypatch, capsys):
    monkeypatch.setenv("CHECKER_PROGRESS", "0")
    assert list(pg.progress(range(5), desc="x", total=5)) == [0, 1, 2, 3, 4]
    pg.note("hello", force=True)
    assert capsys.readouterr().err == ""


def test_lines_are_throttled(monkeypatch, capsys):
    monkeypatch.setenv("CHECKER_PROGRESS", "lines")
    monkeypatch.setenv("CHECKER_PROGRESS_INTERVAL", "3600")  # one line per hour at most
    pg.note("first", force=True)
    assert list(pg.progress(range(100), desc="loop", total=100)) == list(range(100))
    assert capsys.readouterr().err.splitlines() == ["first"]  # the loop's lines were not due
    monkeypatch.setenv("CHECKER_PROGRESS_INTERVAL", "0")
    list(pg.progress(range(2), desc="loop", total=2))
    assert [ln.split(",")[0] for ln in capsys.readouterr().err.splitlines()] == ["loop: 1/2 done", "loop: 2/2 done"]


def test_bad_interval_falls_back_to_the_default(monkeypatch):
    monkeypatch.setenv("CHECKER_PROGRESS_INTERVAL", "soon")
    assert pg._interval() == pg.INTERVAL_S
    monkeypatch.setenv("CHECKER_PROGRESS_INTERVAL", "-5")
    assert pg._interval() == pg.INTERVAL_S


def test_scope_prefixes_lines_and_beats(monkeypatch, capsys):
    monkeypatch.setenv("CHECKER_PROGRESS", "lines")
    monkeypatch.setenv("CHECKER_PROGRESS_INTERVAL", "0")
    with pg.scope("2/7 fooling"):
        deadline = time.monotonic() + 60
        seen = ""
        while "still running" not in seen and time.monotonic() < deadline:  # wait for the thread
            time.sleep(0.05)
            seen += capsys.readouterr().err
        pg.note("step 3", force=True)
    after = capsys.readouterr().err
    assert "still running" in seen and seen.startswith("[2/7 fooling, ")
    assert any(ln.startswith("[2/7 fooling, ") and ln.endswith("] step 3") for ln in after.splitlines())
    pg.note("outside", force=True)
    assert capsys.readouterr().err.splitlines()[-1] == "outside"  # the prefix is gone
