"""Pins of the statement records and registry (:mod:`checker.bounds.statement`, issue 17): every
validation branch of :class:`Param`, :class:`Flag` and :class:`Statement` raises the named error,
the domains carry exactly their sympy assumptions, and the registry helpers behave as documented.
"""

from __future__ import annotations

import pytest
import sympy as sp

from checker.bounds import statement as st
from checker.bounds.statement import DOMAINS, Flag, Param, Statement, get, ids
from tests.bounds.helpers import raises

X = sp.Symbol("x", positive=True, finite=True)



def test_domains_carry_their_assumptions():
    want = {"positive": dict(positive=True, finite=True),
            "nonnegative": dict(nonnegative=True, finite=True),
            "real": dict(real=True, finite=True),
            "positive_int": dict(positive=True, integer=True),
            "nonnegative_int": dict(nonnegative=True, integer=True),
            "probability": dict(positive=True, finite=True),
            "unit_interval": dict(positive=True, finite=True),
            "at_least_one": dict(positive=True, finite=True)}
    assert dict(DOMAINS) == want
    for dom, ass in want.items():
        s = Param(name="v", paper="v", description="", domain=dom).symbol
        for k in ass:
            assert getattr(s, "is_" + k) is True, (dom, k)


def test_param_fields_and_checks():
    p = Param(name="L_phi", paper="L", description="d")
    assert p.domain == "positive" and p.default is None and p.hidden is False
    assert p.default_note == ""
    assert p.cli == "--L-phi" and p.is_integer is False
    assert Param(name="n", paper="n", description="", domain="positive_int").is_integer
    assert Param(name="n", paper="n", description="", domain="nonnegative_int").is_integer
    assert not Param(name="n", paper="n", description="", domain="nonnegative").is_integer
    q = Param(name="q", paper="q", description="", default=0.25)
    assert q.default == sp.Rational(1, 4) and isinstance(q.default, sp.Rational)
    assert Param(name="z", paper="z", description="", default=0).default == 0
    raises("domain", "must be one of", Param, name="a", paper="a", description="",
           domain="weird")
    raises("name", "Python identifier", Param, name="a-b", paper="a", description="")


def test_flag_kind_checked():
    f = Flag(kind="vacuous", when=sp.Gt(X, 1), message="m")
    assert f.exprs == ()
    Flag(kind="outside_domain", when=sp.Gt(X, 1), message="m")
    raises("kind", "must be one of outside_domain, vacuous", Flag, kind="bad",
           when=sp.Gt(X, 1), message="m")


def _stmt(**kw):
    base = dict(id="t-x", title="t", summary="s", paper="p", reference="r", reliability="[D]",
                form="derived", params=(Param(name="x", paper="x", description=""),),
                exprs=(("a", X), ("b", 2 * X)))
    base.update(kw)
    return Statement(**base)


def test_statement_checks_and_primary():
    s = _stmt()
    assert s.primary == "a" and s.expression == X
    assert _stmt(primary="b").primary == "b"
    assert s.relations == () and s.conditions == () and s.flags == () and s.senses == ()
    assert s.module == "" and s.hidden == () and s.assumed == () and s.notes == ()
    raises("form", "must be one of paper, paper-hidden-constant, derived, reported", _stmt,
           form="nope")
    raises("exprs", "at least one expression", _stmt, exprs=())
    raises("params", "distinct names", _stmt,
           params=(Param(name="x", paper="x", description=""),) * 2)
    raises("primary", "must name one of the expressions", _stmt, primary="c")
    with pytest.raises(AssertionError, match="undeclared symbols"):
        _stmt(exprs=(("a", X + sp.Symbol("y")),))
    with pytest.raises(AssertionError, match="undeclared symbols"):
        _stmt(exprs=(("a", X + sp.Dummy("w")),))
    # module is not part of equality
    assert _stmt(module="m1") == _stmt(module="m2")


def test_statement_views():
    s = _stmt(relations=(("r", sp.Le(X, 3)),), senses=(("a", "le"),))
    assert s.sense("a") == "le" and s.sense("b") is None
    assert s.expressions == {"a": X, "b": 2 * X}
    assert s.symbols == {"x": X}
    assert s.param("x").name == "x"
    e = raises("parameter", "is not a parameter of 't-x' (parameters: x)", s.param, "xx")
    assert e.hint == "did you mean 'x'?"
    e = raises("parameter", "is not a parameter", s.param, "completely_else")
    assert e.hint is None
    assert s.latex("a") == "x" and s.latex("r") == r"x \leq 3"
    assert s.latex() == r"a = x \\ b = 2 x \\ r: x \leq 3"
    e = raises("name", "is not an expression of 't-x'", s.latex, "zz")
    assert e.hint == "choose from a, b, r"
    d = s.describe()
    assert d["params"][0]["default"] is None and d["expressions"] == {"a": "x", "b": "2*x"}
    assert d["relations"] == {"r": "x <= 3"}
    q = _stmt(params=(Param(name="x", paper="x", description="", default=0.5),))
    assert q.describe()["params"][0]["default"] == "1/2"


def test_registry_helpers():
    s = get("sinha-concavity")
    assert get(s) is s
    raises("id", "must be a statement id (a string)", get, 3)
    e = raises("id", "is not a known bound statement id", get, "sinha-concavty")
    assert "did you mean 'sinha-concavity'" in e.hint
    e = raises("id", "is not a known bound statement id", get, "zzzzzzzzzz")
    assert "checker bound --list" in e.hint
    assert ids()[0] == "arora-thm1" and len(ids()) == len(set(ids()))
    assert [x.id for x in st.statements()] == ids()
    # a registered statement is returned without importing again; re-registering the same is fine
    assert st.register(s) is s


def test_get_imports_only_the_requested_module(monkeypatch):
    import importlib

    from checker.bounds.sinha_lemma1 import LPHI

    calls = []

    def fake_import(mod):
        calls.append(mod)
        st._REGISTRY[LPHI.id] = LPHI      # what importing the module does: register it
    monkeypatch.setattr(importlib, "import_module", fake_import)
    get("sinha-lphi")                     # registered already: nothing imported
    assert calls == []
    monkeypatch.delitem(st._REGISTRY, "sinha-lphi")
    assert get("sinha-lphi") is LPHI
    assert calls == ["checker.bounds.sinha_lemma1"]
    st._load("not-an-id")                 # unknown ids import nothing
    assert calls == ["checker.bounds.sinha_lemma1"]
    monkeypatch.delitem(st._REGISTRY, "sinha-lphi")
    st._load_all()                        # every missing statement's module is imported
    assert "checker.bounds.sinha_lemma1" in calls[1:]
