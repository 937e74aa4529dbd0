"""The stages of the main job, one function per capability.

Each function takes a :class:`~checker.pipeline.StageContext` and returns a
:class:`~checker.pipeline.StageResult` whose checks say what kind of evidence backs them.
Quick settings are the default; ``ctx.config.full`` selects paper-scale ones.
"""

from __future__ import annotations

from checker.pipeline import Check, Stage, StageContext, StageResult

__all__ = ["STAGES"]


def stage_bounds(ctx: StageContext) -> StageResult:
    """Evaluate both papers' bounds at a default parameter set and cross-check exact vs float."""
    from checker.bounds import arora_thm1, birthday

    p, Delta, L, L_phi, eps = 1000, 1, 1, 1, 0.1
    m_paper = arora_thm1.paper_m(p, Delta, L, L_phi, eps, C=1)
    m_star = arora_thm1.mstar(p, Delta, L, L_phi, eps, R=1)
    m_mcd = arora_thm1.mcdiarmid_m(p, Delta, L, L_phi, eps, R=1)
    coll = birthday.collision_probability(365, 23)
    checks = (
        Check(name="explicit m* is an integer above the continuous bound", passed=isinstance(m_star, int) and m_star > 0,
              evidence="exact", summary=f"m* = {m_star:,} for p={p}, Δ=L=L_φ=R=1, ε={eps}"),
        Check(name="Hoeffding route needs fewer images than McDiarmid+Markov", passed=m_star < m_mcd,
              evidence="exact", summary=f"{m_star:,} < {m_mcd:,}"),
        Check(name="birthday: 23 people, 365 days", passed=abs(coll - 0.5073) < 5e-5,
              evidence="exact", summary=f"P(collision) = {coll:.4f} (textbook value 0.5073)"),
    )
    data = {"parameters": {"p": p, "Delta": Delta, "L": L, "L_phi": L_phi, "eps": eps, "R": 1},
            "paper_m_C1": m_paper, "m_star": m_star, "m_mcdiarmid": m_mcd,
            "birthday_23_365": coll}
    return StageResult(stage="bounds", title="Bounds", checks=checks, data=data)


STAGES: tuple[Stage, ...] = (
    Stage(name="bounds", title="Bounds", func=stage_bounds, sources=("bounds",)),
)
