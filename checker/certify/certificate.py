r"""The robustness certificate of Theorem 3, made sound with a strong-concavity correction.

Paper: A. Sinha, H. Namkoong, J. Duchi, *Certifying Some Distributional Robustness with
Principled Adversarial Training*, ICLR 2018 (arXiv 1710.10571): Theorem 3 (11)-(12), the Monge
map and :math:`\hat\rho_n` (9)-(10), identity (13), and the camera-ready's test-set certificate
(15) (docs/math/sinha.md, Theorem 3). The sound correction and the per-example bounds are our
derivation [D]; the strong-concavity modulus :math:`2\gamma-L_{zz}` for the squared cost
:math:`c=\lVert z-z_0\rVert_2^2` is [D].

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
per-example argument / radius / curv.   ``phi_method``, ``local_radius``, ``local_curvature``
:math:`\mu`                             ``mu``
:math:`\epsilon_n(t)`                   not included: constants :math:`b_1,b_2` unspecified
======================================  ===============================================

What the result claims. The certificate is **sound** (``sound=True``) only when the inequality
holds literally, float64 rounding included. Two arguments give that:

* ``argument="local"`` (``method="auto"``, any :math:`\gamma>0`): the model is an
  ``nn.Sequential`` chain of ``Linear`` layers and ``ELU(alpha=1)``/``Tanh``/``Sigmoid``/
  ``Softplus(threshold=20)``, the loss is cross-entropy on its logits, and every example has a
  sound upper bound of :math:`\phi_\gamma` from :mod:`checker.certify.local` (local strong
  concavity on the ball :math:`\lVert z-x_i\rVert\le G_i/\gamma`, branch-and-bound for inputs of
  dimension :math:`\le3`, or the Lipschitz fallback); the mean is rounded up
  (``math.fsum``); every power-iteration Hessian estimate is below the local curvature bound.
  The only assumption is the accuracy of torch's elementary functions
  (:data:`checker.certify.propagate.ROUNDING_ASSUMPTION`).
* ``argument="global"`` (``method="global"``, or networks the local analysis does not cover,
  e.g. convolutions): Corollary 4's certified :math:`L_{zz}` bound gives
  :math:`\mu = 2\gamma - L_{zz} > 0`, every per-example Hessian estimate is consistent with it,
  every value is finite; float64 rounding of this path is not bounded rigorously.

Then ``at(rho)`` upper-bounds the worst-case loss over the Wasserstein ball of radius
:math:`\rho` around the *empirical* distribution of ``x``, for every :math:`\rho\ge0`. For the
training set, the step to the population :math:`P_0` needs :math:`+\epsilon_n(t)` (Theorem 3),
whose constants are unspecified: it is shown symbolically (:mod:`checker.certify.finite_sample`),
never added. For a test set it is statement (15): nothing more is needed. Otherwise
``sound=False``, ``reason`` says why, and ``surrogate_mean`` is :math:`\mathbb{E}f(\hat z)`, a
*lower* estimate of :math:`\mathbb{E}\phi_\gamma` — an estimate, not a certificate.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from checker.errors import InvalidArgument
from checker.tolerances import CERTIFY_GRAD_TOL, HESSIAN_REL_SLACK

#: Absolute slack of the check "power-iteration estimate <= local curvature bound" at a data
#: point: the estimate is a Rayleigh quotient computed in float64 (error ~1e-13 for O(1)
#: Hessians); a bound loosened or broken by more than this is reported as an inconsistency.
HESSIAN_ABS_SLACK = 1e-9
from checker.validate import boolean, integer, one_of, positive, positive_int

__all__ = ["Certificate", "certify", "validate_model_data"]

SPLITS = ("train", "test", "other")
#: How a sound certificate was obtained: "local" (per-example bounds, checker.certify.local) or
#: "global" (Corollary 4's L_zz bound and the strong-concavity correction for every example).
ARGUMENTS = ("local", "global")
#: Values of certify(method=...): "auto" uses the per-example bounds whenever the network is
#: covered, "global" only Corollary 4 (the paper's argument).
METHOD_CHOICES = ("auto", "global")


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
    lzz_bound_tight: float | None = None
    argument: str = "global"
    method_fractions: dict = field(default_factory=dict)
    allowance_max: float | None = None
    bnb_tol: float | None = None
    bnb_converged_fraction: float | None = None
    #: True when the per-example fallback also used the linear (CROWN-style) loss bound
    crown: bool = False
    steps_mean: float | None = None
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
    phi_method: object = field(default=None, repr=False)
    local_radius: object = field(default=None, repr=False)
    local_curvature: object = field(default=None, repr=False)

    def __post_init__(self) -> None:
        positive("gamma", self.gamma)
        one_of("split", self.split, SPLITS)
        one_of("argument", self.argument, ARGUMENTS)
        if self.sound and self.argument == "global" and (self.mu is None or not self.mu > 0):
            raise AssertionError("a sound certificate by Corollary 4 needs mu > 0")
        if self.sound and self.argument == "local" and self.phi_method is None:
            raise AssertionError("a sound local certificate records each example's argument")

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
            "inner_steps", "inner_converged", "max_grad_norm", "correction_mean", "lzz_source",
            "lzz_bound_tight", "argument", "method_fractions", "allowance_max", "bnb_tol", "bnb_converged_fraction",
            "crown", "steps_mean")}
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
                      "hessian_lambda_max", "local_radius", "local_curvature"):
                v = getattr(self, k)
                d[k] = None if v is None else v.tolist()
            if self.phi_method is not None:
                from checker.certify.local import METHODS

                d["phi_method"] = [METHODS[int(k)] for k in self.phi_method]
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


def _content_hash(tensors) -> str:
    """sha256 (16 hex digits) of tensors' dtypes, shapes and bytes (for checkpoint fingerprints)."""
    import hashlib

    h = hashlib.sha256()
    for t in tensors:
        t = t.detach().to("cpu").contiguous()
        h.update(f"{t.dtype}{tuple(t.shape)}".encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()[:16]


def certify(model, x, y, *, gamma: float, tol: float = CERTIFY_GRAD_TOL, max_steps: int = 2000,
            step_size: float | None = None, sound: bool = True, hessian: bool = True,
            hessian_iters: int = 30, split: str = "other", batch_size: int = 1024,
            loss_fn: Callable | None = None, seed: int = 0, inner_steps: int | None = None,
            progress: bool = False, checkpoint=None, method: str = "auto", bnb: bool = True,
            bnb_tol: float | None = None, on_progress: Callable | None = None, crown: bool = False) -> Certificate:
    """Certificate :math:`\\rho\\mapsto\\gamma\\rho+\\mathbb{E}_n[\\phi_\\gamma]` of ``model`` on ``(x, y)``.

    ``gamma`` > 0: the penalty. The inner problem is solved by gradient ascent with constant step
    ``step_size`` (default :math:`1/(2\\gamma+L)`, see :func:`_default_step`); each example stops
    when its :math:`\\lVert\\nabla_z f\\rVert_2\\le` ``tol`` (or at ``max_steps``); ``inner_steps``
    instead runs a fixed number of steps (no tolerance; used by the negative control).
    ``method``: ``"auto"`` (default) bounds every example soundly by the per-example arguments of
    :mod:`checker.certify.local` (local strong concavity, branch-and-bound for inputs of
    dimension <= 3 to ``bnb_tol``, Lipschitz fallback) whenever the network is a chain of
    ``Linear`` and smooth activations, so every ``gamma`` gets a sound value; otherwise, and
    with ``"global"``, Corollary 4's :math:`L_{zz}` bound (sound only when
    :math:`2\\gamma>L_{zz}`). ``sound=False`` switches every correction off (the result is then
    never sound). ``hessian``: estimate per-example :math:`\\lambda_{\\max}` at the data points
    (``hessian_iters`` power iterations per stage; a diagnostic and a consistency check).
    ``split``: ``"train"``, ``"test"`` or ``"other"`` (only changes what the statement says).
    ``loss_fn``: a custom per-example loss; the certificate is then never sound. Runs in float64.
    ``checkpoint``: a file path; the per-example ascent results are saved atomically after each
    batch of ``batch_size`` examples and a re-run with the same inputs resumes.
    ``on_progress(done, total)``: called after each batch (the CLI prints periodic lines).
    ``crown``: the per-example fallback also uses the linear (CROWN-style) loss bound of
    :mod:`checker.certify.crown` (both bounds are sound, the smaller is kept per shell). Off by
    default: on the benchmark tasks it tightened only the synthetic fallback at large gamma
    (with branch-and-bound off) and cost 1.1-3.4x the time (docs/guide/certify.md).
    Raises :class:`InvalidArgument` for a module whose call path is not exactly its class's
    (hooks, instance or compiled overrides, patched classes; :mod:`checker.certify.exact`), for a
    Softplus with ``beta <= 0`` or a non-default ``threshold``. Modules of types outside the
    allow-list give an estimate whose reason names the module. The checkpoint fingerprint covers
    the architecture (types, constants, dtypes, devices), so a resume across models is refused.
    """
    import torch

    from checker.certify.hessian import hessian_lambda_max
    from checker.certify.propagate import ROUNDING_ASSUMPTION, ChainNet, chain_net, check_exact_behaviour
    from checker.certify.smoothness import network_smoothness
    from checker.progress import progress as _progress
    from checker.threads import threads_for
    from checker.wrm._mode import frozen_eval

    gamma = positive("gamma", gamma)
    tol = positive("tol", tol)
    sound, hessian, bnb, crown, progress = (boolean(k, v) for k, v in (
        ("sound", sound), ("hessian", hessian), ("bnb", bnb), ("crown", crown), ("progress", progress)))
    max_steps = positive_int("max_steps", max_steps)
    hessian_iters = positive_int("hessian_iters", hessian_iters)
    batch_size = positive_int("batch_size", batch_size)
    one_of("split", split, SPLITS)
    one_of("method", method, METHOD_CHOICES)
    if bnb_tol is not None:
        bnb_tol = positive("bnb_tol", bnb_tol)
    if inner_steps is not None:
        inner_steps = integer("inner_steps", inner_steps, min_value=0)
    if step_size is not None:
        step_size = positive("step_size", step_size)
    notes: tuple[str, ...] = ()
    arch = None
    if isinstance(model, torch.nn.Module):
        from checker.certify.exact import architecture_signature

        notes = tuple(check_exact_behaviour(model))
        arch = architecture_signature(model)
    orig_dtypes = {str(p.dtype) for p in model.parameters()} if hasattr(model, "parameters") else set()
    model64, x, y, _ = validate_model_data(model, x, y)
    n = x.shape[0]
    extra_assumptions = tuple(
        f"the model's {d} weights are evaluated in float64 (the certificate is for that "
        "evaluation, not for the model's own lower-precision arithmetic)"
        for d in sorted(orig_dtypes - {"torch.float64"})) + notes

    reasons: list[str] = []
    key = _cache_key(model64, x, y, seed, arch)
    cached = _SWEEP_CACHE.get(key, {})
    smooth = cached.get("smooth") or network_smoothness(model64, tuple(x.shape[1:]), seed=seed)
    net = None
    if method == "auto" and loss_fn is None:
        net = cached["net"] if "net" in cached else chain_net(model64, tuple(x.shape[1:]))
        if not isinstance(net, ChainNet):
            net = None
    lzz_paper = smooth.lzz_bound if smooth.supported else None
    # mu uses the tightened Corollary 4 constant sqrt(2) beta_L + alpha_L^2/2 (sinha-cor4-tight)
    lzz = smooth.lzz_bound_tight if smooth.supported else None
    mu = None
    if lzz is not None:
        try:
            from checker.bounds.sinha_concavity import concavity_modulus
            mu = float(concavity_modulus(gamma, lzz, cost="squared"))
        except ImportError:  # bound library not installed: same formula, [D]
            mu = 2.0 * gamma - lzz
    with threads_for(model64):
        if step_size is None:
            if "curv" not in cached:
                cached["curv"] = _default_curvature(model64, x, y, lzz, loss_fn, seed)
            step = 1.0 / (2.0 * gamma + cached["curv"])
        else:
            step = step_size
    cached["smooth"] = smooth
    if method == "auto" and loss_fn is None:
        cached["net"] = net if net is not None else "unsupported"
    _cache_put(key, cached)
    if loss_fn is not None:
        reasons.append("a custom loss_fn was given: the bounds cover cross-entropy on logits only")
    argument = "local" if net is not None else "global"
    if argument == "global":
        if not smooth.supported:
            reasons.append(smooth.reason)
        elif not mu > 0:
            reasons.append(f"gamma={gamma:g} must exceed L_zz/2={lzz / 2:.4g} (certified L_zz bound "
                           f"{lzz:.4g}, Corollary 4 with the CE curvature 1/2) for the inner problem "
                           f"to be strongly concave; mu={mu:.4g}")
    if not sound:
        reasons.append("the sound correction was switched off (sound=False)")

    state = {"parts": {k: [] for k in ("z", "obj", "loss", "cost", "g", "clean", "lam", "steps")},
             "done": 0, "steps_taken": 0, "converged": True, "reasons": []}
    ckpt_fp = None
    if checkpoint is not None:
        from checker.io import fingerprint, load_checkpoint

        ckpt_fp = fingerprint({"model": _content_hash(model64.state_dict().values()),
                               "data": _content_hash([x, y]), "gamma": gamma, "tol": tol,
                               "max_steps": max_steps, "step": step, "inner_steps": inner_steps,
                               "hessian": hessian, "hessian_iters": hessian_iters,
                               "batch_size": batch_size, "seed": seed, "custom_loss": loss_fn is not None,  # pragma: no mutate[cmp:IsNot->Is -> (loss_fn is None)]: the inverted flag separates exactly the same configurations in the fingerprint
                               "architecture": arch, "method": method, "sound": sound,
                               "version": 3})
        state = load_checkpoint(checkpoint, config_fingerprint=ckpt_fp) or state
    parts = state["parts"]
    chunks = list(range(state["done"], n, batch_size))
    from checker.wrm.inner import default_loss
    lf = default_loss if loss_fn is None else loss_fn
    with threads_for(model64):
        for start in _progress(chunks, desc="certify", total=len(chunks)) if progress else chunks:
            xb, yb = x[start:start + batch_size], y[start:start + batch_size]
            with frozen_eval(model64):
                res = _ascent(model64, xb, yb, gamma=gamma, step=step, tol=None if inner_steps is not None else tol,
                              steps=inner_steps if inner_steps is not None else max_steps, loss_fn=lf)
            state["steps_taken"] = max(state["steps_taken"], int(res["steps"].max()) if res["steps"].numel() else 0)
            state["converged"] = (state["converged"] and res["converged"]) if inner_steps is None else False
            for k in ("z", "obj", "loss", "cost", "g", "steps"):
                parts[k].append(res[k].cpu())
            with torch.no_grad(), frozen_eval(model64):
                parts["clean"].append(lf(model64(xb), yb).cpu())
            if hessian:
                with frozen_eval(model64):
                    # At the data points, as the paper does.
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
            if on_progress is not None:
                on_progress(state["done"], n)
    reasons.extend(state["reasons"])
    steps_taken, converged = state["steps_taken"], state["converged"]
    cat = {k: (torch.cat(v).detach().to("cpu", torch.float64) if v else None) for k, v in parts.items()}
    phi_lower, gnorm = cat["obj"], cat["g"]
    correction_mean = None
    phi_upper = None
    lb = None
    if argument == "local" and sound and not reasons:
        from checker.certify.local import local_bounds

        with threads_for(model64):
            if "g0" not in cached:
                from checker.certify.local import global_lipschitz
                cached["g0"] = global_lipschitz(net)
            lb = local_bounds(net, x.detach().cpu().reshape(n, -1), y.cpu(), cat["z"].reshape(n, -1),
                              gamma=gamma, bnb=bnb, tol=bnb_tol, global_g=cached["g0"], crown=crown)
        phi_upper = lb.phi_upper
        correction_mean = float((phi_upper - phi_lower).mean())
        lam = cat["lam"]
        if lam is not None and bool((lam > lb.curvature * (1 + HESSIAN_REL_SLACK) + HESSIAN_ABS_SLACK).any()):
            worst = float((lam - lb.curvature).max())
            reasons.append(f"internal inconsistency: a Hessian eigenvalue estimate exceeds the local "
                           f"curvature bound at its own data point by {worst:.3g}")
        if not bool(torch.isfinite(phi_upper).all()):
            reasons.append("non-finite per-example bound")
    elif mu is not None and mu > 0:
        from checker.certify.local import strong_concavity_bound

        phi_upper = strong_concavity_bound(phi_lower, gnorm, torch.full_like(gnorm, mu))
        corr = phi_upper - phi_lower
        correction_mean = float(corr.mean())
    for name in ("obj", "loss", "cost", "g"):
        if not bool(torch.isfinite(cat[name]).all()):
            reasons.append(f"non-finite values in the inner solution ({name})")
    is_sound = not reasons
    if is_sound and argument == "local":
        surrogate = _mean_up(phi_upper)
    else:
        surrogate = float((phi_upper if is_sound else phi_lower).mean())
    rho_hat = float(cat["cost"].mean())
    lam = cat["lam"]
    frac = None if lam is None else float((lam >= 2.0 * gamma).double().mean())
    fractions = lb.fractions() if lb is not None else {}
    if reasons:
        reason = "; ".join(dict.fromkeys(reasons))
    elif argument == "local":
        reason = ("per-example sound bounds of phi_gamma (bound propagation on the ball "
                  "||z - x|| <= G/gamma): " + ", ".join(f"{k} {100 * v:.1f}%" for k, v in fractions.items()))
    else:
        reason = (f"certified L_zz <= {lzz:.6g} (Corollary 4 with the CE curvature 1/2, layer norms) "
                  f"gives mu = 2*gamma - L_zz = {mu:.6g} > 0")
    if argument == "local":
        assumptions = (ROUNDING_ASSUMPTION,
                       "the certified function is the model's exact-arithmetic function (Softplus as "
                       "log(1+exp(beta x))/beta); the per-example allowance (at most "
                       f"{float(lb.allowance.max()) if lb is not None else float('nan'):.3g}) also covers "
                       "torch's float64 evaluation and its Softplus threshold switch for every z with "
                       "||z - x|| <= R_i",)
        if net is not None and any(op[0] == "conv" for op in net.ops):
            assumptions += ("convolution norms are the smallest of rigorous bounds (kernel-offset sum, "
                            "explicit matrix) and the circular-FFT norm times 1 + 1e-9, which assumes the "
                            "FFT's and SVD's backward errors (O(log N u), O(m u) relative) stay below that margin",)
    else:
        assumptions = tuple(smooth.assumptions) + (
            "float64 evaluation; its rounding is not bounded rigorously (it is far below "
            "CERTIFICATE_ABS=1e-8 for O(1) losses and n <= 1e5)",)
    from checker.certify.bnb import BNB_TOL
    return Certificate(
        gamma=gamma, n=n, split=split, rho_hat=rho_hat, surrogate_mean=surrogate,
        surrogate_lower_mean=float(phi_lower.mean()),
        certificate_at_rho_hat=surrogate + gamma * rho_hat,
        worst_case_loss=float(cat["loss"].mean()), clean_loss=float(cat["clean"].mean()),
        sound=is_sound, reason=reason, lzz_bound=lzz_paper, lzz_bound_tight=lzz, mu=mu,
        fraction_not_strongly_concave=frac,
        hessian_lambda_max_max=None if lam is None else float(lam.max()),
        inner_steps=steps_taken, inner_converged=bool(converged), max_grad_norm=float(gnorm.max()),
        correction_mean=correction_mean,
        assumptions=assumptions + extra_assumptions,
        argument=argument, method_fractions=fractions,
        allowance_max=None if lb is None else float(lb.allowance.max()),
        bnb_tol=(BNB_TOL if bnb_tol is None else bnb_tol) if lb is not None and bnb else None,
        bnb_converged_fraction=None if lb is None or not bool((lb.method == 1).any()) else
        float(lb.bnb_converged[lb.method == 1].double().mean()),
        crown=crown and lb is not None,
        steps_mean=float(cat["steps"].double().mean()),
        layers=smooth.layers,
        lzz_source=smooth.source, n_parameters=sum(p.numel() for p in model64.parameters()),
        phi_lower=phi_lower, phi_upper=phi_upper,
        loss_at_z=cat["loss"], transport_cost=cat["cost"], grad_norm=gnorm,
        hessian_lambda_max=lam, z_hat=cat["z"],
        phi_method=None if lb is None else lb.method,
        local_radius=None if lb is None else lb.radius,
        local_curvature=None if lb is None else lb.curvature)


def _mean_up(v) -> float:
    """An upper bound of the exact mean of the float64 tensor ``v``: ``math.fsum`` is correctly
    rounded, the division adds one rounding; two ``nextafter`` steps cover both."""
    total = math.fsum(v.tolist())
    m = total / len(v)
    return math.nextafter(math.nextafter(m, math.inf), math.inf)


#: Per-(model, data, seed) cache of what does not depend on gamma: Corollary 4's bound, the
#: engine's network form, the global Lipschitz constant, the step-size curvature estimate.
#: A gamma sweep computes them once. Keyed by a content hash of the weights and the data.
_SWEEP_CACHE: dict = {}
_SWEEP_CACHE_SIZE = 4


def _cache_key(model64, x, y, seed, arch=None):
    from checker.certify.exact import architecture_signature
    from checker.io import fingerprint

    return (_content_hash(list(model64.state_dict().values())), _content_hash([x, y]),
            repr(model64), fingerprint(architecture_signature(model64)), fingerprint(arch), int(seed))


def _cache_put(key, value) -> None:
    _SWEEP_CACHE.pop(key, None)
    _SWEEP_CACHE[key] = value
    while len(_SWEEP_CACHE) > _SWEEP_CACHE_SIZE:
        _SWEEP_CACHE.pop(next(iter(_SWEEP_CACHE)))


def _ascent(model64, x, y, *, gamma: float, step: float, tol: float | None, steps: int, loss_fn):
    """Gradient ascent on :math:`f(z)=\\ell(z)-\\gamma\\lVert z-x\\rVert^2` with per-example
    stopping: an example stops as soon as its :math:`\\lVert\\nabla f\\rVert\\le` ``tol`` (only
    the still-active examples are evaluated), or after ``steps`` steps (all of them when ``tol``
    is None). Returns the per-example arrays and steps."""
    import torch

    n = x.shape[0]

    def evaluate(z, x0, yy):
        with torch.enable_grad():
            zz = z.detach().requires_grad_(True)
            loss = loss_fn(model64(zz), yy)
            cost = (zz - x0).reshape(zz.shape[0], -1).pow(2).sum(1)
            obj = loss - gamma * cost
            (g,) = torch.autograd.grad(obj.sum(), zz)
        return obj.detach(), loss.detach(), cost.detach(), g

    z = x.detach().clone()
    obj, loss, cost, grad = evaluate(z, x, y)
    gn = grad.reshape(n, -1).norm(dim=1)
    nsteps = torch.zeros(n, dtype=torch.int64)
    active = torch.arange(n, device=x.device)
    for _ in range(steps):
        if tol is not None:
            active = active[gn[active] > tol]
        if not active.numel():
            break
        za = z[active] + step * grad[active]
        o, l, c, g = evaluate(za, x[active], y[active])
        z[active], obj[active], loss[active], cost[active], grad[active] = za, o, l, c, g
        gn[active] = g.reshape(active.numel(), -1).norm(dim=1)
        nsteps[active.cpu()] += 1
    converged = None if tol is None else bool((gn <= tol).all())  # None: fixed step count, no test
    return {"z": z, "obj": obj, "loss": loss, "cost": cost, "g": gn, "steps": nsteps,
            "converged": converged}


def _default_curvature(model64, x, y, lzz: float | None, loss_fn, seed: int) -> float:
    """The curvature term :math:`L` of the default step :math:`1/(2\\gamma+L)` (see
    :func:`_default_step`); independent of gamma, so cached across a sweep."""
    from checker.certify.hessian import hessian_lambda_max
    from checker.wrm._mode import frozen_eval

    k = min(256, x.shape[0])
    with frozen_eval(model64):
        est = float(hessian_lambda_max(model64, x[:k], y[:k], iters=10, seed=seed,
                                       loss_fn=loss_fn).abs_max.max())
    curv = 2.0 * est if lzz is None else min(lzz, 2.0 * est)
    if not math.isfinite(curv):
        curv = 0.0
    return curv


def _default_step(model64, x, y, gamma: float, lzz: float | None, loss_fn, seed: int) -> float:
    """:math:`1/(2\\gamma + L)` with :math:`L` = twice the largest Hessian-norm estimate on (up
    to) 256 data points, capped by the certified bound: for a :math:`(2\\gamma+L)`-smooth
    objective this step never decreases it [D]. Only the speed of the ascent depends on it; the
    sound bounds do not."""
    return 1.0 / (2.0 * gamma + _default_curvature(model64, x, y, lzz, loss_fn, seed))
