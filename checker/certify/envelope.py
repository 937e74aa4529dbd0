r"""The certificate as a function of the budget :math:`\rho`: the envelope over :math:`\gamma`.

Paper: Sinha, Namkoong, Duchi, ICLR 2018, Theorem 3 and the test-set certificate (15)
(docs/math/sinha.md, Theorem 3). Weak duality holds for every :math:`\gamma\ge0`, so

.. math::

    \sup_{P:\,W_c(P,\hat P)\le\rho}\mathbb E_P\,\ell \;\le\; C(\rho) :=
    \min_{\gamma\in\Gamma_{\rm sound}}\ \gamma\rho+\overline{\mathbb E_{\hat P}\phi_\gamma},

the minimum over the penalties whose :math:`\overline{\mathbb E\phi_\gamma}` is a *sound* upper
bound (:func:`checker.certify.certify`). Values that are only estimates are kept apart
(``estimate_at``) and never enter :math:`C`. The worst cases found by attacks (Figure 2's red
points: for each :math:`\gamma_{\rm adv}`, the ascent's :math:`(\hat\rho,\ \mathbb E\ell(\hat z))`) are
feasible distributions, so :math:`C(\hat\rho)\ge\mathbb E\ell(\hat z)` must hold for every one of
them; ``worst_case_margin`` is the smallest :math:`C(\hat\rho)-\mathbb E\ell(\hat z)` (tested,
not proved).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.validate import nonnegative, positive

__all__ = ["EnvelopePoint", "WorstCasePoint", "CertificateEnvelope", "certificate_envelope",
           "default_gammas", "plot_envelope"]


@dataclass(frozen=True, kw_only=True)
class EnvelopePoint:
    """One penalty: ``value`` is :math:`\\overline{\\mathbb E\\phi_\\gamma}` when ``sound`` (an upper
    bound) and the ascent's lower estimate otherwise; ``method_fractions`` says which
    per-example argument certified how many examples."""

    gamma: float
    value: float
    sound: bool
    rho_hat: float
    reason: str
    method_fractions: dict = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class WorstCasePoint:
    """An attack's feasible distribution: transport cost ``rho`` and mean loss ``loss``."""

    gamma_adv: float
    rho: float
    loss: float


@dataclass(frozen=True, kw_only=True)
class CertificateEnvelope:
    """Sound certificate :math:`C(\\rho)` over a :math:`\\gamma` grid, estimates apart, and the
    attacks' worst cases on the same data. ``paper_gamma``: the penalty whose line the paper
    draws (its point is in ``points``)."""

    split: str
    n: int
    points: tuple[EnvelopePoint, ...]
    worst_cases: tuple[WorstCasePoint, ...] = ()
    paper_gamma: float | None = None

    @property
    def sound_points(self) -> tuple[EnvelopePoint, ...]:
        return tuple(p for p in self.points if p.sound)

    def at(self, rho) -> float | None:
        """:math:`C(\\rho)` (None when no penalty gave a sound value)."""
        rho = nonnegative("rho", rho)
        vals = [p.gamma * rho + p.value for p in self.sound_points]
        return min(vals) if vals else None

    def estimate_at(self, rho) -> float | None:
        """The same envelope over the estimates only (never a certificate)."""
        rho = nonnegative("rho", rho)
        vals = [p.gamma * rho + p.value for p in self.points if not p.sound]
        return min(vals) if vals else None

    def best_gamma(self, rho) -> float | None:
        """The penalty attaining :math:`C(\\rho)`."""
        rho = nonnegative("rho", rho)
        pts = self.sound_points
        return min(pts, key=lambda p: p.gamma * rho + p.value).gamma if pts else None

    @property
    def worst_case_margin(self) -> float | None:
        """:math:`\\min_k C(\\hat\\rho_k)-\\mathbb E\\ell(\\hat z_k)` over the attack points (>= 0 for a
        sound envelope; None without sound points or attack points)."""
        if not self.sound_points or not self.worst_cases:
            return None
        return min(self.at(w.rho) - w.loss for w in self.worst_cases)

    @property
    def paper_line_sound(self) -> bool | None:
        """Whether the paper's penalty got a sound value."""
        for p in self.points:
            if self.paper_gamma is not None and math.isclose(p.gamma, self.paper_gamma):
                return p.sound
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"split": self.split, "n": self.n, "paper_gamma": self.paper_gamma,
                "paper_line_sound": self.paper_line_sound,
                "points": [p.__dict__ for p in self.points],
                "worst_cases": [w.__dict__ for w in self.worst_cases],
                "worst_case_margin": self.worst_case_margin}


def default_gammas(gamma: float) -> list[float]:
    """Seven penalties geometric (ratio 2) from ``gamma/4`` to ``16*gamma``, ``gamma`` included."""
    gamma = positive("gamma", gamma)
    return [gamma * 2.0 ** (i - 2) for i in range(7)]


def certificate_envelope(model, x, y, *, gammas: Sequence[float], split: str = "test",
                         worst_case_gammas: Sequence[float] | None = None,
                         paper_gamma: float | None = None, seed: int = 0,
                         on_progress: Callable[[int, int], None] | None = None,
                         **certify_kwargs) -> CertificateEnvelope:
    """Certify ``(x, y)`` at every penalty of ``gammas`` (sound where provable) and run the
    ascent at every ``worst_case_gammas`` (default: ``gammas``) for the worst-case points.
    The gamma-free work (network form, Lipschitz constant, step curvature) is computed once.
    ``on_progress(done, total)`` is called after each penalty."""
    from checker.certify.certificate import certify

    gammas = [positive("gammas", g) for g in gammas]
    wc = list(gammas if worst_case_gammas is None else [positive("worst_case_gammas", g)
                                                         for g in worst_case_gammas])
    if paper_gamma is not None and not any(math.isclose(g, paper_gamma) for g in gammas):
        gammas = sorted([*gammas, positive("paper_gamma", paper_gamma)])
    from checker.progress import progress

    total = len(gammas) + len(wc)
    points, worst = [], []
    done = 0
    certs = {}
    for g in progress(gammas, desc="envelope penalties", total=len(gammas)):
        c = certify(model, x, y, gamma=g, split=split, seed=seed, hessian=False, **certify_kwargs)
        certs[g] = c
        points.append(EnvelopePoint(gamma=g, value=c.surrogate_mean, sound=c.sound, rho_hat=c.rho_hat,
                                    reason=c.reason, method_fractions=dict(c.method_fractions)))
        worst.append(WorstCasePoint(gamma_adv=g, rho=c.rho_hat, loss=c.worst_case_loss))
        done += 1
        if on_progress is not None:
            on_progress(done, total)
    for g in wc:
        if g in certs:
            done += 1
            if on_progress is not None:
                on_progress(done, total)
            continue
        c = certify(model, x, y, gamma=g, split=split, seed=seed, hessian=False, sound=False,
                    **certify_kwargs)
        worst.append(WorstCasePoint(gamma_adv=g, rho=c.rho_hat, loss=c.worst_case_loss))
        done += 1
        if on_progress is not None:
            on_progress(done, total)
    return CertificateEnvelope(split=split, n=int(x.shape[0]), points=tuple(points),
                               worst_cases=tuple(sorted(worst, key=lambda w: w.rho)),
                               paper_gamma=paper_gamma)


def plot_envelope(env: CertificateEnvelope, path, *, title: str = "") -> Path:
    """Draw the sound envelope (solid), the estimates (dotted, apart), the paper's line and the
    attacks' worst cases (red points) on the same axes; PNG written atomically."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from checker.io import atomic_write_bytes

    rmax = max([w.rho for w in env.worst_cases] + [p.rho_hat for p in env.points] + [1e-6]) * 1.5
    rhos = [rmax * i / 200 for i in range(201)]
    fig, ax = plt.subplots(figsize=(6, 4))
    if env.sound_points:
        ax.plot(rhos, [env.at(r) for r in rhos], "b-", label="sound certificate (envelope over gamma)")
    est = [env.estimate_at(r) for r in rhos]
    if any(v is not None for v in est):
        ax.plot(rhos, est, "k:", label="estimates only (not a certificate)")
    if env.paper_gamma is not None:
        p = next((p for p in env.points if math.isclose(p.gamma, env.paper_gamma)), None)
        if p is not None:
            ax.plot(rhos, [p.gamma * r + p.value for r in rhos], "g--",
                    label=f"gamma = {p.gamma:g} line ({'sound' if p.sound else 'estimate'})")
    if env.worst_cases:
        ax.plot([w.rho for w in env.worst_cases], [w.loss for w in env.worst_cases], "ro",
                label="worst case found by attacks")
    ax.set_xlabel("rho (transport budget)")
    ax.set_ylabel("worst-case loss")
    ax.set_title(title or f"certificate vs rho ({env.split}, n={env.n})")
    ax.legend(fontsize=7)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    return atomic_write_bytes(Path(path), buf.getvalue())
