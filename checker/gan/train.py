r"""Training runs of the encoder-decoder GANs of :mod:`checker.gan.bigan` (BiGAN, ALI):
configuration, the alternating minimax loop, atomic checkpoints with resume, and the saved run.

The game is :math:`\min_{G,E}\max_D V(G,E,D)` (:func:`checker.gan.bigan.value`), trained by
alternating Adam steps: one ascent step of :math:`D` on a batch of real images and fresh codes,
then one descent step of :math:`(G, E)` on the same batch. Hyperparameters are project choices
sized for a CPU [R]: Adam with learning rate 2·10⁻⁴ and β₁ = 0.5 (the BiGAN and ALI papers'
choice), batch 128, float32. On the CPU training uses one intra-op thread: on the shared
2-core machine one MNIST step (width 256) took 0.026 s of CPU with one thread and 0.60 s with
two, whose OpenMP workers spin-wait for each other (:mod:`checker.threads`).

A run folder (``out``) holds, once training has finished:

* ``model.pt``: the three networks' weights and the configuration (loads with
  ``weights_only=True``; :func:`load_run`);
* ``generator.ts``: the generator alone as TorchScript, callable on codes
  :math:`z\sim\mathcal N(0, I_k)` without checker (``latent_dim`` is a module attribute);
* ``result.json``: configuration, losses per chunk, timings and reconstruction statistics;
* ``samples.png`` (generator samples) and ``reconstructions.png`` (:math:`x` over
  :math:`G(E(x))`).

While it runs, ``checkpoint.pt`` is written atomically every ``checkpoint_every`` steps;
running the same configuration with the same ``out`` resumes from it, with the same final
weights as an uninterrupted run on the same device type (every random draw comes from one
seeded ``torch.Generator`` whose state is checkpointed). A different configuration, device
type or dtype is refused (:class:`~checker.errors.ResumeError`).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from checker.errors import InvalidArgument
from checker.gan.bigan import ARCHS, LOSSES, build_networks, discriminator_loss, generator_encoder_loss
from checker.validate import integer, one_of, positive, positive_int, config_keys

__all__ = ["GanTrainConfig", "GanChunk", "GanTrainResult", "TrainedGan", "train_gan", "load_run",
           "load_gan_data", "load_gan_labels", "run_mode_count", "DEFAULTS", "RUN_FORMAT"]

RUN_FORMAT = "checker-gan-run-1"

#: Budgets checked before any work starts (a huge value is a typo, not a request for years of
#: CPU): training work in sample-steps (steps x batch_size; 10^9 is about 8·10^6 steps at batch
#: 128, over a CPU-day at the 14.5 ms per step measured on digits) and network widths (a width
#: of 2^14 already makes a 2^28-weight hidden layer, 1 GiB in float32).
MAX_GAN_WORK = 10**9
MAX_WIDTH = 2**14
#: Largest seed: torch.manual_seed takes 64-bit values and the run adds small offsets to it.
MAX_SEED = 2**62
#: Per data set defaults sized for a 2-core CPU [R]: (latent_dim, hidden, steps).
DEFAULTS: dict[str, tuple[int, int, int]] = {"digits": (16, 256, 3000), "mnist": (32, 256, 4000),
                                             "npz": (32, 256, 4000)}


@dataclass(frozen=True, kw_only=True)
class GanTrainConfig:
    """One BiGAN/ALI run. ``None`` fields take the data set's default (:data:`DEFAULTS`);
    ``disc_hidden`` defaults to ``hidden``."""

    arch: str = "bigan"
    dataset: str = "digits"
    latent_dim: int | None = None
    hidden: int | None = None
    disc_hidden: int | None = None
    depth: int = 2
    steps: int | None = None
    batch_size: int = 128
    lr: float = 2e-4
    beta1: float = 0.5
    loss: str = "minimax"
    seed: int = 0
    dtype: str = "float32"
    checkpoint_every: int = 250

    def __post_init__(self) -> None:
        one_of("arch", self.arch, ARCHS)
        if not isinstance(self.dataset, str) or not (self.dataset in ("digits", "mnist")
                                                     or self.dataset.endswith(".npz")):
            one_of("dataset", self.dataset, ("digits", "mnist", "PATH.npz"))
        for name in ("latent_dim", "hidden", "disc_hidden", "steps"):
            v = getattr(self, name)
            if v is not None:
                object.__setattr__(self, name, positive_int(name, v))
        object.__setattr__(self, "depth", integer("depth", self.depth, min_value=1, max_value=8))
        object.__setattr__(self, "batch_size", positive_int("batch_size", self.batch_size))
        object.__setattr__(self, "lr", positive("lr", self.lr))
        from checker.validate import in_range

        object.__setattr__(self, "beta1", in_range("beta1", self.beta1, 0.0, 1.0, hi_open=True))
        one_of("loss", self.loss, LOSSES)
        # torch seeds are 64-bit; the run derives seeds up to seed + 13 from it
        object.__setattr__(self, "seed", integer("seed", self.seed, min_value=0, max_value=MAX_SEED))
        one_of("dtype", self.dtype, ("float32", "float64"))
        object.__setattr__(self, "checkpoint_every", positive_int("checkpoint_every", self.checkpoint_every))
        for name in ("latent_dim", "hidden", "disc_hidden"):
            v = getattr(self, name)
            if v is not None and v > MAX_WIDTH:
                raise InvalidArgument(name, v, f"must be <= {MAX_WIDTH:,} (a hidden layer of width^2 weights is held in memory)")
        if self.batch_size > MAX_GAN_WORK:
            raise InvalidArgument("batch_size", self.batch_size, f"must be <= {MAX_GAN_WORK:.0e}")
        work = (self.steps or self._defaults()[2]) * self.batch_size
        if work > MAX_GAN_WORK:
            raise InvalidArgument("steps", self.steps, f"times batch_size {self.batch_size} is about "
                                  f"10^{len(str(work)) - 1} sample-steps, above the budget {MAX_GAN_WORK:.0e} "
                                  "(over a CPU-day on 2 cores)")

    @classmethod
    def from_mapping(cls, mapping: dict[str, Any]) -> "GanTrainConfig":
        return cls(**config_keys(cls, mapping))

    def _defaults(self) -> tuple[int, int, int]:
        return DEFAULTS[self.dataset if self.dataset in DEFAULTS else "npz"]

    def resolved(self) -> "GanTrainConfig":
        """The configuration with every default filled in (what the run fingerprints)."""
        k, h, s = self._defaults()
        hidden = self.hidden or h
        return dataclasses.replace(self, latent_dim=self.latent_dim or k, hidden=hidden,
                                   disc_hidden=self.disc_hidden or hidden, steps=self.steps or s)


@dataclass(frozen=True, kw_only=True)
class GanChunk:
    """Means over the ``checkpoint_every`` steps ending at ``step``: the discriminator's loss
    :math:`-V`, the mean probabilities :math:`D(x,E(x))` and :math:`D(G(z),z)`, and time."""

    step: int
    d_loss: float
    ge_loss: float
    d_real: float
    d_fake: float
    seconds: float


@dataclass(frozen=True, kw_only=True)
class TrainedGan:
    """A trained (or loaded) run: the three networks in eval mode, and its configuration."""

    config: GanTrainConfig
    generator: Any
    encoder: Any
    discriminator: Any
    d: int
    image_shape: tuple[int, int] | None
    path: str | None = None

    def sample(self, n: int, *, generator: torch.Generator) -> torch.Tensor:
        """``n`` fresh samples :math:`G(z)`, :math:`z\\sim\\mathcal N(0,I)`, float64 on CPU."""
        p = next(self.generator.parameters())
        z = torch.randn(positive_int("n", n), self.config.latent_dim, generator=generator,
                        dtype=torch.float64, device=generator.device).to(p.device, p.dtype)
        with torch.no_grad():
            return self.generator(z).double().cpu()


@dataclass(frozen=True, kw_only=True)
class GanTrainResult:
    """A finished (or stopped) run: ``trained`` networks, per-chunk history, timings."""

    trained: TrainedGan
    history: tuple[GanChunk, ...]
    steps_done: int
    finished: bool
    resumed_from_step: int
    seconds: float
    device: str
    n_train: int
    n_test: int
    reconstruction: Any = None
    modes: Any = None
    out: str | None = None

    def summary(self) -> dict[str, Any]:
        cfg = self.trained.config
        return {"arch": cfg.arch, "dataset": cfg.dataset, "loss": cfg.loss, "seed": cfg.seed,
                "steps": cfg.steps, "steps_done": self.steps_done, "finished": self.finished,
                "resumed_from_step": self.resumed_from_step, "seconds": self.seconds,
                "device": self.device, "n_train": self.n_train, "n_test": self.n_test,
                "d": self.trained.d, "image_shape": self.trained.image_shape,
                "config": dataclasses.asdict(cfg),
                "final": dataclasses.asdict(self.history[-1]) if self.history else None,
                "reconstruction": None if self.reconstruction is None else dataclasses.asdict(self.reconstruction),
                "modes": None if self.modes is None else dataclasses.asdict(self.modes),
                "history": [dataclasses.asdict(h) for h in self.history], "out": self.out}


def load_gan_data(dataset: str, *, seed: int = 0):
    """Flattened train/test images in [0, 1] and the image shape: ``(x_train, x_test, shape)``.

    Bundled sets use the seeded stratified split of :mod:`checker.wrm.data` (digits: 1,437 /
    360; mnist: 4,000 / 1,000). A ``.npz`` needs arrays ``x`` and ``y`` (as ``checker train``)
    with pixel values in [0, 1] (the generator's sigmoid range)."""
    from checker.wrm.data import load_dataset

    data = load_dataset(dataset, seed=seed, flat=dataset == "digits")
    xtr = data.x_train.reshape(data.x_train.shape[0], -1)
    xte = data.x_test.reshape(data.x_test.shape[0], -1)
    if xtr.shape[0] < 2 or xte.shape[0] < 2:
        raise InvalidArgument("dataset", dataset, "must hold at least 2 training and 2 test images")
    lo, hi = float(min(xtr.min(), xte.min())), float(max(xtr.max(), xte.max()))
    if lo < 0.0 or hi > 1.0:
        raise InvalidArgument("dataset", dataset, f"pixel values must lie in [0, 1] (found {lo:.3g}..{hi:.3g})",
                              hint="scale the images to [0, 1]: the generator ends in a sigmoid")
    shape = tuple(int(s) for s in data.input_shape[-2:]) if len(data.input_shape) >= 2 else None
    if dataset == "digits":
        shape = (8, 8)
    if shape is not None and shape[0] * shape[1] != xtr.shape[1]:
        shape = None
    return xtr, xte, shape


def load_gan_labels(dataset: str, *, seed: int = 0):
    """The labels ``(y_train, y_test)`` of :func:`load_gan_data`'s split, and the class count."""
    from checker.wrm.data import load_dataset

    data = load_dataset(dataset, seed=seed, flat=dataset == "digits")
    return data.y_train, data.y_test, int(data.n_classes)


def _fingerprint(cfg: GanTrainConfig, identity: dict[str, str]) -> str:
    from checker.io import fingerprint

    return fingerprint({"gan_train_config": dataclasses.asdict(cfg), "identity": identity,
                        "format": RUN_FORMAT})


def _load_state(ckpt: Path, fp: str, identity: dict[str, str]):
    from checker.device import check_resume_device
    from checker.errors import ResumeError
    from checker.io import load_checkpoint

    try:
        return load_checkpoint(ckpt, config_fingerprint=fp)
    except ResumeError:
        try:
            saved = torch.load(ckpt, map_location="cpu", weights_only=True)["state"].get("identity")
        except Exception:  # unreadable or foreign file: the generic refusal says enough
            raise ResumeError(f"checkpoint {ckpt} belongs to a different configuration; use a fresh "
                              "--out folder or delete the checkpoint to start over") from None
        if saved != identity:
            check_resume_device(ckpt, saved, identity)
        raise


def train_gan(config: GanTrainConfig, *, out=None, device: object = "cpu",
              stop_after: int | None = None, recon: bool = True) -> GanTrainResult:
    """Train ``config`` (resuming from ``out/checkpoint.pt`` when present).

    ``stop_after``: stop after that many checkpoint chunks *in this call* (the run can be
    resumed later; used to test resumption). ``recon``: compute the reconstruction statistics
    and figures at the end (:mod:`checker.gan.reconstruction`).
    """
    from checker.device import checkpoint_identity, resolve_device
    from checker.io import save_checkpoint
    from checker.threads import threads_for, torch_threads
    from checker.validate import output_dir

    if not isinstance(config, GanTrainConfig):
        raise InvalidArgument("config", type(config).__name__, "must be a GanTrainConfig")
    cfg = config.resolved()
    dev = resolve_device(device, "device")
    dtype = torch.float32 if cfg.dtype == "float32" else torch.float64
    t0 = time.perf_counter()
    xtr_cpu, xte_cpu, shape = load_gan_data(cfg.dataset, seed=cfg.seed)
    xtr = xtr_cpu.to(dev, dtype)
    n, d = xtr.shape
    G, E, D = build_networks(arch=cfg.arch, d=d, latent_dim=cfg.latent_dim, hidden=cfg.hidden,
                             disc_hidden=cfg.disc_hidden, depth=cfg.depth, seed=cfg.seed,
                             dtype=dtype, device=dev)
    betas = (cfg.beta1, 0.999)
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr, betas=betas)
    opt_ge = torch.optim.Adam(list(G.parameters()) + list(E.parameters()), lr=cfg.lr, betas=betas)
    rng = torch.Generator(device=dev).manual_seed(cfg.seed + 1)
    identity = checkpoint_identity(dev, dtype)
    fp = _fingerprint(cfg, identity)
    history: list[GanChunk] = []
    step = 0
    ckpt = None
    if out is not None:
        out = output_dir("out", out)
        ckpt = out / "checkpoint.pt"
        state = _load_state(ckpt, fp, identity)
        if state is not None:
            for net, key in ((G, "G"), (E, "E"), (D, "D")):
                net.load_state_dict(state[key])
            opt_d.load_state_dict(state["opt_d"])
            opt_ge.load_state_dict(state["opt_ge"])
            rng.set_state(state["rng"])
            history = [GanChunk(**h) for h in state["history"]]
            step = int(state["step"])
    resumed_from = step
    chunks_now = 0
    k, B = cfg.latent_dim, cfg.batch_size
    from checker.progress import mode, note

    bar = None
    if mode() == "bar":
        from tqdm.auto import tqdm
        import sys

        bar = tqdm(total=cfg.steps, initial=step, desc=f"{cfg.arch} on {cfg.dataset}", file=sys.stderr,
                   leave=False, dynamic_ncols=True)
    t_loop = time.perf_counter()
    steps_at_loop = step
    try:
        with torch_threads(1) if dev.type == "cpu" else threads_for(G):
            while step < cfg.steps:
                if stop_after is not None and chunks_now >= stop_after:
                    break
                tc = time.perf_counter()
                size = min(cfg.checkpoint_every, cfg.steps - step)
                sums = np.zeros(4)
                for _ in range(size):
                    G.train(), E.train(), D.train()
                    idx = torch.randint(0, n, (B,), generator=rng, device=dev)
                    x = xtr[idx]
                    z = torch.randn(B, k, generator=rng, device=dev, dtype=dtype)
                    eps = torch.randn(B, k, generator=rng, device=dev, dtype=dtype) if E.stochastic else None
                    ex = E(x, eps)
                    gz = G(z)
                    t_real, t_fake = D(x, ex.detach()), D(gz.detach(), z)
                    ld = discriminator_loss(t_real, t_fake)
                    opt_d.zero_grad(set_to_none=True)
                    ld.backward()
                    opt_d.step()
                    t_real, t_fake = D(x, ex), D(gz, z)
                    lge = generator_encoder_loss(t_real, t_fake, loss=cfg.loss)
                    opt_ge.zero_grad(set_to_none=True)
                    lge.backward()
                    opt_ge.step()
                    sums += (float(ld.detach()), float(lge.detach()), float(torch.sigmoid(t_real.detach()).mean()),
                             float(torch.sigmoid(t_fake.detach()).mean()))
                    if not np.isfinite(sums[0] + sums[1]):
                        from checker.errors import CheckError

                        raise CheckError(f"training diverged at step {step + 1} (a non-finite loss); "
                                         "lower --lr or use --dtype float64")
                step += size
                chunks_now += 1
                sums /= size
                history.append(GanChunk(step=step, d_loss=float(sums[0]), ge_loss=float(sums[1]),
                                        d_real=float(sums[2]), d_fake=float(sums[3]),
                                        seconds=time.perf_counter() - tc))
                if ckpt is not None:
                    save_checkpoint(ckpt, {
                        "step": step, "G": G.state_dict(), "E": E.state_dict(), "D": D.state_dict(),
                        "opt_d": opt_d.state_dict(), "opt_ge": opt_ge.state_dict(), "rng": rng.get_state(),
                        "history": [dataclasses.asdict(h) for h in history], "identity": identity,
                    }, config_fingerprint=fp)
                rate = (step - steps_at_loop) / max(time.perf_counter() - t_loop, 1e-9)
                eta = (cfg.steps - step) / rate if rate > 0 else float("inf")
                if bar is not None:
                    bar.update(size)
                    bar.set_postfix_str(f"D loss {sums[0]:.3f}")
                else:
                    note(f"{cfg.arch} on {cfg.dataset}: step {step}/{cfg.steps}, D loss {sums[0]:.3f}, "
                         f"D(x,E(x)) {sums[2]:.2f}, D(G(z),z) {sums[3]:.2f}, ETA {eta:.0f} s")
    finally:
        if bar is not None:
            bar.close()
    for net in (G, E, D):
        net.eval()
    trained = TrainedGan(config=cfg, generator=G, encoder=E, discriminator=D, d=d, image_shape=shape,
                         path=None if out is None else str(out))
    finished = step >= cfg.steps
    rec = modes = None
    if finished and recon:
        from checker.gan.reconstruction import reconstruction_stats

        rec = reconstruction_stats(trained, xte_cpu, seed=cfg.seed)
        modes = run_mode_count(trained, seed=cfg.seed)
    result = GanTrainResult(trained=trained, history=tuple(history), steps_done=step, finished=finished,
                            resumed_from_step=resumed_from, seconds=time.perf_counter() - t0,
                            device=str(dev), n_train=int(n), n_test=int(xte_cpu.shape[0]),
                            reconstruction=rec, modes=modes, out=None if out is None else str(out))
    if out is not None and finished:
        _save_run(result, Path(out), xte_cpu)
    return result


def run_mode_count(trained, *, n: int = 2000, seed: int = 0):
    """:func:`checker.gan.modes.mode_count` of ``n`` samples of ``trained`` with a classifier
    trained on its data set's training split (labelled data sets only)."""
    from checker.gan.modes import mode_count, train_classifier

    cfg = trained.config
    xtr, xte, _ = load_gan_data(cfg.dataset, seed=cfg.seed)
    ytr, yte, K = load_gan_labels(cfg.dataset, seed=cfg.seed)
    clf = train_classifier(xtr, ytr, seed=cfg.seed)
    x = trained.sample(n, generator=torch.Generator().manual_seed(seed + 13))
    return mode_count(x, classifier=clf, x_test=xte, y_test=yte, n_classes=K)


def _save_run(result: GanTrainResult, out: Path, x_test: torch.Tensor) -> None:
    import io
    import json
    import warnings

    from checker.io import atomic_write_bytes, to_jsonable, write_json

    tr = result.trained
    summary = result.summary()
    buf = io.BytesIO()
    torch.save({"format": RUN_FORMAT, "config": json.dumps(to_jsonable(dataclasses.asdict(tr.config))),
                "d": tr.d, "image_shape": list(tr.image_shape) if tr.image_shape else [],
                "G": {k: v.detach().cpu() for k, v in tr.generator.state_dict().items()},
                "E": {k: v.detach().cpu() for k, v in tr.encoder.state_dict().items()},
                "D": {k: v.detach().cpu() for k, v in tr.discriminator.state_dict().items()}}, buf)
    atomic_write_bytes(out / "model.pt", buf.getvalue())
    # TorchScript of the generator alone (CPU float32 copy), for use without checker.
    import copy

    g = copy.deepcopy(tr.generator).to("cpu", torch.float32).eval()
    buf = io.BytesIO()
    with warnings.catch_warnings():  # torch >= 2.10 marks TorchScript deprecated; it still saves and loads
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.script(g), buf)
    atomic_write_bytes(out / "generator.ts", buf.getvalue())
    from checker.gan.reconstruction import save_reconstruction_figure, save_samples_figure

    files = {"model": str(out / "model.pt"), "generator_torchscript": str(out / "generator.ts"),
             "samples_png": str(save_samples_figure(tr, out / "samples.png", seed=tr.config.seed))}
    if tr.image_shape is not None:
        files["reconstructions_png"] = str(save_reconstruction_figure(tr, x_test, out / "reconstructions.png"))
    summary["files"] = files
    write_json(out / "result.json", summary)


def load_run(path, *, name: str = "model", device: object = "cpu") -> TrainedGan:
    """A run saved by :func:`train_gan` (its folder, or the folder's ``model.pt``), in eval mode."""
    from checker.device import resolve_device

    p = Path(path)
    if p.is_dir():
        p = p / "model.pt"
    if not p.is_file():
        raise InvalidArgument(name, str(path), "must be a 'checker gan train' folder holding model.pt "
                              "(training may not have finished: re-run it to resume)")
    try:
        blob = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - a foreign or corrupt file
        raise InvalidArgument(name, str(p), f"is not a checker gan run ({type(exc).__name__})") from None
    if not isinstance(blob, dict) or blob.get("format") != RUN_FORMAT:
        raise InvalidArgument(name, str(p), f"is not a checker gan run (format {RUN_FORMAT} expected)")
    import json

    cfg = GanTrainConfig.from_mapping(json.loads(blob["config"]))
    dtype = torch.float32 if cfg.dtype == "float32" else torch.float64
    dev = resolve_device(device, "device")
    G, E, D = build_networks(arch=cfg.arch, d=int(blob["d"]), latent_dim=cfg.latent_dim, hidden=cfg.hidden,
                             disc_hidden=cfg.disc_hidden, depth=cfg.depth, seed=cfg.seed, dtype=dtype,
                             device=dev)
    for net, key in ((G, "G"), (E, "E"), (D, "D")):
        net.load_state_dict(blob[key])
        net.eval()
    shape = tuple(int(v) for v in blob["image_shape"]) or None
    return TrainedGan(config=cfg, generator=G, encoder=E, discriminator=D, d=int(blob["d"]),
                      image_shape=shape, path=str(p.parent))
