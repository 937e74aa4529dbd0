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
