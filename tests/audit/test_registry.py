"""The theorem registry is one source of truth: for every theorem its bound-library statements
exist, its outline file and theorem node exist, and its experiments are registered."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.audit import load_outline
from checker.registry import THEOREMS, get_theorem, theorem_ids

PROOFS = Path(__file__).resolve().parents[2] / "proofs"


@pytest.mark.parametrize("theorem", THEOREMS, ids=lambda t: t.id)
def test_statements_exist_in_bound_library(theorem):
    from checker import bounds

    for sid in theorem.statements:
        assert bounds.get(sid).id == sid


@pytest.mark.parametrize("theorem", THEOREMS, ids=lambda t: t.id)
def test_outline_and_node_exist(theorem):
    outline = load_outline(PROOFS / theorem.outline)
    nodes = {n.id: n for n in outline.nodes}
    assert theorem.node in nodes
    assert nodes[theorem.node].kind == "theorem"


@pytest.mark.parametrize("theorem", THEOREMS, ids=lambda t: t.id)
def test_experiments_registered_and_cited_by_outline(theorem):
    from checker import experiments

    outline = load_outline(PROOFS / theorem.outline)
    cited = {c.options["name"] for n in outline.nodes for c in n.checks if c.kind == "experiment"}
    for name in theorem.experiments:
        assert experiments.get(name).name == name
        assert name in cited, f"{name} is registered for {theorem.id} but no outline node uses it"


def test_every_outline_theorem_is_registered():
    registered = {(t.outline, t.node) for t in THEOREMS}
    for f in sorted(PROOFS.glob("*.toml")):
        if f.name == "allowlist.toml":
            continue
        for n in load_outline(f).nodes:
            if n.kind == "theorem":
                assert (f.name, n.id) in registered, f"{f.name}:{n.id} missing from checker.registry"


def test_get_theorem_errors_are_clear():
    from checker.errors import InvalidArgument

    assert get_theorem(theorem_ids()[0]).id == theorem_ids()[0]
    with pytest.raises(InvalidArgument, match="did you mean"):
        get_theorem("arora-thm")
