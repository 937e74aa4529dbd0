"""Mutation tests: programmatically mutate real claims of proofs/ and require the audit to fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.audit import audit

PROOFS = Path(__file__).resolve().parents[2] / "proofs"

# (file, node id, original claim text, mutant claim text, what the mutation does)
MUTANTS = [
    ("arora_thm1.toml", "arora.c6.net_radius", 'claim = "2*L*L_phi*eta + (2*R/eta - 16*R*L*L_phi/eps) == eps/4"',
     'claim = "2*L*L_phi*eta + (2*R/eta - 16*R*L*L_phi/eps) == eps/8"', "shrink a constant"),
    ("arora_thm1.toml", "arora.c4.mcdiarmid_exponent", 'claim = "2*t**2/(m*c**2) == m*t**2/(2*Delta**2)"',
     'claim = "2*t**2/(m*c**2) == m*t**2/(Delta**2)"', "drop a factor"),
    ("arora_thm1.toml", "arora.c8.ramp_error", 'claim = "2*Delta*nuA <= eps/4"', 'claim = "2*Delta*nuA <= eps/5"',
     "shrink a constant in a claimed bound"),
    ("arora_thm1.toml", "arora.paper_m.constant", 'claim = "8*(p*y + l2) + 2*r <= 39*p*u**2"',
     'claim = "8*(p*y + l2) + 2*r <= 30*p*u**2"', "shrink the absolute constant C"),
    ("sinha.toml", "sinha.weak_duality", 'claim = "El <= gamma*rho + Ephi"', 'claim = "El >= gamma*rho + Ephi"',
     "flip an inequality"),
    ("sinha.toml", "sinha.gradient_bias", 'claim = "dn**2 <= 2*Ltz**2*eps/lam"', 'claim = "dn**2 <= Ltz**2*eps/lam"',
     "drop a factor 2"),
    ("sinha.toml", "sinha.inner_correction", 'claim = "g*r - mu*r**2/2 <= g**2/(2*mu)"',
     'claim = "g*r - mu*r**2/2 <= g**2/(4*mu)"', "shrink a constant"),
    ("birthday.toml", "birthday.tb_rho1", 'claim = "M**2/(2*Nb) + M**3/(6*Nb**2) == y"',
     'claim = "M**2/(2*Nb) + M**3/(3*Nb**2) == y"', "change a constant"),
]


@pytest.mark.parametrize("file,nid,orig,mutant,what", MUTANTS, ids=[m[1] + ":" + m[4] for m in MUTANTS])
def test_mutant_is_caught(tmp_path, file, nid, orig, mutant, what):
    text = (PROOFS / file).read_text()
    assert text.count(orig) == 1, f"mutation site vanished from {file}; update the test"
    p = tmp_path / file
    p.write_text(text.replace(orig, mutant))
    r = audit([p], run_experiments=False, cache=False, allowlist=PROOFS / "allowlist.toml")
    own = r.nodes[nid]
    assert own.own in ("refuted", "undecided"), f"{what}: {nid} still {own.own}"
    assert own.status != "fully checked" and not r.passed


def test_unmutated_algebra_of_mutated_nodes_passes(tmp_path):
    # control: the same nodes are proved when not mutated (so the mutants fail for the mutation)
    for file in {m[0] for m in MUTANTS}:
        r = audit([PROOFS / file], run_experiments=False, cache=False)
        for f, nid, *_ in MUTANTS:
            if f == file:
                verdicts = [c.verdict for c in r.nodes[nid].checks if c.kind != "experiment"]
                assert verdicts and "proved" in verdicts and set(verdicts) <= {"proved", "tested"}, (nid, verdicts)
