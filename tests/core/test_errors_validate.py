"""Foundation: the error hierarchy and validation helpers."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checker.errors import CheckerError, InvalidArgument, OutlineError
from checker.validate import finite, integer, one_of, positive, positive_int, probability


def test_invalid_argument_names_parameter_value_and_rule():
    with pytest.raises(InvalidArgument) as info:
        positive("eps", 0)
    assert str(info.value) == "eps=0 must be > 0"
    assert isinstance(info.value, ValueError) and isinstance(info.value, CheckerError)
    assert info.value.name == "eps"


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, "abc", None, [1]])
def test_finite_rejects_non_finite_and_non_numbers(bad):
    with pytest.raises(InvalidArgument, match="^x="):
        finite("x", bad)


@given(st.floats(min_value=1e-300, max_value=1e300))
def test_positive_accepts_positive_floats(x):
    assert positive("x", x) == x


def test_integer_rules():
    assert integer("m", 4.0) == 4
    with pytest.raises(InvalidArgument, match="must be an integer"):
        integer("m", 4.5)
    with pytest.raises(InvalidArgument, match="must be an integer"):
        integer("m", True)
    with pytest.raises(InvalidArgument, match=">= 1"):
        positive_int("m", 0)


def test_probability_open_interval():
    assert probability("q", 0.5) == 0.5
    for bad in (0, 1, -0.1, 1.5):
        with pytest.raises(InvalidArgument):
            probability("q", bad)


def test_one_of_suggests_close_matches():
    with pytest.raises(InvalidArgument, match="did you mean 'synthetic'"):
        one_of("dataset", "synthetc", ["synthetic", "mnist", "digits"])


def test_outline_error_names_file_node_and_column():
    err = OutlineError("unknown name 'foo'", file="proofs/x.toml", node="a.b", column=7)
    assert str(err) == "proofs/x.toml, node 'a.b', column 7: unknown name 'foo'"


# -- output folders (the shared --out guard) ------------------------------------------------------
def test_output_dir_creates_nested_folders(tmp_path):
    from checker.validate import output_dir

    p = output_dir("--out", tmp_path / "a" / "b")
    assert p.is_dir() and p == tmp_path / "a" / "b"
    assert output_dir("--out", str(p)) == p  # an existing folder is fine


@pytest.mark.parametrize("case", ["file", "below_file", "empty", "nul", "unwritable", "too_long"])
def test_output_dir_errors_name_the_parameter(tmp_path, case):
    import os

    from checker.validate import output_dir

    f = tmp_path / "f"
    f.write_text("x")
    path = {"file": str(f), "below_file": str(f / "sub" / "dir"), "empty": "  ", "nul": "a\x00b",
            "unwritable": "/proc/checker-cannot-create-here", "too_long": str(tmp_path / ("x" * 5000))}[case]
    if case == "unwritable" and not os.path.isdir("/proc"):  # pragma: no cover - non-Linux
        path = str(f / "x")
    with pytest.raises(InvalidArgument, match=r"^--out=") as info:
        output_dir("--out", path)
    rule = {"file": "a file is in the way", "below_file": "below the file", "empty": "not empty",
            "nul": "NUL", "unwritable": "cannot be created", "too_long": "cannot be created"}[case]
    if case == "unwritable" and not os.path.isdir("/proc"):  # pragma: no cover
        rule = "below the file"
    assert rule in str(info.value)
    assert "\n" not in str(info.value)


def test_output_dir_refuses_a_folder_it_cannot_write(tmp_path, monkeypatch):
    import tempfile

    from checker.validate import output_dir

    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)  # root can write anywhere: simulate
    with pytest.raises(InvalidArgument, match="cannot be written to"):
        output_dir("--out", tmp_path)
