"""The theorem registry: one source of truth tying each theorem to its statements in the bound
library, its proof outline in ``proofs/``, the experiment checks that support it and its docs
page. The docs' theorem pages and the report's theorem table are generated from here, and a
test fails when any linked item is missing.

This module is pure data (no sympy, no torch) so anything may import it cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Theorem", "THEOREMS", "get_theorem", "theorem_ids"]


@dataclass(frozen=True, kw_only=True)
class Theorem:
    """A theorem checker knows about.

    ``statements``: ids in the bound library (``checker.bounds``) that state it or its parts.
    ``outline``: path of its proof outline, relative to the repository's ``proofs/`` folder.
    ``node``: id of the theorem node inside that outline.
    ``experiments``: names in :mod:`checker.experiments` that check it on built objects.
    ``docs``: docs page slug (``docs/theorems/<slug>.md``, generated).
    ``reliability``: tag of the statement's source as in docs/math/sources.md ([P], [P via S],
    [A], [S], [R], [D]).
    """

    id: str
    title: str
    paper: str
    reference: str
    statements: tuple[str, ...]
    outline: str
    node: str
    experiments: tuple[str, ...] = ()
    docs: str = ""
    reliability: str = ""

    @property
    def docs_slug(self) -> str:
        return self.docs or self.id


THEOREMS: tuple[Theorem, ...] = (
    Theorem(
        id="arora-thm1",
        title="Encoder-decoder GANs: a small-support generator and a tiny encoder fool every "
              "L-Lipschitz discriminator of p parameters",
        paper="Arora, Risteski, Zhang, ICLR 2018 (arXiv 1711.02651)",
        reference="Theorem 1 (Main); explicit constants: checker's own derivation (docs/math/arora-thm1.md, \"Derivation of the explicit constants\" and \"Proof chain\")",
        statements=("arora-thm1", "arora-mstar", "arora-mcdiarmid", "arora-encoder-size",
                    "arora-generator-size", "arora-ramp-width", "arora-ramp-mass"),
        outline="arora_thm1.toml",
        node="arora.thm1",
        experiments=("arora.encoder_extracts_noise", "arora.encoder_inverts_generator",
                     "arora.generator_matches_ideal_off_ramp", "arora.ramp_mass_bound",
                     "arora.block_probabilities", "arora.mean_identity_c2",
                     "arora.variance_over_pools", "arora.bounded_differences_c4",
                     "arora.eps_net_perturbation_c6", "arora.param_count_matches_formula"),
        reliability="[S] statement, [A] idea, [R] constants",
    ),
    Theorem(
        id="birthday",
        title="Birthday-paradox test of support size: collision probabilities and inversions",
        paper="Arora & Zhang 2017 (arXiv 1706.08224); Arora, Risteski, Zhang, ICLR 2018",
        reference="Collision formulas (standard); theorems T-a, T-b as reported by a secondary source",
        statements=("birthday-collision", "birthday-exp-bound", "birthday-sample-size",
                    "birthday-inversion", "birthday-tb", "birthday-mass-lower-bound",
                    "birthday-ta"),
        outline="birthday.toml",
        node="birthday.support_test",
        experiments=("birthday.collision_probability_simulation",
                     "birthday.recovers_uniform_support"),
        reliability="[R, standard] formulas, [S] T-a/T-b",
    ),
    Theorem(
        id="sinha-duality",
        title="Lagrangian duality for Wasserstein balls (Proposition 1) and weak duality",
        paper="Sinha, Namkoong, Duchi, ICLR 2018 (arXiv 1710.10571)",
        reference="Proposition 1, eqs. (5), (6) (due to Blanchet & Murthy 2016); weak duality derived",
        statements=("sinha-weak-duality",),
        outline="sinha.toml",
        node="sinha.prop1",
        reliability="[P]",
    ),
    Theorem(
        id="sinha-lemma1",
        title="Smoothness of the robust surrogate (Lemma 1) and strong concavity of the inner problem",
        paper="Sinha, Namkoong, Duchi, ICLR 2018 (arXiv 1710.10571)",
        reference="Lemma 1; eq. (4); strong-concavity modulus for both cost scalings",
        statements=("sinha-concavity", "sinha-lphi", "sinha-transport-lipschitz"),
        outline="sinha.toml",
        node="sinha.lemma1",
        experiments=("sinha.closed_form_linear", "sinha.inner_ascent_monotone"),
        reliability="[P]; scaling caveat [D]",
    ),
    Theorem(
        id="sinha-thm2",
        title="Convergence of nonconvex SGD with approximate inner maximisation (Theorem 2, v5 constants)",
        paper="Sinha, Namkoong, Volpi, Duchi, arXiv 1710.10571v5",
        reference="Theorem 2 (p.6), proof §B.3, inequality (32)",
        statements=("sinha-thm2", "sinha-gradient-bias"),
        outline="sinha.toml",
        node="sinha.thm2",
        reliability="[P via S]",
    ),
    Theorem(
        id="sinha-thm3",
        title="The robustness certificate (Theorem 3), identity (13) and the test-set certificate",
        paper="Sinha, Namkoong, Duchi, ICLR 2018 (arXiv 1710.10571)",
        reference="Theorem 3, eqs. (11)-(13), (15); Corollary 1",
        statements=("sinha-certificate", "sinha-identity13", "sinha-cor1", "sinha-inner-correction"),
        outline="sinha.toml",
        node="sinha.thm3",
        experiments=("sinha.identity_13", "sinha.certificate_not_exceeded"),
        reliability="[P]; sound correction [D]",
    ),
    Theorem(
        id="sinha-thm4",
        title="Generalisation of the robustness level (Theorem 4, tail bound in its correct form)",
        paper="Sinha, Namkoong, Volpi, Duchi, arXiv 1710.10571v5",
        reference="Theorem 4 (eq. (17)); tail bound of §B.7",
        statements=("sinha-thm4-tail",),
        outline="sinha.toml",
        node="sinha.thm4",
        reliability="[P via S]",
    ),
    Theorem(
        id="sinha-cor4",
        title="Smoothness constants of neural networks (Proposition 5, Corollary 4)",
        paper="Sinha, Namkoong, Volpi, Duchi, arXiv 1710.10571v5",
        reference="§4, eqs. (19)-(21), Proposition 5, Corollary 4",
        statements=("sinha-nn-smoothness", "sinha-cor4-tight"),
        outline="sinha.toml",
        node="sinha.cor4",
        experiments=("sinha.lzz_bound_dominates_hessian",),
        reliability="[P via S]",
    ),
)


def theorem_ids() -> list[str]:
    return [t.id for t in THEOREMS]


def get_theorem(theorem_id: str) -> Theorem:
    for t in THEOREMS:
        if t.id == theorem_id:
            return t
    from checker.errors import InvalidArgument
    from checker.validate import suggest

    close = suggest(theorem_id, theorem_ids())
    raise InvalidArgument("theorem", theorem_id, "is not a known theorem id",
                          hint=f"did you mean {' or '.join(map(repr, close))}?" if close else None)
