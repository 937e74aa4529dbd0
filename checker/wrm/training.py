r"""Training runs for WRM and its baselines: configuration, the epoch loop, per-epoch metrics,
atomic checkpoints with resume, and the saved results.

Paper: Sinha, Namkoong, Duchi, ICLR 2018, Algorithm 1 (WRM) and §4 (ERM, FGM, IFGM, PGM). The
optimiser, learning rate, epochs and batch size of the paper's figures are not given
(docs/math/sinha.md); ours are project choices [R]: Adam (as the authors' MNIST code), learning
rate 0.01 on the synthetic task (as a public reproduction) and 0.001 otherwise (the authors'
MNIST code), batch 128. Label smoothing is off by default; the authors' MNIST clip of the
labels to [0.1/9, 0.9] is ``label_smoothing = official_label_smoothing(10) = 1/9``.

Budgets [P]: WRM uses γ = 2 (synthetic) or γ = 0.04·C₂ (MNIST; C₂ from the training data).
Baselines use ε with :math:`\epsilon^2 = \hat\rho_n(\theta_{\rm WRM})` (eq. (17)/(19)), read from a
saved WRM run by :func:`eps_from_wrm_run`, or given explicitly.

Reported for WRM at the *final* θ (not a running mean, docs/math/sinha.md):
:math:`\hat\rho_n = \mathbb{E}_n[c(\hat z, x)]` and :math:`\mathbb{E}_n[f(\hat z)]`, the mean inner
objective — a lower estimate of :math:`\mathbb{E}_n\phi_\gamma` (the inner ascent is approximate).

Resume [R]: with ``out`` set, a checkpoint is written atomically after every epoch; running the
same configuration with the same ``out`` continues from it (identical final weights to an
uninterrupted run on the same device type); a different configuration, device type or dtype
is refused with :class:`~checker.errors.ResumeError` (see :mod:`checker.device`).
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.errors import InvalidArgument
from checker.validate import integer, nonnegative, one_of, positive, positive_int, config_keys
from checker.wrm.methods import METHODS

__all__ = ["TrainConfig", "EpochMetrics", "TrainResult", "train", "eps_from_wrm_run",
           "training_loss", "official_label_smoothing",
           "evaluate_accuracy", "evaluate_inner", "build_model", "load_config_file", "MODEL_KINDS"]

MODEL_KINDS = ("mlp", "conv")


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """A training run. ``None`` fields take the paper's/project's default for the data set
    (see :meth:`resolved`)."""

    method: str = "erm"
    dataset: str = "synthetic"
    model: str | None = None
    activation: str = "elu"
    hidden: tuple[int, ...] = (4, 2)
    gamma: float | None = None
    eps: float | None = None
    norm: str = "2"
    steps: int | None = None
    epochs: int | None = None
    batch_size: int = 128
    lr: float | None = None
    seed: int = 0
    n: int = 2000
    max_train: int | None = None
    dtype: str = "float64"
    clip: tuple[float, float] | None = None
    label_smoothing: float = 0.0

    def __post_init__(self) -> None:
        one_of("method", self.method, METHODS)
        if not isinstance(self.dataset, str) or not self.dataset:
            raise InvalidArgument("dataset", self.dataset, "must be synthetic, mnist, digits or a PATH.npz")
        if self.dataset not in ("synthetic", "mnist", "digits") and not self.dataset.endswith(".npz"):
            one_of("dataset", self.dataset, ("synthetic", "mnist", "digits", "PATH.npz"))
        if self.model is not None:
            one_of("model", self.model, MODEL_KINDS)
        from checker.wrm.models import ACTIVATIONS

        one_of("activation", self.activation, ACTIVATIONS)
        object.__setattr__(self, "hidden", tuple(positive_int("hidden", h) for h in self.hidden))
        if self.gamma is not None:
            object.__setattr__(self, "gamma", positive("gamma", self.gamma))
        if self.eps is not None:
            object.__setattr__(self, "eps", nonnegative("eps", self.eps))
        from checker.wrm._grad import check_norm

        object.__setattr__(self, "norm", check_norm(self.norm))
        if self.steps is not None:
            object.__setattr__(self, "steps", integer("steps", self.steps, min_value=1))
        if self.epochs is not None:
            object.__setattr__(self, "epochs", positive_int("epochs", self.epochs))
        object.__setattr__(self, "batch_size", positive_int("batch_size", self.batch_size))
        if self.lr is not None:
            object.__setattr__(self, "lr", positive("lr", self.lr))
        object.__setattr__(self, "seed", integer("seed", self.seed, min_value=0))
        object.__setattr__(self, "n", positive_int("n", self.n))
        if self.max_train is not None:
            object.__setattr__(self, "max_train", positive_int("max_train", self.max_train))
        one_of("dtype", self.dtype, ("float32", "float64"))
        from checker.validate import in_range

        object.__setattr__(self, "label_smoothing",
                           in_range("label_smoothing", self.label_smoothing, 0.0, 1.0, hi_open=True))
        if self.clip is not None:
            lo, hi = (float(c) for c in self.clip)
            if not lo < hi:
                raise InvalidArgument("clip", self.clip, "must be (lo, hi) with lo < hi")
            object.__setattr__(self, "clip", (lo, hi))
        if self.method in ("fgm", "ifgm", "pgm") and self.eps is None:
            raise InvalidArgument("eps", None, f"is required for method {self.method!r}",
                                  hint="pass --eps E, or --match-wrm RUN to use eps = sqrt(rho_hat) of a WRM run")

    @classmethod
    def from_mapping(cls, mapping: dict[str, Any]) -> "TrainConfig":
        """Build from a dict (e.g. a TOML table); unknown keys are refused with suggestions."""
        kw = config_keys(cls, mapping)
        for key in ("hidden", "clip"):
            if kw.get(key) is not None:
                kw[key] = tuple(kw[key])
        return cls(**kw)

    def model_kind(self) -> str:
        return self.model or ("conv" if self.dataset == "mnist" else "mlp")

    def n_epochs(self) -> int:
        """Epochs: as given, else 30 on the synthetic task (seconds on CPU) and 5 otherwise."""
        return self.epochs if self.epochs is not None else (30 if self.dataset == "synthetic" else 5)

    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else (0.01 if self.dataset == "synthetic" else 0.001)


def load_config_file(path) -> dict[str, Any]:
    """Read a TOML file of TrainConfig fields (top level, or a ``[train]`` table)."""
    from checker.io import read_toml

    data = read_toml(path, "config")
    return dict(data.get("train", data))


@dataclass(frozen=True, kw_only=True)
class EpochMetrics:
    """Per-epoch training metrics (means over the epoch's batches, at the running θ), and the
    clean test accuracy at the end of the epoch."""

    epoch: int
    loss: float
    accuracy: float
    test_accuracy: float
    rho: float | None
    surrogate: float | None
    seconds: float


@dataclass(frozen=True, kw_only=True)
class TrainResult:
    """A finished run. ``rho_hat``/``surrogate``: WRM only, at the final θ on the training set."""

    model: Any
    config: TrainConfig
    history: tuple[EpochMetrics, ...]
    train_accuracy: float
    test_accuracy: float
    gamma: float | None
    eps: float | None
    rho_hat: float | None
    surrogate: float | None
    C2: float
    device: str
    resumed_from_epoch: int = 0
    out: str | None = None
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        """JSON-able summary (no model)."""
        return {
            "method": self.config.method, "dataset": self.config.dataset,
            "model": self.config.model_kind(), "activation": self.config.activation,
            "epochs": self.config.n_epochs(), "seed": self.config.seed,
            "train_accuracy": self.train_accuracy, "test_accuracy": self.test_accuracy,
            "gamma": self.gamma, "eps": self.eps, "norm": self.config.norm,
            "rho_hat": self.rho_hat, "surrogate": self.surrogate,
            "surrogate_note": ("mean inner objective f(z_hat): a lower estimate of E_n[phi_gamma] "
                               "(approximate inner ascent)") if self.rho_hat is not None else None,
            "label_smoothing": self.config.label_smoothing,
            "C2": self.C2, "device": self.device, "resumed_from_epoch": self.resumed_from_epoch,
            "seconds": self.seconds, "out": self.out,
            "config": dataclasses.asdict(self.config),
            "history": [dataclasses.asdict(h) for h in self.history],
        }


def eps_from_wrm_run(path) -> float:
    """:math:`\\epsilon = \\sqrt{\\hat\\rho_n(\\theta_{WRM})}` from a saved WRM run (folder or
    ``model.pt``), the paper's budget matching (eq. (17)/(19))."""
    from checker.wrm.models import load_model_meta

    meta = load_model_meta(path)
    if meta.get("method") != "wrm" or meta.get("rho_hat") is None:
        raise InvalidArgument("match_wrm", str(path), "must be a run saved by WRM training (with rho_hat)")
    return math.sqrt(float(meta["rho_hat"]))


def build_model(config: TrainConfig, data):
    from checker.wrm.models import mlp, mnist_convnet

    if config.model_kind() == "conv":
        if len(data.input_shape) != 3:
            raise InvalidArgument("model", "conv", f"needs image inputs (C, H, W); the data have shape {data.input_shape}")
        return mnist_convnet(n_classes=data.n_classes, activation=config.activation,
                             in_channels=data.input_shape[0], seed=config.seed, dtype=config.dtype)
    return mlp(data.in_features, config.hidden, config.activation, data.n_classes,
               seed=config.seed, dtype=config.dtype)


def official_label_smoothing(n_classes: int = 10) -> float:
    """The authors' MNIST label clip to [0.1/9, 0.9] equals torch's ``label_smoothing`` of
    0.1·K/(K−1) (1/9 for K = 10): true class (1−s)+s/K = 0.9, others s/K = 0.1/9 [D]."""
    return 0.1 * n_classes / (n_classes - 1)


def training_loss(label_smoothing: float = 0.0):
    """Per-example cross-entropy, optionally label-smoothed; used by both the inner
    maximisation and the outer step (as the authors' code passes smoothed labels to ``wrm``)."""
    if label_smoothing == 0.0:
        from checker.wrm.inner import default_loss

        return default_loss
    import torch.nn.functional as F

    def loss(logits, y):
        return F.cross_entropy(logits, y, reduction="none", label_smoothing=label_smoothing)

    return loss


def _batches(n: int, batch_size: int):
    return [(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]


def evaluate_accuracy(model, x, y, *, batch_size: int = 1024) -> float:
    """Clean accuracy (model in eval mode, no gradients; mode restored)."""
    import torch

    from checker.wrm._mode import frozen_eval

    correct = 0
    with frozen_eval(model), torch.no_grad():
        for a, b in _batches(x.shape[0], batch_size):
            correct += int((model(x[a:b]).argmax(dim=1) == y[a:b]).sum())
    return correct / x.shape[0]


def evaluate_inner(model, x, y, config, *, batch_size: int = 1024, loss_fn=None):
    """Mean transport cost (ρ̂), mean objective and mean loss of the inner maximisation over a
    data set, in batches. Returns a dict."""
    from checker.wrm.inner import maximize_inner

    tot = {"rho_hat": 0.0, "surrogate": 0.0, "loss": 0.0, "max_grad_norm": 0.0}
    n = x.shape[0]
    for a, b in _batches(n, batch_size):
        r = maximize_inner(model, x[a:b], y[a:b], config, loss_fn=loss_fn)
        tot["rho_hat"] += float(r.transport_cost.sum())
        tot["surrogate"] += float(r.objective.sum())
        tot["loss"] += float(r.loss.sum())
        tot["max_grad_norm"] = max(tot["max_grad_norm"], float(r.grad_norm.max()))
    for k in ("rho_hat", "surrogate", "loss"):
        tot[k] /= n
    return tot


def _fingerprint(config: TrainConfig, identity: dict[str, str]) -> str:
    """Content hash of the configuration *and* the device type and dtype the run computes on
    (:func:`checker.device.checkpoint_identity`): a checkpoint resumes only where it was made."""
    from checker.io import fingerprint

    return fingerprint({"train_config": dataclasses.asdict(config), "identity": identity, "version": 2})


def _load_state(ckpt: Path, fp: str, identity: dict[str, str]):
    """The checkpoint's state (None if absent). A checkpoint made on another device type or in
    another dtype is refused with a ResumeError naming ``--device``/``--dtype`` and the file."""
    import torch

    from checker.device import check_resume_device
    from checker.errors import ResumeError
    from checker.io import load_checkpoint

    try:
        return load_checkpoint(ckpt, config_fingerprint=fp)
    except ResumeError:
        try:
            blob = torch.load(ckpt, map_location="cpu", weights_only=True)
            saved = blob["state"].get("identity")
        except Exception:  # unreadable or foreign file: the generic refusal below says enough
            raise ResumeError(f"checkpoint {ckpt} belongs to a different configuration; use a fresh "
                              "--out folder or delete the checkpoint to start over") from None
        if saved != identity:
            check_resume_device(ckpt, saved, identity)
        raise


def train(config: TrainConfig, *, out=None, data=None, device: object = "auto",
          stop_after: int | None = None, deterministic: bool | None = None,
          allow_tf32: bool = False) -> TrainResult:
    """Train ``config`` (resuming from ``out/checkpoint.pt`` when present).

    ``data``: a preloaded :class:`~checker.wrm.data.Dataset` (else loaded from
    ``config.dataset``). ``stop_after``: stop after that many epochs *in this call* (the run can
    be resumed later; used to time-slice long runs and to test resumption).
    ``deterministic`` / ``allow_tf32``: the numerical policy of :func:`checker.device.device_policy`
    (``deterministic=None`` reads ``CHECKER_DETERMINISTIC``; TF32 off unless asked for). A
    checkpoint made on another device type or dtype is refused (:class:`~checker.errors.ResumeError`).
    """
    from checker.device import device_policy

    with device_policy(deterministic=deterministic, allow_tf32=allow_tf32):
        return _train(config, out=out, data=data, device=device, stop_after=stop_after)


def _train(config: TrainConfig, *, out, data, device, stop_after) -> TrainResult:
    import torch

    from checker.device import checkpoint_identity, resolve_device
    from checker.io import save_checkpoint, write_json
    from checker.validate import output_dir
    from checker.progress import progress
    from checker.wrm.data import C2, load_dataset
    from checker.wrm.methods import make_config, train_step
    from checker.wrm.models import save_model
    from checker.wrm.wrm import paper_gamma

    if not isinstance(config, TrainConfig):
        raise InvalidArgument("config", type(config).__name__, "must be a TrainConfig")
    dev = resolve_device(device)
    t0 = time.perf_counter()
    if data is None:
        data = load_dataset(config.dataset, seed=config.seed, n=config.n,
                            flat=config.model_kind() == "mlp" and config.dataset == "digits")
    dtype = torch.float64 if config.dtype == "float64" else torch.float32
    xtr, ytr = data.x_train, data.y_train
    if config.max_train is not None:
        xtr, ytr = xtr[: config.max_train], ytr[: config.max_train]
    xtr, ytr = xtr.to(dev, dtype), ytr.to(dev)
    xte, yte = data.x_test.to(dev, dtype), data.y_test.to(dev)
    c2 = C2(xtr)
    gamma = None
    if config.method == "wrm":
        gamma = config.gamma if config.gamma is not None else paper_gamma(config.dataset, xtr)
    mcfg = make_config(config.method, gamma=gamma, eps=config.eps, norm=config.norm,
                       steps=config.steps, clip=config.clip)

    loss_fn = training_loss(config.label_smoothing)
    model = build_model(config, data).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=config.learning_rate())
    order_gen = torch.Generator().manual_seed(config.seed)
    attack_gen = torch.Generator(device=dev).manual_seed(config.seed + 1)
    history: list[EpochMetrics] = []
    start = 0
    identity = checkpoint_identity(dev, dtype)
    fp = _fingerprint(config, identity)
    ckpt = None
    if out is not None:
        out = output_dir("out", out)
        ckpt = out / "checkpoint.pt"
        state = _load_state(ckpt, fp, identity)
        if state is not None:
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            order_gen.set_state(state["order_gen"])
            attack_gen.set_state(state["attack_gen"])
            history = [EpochMetrics(**h) for h in state["history"]]
            start = int(state["epoch"])
    resumed_from = start

    n = xtr.shape[0]
    done_now = 0
    from checker.wrm._threads import threads_for

    with threads_for(model):
        for epoch in range(start, config.n_epochs()):
            if stop_after is not None and done_now >= stop_after:
                break
            te = time.perf_counter()
            model.train()
            perm = torch.randperm(n, generator=order_gen).to(dev)
            sums = {"loss": 0.0, "acc": 0.0, "rho": 0.0, "sur": 0.0}
            batches = _batches(n, config.batch_size)
            for a, b in progress(batches, desc=f"{config.method} epoch {epoch + 1}/{config.n_epochs()}",
                                 total=len(batches)):
                idx = perm[a:b]
                r = train_step(config.method, model, opt, xtr[idx], ytr[idx], mcfg, generator=attack_gen,
                               loss_fn=loss_fn)
                w = (b - a) / n
                sums["loss"] += w * r.loss
                sums["acc"] += w * r.accuracy
                if r.rho is not None:
                    sums["rho"] += w * r.rho
                    sums["sur"] += w * r.surrogate
            wrm = config.method == "wrm"
            history.append(EpochMetrics(epoch=epoch + 1, loss=sums["loss"], accuracy=sums["acc"],
                                        test_accuracy=evaluate_accuracy(model, xte, yte),
                                        rho=sums["rho"] if wrm else None,
                                        surrogate=sums["sur"] if wrm else None,
                                        seconds=time.perf_counter() - te))
            done_now += 1
            if ckpt is not None:
                save_checkpoint(ckpt, {
                    "epoch": epoch + 1, "model": model.state_dict(), "optimizer": opt.state_dict(),
                    "order_gen": order_gen.get_state(), "attack_gen": attack_gen.get_state(),
                    "history": [dataclasses.asdict(h) for h in history], "identity": identity,
                }, config_fingerprint=fp)

        model.eval()
        rho_hat = surrogate = None
        if config.method == "wrm":
            ev = evaluate_inner(model, xtr, ytr, mcfg, loss_fn=loss_fn)
            rho_hat, surrogate = ev["rho_hat"], ev["surrogate"]
        result = TrainResult(
            model=model, config=config, history=tuple(history),
            train_accuracy=evaluate_accuracy(model, xtr, ytr), test_accuracy=evaluate_accuracy(model, xte, yte),
            gamma=gamma, eps=config.eps, rho_hat=rho_hat, surrogate=surrogate, C2=c2, device=str(dev),
            resumed_from_epoch=resumed_from, out=None if out is None else str(out),
            seconds=time.perf_counter() - t0)
        if out is not None and len(history) == config.n_epochs():
            summary = result.summary()
            save_model(model, Path(out) / "model.pt", meta=summary | {"history": None})
            write_json(Path(out) / "result.json", summary)
        return result
