"""Mutation suite of the audit (issues 11.9 and 17): mutate the repository's proofs/ (or the
bound library it is bound to) one way at a time and require the audit to fail with a message
naming the mutated node (or the theorem that now rests on something it may not).

Classes: constant/inequality, structural (edge deletion, node-kind change, check swap, citation
laundering), vacuity, name capture, box-only, prose-only, cache poisoning, library function.
Experiments are stubbed (structure only); one cache is shared so each mutant re-checks only what
it changed. The catch rate is reported by ``python3 -m tests.audit.test_mutation``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from checker.audit import audit
from checker.errors import OutlineError
from tests.audit._stubs import stub_experiments  # noqa: F401 - fixture

PROOFS = Path(__file__).resolve().parents[2] / "proofs"

# (class, file, node named in the failure, original text, mutant text)
MUTANTS = [
    # constants and inequalities
    ("constant", "arora_thm1.toml", "arora.c6.net_radius",
     'claim = "2*L*L_phi*eta + (2*R/eta - 16*R*L*L_phi/eps) == eps/4"',
     'claim = "2*L*L_phi*eta + (2*R/eta - 16*R*L*L_phi/eps) == eps/8"'),
    ("constant", "arora_thm1.toml", "arora.c4.mcdiarmid_exponent", 'claim = "2*t**2/(m*c**2) == m*t**2/(2*Delta**2)"',
     'claim = "2*t**2/(m*c**2) == m*t**2/(Delta**2)"'),
    ("constant", "arora_thm1.toml", "arora.c8.ramp_error", 'claim = "2*Delta*nuA <= eps/4"', 'claim = "2*Delta*nuA <= eps/5"'),
    ("constant", "arora_thm1.toml", "arora.paper_m.constant", 'claim = "8*(p*y + l2) + 2*r <= 39*p*u**2"',
     'claim = "8*(p*y + l2) + 2*r <= 30*p*u**2"'),
    ("constant", "sinha.toml", "sinha.gradient_bias", 'claim = "dn**2 <= 2*Ltz**2*eps/lam"',
     'claim = "dn**2 <= Ltz**2*eps/lam"'),
    ("constant", "sinha.toml", "sinha.inner_correction", 'claim = "g*r - mu*r**2/2 <= g**2/(2*mu)"',
     'claim = "g*r - mu*r**2/2 <= g**2/(4*mu)"'),
    ("constant", "birthday.toml", "birthday.tb_rho1", 'claim = "M**2/(2*Nb) + M**3/(6*Nb**2) == y"',
     'claim = "M**2/(2*Nb) + M**3/(3*Nb**2) == y"'),
    ("inequality", "sinha.toml", "sinha.weak_duality", 'claim = "El <= gamma*rho + Ephi"', 'claim = "El >= gamma*rho + Ephi"'),
    ("inequality", "sinha.toml", "sinha.thm2",
     'claim = "G/T - 4*Ltz**2*eps/lam <= 4*sigma*sqrt(Lphi*DF/T)"',
     'claim = "G/T - 4*Ltz**2*eps/lam <= 3*sigma*sqrt(Lphi*DF/T)"'),
    ("inequality", "sinha.toml", "sinha.thm4", 'claim = "logP <= log(2) + logN - n*t**2/(8*K**2)"',
     'claim = "logP <= log(2) + logN - n*t**2/(K**2)"'),
    # structural: edge deletion (a used claim removed: the claim no longer follows)
    ("edge deletion", "sinha.toml", "sinha.lemma1",
     '[[node.uses]]\nnode = "cite.danskin"\nsubs = { g = "g", Ltt = "Ltt", Ltz = "Ltz", dth = "dth", dz = "dz" }\n', ""),
    ("edge deletion", "sinha.toml", "sinha.thm3",
     '[[node.uses]]\nnode = "cite.concentration"\nsubs = { Ephi = "Ephi", EPn = "EPn", epsn = "epsn" }\n', ""),
    ("edge deletion", "sinha.toml", "sinha.thm2",
     '[[node.uses]]\nnode = "sinha.thm2.one_step"\n', '[[node.uses]]\nnode = "sinha.thm2.alpha_small"\n'),
    # structural: node-kind change
    ("node kind", "sinha.toml", "cite.danskin", 'id = "cite.danskin"\nkind = "cited"', 'id = "cite.danskin"\nkind = "lemma"'),
    ("node kind", "sinha.toml", "sinha.thm2.one_step", 'id = "sinha.thm2.one_step"\nkind = "assumption"',
     'id = "sinha.thm2.one_step"\nkind = "lemma"'),
    ("node kind", "arora_thm1.toml", "arora.hyp.nu", 'id = "arora.hyp.nu"\nkind = "assumption"',
     'id = "arora.hyp.nu"\nkind = "definition"'),
    # structural: check swap (an unrelated experiment, a check of another claim)
    ("check swap", "arora_thm1.toml", "arora.c3", 'checks = [{ kind = "experiment", name = "arora.block_probabilities" }]',
     'checks = [{ kind = "experiment", name = "arora.variance_over_pools" }]'),
    ("check swap", "sinha.toml", "sinha.thm3", 'name = "sinha.certificate_not_exceeded"', 'name = "sinha.identity_13"'),
    # structural: citation laundering (a name on the allow-list supports a project claim)
    ("citation laundering", "sinha.toml", "sinha.transport_lipschitz",
     'claim = "dz <= Lzt*dth/lam"\n[[node.checks]]\nkind = "smt"',
     'claim = "dz <= Lzt*dth/lam"\n[[node.checks]]\nkind = "cited"\nname = "strong-monotonicity"\nreference = "r"'),
    ("citation laundering", "arora_thm1.toml", "arora.c8.param_count",
     '[[node.checks]]\nkind = "symbolic"\n[[node.checks]]\nkind = "experiment"\nname = "arora.param_count_matches_formula"',
     '[[node.checks]]\nkind = "cited"\nname = "union-bound"\nreference = "r"\n[[node.checks]]\nkind = "experiment"\n'
     'name = "arora.param_count_matches_formula"'),
    # vacuity: contradictory hypotheses make anything "follow"
    ("vacuity", "sinha.toml", "sinha.lphi", 'hypotheses = ["g <= Ltt*dth + Ltz*dz", "dz <= Lzt*dth/lam"]',
     'hypotheses = ["g <= Ltt*dth + Ltz*dz", "dz <= Lzt*dth/lam", "lam < 0"]'),
    ("vacuity", "arora_thm1.toml", "arora.c7.mstar_exceeds", 'hypotheses = ["c >= A"]\nclaim = "c + 1 > A"',
     'hypotheses = ["c >= A", "c < A"]\nclaim = "c > A + 1"'),
    # name capture: an auxiliary-looking symbol
    ("name capture", "sinha.toml", "sinha.gradient_bias",
     'symbols = { lam = "positive", eps = "nonnegative", Ltz = "nonnegative", dz = "nonnegative", dn = "nonnegative" }',
     'symbols = { lam = "positive", eps = "nonnegative", Ltz = "nonnegative", dz = "nonnegative", dn = "nonnegative", _sqrt0 = "real" }'),
    # box-only: a rigorous proof on a box is not a proof on the domain
    ("box-only", "sinha.toml", "sinha.thm4",
     'reference = "W. Hoeffding, JASA 1963, Thm 2"\n',
     'reference = "W. Hoeffding, JASA 1963, Thm 2"\n[[node.checks]]\nkind = "interval"\n'
     'box = { logP1 = ["-1", "0"], n = ["1", "2"], s = ["1/10", "1/5"], K = ["9", "10"] }\n'),
    # prose-only: the claim replaced by prose
    ("prose-only", "sinha.toml", "sinha.transport_lipschitz", 'claim = "dz <= Lzt*dth/lam"\n',
     'text = "dz <= Lzt*dth/lam (in words)"\n'),
    ("prose-only", "sinha.toml", "sinha.cor4", 'claim = "Lgrad <= sqrt(2)*bL + aL**2"\n', ""),
]


def _failure_text(r) -> str:
    return "\n".join(r.failures())


def _mutated_dir(tmp_path, file, orig, mutant) -> Path:
    # the mutated file alone (outlines do not reference each other's nodes) and the allow-list
    d = tmp_path / "proofs"
    d.mkdir()
    shutil.copy(PROOFS / file, d / file)
    shutil.copy(PROOFS / "allowlist.toml", d / "allowlist.toml")
    text = (d / file).read_text()
    assert text.count(orig) == 1, f"mutation site vanished from {file}; update the test"
    (d / file).write_text(text.replace(orig, mutant))
    return d


def run_mutant(tmp_path, cls, file, nid, orig, mutant) -> tuple[bool, str]:
    """(caught, message): caught when the audit fails (or refuses the outline) naming ``nid``."""
    d = _mutated_dir(tmp_path, file, orig, mutant)
    try:
        r = audit([d])
    except OutlineError as exc:
        return nid in str(exc), str(exc)
    text = _failure_text(r)
    return (not r.passed) and f"'{nid}'" in text, text


@pytest.mark.parametrize("cls,file,nid,orig,mutant", MUTANTS, ids=[f"{m[0]}:{m[2]}" for m in MUTANTS])
def test_mutant_is_caught(tmp_path, stub_experiments, shared_cache, cls, file, nid, orig, mutant):  # noqa: F811
    caught, text = run_mutant(tmp_path, cls, file, nid, orig, mutant)
    assert caught, f"{cls} mutant of {nid} survived:\n{text}"


def test_control_unmutated_proofs_pass(stub_experiments, shared_cache):  # noqa: F811
    # negative control: the same audit passes without a mutation, so each mutant fails for it
    r = audit([PROOFS])
    assert r.passed, r.failures()


def test_cache_poisoning_is_rejected(tmp_path, stub_experiments, shared_cache):  # noqa: F811
    cls, file, nid, orig, mutant = MUTANTS[0]
    d = _mutated_dir(tmp_path, file, orig, mutant)
    r1 = audit([d])
    assert r1.nodes[nid].status == "refuted"
    # plant a "proved" verdict in every cache entry of that node, keeping the old hash
    planted = 0
    for f in Path(shared_cache).glob("*.json"):
        entry = json.loads(f.read_text())
        if entry["result"]["kind"] == "symbolic" and entry["result"]["verdict"] == "refuted" \
                and "eps/8" in json.dumps(entry):
            entry["result"]["verdict"] = "proved"
            f.write_text(json.dumps(entry))
            planted += 1
    assert planted >= 1
    r2 = audit([d])
    assert r2.nodes[nid].status == "refuted" and r2.cache_rejected >= planted and not r2.passed


def test_library_expression_mutation_is_caught(monkeypatch, stub_experiments, shared_cache):  # noqa: F811
    # a changed term in the bound library's failure exponent no longer equals the outline's claim
    import dataclasses

    import sympy as sp

    from checker import bounds

    real_get = bounds.get
    stmt = real_get("arora-mstar")
    exprs = tuple((k, v + sp.Rational(1, 100) if k == "log_failure_probability" else v) for k, v in stmt.exprs)
    mutated = dataclasses.replace(stmt, exprs=exprs)
    monkeypatch.setattr(bounds, "get", lambda sid: mutated if sid == "arora-mstar" else real_get(sid))
    r = audit([PROOFS / "arora_thm1.toml"], allowlist=PROOFS / "allowlist.toml")
    assert not r.passed and "'arora.c7.union_bound'" in _failure_text(r)


def test_library_numeric_evaluator_mutation_is_caught(monkeypatch, stub_experiments, shared_cache):  # noqa: F811
    from checker import bounds

    real = bounds.evaluate

    def off_by_one_percent(stmt, values=None, **kw):
        ev = real(stmt, values, **kw)
        return type(ev)(**{**ev.__dict__, "values": {k: v * 1.01 for k, v in ev.values.items()}})

    monkeypatch.setattr(bounds, "evaluate", off_by_one_percent)
    r = audit([PROOFS / "arora_thm1.toml"], allowlist=PROOFS / "allowlist.toml")
    assert not r.passed and "'arora.c7.union_bound'" in _failure_text(r)


def catch_rate(tmp_root: Path) -> tuple[int, int, list[str]]:
    """Run every mutant of MUTANTS (experiments stubbed) and count the caught ones."""
    from checker import experiments
    from checker.experiments import ExperimentResult

    experiments.run = lambda name, *, seed=0, quick=True, reuse=True: ExperimentResult(passed=True, summary="stub")
    caught, missed = 0, []
    for k, (cls, file, nid, orig, mutant) in enumerate(MUTANTS):
        sub = tmp_root / f"m{k}"
        sub.mkdir()
        ok, _ = run_mutant(sub, cls, file, nid, orig, mutant)
        caught += ok
        if not ok:
            missed.append(f"{cls}:{nid}")
    return caught, len(MUTANTS), missed


if __name__ == "__main__":  # pragma: no cover - the catch-rate report of the suite
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        c, n, missed = catch_rate(Path(tmp))
        print(f"mutants caught: {c}/{n}" + (f"; missed: {', '.join(missed)}" if missed else ""))
