"""The statement registry: required ids, provenance fields, exact constants, purity."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest
import sympy as sp

import checker.bounds as bounds
from checker.errors import InvalidArgument
from checker.registry import THEOREMS

REQUIRED = """arora-thm1 arora-mstar arora-mcdiarmid arora-encoder-size arora-generator-size
arora-ramp-width arora-ramp-mass birthday-collision birthday-exp-bound birthday-sample-size
birthday-inversion birthday-tb birthday-mass-lower-bound birthday-ta sinha-certificate
sinha-weak-duality sinha-identity13 sinha-concavity sinha-lphi sinha-transport-lipschitz
sinha-gradient-bias sinha-thm2 sinha-cor1 sinha-thm4-tail sinha-nn-smoothness
sinha-inner-correction sinha-linear-closed-form""".split()


def test_required_ids_exist():
    missing = set(REQUIRED) - set(bounds.ids())
    assert not missing


def test_theorem_registry_statements_exist():
    for thm in THEOREMS:
        for sid in thm.statements:
            assert bounds.get(sid).id == sid, (thm.id, sid)


@pytest.mark.parametrize("stmt", bounds.statements(), ids=lambda s: s.id)
def test_statement_is_exact_and_documented(stmt):
    assert stmt.form in bounds.FORMS
    assert stmt.reliability.startswith("[")
    assert stmt.paper and stmt.reference and stmt.summary
    for key, e in list(stmt.exprs) + list(stmt.relations):
        assert not e.atoms(sp.Float), f"{stmt.id}:{key} contains a float constant"
    mod = importlib.import_module(stmt.module)
    doc = mod.__doc__ or ""
    assert ".. math::" in doc, stmt.module
    assert "arXiv" in doc or "ICLR" in doc, stmt.module
    assert stmt.latex()
    assert stmt.describe()["id"] == stmt.id


def test_reported_forms_are_the_refuted_or_qualified_ones():
    reported = {s.id for s in bounds.statements() if s.form == "reported"}
    assert {"birthday-ta", "birthday-tb", "sinha-thm2-iclr"} <= reported
    assert bounds.get("arora-thm1").form == "paper-hidden-constant"
    assert bounds.get("arora-mstar").form == "derived"


def test_unknown_id_suggests():
    with pytest.raises(InvalidArgument, match="did you mean 'arora-thm1'"):
        bounds.get("arora-thm")


def test_import_is_pure():
    code = ("import sys, checker.bounds as b; b.statements(); "
            "bad = [m for m in ('torch', 'networkx') if m in sys.modules]; "
            "print(','.join(bad)); sys.exit(1 if bad else 0)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_static_module_table_matches_the_registry():
    from checker.bounds._modules import STATEMENT_MODULES

    for s in bounds.statements():
        assert STATEMENT_MODULES[s.id] == s.module
    assert len(bounds.statements()) == len(STATEMENT_MODULES)
