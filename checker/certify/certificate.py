r"""The robustness certificate of Theorem 3, made sound with a strong-concavity correction.

Paper: A. Sinha, H. Namkoong, J. Duchi, *Certifying Some Distributional Robustness with
Principled Adversarial Training*, ICLR 2018 (arXiv 1710.10571): Theorem 3 (11)-(12), the Monge
map and :math:`\hat\rho_n` (9)-(10), identity (13), and the camera-ready's test-set certificate
(15) (``shared/reference/sinha2018.md`` §4.1, §4.3). The sound correction is our derivation [D]
(§8.3); the strong-concavity modulus :math:`2\gamma-L_{zz}` for the squared cost is [D] (§2.1).

.. math::

    \sup_{P:\,W_c(P,\hat P)\le\rho}\mathbb{E}_P\,\ell(\theta;Z)
      \;\le\; \gamma\rho + \mathbb{E}_{\hat P}\,\phi_\gamma(\theta;Z)
      \qquad(\text{all }\gamma,\rho\ge0;\ \text{weak duality, exact}),

    \phi_\gamma(\theta;z_0) \le f(\hat z) + \frac{\lVert\nabla_z f(\hat z)\rVert_2^2}{2\mu},
    \qquad f(z)=\ell(\theta;z)-\gamma\lVert z-z_0\rVert_2^2,\quad \mu = 2\gamma-L_{zz}>0,

    \hat\rho_n = \mathbb{E}_{\hat P}\lVert\hat z-Z\rVert_2^2,\qquad
    \mathbb{E}_{\hat P}f(\hat z)+\gamma\hat\rho_n = \mathbb{E}_{\hat P}\,\ell(\theta;\hat z)\quad(13).

======================================  ===============================================
paper symbol                            here
======================================  ===============================================
:math:`\gamma`                          ``gamma``
:math:`\hat P` (train or test)          ``x``, ``y`` (``split`` says which)
:math:`T_\gamma(\theta;z_i)`            ``Certificate.z_hat`` (approximate maximiser)
:math:`\phi_\gamma` lower / upper       ``phi_lower`` (:math:`f(\hat z)`), ``phi_upper`` (corrected)
:math:`\hat\rho_n`                      ``rho_hat``
:math:`\mathbb{E}_{\hat P}\phi_\gamma`   ``surrogate_mean``
:math:`L_{zz}` (certified bound)        ``lzz_bound`` (Corollary 4 via layer norms)
:math:`\mu`                             ``mu``
:math:`\epsilon_n(t)`                   not included: constants :math:`b_1,b_2` unspecified
======================================  ===============================================

What the result claims. The certificate is **sound** (``sound=True``) only when every
condition below was checked and held: the loss is cross-entropy on the model's logits; the
model is an ``nn.Sequential`` chain covered by Corollary 4 (known activation constants); the
certified :math:`L_{zz}` bound gives :math:`\mu = 2\gamma - L_{zz} > 0`; every per-example
Hessian estimate is consistent with that bound; every value is finite. Then, up to float64
rounding of the sums (not bounded rigorously), ``at(rho)`` upper-bounds the worst-case loss over
the Wasserstein ball of radius :math:`\rho` around the *empirical* distribution of ``x``, for
every :math:`\rho\ge0`. For the training set, the step to the population :math:`P_0` needs
:math:`+\epsilon_n(t)` (Theorem 3), whose constants are unspecified: it is shown symbolically
(:mod:`checker.certify.finite_sample`), never added. For a test set it is statement (15):
nothing more is needed. Otherwise ``sound=False``, ``reason`` says why, and
``surrogate_mean`` is :math:`\mathbb{E}f(\hat z)`, a *lower* estimate of
:math:`\mathbb{E}\phi_\gamma` — an estimate, not a certificate.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from checker.errors import InvalidArgument
from checker.tolerances import CERTIFY_GRAD_TOL, HESSIAN_REL_SLACK
from checker.validate import integer, one_of, positive, positive_int

__all__ = ["Certificate", "certify", "validate_model_data"]

SPLITS = ("train", "test", "other")


@dataclass(frozen=True, kw_only=True)
class Certificate:
    """A computed certificate; per-example arrays are float64 CPU tensors of shape (n,).

    ``surrogate_mean`` is :math:`\\mathbb{E}_n[\\phi^{\\rm sound}_\\gamma]` when ``sound`` and
    :math:`\\mathbb{E}_n[f(\\hat z)]` (a lower estimate) otherwise. ``certificate_at_rho_hat`` is
    ``at(rho_hat)``. ``worst_case_loss`` is :math:`\\mathbb{E}_n\\ell(\\hat z)`, the loss of a
    feasible distribution at radius ``rho_hat`` (a lower bound on the worst case).
    ``fraction_not_strongly_concave``: fraction of data points whose Hessian estimate
    :math:`\\hat\\lambda_{\\max}(\\nabla^2_{zz}\\ell(x_i))` is :math:`\\ge 2\\gamma` (the paper's
    check at each training datapoint; a lower estimate of the true fraction; None if Hessians
    were not estimated).
    """

    gamma: float
    n: int
    split: str
    rho_hat: float
    surrogate_mean: float
    surrogate_lower_mean: float
    certificate_at_rho_hat: float
    worst_case_loss: float
    clean_loss: float
    sound: bool
    reason: str
    lzz_bound: float | None
    mu: float | None
    fraction_not_strongly_concave: float | None
    hessian_lambda_max_max: float | None
    inner_steps: int
    inner_converged: bool
    max_grad_norm: float
    correction_mean: float | None
    assumptions: tuple[str, ...] = ()
    layers: tuple[Any, ...] = ()
    lzz_source: str = ""
    n_parameters: int = 0
    phi_lower: object = field(default=None, repr=False)
    phi_upper: object = field(default=None, repr=False)
    loss_at_z: object = field(default=None, repr=False)
    transport_cost: object = field(default=None, repr=False)
    grad_norm: object = field(default=None, repr=False)
    hessian_lambda_max: object = field(default=None, repr=False)
    z_hat: object = field(default=None, repr=False)

    def __post_init__(self) -> None:
        positive("gamma", self.gamma)
        one_of("split", self.split, SPLITS)
        if self.sound and (self.mu is None or not self.mu > 0):
            raise AssertionError("a sound certificate needs mu > 0")

    @property
    def phi(self):
        """Per-example :math:`\\phi_\\gamma` used in the certificate (upper if sound, else lower)."""
        return self.phi_upper if self.sound else self.phi_lower

    def at(self, rho) -> float:
        """:math:`\\gamma\\rho + \\mathbb{E}_n[\\phi_\\gamma]` (the certificate line) at ``rho >= 0``."""
        from checker.validate import nonnegative

        return self.gamma * nonnegative("rho", rho) + self.surrogate_mean

    def line(self, rhos) -> list[float]:
        """The certificate line at each of ``rhos``."""
        return [self.at(r) for r in rhos]

    @property
    def status(self) -> str:
        """``"sound"`` or ``"estimate"``."""
        return "sound" if self.sound else "estimate"

    @property
    def statement(self) -> str:
        """What the numbers claim, in words (depends on ``split`` and ``sound``)."""
        what = ("for every rho >= 0, sup over P with W_c(P, P_hat) <= rho of E_P[loss] <= "
                f"{self.gamma:g}*rho + {self.surrogate_mean:.6g}")
        dist = {"train": "the empirical training distribution",
                "test": "the empirical test distribution (statement (15))",
                "other": "the empirical distribution of the given data"}[self.split]
        if not self.sound:
            return (f"ESTIMATE, not a certificate ({self.reason}): {what}, where P_hat is {dist}; "
                    "the surrogate is a lower estimate of E[phi_gamma]")
        tail = (" For the population P0 add eps_n(t) (Theorem 3; constants b1, b2 unspecified, "
                "not included)." if self.split == "train" else "")
        return f"SOUND: {what}, where P_hat is {dist}.{tail}"

    def epsilon_n(self, **values: Any):
        """Corollary 1's :math:`\\epsilon_n(t)` with this certificate's ``n`` and ``d`` (number of
        model parameters) substituted; other symbols (``t``, ``L``, ``diam``, ``M0``, ``b1``,
        ``b2``) stay symbolic unless given. Never added to the certificate (a what-if)."""
        from checker.certify.finite_sample import epsilon_n

        return epsilon_n(**{"n": self.n, "d": self.n_parameters, **values})

    def to_dict(self, *, per_example: bool = False) -> dict[str, Any]:
        """JSON-able summary (per-example arrays only with ``per_example=True``)."""
        d = {k: getattr(self, k) for k in (
            "gamma", "n", "split", "rho_hat", "surrogate_mean", "surrogate_lower_mean",
            "certificate_at_rho_hat", "worst_case_loss", "clean_loss", "sound", "reason",
            "lzz_bound", "mu", "fraction_not_strongly_concave", "hessian_lambda_max_max",
            "inner_steps", "inner_converged", "max_grad_norm", "correction_mean", "lzz_source")}
        d["status"] = self.status
        d["statement"] = self.statement
        d["assumptions"] = list(self.assumptions)
        d["epsilon_n"] = "omitted (Theorem 3's b1, b2 are unspecified numerical constants)" \
            if self.split == "train" else "not needed (test-set certificate (15))"
        d["epsilon_n_expression"] = self.epsilon_n().expression if self.split == "train" else None
        d["n_parameters"] = self.n_parameters
        d["layers"] = [dict(index=l.index, kind=l.kind, op_norm=l.op_norm,
                            op_norm_estimate=l.op_norm_estimate, L0=l.L0, L1=l.L1)
                       for l in self.layers]
        if per_example:
            for k in ("phi_lower", "phi_upper", "loss_at_z", "transport_cost", "grad_norm",
                      "hessian_lambda_max"):
                v = getattr(self, k)
                d[k] = None if v is None else v.tolist()
        return d


def _as_tensor(name, value, dtype):
    import numpy as np
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().to(dtype)
    if isinstance(value, np.ndarray):
        return torch.as_tensor(value).to(dtype)
    raise InvalidArgument(name, type(value).__name__, "must be a torch.Tensor or numpy array")


def validate_model_data(model, x, y):
    """Check ``model``, ``x``, ``y`` and return ``(model64, x64, y, n_classes)`` (copies).

    Raises :class:`InvalidArgument` for: non-finite weights, non-float or non-finite ``x``,
    labels that are not integers of shape (n,), mismatched lengths, a model whose output is not
    logits of shape (n, n_classes) with n_classes >= 2, labels out of range.
    """
    import torch
    import torch.nn as nn

    if not isinstance(model, nn.Module):
        raise InvalidArgument("model", type(model).__name__, "must be a torch.nn.Module")
    for name, p in model.named_parameters():
        if not torch.is_floating_point(p):
            raise InvalidArgument("model", f"parameter {name!r} ({p.dtype})", "must be floating point")
        if not bool(torch.isfinite(p).all()):
            raise InvalidArgument("model", f"parameter {name!r}", "has non-finite weights (NaN or inf)")
    x = _as_tensor("x", x, torch.float64)
    y = _as_tensor("y", y, torch.int64) if not isinstance(y, torch.Tensor) else y.detach()
    if x.ndim < 2 or x.shape[0] == 0:
        raise InvalidArgument("x", tuple(x.shape), "must have shape (n, ...) with n >= 1 and features")
    if not bool(torch.isfinite(x).all()):
        raise InvalidArgument("x", "data", "must be finite (found NaN or inf)")
    if torch.is_floating_point(y):
        if not bool((y == y.round()).all()):
            raise InvalidArgument("y", "float labels", "must be integer class labels")
    y = y.to(torch.int64)
    if y.ndim != 1:
        raise InvalidArgument("y", tuple(y.shape), "must have shape (n,) (integer class labels)")
    if y.shape[0] != x.shape[0]:
        raise InvalidArgument("y", f"{y.shape[0]} labels", f"must match x's {x.shape[0]} examples")
    params = list(model.parameters())
    device = params[0].device if params else torch.device("cpu")
    model64 = copy.deepcopy(model).to(device=device, dtype=torch.float64)
    model64.eval()
    for p in model64.parameters():
        p.requires_grad_(False)
    x = x.to(device)
    y = y.to(device)
    with torch.no_grad():
        try:
            out = model64(x[: min(8, x.shape[0])])
        except RuntimeError as exc:
            raise InvalidArgument("x", tuple(x.shape),
                                  f"does not fit the model's input ({str(exc).splitlines()[0][:120]})") from None
    k = min(8, x.shape[0])
    if not isinstance(out, torch.Tensor) or out.ndim != 2 or out.shape[0] != k or out.shape[1] < 2:
        raise InvalidArgument("model output", tuple(getattr(out, "shape", ())),
                              f"must be logits of shape (n, n_classes) with n_classes >= 2 (here n={k})")
    n_classes = int(out.shape[1])
    if int(y.min()) < 0 or int(y.max()) >= n_classes:
        raise InvalidArgument("y", f"labels in [{int(y.min())}, {int(y.max())}]",
                              f"must lie in [0, {n_classes - 1}] for a model with {n_classes} logits")
    return model64, x, y, n_classes


def certify(model, x, y, *, gamma: float, tol: float = CERTIFY_GRAD_TOL, max_steps: int = 2000,
            step_size: float | None = None, sound: bool = True, hessian: bool = True,
            hessian_iters: int = 30, split: str = "other", batch_size: int = 1024,
            loss_fn: Callable | None = None, seed: int = 0, inner_steps: int | None = None,
            progress: bool = False, checkpoint=None) -> Certificate:
    """Certificate :math:`\\rho\\mapsto\\gamma\\rho+\\mathbb{E}_n[\\phi_\\gamma]` of ``model`` on ``(x, y)``.

    ``gamma`` > 0: the penalty. The inner problem is solved by gradient ascent with constant step
    ``step_size`` (default :math:`1/(2\\gamma+L)`, see :func:`_default_step`) until every example's
    :math:`\\lVert\\nabla_z f\\rVert_2\\le` ``tol`` or ``max_steps``; ``inner_steps`` instead runs a
    fixed number of steps (no tolerance; used by the negative control). ``sound=False`` switches
    the correction off (the result is then never sound). ``hessian``: estimate per-example
    :math:`\\lambda_{\\max}` at the data points (``hessian_iters`` power iterations per stage).
    ``split``: ``"train"``, ``"test"`` or ``"other"`` (only changes what the statement says).
    ``loss_fn``: a custom per-example loss; the certificate is then never sound (Corollary 4
    covers cross-entropy on logits only). Runs in float64 on the model's device.
    ``checkpoint``: a file path; the per-example results are saved atomically after each batch
    of ``batch_size`` examples (keyed by a fingerprint of the weights, the data and every
    setting), and a re-run with the same inputs resumes after the last finished batch.
    """
    import torch

    from checker.certify.hessian import hessian_lambda_max
    from checker.certify.smoothness import network_smoothness
    from checker.progress import progress as _progress
    from checker.wrm._mode import frozen_eval
    from checker.wrm.inner import InnerConfig, maximize_inner

    gamma = positive("gamma", gamma)
    tol = positive("tol", tol)
    max_steps = positive_int("max_steps", max_steps)
    hessian_iters = positive_int("hessian_iters", hessian_iters)
    batch_size = positive_int("batch_size", batch_size)
    one_of("split", split, SPLITS)
    if inner_steps is not None:
        inner_steps = integer("inner_steps", inner_steps, min_value=0)
    if step_size is not None:
        step_size = positive("step_size", step_size)
    orig_dtypes = {str(p.dtype) for p in model.parameters()} if hasattr(model, "parameters") else set()
    model64, x, y, _ = validate_model_data(model, x, y)
    n = x.shape[0]
    extra_assumptions = tuple(
        f"the model's {d} weights are evaluated in float64 (the certificate is for that "
        "evaluation, not for the model's own lower-precision arithmetic)"
        for d in sorted(orig_dtypes - {"torch.float64"}))

    reasons: list[str] = []
    smooth = network_smoothness(model64, tuple(x.shape[1:]), seed=seed)
    lzz = smooth.lzz_bound if smooth.supported else None
    mu = None
    if lzz is not None:
        try:
            from checker.bounds.sinha_concavity import concavity_modulus
            mu = float(concavity_modulus(gamma, lzz, cost="squared"))
        except ImportError:  # bound library not installed: same formula, [D] §2.1
            mu = 2.0 * gamma - lzz
    if step_size is None:
        step = _default_step(model64, x, y, gamma, lzz, loss_fn, seed)
    else:
        step = step_size
    if loss_fn is not None:
        reasons.append("a custom loss_fn was given: Corollary 4's bound covers cross-entropy on logits only")
    if not smooth.supported:
        reasons.append(smooth.reason)
    elif not mu > 0:
        reasons.append(f"gamma={gamma:g} must exceed L_zz/2={lzz / 2:.4g} (certified L_zz bound "
                       f"{lzz:.4g}) for the inner problem to be strongly concave; mu={mu:.4g}")
    if not sound:
        reasons.append("the sound correction was switched off (sound=False)")

    if inner_steps is None:
        config = InnerConfig(gamma=gamma, step_rule="constant", step_size=step, tol=tol,
                             max_steps=max_steps)
    else:
        config = InnerConfig(gamma=gamma, step_rule="constant", step_size=step, steps=inner_steps)
    state = {"parts": {k: [] for k in ("z", "obj", "loss", "cost", "g", "clean", "lam")},
             "done": 0, "steps_taken": 0, "converged": True, "reasons": []}
    ckpt_fp = None
    if checkpoint is not None:
        from checker.certify.figure2 import _content_hash
        from checker.io import fingerprint, load_checkpoint

        ckpt_fp = fingerprint({"model": _content_hash(model64.state_dict().values()),
                               "data": _content_hash([x, y]), "gamma": gamma, "tol": tol,
                               "max_steps": max_steps, "step": step, "inner_steps": inner_steps,
                               "hessian": hessian, "hessian_iters": hessian_iters,
                               "batch_size": batch_size, "seed": seed, "custom_loss": loss_fn is not None,
                               "version": 1})
        state = load_checkpoint(checkpoint, config_fingerprint=ckpt_fp) or state
    parts = state["parts"]
    chunks = list(range(state["done"], n, batch_size))
    for start in _progress(chunks, desc="certify", total=len(chunks)) if progress else chunks:
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        res = maximize_inner(model64, xb, yb, config, loss_fn=loss_fn)
        state["steps_taken"] = max(state["steps_taken"], res.steps_taken)
        state["converged"] = (state["converged"] and bool(res.converged)) if inner_steps is None else False
        parts["z"].append(res.z.cpu())
        parts["obj"].append(res.objective.cpu())
        parts["loss"].append(res.loss.cpu())
        parts["cost"].append(res.transport_cost.cpu())
        parts["g"].append(res.grad_norm.cpu())
        with torch.no_grad():
            from checker.wrm.inner import default_loss
            lf = default_loss if loss_fn is None else loss_fn
            with frozen_eval(model64):
                parts["clean"].append(lf(model64(xb), yb).cpu())
        if hessian:
            with frozen_eval(model64):
                # At the data points, as the paper does: at a converged local maximiser z_hat
                # the second-order condition already forces lambda_max <= 2 gamma.
                est = hessian_lambda_max(model64, xb, yb, iters=hessian_iters, seed=seed + start,
                                         loss_fn=loss_fn)
            parts["lam"].append(est.lambda_max.cpu())
            if lzz is not None and float(est.abs_max.max()) > lzz * (1 + HESSIAN_REL_SLACK):
                state["reasons"].append(f"internal inconsistency: a Hessian eigenvalue estimate "
                                        f"{float(est.abs_max.max()):.6g} exceeds the L_zz bound {lzz:.6g}")
        state["done"] = min(n, start + batch_size)
        if checkpoint is not None:
            from checker.io import save_checkpoint

            save_checkpoint(checkpoint, state, config_fingerprint=ckpt_fp)
    reasons.extend(state["reasons"])
    steps_taken, converged = state["steps_taken"], state["converged"]
    cat = {k: (torch.cat(v).detach().to("cpu", torch.float64) if v else None) for k, v in parts.items()}
    phi_lower, gnorm = cat["obj"], cat["g"]
    correction_mean = None
    phi_upper = None
    if mu is not None and mu > 0:
        corr = gnorm.pow(2) / (2.0 * mu)
        phi_upper = phi_lower + corr
        correction_mean = float(corr.mean())
    for name in ("obj", "loss", "cost", "g"):
        if not bool(torch.isfinite(cat[name]).all()):
            reasons.append(f"non-finite values in the inner solution ({name})")
    is_sound = not reasons
    surrogate = float((phi_upper if is_sound else phi_lower).mean())
    rho_hat = float(cat["cost"].mean())
    lam = cat["lam"]
    frac = None if lam is None else float((lam >= 2.0 * gamma).double().mean())
    reason = "; ".join(dict.fromkeys(reasons)) if reasons else (
        f"certified L_zz <= {lzz:.6g} (Corollary 4, layer norms) gives mu = 2*gamma - L_zz = {mu:.6g} > 0")
    return Certificate(
        gamma=gamma, n=n, split=split, rho_hat=rho_hat, surrogate_mean=surrogate,
        surrogate_lower_mean=float(phi_lower.mean()),
        certificate_at_rho_hat=surrogate + gamma * rho_hat,
        worst_case_loss=float(cat["loss"].mean()), clean_loss=float(cat["clean"].mean()),
        sound=is_sound, reason=reason, lzz_bound=lzz, mu=mu,
        fraction_not_strongly_concave=frac,
        hessian_lambda_max_max=None if lam is None else float(lam.max()),
        inner_steps=steps_taken, inner_converged=bool(converged), max_grad_norm=float(gnorm.max()),
        correction_mean=correction_mean,
        assumptions=tuple(smooth.assumptions) + extra_assumptions + (
            "float64 evaluation; its rounding is not bounded rigorously (it is far below "
            "CERTIFICATE_ABS=1e-8 for O(1) losses and n <= 1e5)",),
        layers=smooth.layers,
        lzz_source=smooth.source, n_parameters=sum(p.numel() for p in model64.parameters()),
        phi_lower=phi_lower, phi_upper=phi_upper,
        loss_at_z=cat["loss"], transport_cost=cat["cost"], grad_norm=gnorm,
        hessian_lambda_max=lam, z_hat=cat["z"])


def _default_step(model64, x, y, gamma: float, lzz: float | None, loss_fn, seed: int) -> float:
    """:math:`1/(2\\gamma + L)` with :math:`L` = twice the largest Hessian-norm estimate on (up
    to) 256 data points, capped by the certified bound: for a :math:`(2\\gamma+L)`-smooth
    objective this step never decreases it [D]. Only the speed of the ascent depends on it; the
    sound correction does not."""
    from checker.certify.hessian import hessian_lambda_max
    from checker.wrm._mode import frozen_eval

    k = min(256, x.shape[0])
    with frozen_eval(model64):
        est = float(hessian_lambda_max(model64, x[:k], y[:k], iters=10, seed=seed,
                                       loss_fn=loss_fn).abs_max.max())
    curv = 2.0 * est if lzz is None else min(lzz, 2.0 * est)
    if not math.isfinite(curv):
        curv = 0.0
    return 1.0 / (2.0 * gamma + curv)
