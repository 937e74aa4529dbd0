"""CLI-wide fuzz (issue 13.6, 16.7): every subcommand's flags (as its parser lists them, i.e.
what ``--help`` shows) with hostile values: empty, NaN, inf, -1, huge, paths below a file,
non-UTF-8 (surrogate-escaped) and very long strings.

Property: no traceback, an exit code in {0, 1, 2, 130}, for exit 2 exactly one error line
(the last line on stderr), and bounded time (a watchdog stops an example after :data:`EXAMPLE_LIMIT_S`).
Each command runs on a cheap base command line (tiny sizes, a tiny trained model), so a hostile
value that happens to be valid runs a few seconds of real work, and an invalid one must fail fast.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import os
import signal
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from checker.cli import build_parser, main

#: Seconds one example may run (a hostile value must fail fast; a valid one runs the tiny
#: base command). Generous for a loaded 2-core machine; a hang is far beyond it.
EXAMPLE_LIMIT_S = 600

_DIR: dict[str, Path] = {}
#: a fresh folder per `gan train` example, so a hostile value meets training, not the refusal to
#: resume another configuration's checkpoint
_FRESH = itertools.count()


def _paths() -> dict[str, str]:
    d = _DIR["root"]
    return {"file": str(d / "a_file"), "below_file": str(d / "a_file" / "sub" / "x.npz"),
            "missing": str(d / "missing" / "nothing.toml"), "dir": str(d)}


HOSTILE = ("", " ", "nan", "NaN", "inf", "-inf", "-1", "-0.0", "1e999", "1" + "0" * 400,
           "-" + "9" * 40, "0x10", "1/0", "\udcff\udcfe", "é∞√", "a" * 3000, "../" * 40, "-", ",",
           "1,,2", "0,nan,-1", "\t\n", "@FILE", "@BELOW_FILE", "@MISSING", "@DIR")


def _resolve(value: str) -> str:
    p = _paths()
    return {"@FILE": p["file"], "@BELOW_FILE": p["below_file"], "@MISSING": p["missing"],
            "@DIR": p["dir"]}.get(value, value)


def _base(cmd: str) -> list[str]:
    """A cheap, valid command line for ``cmd`` (the fuzzed flag is appended and wins)."""
    d = _DIR["root"]
    model = str(_DIR["model"])
    return {
        "run": ["run", "--only", "bounds", "--out", str(d / "run-out")],
        "bound": ["bound", "birthday-collision"],
        "audit": ["audit", "--skip-experiments", _paths()["missing"]],
        "trust": ["trust", "no-such-node", _paths()["missing"]],
        "graph": ["graph", _paths()["missing"], "--out", str(d / "graph-out")],
        "construct": ["construct", "--d-tilde", "8", "--m", "4", "--n", "16"],
        "gan": ["gan", "--m", "2", "--steps", "1", "--restarts", "1", "--n-test", "64", "--batch", "16",
                "--out", str(d / "gan-out")],
        "birthday": ["birthday", "--source", "uniform", "--support", "10", "--trials", "2", "--s", "4,8",
                     "--n-real", "20", "--d", "4"],
        "train": ["train", "--dataset", "synthetic", "--n", "40", "--epochs", "1"],
        "attack": ["attack", model, "--max-test", "10", "--steps", "1", "--budgets", "0,0.1"],
        "certify": ["certify", model, "--data", "synthetic", "--n", "5", "--max-steps", "5", "--gamma", "4"],
        "sweep": ["sweep", "--dry-run", _paths()["missing"]],
        # issue 27: the gan sub-actions and the model source of the birthday test
        "gan train": ["gan", "train", "--arch", "bigan", "--steps", "2", "--hidden", "8", "--latent-dim", "2",
                      "--checkpoint-every", "1", "--out", str(d / f"gan-train-{next(_FRESH)}")],
        "gan face": ["gan", "face", "--model", str(_DIR["gan_run"]), "--m", "4", "--steps", "1", "--batch", "16",
                     "--n-test", "64"],
        "gan stacked": ["gan", "stacked", "--steps", "2", "--n", "50", "--n-train", "60",
                        "--out", str(d / "gan-stacked")],
        "birthday model": ["birthday", "--source", "model", "--model", str(_DIR["gan_run"]), "--trials", "2",
                           "--s", "4,8", "--no-compare"],
    }.get(cmd, [cmd])


def _flags() -> list[tuple[str, str]]:
    """(subcommand, option or positional dest) for every value-taking argument, sub-actions
    (``gan train``) included; the birthday test's flags also on its model source
    (``birthday model``)."""
    parser, _ = build_parser()
    out = []

    def walk(prefix: str, p: argparse.ArgumentParser) -> None:
        for act in p._actions:
            if isinstance(act, argparse._SubParsersAction):
                for name, sub in act.choices.items():
                    walk(f"{prefix} {name}".strip(), sub)
                continue
            if not prefix or isinstance(act, (argparse._HelpAction, argparse._StoreTrueAction,
                                              argparse._StoreFalseAction, argparse.BooleanOptionalAction)):
                continue
            out.append((prefix, act.option_strings[0] if act.option_strings else f"<{act.dest}>"))

    walk("", parser)
    out += [("birthday model", f) for c, f in list(out) if c == "birthday"]
    return out


FLAGS = _flags()


class _Hang(BaseException):
    pass


def _alarm(signum, frame):
    raise _Hang(f"example ran longer than {EXAMPLE_LIMIT_S} s")


@pytest.fixture(scope="module", autouse=True)
def _fixtures(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    (root / "a_file").write_text("not a folder, not an archive\n")
    _DIR["root"] = root
    model = root / "model"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        rc = main(["train", "--dataset", "synthetic", "--n", "40", "--epochs", "1", "--device", "cpu",
                   "--out", str(model)])
    assert rc == 0
    _DIR["model"] = model
    gan_run = root / "gan-run"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        rc = main(["gan", "train", "--arch", "bigan", "--steps", "2", "--hidden", "8", "--latent-dim", "2",
                   "--checkpoint-every", "1", "--out", str(gan_run)])
    assert rc == 0
    _DIR["gan_run"] = gan_run
    old = os.getcwd()
    os.chdir(root)  # a hostile relative --out ("nan", "-1") lands in the temporary folder, not the checkout
    try:
        yield
    finally:
        os.chdir(old)


def _run(argv: list[str]) -> tuple[int, str, str]:
    out_b, err_b = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(out_b, encoding="utf-8", errors="strict", write_through=True)
    err = io.TextIOWrapper(err_b, encoding="utf-8", errors="backslashreplace", write_through=True)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, EXAMPLE_LIMIT_S)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    return code, out_b.getvalue().decode("utf-8", "replace"), err_b.getvalue().decode("utf-8", "replace")


def _argv(cmd: str, flag: str, value: str) -> list[str]:
    base = _base(cmd)
    value = _resolve(value)
    if flag.startswith("<"):  # a positional: replace the base's value (or append it)
        positional = {"run": None, "bound": 1, "audit": 2, "trust": 1, "graph": 1, "attack": 1,
                      "certify": 1, "sweep": 2}.get(cmd)
        if positional is not None and positional < len(base):
            return [*base[:positional], value, *base[positional + 1:]]
        return [*base, value]
    return [*base, f"{flag}={value}"]


def _assert_clean(argv, code, out, err):
    shown = [a[:80] for a in argv]
    assert "Traceback" not in err and "Traceback" not in out, (shown, err[-2000:])
    assert code in (0, 1, 2, 130), (shown, code, err[-2000:])
    if code == 2:  # exactly one error line, and it is the last thing said
        lines = err.strip().splitlines()
        assert sum(": error:" in ln for ln in lines) == 1 and ": error:" in lines[-1], (shown, err[-2000:])


@settings(deadline=None)
@given(flag=st.sampled_from(FLAGS), value=st.sampled_from(HOSTILE))
@example(flag=("run", "--out"), value="@BELOW_FILE")
@example(flag=("run", "--out"), value="@FILE")
@example(flag=("run", "--seed"), value="1" + "0" * 400)
@example(flag=("run", "--device"), value="nan")
@example(flag=("gan", "--out"), value="@BELOW_FILE")
@example(flag=("birthday", "--samples"), value="@FILE")
@example(flag=("certify", "--out"), value="@BELOW_FILE")
@example(flag=("run", "--only"), value="")  # regression: an empty --only ran every stage
@example(flag=("run", "--only"), value=",")
@example(flag=("construct", "--n"), value="1" + "0" * 400)  # regression: torch overflow traceback
@example(flag=("construct", "--m"), value="1" + "0" * 400)
@example(flag=("gan", "--restarts"), value="1" + "0" * 400)  # regression: ran (nearly) forever
# issue 27 regressions: huge sizes crashed in torch (traceback) or ran (nearly) forever
@example(flag=("gan train", "--steps"), value="1" + "0" * 400)
@example(flag=("gan train", "--seed"), value="1" + "0" * 400)
@example(flag=("gan face", "--steps"), value="1" + "0" * 400)
@example(flag=("gan face", "--batch"), value="1" + "0" * 400)
@example(flag=("gan face", "--n-test"), value="1" + "0" * 400)
@example(flag=("gan face", "--seed"), value="1" + "0" * 400)
@example(flag=("birthday model", "--s"), value="1" + "0" * 400)
@example(flag=("birthday model", "--trials"), value="1" + "0" * 400)
@example(flag=("birthday", "--support"), value="1" + "0" * 400)
@example(flag=("birthday", "--d"), value="1" + "0" * 400)
@example(flag=("birthday", "--n-real"), value="1" + "0" * 400)
def test_hostile_flag_values_never_give_a_traceback(flag, value):
    cmd, name = flag
    argv = _argv(cmd, name, value)
    code, out, err = _run(argv)
    _assert_clean(argv, code, out, err)


@settings(deadline=None)
@given(flag=st.sampled_from(FLAGS), value=st.text(min_size=0, max_size=40))
@example(flag=("certify", "--out"), value="\x00")  # regression: "embedded null byte" traceback
def test_random_text_flag_values_never_give_a_traceback(flag, value):
    cmd, name = flag
    argv = _argv(cmd, name, value)
    code, out, err = _run(argv)
    _assert_clean(argv, code, out, err)


def test_every_subcommand_help_exits_0():
    assert {"gan train", "gan face", "gan stacked", "birthday model"} <= {c for c, _ in FLAGS}
    for cmd in {c for c, _ in FLAGS}:
        code, out, err = _run([w for w in cmd.split() if w != "model"] + ["--help"])
        assert code == 0 and out.startswith("usage: checker") and not err, cmd
