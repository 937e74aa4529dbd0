"""What each experiment is evidence for: a hash of the claim it tests (issue 24.3).

An experiment of :mod:`checker.experiments` is evidence for one statement, not for a node id:
renaming a node keeps the binding, and editing a claim (its text, hypotheses, abbreviations,
symbols and domains, or the prose of a claim-less node) unbinds every experiment bound to it,
so the audit reports ``error: not bound to this claim`` until someone who has read the new claim
binds the experiment again here. :func:`claim_hash` is the hash; :data:`EXPERIMENT_CLAIMS` the
table (experiment name -> the hashes of the claims it tests). ``python3 -m checker.audit.bindings``
prints the hash of every node that carries an experiment check, for rebinding by hand.

No paper is formalised here; this module is infrastructure of the auditor.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

__all__ = ["claim_hash", "EXPERIMENT_CLAIMS", "bound_to"]


def claim_hash(node) -> str:
    """A 16-hex-digit SHA-256 prefix of what ``node`` claims: its statement's symbols with their
    domains, abbreviations, hypotheses, claim and prose; for a node without a formula claim the
    claim *is* its prose, so its title and paper statement count too."""
    st = node.statement
    src = st.source
    payload = {"symbols": sorted((str(k), str(v)) for k, v in dict(src.get("symbols") or {}).items()),
               "define": sorted((str(k), str(v)) for k, v in dict(src.get("define") or {}).items()),
               "hypotheses": [str(h) for h in src.get("hypotheses") or []],
               "claim": src.get("claim"), "text": st.text}
    if st.claim is None:
        payload["prose"] = [node.title, node.paper_statement]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


#: experiment name -> hashes of the claims it is evidence for (regenerate the list of current
#: hashes with ``python3 -m checker.audit.bindings``; bind only after reading the claim).
EXPERIMENT_CLAIMS: Mapping[str, tuple[str, ...]] = {
    "arora.encoder_extracts_noise": ("a498ac1156078d15",),  # arora.c1
    "arora.encoder_inverts_generator": ("a498ac1156078d15",),  # arora.c1
    "arora.mean_identity_c2": ("e59607324b20c971",),  # arora.c2
    "arora.block_probabilities": ("9a038dd23c518971",),  # arora.c3
    "arora.bounded_differences_c4": ("340d61146cb0f2d6",),  # arora.c4.bounded_differences
    "arora.variance_over_pools": ("fe3fb3c14b7a0dba",),  # arora.c43.variance
    "arora.eps_net_perturbation_c6": ("0304f80ef4378299",),  # arora.c6.net_radius
    "arora.ramp_mass_bound": ("007e31ff70e4e192",),  # arora.c8.ramp_error
    "arora.generator_matches_ideal_off_ramp": ("007e31ff70e4e192",),  # arora.c8.ramp_error
    "arora.param_count_matches_formula": ("0d9a923f9b2cd682",),  # arora.c8.param_count
    "birthday.collision_probability_simulation": ("a38abef75b8410ac", "0aec5c1e1c01c7d5",),  # birthday.no_collision_exact, birthday.ta_replacement
    "birthday.recovers_uniform_support": ("0257815ae2419700",),  # birthday.inversion
    "sinha.inner_ascent_monotone": ("809dd3eaf1a25d99",),  # sinha.concavity.half_cost
    "sinha.closed_form_linear": ("5665266b85ac469b",),  # sinha.closed_form
    "sinha.identity_13": ("544a61101eb139b6",),  # sinha.identity13
    "sinha.certificate_not_exceeded": ("b73ee77e18d0bcf0",),  # sinha.thm3
    "sinha.lzz_bound_dominates_hessian": ("9b9c0bd385685c97",),  # sinha.cor4
}


def bound_to(name: str) -> tuple[str, ...]:
    """The claim hashes experiment ``name`` is bound to (empty when unbound)."""
    return tuple(EXPERIMENT_CLAIMS.get(name, ()))


def _main() -> None:  # pragma: no cover - a helper for rebinding by hand
    from pathlib import Path

    from checker.audit.outline import load_outlines, outline_files

    # the repository's proofs/ folder, found without the auditor (which imports the engines,
    # which import this module: no import cycle)
    for o in load_outlines(outline_files([Path(__file__).resolve().parents[2] / "proofs"])):
        for n in o.nodes:
            for c in n.checks:
                if c.kind == "experiment":
                    print(f"{c.options['name']:45s} {n.id:35s} {claim_hash(n)}")


if __name__ == "__main__":  # pragma: no cover
    _main()
